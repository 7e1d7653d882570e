//! Several runs of one graph as a batch, node by node: what a language model's prompt is
//! (one step graph per token, each step's caches holding the rows the earlier steps wrote).
//!
//! Node `i` runs for every run before node `i + 1` runs for any, so a kernel can read a
//! constant weight once for the whole batch (see `kernels::contract::batch`). An input is
//! asked for only when the first node reading it runs, so a run's input may be made from the
//! values earlier runs have computed by then (the cache of step `t` is the cache of step
//! `t − 1` with that step's new row written in). Every value of every run is computed by the
//! same kernel on the same operands as [`Plan::run_streaming`] would, so each run's values,
//! hence its trace root, are bit for bit those of running it alone.

use verinfer_ir::{Operand, ValueId};

use crate::error::ExecError;
use crate::plan::Plan;

/// The values of a batch that are still held while an input is being made: every graph
/// output, every input and every value a later node still reads.
pub struct Held<'a> {
    values: &'a [Vec<Option<Vec<i32>>>],
}

impl Held<'_> {
    /// Value `v` of run `run`, if it has been computed (or supplied) and is still held.
    #[must_use]
    pub fn get(&self, run: usize, v: ValueId) -> Option<&[i32]> {
        self.values.get(run)?.get(v.index())?.as_deref()
    }
}

impl Plan {
    /// Runs `runs` runs of the graph as one batch. `input(r, i, held)` makes input `i` of
    /// run `r` when the first node reading it runs (runs in order, so run `r − 1`'s copy is
    /// already held); `sink(r, v, data)` sees every value of every run exactly once, as soon
    /// as it exists — *not* in value order (an input arrives when it is made). Returns each
    /// run's graph outputs, in the order of `graph.outputs`.
    ///
    /// Each run's values are those of [`Self::run_streaming`] on the same inputs, bit for bit.
    /// Memory: every live value once per run.
    ///
    /// # Errors
    /// An input `input` could not make (`None`: [`ExecError::MissingOperand`]) or that does
    /// not fit its input spec (length, bit bound), as [`Self::run`] checks.
    pub fn run_batch(
        &self,
        runs: usize,
        mut input: impl FnMut(usize, usize, &Held<'_>) -> Option<Vec<i32>>,
        mut sink: impl FnMut(usize, ValueId, &[i32]),
    ) -> Result<Vec<Vec<Vec<i32>>>, ExecError> {
        let g = self.graph();
        let n_in = g.inputs.len();
        let outputs: Vec<usize> = g.outputs.iter().map(|o| o.value.index()).collect();
        let keep = |v: usize| outputs.contains(&v);
        let mut values: Vec<Vec<Option<Vec<i32>>>> = vec![vec![None; g.num_values()]; runs];
        let mut made = vec![false; n_in];
        for (n, node) in g.nodes.iter().enumerate() {
            for o in &node.inputs {
                if let Operand::Value(v) = o {
                    let v = v.index();
                    if v < n_in && !made[v] {
                        made[v] = true;
                        supply(g, &mut values, (v, n), &mut input, &mut sink)?;
                    }
                }
            }
            let outs = self.compute_batch(n, &values)?;
            let v = n_in + n;
            let live = self.last_use.get(v).copied().flatten().is_some() || keep(v);
            for (r, out) in outs.into_iter().enumerate() {
                sink(r, ValueId(v as u32), &out);
                if let Some(slot) = values.get_mut(r).and_then(|x| x.get_mut(v)) {
                    *slot = live.then_some(out);
                }
            }
            // Free what no later node reads (graph outputs stay to be returned).
            for o in &node.inputs {
                if let Operand::Value(u) = o {
                    let u = u.index();
                    if self.last_use.get(u).copied().flatten() == Some(n) && !keep(u) {
                        for vals in &mut values {
                            if let Some(slot) = vals.get_mut(u) {
                                *slot = None;
                            }
                        }
                    }
                }
            }
        }
        // Inputs no node reads are still values of the trace.
        let unread: Vec<usize> = (0..n_in).filter(|&i| !made[i]).collect();
        for i in unread {
            supply(g, &mut values, (i, g.nodes.len()), &mut input, &mut sink)?;
        }
        values
            .into_iter()
            .map(|mut vals| {
                outputs
                    .iter()
                    .map(|&v| {
                        vals.get_mut(v)
                            .and_then(Option::take)
                            .ok_or(ExecError::TraceMismatch {
                                expected: g.num_values(),
                                got: v,
                            })
                    })
                    .collect()
            })
            .collect()
    }

    /// Node `i`'s output for every run (see [`crate::kernels::NodePlan::run_batch`]).
    fn compute_batch(
        &self,
        i: usize,
        values: &[Vec<Option<Vec<i32>>>],
    ) -> Result<Vec<Vec<i32>>, ExecError> {
        let (node, plan) = self.node_plan(i)?;
        let ins = values
            .iter()
            .map(|vals| {
                node.inputs
                    .iter()
                    .enumerate()
                    .map(|(k, &o)| {
                        self.operand(i, plan, k, o, |v| vals.get(v).and_then(Option::as_deref))
                    })
                    .collect::<Result<Vec<&[i32]>, _>>()
            })
            .collect::<Result<Vec<_>, _>>()?;
        let mut outs = vec![vec![0i32; node.out.shape.numel()]; values.len()];
        plan.run_batch(&ins, &mut outs);
        Ok(outs)
    }
}

/// Makes input `i` of every run (first read by node `node`), checks it and hands it to `sink`.
fn supply(
    g: &verinfer_ir::Graph,
    values: &mut [Vec<Option<Vec<i32>>>],
    (i, node): (usize, usize),
    input: &mut impl FnMut(usize, usize, &Held<'_>) -> Option<Vec<i32>>,
    sink: &mut impl FnMut(usize, ValueId, &[i32]),
) -> Result<(), ExecError> {
    for r in 0..values.len() {
        let x =
            input(r, i, &Held { values }).ok_or(ExecError::MissingOperand { node, operand: i })?;
        verinfer_ir::reference::check_input(g, i, &x)?;
        sink(r, ValueId(i as u32), &x);
        if let Some(slot) = values.get_mut(r).and_then(|v| v.get_mut(i)) {
            *slot = Some(x);
        }
    }
    Ok(())
}

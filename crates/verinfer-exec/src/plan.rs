//! The execution plan of a graph and running it.

use std::borrow::Cow;

use verinfer_ir::reference::{check_input_part, check_inputs};
use verinfer_ir::{Graph, Model, Operand, ValueId};

use crate::error::ExecError;
use crate::kernels::{NodeCtx, NodePlan};
use crate::trace::Trace;

/// A validated model with every node planned, ready to run any number of times.
///
/// Owns a share of the model (no copy of its weights): constant operands that need no
/// rearranging are read from it in place, and a plan can be kept and shared for as long as
/// the model is served.
pub struct Plan {
    model: Model,
    pub(crate) nodes: Vec<NodePlan>,
    /// For each value, the index of the last node that reads it (`None`: no node does).
    pub(crate) last_use: Vec<Option<usize>>,
}

impl std::fmt::Debug for Plan {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Plan")
            .field("graph", &self.graph().name)
            .field("nodes", &self.nodes.len())
            .finish()
    }
}

impl Plan {
    /// Plan every node of `model` (validated when it was made: the validator's proof that no
    /// accumulator overflows `i64` is what the kernels' unchecked arithmetic relies on).
    ///
    /// # Errors
    /// [`ExecError::Unsupported`] for a node whose index arithmetic exceeds what the fast path
    /// plans (coefficients or tables near `2^62`).
    pub fn new(model: Model) -> Result<Self, ExecError> {
        let graph = model.graph();
        let nodes = graph
            .nodes
            .iter()
            .enumerate()
            .map(|(index, node)| NodePlan::new(&NodeCtx { index, graph, node }))
            .collect::<Result<_, _>>()?;
        let mut last_use = vec![None; graph.num_values()];
        for (i, node) in graph.nodes.iter().enumerate() {
            for o in &node.inputs {
                if let Operand::Value(v) = o {
                    if let Some(slot) = last_use.get_mut(v.index()) {
                        *slot = Some(i);
                    }
                }
            }
        }
        Ok(Self {
            model,
            nodes,
            last_use,
        })
    }

    /// Validate `graph`, take it and plan it.
    ///
    /// # Errors
    /// [`ExecError::Ir`] when the graph is invalid; as [`Self::new`].
    pub fn for_graph(graph: Graph) -> Result<Self, ExecError> {
        Self::new(Model::new(graph)?)
    }

    /// The planned graph.
    #[must_use]
    pub fn graph(&self) -> &Graph {
        self.model.graph()
    }

    /// The planned model (a share of it).
    #[must_use]
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// Run on `inputs` (one flat row-major tensor per graph input) in the current rayon pool
    /// (the global one unless called inside [`rayon::ThreadPool::install`]).
    ///
    /// The trace equals [`verinfer_ir::reference::run`]'s bit for bit, whatever the number of
    /// threads.
    ///
    /// # Errors
    /// [`ExecError::Ir`] when the inputs do not match the graph's input specs (count, length,
    /// bit bounds) — the bound check matters: the overflow proof assumes it.
    pub fn run(&self, inputs: &[Vec<i32>]) -> Result<Trace, ExecError> {
        self.run_reusing(inputs, Trace::new(Vec::new()))
    }

    /// [`Self::run`] writing into the buffers of `old`, a trace the caller no longer needs
    /// (of any graph): a server running the same plan again and again hands back the
    /// previous trace, and the run then allocates nothing for the values that fit where
    /// they were. The result is [`Self::run`]'s, bit for bit: every buffer is cleared first.
    ///
    /// # Errors
    /// As [`Self::run`].
    pub fn run_reusing(&self, inputs: &[Vec<i32>], old: Trace) -> Result<Trace, ExecError> {
        check_inputs(self.graph(), inputs)?;
        let mut spare = old.into_values();
        spare.truncate(self.graph().num_values());
        let mut values: Vec<Vec<i32>> = Vec::with_capacity(self.graph().num_values());
        // Reused from the back, so value `v` gets the buffer value `v` had (the same size).
        spare.reverse();
        for x in inputs {
            let mut buf = spare.pop().unwrap_or_default();
            buf.clear();
            buf.extend_from_slice(x);
            values.push(buf);
        }
        for i in 0..self.nodes.len() {
            let out = spare.pop().unwrap_or_default();
            let out = self.compute_into(i, out, |v| values.get(v).map(Vec::as_slice))?;
            values.push(out);
        }
        Ok(Trace::new(values))
    }

    /// Runs on `inputs` handing every value to `sink` as soon as it exists (inputs first, then
    /// each node's output, in value order: the trace's order), and keeps a value only while a
    /// later node still reads it. Returns the graph outputs, in the order of `graph.outputs`.
    ///
    /// This is how a trace is committed without being held: a sink that hashes each value
    /// (e.g. `verinfer_commit::TraceRootBuilder`) gives the trace root with the live values as
    /// the only memory, which is what an LLM session running one step graph per token needs.
    /// The values are those of [`Self::run`], bit for bit.
    ///
    /// # Errors
    /// As [`Self::run`].
    pub fn run_streaming(
        &self,
        inputs: &[Vec<i32>],
        sink: impl FnMut(ValueId, &[i32]),
    ) -> Result<Vec<Vec<i32>>, ExecError> {
        check_inputs(self.graph(), inputs)?;
        self.stream_checked(inputs, sink)
    }

    /// [`Self::run_streaming`] for a caller that runs the graph again and again on inputs
    /// that change in part: `fresh[k]` is the part of input `k` changed since a run that
    /// checked it whole (`None`: check it whole), and only that part's bit bounds are checked
    /// (every length is). An LLM session appends one row to each KV cache per step, so it
    /// checks that row instead of the whole cache. The caller vouches for the rest: the
    /// overflow proof assumes every element within its bound.
    ///
    /// # Errors
    /// As [`Self::run`]; [`ExecError::Ir`] when `fresh` does not have one entry an input.
    pub fn run_streaming_fresh(
        &self,
        inputs: &[Vec<i32>],
        fresh: &[Option<std::ops::Range<usize>>],
        sink: impl FnMut(ValueId, &[i32]),
    ) -> Result<Vec<Vec<i32>>, ExecError> {
        let g = self.graph();
        if inputs.len() != g.inputs.len() {
            check_inputs(g, inputs)?;
        }
        if fresh.len() != inputs.len() {
            return Err(ExecError::Ir(verinfer_ir::IrError::BadInput {
                index: fresh.len(),
                name: String::new(),
                what: format!("{} inputs but {} parts to check", inputs.len(), fresh.len()),
            }));
        }
        for (k, (x, part)) in inputs.iter().zip(fresh).enumerate() {
            let part = part.clone().unwrap_or(0..x.len());
            check_input_part(g, k, x, part)?;
        }
        self.stream_checked(inputs, sink)
    }

    /// The body of [`Self::run_streaming`] on checked inputs. Inputs are read where they are
    /// (borrowed, never copied: a step's KV caches are most of its inputs).
    fn stream_checked(
        &self,
        inputs: &[Vec<i32>],
        mut sink: impl FnMut(ValueId, &[i32]),
    ) -> Result<Vec<Vec<i32>>, ExecError> {
        let g = self.graph();
        let outputs: Vec<usize> = g.outputs.iter().map(|o| o.value.index()).collect();
        let keep = |v: usize| outputs.contains(&v);
        let mut values: Vec<Option<Cow<'_, [i32]>>> = Vec::with_capacity(g.num_values());
        for (v, x) in inputs.iter().enumerate() {
            sink(ValueId(v as u32), x);
            let live = self.last_use.get(v).copied().flatten().is_some() || keep(v);
            values.push(live.then_some(Cow::Borrowed(x.as_slice())));
        }
        for (i, node) in g.nodes.iter().enumerate() {
            let out = self.compute(i, |v| values.get(v).and_then(Option::as_deref))?;
            let v = g.inputs.len() + i;
            sink(ValueId(v as u32), &out);
            // Free what no later node reads (graph outputs stay to be returned).
            for o in &node.inputs {
                if let Operand::Value(u) = o {
                    let u = u.index();
                    if self.last_use.get(u).copied().flatten() == Some(i) && !keep(u) {
                        if let Some(slot) = values.get_mut(u) {
                            *slot = None;
                        }
                    }
                }
            }
            let live = self.last_use.get(v).copied().flatten().is_some() || keep(v);
            values.push(live.then_some(Cow::Owned(out)));
        }
        outputs
            .iter()
            .enumerate()
            .map(|(j, &v)| {
                let slot = values.get_mut(v);
                // A value listed twice as an output is copied for all but its last listing.
                let x = if outputs.get(j + 1..).is_some_and(|r| r.contains(&v)) {
                    slot.and_then(|x| x.as_deref().map(<[i32]>::to_vec))
                } else {
                    slot.and_then(Option::take).map(Cow::into_owned)
                };
                x.ok_or(ExecError::TraceMismatch {
                    expected: g.num_values(),
                    got: values.len(),
                })
            })
            .collect()
    }

    /// The most elements [`Self::run_streaming`] holds at once (inputs and values still to be
    /// read, graph outputs), against [`Self::run`]'s whole trace.
    #[must_use]
    pub fn peak_live_elements(&self) -> usize {
        let g = self.graph();
        let len = |v: usize| {
            g.value_info(ValueId(v as u32))
                .map_or(0, |i| i.shape.numel())
        };
        let keep = |v: usize| g.outputs.iter().any(|o| o.value.index() == v);
        let n_in = g.inputs.len();
        let mut live: usize = (0..n_in)
            .filter(|&v| self.last_use[v].is_some() || keep(v))
            .map(len)
            .sum();
        let mut peak = live;
        for (i, node) in g.nodes.iter().enumerate() {
            let v = n_in + i;
            live += len(v);
            peak = peak.max(live);
            if self.last_use[v].is_none() && !keep(v) {
                live -= len(v);
            }
            let mut freed = Vec::new();
            for o in &node.inputs {
                if let Operand::Value(u) = o {
                    let u = u.index();
                    if self.last_use[u] == Some(i) && !keep(u) && !freed.contains(&u) {
                        freed.push(u);
                        live -= len(u);
                    }
                }
            }
        }
        peak
    }

    /// [`Self::run`] in a dedicated pool of `threads` threads (0 lets rayon choose).
    ///
    /// # Errors
    /// As [`Self::run`], plus [`ExecError::ThreadPool`] when the pool cannot be started.
    pub fn run_with_threads(
        &self,
        inputs: &[Vec<i32>],
        threads: usize,
    ) -> Result<Trace, ExecError> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .map_err(|source| ExecError::ThreadPool { threads, source })?;
        pool.install(|| self.run(inputs))
    }

    /// The graph outputs of `trace`, in the order of `graph.outputs`.
    ///
    /// # Errors
    /// [`ExecError::TraceMismatch`] when the trace was not produced for this graph.
    pub fn outputs<'t>(&self, trace: &'t Trace) -> Result<Vec<&'t [i32]>, ExecError> {
        let mismatch = || ExecError::TraceMismatch {
            expected: self.graph().num_values(),
            got: trace.len(),
        };
        if trace.len() != self.graph().num_values() {
            return Err(mismatch());
        }
        self.graph()
            .outputs
            .iter()
            .map(|o| trace.value(o.value).ok_or_else(mismatch))
            .collect()
    }

    /// Node `i` and its kernel plan (a node the plan does not have is a missing operand).
    pub(crate) fn node_plan(&self, i: usize) -> Result<(&verinfer_ir::Node, &NodePlan), ExecError> {
        match (self.graph().nodes.get(i), self.nodes.get(i)) {
            (Some(node), Some(plan)) => Ok((node, plan)),
            _ => Err(ExecError::MissingOperand {
                node: i,
                operand: 0,
            }),
        }
    }

    /// Operand `k` (`o`) of node `i` with kernel plan `plan`: a value read through `value` (by
    /// value index), a parameter from the model, or nothing for a parameter the kernel reads
    /// in place.
    pub(crate) fn operand<'a>(
        &'a self,
        i: usize,
        plan: &NodePlan,
        k: usize,
        o: Operand,
        value: impl FnOnce(usize) -> Option<&'a [i32]>,
    ) -> Result<&'a [i32], ExecError> {
        let x = match o {
            Operand::Value(v) => value(v.index()),
            Operand::Param(_) if plan.reads_in_place(k) => Some(&[][..]),
            Operand::Param(p) => self.graph().params.get(p.index()).map(|p| p.data.as_i32()),
        };
        x.ok_or(ExecError::MissingOperand {
            node: i,
            operand: k,
        })
    }

    /// Node `i`'s output, its value operands read through `value` (by value index) and its
    /// parameters from the model.
    fn compute<'a>(
        &'a self,
        i: usize,
        value: impl Fn(usize) -> Option<&'a [i32]>,
    ) -> Result<Vec<i32>, ExecError> {
        self.compute_into(i, Vec::new(), value)
    }

    /// [`Self::compute`] into `out`'s buffer (cleared and zeroed to the output's length).
    fn compute_into<'a>(
        &'a self,
        i: usize,
        mut out: Vec<i32>,
        value: impl Fn(usize) -> Option<&'a [i32]>,
    ) -> Result<Vec<i32>, ExecError> {
        let (node, plan) = self.node_plan(i)?;
        let ins = node
            .inputs
            .iter()
            .enumerate()
            .map(|(k, &o)| self.operand(i, plan, k, o, &value))
            .collect::<Result<Vec<&[i32]>, _>>()?;
        out.clear();
        out.resize(node.out.shape.numel(), 0);
        plan.run(&ins, &mut out);
        Ok(out)
    }
}

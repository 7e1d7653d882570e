//! One party's view of a run: the model, every value of the trace, and the trees that answer
//! every question of the game by lookup.

use std::sync::Arc;

use verinfer_commit::{ModelCommitment, TraceCommitment};
use verinfer_exec::Plan;
use verinfer_ir::ops::{self, TensorRef};
use verinfer_ir::{Graph, Operand};

use crate::error::{OpmlError, Result};

/// A run of a model with its commitments. The honest party builds it by executing; a lying
/// submitter (in tests and simulations) builds it from altered values.
///
/// The graph and the model commitment are shared, not owned: a node keeps one of each per
/// model it serves ([`ServedModel`]) and every execution of that model points at them.
#[derive(Debug)]
pub struct Execution {
    graph: Arc<Graph>,
    model: Arc<ModelCommitment>,
    values: Vec<Vec<i32>>,
    trace: TraceCommitment,
}

/// A model as a party serves it: planned once, committed once, run on every input it is asked
/// about without copying its weights or hashing them again.
#[derive(Debug)]
pub struct ServedModel {
    plan: Plan,
    commitment: Arc<ModelCommitment>,
}

impl ServedModel {
    /// Plans and commits `model`.
    ///
    /// # Errors
    /// [`OpmlError::Exec`] for a model the fast executor cannot plan.
    pub fn new(model: verinfer_ir::Model) -> Result<Self> {
        let commitment = Arc::new(ModelCommitment::new(&model));
        let plan = Plan::new(model).map_err(|e| OpmlError::Exec(e.to_string()))?;
        Ok(Self { plan, commitment })
    }

    /// The graph.
    pub fn graph(&self) -> &Graph {
        self.plan.graph()
    }

    /// The validated model (what a proof backend proves).
    pub fn model(&self) -> &verinfer_ir::Model {
        self.plan.model()
    }

    /// The model's commitment (its id is what the contracts know it by).
    pub fn commitment(&self) -> &ModelCommitment {
        &self.commitment
    }

    /// Runs `inputs` and commits the trace.
    ///
    /// # Errors
    /// [`OpmlError::Exec`] for inputs the model rejects.
    pub fn run(&self, inputs: &[Vec<i32>]) -> Result<Execution> {
        let trace = self
            .plan
            .run(inputs)
            .map_err(|e| OpmlError::Exec(e.to_string()))?;
        Execution::committed(
            self.plan.model().shared(),
            Arc::clone(&self.commitment),
            trace.into_values(),
        )
    }

    /// The trace's value roots and root for `inputs`, computed while streaming: each value is
    /// hashed as it is computed and dropped after its last reader, and no tree is kept. What a
    /// watcher needs to check a claim; [`Self::run`] (every value and tree) only once it
    /// disputes one.
    ///
    /// # Errors
    /// [`OpmlError::Exec`] for inputs the model rejects.
    pub fn trace_root(
        &self,
        inputs: &[Vec<i32>],
    ) -> Result<(Vec<verinfer_commit::Hash32>, verinfer_commit::TraceRoot)> {
        let mut b = verinfer_commit::TraceRootBuilder::new();
        self.plan
            .run_streaming(inputs, |_, d| b.push(d))
            .map_err(|e| OpmlError::Exec(e.to_string()))?;
        let root = b.finish();
        Ok((b.value_roots().to_vec(), root))
    }

    /// Commits given values as a trace of this model (they need not be the honest ones: a
    /// claim reloaded from disk, or a lie in a simulation).
    ///
    /// # Errors
    /// As [`Execution::from_values`].
    pub fn execution_of(&self, values: Vec<Vec<i32>>) -> Result<Execution> {
        Execution::committed(
            self.plan.model().shared(),
            Arc::clone(&self.commitment),
            values,
        )
    }
}

impl Execution {
    /// Runs `graph` on `inputs` with the fast executor and commits the trace.
    ///
    /// # Errors
    /// [`OpmlError::Exec`] for inputs the model rejects.
    pub fn run(graph: Graph, inputs: &[Vec<i32>]) -> Result<Self> {
        let model = verinfer_ir::Model::new(graph).map_err(|e| OpmlError::Exec(e.to_string()))?;
        ServedModel::new(model)?.run(inputs)
    }

    /// Commits given values as the trace of `graph` (they need not be the honest ones).
    ///
    /// # Errors
    /// [`OpmlError::Mismatch`] when the count or a length does not fit the graph.
    pub fn from_values(graph: Graph, values: Vec<Vec<i32>>) -> Result<Self> {
        let model = Arc::new(ModelCommitment::new(&graph));
        Self::committed(Arc::new(graph), model, values)
    }

    /// [`Self::from_values`] with the model's commitment already made (it must be `graph`'s).
    fn committed(
        graph: Arc<Graph>,
        model: Arc<ModelCommitment>,
        values: Vec<Vec<i32>>,
    ) -> Result<Self> {
        graph
            .check_trace(&values)
            .map_err(|e| OpmlError::Mismatch(e.to_string()))?;
        let trace = TraceCommitment::new(&values);
        Ok(Self {
            graph,
            model,
            values,
            trace,
        })
    }

    /// The model.
    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    /// The model's commitment.
    pub fn model(&self) -> &ModelCommitment {
        &self.model
    }

    /// The trace's commitment.
    pub fn trace(&self) -> &TraceCommitment {
        &self.trace
    }

    /// Every value.
    pub fn values(&self) -> &[Vec<i32>] {
        &self.values
    }

    /// The tensors node `n` reads, operands in order (values from this trace, params from the
    /// model), and the attribute parameter (table or map) if any.
    ///
    /// # Errors
    /// A node index or operand past the graph.
    pub fn node_operands(&self, n: usize) -> Result<(Vec<TensorRef<'_>>, Option<TensorRef<'_>>)> {
        node_operands(&self.graph, &self.values, n)
    }

    /// Accumulation length `K` of node `n` (0 for ops without one).
    ///
    /// # Errors
    /// A node index past the graph.
    pub fn steps(&self, n: usize) -> Result<usize> {
        let (ins, _) = self.node_operands(n)?;
        let shapes: Vec<&[usize]> = ins.iter().map(|t| t.shape).collect();
        Ok(ops::steps(&self.graph.nodes[n].op, &shapes))
    }

    /// The accumulator after `upto` steps behind element `j` of node `n`, computed from this
    /// trace's operands with the scalar reference.
    ///
    /// # Errors
    /// A node without accumulation, or an overflow (impossible for validated graphs).
    pub fn accumulator(&self, n: usize, j: usize, upto: usize) -> Result<i64> {
        let (ins, _) = self.node_operands(n)?;
        ops::accumulate(&self.graph.nodes[n].op, &ins, j, upto).ok_or_else(|| {
            OpmlError::Protocol(format!("node {n} has no accumulator at {j}/{upto}"))
        })
    }
}

/// The tensors node `n` of `g` reads from `values` (operands in order; params from the model)
/// and its attribute parameter (table or map), if any.
///
/// # Errors
/// A node index or operand past the graph.
pub fn node_operands<'a>(
    g: &'a Graph,
    values: &'a [Vec<i32>],
    n: usize,
) -> Result<(Vec<TensorRef<'a>>, Option<TensorRef<'a>>)> {
    let node = g
        .nodes
        .get(n)
        .ok_or_else(|| OpmlError::Protocol(format!("no node {n}")))?;
    let mut ins = Vec::with_capacity(node.inputs.len());
    for &o in &node.inputs {
        let info = g
            .operand_info(o)
            .ok_or_else(|| OpmlError::Protocol(format!("node {n}: dangling operand")))?;
        let data: &[i32] = match o {
            Operand::Value(v) => values
                .get(v.index())
                .ok_or_else(|| OpmlError::Protocol(format!("node {n}: no value {}", v.index())))?,
            Operand::Param(p) => &g.params[p.index()].data,
        };
        ins.push(TensorRef {
            shape: &info.shape.0,
            data,
        });
    }
    let attr = node.op.attr_param().and_then(|p| {
        g.params.get(p.index()).map(|param| TensorRef {
            shape: &param.info.shape.0,
            data: &param.data,
        })
    });
    Ok((ins, attr))
}

//! The execution plan of a graph and running it.

use verinfer_ir::reference::check_inputs;
use verinfer_ir::{Graph, Model, Operand};

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
    nodes: Vec<NodePlan>,
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
        Ok(Self { model, nodes })
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
        check_inputs(self.graph(), inputs)?;
        let mut values: Vec<Vec<i32>> = Vec::with_capacity(self.graph().num_values());
        values.extend(inputs.iter().cloned());
        for (i, (node, plan)) in self.graph().nodes.iter().zip(&self.nodes).enumerate() {
            let out = {
                let ins = node
                    .inputs
                    .iter()
                    .enumerate()
                    .map(|(k, &o)| {
                        self.operand(&values, o).ok_or(ExecError::MissingOperand {
                            node: i,
                            operand: k,
                        })
                    })
                    .collect::<Result<Vec<&[i32]>, _>>()?;
                let mut out = vec![0i32; node.out.shape.numel()];
                plan.run(&ins, &mut out);
                out
            };
            values.push(out);
        }
        Ok(Trace::new(values))
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

    fn operand<'a>(&'a self, values: &'a [Vec<i32>], o: Operand) -> Option<&'a [i32]> {
        match o {
            Operand::Value(v) => values.get(v.index()).map(Vec::as_slice),
            Operand::Param(p) => self
                .graph()
                .params
                .get(p.index())
                .map(|p| p.data.as_slice()),
        }
    }
}

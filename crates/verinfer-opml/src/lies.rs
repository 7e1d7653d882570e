//! Lying executions for the any-trust tests and `game simulate`: the honest trace with one
//! element changed, either left inconsistent downstream (a sloppy liar) or with every later
//! node recomputed from the lie (a consistent liar, whose only inconsistency is that node).

use verinfer_ir::ops;
use verinfer_ir::Graph;

use crate::error::{OpmlError, Result};
use crate::execution::{node_operands, Execution};

/// A change to the honest trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceLie {
    /// The node whose output is changed.
    pub node: usize,
    /// The element changed.
    pub element: usize,
    /// Added to it (wrapping).
    pub delta: i32,
    /// Recompute every later node from the changed value.
    pub propagate: bool,
}

/// The honest execution of `graph` on `inputs` with `lie` applied.
///
/// # Errors
/// Inputs the model rejects, or a lie outside the graph.
pub fn lying_execution(graph: Graph, inputs: &[Vec<i32>], lie: TraceLie) -> Result<Execution> {
    let honest = Execution::run(graph.clone(), inputs)?;
    let mut values = honest.values().to_vec();
    let v = graph.inputs.len() + lie.node;
    let slot = values
        .get_mut(v)
        .and_then(|t| t.get_mut(lie.element))
        .ok_or_else(|| {
            OpmlError::Mismatch(format!("no element {} of node {}", lie.element, lie.node))
        })?;
    *slot = slot.wrapping_add(lie.delta);
    if lie.propagate {
        for n in lie.node + 1..graph.nodes.len() {
            let out = recompute(&graph, &values, n)?;
            values[graph.inputs.len() + n] = out;
        }
    }
    Execution::from_values(graph, values)
}

/// Node `n`'s output from `values` with the scalar reference.
fn recompute(g: &Graph, values: &[Vec<i32>], n: usize) -> Result<Vec<i32>> {
    let node = &g.nodes[n];
    let (ins, attr) = node_operands(g, values, n)?;
    let shape = &node.out.shape.0;
    (0..node.out.shape.numel())
        .map(|j| {
            ops::element(&node.op, &ins, attr, shape, j)
                .ok_or_else(|| OpmlError::Exec(format!("node {n} element {j} overflows")))
        })
        .collect()
}

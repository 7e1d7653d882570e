//! `If` whose condition is known at compile time: the condition is a constant after folding
//! (shape checks such as `Shape → Gather → Equal`, or an input fixed with `--const`, such as a
//! sample rate), so the chosen branch is lowered inline and the other is never looked at. A
//! condition computed at run time would need both branches in the circuit and a select; it is
//! refused by name.

use tract_onnx::pb::NodeProto;
use verinfer_quant::builder::Builder;
use verinfer_quant::fgraph::FRef;

use crate::error::OnnxError;
use crate::import::{lower_nodes, tensor_values};
use crate::lower::quantized::ElemTypes;

/// Lower an `If` node: its outputs are the selected branch's outputs.
///
/// # Errors
/// A run-time or non-scalar condition, a missing branch, a branch whose outputs do not match
/// the node's, and whatever lowering the branch's nodes fails with.
pub(crate) fn lower_if(
    b: &mut Builder,
    node: &NodeProto,
    types: &mut ElemTypes,
    opset: i64,
    dir: Option<&str>,
) -> Result<Vec<FRef>, OnnxError> {
    let cond_name = node
        .input
        .first()
        .ok_or_else(|| b.err("no condition input"))?;
    let cond = b.get(cond_name)?;
    let Some(values) = b.const_data(cond) else {
        return Err(b
            .unsupported(
                "the condition is computed at run time (only an If whose condition is constant \
                 after folding is lowered; fix the inputs it depends on with --const)",
            )
            .into());
    };
    let [value] = values else {
        return Err(b
            .err(format!(
                "the condition has {} elements, not one",
                values.len()
            ))
            .into());
    };
    let which = if *value != 0.0 {
        "then_branch"
    } else {
        "else_branch"
    };
    let graph = node
        .attribute
        .iter()
        .find(|a| a.name == which)
        .and_then(|a| a.g.as_ref())
        .ok_or_else(|| b.err(format!("no {which} graph")))?;
    if graph.output.len() != node.output.len() {
        return Err(b
            .err(format!(
                "{which} has {} outputs, the node {}",
                graph.output.len(),
                node.output.len()
            ))
            .into());
    }
    let if_name = b.node_name().to_string();
    for t in &graph.initializer {
        let (shape, data, integer) = tensor_values(t, dir)?;
        let r = b.typed_constant(&t.name, shape, data, integer);
        b.bind(&t.name, r);
    }
    lower_nodes(
        b,
        &graph.node,
        types,
        opset,
        dir,
        &format!("{if_name}/{which}/"),
    )?;
    b.begin_node(&if_name, "If");
    graph
        .output
        .iter()
        .map(|o| b.get(&o.name).map_err(OnnxError::from))
        .collect()
}

#[cfg(test)]
#[path = "branch_tests.rs"]
mod tests;

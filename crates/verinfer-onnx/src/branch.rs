//! `If`. A condition known at compile time (a constant after folding: shape checks such as
//! `Shape → Gather → Equal`, or an input fixed with `--const`, such as a sample rate) selects
//! its branch, lowered inline; the other is never looked at. A condition computed at run time
//! (a wake-word model's `p ≥ 0.5` choosing whether a second verifier network runs) lowers both
//! branches and selects each output arithmetically, `else + c·(then − else)` with `c` the 0/1
//! condition — the price is that both branches always run (their nodes are in the graph, the
//! trace and the circuit). Branches whose outputs differ in shape cannot be selected that way
//! and are refused by name.

use tract_onnx::pb::{GraphProto, NodeProto};
use verinfer_ir::BinaryKind;
use verinfer_quant::builder::Builder;
use verinfer_quant::fgraph::FRef;

use crate::error::OnnxError;
use crate::import::{lower_nodes, tensor_values, Scope};

/// Lower an `If` node: its outputs are the selected branch's outputs.
///
/// # Errors
/// A non-scalar condition, a missing branch, branches with outputs of different shapes under
/// a run-time condition, a branch whose outputs do not match
/// the node's, and whatever lowering the branch's nodes fails with.
pub(crate) fn lower_if(
    b: &mut Builder,
    node: &NodeProto,
    scope: &mut Scope<'_>,
) -> Result<Vec<FRef>, OnnxError> {
    let cond_name = node
        .input
        .first()
        .ok_or_else(|| b.err("no condition input"))?;
    let cond = b.get(cond_name)?;
    let Some(values) = b.const_data(cond) else {
        return lower_runtime_if(b, node, cond, scope);
    };
    let [value] = values else {
        refuse!(b, "the condition has {} elements, not one", values.len());
    };
    let which = if *value != 0.0 {
        "then_branch"
    } else {
        "else_branch"
    };
    let if_name = b.node_name().to_string();
    let outs = lower_branch(b, node, which, scope)?;
    b.begin_node(&if_name, "If");
    Ok(outs)
}

/// Lower branch `which` (`then_branch` / `else_branch`) of `node` inline, returning its
/// outputs.
fn lower_branch(
    b: &mut Builder,
    node: &NodeProto,
    which: &str,
    scope: &mut Scope<'_>,
) -> Result<Vec<FRef>, OnnxError> {
    let graph = node
        .attribute
        .iter()
        .find(|a| a.name == which)
        .and_then(|a| a.g.as_ref())
        .ok_or_else(|| b.err(format!("no {which} graph")))?;
    if graph.output.len() != node.output.len() {
        refuse!(
            b,
            "{which} has {} outputs, the node {}",
            graph.output.len(),
            node.output.len()
        );
    }
    let if_name = b.node_name().to_string();
    bind_initializers(b, graph, scope.dir)?;
    lower_nodes(b, &graph.node, scope, &format!("{if_name}/{which}/"))?;
    b.begin_node(&if_name, "If");
    graph
        .output
        .iter()
        .map(|o| b.get(&o.name).map_err(OnnxError::from))
        .collect()
}

/// Bind a subgraph's initializers (an `If` branch, a `Scan` body) as constants.
pub(crate) fn bind_initializers(
    b: &mut Builder,
    graph: &GraphProto,
    dir: Option<&str>,
) -> Result<(), OnnxError> {
    for t in &graph.initializer {
        let (shape, data, integer) = tensor_values(t, dir)?;
        let r = b.typed_constant(&t.name, shape, data, integer);
        b.bind(&t.name, r);
    }
    Ok(())
}

/// An `If` whose condition `cond` is computed at run time: both branches, then per output
/// `else + cond·(then − else)` (see the module doc).
fn lower_runtime_if(
    b: &mut Builder,
    node: &NodeProto,
    cond: FRef,
    scope: &mut Scope<'_>,
) -> Result<Vec<FRef>, OnnxError> {
    let n = b.shape(cond).iter().product::<usize>();
    if n != 1 {
        refuse!(b, "the condition has {n} elements, not one");
    }
    let if_name = b.node_name().to_string();
    let then = lower_branch(b, node, "then_branch", scope)?;
    let other = lower_branch(b, node, "else_branch", scope)?;
    let mut outs = Vec::with_capacity(then.len());
    for (k, (&t, &e)) in then.iter().zip(&other).enumerate() {
        let (st, se) = (b.shape(t), b.shape(e));
        if st != se {
            return Err(b
                .unsupported(format!(
                    "a condition computed at run time selecting output {k} of shape {st:?} \
                     (then_branch) or {se:?} (else_branch): both branches run and one is \
                     selected element-wise, which needs equal shapes (fix the inputs the \
                     condition depends on with --const to select a branch at compile time)"
                ))
                .into());
        }
        for (r, which) in [(t, "then_branch"), (e, "else_branch")] {
            if b.const_data(r)
                .is_some_and(|d| d.iter().any(|v| !v.is_finite()))
            {
                return Err(b
                    .unsupported(format!(
                        "a condition computed at run time selecting an infinite constant \
                         output of {which}"
                    ))
                    .into());
            }
        }
        b.begin_node(&format!("{if_name}/select{k}"), "If");
        let diff = b.binary(BinaryKind::Sub, t, e)?;
        let pick = b.binary(BinaryKind::Mul, cond, diff)?;
        outs.push(b.binary(BinaryKind::Add, e, pick)?);
    }
    b.begin_node(&if_name, "If");
    Ok(outs)
}

#[cfg(test)]
#[path = "branch_tests.rs"]
pub(crate) mod tests;

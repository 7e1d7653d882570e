//! `Scan` (opset 9 and later), unrolled: its trip count is the length of the scan inputs
//! along their scan axes, which a compiled graph knows. Each iteration lowers the body inline
//! with the state values and one slice of every scan input bound to the body's inputs; the
//! final states are the node's first outputs and every scan output is the per-iteration
//! values stacked along its output axis (one `Move`). This is how skl2onnx exports the pairwise
//! distances of `KNeighborsClassifier`/`Regressor` (a `Scan` over the training rows); a
//! constant scan input makes every slice a constant, folded at compile time.
//!
//! The body's nodes are lowered once per iteration, so the graph grows with the trip count;
//! beyond [`MAX_TRIPS`] iterations the node is refused by name.

use tract_onnx::pb::NodeProto;
use verinfer_quant::builder::Builder;
use verinfer_quant::fgraph::FRef;

use crate::attrs::Attrs;
use crate::branch::bind_initializers;
use crate::error::OnnxError;
use crate::import::{lower_nodes, Scope};
use crate::lower::recurrent::{stack, take};

/// The most iterations unrolled.
pub const MAX_TRIPS: usize = 4096;

/// Per-input or per-output axes (`scan_input_axes`, …), default 0, made non-negative for
/// tensors of rank `ranks[k]`.
fn axes(
    b: &Builder,
    node: &NodeProto,
    name: &str,
    ranks: &[usize],
) -> Result<Vec<usize>, OnnxError> {
    let given = Attrs(node).ints(name).unwrap_or_default();
    if !given.is_empty() && given.len() != ranks.len() {
        refuse!(
            b,
            "{name} has {} entries for {} tensors",
            given.len(),
            ranks.len()
        );
    }
    ranks
        .iter()
        .enumerate()
        .map(|(k, &r)| Ok(b.axis(given.get(k).copied().unwrap_or(0), r)?))
        .collect()
}

/// Per-input or per-output directions (`…_directions`): `true` for reverse.
fn reversed(b: &Builder, node: &NodeProto, name: &str, n: usize) -> Result<Vec<bool>, OnnxError> {
    let given = Attrs(node).ints(name).unwrap_or_default();
    if !given.is_empty() && given.len() != n {
        refuse!(b, "{name} has {} entries for {n} tensors", given.len());
    }
    Ok((0..n)
        .map(|k| given.get(k).copied().unwrap_or(0) != 0)
        .collect())
}

/// Lower a `Scan` node: its final states, then its scan outputs.
///
/// # Errors
/// Opset 8's batched form, inputs of different trip counts, more than [`MAX_TRIPS`]
/// iterations, a body whose inputs or outputs do not match the node's, and whatever lowering
/// the body's nodes fails with.
pub(crate) fn lower_scan(
    b: &mut Builder,
    node: &NodeProto,
    scope: &mut Scope<'_>,
) -> Result<Vec<FRef>, OnnxError> {
    if scope.opset < 9 {
        return Err(b
            .unsupported("Scan of opset 8 (batched, with sequence_lens)")
            .into());
    }
    let body = node
        .attribute
        .iter()
        .find(|a| a.name == "body")
        .and_then(|a| a.g.as_ref())
        .ok_or_else(|| b.err("no body graph"))?;
    let m = usize::try_from(Attrs(node).int_or("num_scan_inputs", 0))
        .ok()
        .filter(|&m| m > 0 && m <= node.input.len())
        .ok_or_else(|| b.err("num_scan_inputs must be between 1 and the number of inputs"))?;
    let n_state = node.input.len() - m;
    let ins: Vec<FRef> = node
        .input
        .iter()
        .map(|name| b.get(name))
        .collect::<Result<_, _>>()?;
    let (mut states, scans) = (ins[..n_state].to_vec(), ins[n_state..].to_vec());
    let k_out = body.output.len().checked_sub(n_state).ok_or_else(|| {
        b.err(format!(
            "the body has {} outputs for {n_state} states",
            body.output.len()
        ))
    })?;
    if body.input.len() != n_state + m || node.output.len() > n_state + k_out {
        refuse!(
            b,
            "the body takes {} inputs and gives {} outputs; the node has {n_state} states, \
             {m} scan inputs and {} outputs",
            body.input.len(),
            body.output.len(),
            node.output.len()
        );
    }
    let ranks: Vec<usize> = scans.iter().map(|&r| b.shape(r).len()).collect();
    let in_axes = axes(b, node, "scan_input_axes", &ranks)?;
    let in_rev = reversed(b, node, "scan_input_directions", m)?;
    let trips: Vec<usize> = scans
        .iter()
        .zip(&in_axes)
        .map(|(&r, &a)| b.shape(r)[a])
        .collect();
    let trip = trips[0];
    if trips.iter().any(|&t| t != trip) || trip == 0 {
        refuse!(
            b,
            "scan inputs of trip counts {trips:?} (must be equal and positive)"
        );
    }
    if trip > MAX_TRIPS {
        return Err(b
            .unsupported(format!(
                "Scan of {trip} iterations (unrolled: at most {MAX_TRIPS})"
            ))
            .into());
    }
    let scan_name = b.node_name().to_string();
    bind_initializers(b, body, scope.dir)?;
    let mut per_trip: Vec<Vec<FRef>> = vec![Vec::with_capacity(trip); k_out];
    for it in 0..trip {
        for (k, &x) in scans.iter().enumerate() {
            let at = if in_rev[k] { trip - 1 - it } else { it };
            let mut s = b.shape(x);
            let slice = take(b, x, in_axes[k], at, 1)?;
            s.remove(in_axes[k]);
            let slice = b.reshape(slice, s)?;
            b.bind(&body.input[n_state + k].name, slice);
        }
        for (v, &r) in body.input.iter().zip(&states) {
            b.bind(&v.name, r);
        }
        // Node names made unique per iteration (a named body node would repeat).
        let nodes: Vec<NodeProto> = body
            .node
            .iter()
            .enumerate()
            .map(|(j, n)| {
                let mut n = n.clone();
                let base = if n.name.is_empty() {
                    format!("{}_{j}", n.op_type)
                } else {
                    n.name.clone()
                };
                n.name = format!("{scan_name}/{it}/{base}");
                n
            })
            .collect();
        lower_nodes(b, &nodes, scope, &format!("{scan_name}/{it}/"))?;
        b.begin_node(&scan_name, "Scan");
        let outs: Vec<FRef> = body
            .output
            .iter()
            .map(|o| b.get(&o.name))
            .collect::<Result<_, _>>()?;
        states = outs[..n_state].to_vec();
        for (k, &r) in outs[n_state..].iter().enumerate() {
            per_trip[k].push(r);
        }
    }
    let out_ranks: Vec<usize> = per_trip.iter().map(|p| b.shape(p[0]).len() + 1).collect();
    let out_axes = axes(b, node, "scan_output_axes", &out_ranks)?;
    let out_rev = reversed(b, node, "scan_output_directions", k_out)?;
    let mut outs = states;
    for (k, mut parts) in per_trip.into_iter().enumerate() {
        if out_rev[k] {
            parts.reverse();
        }
        let y = stack(b, parts)?;
        let a = out_axes[k];
        let y = if a == 0 {
            y
        } else {
            // Move the stacked axis from the front to `a`.
            let mut perm: Vec<usize> = (1..out_ranks[k]).collect();
            perm.insert(a, 0);
            b.transpose(y, &perm)?
        };
        outs.push(y);
    }
    Ok(outs)
}

#[cfg(test)]
#[path = "scan_tests.rs"]
mod tests;

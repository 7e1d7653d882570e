//! `NegativeLogLikelihoodLoss` and `SoftmaxCrossEntropyLoss` with constant targets.
//!
//! With the targets known at compile time (labels are integers, frozen like every structural
//! integer of an exported graph), picking `input[n, target[n, d…], d…]` is a `Move`, the class
//! weights it needs are a `Move` of the weight tensor (constant or not), and the loss is a
//! product and a sum: no new primitive. `mean` divides by the sum of the picked weights
//! (the number of non-ignored targets without weights), as ONNX defines it. Run-time targets
//! are refused by name.

use tract_onnx::pb::NodeProto;
use verinfer_ir::shape::numel;
use verinfer_ir::ReduceKind;
use verinfer_quant::builder::Builder;
use verinfer_quant::fgraph::FRef;

use super::elementwise::mul;
use super::movement::{flat, move_by};
use crate::attrs::{const_ints, input, opt_input, Attrs};
use crate::error::OnnxError;
use crate::lower::Lowered;

/// Op types lowered here.
pub const OPS: &[&str] = &["NegativeLogLikelihoodLoss", "SoftmaxCrossEntropyLoss"];

/// Lower `node` if this file owns its op type.
pub fn lower(b: &mut Builder, node: &NodeProto, _opset: i64) -> Lowered {
    let lowering = match node.op_type.as_str() {
        "NegativeLogLikelihoodLoss" => nll_node,
        "SoftmaxCrossEntropyLoss" => sce_node,
        _ => return None,
    };
    Some(lowering(b, node))
}

/// How the per-element losses are combined.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Reduction {
    None,
    Sum,
    Mean,
}

fn reduction(b: &Builder, node: &NodeProto) -> Result<Reduction, OnnxError> {
    match Attrs(node).string("reduction").as_deref() {
        None | Some("mean") => Ok(Reduction::Mean),
        Some("sum") => Ok(Reduction::Sum),
        Some("none") => Ok(Reduction::None),
        Some(other) => Err(b.err(format!("reduction '{other}'")).into()),
    }
}

fn nll_node(b: &mut Builder, node: &NodeProto) -> Result<Vec<FRef>, OnnxError> {
    let x = input(b, node, 0)?;
    let loss = nll(b, node, x)?;
    Ok(vec![loss])
}

/// `SoftmaxCrossEntropyLoss = NLL(LogSoftmax(scores, axis 1))`; the second output is the
/// log-probabilities.
fn sce_node(b: &mut Builder, node: &NodeProto) -> Result<Vec<FRef>, OnnxError> {
    let x = input(b, node, 0)?;
    if b.shape(x).len() < 2 {
        refuse!(b, "scores must be [N, C, …], got {:?}", b.shape(x));
    }
    let log_prob = super::normalization::softmax_over(b, x, &[1], true)?;
    let loss = nll(b, node, log_prob)?;
    Ok(vec![loss, log_prob])
}

/// The loss of `x` (`[N, C, d…]`) against the node's constant target (input 1) and optional
/// weights (input 2).
fn nll(b: &mut Builder, node: &NodeProto, x: FRef) -> Result<FRef, OnnxError> {
    let sx = b.shape(x);
    if sx.len() < 2 || sx[1] == 0 {
        refuse!(b, "input must be [N, C, …] with C > 0, got {sx:?}");
    }
    let classes = sx[1];
    let t = input(b, node, 1)?;
    let mut ts = vec![sx[0]];
    ts.extend(&sx[2..]);
    if b.shape(t) != ts {
        refuse!(
            b,
            "target has shape {:?}, expected {ts:?} for input {sx:?}",
            b.shape(t)
        );
    }
    if b.const_data(t).is_none() {
        return Err(b
            .unsupported("a target computed at run time (only constant labels)")
            .into());
    }
    let target = const_ints(b, t, "target")?;
    let ignore = Attrs(node).int("ignore_index");
    // Class of each target element, `None` where ignored.
    let mut class = Vec::with_capacity(target.len());
    for &v in &target {
        if Some(v) == ignore {
            class.push(None);
            continue;
        }
        let c = usize::try_from(v)
            .ok()
            .filter(|&c| c < classes)
            .ok_or_else(|| b.err(format!("target {v} is not a class in 0..{classes}")))?;
        class.push(Some(c));
    }
    let inner = numel(&sx[2..]);
    // picked[n, d…] = x[n, class, d…]
    let picked = move_by(b, vec![x], ts.clone(), 0.0, |o| {
        let j = flat(&ts, o);
        let c = class.get(j).copied().flatten()?;
        Some((j / inner.max(1) * classes + c) * inner.max(1) + j % inner.max(1))
    })?;
    let weights = match opt_input(b, node, 2)? {
        Some(w) => {
            if b.shape(w) != [classes] {
                refuse!(b, "weight has shape {:?}, expected [{classes}]", b.shape(w));
            }
            Some(move_by(b, vec![w], ts.clone(), 0.0, |o| {
                class.get(flat(&ts, o)).copied().flatten()
            })?)
        }
        None if class.iter().any(Option::is_none) => {
            let mask = class
                .iter()
                .map(|c| if c.is_some() { 1.0 } else { 0.0 })
                .collect();
            let name = format!("{}_mask", b.node_name());
            Some(b.constant(&name, ts.clone(), mask))
        }
        None => None,
    };
    let weighted = match weights {
        Some(w) => mul(b, picked, w)?,
        None => picked,
    };
    let loss = b.scale(weighted, -1.0);
    let all: Vec<i64> = (0..ts.len())
        .map(|a| i64::try_from(a).unwrap_or(i64::MAX))
        .collect();
    match reduction(b, node)? {
        Reduction::None => Ok(loss),
        Reduction::Sum => Ok(b.reduce(loss, ReduceKind::Sum, &all, false)?),
        Reduction::Mean => {
            let total = b.reduce(loss, ReduceKind::Sum, &all, false)?;
            match weights {
                Some(w) => {
                    let wsum = b.reduce(w, ReduceKind::Sum, &all, false)?;
                    if b.const_data(wsum).is_some_and(|v| v.contains(&0.0)) {
                        return Err(b
                            .err("mean over targets whose weights sum to 0 (every target ignored)")
                            .into());
                    }
                    Ok(super::elementwise::div(b, total, wsum)?)
                }
                None => {
                    #[allow(clippy::cast_precision_loss)]
                    let n = class.len() as f64;
                    Ok(b.scale(total, 1.0 / n))
                }
            }
        }
    }
}

//! Softmax, the normalizations, the reductions (in [`reduce`]), `ArgMax`/`ArgMin` (in
//! [`argmax`]) and `TopK` (in [`topk`]).
//!
//! As docs/quantization.md lays out: `Softmax = ReduceMax, Sub, Exp table, ReduceSum, Div`;
//! a normalization is `ReduceSum, Sub (with the 1/N as the operand's factor), Mul, ReduceSum,
//! rsqrt table, Mul`, the table's function carrying `1/N` and epsilon ([`Func::RsqrtEps`]) so
//! that neither becomes a tiny constant to quantize. `BatchNormalization` folds to one per-channel `Mul` and `Add`.

mod argmax;
mod reduce;
mod topk;

use tract_onnx::pb::NodeProto;
use verinfer_ir::shape::numel;
use verinfer_ir::{BinaryKind, ReduceKind};
use verinfer_quant::builder::Builder;
use verinfer_quant::fgraph::FRef;
use verinfer_quant::func::Func;

use crate::attrs::{input, opt_input, Attrs};
use crate::error::OnnxError;
use crate::lower::elementwise::{add, mul, new_const, sub};
use crate::lower::Lowered;

/// Op types lowered here.
pub const OPS: &[&str] = &[
    "ArgMax",
    "ArgMin",
    "BatchNormalization",
    "GroupNormalization",
    "Hardmax",
    "InstanceNormalization",
    "LayerNormalization",
    "LogSoftmax",
    "LpNormalization",
    "MeanVarianceNormalization",
    "RMSNormalization",
    "ReduceL1",
    "ReduceL2",
    "ReduceLogSum",
    "ReduceLogSumExp",
    "ReduceMax",
    "ReduceMean",
    "ReduceMin",
    "ReduceProd",
    "ReduceSum",
    "ReduceSumSquare",
    "Softmax",
    "TopK",
];

/// Lower `node` if this file owns its op type.
pub fn lower(b: &mut Builder, node: &NodeProto, opset: i64) -> Lowered {
    let r = match node.op_type.as_str() {
        "Softmax" => softmax(b, node, opset, false),
        "LogSoftmax" => softmax(b, node, opset, true),
        "LayerNormalization" => return Some(layer_norm(b, node)),
        "TopK" => return Some(topk::topk(b, node, opset)),
        "RMSNormalization" => rms_norm(b, node),
        "BatchNormalization" => batch_norm(b, node, opset),
        "InstanceNormalization" => instance_norm(b, node),
        "GroupNormalization" => group_norm(b, node, opset),
        "MeanVarianceNormalization" => mvn(b, node),
        "LpNormalization" => lp_norm(b, node),
        "ArgMax" => argmax::arg_extremum(b, node, false),
        "ArgMin" => argmax::arg_extremum(b, node, true),
        "Hardmax" => argmax::hardmax(b, node, opset),
        other => return reduce::lower(b, node, opset, other),
    };
    Some(r.map(|y| vec![y]))
}

/// Axes `from..rank` of `x` (ONNX's "coerce to 2-D at axis").
fn axes_from(b: &Builder, x: FRef, axis: i64) -> Result<Vec<i64>, OnnxError> {
    let rank = b.shape(x).len();
    if rank == 0 {
        return Err(b.err("needs a tensor of rank ≥ 1, got a scalar").into());
    }
    let a = b.axis(axis, rank)?;
    Ok((a..rank).filter_map(|i| i64::try_from(i).ok()).collect())
}

/// Number of elements over `axes` (normalized) of `x`.
fn count(b: &Builder, x: FRef, axes: &[i64]) -> Result<usize, OnnxError> {
    let shape = b.shape(x);
    let ax = b.axes(axes, shape.len())?;
    let mut ax = ax;
    ax.sort_unstable();
    ax.dedup();
    Ok(ax
        .iter()
        .map(|&a| shape.get(a).copied().unwrap_or(1))
        .product())
}

/// `Softmax`: `e = exp(x − max)`, `e / Σe`; `LogSoftmax`: `(x − max) − ln Σe`. Opset < 13
/// reduces over every axis from `axis` (default 1) on, later opsets over `axis` (default −1).
fn softmax(b: &mut Builder, node: &NodeProto, opset: i64, log: bool) -> Result<FRef, OnnxError> {
    let x = input(b, node, 0)?;
    let at = Attrs(node);
    let axes = if opset < 13 {
        axes_from(b, x, at.int_or("axis", 1))?
    } else {
        let rank = b.shape(x).len();
        if rank == 0 {
            return Err(b.err("needs a tensor of rank ≥ 1, got a scalar").into());
        }
        let a = b.axis(at.int_or("axis", -1), rank)?;
        vec![i64::try_from(a).map_err(|_| b.err("axis out of range"))?]
    };
    if count(b, x, &axes)? == 0 {
        return Ok(x);
    }
    softmax_over(b, x, &axes, log)
}

/// Softmax (or log-softmax) of `x` over `axes`: `e^(x − max) / Σ e^(x − max)`.
///
/// # Errors
/// Axes out of range.
pub(crate) fn softmax_over(
    b: &mut Builder,
    x: FRef,
    axes: &[i64],
    log: bool,
) -> Result<FRef, OnnxError> {
    // An additive mask (`−1e4`, `finfo.min`, `−∞` added or selected in): the scores without
    // it, and a 0/1 factor that zeroes the masked weights exactly (`verinfer_quant::mask`).
    let rank = b.shape(x).len();
    let masked = if log {
        None
    } else {
        let ax = b.axes(axes, rank)?;
        b.additive_mask(x, &ax)?
    };
    let x = masked.map_or(x, |m| m.scores);
    let m = b.reduce(x, ReduceKind::Max, axes, true)?;
    let d = b.binary(BinaryKind::Sub, x, m)?;
    let mut e = b.func(d, Func::Exp);
    if let Some(keep) = masked.and_then(|m| m.keep) {
        e = b.binary(BinaryKind::Mul, e, keep)?;
    }
    let s = b.reduce(e, ReduceKind::Sum, axes, true)?;
    if log {
        let ls = b.func(s, Func::Log);
        Ok(b.binary(BinaryKind::Sub, d, ls)?)
    } else {
        Ok(b.div(e, s)?)
    }
}

/// What [`normalize`] computes.
struct Normalized {
    /// `(x − mean) / √(var + eps)`.
    y: FRef,
    /// `Σx` over the axes (kept as size 1).
    sum: FRef,
    /// `1/√(var + eps)`.
    inv_std: FRef,
    /// Number of elements normalized together.
    n: usize,
}

/// `(x − mean)·rsqrt(var + eps)` over `axes` (kept): `ReduceSum`, `Sub` with factor `1/N` on
/// the sum, `Mul`, `ReduceSum`, `Lookup(RsqrtEps{1/N, eps})`, `Mul`.
fn normalize(b: &mut Builder, x: FRef, axes: &[i64], eps: f64) -> Result<Normalized, OnnxError> {
    let n = count(b, x, axes)?;
    if n == 0 {
        return Err(b.err("normalizes over an empty set of elements").into());
    }
    #[allow(clippy::cast_precision_loss)]
    let inv_n = 1.0 / n as f64;
    let sum = b.reduce(x, ReduceKind::Sum, axes, true)?;
    let d = b.binary_f(BinaryKind::Sub, x, 1.0, sum, inv_n)?;
    let d2 = b.binary(BinaryKind::Mul, d, d)?;
    let ss = b.reduce(d2, ReduceKind::Sum, axes, true)?;
    let inv_std = b.func(ss, Func::RsqrtEps { scale: inv_n, eps });
    let y = b.binary(BinaryKind::Mul, d, inv_std)?;
    Ok(Normalized { y, sum, inv_std, n })
}

/// `t` of shape `[C]` (or `[C, ...]`) reshaped to broadcast over `[N, C, D...]` of rank `rank`.
fn per_channel(b: &mut Builder, t: FRef, rank: usize, what: &str) -> Result<FRef, OnnxError> {
    let s = b.shape(t);
    if s.len() != 1 {
        return Ok(t);
    }
    if rank < 2 {
        return Err(b.err(format!("{what} needs an input of rank ≥ 2")).into());
    }
    let mut shape = s;
    shape.extend(std::iter::repeat_n(1, rank - 2));
    Ok(b.reshape(t, shape)?)
}

/// Whether the node asks for output `k` (present and named).
fn wants_output(node: &NodeProto, k: usize) -> bool {
    node.output.get(k).is_some_and(|s| !s.is_empty())
}

/// `LayerNormalization`: normalize over every axis from `axis` (default −1) on, then `·scale`,
/// `+bias`. Outputs `Mean` and `InvStdDev` are given when asked for.
fn layer_norm(b: &mut Builder, node: &NodeProto) -> Result<Vec<FRef>, OnnxError> {
    let x = input(b, node, 0)?;
    let at = Attrs(node);
    let axes = axes_from(b, x, at.int_or("axis", -1))?;
    let eps = at.float_or("epsilon", 1e-5);
    let nm = normalize(b, x, &axes, eps)?;
    let mut y = nm.y;
    if let Some(g) = opt_input(b, node, 1)? {
        y = mul(b, y, g)?;
    }
    if let Some(beta) = opt_input(b, node, 2)? {
        y = add(b, y, beta)?;
    }
    let mut outs = vec![y];
    if wants_output(node, 1) {
        #[allow(clippy::cast_precision_loss)]
        let mean = b.scale(nm.sum, 1.0 / nm.n as f64);
        outs.push(mean);
    }
    if wants_output(node, 2) {
        outs.resize(2, y);
        outs.push(nm.inv_std);
    }
    Ok(outs)
}

/// `RMSNormalization` (opset 23): `x · rsqrt(mean(x²) + eps) · scale` over axes from `axis`.
fn rms_norm(b: &mut Builder, node: &NodeProto) -> Result<FRef, OnnxError> {
    let x = input(b, node, 0)?;
    let at = Attrs(node);
    let axes = axes_from(b, x, at.int_or("axis", -1))?;
    let eps = at.float_or("epsilon", 1e-5);
    let n = count(b, x, &axes)?;
    if n == 0 {
        return Err(b.err("normalizes over an empty set of elements").into());
    }
    let x2 = b.binary(BinaryKind::Mul, x, x)?;
    let ss = b.reduce(x2, ReduceKind::Sum, &axes, true)?;
    #[allow(clippy::cast_precision_loss)]
    let r = b.func(
        ss,
        Func::RsqrtEps {
            scale: 1.0 / n as f64,
            eps,
        },
    );
    let y = b.binary(BinaryKind::Mul, x, r)?;
    match opt_input(b, node, 1)? {
        Some(g) => mul(b, y, g),
        None => Ok(y),
    }
}

/// `BatchNormalization` (inference): `x·a + c` with `a = scale / √(var + eps)` and
/// `c = B − mean·a` per channel. With constant statistics (every real model) `a` and `c` fold
/// to two constants shaped `[C, 1, …]`: one `Mul` and one `Add`.
fn batch_norm(b: &mut Builder, node: &NodeProto, opset: i64) -> Result<FRef, OnnxError> {
    let at = Attrs(node);
    if at.int_or("training_mode", 0) != 0 {
        return Err(b.unsupported("training_mode = 1").into());
    }
    if (1..5).any(|k| wants_output(node, k)) {
        return Err(b
            .unsupported("outputs other than Y (running or saved statistics)")
            .into());
    }
    let x = input(b, node, 0)?;
    let scale = input(b, node, 1)?;
    let bias = input(b, node, 2)?;
    let mean = input(b, node, 3)?;
    let var = input(b, node, 4)?;
    let eps = at.float_or("epsilon", 1e-5);
    let rank = b.shape(x).len();
    if rank < 2 {
        refuse!(b, "X must be [N, C, ...], got {:?}", b.shape(x));
    }
    let spatial = opset >= 9 || at.int_or("spatial", 1) != 0;
    let inv = b.func(var, Func::RsqrtEps { scale: 1.0, eps });
    let a = mul(b, scale, inv)?;
    let ma = mul(b, mean, a)?;
    let c = sub(b, bias, ma)?;
    let (a, c) = if spatial {
        (
            per_channel(b, a, rank, "BatchNormalization")?,
            per_channel(b, c, rank, "BatchNormalization")?,
        )
    } else {
        (a, c)
    };
    let y = mul(b, x, a)?;
    let y = add(b, y, c)?;
    if b.shape(y) != b.shape(x) {
        refuse!(
            b,
            "statistics of shape {:?} do not match X {:?}",
            b.shape(scale),
            b.shape(x)
        );
    }
    Ok(y)
}

/// `InstanceNormalization`: normalize each `[n, c]` over the spatial axes, then per-channel
/// `·scale + B`.
fn instance_norm(b: &mut Builder, node: &NodeProto) -> Result<FRef, OnnxError> {
    let x = input(b, node, 0)?;
    let scale = input(b, node, 1)?;
    let bias = input(b, node, 2)?;
    let eps = Attrs(node).float_or("epsilon", 1e-5);
    let rank = b.shape(x).len();
    if rank < 3 {
        refuse!(b, "X must be [N, C, D1, ...], got {:?}", b.shape(x));
    }
    let axes: Vec<i64> = (2..rank).filter_map(|i| i64::try_from(i).ok()).collect();
    let nm = normalize(b, x, &axes, eps)?;
    let g = per_channel(b, scale, rank, "InstanceNormalization")?;
    let beta = per_channel(b, bias, rank, "InstanceNormalization")?;
    let y = mul(b, nm.y, g)?;
    add(b, y, beta)
}

/// `GroupNormalization`: `[N, C, D…]` viewed as `[N, G, C/G·ΠD]`, normalized over the last
/// axis, viewed back, then per-channel `·scale + bias` (opset 18 gives them per group).
fn group_norm(b: &mut Builder, node: &NodeProto, opset: i64) -> Result<FRef, OnnxError> {
    let x = input(b, node, 0)?;
    let scale = input(b, node, 1)?;
    let bias = input(b, node, 2)?;
    let at = Attrs(node);
    let eps = at.float_or("epsilon", 1e-5);
    let g = at
        .int("num_groups")
        .and_then(|g| usize::try_from(g).ok())
        .filter(|&g| g > 0)
        .ok_or_else(|| b.err("num_groups must be a positive integer"))?;
    let shape = b.shape(x);
    let (n, c) = match shape[..] {
        [n, c, ..] if c % g == 0 => (n, c),
        _ => {
            return Err(b
                .err(format!(
                    "X {shape:?} is not [N, C, ...] with C divisible by num_groups = {g}"
                ))
                .into())
        }
    };
    let rest = numel(shape.get(2..).unwrap_or(&[]));
    let xg = b.reshape(x, vec![n, g, c / g * rest])?;
    let nm = normalize(b, xg, &[2], eps)?;
    let per_group = opset < 21 && b.shape(scale) == [g] && g != c;
    let y = if per_group {
        let sg = b.reshape(scale, vec![g, 1])?;
        let bg = b.reshape(bias, vec![g, 1])?;
        let y = mul(b, nm.y, sg)?;
        let y = add(b, y, bg)?;
        b.reshape(y, shape.clone())?
    } else {
        let y = b.reshape(nm.y, shape.clone())?;
        let sc = per_channel(b, scale, shape.len(), "GroupNormalization")?;
        let bc = per_channel(b, bias, shape.len(), "GroupNormalization")?;
        let y = mul(b, y, sc)?;
        add(b, y, bc)?
    };
    if b.shape(y) != shape {
        refuse!(
            b,
            "scale/bias of shape {:?} do not match X {shape:?}",
            b.shape(scale)
        );
    }
    Ok(y)
}

/// `MeanVarianceNormalization`: `(x − mean) / √var` over `axes` (default `[0, 2, 3]`); the
/// function body's `1e-9` added to the deviation is taken as `1e-18` under the root.
fn mvn(b: &mut Builder, node: &NodeProto) -> Result<FRef, OnnxError> {
    let x = input(b, node, 0)?;
    let axes = Attrs(node).ints("axes").unwrap_or_else(|| vec![0, 2, 3]);
    Ok(normalize(b, x, &axes, 1e-18)?.y)
}

/// `LpNormalization`: `x / ‖x‖_p` along `axis` (default −1): p = 2 is `Div(x, √Σx²)`, p = 1
/// is `Div(x, Σ|x|)` (a zero norm gives 0).
fn lp_norm(b: &mut Builder, node: &NodeProto) -> Result<FRef, OnnxError> {
    let x = input(b, node, 0)?;
    let at = Attrs(node);
    let axis = at.int_or("axis", -1);
    if b.shape(x).is_empty() {
        return Err(b.err("needs a tensor of rank ≥ 1, got a scalar").into());
    }
    match at.int_or("p", 2) {
        2 => {
            let x2 = b.binary(BinaryKind::Mul, x, x)?;
            let ss = b.reduce(x2, ReduceKind::Sum, &[axis], true)?;
            // No epsilon: a rsqrt table would be unbounded near 0, √ is not.
            let norm = b.sqrt(ss);
            Ok(b.div(x, norm)?)
        }
        1 => {
            let a = b.binary_f(BinaryKind::Max, x, 1.0, x, -1.0)?;
            let s = b.reduce(a, ReduceKind::Sum, &[axis], true)?;
            Ok(b.div(x, s)?)
        }
        p => Err(b.unsupported(format!("p = {p} (only 1 and 2)")).into()),
    }
}

/// A constant of `shape` filled with `v`.
fn filled(b: &mut Builder, shape: Vec<usize>, v: f64) -> FRef {
    let n = numel(&shape);
    new_const(b, shape, vec![v; n])
}

#[cfg(test)]
mod tests;

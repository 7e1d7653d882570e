//! `Reduce*` ops: an elementwise part then `ReduceSum`/`ReduceMax`, then a scalar function.
//!
//! `Mean = ΣX · 1/N`, `Min = −max(−x)`, `SumSquare = Σx·x`, `L1 = Σmax(x, −x)`,
//! `L2 = √Σx·x`, `LogSum = ln Σx`, `LogSumExp = ln Σexp(x − m) + m` with `m = max x`,
//! `Prod` = a balanced tree of `Mul`s over the slices of each reduced axis.
//! Axes: attribute, or (`ReduceSum` from opset 13, the others from 18) a constant input; none
//! means every axis, unless `noop_with_empty_axes` is set, when only the elementwise part is
//! applied (a reduction over no axis).

use tract_onnx::pb::NodeProto;
use verinfer_ir::shape::numel;
use verinfer_ir::{BinaryKind, ReduceKind};
use verinfer_quant::builder::Builder;
use verinfer_quant::fgraph::FRef;
use verinfer_quant::func::Func;

use super::filled;
use crate::attrs::{const_ints, input, opt_input, Attrs};
use crate::error::OnnxError;
use crate::lower::recurrent::take;
use crate::lower::Lowered;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Sum,
    Mean,
    Max,
    Min,
    SumSquare,
    L1,
    L2,
    LogSum,
    LogSumExp,
    Prod,
}

/// Lower the reduction `op`, `None` if it is not one.
pub(super) fn lower(b: &mut Builder, node: &NodeProto, opset: i64, op: &str) -> Lowered {
    let kind = match op {
        "ReduceSum" => Kind::Sum,
        "ReduceMean" => Kind::Mean,
        "ReduceMax" => Kind::Max,
        "ReduceMin" => Kind::Min,
        "ReduceSumSquare" => Kind::SumSquare,
        "ReduceL1" => Kind::L1,
        "ReduceL2" => Kind::L2,
        "ReduceLogSum" => Kind::LogSum,
        "ReduceLogSumExp" => Kind::LogSumExp,
        "ReduceProd" => Kind::Prod,
        _ => return None,
    };
    Some(reduce_node(b, node, opset, kind).map(|y| vec![y]))
}

/// The reduced axes (sorted, distinct; empty: reduce nothing).
fn reduced_axes(
    b: &Builder,
    node: &NodeProto,
    opset: i64,
    kind: Kind,
    rank: usize,
) -> Result<Vec<usize>, OnnxError> {
    let at = Attrs(node);
    let input_since = if kind == Kind::Sum { 13 } else { 18 };
    let axes = match opt_input(b, node, 1)? {
        // An empty axes tensor needs no values, even when it is a run-time input.
        Some(r) if opset >= input_since && numel(&b.shape(r)) == 0 => None,
        Some(r) if opset >= input_since => Some(const_ints(b, r, "axes")?),
        Some(_) => {
            return Err(b
                .err(format!(
                    "axes as an input needs opset ≥ {input_since}, the model has {opset}"
                ))
                .into())
        }
        None => at.ints("axes"),
    };
    let mut axes = match axes.filter(|a| !a.is_empty()) {
        Some(a) => b.axes(&a, rank)?,
        None if at.int_or("noop_with_empty_axes", 0) != 0 => vec![],
        None => (0..rank).collect(),
    };
    axes.sort_unstable();
    axes.dedup();
    Ok(axes)
}

fn reduce_node(
    b: &mut Builder,
    node: &NodeProto,
    opset: i64,
    kind: Kind,
) -> Result<FRef, OnnxError> {
    let x = input(b, node, 0)?;
    let keep = Attrs(node).int_or("keepdims", 1) != 0;
    let shape = b.shape(x);
    let axes = reduced_axes(b, node, opset, kind, shape.len())?;
    // A scalar has no axis to reduce: only the elementwise part applies.
    if axes.is_empty() || shape.is_empty() {
        return elementwise_part(b, x, kind);
    }
    let n: usize = axes
        .iter()
        .map(|&a| shape.get(a).copied().unwrap_or(1))
        .product();
    if n == 0 {
        let out = verinfer_ir::ops::reduce::reduced_shape(&shape, &axes, keep);
        let v = match kind {
            Kind::Sum | Kind::SumSquare | Kind::L1 | Kind::L2 => 0.0,
            Kind::Mean => f64::NAN,
            Kind::Max | Kind::LogSum | Kind::LogSumExp => f64::NEG_INFINITY,
            Kind::Min => f64::INFINITY,
            Kind::Prod => 1.0,
        };
        return Ok(filled(b, out, v));
    }
    let ax: Vec<i64> = axes.iter().filter_map(|&a| i64::try_from(a).ok()).collect();
    let sum = |b: &mut Builder, t: FRef| b.reduce(t, ReduceKind::Sum, &ax, keep);
    Ok(match kind {
        Kind::Sum => sum(b, x)?,
        Kind::Mean => {
            let s = sum(b, x)?;
            #[allow(clippy::cast_precision_loss)]
            let f = 1.0 / n as f64;
            b.scale(s, f)
        }
        Kind::Max => b.reduce(x, ReduceKind::Max, &ax, keep)?,
        Kind::Min => {
            let nx = b.scale(x, -1.0);
            let m = b.reduce(nx, ReduceKind::Max, &ax, keep)?;
            b.scale(m, -1.0)
        }
        Kind::SumSquare | Kind::L1 | Kind::L2 | Kind::LogSum => {
            let e = match kind {
                Kind::L2 => elementwise_part(b, x, Kind::SumSquare)?,
                Kind::LogSum => x,
                _ => elementwise_part(b, x, kind)?,
            };
            let s = sum(b, e)?;
            match kind {
                Kind::L2 => b.sqrt(s),
                Kind::LogSum => b.func(s, Func::Log),
                _ => s,
            }
        }
        Kind::Prod => {
            let mut t = x;
            for &a in &axes {
                let d = b.shape(t).get(a).copied().unwrap_or(1);
                let mut parts = (0..d)
                    .map(|k| take(b, t, a, k, 1))
                    .collect::<Result<Vec<_>, _>>()?;
                while parts.len() > 1 {
                    let mut next = Vec::with_capacity(parts.len().div_ceil(2));
                    for pair in parts.chunks(2) {
                        next.push(match pair {
                            [p, q] => b.binary(BinaryKind::Mul, *p, *q)?,
                            _ => pair[0],
                        });
                    }
                    parts = next;
                }
                t = parts[0];
            }
            let out = verinfer_ir::ops::reduce::reduced_shape(&shape, &axes, keep);
            b.reshape(t, out)?
        }
        Kind::LogSumExp => {
            let m = b.reduce(x, ReduceKind::Max, &ax, true)?;
            let d = b.binary(BinaryKind::Sub, x, m)?;
            let e = b.func(d, Func::Exp);
            let s = sum(b, e)?;
            let l = b.func(s, Func::Log);
            let m = b.reshape(m, b.shape(l))?;
            b.binary(BinaryKind::Add, l, m)?
        }
    })
}

/// What each element contributes before the sum (for no reduced axis, the whole op).
fn elementwise_part(b: &mut Builder, x: FRef, kind: Kind) -> Result<FRef, OnnxError> {
    Ok(match kind {
        Kind::Sum | Kind::Mean | Kind::Max | Kind::Min | Kind::LogSumExp | Kind::Prod => x,
        Kind::SumSquare => b.binary(BinaryKind::Mul, x, x)?,
        Kind::L1 | Kind::L2 => b.binary_f(BinaryKind::Max, x, 1.0, x, -1.0)?,
        Kind::LogSum => b.func(x, Func::Log),
    })
}

//! Activations and other one-input elementwise ops.
//!
//! Piecewise-linear functions are exact combinations of `Max`/`Min` with factors (no table):
//! `Relu = max(x, 0)`, `LeakyRelu = max(x, αx)` (α ≤ 1, else `min`), `Abs = max(x, −x)`,
//! `Neg = −1·x`, `Clip`, `HardSigmoid = min(max(αx + β, 0), 1)`, `PRelu`, soft `Shrink`.
//! Genuinely non-linear scalar functions are a `Lookup` of a [`Func`].

use tract_onnx::pb::NodeProto;
use verinfer_ir::BinaryKind;
use verinfer_quant::builder::Builder;
use verinfer_quant::fgraph::FRef;
use verinfer_quant::func::Func;

use super::{add, bshape, const_uniform, is_integer, mul, sub};
use crate::attrs::{input, opt_input, Attrs};
use crate::error::OnnxError;
use crate::lower::Lowered;

/// ONNX's default `Selu` α (an `f32` value, exact in `f64`).
const SELU_ALPHA: f64 = 1.673_263_192_176_818_8;
/// ONNX's default `Selu` γ (an `f32` value, exact in `f64`).
const SELU_GAMMA: f64 = 1.050_701_022_148_132_3;

/// Lower the one-input elementwise op `op`, `None` if it is not one of them.
pub(super) fn lower(b: &mut Builder, node: &NodeProto, opset: i64, op: &str) -> Lowered {
    let r = match op {
        "Neg" => unary(b, node, |b, x| Ok(b.scale(x, -1.0))),
        // The exact integer root (`ISqrt`), not a table: no table error, any input range.
        "Sqrt" => unary(b, node, |b, x| Ok(b.sqrt(x))),
        // x·σ(αx) = silu(αx)/α: one table whatever α.
        "Swish" => {
            let alpha = Attrs(node).float_or("alpha", 1.0);
            if alpha == 0.0 {
                Err(b.err("alpha = 0").into())
            } else {
                unary(b, node, |b, x| {
                    let ax = b.scale(x, alpha);
                    let s = b.func(ax, Func::Silu);
                    Ok(b.scale(s, 1.0 / alpha))
                })
            }
        }
        "Abs" => unary(b, node, |b, x| {
            Ok(b.binary_f(BinaryKind::Max, x, 1.0, x, -1.0)?)
        }),
        "Relu" => unary(b, node, |b, x| {
            let z = b.scalar(0.0);
            Ok(b.binary(BinaryKind::Max, x, z)?)
        }),
        "LeakyRelu" => {
            let alpha = Attrs(node).float_or("alpha", 0.01);
            unary(b, node, |b, x| leaky(b, x, alpha))
        }
        "PRelu" => prelu(b, node),
        "Clip" => clip(b, node, opset),
        "HardSigmoid" => {
            let at = Attrs(node);
            let (alpha, beta) = (at.float_or("alpha", 0.2), at.float_or("beta", 0.5));
            unary(b, node, |b, x| hard_sigmoid(b, x, alpha, beta))
        }
        "Shrink" => {
            let at = Attrs(node);
            let (lambd, bias) = (at.float_or("lambd", 0.5), at.float_or("bias", 0.0));
            unary(b, node, |b, x| shrink(b, x, lambd, bias))
        }
        "Gelu" => match Attrs(node).string("approximate").as_deref() {
            None | Some("none") => table(b, node, Func::Gelu),
            Some("tanh") => table(b, node, Func::GeluTanh),
            Some(other) => Err(b
                .unsupported(format!("approximate = '{other}' (only 'none' and 'tanh')"))
                .into()),
        },
        "Celu" => {
            let alpha = Attrs(node).float_or("alpha", 1.0);
            if alpha == 0.0 {
                Err(b.err("alpha = 0").into())
            } else {
                table(b, node, Func::Celu { alpha })
            }
        }
        other => {
            let f = table_func(node, other)?;
            table(b, node, f)
        }
    };
    Some(r.map(|y| vec![y]))
}

/// The table of a one-input op with no lowering but its table.
fn table_func(node: &NodeProto, op: &str) -> Option<Func> {
    let at = Attrs(node);
    Some(match op {
        "Sigmoid" => Func::Sigmoid,
        "Tanh" => Func::Tanh,
        "Exp" => Func::Exp,
        "Log" => Func::Log,
        "Erf" => Func::Erf,
        "Reciprocal" => Func::Reciprocal,
        "Softplus" => Func::Softplus,
        "Softsign" => Func::Softsign,
        "HardSwish" => Func::HardSwish,
        "Mish" => Func::Mish,
        "Elu" => Func::Elu {
            alpha: at.float_or("alpha", 1.0),
        },
        "Selu" => Func::Selu {
            alpha: at.float_or("alpha", SELU_ALPHA),
            gamma: at.float_or("gamma", SELU_GAMMA),
        },
        "ThresholdedRelu" => Func::ThresholdedRelu {
            alpha: at.float_or("alpha", 1.0),
        },
        "Sin" => Func::Sin,
        "Cos" => Func::Cos,
        "Tan" => Func::Tan,
        "Asin" => Func::Asin,
        "Acos" => Func::Acos,
        "Atan" => Func::Atan,
        "Sinh" => Func::Sinh,
        "Cosh" => Func::Cosh,
        "Asinh" => Func::Asinh,
        "Acosh" => Func::Acosh,
        "Atanh" => Func::Atanh,
        "Sign" => Func::Sign,
        "Floor" => Func::Floor,
        "Ceil" => Func::Ceil,
        "Round" => Func::Round,
        _ => return None,
    })
}

fn unary(
    b: &mut Builder,
    node: &NodeProto,
    f: impl FnOnce(&mut Builder, FRef) -> Result<FRef, OnnxError>,
) -> Result<FRef, OnnxError> {
    let x = input(b, node, 0)?;
    f(b, x)
}

fn table(b: &mut Builder, node: &NodeProto, f: Func) -> Result<FRef, OnnxError> {
    let x = input(b, node, 0)?;
    if is_integer(b, x) {
        return match f {
            Func::Floor | Func::Ceil | Func::Round => Ok(x),
            Func::Sign => Ok(b.func(x, f)),
            _ => Err(b
                .unsupported(format!("{} of an integer tensor", f.name()))
                .into()),
        };
    }
    Ok(b.func(x, f))
}

/// `max(x, αx)` for α ≤ 1, `min(x, αx)` for α > 1.
fn leaky(b: &mut Builder, x: FRef, alpha: f64) -> Result<FRef, OnnxError> {
    if alpha == 1.0 {
        return Ok(x);
    }
    let kind = if alpha <= 1.0 {
        BinaryKind::Max
    } else {
        BinaryKind::Min
    };
    Ok(b.binary_f(kind, x, 1.0, x, alpha)?)
}

/// `max(x, s·x)` when every constant slope is ≤ 1 (`min` when every one is ≥ 1), else
/// `max(x, 0) + s·min(x, 0)`.
fn prelu(b: &mut Builder, node: &NodeProto) -> Result<FRef, OnnxError> {
    let x = input(b, node, 0)?;
    let s = input(b, node, 1)?;
    let out = bshape(b, x, s)?;
    if out != b.shape(x) {
        refuse!(
            b,
            "slope of shape {:?} does not broadcast to X {:?}",
            b.shape(s),
            b.shape(x)
        );
    }
    if let Some(a) = const_uniform(b, s) {
        return leaky(b, x, a);
    }
    if let Some(d) = b.const_data(s) {
        let kind = if d.iter().all(|&v| v <= 1.0) {
            Some(BinaryKind::Max)
        } else if d.iter().all(|&v| v >= 1.0) {
            Some(BinaryKind::Min)
        } else {
            None
        };
        if let Some(kind) = kind {
            let xs = mul(b, x, s)?;
            return Ok(b.binary(kind, x, xs)?);
        }
    }
    let z = b.scalar(0.0);
    let pos = b.binary(BinaryKind::Max, x, z)?;
    let neg = b.binary(BinaryKind::Min, x, z)?;
    let sn = mul(b, neg, s)?;
    add(b, pos, sn)
}

/// `min(max(x, lo), hi)`; bounds from attributes before opset 11, from optional inputs after
/// (run-time bounds are fine: `Max`/`Min` take two tensors).
///
/// A constant bound that no value can cross — `±∞` or beyond `f32`'s range on its side, as
/// audio front-ends export `Clip(min=1e-10, max=+inf)` before a `Log` — is no bound at all and
/// is left out: kept, it would be one more operand whose range calibration and quantization
/// must reason about, for a clamp that never acts.
fn clip(b: &mut Builder, node: &NodeProto, opset: i64) -> Result<FRef, OnnxError> {
    let x = input(b, node, 0)?;
    let (lo, hi) = if opset < 11 {
        let at = Attrs(node);
        let finite = |v: Option<f64>| v.filter(|v| v.abs() < f64::from(f32::MAX));
        let lo = finite(at.float("min")).map(|v| b.scalar(v));
        let hi = finite(at.float("max")).map(|v| b.scalar(v));
        (lo, hi)
    } else {
        let lo = opt_input(b, node, 1)?.filter(|&c| !vacuous_bound(b, c, -1.0));
        let hi = opt_input(b, node, 2)?.filter(|&c| !vacuous_bound(b, c, 1.0));
        (lo, hi)
    };
    let mut y = x;
    for (bound, kind) in [(lo, BinaryKind::Max), (hi, BinaryKind::Min)] {
        if let Some(c) = bound {
            if !b.shape(c).iter().all(|&d| d == 1) {
                refuse!(b, "Clip bound of shape {:?} is not a scalar", b.shape(c));
            }
            y = b.binary(kind, y, c)?;
        }
    }
    Ok(y)
}

/// Whether `c` is a constant bound on the `side` (−1: lower, +1: upper) that nothing can cross:
/// every value infinite or at least `f32::MAX` in magnitude, on that side (NaN is no bound
/// either: a comparison with it never clamps).
fn vacuous_bound(b: &Builder, c: FRef, side: f64) -> bool {
    b.const_data(c).is_some_and(|d| {
        !d.is_empty()
            && d.iter()
                .all(|&v| v.is_nan() || v * side >= f64::from(f32::MAX))
    })
}

/// `min(max(αx + β, 0), 1)`: exact, no table.
fn hard_sigmoid(b: &mut Builder, x: FRef, alpha: f64, beta: f64) -> Result<FRef, OnnxError> {
    let t = if beta == 0.0 {
        b.scale(x, alpha)
    } else {
        let c = b.scalar(beta);
        b.binary_f(BinaryKind::Add, x, alpha, c, 1.0)?
    };
    let (zero, one) = (b.scalar(0.0), b.scalar(1.0));
    let t = b.binary(BinaryKind::Max, t, zero)?;
    Ok(b.binary(BinaryKind::Min, t, one)?)
}

/// Soft shrink (`bias = lambd`) is `x − clip(x, −λ, λ)`, exact; any other `Shrink` jumps at
/// ±λ and is a table.
fn shrink(b: &mut Builder, x: FRef, lambd: f64, bias: f64) -> Result<FRef, OnnxError> {
    if lambd < 0.0 {
        return Err(b.err(format!("lambd = {lambd} < 0")).into());
    }
    if bias != lambd {
        if is_integer(b, x) {
            return Err(b.unsupported("Shrink of an integer tensor").into());
        }
        return Ok(b.func(x, Func::Shrink { lambd, bias }));
    }
    let (lo, hi) = (b.scalar(-lambd), b.scalar(lambd));
    let c = b.binary(BinaryKind::Max, x, lo)?;
    let c = b.binary(BinaryKind::Min, c, hi)?;
    sub(b, x, c)
}

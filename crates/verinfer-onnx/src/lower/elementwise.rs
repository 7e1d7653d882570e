//! Elementwise ONNX ops: arithmetic (`Add`, `Sub`, `Mul`, `Div`, `Pow`), variadic `Sum`,
//! `Mean`, `Max`, `Min`, `Mod` of constants (in [`modulo`]), and the activations (in
//! [`activation`]).
//!
//! Lowering is quantization-friendly: constant factors fold into constants or into a binary
//! op's factors (a division by a constant is a multiplication by its reciprocal, a scalar
//! constant factor is a `Scale`), and a table is used only for genuinely non-linear scalar
//! functions. Every run-time `Div` stays the `Div` primitive (exact rounded division).

mod activation;
mod intdiv;
mod modulo;

pub(crate) use modulo::truncate;

use tract_onnx::pb::NodeProto;
use verinfer_ir::shape::{broadcast, numel};
use verinfer_ir::BinaryKind;
use verinfer_quant::builder::Builder;
use verinfer_quant::fgraph::FRef;
use verinfer_quant::func::Func;

use crate::attrs::{input, Attrs};
use crate::error::OnnxError;
use crate::lower::Lowered;

/// Op types lowered here.
pub const OPS: &[&str] = &[
    "Abs",
    "Acos",
    "Acosh",
    "Add",
    "Asin",
    "Asinh",
    "Atan",
    "Atanh",
    "Ceil",
    "Celu",
    "Clip",
    "Cos",
    "Cosh",
    "Div",
    "Elu",
    "Erf",
    "Exp",
    "Floor",
    "Gelu",
    "HardSigmoid",
    "HardSwish",
    "LeakyRelu",
    "Log",
    "Max",
    "Mean",
    "Min",
    "Mish",
    "Mod",
    "Mul",
    "Neg",
    "PRelu",
    "Pow",
    "Reciprocal",
    "Relu",
    "Round",
    "Selu",
    "Shrink",
    "Sigmoid",
    "Sign",
    "Sin",
    "Sinh",
    "Softplus",
    "Softsign",
    "Sqrt",
    "Sub",
    "Swish",
    "Sum",
    "Tan",
    "Tanh",
    "ThresholdedRelu",
];

/// Lower `node` if this file owns its op type.
pub fn lower(b: &mut Builder, node: &NodeProto, opset: i64) -> Lowered {
    let r = match node.op_type.as_str() {
        "Add" => arith(b, node, opset, BinaryKind::Add),
        "Sub" => arith(b, node, opset, BinaryKind::Sub),
        "Mul" => arith(b, node, opset, BinaryKind::Mul),
        "Div" => div_node(b, node, opset),
        "Pow" => pow_node(b, node),
        "Mod" => modulo::modulo(b, node),
        "Sum" => variadic(b, node, BinaryKind::Add, false),
        "Mean" => variadic(b, node, BinaryKind::Add, true),
        "Max" => variadic(b, node, BinaryKind::Max, false),
        "Min" => variadic(b, node, BinaryKind::Min, false),
        other => return activation::lower(b, node, opset, other),
    };
    Some(r.map(|y| vec![y]))
}

/// Whether `r` is a graph input of integer type (the only tensors whose integer-ness the
/// float graph records).
#[must_use]
pub fn is_integer(b: &Builder, r: FRef) -> bool {
    match r {
        FRef::Input(i) => b.g.inputs.get(i).is_some_and(|x| x.integer),
        FRef::Node(_) | FRef::Const(_) => false,
    }
}

/// The value of `r` when it is a constant with exactly one element.
#[must_use]
pub fn const_scalar(b: &Builder, r: FRef) -> Option<f64> {
    match b.const_data(r) {
        Some(&[v]) => Some(v),
        _ => None,
    }
}

/// The value shared by every element of constant `r`, if it is one value repeated.
#[must_use]
pub fn const_uniform(b: &Builder, r: FRef) -> Option<f64> {
    let d = b.const_data(r)?;
    let first = *d.first()?;
    d.iter()
        .all(|&v| v.to_bits() == first.to_bits())
        .then_some(first)
}

/// A new constant named after the node being lowered (as [`Builder::scalar`] names them).
pub fn new_const(b: &mut Builder, shape: Vec<usize>, data: Vec<f64>) -> FRef {
    let r = b.scalar(0.0);
    if let FRef::Const(i) = r {
        if let Some(c) = b.g.consts.get_mut(i) {
            c.shape = shape;
            c.data = data;
        }
    }
    r
}

/// Broadcast shape of `x` and `y`, or the builder's error.
///
/// # Errors
/// When the shapes do not broadcast.
pub fn bshape(b: &Builder, x: FRef, y: FRef) -> Result<Vec<usize>, OnnxError> {
    let (sx, sy) = (b.shape(x), b.shape(y));
    Ok(broadcast(&sx, &sy)
        .ok_or_else(|| b.err(format!("shapes {sx:?} and {sy:?} do not broadcast")))?)
}

/// `Some(c)` when `c` is a one-element constant that broadcasting against `x` does not change
/// the shape of `x`: the product `x·c` is then a plain `Scale`.
fn scalar_factor(b: &Builder, x: FRef, c: FRef) -> Option<f64> {
    let v = const_scalar(b, c)?;
    (b.const_data(x).is_none()
        && broadcast(&b.shape(x), &b.shape(c)).as_deref() == Some(&b.shape(x)[..]))
    .then_some(v)
}

/// `x · y`: a `Scale` when one side is a one-element constant, nothing for a constant of ones
/// that changes no shape, else a broadcasting `Mul`.
///
/// # Errors
/// When the shapes do not broadcast.
pub fn mul(b: &mut Builder, x: FRef, y: FRef) -> Result<FRef, OnnxError> {
    let out = bshape(b, x, y)?;
    for (v, c) in [(x, y), (y, x)] {
        if b.shape(v) == out && const_uniform(b, c) == Some(1.0) {
            return Ok(v);
        }
        if let Some(f) = scalar_factor(b, v, c) {
            return Ok(b.scale(v, f));
        }
    }
    Ok(b.binary(BinaryKind::Mul, x, y)?)
}

/// `x + y`, skipping a constant of zeros that changes no shape.
///
/// # Errors
/// When the shapes do not broadcast.
pub fn add(b: &mut Builder, x: FRef, y: FRef) -> Result<FRef, OnnxError> {
    let out = bshape(b, x, y)?;
    for (v, c) in [(x, y), (y, x)] {
        if b.shape(v) == out && const_uniform(b, c) == Some(0.0) {
            return Ok(v);
        }
    }
    Ok(b.binary(BinaryKind::Add, x, y)?)
}

/// `x − y`, skipping a constant `y` of zeros that changes no shape.
///
/// # Errors
/// When the shapes do not broadcast.
pub fn sub(b: &mut Builder, x: FRef, y: FRef) -> Result<FRef, OnnxError> {
    let out = bshape(b, x, y)?;
    if b.shape(x) == out && const_uniform(b, y) == Some(0.0) {
        return Ok(x);
    }
    Ok(b.binary(BinaryKind::Sub, x, y)?)
}

/// `x / y`: by a constant it is a product with the reciprocal constant (a `Scale` for a
/// one-element divisor); between run-time tensors it is the `Div` primitive.
///
/// # Errors
/// Shapes that do not broadcast; an integer division (truncating, not representable); a run-time
/// tensor divided by a constant holding 0 (±∞ is not representable).
pub fn div(b: &mut Builder, x: FRef, y: FRef) -> Result<FRef, OnnxError> {
    if b.is_integer_const(x) && b.is_integer_const(y) {
        // Shape arithmetic: folds with ONNX integer division (truncation).
        return Ok(b.div(x, y)?);
    }
    if intdiv::is_runtime_int_pair(b, x, y) {
        return intdiv::trunc_div(b, x, y);
    }
    if is_integer(b, x) || is_integer(b, y) {
        return Err(b
            .unsupported("integer division (it truncates; only real division is supported)")
            .into());
    }
    if b.const_data(x).is_some() && b.const_data(y).is_some() {
        return Ok(b.div(x, y)?);
    }
    let Some(d) = b.const_data(y).map(<[f64]>::to_vec) else {
        return Ok(b.div(x, y)?);
    };
    if d.contains(&0.0) {
        return Err(b
            .unsupported("division by a constant that contains 0")
            .into());
    }
    // Folds to a constant (named after the node) since `y` is constant.
    let r = b.func(y, Func::Reciprocal);
    mul(b, x, r)
}

/// Opset < 7 `broadcast=1, axis=k`: `y` aligns with `x` starting at axis `k`; reshaped here
/// with trailing ones so numpy broadcasting gives the same result.
fn legacy_broadcast(
    b: &mut Builder,
    node: &NodeProto,
    opset: i64,
    x: FRef,
    y: FRef,
) -> Result<FRef, OnnxError> {
    let at = Attrs(node);
    if opset >= 7 || at.int_or("broadcast", 0) == 0 {
        return Ok(y);
    }
    let Some(axis) = at.int("axis") else {
        return Ok(y);
    };
    let (sx, sy) = (b.shape(x), b.shape(y));
    let axis = b.axis(axis, sx.len())?;
    let trailing = sx.len().checked_sub(axis + sy.len()).ok_or_else(|| {
        b.err(format!(
            "legacy broadcast of {sy:?} at axis {axis} does not fit {sx:?}"
        ))
    })?;
    let mut shape = sy;
    shape.extend(std::iter::repeat_n(1, trailing));
    Ok(b.reshape(y, shape)?)
}

fn arith(
    b: &mut Builder,
    node: &NodeProto,
    opset: i64,
    kind: BinaryKind,
) -> Result<FRef, OnnxError> {
    let x = input(b, node, 0)?;
    let y = input(b, node, 1)?;
    let y = legacy_broadcast(b, node, opset, x, y)?;
    match kind {
        BinaryKind::Add => add(b, x, y),
        BinaryKind::Sub => sub(b, x, y),
        BinaryKind::Mul => mul(b, x, y),
        BinaryKind::Max | BinaryKind::Min => Ok(b.binary(kind, x, y)?),
    }
}

fn div_node(b: &mut Builder, node: &NodeProto, opset: i64) -> Result<FRef, OnnxError> {
    let x = input(b, node, 0)?;
    let y = input(b, node, 1)?;
    let y = legacy_broadcast(b, node, opset, x, y)?;
    div(b, x, y)
}

/// `Sum`, `Mean`, `Max`, `Min` of any number of broadcasting inputs. Constants go first so they
/// fold into one; `Mean`'s `1/n` rides on the binary ops' factors (no extra node).
fn variadic(
    b: &mut Builder,
    node: &NodeProto,
    kind: BinaryKind,
    mean: bool,
) -> Result<FRef, OnnxError> {
    let mut ins = Vec::with_capacity(node.input.len());
    for name in node.input.iter().filter(|n| !n.is_empty()) {
        ins.push(b.get(name)?);
    }
    ins.sort_by_key(|r| !matches!(r, FRef::Const(_)));
    #[allow(clippy::cast_precision_loss)]
    let f = if mean { 1.0 / ins.len() as f64 } else { 1.0 };
    let mut it = ins.into_iter();
    let first = it.next().ok_or_else(|| b.err("needs at least one input"))?;
    let Some(second) = it.next() else {
        return Ok(b.scale(first, f));
    };
    let mut acc = if f == 1.0 && kind == BinaryKind::Add {
        add(b, first, second)?
    } else {
        b.binary_f(kind, first, f, second, f)?
    };
    for x in it {
        acc = if f == 1.0 && kind == BinaryKind::Add {
            add(b, acc, x)?
        } else {
            b.binary_f(kind, acc, 1.0, x, f)?
        };
    }
    Ok(acc)
}

/// `x^y` with a constant exponent (uniform over the tensor, or a few distinct values): 1 is `x`, 0 is ones, 2..4 are
/// exact products, ½, −½ and −1 are the `Sqrt`, `Rsqrt` and `Reciprocal` tables, anything else
/// the `Pow` table. A constant positive scalar base with a run-time exponent is `exp(y·ln c)`.
fn pow_node(b: &mut Builder, node: &NodeProto) -> Result<FRef, OnnxError> {
    let x = input(b, node, 0)?;
    let y = input(b, node, 1)?;
    let out = bshape(b, x, y)?;
    if b.const_data(x).is_some() && b.const_data(y).is_some() {
        let (sx, sy) = (b.shape(x), b.shape(y));
        let (dx, dy) = (
            b.const_data(x).unwrap_or(&[]).to_vec(),
            b.const_data(y).unwrap_or(&[]).to_vec(),
        );
        let data = (0..numel(&out))
            .map(|j| {
                let xv = dx
                    .get(verinfer_ir::ops::binary::broadcast_index(&sx, &out, j))
                    .copied()
                    .unwrap_or(0.0);
                let yv = dy
                    .get(verinfer_ir::ops::binary::broadcast_index(&sy, &out, j))
                    .copied()
                    .unwrap_or(0.0);
                xv.powf(yv)
            })
            .collect();
        return Ok(new_const(b, out, data));
    }
    if b.const_data(y).is_none() {
        return match const_scalar(b, x) {
            Some(c) if c > 0.0 && out == b.shape(y) => {
                let t = b.scale(y, c.ln());
                Ok(b.func(t, Func::Exp))
            }
            _ => Err(b.unsupported(
                "a run-time exponent (only constant exponents, or a constant positive scalar base)",
            ).into()),
        };
    }
    if out != b.shape(x) {
        return Err(b
            .unsupported(format!(
                "an exponent of shape {:?} that broadcasts the base {:?} to {out:?}",
                b.shape(y),
                b.shape(x)
            ))
            .into());
    }
    if let Some(p) = const_uniform(b, y) {
        return pow_const(b, x, p);
    }
    // A constant exponent that differs between elements (few distinct values, as in
    // `x^[4, 5, 6]`): `Σ_p [y = p] · x^p`, one power per distinct exponent, selected by
    // constant 0/1 masks.
    let (sy, dy) = (b.shape(y), b.const_data(y).unwrap_or(&[]).to_vec());
    let ys: Vec<f64> = (0..numel(&out))
        .map(|j| {
            dy.get(verinfer_ir::ops::binary::broadcast_index(&sy, &out, j))
                .copied()
                .unwrap_or(0.0)
        })
        .collect();
    let mut distinct = ys.clone();
    distinct.sort_by(f64::total_cmp);
    distinct.dedup();
    if distinct.len() > MAX_DISTINCT_EXPONENTS {
        return Err(b
            .unsupported(format!(
                "an exponent with {} distinct values (at most {MAX_DISTINCT_EXPONENTS})",
                distinct.len()
            ))
            .into());
    }
    let mut sum: Option<FRef> = None;
    for p in distinct {
        let xp = pow_const(b, x, p)?;
        let mask = ys.iter().map(|&v| f64::from(u8::from(v == p))).collect();
        let mask = new_const(b, out.clone(), mask);
        let term = mul(b, xp, mask)?;
        sum = Some(match sum {
            Some(acc) => add(b, acc, term)?,
            None => term,
        });
    }
    sum.ok_or_else(|| b.err("Pow with an empty exponent").into())
}

/// Most distinct values of a per-element constant exponent (one power table each).
const MAX_DISTINCT_EXPONENTS: usize = 8;

/// `x^p` for a constant `p` (see [`pow_node`]).
fn pow_const(b: &mut Builder, x: FRef, p: f64) -> Result<FRef, OnnxError> {
    let out = b.shape(x);
    if is_integer(b, x) && (p.fract() != 0.0 || p < 0.0) {
        return Err(b
            .unsupported("a non-natural exponent of an integer base")
            .into());
    }
    Ok(match p {
        1.0 => x,
        0.0 => {
            let n = numel(&out);
            new_const(b, out, vec![1.0; n])
        }
        2.0 => b.binary(BinaryKind::Mul, x, x)?,
        3.0 => {
            let x2 = b.binary(BinaryKind::Mul, x, x)?;
            b.binary(BinaryKind::Mul, x2, x)?
        }
        4.0 => {
            let x2 = b.binary(BinaryKind::Mul, x, x)?;
            b.binary(BinaryKind::Mul, x2, x2)?
        }
        0.5 => b.sqrt(x),
        -0.5 => b.func(x, Func::Rsqrt),
        -1.0 => b.func(x, Func::Reciprocal),
        p => b.func(x, Func::Pow { p }),
    })
}

#[cfg(test)]
pub(crate) mod tests;

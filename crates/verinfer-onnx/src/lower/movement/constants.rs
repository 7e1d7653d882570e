//! Ops whose result is known when lowering (`Shape`, `Size`, `ConstantOfShape`, `Range`,
//! `Constant`), and the value-preserving ones (`Cast`, `Dropout` at inference).

use tract_onnx::pb::NodeProto;
use verinfer_ir::shape::numel;
use verinfer_quant::builder::Builder;
use verinfer_quant::fgraph::{FOp, FRef};

use super::{check_size, to_dim, to_i64};
use crate::attrs::{const_ints, input, opt_input, Attrs};
use crate::error::OnnxError;
use crate::import::tensor_values;
use crate::lower::boolean::holds_upstream;

/// Name for a constant produced by `node`: its first output's name.
fn out_name(node: &NodeProto) -> String {
    node.output
        .first()
        .cloned()
        .unwrap_or_else(|| format!("{}/const", node.op_type))
}

#[allow(clippy::cast_precision_loss)]
fn real(v: usize) -> f64 {
    v as f64
}

pub(super) fn shape(b: &mut Builder, node: &NodeProto) -> Result<FRef, OnnxError> {
    let x = input(b, node, 0)?;
    let s = b.shape(x);
    let at = Attrs(node);
    let r = to_i64(s.len());
    let norm = |v: i64| usize::try_from(if v < 0 { v + r } else { v }.clamp(0, r)).unwrap_or(0);
    let start = norm(at.int_or("start", 0));
    let end = norm(at.int_or("end", r));
    let dims: Vec<f64> = s
        .get(start..end.max(start))
        .unwrap_or(&[])
        .iter()
        .map(|&d| real(d))
        .collect();
    Ok(b.typed_constant(&out_name(node), vec![dims.len()], dims, true))
}

pub(super) fn size(b: &mut Builder, node: &NodeProto) -> Result<FRef, OnnxError> {
    let x = input(b, node, 0)?;
    let n = numel(&b.shape(x));
    Ok(b.typed_constant(&out_name(node), vec![], vec![real(n)], true))
}

pub(super) fn constant_of_shape(b: &mut Builder, node: &NodeProto) -> Result<FRef, OnnxError> {
    let s = input(b, node, 0)?;
    let dims: Vec<usize> = const_ints(b, s, "shape")?
        .iter()
        .map(|&d| to_dim(b, d, "shape entry"))
        .collect::<Result<_, _>>()?;
    let n = check_size(b, &dims)?;
    let (v, integer) = match Attrs(node).tensor("value") {
        Some(t) => {
            let (_, d, integer) = tensor_values(t, None)?;
            match d[..] {
                [v] => (v, integer),
                _ => return Err(b.err("value must hold exactly one element").into()),
            }
        }
        None => (0.0, false),
    };
    Ok(b.typed_constant(&out_name(node), dims, vec![v; n], integer))
}

/// One value from a constant single-element input.
fn const_scalar(b: &Builder, node: &NodeProto, k: usize, what: &str) -> Result<f64, OnnxError> {
    let r = input(b, node, k)?;
    match b.require_const(r, what)?[..] {
        [v] => Ok(v),
        _ => Err(b.err(format!("{what} must hold one value")).into()),
    }
}

pub(super) fn range(b: &mut Builder, node: &NodeProto) -> Result<FRef, OnnxError> {
    let start = const_scalar(b, node, 0, "start")?;
    let limit = const_scalar(b, node, 1, "limit")?;
    let delta = const_scalar(b, node, 2, "delta")?;
    let n = ((limit - start) / delta).ceil().max(0.0);
    if delta == 0.0 || !n.is_finite() || n > real(super::MAX_ELEMS) {
        refuse!(
            b,
            "range({start}, {limit}, {delta}) is empty-stepped or too long"
        );
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let n = n as usize;
    let data: Vec<f64> = (0..n).map(|i| start + real(i) * delta).collect();
    let integer = [0, 1, 2]
        .iter()
        .all(|&k| input(b, node, k).is_ok_and(|r| b.is_integer_const(r)));
    Ok(b.typed_constant(&out_name(node), vec![n], data, integer))
}

pub(super) fn constant(b: &mut Builder, node: &NodeProto) -> Result<FRef, OnnxError> {
    let at = Attrs(node);
    #[allow(clippy::cast_precision_loss)]
    let (shape, data, integer) = if let Some(t) = at.tensor("value") {
        tensor_values(t, None)?
    } else if let Some(f) = at.floats("value_floats") {
        (vec![f.len()], f, false)
    } else if let Some(v) = at.ints("value_ints") {
        (vec![v.len()], v.iter().map(|&i| i as f64).collect(), true)
    } else if at.has("value_float") {
        (vec![], vec![at.float_or("value_float", 0.0)], false)
    } else if let Some(i) = at.int("value_int") {
        (vec![], vec![i as f64], true)
    } else if let Some(a) = node.attribute.first() {
        return Err(b.unsupported(format!("attribute '{}'", a.name)).into());
    } else {
        return Err(b.err("no value attribute").into());
    };
    if numel(&shape) != data.len() {
        refuse!(b, "value of shape {shape:?} holds {} elements", data.len());
    }
    Ok(b.typed_constant(&out_name(node), shape, data, integer))
}

/// `v` rounded to the nearest IEEE half-precision value (ties to even; ±∞ beyond the range).
fn round_f16(v: f64) -> f64 {
    if !v.is_finite() || v == 0.0 {
        return v;
    }
    let a = v.abs();
    if a >= 65520.0 {
        return f64::INFINITY.copysign(v);
    }
    // Unbiased binary exponent of `a` (a normal f64 here), floored at half's smallest normal.
    #[allow(clippy::cast_possible_truncation, clippy::cast_possible_wrap)]
    let e = (((a.to_bits() >> 52) & 0x7ff) as i32 - 1023).max(-14);
    let q = 2f64.powi(e - 10);
    ((a / q).round_ties_even() * q).copysign(v)
}

/// `v` rounded to the nearest bfloat16 value (through f32, ties to even).
fn round_bf16(v: f64) -> f64 {
    #[allow(clippy::cast_possible_truncation)]
    let f = v as f32;
    if !f.is_finite() {
        return f64::from(f);
    }
    let bits = f.to_bits();
    let lsb = (bits >> 16) & 1;
    let r = bits.wrapping_add(0x7fff + lsb) & 0xffff_0000;
    f64::from(f32::from_bits(r))
}

/// Whether every value `r` can take is an integer: integer graph inputs, integral constants,
/// and data movement, gathers, max/sum reductions and integral-factor elementwise ops of such.
fn is_integer(b: &Builder, r: FRef) -> bool {
    holds_upstream(r, |r, stack| match r {
        FRef::Input(i) => b.g.inputs.get(i).is_some_and(|s| s.integer),
        FRef::Const(_) => b
            .const_data(r)
            .is_some_and(|d| d.iter().all(|v| v.fract() == 0.0)),
        FRef::Node(i) => match b.g.nodes.get(i) {
            Some(n) => {
                let inputs = match &n.op {
                    FOp::Move { fill, .. } if fill.fract() == 0.0 => &n.inputs[..],
                    FOp::Gather { .. } => n.inputs.get(..1).unwrap_or(&[]),
                    FOp::Reduce { .. } => &n.inputs[..],
                    FOp::Binary {
                        a_factor, b_factor, ..
                    } if a_factor.fract() == 0.0 && b_factor.fract() == 0.0 => &n.inputs[..],
                    _ => return false,
                };
                stack.extend(inputs);
                true
            }
            None => false,
        },
    })
}

pub(super) fn cast(b: &mut Builder, node: &NodeProto) -> Result<FRef, OnnxError> {
    let x = input(b, node, 0)?;
    let to = Attrs(node)
        .int("to")
        .ok_or_else(|| b.err("missing attribute 'to'"))?;
    let data = b.const_data(x).map(<[f64]>::to_vec);
    // FLOAT=1, UINT8=2, INT8=3, UINT16=4, INT16=5, INT32=6, INT64=7, BOOL=9, FLOAT16=10,
    // DOUBLE=11, UINT32=12, UINT64=13, BFLOAT16=16.
    let conv: fn(f64) -> f64 = match to {
        #[allow(clippy::cast_possible_truncation)]
        1 => |v| f64::from(v as f32),
        10 => round_f16,
        16 => round_bf16,
        11 => |v| v,
        2..=7 | 12 | 13 => |v| if v.is_finite() { v.trunc() } else { 0.0 },
        9 => |v| if v != 0.0 { 1.0 } else { 0.0 },
        other => {
            return Err(b
                .unsupported(format!("cast to element type {other}"))
                .into())
        }
    };
    let Some(d) = data else {
        return match to {
            1 | 10 | 11 | 16 => Ok(x),
            _ if is_integer(b, x) && to != 9 => Ok(x),
            // A comparison result (0/1) cast to bool or an integer type keeps its values.
            _ if crate::lower::boolean::is_boolean(b, x) => Ok(x),
            // Real to a signed integer type truncates toward zero (onnxruntime's C cast).
            3 | 5 | 6 | 7 => crate::lower::elementwise::truncate(b, x),
            _ => Err(b.unsupported(
                "casting a run-time tensor that may hold non-integers to an integer or bool type",
            ).into()),
        };
    };
    let s = b.shape(x);
    let integer = matches!(to, 2..=7 | 9 | 12 | 13);
    Ok(b.typed_constant(
        &out_name(node),
        s,
        d.into_iter().map(conv).collect(),
        integer,
    ))
}

pub(super) fn dropout(b: &mut Builder, node: &NodeProto) -> Result<FRef, OnnxError> {
    if node.output.get(1).is_some_and(|s| !s.is_empty()) {
        return Err(b.unsupported("the mask output").into());
    }
    let x = input(b, node, 0)?;
    let Some(tm) = opt_input(b, node, 2)? else {
        return Ok(x);
    };
    let training = b
        .require_const(tm, "training_mode")?
        .iter()
        .any(|&v| v != 0.0);
    if !training {
        return Ok(x);
    }
    let ratio = match opt_input(b, node, 1)? {
        Some(r) => b.require_const(r, "ratio")?.first().copied().unwrap_or(0.5),
        None => 0.5,
    };
    if ratio == 0.0 {
        Ok(x)
    } else {
        Err(b
            .unsupported("training_mode with a non-zero ratio (random)")
            .into())
    }
}

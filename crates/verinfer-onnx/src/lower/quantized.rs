//! Already-quantized models: `QuantizeLinear`/`DequantizeLinear` (QDQ), `QLinearMatMul`,
//! `QLinearConv`, `MatMulInteger`, `ConvInteger`.
//!
//! Their integers are the model's own, so verinfer does not re-quantize them: every tensor of
//! integers (`q − zero_point`, an integer accumulator, a requantized output) is a node pinned
//! to scale 0 with the bits its type needs ([`Builder::pin_integer`]), and the integer graph
//! computes it exactly. A real factor that is not a power of two (`1/y_scale`,
//! `a_scale·b_scale/y_scale`) becomes a `Rescale` whose epilogue multiplier has 31 significant
//! bits (per-axis factors: a `Mul` by a constant at the working width). Two differences from
//! onnxruntime remain, both documented in docs/quantization.md: the epilogue rounds half up
//! where ONNX rounds half to even (a result can differ by one at an exact tie), and a factor
//! is exact to 2^-30 (relative) per-tensor, to the working width per-axis.
//!
//! The element type of a zero point (`uint8` or `int8`: which clamp applies) is not kept in the
//! float graph, so the importer passes the ONNX element types of named tensors ([`ElemTypes`]).

use std::collections::HashMap;

use tract_onnx::pb::NodeProto;
use verinfer_ir::BinaryKind;
use verinfer_quant::builder::Builder;
use verinfer_quant::fgraph::{FOp, FRef};

use super::conv::conv_refs;
use super::linear::matmul;
use crate::attrs::{input, opt_input, Attrs};
use crate::error::OnnxError;
use crate::lower::Lowered;

/// Op types lowered here (default domain).
pub const OPS: &[&str] = &[
    "ConvInteger",
    "DequantizeLinear",
    "MatMulInteger",
    "QLinearConv",
    "QLinearMatMul",
    "QuantizeLinear",
];

/// ONNX element type (`TensorProto.DataType`) of named tensors: initializers, graph inputs,
/// `Constant` outputs and declared value infos.
pub type ElemTypes = HashMap<String, i32>;

/// ONNX `UINT8`, the default quantized type.
const UINT8: i32 = 2;

/// Lower `node` if it is one of [`OPS`], `None` otherwise.
pub fn lower(b: &mut Builder, node: &NodeProto, types: &ElemTypes) -> Lowered {
    if !(node.domain.is_empty() || node.domain == "ai.onnx") {
        return None;
    }
    let l = Lowering { b, node, types };
    let r = match node.op_type.as_str() {
        "QuantizeLinear" => l.quantize_linear(),
        "DequantizeLinear" => l.dequantize_linear(),
        "QLinearMatMul" => l.qlinear(false),
        "QLinearConv" => l.qlinear(true),
        "MatMulInteger" => l.integer(false),
        "ConvInteger" => l.integer(true),
        _ => return None,
    };
    Some(r.map(|y| vec![y]))
}

/// `[lo, hi]` of an ONNX integer element type.
fn int_range(t: i32) -> Option<(i64, i64)> {
    Some(match t {
        2 => (0, 255),
        3 => (-128, 127),
        4 => (0, 65_535),
        5 => (-32_768, 32_767),
        6 => (i64::from(i32::MIN), i64::from(i32::MAX)),
        21 => (0, 15),
        22 => (-8, 7),
        _ => return None,
    })
}

/// Fewest signed bits holding `[lo, hi]` (2 to 32).
fn bits_for(lo: i64, hi: i64) -> u32 {
    let mut b = 2u32;
    while b < 32 && (lo < -(1i64 << (b - 1)) || hi > (1i64 << (b - 1)) - 1) {
        b += 1;
    }
    b
}

/// Round half to even (ONNX's rounding), for values folded at import.
fn round_even(v: f64) -> f64 {
    let r = v.round();
    if (v - v.trunc()).abs() == 0.5 && r % 2.0 != 0.0 {
        r - v.signum()
    } else {
        r
    }
}

struct Lowering<'a> {
    b: &'a mut Builder,
    node: &'a NodeProto,
    types: &'a ElemTypes,
}

/// Which quantization parameter is read (by its name in messages): a scale must be positive.
#[derive(Clone, Copy, Debug)]
enum Param<'a> {
    Scale(&'a str),
    ZeroPoint(&'a str),
}

impl Param<'_> {
    fn name(&self) -> &str {
        match self {
            Param::Scale(n) | Param::ZeroPoint(n) => n,
        }
    }
}

/// A per-tensor (one value) or per-axis (one per index of `axis`) quantization parameter.
#[derive(Clone, Debug)]
struct PerAxis {
    values: Vec<f64>,
    axis: usize,
}

impl PerAxis {
    fn get(&self, k: usize) -> f64 {
        if self.values.len() == 1 {
            self.values[0]
        } else {
            self.values[k]
        }
    }

    fn uniform(&self) -> Option<f64> {
        let f = *self.values.first()?;
        self.values.iter().all(|&v| v == f).then_some(f)
    }
}

impl Lowering<'_> {
    fn err(&self, what: impl Into<String>) -> OnnxError {
        self.b.err(what).into()
    }

    /// The integer range of element type `ty`, the target of a quantization.
    fn target_range(&self, ty: i32) -> Result<(i64, i64), OnnxError> {
        int_range(ty).ok_or_else(|| {
            self.b
                .unsupported(format!("quantizing to element type {ty}"))
                .into()
        })
    }

    fn elem_type(&self, k: usize) -> Option<i32> {
        let name = self.node.input.get(k)?;
        self.types.get(name).copied()
    }

    /// The range of input `k`'s integer type, or an error naming it.
    fn range_of(&self, k: usize, what: &str) -> Result<(i64, i64), OnnxError> {
        let t = self
            .elem_type(k)
            .ok_or_else(|| self.err(format!("the element type of {what} is unknown")))?;
        int_range(t).ok_or_else(|| {
            self.b
                .unsupported(format!("{what} of element type {t}"))
                .into()
        })
    }

    /// A constant parameter of length 1 or the size of `axis` of a tensor of shape `shape`;
    /// a scale must also be a positive finite number.
    fn per_axis(
        &self,
        r: FRef,
        what: Param<'_>,
        shape: &[usize],
        axis: usize,
    ) -> Result<PerAxis, OnnxError> {
        let name = what.name();
        let values = self.b.require_const(r, name)?;
        let n = shape.get(axis).copied().unwrap_or(1);
        let s = self.b.shape(r);
        if values.len() != 1 && (s.len() != 1 || values.len() != n) {
            return Err(self
                .b
                .unsupported(format!(
                    "{name} of shape {s:?} (per-tensor or per-axis of length {n} only; blocked quantization is not supported)"
                ))
                .into());
        }
        if let Param::Scale(_) = what {
            if let Some(v) = values.iter().find(|v| !(v.is_finite() && **v > 0.0)) {
                return Err(self.err(format!("{name} {v} is not a positive finite number")));
            }
        }
        Ok(PerAxis { values, axis })
    }

    /// `p` as a constant that broadcasts against a tensor of rank `rank`.
    fn broadcast_const(&mut self, p: &PerAxis, rank: usize) -> Result<FRef, OnnxError> {
        let mut shape = vec![1; rank];
        if p.values.len() > 1 {
            shape[p.axis] = p.values.len();
        }
        let name = format!("{}/param{}", self.b.node_name(), self.b.g.consts.len());
        Ok(self.b.constant(&name, shape, p.values.clone()))
    }

    /// `x − zp` as exact integers (`x` of integer type range `xr`); the zero point may be
    /// absent, constant (per-tensor or per-axis) or, in `MatMulInteger`, computed.
    fn centered(
        &mut self,
        x: FRef,
        zp: Option<FRef>,
        xr: (i64, i64),
        axis: usize,
    ) -> Result<FRef, OnnxError> {
        let Some(zp) = zp else {
            return Ok(x);
        };
        let shape = self.b.shape(x);
        let rank = shape.len();
        let zpb = if self.b.const_data(zp).is_some() {
            let p = self.per_axis(zp, Param::ZeroPoint("zero point"), &shape, axis)?;
            if p.values.iter().all(|&v| v == 0.0) {
                return Ok(x);
            }
            // `x` is `t + zp` from our own QuantizeLinear: `t` is what is wanted.
            if let FRef::Node(i) = x {
                let n = &self.b.g.nodes[i];
                if let (FOp::Binary { kind, .. }, [t, FRef::Const(_)]) = (&n.op, &n.inputs[..]) {
                    let t = *t;
                    if *kind == BinaryKind::Add
                        && self.b.const_data(n.inputs[1]).is_some_and(|d| {
                            d.len() == p.values.len()
                                && d.iter().zip(&p.values).all(|(a, b)| a == b)
                        })
                    {
                        return Ok(t);
                    }
                }
            }
            self.broadcast_const(&p, rank)?
        } else if self.b.shape(zp).iter().product::<usize>() == 1 || rank == 0 {
            zp
        } else if axis < rank {
            let mut s = vec![1; rank];
            s[axis] = self.b.shape(zp).iter().product();
            self.b.reshape(zp, s)?
        } else {
            return Err(self.err(format!(
                "zero point of shape {:?} for a tensor of shape {shape:?}",
                self.b.shape(zp)
            )));
        };
        let t = self.b.binary(BinaryKind::Sub, x, zpb)?;
        let (lo, hi) = xr;
        self.b.pin_integer(t, bits_for(lo - hi, hi - lo));
        if let Some(d) = self.b.const_data(t) {
            let d = d.to_vec();
            let name = format!("{}/centered{}", self.b.node_name(), self.b.g.consts.len());
            return Ok(self.b.exact_constant(&name, shape, d, 0));
        }
        Ok(t)
    }

    /// `clamp(round(x · f), lo − zp, hi − zp) + zp` into element type `ty`, `f` per-tensor or
    /// per-axis of `x`: every step an exact integer node.
    fn requantize(
        &mut self,
        x: FRef,
        f: &PerAxis,
        zp: Option<&PerAxis>,
        ty: i32,
    ) -> Result<FRef, OnnxError> {
        let (qlo, qhi) = self.target_range(ty)?;
        let shape = self.b.shape(x);
        let rank = shape.len();
        let zero = PerAxis {
            values: vec![0.0],
            axis: 0,
        };
        let zp = zp.unwrap_or(&zero);
        #[allow(clippy::cast_possible_truncation)]
        let zps: Vec<i64> = zp.values.iter().map(|&v| v as i64).collect();
        let (zmin, zmax) = (
            zps.iter().copied().min().unwrap_or(0),
            zps.iter().copied().max().unwrap_or(0),
        );
        if let Some(d) = self.b.const_data(x) {
            // Folded at import, with ONNX's rounding.
            let d = d.to_vec();
            let mut idx = vec![0usize; rank];
            let mut out = Vec::with_capacity(d.len());
            for v in d {
                let at = |a: usize| idx.get(a).copied().unwrap_or(0);
                let (fk, zk) = (f.get(at(f.axis)), zp.get(at(zp.axis)));
                #[allow(clippy::cast_precision_loss)]
                out.push((round_even(v * fk) + zk).clamp(qlo as f64, qhi as f64));
                for a in (0..rank).rev() {
                    idx[a] += 1;
                    if idx[a] < shape[a] {
                        break;
                    }
                    idx[a] = 0;
                }
            }
            let name = format!("{}/q{}", self.b.node_name(), self.b.g.consts.len());
            return Ok(self.b.exact_constant(&name, shape, out, 0));
        }
        let (lo, hi) = (qlo - zmax, qhi - zmin);
        let bits = bits_for(lo, hi);
        let r = self.times(x, f, rank)?;
        self.b.pin_integer(r, bits);
        let mut t = r;
        // The pinned bits saturate at their own edges: a clamp there is already done.
        let full = (-(1i64 << (bits - 1)), (1i64 << (bits - 1)) - 1);
        #[allow(clippy::cast_precision_loss)]
        for (kind, bound, at_edge) in [
            (BinaryKind::Max, qlo, zmin == zmax && qlo - zmin == full.0),
            (BinaryKind::Min, qhi, zmin == zmax && qhi - zmin == full.1),
        ] {
            if at_edge {
                continue;
            }
            let p = PerAxis {
                values: zp.values.iter().map(|&z| bound as f64 - z).collect(),
                axis: zp.axis,
            };
            let c = self.broadcast_const(&p, rank)?;
            t = self.b.binary(kind, t, c)?;
            self.b.pin_integer(t, bits);
        }
        if zmin == 0 && zmax == 0 {
            return Ok(t);
        }
        let c = self.broadcast_const(zp, rank)?;
        let y = self.b.binary(BinaryKind::Add, t, c)?;
        self.b.pin_integer(y, bits_for(qlo, qhi));
        Ok(y)
    }

    /// The operands of `QuantizeLinear` and `DequantizeLinear` (x, scale, optional zero
    /// point) and the axis their per-axis parameters run along.
    #[allow(clippy::type_complexity)]
    fn linear_operands(
        &mut self,
    ) -> Result<(FRef, FRef, Option<FRef>, Vec<usize>, usize), OnnxError> {
        let (node, at) = (self.node, Attrs(self.node));
        if at.int_or("block_size", 0) != 0 {
            return Err(self
                .b
                .unsupported("blocked quantization (block_size)")
                .into());
        }
        let x = input(self.b, node, 0)?;
        let s = input(self.b, node, 1)?;
        let zp = opt_input(self.b, node, 2)?;
        let shape = self.b.shape(x);
        // The axis matters only for per-axis parameters (the default 1 does not exist in a
        // rank-1 tensor quantized per tensor).
        let axis = match self.b.axis(at.int_or("axis", 1), shape.len()) {
            Ok(a) => a,
            Err(_) if self.b.shape(s).iter().product::<usize>() == 1 => 0,
            Err(e) => return Err(e.into()),
        };
        Ok((x, s, zp, shape, axis))
    }

    fn quantize_linear(mut self) -> Result<FRef, OnnxError> {
        let at = Attrs(self.node);
        let (x, s, zp, shape, axis) = self.linear_operands()?;
        let ty = match zp {
            Some(_) => self
                .elem_type(2)
                .ok_or_else(|| self.err("the element type of y_zero_point is unknown"))?,
            None => i32::try_from(at.int_or("output_dtype", 0))
                .ok()
                .filter(|&t| t != 0)
                .unwrap_or(UINT8),
        };
        let sc = self.per_axis(s, Param::Scale("y_scale"), &shape, axis)?;
        let inv = PerAxis {
            values: sc.values.iter().map(|v| 1.0 / v).collect(),
            axis,
        };
        let zpa = zp
            .map(|z| self.per_axis(z, Param::ZeroPoint("y_zero_point"), &shape, axis))
            .transpose()?;
        self.requantize(x, &inv, zpa.as_ref(), ty)
    }

    fn dequantize_linear(mut self) -> Result<FRef, OnnxError> {
        let (x, s, zp, shape, axis) = self.linear_operands()?;
        let xr = self.range_of(0, "x")?;
        let sc = self.per_axis(s, Param::Scale("x_scale"), &shape, axis)?;
        let t = self.centered(x, zp, xr, axis)?;
        self.times(t, &sc, shape.len())
    }

    /// `x` times the per-axis factor `f` (a plain scale when it is uniform).
    fn times(&mut self, x: FRef, f: &PerAxis, rank: usize) -> Result<FRef, OnnxError> {
        Ok(match f.uniform() {
            Some(v) => self.b.scale(x, v),
            None => {
                let c = self.broadcast_const(f, rank)?;
                self.b.binary(BinaryKind::Mul, x, c)?
            }
        })
    }

    /// Pins every node made by `f` (an integer contraction and its reshapes) as exact 32-bit
    /// integers.
    fn exact<T>(
        &mut self,
        f: impl FnOnce(&mut Builder) -> Result<T, OnnxError>,
    ) -> Result<T, OnnxError> {
        let start = self.b.g.nodes.len();
        let r = f(self.b)?;
        for i in start..self.b.g.nodes.len() {
            self.b.pin_integer(FRef::Node(i), 32);
        }
        Ok(r)
    }

    /// `Σ (x − x_zp)(w − w_zp)` as exact integers: a matmul, or a convolution with the
    /// node's attributes (bias: input `bias_slot`, already at the accumulator's scale).
    fn accumulate(
        &mut self,
        conv: bool,
        (xk, zxk): (usize, usize),
        (wk, zwk): (usize, usize),
        bias_slot: Option<usize>,
    ) -> Result<FRef, OnnxError> {
        let node = self.node;
        let x = input(self.b, node, xk)?;
        let w = input(self.b, node, wk)?;
        let zx = opt_input(self.b, node, zxk)?;
        let zw = opt_input(self.b, node, zwk)?;
        let (sx, sw) = (self.b.shape(x), self.b.shape(w));
        if sx.is_empty() || sw.is_empty() {
            return Err(self.err("operands must have rank ≥ 1"));
        }
        let (xr, wr) = (self.range_of(xk, "x")?, self.range_of(wk, "w")?);
        // A's zero point is per-tensor or per-row (MatMulInteger), W's per output channel:
        // axis 0 of a convolution's W, the last axis of a matmul's.
        let x_axis = if conv { 1 } else { sx.len().saturating_sub(2) };
        let w_axis = if conv { 0 } else { sw.len() - 1 };
        let tx = self.centered(x, zx, xr, x_axis)?;
        let tw = self.centered(w, zw, wr, w_axis)?;
        let bias = match bias_slot {
            Some(k) => opt_input(self.b, node, k)?,
            None => None,
        };
        self.exact(|b| {
            if conv {
                conv_refs(b, node, tx, tw, bias)
            } else {
                matmul(b, tx, tw)
            }
        })
    }

    /// `MatMulInteger`/`ConvInteger`: the `int32` accumulator itself.
    fn integer(mut self, conv: bool) -> Result<FRef, OnnxError> {
        self.accumulate(conv, (0, 2), (1, 3), None)
    }

    /// `QLinearMatMul`/`QLinearConv`: the accumulator rescaled by `x_scale·w_scale/y_scale`
    /// into `y_zero_point`'s type.
    fn qlinear(mut self, conv: bool) -> Result<FRef, OnnxError> {
        let node = self.node;
        let acc = self.accumulate(conv, (0, 2), (3, 5), conv.then_some(8))?;
        let out = self.b.shape(acc);
        let sw = self.b.shape(input(self.b, node, 3)?);
        let w_axis = if conv { 0 } else { sw.len() - 1 };
        let out_axis = if conv { 1 } else { out.len() - 1 };
        let xs = input(self.b, node, 1)?;
        let xs = self.per_axis(xs, Param::Scale("x_scale"), &[], 0)?;
        let ws = input(self.b, node, 4)?;
        let ws = self.per_axis(ws, Param::Scale("w_scale"), &sw, w_axis)?;
        let ys = input(self.b, node, 6)?;
        let ys = self.per_axis(ys, Param::Scale("y_scale"), &[], 0)?;
        let f = PerAxis {
            values: ws
                .values
                .iter()
                .map(|w| xs.values[0] * w / ys.values[0])
                .collect(),
            axis: out_axis,
        };
        let zy = opt_input(self.b, node, 7)?;
        let ty = match zy {
            Some(_) => self
                .elem_type(7)
                .ok_or_else(|| self.err("the element type of y_zero_point is unknown"))?,
            None => UINT8,
        };
        match zy {
            Some(z) if self.b.const_data(z).is_none() => self.requantize_runtime_zp(acc, &f, z, ty),
            _ => {
                let zya = zy
                    .map(|z| self.per_axis(z, Param::ZeroPoint("y_zero_point"), &[], 0))
                    .transpose()?;
                self.requantize(acc, &f, zya.as_ref(), ty)
            }
        }
    }

    /// [`Self::requantize`] with a zero point computed at run time (node tests feed it):
    /// `clamp(round(x · f) + zp, lo, hi)`, the clamp after the sum.
    fn requantize_runtime_zp(
        &mut self,
        x: FRef,
        f: &PerAxis,
        zp: FRef,
        ty: i32,
    ) -> Result<FRef, OnnxError> {
        let (qlo, qhi) = self.target_range(ty)?;
        if self.b.shape(zp).iter().product::<usize>() != 1 {
            return Err(self.err("a run-time zero point must be a scalar"));
        }
        let rank = self.b.shape(x).len();
        let bits = bits_for(qlo - qhi, qhi - qlo);
        let r = self.times(x, f, rank)?;
        self.b.pin_integer(r, bits);
        let y = self.b.binary(BinaryKind::Add, r, zp)?;
        self.b.pin_integer(y, bits + 1);
        #[allow(clippy::cast_precision_loss)]
        let (lo, hi) = (self.b.scalar(qlo as f64), self.b.scalar(qhi as f64));
        let y = self.b.binary(BinaryKind::Max, y, lo)?;
        self.b.pin_integer(y, bits + 1);
        let y = self.b.binary(BinaryKind::Min, y, hi)?;
        self.b.pin_integer(y, bits_for(qlo, qhi));
        Ok(y)
    }
}

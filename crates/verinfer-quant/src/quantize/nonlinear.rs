//! Quantizing the non-linear functions: `Sqrt` as the exact integer root (`ISqrt`), every
//! other function as a lookup table over its calibrated input range.

use verinfer_ir::{
    Binary, BinaryKind, Bits, ISqrt, Lookup, Op, Operand, ParamKind, Requant, Scale, Shape,
    TensorInfo, ISQRT_MAX_SHIFT,
};

use super::facts;
use super::Q;
use crate::error::QuantError;
use crate::fixed_point::{best_scale, quantize_value, requant_to, MIN_SCALE};
use crate::func::Func;

/// A one-input node's name, origin and shape, and its input quantized.
pub(super) type Unary = (String, String, Shape, (Operand, TensorInfo));

impl Q<'_> {
    /// Node `i`'s name, origin and shape, and its first input quantized.
    pub(super) fn unary(&mut self, i: usize) -> Result<Unary, QuantError> {
        let fnode = &self.fg.nodes[i];
        let (name, origin, shape) = (
            fnode.name.clone(),
            fnode.origin.clone(),
            Shape(fnode.shape.clone()),
        );
        let input = *fnode
            .inputs
            .first()
            .ok_or_else(|| QuantError::BadData(format!("node '{name}' has no input")))?;
        Ok((name, origin, shape, self.operand(input, None)?))
    }

    /// `sqrt` as the exact integer root. An input `X` of scale `s_x` shifted left by `shift`
    /// has the root `⌊√(X · 2^shift)⌋` of scale `s_r = (s_x + shift) / 2`; `shift` is chosen
    /// (of the parity of `s_x`, in `0..=32`) to make `s_r` the calibrated output scale, so the
    /// root has the output's full precision and the requant is an identity (a shift when the
    /// bound on `shift` forces `s_r` away from it). Error: below one unit of `2^-s_r` from the
    /// floor, plus half the input's relative quantization error (docs/quantization.md).
    pub(super) fn sqrt(
        &mut self,
        i: usize,
        s_stat: i32,
    ) -> Result<(Operand, TensorInfo), QuantError> {
        let (name, origin, shape, x) = self.unary(i)?;
        let s_x = x.1.scale.exponent();
        let max_shift = i32::try_from(ISQRT_MAX_SHIFT).unwrap_or(32);
        let mut shift = (2 * s_stat - s_x).clamp(0, max_shift);
        if (s_x + shift).rem_euclid(2) != 0 {
            // Keep `s_x + shift` even; step towards the admissible range.
            shift += if shift < max_shift { 1 } else { -1 };
        }
        let s_r = (s_x + shift) / 2;
        let bits = self.bits;
        let out = facts(shape, s_stat, bits)?;
        let op = Op::ISqrt(ISqrt {
            shift: u32::try_from(shift).unwrap_or(0),
            requant: requant_to(s_r, s_stat, bits),
        });
        Ok(self.push_node(name, origin, op, vec![x.0], out))
    }

    /// `Step(x)` (`1` for x > 0) exactly, without a table: `max(min(X, 1), 0)` on the
    /// integers `X` of `x` at its own scale, read as a value of scale 0. `x > 0` exactly when
    /// `X > 0`, so a comparison (`a < b` is `Step(b − a)`) is decided on the quantized
    /// difference at full precision, not on a table's coarser grid — a tree's split on a
    /// feature of small range among features of large range stays exact.
    fn step_exact(&mut self, i: usize) -> Result<(Operand, TensorInfo), QuantError> {
        let (name, origin, shape, x) = self.unary(i)?;
        let bits = self.bits;
        let unit = || TensorInfo {
            shape: Shape(vec![]),
            scale: Scale::new(0).unwrap_or(x.1.scale),
            bits: Bits::new(2).unwrap_or(bits),
        };
        let one = self.push_param(format!("{name}/one"), ParamKind::Weight, unit(), vec![1]);
        let zero = self.push_param(format!("{name}/zero"), ParamKind::Weight, unit(), vec![0]);
        let out = facts(shape, 0, bits)?;
        let min = Op::Binary(Binary {
            kind: BinaryKind::Min,
            a_mult: 1,
            b_mult: 1,
            requant: Requant::clamp_only(bits),
        });
        let m = self.push_node(
            format!("{name}/min1"),
            origin.clone(),
            min,
            vec![x.0, Operand::Param(one)],
            out.clone(),
        );
        let max = Op::Binary(Binary {
            kind: BinaryKind::Max,
            a_mult: 1,
            b_mult: 1,
            requant: Requant::clamp_only(bits),
        });
        Ok(self.push_node(name, origin, max, vec![m.0, Operand::Param(zero)], out))
    }

    pub(super) fn lookup(
        &mut self,
        i: usize,
        func: Func,
    ) -> Result<(Operand, TensorInfo), QuantError> {
        if func == Func::Step {
            return self.step_exact(i);
        }
        let fnode = &self.fg.nodes[i];
        let (name, origin, shape) = (
            fnode.name.clone(),
            fnode.origin.clone(),
            Shape(fnode.shape.clone()),
        );
        let xr = fnode.inputs[0];
        let x = self.operand(xr, None)?;
        let r = self.range(xr);
        let (mut lo, mut hi) = if r.is_empty() {
            (-1.0, 1.0)
        } else {
            (r.min, r.max)
        };
        let w = (hi - lo).max(1e-6);
        lo -= 0.05 * w;
        hi += 0.05 * w;
        let t = self.opts.table_bits;
        let n = 1usize << t;
        #[allow(clippy::cast_precision_loss)]
        let s_t = best_scale((hi - lo) / 2.0, t).min(x.1.scale.exponent().max(MIN_SCALE));
        let scale_t = 2f64.powi(s_t);
        #[allow(clippy::cast_possible_truncation)]
        let lo_q = ((lo + hi) / 2.0 * scale_t).round() as i64 - (1i64 << (t - 1));
        let hi_q = lo_q + i64::try_from(n).unwrap_or(0) - 1;
        let dom_bits = Bits::for_max_abs(lo_q.unsigned_abs().max(hi_q.unsigned_abs()))?;
        let xt = self.rescale(&name, &origin, x, s_t, dom_bits)?;
        #[allow(clippy::cast_precision_loss)]
        let ys: Vec<f64> = (0..n)
            .map(|k| func.eval((lo_q + k as i64) as f64 / scale_t))
            .collect();
        // The output scale covers the function over the (widened) calibrated input range;
        // table entries beyond it saturate, so a pole just outside the range (rsqrt, 1/x,
        // log near 0) cannot collapse the scale.
        #[allow(clippy::cast_precision_loss)]
        let in_range = ys
            .iter()
            .enumerate()
            .filter(|(k, _)| {
                let xv = (lo_q + *k as i64) as f64 / scale_t;
                xv >= lo && xv <= hi
            })
            .map(|(_, y)| *y);
        // The range's end points themselves count even when no grid point falls inside a
        // very narrow range.
        let ymax = in_range
            .chain([func.eval(lo), func.eval(hi)])
            .filter(|v| v.is_finite())
            .fold(0.0f64, |a, v| a.max(v.abs()));
        // A widened lookup (`widened.rs`) fills its own width; every other one `B` bits.
        let out_bits = self.widened_bits(i).unwrap_or(self.opts.bits);
        let s_out = best_scale(ymax, out_bits);
        let bits = self.bits;
        let mut table: Vec<i32> = ys.iter().map(|&y| quantize_value(y, s_out, bits)).collect();
        if r.neg_inf {
            // −∞ (a mask) saturates to the domain's low end: give that entry f(−∞), so that
            // e.g. a masked softmax weight is exactly 0 rather than exp(lowest finite input).
            if let Some(t0) = table.first_mut() {
                *t0 = quantize_value(func.eval(f64::NEG_INFINITY), s_out, bits);
            }
        }
        let tinfo = TensorInfo {
            shape: Shape(vec![n]),
            scale: Scale::new(s_out)?,
            bits,
        };
        let tid = self.push_param(
            format!("{name}/table:{}", func.name()),
            ParamKind::Table,
            tinfo,
            table,
        );
        let lo32 = i32::try_from(lo_q).map_err(|_| self.err(i, "table domain out of i32 range"))?;
        let out = facts(shape, s_out, bits)?;
        Ok(self.push_node(
            name,
            origin,
            Op::Lookup(Lookup {
                table: tid,
                lo: lo32,
            }),
            vec![xt.0],
            out,
        ))
    }
}

//! `log` of a wide input (a power spectrum held at the radicand width, see `radicand.rs`),
//! exactly to the mantissa, from existing primitives only.
//!
//! A table over a `B`-bit rescale of a 31-bit value keeps `B` bits of its range: a power
//! spectrum spanning eight decades loses everything below its top five. Instead, with
//! `x = X · 2^-s` and `X = m · 2^e` (`1 ≤ m < 2`):
//!
//! `log x = log m + e · ln 2 − s · ln 2`
//!
//! - `e` by comparisons against powers of two: `step_j = [X ≥ 2^j]` for `j < w − 1`, one
//!   broadcasting `Sub` of the constants `2^j − 1` saturated to `{−2..1}` and a `Max` with 0;
//!   `e + 1 = Σ_j step_j` (a `ReduceSum`) and `2^e = Σ_j step_j · c_j` (`c_0 = 1`,
//!   `c_j = 2^(j−1)`: a `Mul` and a `ReduceSum`);
//! - `m` to `k` fractional bits (`k` = the table bits) by the rounded division
//!   `q = round(X · 2^k / 2^e)` (`Div`), `q ∈ [2^k, 2^(k+1)]`;
//! - `log m − (s + 1) · ln 2` a lookup over `q`, held at 31 bits; `(e + 1) · ln 2` added by a
//!   `Binary` multiplier, then one requantization to the calibrated output scale.
//!
//! Error: below `2^-(k+1)` from the mantissa's rounding (`1.2e-4` at `k = 12`), plus half an
//! output step, plus the input's own quantization (`0.5 / X` relative). An input of at most 0
//! (ONNX: `−∞` or NaN) reads as half a step, `log(2^-(s+1))`: a model's `Clip(x, ε, ∞)` before
//! the log gives the same order of value; without one the result is that floor, not `−∞`.

use verinfer_ir::{
    Binary, BinaryKind, Bits, Div, Lookup, Op, Operand, ParamKind, Reduce, ReduceKind, Requant,
    Scale, Shape, TensorInfo,
};

use super::Q;
use crate::error::QuantError;
use crate::fixed_point::{best_scale, quantize_value, requant_to};

/// Bits of the table's entries (and of the sum before the output's requantization).
const TABLE_VALUE_BITS: u32 = 31;

impl Q<'_> {
    /// Whether `r` is held wider than the working width (a radicand or a wide input).
    pub(super) fn wide_operand(&self, r: crate::fgraph::FRef) -> bool {
        self.vals
            .get(&r)
            .is_some_and(|(_, t)| t.bits.get() > self.opts.bits)
    }

    /// `log` of node `i`'s wide input, at output scale `s_stat` (see the module doc).
    #[allow(clippy::too_many_lines)]
    pub(super) fn log_wide(
        &mut self,
        i: usize,
        s_stat: i32,
    ) -> Result<(Operand, TensorInfo), QuantError> {
        let (name, origin, Shape(dims), x) = self.unary(i)?;
        let s = x.1.scale.exponent();
        let w = x.1.bits.get();
        let k = self.opts.table_bits;
        let info = |shape: Vec<usize>, scale: i32, bits: u32| -> Result<TensorInfo, QuantError> {
            Ok(TensorInfo {
                shape: Shape(shape),
                scale: Scale::new(scale)?,
                bits: Bits::new(bits)?,
            })
        };
        // Powers of two below the input's bound: `X < 2^(w−1)`.
        let n_pow = usize::try_from(w - 1).unwrap_or(0);
        let mut col = vec![1usize; dims.len() + 1];
        col[0] = n_pow;
        let mut wide = vec![n_pow];
        wide.extend_from_slice(&dims);
        let thresholds: Vec<i32> = (0..n_pow)
            .map(|j| i32::try_from((1i64 << j) - 1).unwrap_or(i32::MAX))
            .collect();
        let weights: Vec<i32> = (0..n_pow)
            .map(|j| {
                if j == 0 {
                    1
                } else {
                    i32::try_from(1i64 << (j - 1)).unwrap_or(i32::MAX)
                }
            })
            .collect();
        let t_id = self.push_param(
            format!("{name}/pow2_minus_1"),
            ParamKind::Weight,
            info(col.clone(), 0, w)?,
            thresholds,
        );
        let c_id = self.push_param(
            format!("{name}/pow2_weights"),
            ParamKind::Weight,
            info(col, 0, w)?,
            weights,
        );
        let bin = |kind, bits| {
            Op::Binary(Binary {
                kind,
                a_mult: 1,
                b_mult: 1,
                requant: Requant::clamp_only(bits),
            })
        };
        let b2 = Bits::new(2)?;
        // `X − (2^j − 1)` saturated to {−2..1}, then `max(·, 0)`: 1 exactly when `X ≥ 2^j`.
        let d = self.push_node(
            format!("{name}/cmp"),
            origin.clone(),
            bin(BinaryKind::Sub, b2),
            vec![x.0, Operand::Param(t_id)],
            info(wide.clone(), 0, 2)?,
        );
        let zero = self.push_param(
            format!("{name}/zero"),
            ParamKind::Weight,
            info(vec![], 0, 2)?,
            vec![0],
        );
        let step = self.push_node(
            format!("{name}/step"),
            origin.clone(),
            bin(BinaryKind::Max, b2),
            vec![d.0, Operand::Param(zero)],
            info(wide.clone(), 0, 2)?,
        );
        let sum0 = |bits: Bits| {
            Op::Reduce(Reduce {
                kind: ReduceKind::Sum,
                axes: vec![0],
                keep_dims: false,
                requant: Requant::clamp_only(bits),
            })
        };
        // `e + 1` (0 for `X ≤ 0`).
        let e_bits = Bits::for_max_abs(u64::try_from(n_pow).unwrap_or(64))?;
        let e1 = self.push_node(
            format!("{name}/exponent"),
            origin.clone(),
            sum0(e_bits),
            vec![step.0],
            TensorInfo {
                shape: Shape(dims.clone()),
                scale: Scale::new(0)?,
                bits: e_bits,
            },
        );
        // `2^e` (0 for `X ≤ 0`).
        let wb = Bits::new(w)?;
        let terms = self.push_node(
            format!("{name}/pow2_terms"),
            origin.clone(),
            bin(BinaryKind::Mul, wb),
            vec![step.0, Operand::Param(c_id)],
            info(wide, 0, w)?,
        );
        let p = self.push_node(
            format!("{name}/pow2"),
            origin.clone(),
            sum0(wb),
            vec![terms.0],
            info(dims.clone(), 0, w)?,
        );
        // `q = round(X · 2^k / 2^e)`: the mantissa with `k` fractional bits (a zero divisor
        // gives 0, which the table's clamp reads as `m = 1`).
        let q_bits = Bits::new(k + 3)?;
        let q = self.push_node(
            format!("{name}/mantissa"),
            origin.clone(),
            Op::Div(Div {
                shift: k,
                requant: Requant::clamp_only(q_bits),
            }),
            vec![x.0, p.0],
            TensorInfo {
                shape: Shape(dims.clone()),
                scale: Scale::new(i32::try_from(k).unwrap_or(12))?,
                bits: q_bits,
            },
        );
        // Table over `q ∈ [2^k, 2^(k+2))`: `log(q · 2^-k) − (s + 1) · ln 2`.
        let lo = 1i64 << k;
        let n = 1usize << (k + 1);
        let ln2 = std::f64::consts::LN_2;
        let offset = -f64::from(s + 1) * ln2;
        #[allow(clippy::cast_precision_loss)]
        let ys: Vec<f64> = (0..n)
            .map(|t| ((lo + t as i64) as f64 / lo as f64).ln() + offset)
            .collect();
        let ymax = ys.iter().fold(0.0f64, |a, v| a.max(v.abs()));
        let s_t = best_scale(ymax, TABLE_VALUE_BITS);
        let tb = Bits::new(TABLE_VALUE_BITS)?;
        let table: Vec<i32> = ys.iter().map(|&y| quantize_value(y, s_t, tb)).collect();
        let tid = self.push_param(
            format!("{name}/table:log_mantissa"),
            ParamKind::Table,
            info(vec![n], s_t, TABLE_VALUE_BITS)?,
            table,
        );
        let lm = self.push_node(
            format!("{name}/log_mantissa"),
            origin.clone(),
            Op::Lookup(Lookup {
                table: tid,
                lo: i32::try_from(lo).map_err(|_| self.err(i, "table bits out of range"))?,
            }),
            vec![q.0],
            info(dims.clone(), s_t, TABLE_VALUE_BITS)?,
        );
        // `log m − (s + 1)·ln 2 + (e + 1)·ln 2`, requantized to the output scale.
        #[allow(clippy::cast_possible_truncation)]
        let ln2_q = (ln2 * 2f64.powi(s_t)).round() as i64;
        let bits = self.bits;
        let op = Op::Binary(Binary {
            kind: BinaryKind::Add,
            a_mult: 1,
            b_mult: ln2_q,
            requant: requant_to(s_t, s_stat, bits),
        });
        let out = TensorInfo {
            shape: Shape(dims),
            scale: Scale::new(s_stat)?,
            bits,
        };
        Ok(self.push_node(name, origin, op, vec![lm.0, e1.0], out))
    }
}

//! Fixed-point arithmetic of quantization: the power-of-two scale of a range, quantizing and
//! dequantizing one value, a real factor as a multiplier and shift, and the requantization
//! between two scales. The graph lowering in [`crate::quantize`] composes these.

use verinfer_ir::{Bits, Requant, Scale};

/// Scale exponents are kept in this window: enough for any range seen in practice, and
/// products of two scales stay far below the 126-bit shift limit of `round_shift`.
pub(crate) const MIN_SCALE: i32 = -24;
const MAX_SCALE: i32 = 30;
/// Multipliers for non-power-of-two factors get this many significant bits.
pub(crate) const MULT_BITS: i32 = 15;

/// Largest scale with `max_abs · 2^s` at most `2^(bits-1) - 1`.
#[must_use]
pub fn best_scale(max_abs: f64, bits: u32) -> i32 {
    if max_abs.is_nan() || max_abs <= 0.0 || !max_abs.is_finite() {
        return (i32::try_from(bits).unwrap_or(16) - 2).clamp(MIN_SCALE, MAX_SCALE);
    }
    let lim = f64::from((1u32 << (bits - 1)) - 1);
    #[allow(clippy::cast_possible_truncation)]
    let s = (lim / max_abs).log2().floor() as i32;
    s.clamp(MIN_SCALE, MAX_SCALE)
}

/// `round(x · 2^s)`, half away from zero, saturated into `bits`.
#[must_use]
pub fn quantize_value(x: f64, scale: i32, bits: Bits) -> i32 {
    if x.is_nan() {
        return 0;
    }
    let v = (x * 2f64.powi(scale)).round();
    #[allow(clippy::cast_possible_truncation)]
    let c = v.clamp(bits.min_value() as f64, bits.max_value() as f64) as i32;
    c
}

/// Real value of a quantized element.
#[must_use]
pub fn dequantize_value(q: i64, scale: Scale) -> f64 {
    #[allow(clippy::cast_precision_loss)]
    let v = q as f64 * 2f64.powi(-scale.exponent());
    v
}

/// A real factor as `mult / 2^shift` with `MULT_BITS` significant bits (`shift >= 0`).
pub(crate) fn factor(f: f64) -> (i64, u32) {
    factor_bits(f, MULT_BITS)
}

/// Multipliers feeding an exactly-integer node (an already-quantized model's rescale by
/// `s_a·s_b/s_y`) get this many significant bits: the result then differs from the real
/// product only where it lies within `2^-30` (relative) of a rounding boundary.
pub(crate) const WIDE_MULT_BITS: i32 = 31;

/// [`factor`] with `bits` significant bits.
pub(crate) fn factor_bits(f: f64, bits: i32) -> (i64, u32) {
    if f == 0.0 || !f.is_finite() {
        return (0, 0);
    }
    if f.fract() == 0.0 && f.abs() < 2f64.powi(40) {
        #[allow(clippy::cast_possible_truncation)]
        return (f as i64, 0);
    }
    #[allow(clippy::cast_possible_truncation)]
    let e = f.abs().log2().floor() as i32;
    let shift = (bits - 1 - e).clamp(0, 62);
    #[allow(clippy::cast_possible_truncation)]
    let m = (f * 2f64.powi(shift)).round() as i64;
    (m, u32::try_from(shift).unwrap_or(0))
}

/// Requant from accumulator scale `s_acc` to `s_out` (times an optional real factor folded in).
pub(crate) fn requant_to(s_acc: i32, s_out: i32, bits: Bits) -> Requant {
    let d = s_acc - s_out;
    if d >= 0 {
        Requant {
            mult: 1,
            shift: u32::try_from(d).unwrap_or(0),
            bits,
        }
    } else {
        Requant {
            mult: 1i64 << (-d).min(40),
            shift: 0,
            bits,
        }
    }
}

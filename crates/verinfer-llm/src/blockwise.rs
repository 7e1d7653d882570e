//! Exact import of `Q8_0`/`Q4_0` matrices as one block-scaled contraction.
//!
//! A block-quantized weight is `W[r, 32b + i] = d[r, b] · q[r, b, i]` with `q` a small integer
//! (`i8`) and `d` an f16. Both are dyadic rationals, so they enter verinfer's fixed point
//! exactly, without re-quantizing the weights: `W = q · D · 2^-S` with `D = d · 2^S` the block
//! scales as integers at one shared exponent `S`, the smallest that makes every scale of the
//! tensor an integer (f16 scales are multiples of `2^-24`) and keeps `|q·D| < 2^31`.
//!
//! The weight is one block-scaled parameter ([`ParamData::blocks`]: the `i8` quants and the
//! integer scales, whose values are `q·D`) and `y = x·Wᵀ` is **one** `Contract`: its
//! accumulator is the exact `Σ_j x[j]·q[r, j]·D[r, j/32]` and its requantization the one
//! rounding, to `y`'s scale. The executor reads the quants in place and sums per block before
//! scaling (`verinfer-exec`'s narrow-weight kernel), so the per-block partial sums are never
//! values of the trace: a step commits `#weights/32` fewer elements (the `P[r, b]` of the
//! earlier two-stage lowering, which dominated the trace commitment at 7B). The dispute game,
//! the arbiter and the circuits see an ordinary contraction with `i32` weights: the model
//! commits to the values `q·D` (eight a leaf), the step phase bisects the accumulation over
//! `j` and the one-step recomputes a segment from activation and weight openings.
//!
//! The float graph holds the same parameter ([`Builder::exact_ints`]: one byte a weight, not
//! eight) and reads `q·D·2^-S` — the very values `q·d` — so calibration and the exact model
//! are unchanged.

use verinfer_gguf::decode::BLOCK;
use verinfer_ir::ParamData;
use verinfer_quant::builder::Builder;
use verinfer_quant::quantize::best_scale;
use verinfer_quant::FRef;

use crate::error::LlmError;
use crate::step::linear_spec;
use crate::weights::BlockTensor;

/// `y = x[1, I] · Wᵀ` for a block-quantized `W[O, I]` (`I` a multiple of 32), `y` shaped
/// `out_shape` (`O` elements).
///
/// # Errors
/// A tensor whose shape or block count disagrees with `[o, i]`; builder errors.
pub(crate) fn linear(
    b: &mut Builder,
    x: FRef,
    name: &str,
    t: &BlockTensor,
    (o, i): (usize, usize),
    out_shape: Vec<usize>,
) -> Result<FRef, LlmError> {
    let nb = i / BLOCK;
    let bad = |why: String| LlmError::NotAStepGraph(format!("tensor {name}: {why}"));
    if t.shape != [o, i] || !i.is_multiple_of(BLOCK) || t.blocks.len() != o * nb {
        return Err(bad(format!(
            "shape {:?} ({} blocks), the configuration implies [{o}, {i}]",
            t.shape,
            t.blocks.len()
        )));
    }
    let q: Vec<i8> = t.blocks.iter().flat_map(|blk| blk.q).collect();
    let d: Vec<f64> = t.blocks.iter().map(|blk| f64::from(blk.d)).collect();
    if let Some(v) = d.iter().find(|v| !v.is_finite()) {
        return Err(bad(format!("a block scale is {v}")));
    }
    let q_max = q
        .iter()
        .map(|v| f64::from(v.unsigned_abs()))
        .fold(1.0, f64::max);
    let d_max = d.iter().fold(0.0, |a: f64, v| a.max(v.abs()));
    let s = exact_scale(&d).min(best_scale(d_max * q_max, 32));
    let dints = scaled_ints(&d, s);
    let w = ParamData::blocks(q, dints, BLOCK).map_err(|e| bad(e.to_string()))?;
    let wc = b.exact_ints(&format!("{name}.w"), vec![o, i], w, s);
    Ok(b.contract(x, wc, None, linear_spec(o, i), out_shape)?)
}

/// `v · 2^s` rounded to integers (exact unless `s` had to be lowered below
/// [`exact_scale`] to keep `q·D` within `i32`; then the smallest scales lose their lowest
/// bits — never the case for real or synthetic weights, whose scales span few binades).
fn scaled_ints(values: &[f64], s: i32) -> ParamData {
    let f = 2f64.powi(s);
    values
        .iter()
        .map(|&v| {
            #[allow(clippy::cast_possible_truncation)]
            let n = (v * f).round() as i32;
            n
        })
        .collect::<Vec<i32>>()
        .into()
}

/// The smallest `S` making every `v · 2^S` an integer, for f16 values (multiples of `2^-24`);
/// lowered if needed so that the largest stays below `2^30` (then the smallest scales lose
/// their lowest bits — never the case for the scales of real or synthetic weights, whose
/// exponents span far fewer than 19 binades).
#[must_use]
pub fn exact_scale(values: &[f64]) -> i32 {
    let mut s = i32::MIN;
    let mut max_abs = 0f64;
    for &v in values {
        if v == 0.0 || !v.is_finite() {
            continue;
        }
        max_abs = max_abs.max(v.abs());
        // An f16 times 2^24 is an integer below 2^40.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let n = (v.abs() * f64::from(1u32 << 24)) as u64;
        let needed = 24 - i32::try_from(n.trailing_zeros()).unwrap_or(0);
        s = s.max(needed);
    }
    if s == i32::MIN {
        return 0;
    }
    s.min(best_scale(max_abs, 31))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_scale_makes_every_f16_an_integer() {
        let d = [0.5, 1.5 * 2f64.powi(-12), 3.0, -0.25];
        let s = exact_scale(&d);
        for v in d {
            let scaled = v * 2f64.powi(s);
            assert_eq!(scaled, scaled.round(), "{v} at scale {s}");
        }
        assert!(exact_scale(&[0.5 + 2f64.powi(-11)]) >= 11);
        assert_eq!(exact_scale(&[0.0]), 0);
        assert_eq!(exact_scale(&[4.0]), -2);
    }
}

//! Exact import of `Q8_0`/`Q4_0` matrices as a two-stage contraction.
//!
//! A block-quantized weight is `W[r, 32b + i] = d[r, b] · q[r, b, i]` with `q` a small integer
//! (`i8`) and `d` an f16. Both are dyadic rationals, so they enter verinfer's fixed point
//! exactly, without re-quantizing the weights:
//!
//! 1. `P[r, b] = Σ_i x[32b + i] · q[r, b, i]` — a `Contract` over each block with the `q`
//!    integers as an `i8` parameter at scale 0 (one byte an element, read in place by the
//!    executor's narrow-weight kernel);
//! 2. `y[r] = Σ_b P[r, b] · D[r, b]` — a `Contract` with the block scales as integers
//!    `D = d · 2^S` at one shared exponent `S`, the smallest that makes every scale of the
//!    tensor an integer (f16 scales are multiples of `2^-24`, so `S ≤ 24`);
//! 3. the second contraction's requantization is the one rescale to `y`'s scale.
//!
//! Both are kept as their integers in the float graph too ([`Builder::exact_ints`]: one byte
//! a weight, not eight), which computes the same sums in `f64`, reading `q · 1` and
//! `D · 2^-S` — the very values `q` and `d` — so calibration and the exact model are
//! unchanged. The only rounding is `P`'s requantization to the working width (a block's partial
//! sum, 32 products) and `y`'s, both as for any contraction.

use verinfer_gguf::decode::BLOCK;
use verinfer_ir::{AffineMap, ParamData};
use verinfer_quant::builder::Builder;
use verinfer_quant::fgraph::ContractSpec;
use verinfer_quant::quantize::best_scale;
use verinfer_quant::FRef;

use crate::error::LlmError;
use crate::step::row;
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
    if t.shape != [o, i] || !i.is_multiple_of(BLOCK) || t.blocks.len() != o * nb {
        return Err(LlmError::NotAStepGraph(format!(
            "tensor {name} has shape {:?} ({} blocks), the configuration implies [{o}, {i}]",
            t.shape,
            t.blocks.len()
        )));
    }
    let q: Vec<i8> = t.blocks.iter().flat_map(|blk| blk.q).collect();
    let d: Vec<f64> = t.blocks.iter().map(|blk| f64::from(blk.d)).collect();
    let s = exact_scale(&d);
    let qc = b.exact_ints(
        &format!("{name}.q"),
        vec![o, nb, BLOCK],
        ParamData::from_i8(q),
        0,
    );
    let dc = match scaled_ints(&d, s) {
        Some(ints) => b.exact_ints(&format!("{name}.d"), vec![o, nb], ints, s),
        None => b.exact_constant(&format!("{name}.d"), vec![o, nb], d, s),
    };
    let i64_of = |v: usize| i64::try_from(v).unwrap_or(i64::MAX);
    let per_block = ContractSpec {
        out_iter: vec![o, nb],
        red: vec![BLOCK],
        x_map: AffineMap {
            rows: vec![row(&[0, 0], &[0]), row(&[0, i64_of(BLOCK)], &[1])],
        },
        w_map: AffineMap {
            rows: vec![row(&[1, 0], &[0]), row(&[0, 1], &[0]), row(&[0, 0], &[1])],
        },
        bias_map: None,
    };
    let partial = b.contract(x, qc, None, per_block, vec![o, nb])?;
    let rows_map = AffineMap {
        rows: vec![row(&[1], &[0]), row(&[0], &[1])],
    };
    let scaled = ContractSpec {
        out_iter: vec![o],
        red: vec![nb],
        x_map: rows_map.clone(),
        w_map: rows_map,
        bias_map: None,
    };
    Ok(b.contract(partial, dc, None, scaled, out_shape)?)
}

/// `v · 2^s` as integers when every one is an integer of `i32` (always, unless
/// [`exact_scale`] had to lower `s`; then the scales stay real and the quantizer rounds them).
fn scaled_ints(values: &[f64], s: i32) -> Option<ParamData> {
    let f = 2f64.powi(s);
    values
        .iter()
        .map(|&v| {
            let n = v * f;
            #[allow(clippy::cast_possible_truncation)]
            let i = n as i32;
            (n.fract() == 0.0 && f64::from(i) == n).then_some(i)
        })
        .collect::<Option<Vec<i32>>>()
        .map(ParamData::new)
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

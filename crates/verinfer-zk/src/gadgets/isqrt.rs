//! `ISqrt`: `requant(⌊√(max(x, 0) · 2^s)⌋)` (`verinfer_ir::ops::isqrt`).
//!
//! - `x⁺ = max(x, 0)` by the comparison gadget of `binary` (`D + 3` constraints, free when the
//!   bounds already make `x ≥ 0`); the radicand `X = x⁺ · 2^s` is linear.
//! - The root `y` is a witness of `W` bits (`W` constraints, `W` the width of `⌊√max X⌋`), its
//!   square one product; then `R = X − y²` in `V` bits (`V + 1` constraints, `V` the width of
//!   `max X`) and `2y − R` in `W + 2` bits (`W + 3` constraints): so `0 ≤ X − y² ≤ 2y`, i.e.
//!   `y² ≤ X < (y + 1)²`, which only the floor root satisfies. Every quantity stays below
//!   `2^66`, far from the field modulus, so the bit decompositions are integer range checks.
//! - Then the requant epilogue.

use verinfer_ir::ops::isqrt::isqrt;
use verinfer_ir::{ISqrt, ISQRT_MAX_SHIFT};

use super::binary::positive_part;
use super::rescale::requant;
use super::{weighted, Builder, GResult, GadgetError};
use crate::circuit::Src;
use crate::wire::Wire;

/// Output element `j`; `y_claim` is the trace's value for it.
pub(crate) fn element(
    b: &Builder,
    op: &ISqrt,
    x: &Src<'_>,
    j: usize,
    y_claim: i128,
) -> GResult<Wire> {
    if op.shift > ISQRT_MAX_SHIFT {
        return Err(GadgetError::Wide(ISQRT_MAX_SHIFT));
    }
    let xv = x.get(j);
    let pos = if xv.lo >= 0 {
        xv
    } else {
        positive_part(b, &xv, &Wire::zero())?
    };
    let radicand = pos.scaled(1i128 << op.shift)?;
    let y_val = u64::try_from(radicand.val).map_or(0, isqrt);
    let y = root(b, &radicand, i128::from(y_val))?;
    requant(b, &y, &op.requant, y_claim)
}

/// The floor root of `radicand` (a wire in `[0, 2^63)`), with `y_val` as the prover's witness:
/// the constraints hold only when `y_val` is the floor root.
pub(crate) fn root(b: &Builder, radicand: &Wire, y_val: i128) -> GResult<Wire> {
    if radicand.lo < 0 || radicand.hi >= 1i128 << 63 {
        return Err(GadgetError::Wide(63));
    }
    let max_root = i128::from(isqrt(
        u64::try_from(radicand.hi).map_err(|_| GadgetError::Wide(63))?,
    ));
    let w = bit_width(max_root);
    let bits = b.bits_free(y_val, w)?;
    let y = Wire {
        lc: weighted(&bits),
        val: y_val,
        lo: 0,
        hi: (1i128 << w) - 1,
    };
    let sq = b.mul(&y, &y)?;
    // R = X − y² ∈ [0, 2^V)
    let r = radicand.plus(&sq, -1)?;
    b.bits(&r.lc, r.val, bit_width(radicand.hi))?;
    // 2y − R ∈ [0, 2^(W+2))
    let mut s = y.scaled(2)?;
    s.add_scaled(&r, -1)?;
    s.finish();
    b.bits(&s.lc, s.val, w + 2)?;
    // Proven: y ≤ √X ≤ √max X.
    Ok(Wire { hi: max_root, ..y })
}

/// Smallest `w` with `v < 2^w` (for `v ≥ 0`).
fn bit_width(v: i128) -> u32 {
    128 - v.max(0).leading_zeros()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::gadgets::lookup::tests::{input, tamperable};

    /// The root gadget over an input in `[lo, hi]` holding `x`, the prover's root `y`.
    fn satisfied(x: i128, lo: i128, hi: i128, shift: u32, y: Option<i128>) -> bool {
        let (cs, b) = tamperable();
        let xw = input(&b, x, x, lo, hi);
        let pos = if lo >= 0 {
            xw
        } else {
            positive_part(&b, &xw, &Wire::zero()).unwrap()
        };
        let radicand = pos.scaled(1i128 << shift).unwrap();
        let honest = i128::from(isqrt(u64::try_from(radicand.val).unwrap()));
        let got = root(&b, &radicand, y.unwrap_or(honest)).unwrap();
        assert_eq!(got.val, y.unwrap_or(honest));
        cs.is_satisfied().unwrap()
    }

    #[test]
    fn only_the_floor_root_satisfies() {
        for (x, lo, hi, shift) in [
            (0, 0, 255, 0),
            (1, 0, 255, 0),
            (15, 0, 255, 0),
            (16, 0, 255, 0),
            (17, -128, 127, 4),
            (-5, -128, 127, 4),
            (
                i128::from(i32::MAX),
                i128::from(i32::MIN),
                i128::from(i32::MAX),
                32,
            ),
            (1000, -2048, 2047, 13),
        ] {
            assert!(satisfied(x, lo, hi, shift, None), "x {x} shift {shift}");
            let honest = i128::from(isqrt(u64::try_from(x.max(0) << shift).unwrap()));
            for wrong in [honest + 1, honest - 1, honest + 2] {
                if wrong >= 0 {
                    assert!(
                        !satisfied(x, lo, hi, shift, Some(wrong)),
                        "x {x} shift {shift}: root {wrong} accepted"
                    );
                }
            }
        }
    }
}

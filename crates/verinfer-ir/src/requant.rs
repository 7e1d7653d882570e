//! The one rounding rule of verinfer, and the requantization epilogue every computing op ends with.

use serde::{Deserialize, Serialize};

use crate::types::Bits;

/// `round_shift(a, k) = floor((a + 2^(k-1)) / 2^k)` for `k >= 1`, identity for `k = 0`:
/// round half up, computed in `i128` so it cannot overflow for any `i64 * i64` input.
///
/// This is the only rounding used by the integer semantics; the arbiter's `int256` shift
/// (arithmetic, toward negative infinity) matches it bit for bit.
#[must_use]
pub fn round_shift(a: i128, k: u32) -> i128 {
    if k == 0 {
        return a;
    }
    let k = k.min(126);
    (a + (1i128 << (k - 1))) >> k
}

/// `y = clamp(round_shift(acc * mult, shift), bits)`.
///
/// Total: defined for every `i64` accumulator, so requantization can never fail at run time.
#[must_use]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Requant {
    /// Positive multiplier (1 when scales are powers of two).
    pub mult: i64,
    /// Right shift with round-half-up.
    pub shift: u32,
    /// Saturation bound of the result.
    pub bits: Bits,
}

impl Requant {
    /// Identity rescale that only saturates to `bits`.
    pub fn clamp_only(bits: Bits) -> Self {
        Self {
            mult: 1,
            shift: 0,
            bits,
        }
    }

    /// Apply to an accumulator.
    #[must_use]
    #[inline]
    pub fn apply(&self, acc: i64) -> i32 {
        // Fast path in i64 when nothing can overflow; identical to the i128 definition.
        if let Some(v) = acc.checked_mul(self.mult) {
            if self.shift == 0 {
                return self.bits.clamp(i128::from(v));
            }
            if self.shift < 63 {
                if let Some(r) = v.checked_add(1i64 << (self.shift - 1)) {
                    return self.bits.clamp(i128::from(r >> self.shift));
                }
            }
        }
        self.apply_wide(acc)
    }

    /// The definition, in `i128`.
    #[must_use]
    pub fn apply_wide(&self, acc: i64) -> i32 {
        let v = i128::from(acc) * i128::from(self.mult);
        self.bits.clamp(round_shift(v, self.shift))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_half_up_both_signs() {
        assert_eq!(round_shift(5, 1), 3); // 2.5 -> 3
        assert_eq!(round_shift(-5, 1), -2); // -2.5 -> -2
        assert_eq!(round_shift(-6, 2), -1); // -1.5 -> -1
        assert_eq!(round_shift(-7, 2), -2); // -1.75 -> -2
        assert_eq!(round_shift(7, 0), 7);
    }

    proptest::proptest! {
        #[test]
        fn fast_path_equals_definition(acc in proptest::num::i64::ANY, mult in -(1i64 << 40)..(1i64 << 40), shift in 0u32..80, bits in 1u32..=32) {
            let r = Requant { mult, shift, bits: Bits::new(bits).unwrap() };
            proptest::prop_assert_eq!(r.apply(acc), r.apply_wide(acc));
        }
    }

    #[test]
    fn requant_saturates() {
        let r = Requant {
            mult: 3,
            shift: 2,
            bits: Bits::new(8).unwrap(),
        };
        assert_eq!(r.apply(4), 3);
        assert_eq!(r.apply(1000), 127);
        assert_eq!(r.apply(-1000), -128);
        assert_eq!(r.apply(i64::MIN), -128);
    }
}

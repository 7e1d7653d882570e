//! `ISqrt`: the exact integer square root, elementwise (RMSNorm's denominator).
//!
//! `y = ⌊√n⌋` is the unique `y >= 0` with `y² <= n < (y + 1)²`; every other interpretation
//! (the arbiter, the circuit) checks or recomputes exactly that pair of inequalities.

use super::TensorRef;
use crate::op::{ISqrt, ISQRT_MAX_SHIFT};

/// The radicand `max(x, 0) · 2^shift`, `None` when `shift` exceeds [`ISQRT_MAX_SHIFT`] (the
/// validator rules that out). Below `2^63`, so it also fits `i64`.
#[must_use]
pub fn radicand(shift: u32, x: i32) -> Option<u64> {
    if shift > ISQRT_MAX_SHIFT {
        return None;
    }
    // `max(x, 0) < 2^31` and `shift <= 32`: the product stays below `2^63`.
    u64::try_from(x.max(0)).ok()?.checked_shl(shift)
}

/// `⌊√n⌋`, exact (integer Newton inside `u64::isqrt`, no floating point).
#[must_use]
pub fn isqrt(n: u64) -> u64 {
    n.isqrt()
}

/// The exact (pre-requant) root `⌊√(max(x, 0) · 2^shift)⌋`, `None` on a bad shift.
#[must_use]
pub fn exact(shift: u32, x: i32) -> Option<i64> {
    // The root of a value below 2^63 is below 2^32: it fits i64.
    i64::try_from(isqrt(radicand(shift, x)?)).ok()
}

/// `out[j] = requant(⌊√(max(x[j], 0) · 2^shift)⌋)`.
#[must_use]
pub fn element(op: &ISqrt, x: &TensorRef<'_>, j: usize) -> Option<i32> {
    exact(op.shift, *x.data.get(j)?).map(|v| op.requant.apply(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_root(y: u64, n: u64) -> bool {
        let (y, n) = (u128::from(y), u128::from(n));
        y * y <= n && n < (y + 1) * (y + 1)
    }

    #[test]
    fn squares_and_neighbours() {
        for r in [0u64, 1, 2, 3, 255, 65_535, 1 << 20, 3_037_000_499] {
            let n = r * r;
            assert_eq!(isqrt(n), r);
            if n > 0 {
                assert_eq!(isqrt(n - 1), r - 1);
            }
            assert_eq!(isqrt(n + 1), if r == 0 { 1 } else { r });
        }
        assert_eq!(exact(0, -5), Some(0));
        assert_eq!(exact(32, i32::MAX), Some(3_037_000_499));
        assert_eq!(exact(33, 1), None);
    }

    proptest::proptest! {
        #[test]
        fn isqrt_is_the_floor_root(n in proptest::num::u64::ANY) {
            proptest::prop_assert!(is_root(isqrt(n), n));
        }

        #[test]
        fn root_of_every_input_and_shift(x in proptest::num::i32::ANY, shift in 0u32..=32) {
            let n = radicand(shift, x).unwrap();
            proptest::prop_assert_eq!(u128::from(n), u128::from(x.max(0).unsigned_abs()) << shift);
            let y = exact(shift, x).unwrap();
            proptest::prop_assert!(is_root(u64::try_from(y).unwrap(), n));
        }
    }
}

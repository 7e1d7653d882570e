//! Requantization in element loops: [`Requant::apply`] with its common case (multiplier 1, a
//! right shift of at most 62) decided once per node instead of per element.
//!
//! `apply` checks the multiplication and the rounding addition for overflow and clamps
//! through `i128` on every call; in an elementwise or contraction epilogue loop that is most
//! of the work. [`FastRequant`] keeps the rounding constant, shift and bounds as plain
//! fields and does `clamp((acc + 2^(shift-1)) >> shift)` in `i64`, which is the definition
//! whenever the addition does not overflow; where it would, it calls `apply`. So its integers
//! are `apply`'s for every accumulator (proptested below).

use verinfer_ir::Requant;

use super::contract::simd;
use super::contract::simd::dense::scale::scale_i32;

/// A requantization prepared for element loops (see the module doc).
#[derive(Clone, Copy, Debug)]
pub(crate) struct FastRequant {
    rq: Requant,
    /// Whether the multiplier is 1 and the shift below 63 (the fast form applies).
    plain: bool,
    half: i64,
    shift: u32,
    lo: i64,
    hi: i64,
}

/// A requantization with multiplier 1 and a shift of at most 62, for accumulators the
/// validator bounds below `2^62` in magnitude (every `Binary` result): `acc + half` is then
/// below `2^62 + 2^61 < 2^63`, so [`Self::apply`] needs neither a check nor a fallback and
/// its loops vectorize. It is `Requant::apply` for every such accumulator (tested below).
#[derive(Clone, Copy, Debug)]
pub(crate) struct BoundedRequant {
    half: i64,
    shift: u32,
    lo: i64,
    hi: i64,
}

impl BoundedRequant {
    /// `rq.apply(acc)` for `|acc| < 2^62`.
    #[inline(always)]
    pub(crate) fn apply(&self, acc: i64) -> i32 {
        // In range of i32: clamped to a bound of at most 32 bits.
        #[allow(clippy::cast_possible_truncation)]
        let v = ((acc + self.half) >> self.shift).clamp(self.lo, self.hi) as i32;
        v
    }
}

impl FastRequant {
    /// The check-free form, when the multiplier is 1 and the shift at most 62.
    pub(crate) fn bounded(&self) -> Option<BoundedRequant> {
        self.plain.then_some(BoundedRequant {
            half: self.half,
            shift: self.shift,
            lo: self.lo,
            hi: self.hi,
        })
    }

    /// Prepare `rq`.
    pub(crate) fn new(rq: Requant) -> Self {
        let plain = rq.mult == 1 && rq.shift < 63;
        Self {
            rq,
            plain,
            half: if plain && rq.shift > 0 {
                1i64 << (rq.shift - 1)
            } else {
                0
            },
            shift: if plain { rq.shift } else { 0 },
            lo: rq.bits.min_value(),
            hi: rq.bits.max_value(),
        }
    }

    /// `rq.apply(acc)`.
    #[inline(always)]
    pub(crate) fn apply(&self, acc: i64) -> i32 {
        if self.plain {
            if let Some(v) = acc.checked_add(self.half) {
                // In range of i32: clamped to a bound of at most 32 bits.
                #[allow(clippy::cast_possible_truncation)]
                return (v >> self.shift).clamp(self.lo, self.hi) as i32;
            }
        }
        self.rq.apply(acc)
    }

    /// `out[i] = rq.apply(xs[i])` for `i32` values: in vectors where the multiplier and shift
    /// allow it (see `simd::dense::scale`), per element otherwise.
    pub(crate) fn apply_i32_into(&self, xs: &[i32], out: &mut [i32]) {
        let rq = self.rq;
        let half = match rq.shift {
            1..=62 => 1i64 << (rq.shift - 1),
            _ => 0,
        };
        if let (Ok(lo), Ok(hi)) = (i32::try_from(self.lo), i32::try_from(self.hi)) {
            if scale_i32(xs, (rq.mult, half, rq.shift), (lo, hi), out) {
                return;
            }
        }
        for (o, &x) in out.iter_mut().zip(xs) {
            *o = self.apply(i64::from(x));
        }
    }

    /// `out[i] = rq.apply(sums[i])`: eight at a time where the SIMD module has a vector
    /// form (it declines when an addition would overflow; then every element goes through
    /// [`Self::apply`]).
    pub(crate) fn apply_into(&self, sums: &[i64], out: &mut [i32]) {
        if self.plain && simd::shift_clamp(sums, (self.half, self.shift), (self.lo, self.hi), out) {
            return;
        }
        for (o, &s) in out.iter_mut().zip(sums) {
            *o = self.apply(s);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// Equal to `Requant::apply` for every accumulator, multiplier, shift and width.
        #[test]
        fn fast_requant_equals_apply(
            sums in prop::collection::vec(any::<i64>(), 0..40),
            small in prop::collection::vec(-(1i64 << 40)..(1i64 << 40), 0..40),
            mult in prop_oneof![Just(1i64), 1i64..1000],
            shift in 0u32..70,
            bits in 1u32..=32,
        ) {
            let rq = verinfer_testing::requant(mult, shift, bits);
            let fast = FastRequant::new(rq);
            for v in [&sums, &small] {
                let mut out = vec![0i32; v.len()];
                fast.apply_into(v, &mut out);
                let want: Vec<i32> = v.iter().map(|&s| rq.apply(s)).collect();
                prop_assert_eq!(out, want);
            }
        }
    }

    proptest! {
        /// The check-free form equals `Requant::apply` on every accumulator below `2^62`.
        #[test]
        fn bounded_equals_apply(
            acc in prop_oneof![-(1i64 << 62) + 1..(1i64 << 62), Just((1i64 << 62) - 1), Just(-(1i64 << 62) + 1), -5i64..5],
            mult in prop_oneof![Just(1i64), 2i64..9],
            shift in prop_oneof![0u32..64, Just(62u32)],
            bits in 1u32..=32,
        ) {
            let rq = verinfer_testing::requant(mult, shift, bits);
            match FastRequant::new(rq).bounded() {
                Some(b) => prop_assert_eq!(b.apply(acc), rq.apply(acc)),
                None => prop_assert!(mult != 1 || shift > 62),
            }
        }

        /// `i32` values: equal to `Requant::apply` for every multiplier and shift, the
        /// vector range's edges (`|mult| = 2^31`, shift 62) and beyond them included.
        #[test]
        fn i32_values_equal_apply(
            xs in prop::collection::vec(prop_oneof![any::<i32>(), Just(i32::MIN), Just(i32::MAX)], 0..40),
            mult in prop_oneof![Just(1i64 << 31), Just(-(1i64 << 31)), Just((1i64 << 31) + 1), -(1i64 << 33)..(1i64 << 33), -3i64..3],
            shift in prop_oneof![0u32..70, Just(62u32), Just(63u32)],
            bits in 1u32..=32,
        ) {
            let rq = verinfer_testing::requant(mult, shift, bits);
            let mut out = vec![0i32; xs.len()];
            FastRequant::new(rq).apply_i32_into(&xs, &mut out);
            let want: Vec<i32> = xs.iter().map(|&x| rq.apply(i64::from(x))).collect();
            prop_assert_eq!(out, want);
        }
    }

    #[test]
    fn vector_form_is_used_where_present() {
        let rq = verinfer_testing::requant(1, 4, 20);
        let sums: Vec<i64> = (-40..40).map(|v| v * 1_000_003).collect();
        let mut out = vec![0i32; sums.len()];
        let fast = FastRequant::new(rq);
        assert_eq!(
            simd::shift_clamp(&sums, (fast.half, fast.shift), (fast.lo, fast.hi), &mut out),
            simd::uses_avx512()
        );
        fast.apply_into(&sums, &mut out);
        let want: Vec<i32> = sums.iter().map(|&s| rq.apply(s)).collect();
        assert_eq!(out, want);
        // An overflowing addition among vector lanes: declined, then exact per element.
        let mut big = sums.clone();
        big[3] = i64::MAX;
        assert!(!simd::shift_clamp(
            &big,
            (fast.half, fast.shift),
            (fast.lo, fast.hi),
            &mut out
        ));
        fast.apply_into(&big, &mut out);
        let want: Vec<i32> = big.iter().map(|&s| rq.apply(s)).collect();
        assert_eq!(out, want);
    }

    #[test]
    fn extremes_equal_apply() {
        for shift in [0u32, 1, 31, 61, 62, 63] {
            let rq = verinfer_testing::requant(1, shift, 20);
            let fast = FastRequant::new(rq);
            for acc in [i64::MIN, i64::MIN + 1, -1, 0, 1, i64::MAX - 1, i64::MAX] {
                assert_eq!(fast.apply(acc), rq.apply(acc), "shift {shift} acc {acc}");
            }
        }
    }
}

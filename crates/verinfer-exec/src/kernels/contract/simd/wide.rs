//! Dot products of `i32` rows into `i64`: the `i32` row kernel (stage 2 of the exact block
//! import, attention's `Q·Kᵀ` and `P·V`), whose operands are both wider than 16 bits.
//!
//! Part of the SIMD-kernel module ([`super`]) and under its rules. On x86-64 with AVX2
//! (detected at run time) `vpmuldq` forms four exact 64-bit products of the low signed 32
//! bits of each 64-bit lane: the even elements in place, the odd ones after a 32-bit right
//! shift of each lane. Products are added in `i64` lanes. The validator proved
//! `Σ |x·w| < 2^62` for every output, so no partial sum in any order overflows `i64` and the
//! result is the exact dot product, the portable loop's (the `wrapping_*` there never wrap;
//! they let the compiler reorder). Property-tested equal to the `i64` reference here.
//!
//! Why sound: every vector load reads `[i, i + 8)` (or `[i, i + 4)`) elements with the end at
//! most the common length of the rows involved, computed before the loop; the AVX2 functions
//! are called only after `is_x86_feature_detected!("avx2")` returned true.
#![allow(unsafe_code)]

/// `Σ a[s]·b[s]` over the common length, exact in `i64` (see the module doc).
#[inline]
pub(crate) fn dot_wide(a: &[i32], b: &[i32]) -> i64 {
    #[cfg(target_arch = "x86_64")]
    if a.len().min(b.len()) >= 8 && std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: AVX2 is present (checked just above).
        return unsafe { avx2::dot(a, b) };
    }
    dot_portable(a, b)
}

/// The portable [`dot_wide`].
#[inline]
pub(crate) fn dot_portable(a: &[i32], b: &[i32]) -> i64 {
    a.iter().zip(b).fold(0i64, |acc, (&x, &y)| {
        acc.wrapping_add(i64::from(x).wrapping_mul(i64::from(y)))
    })
}

/// Four dot products sharing the row `a` (loaded once), each over `a`'s length (every `b`
/// is at least that long; shorter rows are read as far as they go).
#[inline]
pub(crate) fn shared4_wide(a: &[i32], b: [&[i32]; 4]) -> [i64; 4] {
    let k = b.iter().fold(a.len(), |k, r| k.min(r.len()));
    #[cfg(target_arch = "x86_64")]
    if k >= 8 && std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: AVX2 is present (checked just above); every row holds `k` elements.
        return unsafe { avx2::shared4(&a[..k], b, k) };
    }
    shared4_portable(&a[..k], b)
}

/// The portable [`shared4_wide`].
#[inline]
pub(crate) fn shared4_portable(a: &[i32], b: [&[i32]; 4]) -> [i64; 4] {
    let k = b.iter().fold(a.len(), |k, r| k.min(r.len()));
    let (b0, b1, b2, b3) = (&b[0][..k], &b[1][..k], &b[2][..k], &b[3][..k]);
    let mut s = [0i64; 4];
    for (i, &x) in a[..k].iter().enumerate() {
        let x = i64::from(x);
        s[0] = s[0].wrapping_add(x.wrapping_mul(i64::from(b0[i])));
        s[1] = s[1].wrapping_add(x.wrapping_mul(i64::from(b1[i])));
        s[2] = s[2].wrapping_add(x.wrapping_mul(i64::from(b2[i])));
        s[3] = s[3].wrapping_add(x.wrapping_mul(i64::from(b3[i])));
    }
    s
}

/// `acc[i] += x·w[i]` over the common length (one reduction step of lane segments: `P·V`
/// with the probability `x` and a value row `w`), exact by the same bound.
#[inline]
pub(crate) fn axpy_wide(acc: &mut [i64], x: i32, w: &[i32]) {
    #[cfg(target_arch = "x86_64")]
    if acc.len().min(w.len()) >= 4 && std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: AVX2 is present (checked just above).
        unsafe { avx2::axpy(acc, x, w) };
        return;
    }
    axpy_portable(acc, x, w);
}

/// The portable [`axpy_wide`].
#[inline]
pub(crate) fn axpy_portable(acc: &mut [i64], x: i32, w: &[i32]) {
    let x = i64::from(x);
    for (a, &v) in acc.iter_mut().zip(w) {
        *a = a.wrapping_add(x.wrapping_mul(i64::from(v)));
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::{
        __m128i, __m256i, _mm256_add_epi64, _mm256_cvtepi32_epi64, _mm256_loadu_si256,
        _mm256_mul_epi32, _mm256_set1_epi64x, _mm256_setzero_si256, _mm256_srli_epi64,
        _mm256_storeu_si256, _mm_loadu_si128,
    };

    use super::{axpy_portable, dot_portable, shared4_portable};

    /// Sum of the four `i64` lanes.
    #[target_feature(enable = "avx2")]
    fn hsum(v: __m256i) -> i64 {
        let mut out = [0i64; 4];
        // SAFETY: `out` is 32 bytes; the store is unaligned.
        unsafe { _mm256_storeu_si256(out.as_mut_ptr().cast::<__m256i>(), v) };
        out.iter().fold(0i64, |a, &b| a.wrapping_add(b))
    }

    /// Eight `i32` at `p + i`.
    ///
    /// # Safety
    /// `[i, i + 8)` must be in bounds of the row `p` points into.
    #[target_feature(enable = "avx2")]
    #[inline]
    unsafe fn load8(p: *const i32, i: usize) -> __m256i {
        // SAFETY: the caller guarantees the range; unaligned load.
        unsafe { _mm256_loadu_si256(p.add(i).cast::<__m256i>()) }
    }

    /// `acc + even·even + odd·odd` of eight `i32` lanes of `a` and `b` (`a_odd` is `a` shifted).
    #[target_feature(enable = "avx2")]
    #[inline]
    fn mac(acc: __m256i, a: __m256i, a_odd: __m256i, b: __m256i) -> __m256i {
        let even = _mm256_mul_epi32(a, b);
        let odd = _mm256_mul_epi32(a_odd, _mm256_srli_epi64::<32>(b));
        _mm256_add_epi64(_mm256_add_epi64(acc, even), odd)
    }

    /// [`super::dot_wide`]; AVX2 required.
    #[target_feature(enable = "avx2")]
    pub(super) fn dot(a: &[i32], b: &[i32]) -> i64 {
        let n = a.len().min(b.len());
        let (pa, pb) = (a.as_ptr(), b.as_ptr());
        let (mut acc0, mut acc1) = (_mm256_setzero_si256(), _mm256_setzero_si256());
        let mut i = 0;
        while i + 16 <= n {
            // SAFETY: `i + 16 ≤ n`, the common length.
            let (a0, b0, a1, b1) = unsafe {
                (
                    load8(pa, i),
                    load8(pb, i),
                    load8(pa, i + 8),
                    load8(pb, i + 8),
                )
            };
            acc0 = mac(acc0, a0, _mm256_srli_epi64::<32>(a0), b0);
            acc1 = mac(acc1, a1, _mm256_srli_epi64::<32>(a1), b1);
            i += 16;
        }
        if i + 8 <= n {
            // SAFETY: `i + 8 ≤ n`.
            let (a0, b0) = unsafe { (load8(pa, i), load8(pb, i)) };
            acc0 = mac(acc0, a0, _mm256_srli_epi64::<32>(a0), b0);
            i += 8;
        }
        hsum(_mm256_add_epi64(acc0, acc1)).wrapping_add(dot_portable(&a[i..n], &b[i..n]))
    }

    /// [`super::shared4_wide`]; AVX2 required, every row at least `k` long.
    #[target_feature(enable = "avx2")]
    pub(super) fn shared4(a: &[i32], b: [&[i32]; 4], k: usize) -> [i64; 4] {
        let pa = a.as_ptr();
        let pb = b.map(<[i32]>::as_ptr);
        let mut acc = [_mm256_setzero_si256(); 4];
        let mut i = 0;
        while i + 8 <= k {
            // SAFETY: `i + 8 ≤ k`, at most every row's length (caller).
            let x = unsafe { load8(pa, i) };
            let x_odd = _mm256_srli_epi64::<32>(x);
            for (acc, &p) in acc.iter_mut().zip(&pb) {
                // SAFETY: as above.
                *acc = mac(*acc, x, x_odd, unsafe { load8(p, i) });
            }
            i += 8;
        }
        let tail = shared4_portable(
            &a[i..k],
            [&b[0][i..k], &b[1][i..k], &b[2][i..k], &b[3][i..k]],
        );
        let mut out = [0i64; 4];
        for ((o, a), t) in out.iter_mut().zip(acc).zip(tail) {
            *o = hsum(a).wrapping_add(t);
        }
        out
    }

    /// [`super::axpy_wide`]; AVX2 required.
    #[target_feature(enable = "avx2")]
    pub(super) fn axpy(acc: &mut [i64], x: i32, w: &[i32]) {
        let n = acc.len().min(w.len());
        let xv = _mm256_set1_epi64x(i64::from(x));
        let (pa, pw) = (acc.as_mut_ptr(), w.as_ptr());
        let mut i = 0;
        while i + 4 <= n {
            // SAFETY: `i + 4 ≤ n`, the common length: four `i32` of `w`, four `i64` of
            // `acc`; unaligned loads and store.
            unsafe {
                let wv = _mm256_cvtepi32_epi64(_mm_loadu_si128(pw.add(i).cast::<__m128i>()));
                let a = _mm256_loadu_si256(pa.add(i).cast::<__m256i>());
                let sum = _mm256_add_epi64(a, _mm256_mul_epi32(xv, wv));
                _mm256_storeu_si256(pa.add(i).cast::<__m256i>(), sum);
            }
            i += 4;
        }
        axpy_portable(&mut acc[i..n], x, &w[i..n]);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use proptest::prelude::*;

    use super::*;

    fn reference(a: &[i32], b: &[i32]) -> i64 {
        a.iter()
            .zip(b)
            .map(|(&x, &y)| i64::from(x) * i64::from(y))
            .sum()
    }

    /// Values of `bits` bits, lengths up to 70: partial sums stay far below 2^62 at 28 bits.
    fn rows(bits: u32, seed: &[i32], n: usize) -> Vec<i32> {
        seed[..n].iter().map(|v| v >> (32 - bits)).collect()
    }

    #[test]
    fn extreme_products_sum_exactly() {
        // Products of magnitude up to 2^61 (beyond any 32-bit accumulator, and beyond what
        // a float's 53 bits hold exactly), their magnitudes summing below 2^63.
        let a = [
            i32::MIN,
            i32::MIN,
            -(1 << 30),
            1 << 30,
            i32::MAX,
            7,
            -1,
            1 << 30,
            3,
            5,
            -9,
        ];
        let b = [
            1 << 29,
            -(1 << 29),
            1 << 30,
            1 << 30,
            -(1 << 29),
            1,
            2,
            -(1 << 30),
            4,
            5,
            6,
        ];
        assert_eq!(dot_wide(&a, &b), reference(&a, &b));
        let [s0, s1, s2, s3] = shared4_wide(&a, [&b, &b, &a[..], &b]);
        assert_eq!([s0, s1, s3], [reference(&a, &b); 3]);
        assert_eq!(s2, dot_portable(&a, &a));
        let mut acc = vec![1i64 << 61; 11];
        axpy_wide(&mut acc, i32::MIN, &b);
        let want: Vec<i64> = b
            .iter()
            .map(|&v| (1i64 << 61) + i64::from(i32::MIN) * i64::from(v))
            .collect();
        assert_eq!(acc, want);
    }

    proptest! {
        /// AVX2 (where present) = portable = the `i64` reference, every length and width.
        #[test]
        fn wide_kernels_equal_reference(
            bits in 1u32..29,
            n in 0usize..70,
            x in any::<i32>(),
            seed in prop::collection::vec(any::<i32>(), 70 * 5),
            acc0 in prop::collection::vec(-(1i64 << 40)..(1i64 << 40), 70),
        ) {
            let a = rows(bits, &seed, n);
            let bs: Vec<Vec<i32>> = (1..5).map(|r| rows(bits, &seed[r * 70..], n)).collect();
            let r = reference(&a, &bs[0]);
            prop_assert_eq!(dot_wide(&a, &bs[0]), r);
            prop_assert_eq!(dot_portable(&a, &bs[0]), r);
            let b4 = [&bs[0][..], &bs[1][..], &bs[2][..], &bs[3][..]];
            let want = [0, 1, 2, 3].map(|i| reference(&a, &bs[i]));
            prop_assert_eq!(shared4_wide(&a, b4), want);
            prop_assert_eq!(shared4_portable(&a, b4), want);
            let x = x >> (32 - bits);
            let want: Vec<i64> = acc0[..n]
                .iter()
                .zip(&bs[1])
                .map(|(&c, &v)| c + i64::from(x) * i64::from(v))
                .collect();
            let mut got = acc0[..n].to_vec();
            axpy_wide(&mut got, x, &bs[1]);
            prop_assert_eq!(&got, &want);
            let mut got = acc0[..n].to_vec();
            axpy_portable(&mut got, x, &bs[1]);
            prop_assert_eq!(&got, &want);
        }
    }
}

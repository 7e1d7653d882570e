//! SIMD dot products for the narrow-weight kernel ([`super::narrow`]): `i32` activations
//! against `i8`/`i16` weights, the matrix–vector product a decoding step spends its time in;
//! and, in [`wide`], `i32` rows into `i64` sums (the `i32` row kernel), under the same rules.
//!
//! **The one module of the contraction kernels with `unsafe`.** On x86-64 with AVX2
//! (detected at run time, once per call through the standard library's cached check) eight
//! products are formed at a time: weights sign-extended to `i32` (`vpmovsxbd`/`vpmovsxwd`),
//! multiplied by `vpmulld` (the low 32 bits of the product, as `i32::wrapping_mul`) and added
//! per lane in `i32`. Each lane adds at most `chunk` products before its sum is widened to
//! `i64` — the same bound the portable kernel ([`super::narrow::dot_chunked`]) keeps per chunk,
//! so no lane sum can reach `2^31` and the result is the exact `i64` dot product, equal to the
//! portable kernel's. Anywhere else (no AVX2, another architecture) the portable kernel runs.
//! Both are property-tested equal to each other and to the `i64` reference below (the tests
//! check that this CPU really takes the AVX2 path when it has AVX2).
//!
//! Why sound: every load reads `[i, i + 8)` elements (32 bytes of `x`, 8 or 16 bytes of `w`)
//! with `i + 8 ≤ n ≤ min(x.len(), w.len())`, through unaligned loads (the four-row kernel:
//! `x` below `n·k`, `w` below `4·n·k`, both checked by [`segment_rows`] before the call);
//! the AVX2 functions are only called after `is_x86_feature_detected!("avx2")` returned true.
//! The four-row kernel also prefetches the next four rows (`prefetcht1`): a hint that never
//! faults and reads nothing into the program, at addresses formed with `wrapping_add` so
//! that none is claimed in bounds.
//! [`shift`] (requantization by a shift in vectors) and [`vnni`] (block-scaled rows with
//! AVX-512 VNNI) state their own, under the same rules.
#![allow(unsafe_code)]

/// Whether this machine has every named x86 feature (never, off `x86_64`): the run-time check
/// each vector kernel here makes before its `unsafe` call.
macro_rules! cpu_has {
    ($first:tt $(, $feature:tt)*) => {{
        #[cfg(target_arch = "x86_64")]
        let has = std::arch::is_x86_feature_detected!($first)
            $(&& std::arch::is_x86_feature_detected!($feature))*;
        #[cfg(not(target_arch = "x86_64"))]
        let has = false;
        has
    }};
}

pub(crate) mod dense;
mod shift;
pub(crate) mod vnni;
mod wide;

use super::narrow::dot_chunked;
pub(crate) use shift::shift_clamp;
#[cfg(test)]
pub(crate) use shift::uses_avx512;
pub(crate) use wide::{axpy_wide, dot_wide, shared4_wide};

/// A narrow weight type with an AVX2 dot product.
pub(crate) trait Narrow: Copy + Into<i32> {
    /// The AVX2 dot product.
    ///
    /// # Safety
    /// AVX2 must be present.
    #[cfg(target_arch = "x86_64")]
    unsafe fn dot_avx2(x: &[i32], w: &[Self], chunk: usize) -> i64;

    /// The AVX2 segment dot products ([`segment_dots`]).
    ///
    /// # Safety
    /// AVX2 must be present; `k` a positive multiple of 8, `k ≤ chunk`, and `x`, `w` at least
    /// `out.len()·k` long.
    #[cfg(target_arch = "x86_64")]
    unsafe fn segments_avx2(x: &[i32], w: &[Self], k: usize, chunk: usize, out: &mut [i64]);

    /// The AVX2 four-row segment dot products ([`segment_rows`]).
    ///
    /// # Safety
    /// AVX2 must be present; `k` a positive multiple of 8, `k ≤ chunk`, `out` `4·n` long,
    /// `x` at least `n·k` and `w` at least `4·n·k` long.
    #[cfg(target_arch = "x86_64")]
    unsafe fn rows4_avx2(x: &[i32], w: &[Self], k: usize, n: usize, out: &mut [i64]);
}

/// `Narrow` for a weight type: the three forwards to its AVX2 kernels.
macro_rules! narrow {
    ($t:ty, $dot:ident, $segments:ident, $rows4:ident) => {
        impl Narrow for $t {
            #[cfg(target_arch = "x86_64")]
            unsafe fn dot_avx2(x: &[i32], w: &[$t], chunk: usize) -> i64 {
                // SAFETY: the caller guarantees AVX2.
                unsafe { avx2::$dot(x, w, chunk) }
            }

            #[cfg(target_arch = "x86_64")]
            unsafe fn segments_avx2(x: &[i32], w: &[$t], k: usize, chunk: usize, out: &mut [i64]) {
                // SAFETY: the caller guarantees AVX2 and the lengths.
                unsafe { avx2::$segments(x, w, k, chunk, out) }
            }

            #[cfg(target_arch = "x86_64")]
            unsafe fn rows4_avx2(x: &[i32], w: &[$t], k: usize, n: usize, out: &mut [i64]) {
                // SAFETY: the caller guarantees AVX2 and the lengths.
                unsafe { avx2::$rows4(x, w, k, n, out) }
            }
        }
    };
}

narrow!(i8, dot_i8, segments_i8, rows4_i8);
narrow!(i16, dot_i16, segments_i16, rows4_i16);

/// `Σ x[s]·w[s]` over `min(x.len(), w.len())` elements, exact when every `chunk` products of
/// one lane (or of one chunk) sum below `2^31` in magnitude.
#[inline]
pub(crate) fn dot<W: Narrow>(x: &[i32], w: &[W], chunk: usize) -> i64 {
    #[cfg(target_arch = "x86_64")]
    if chunk > 0 && std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: AVX2 is present (checked just above).
        return unsafe { W::dot_avx2(x, w, chunk) };
    }
    dot_chunked(x, w, chunk.max(1))
}

/// Whether the AVX2 segment kernels take `k`-long segments: AVX2 present, `k` a positive
/// multiple of 8 no longer than `chunk` (so every partial sum is exact in `i32`), and the
/// slices long enough (`fits`).
#[cfg(target_arch = "x86_64")]
fn avx2_segments(fits: bool, k: usize, chunk: usize) -> bool {
    fits && k > 0
        && k.is_multiple_of(8)
        && k <= chunk
        && std::arch::is_x86_feature_detected!("avx2")
}

/// `out[j] = Σ_s x[j·k + s]·w[j·k + s]` for `s < k`: the dot products of consecutive
/// `k`-long segments, one call for a run of outputs whose rows follow each other (stage 1 of
/// the exact block import: a weight row's blocks against the activation's blocks). With AVX2,
/// `k` a multiple of 8 and `k ≤ chunk`, eight segments are reduced together (`vphaddd` tree):
/// every partial sum there is a sum of at most `k ≤ chunk` products, below `2^31` by the
/// chunk bound, so it is exact in `i32` — the same integers as [`dot`] per segment.
/// Otherwise (or when a slice is shorter than `out.len()·k`) each segment goes through [`dot`].
pub(crate) fn segment_dots<W: Narrow>(x: &[i32], w: &[W], k: usize, chunk: usize, out: &mut [i64]) {
    let n = out.len();
    let fits = n
        .checked_mul(k)
        .is_some_and(|len| len <= x.len() && len <= w.len());
    #[cfg(target_arch = "x86_64")]
    if avx2_segments(fits, k, chunk) {
        // SAFETY: AVX2 is present (checked by `avx2_segments`); lengths checked by `fits`.
        unsafe { W::segments_avx2(x, w, k, chunk, out) };
        return;
    }
    for (j, o) in out.iter_mut().enumerate() {
        // Out-of-range segments (never asked for by the kernel) read as empty: sum 0.
        let range = j * k..(j + 1) * k;
        *o = match (x.get(range.clone()), w.get(range)) {
            (Some(xs), Some(ws)) => dot(xs, ws, chunk),
            _ => 0,
        };
    }
}

/// `out[r·n + j] = Σ_s x[j·k + s]·w[(r·n + j)·k + s]` for `s < k`, `j < n` and
/// `r < out.len() / n`: [`segment_dots`] for several consecutive weight rows of `n` segments
/// against the same `n` activation segments (stage 1 of the exact block import: every weight
/// row's blocks against the whole activation). With AVX2, `k` a multiple of 8 and `k ≤ chunk`,
/// four rows are computed together, so each activation load serves four weight rows (the
/// kernel is bound by loading the `i32` activations, four bytes a product); every partial sum
/// is one segment's, at most `k ≤ chunk` products, exact in `i32` as in [`segment_dots`].
pub(crate) fn segment_rows<W: Narrow>(
    x: &[i32],
    w: &[W],
    k: usize,
    chunk: usize,
    n: usize,
    out: &mut [i64],
) {
    let seg = n.saturating_mul(k);
    if n == 0 {
        return;
    }
    let rows = out.len() / n;
    let fits = seg <= x.len() && rows.checked_mul(seg).is_some_and(|len| len <= w.len());
    let mut r = 0;
    #[cfg(target_arch = "x86_64")]
    if avx2_segments(fits, k, chunk) {
        while r + 4 <= rows {
            // SAFETY: AVX2 is present (checked by `avx2_segments`); `x` holds `n·k` elements, `w`
            // from `r·n·k` holds at least `4·n·k` (`r + 4 ≤ rows`, `rows·n·k ≤ w.len()`),
            // and the `out` slice is `4·n` long.
            unsafe { W::rows4_avx2(x, &w[r * seg..], k, n, &mut out[r * n..(r + 4) * n]) };
            r += 4;
        }
    }
    while r < rows {
        let ws = w.get(r * seg..(r + 1) * seg).unwrap_or_default();
        segment_dots(x, ws, k, chunk, &mut out[r * n..(r + 1) * n]);
        r += 1;
    }
}

/// Whether [`dot`] takes the AVX2 path on this machine.
#[cfg(test)]
#[must_use]
pub(crate) fn uses_avx2() -> bool {
    cpu_has!("avx2")
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::{
        __m128i, __m256i, _mm256_add_epi32, _mm256_add_epi64, _mm256_castsi256_si128,
        _mm256_cvtepi16_epi32, _mm256_cvtepi32_epi64, _mm256_cvtepi8_epi32,
        _mm256_extracti128_si256, _mm256_hadd_epi32, _mm256_loadu_si256, _mm256_mullo_epi32,
        _mm256_permute2x128_si256, _mm256_setzero_si256, _mm256_storeu_si256, _mm_loadl_epi64,
        _mm_loadu_si128, _mm_prefetch, _MM_HINT_T1,
    };

    use super::dot_chunked;

    /// Sum of the eight `i32` lanes, each widened to `i64` first.
    #[target_feature(enable = "avx2")]
    fn hsum_wide(v: __m256i) -> i64 {
        let lo = _mm256_cvtepi32_epi64(_mm256_castsi256_si128(v));
        let hi = _mm256_cvtepi32_epi64(_mm256_extracti128_si256::<1>(v));
        let mut out = [0i64; 4];
        // SAFETY: `out` is 32 bytes; the store is unaligned.
        unsafe {
            _mm256_storeu_si256(out.as_mut_ptr().cast::<__m256i>(), _mm256_add_epi64(lo, hi));
        }
        out.iter().sum()
    }

    /// The shared loop: `load_w(i)` gives weights `[i, i + 8)` as eight `i32` lanes.
    #[target_feature(enable = "avx2")]
    #[inline]
    fn dot_with<W: Copy + Into<i32>>(
        x: &[i32],
        w: &[W],
        chunk: usize,
        load_w: impl Fn(usize) -> __m256i,
    ) -> i64 {
        let n = x.len().min(w.len());
        let group = chunk.saturating_mul(8);
        let mut total = 0i64;
        let mut i = 0;
        while n - i >= 8 {
            let end = i + (n - i).min(group) / 8 * 8;
            let mut acc = _mm256_setzero_si256();
            while i < end {
                // SAFETY: `i + 8 ≤ end ≤ n ≤ x.len()`; unaligned load.
                let xv = unsafe { _mm256_loadu_si256(x.as_ptr().add(i).cast::<__m256i>()) };
                acc = _mm256_add_epi32(acc, _mm256_mullo_epi32(xv, load_w(i)));
                i += 8;
            }
            total = total.wrapping_add(hsum_wide(acc));
        }
        total.wrapping_add(dot_chunked(&x[i..n], &w[i..n], chunk))
    }

    /// The eight lanes of each of `acc[0..8]` summed, as one vector of eight sums (a `vphaddd`
    /// tree; exact when every partial sum fits `i32`, see [`super::segment_dots`]).
    #[target_feature(enable = "avx2")]
    fn reduce8(acc: &[__m256i; 8]) -> __m256i {
        let h01 = _mm256_hadd_epi32(acc[0], acc[1]);
        let h23 = _mm256_hadd_epi32(acc[2], acc[3]);
        let h45 = _mm256_hadd_epi32(acc[4], acc[5]);
        let h67 = _mm256_hadd_epi32(acc[6], acc[7]);
        let lo4 = _mm256_hadd_epi32(h01, h23);
        let hi4 = _mm256_hadd_epi32(h45, h67);
        _mm256_add_epi32(
            _mm256_permute2x128_si256::<0x20>(lo4, hi4),
            _mm256_permute2x128_si256::<0x31>(lo4, hi4),
        )
    }

    /// The shared segment loop of [`super::segment_dots`]: the caller guarantees `k` a positive
    /// multiple of 8, `k ≤ chunk`, and `x`, `w` at least `out.len()·k` long.
    #[target_feature(enable = "avx2")]
    #[inline]
    fn segments_with<W: Copy + Into<i32>>(
        x: &[i32],
        w: &[W],
        k: usize,
        chunk: usize,
        out: &mut [i64],
        load_w: impl Fn(usize) -> __m256i,
    ) {
        let n = out.len();
        let mut j = 0;
        while j + 8 <= n {
            let mut acc = [_mm256_setzero_si256(); 8];
            for (t, a) in acc.iter_mut().enumerate() {
                let base = (j + t) * k;
                let mut s = 0;
                while s < k {
                    // SAFETY: `base + s + 8 ≤ (j + 8)·k ≤ n·k ≤ x.len()`; unaligned load.
                    let xv =
                        unsafe { _mm256_loadu_si256(x.as_ptr().add(base + s).cast::<__m256i>()) };
                    *a = _mm256_add_epi32(*a, _mm256_mullo_epi32(xv, load_w(base + s)));
                    s += 8;
                }
            }
            let mut sums = [0i32; 8];
            // SAFETY: `sums` is 32 bytes; the store is unaligned.
            unsafe {
                _mm256_storeu_si256(sums.as_mut_ptr().cast::<__m256i>(), reduce8(&acc));
            }
            for (o, v) in out[j..j + 8].iter_mut().zip(sums) {
                *o = i64::from(v);
            }
            j += 8;
        }
        for (t, o) in out[j..].iter_mut().enumerate() {
            let base = (j + t) * k;
            *o = dot_with(&x[base..base + k], &w[base..base + k], chunk, |i| {
                load_w(base + i)
            });
        }
    }

    /// The four-row loop of [`super::segment_rows`]: two activation segments at a time, each
    /// `x` load multiplied with the four rows' weights (eight accumulators, one `vphaddd`
    /// tree). The caller guarantees `k` a positive multiple of 8, `x` at least `n·k`, `w` at
    /// least `4·n·k` long and `out` `4·n` long.
    #[target_feature(enable = "avx2")]
    #[inline]
    fn rows4_with(
        x: &[i32],
        k: usize,
        n: usize,
        out: &mut [i64],
        (w_bytes, elem): (*const u8, usize),
        load_w: impl Fn(usize) -> __m256i,
    ) {
        let seg = n * k;
        let xp = x.as_ptr();
        // The next four rows, prefetched into L2 at the rate these four are read (one pair
        // of segments of four rows a step): four interleaved row streams defeat the
        // hardware prefetcher, which left the kernel waiting on DRAM at a fraction of
        // the bandwidth a plain sequential read gets.
        let ahead = w_bytes.wrapping_add(4 * seg * elem);
        let step_bytes = 8 * k * elem;
        let mut j = 0;
        while j < n {
            // Two segments `j`, `j + 1` (the second all zeros past the end).
            let pair = j + 1 < n;
            let (b0, b1) = (j * k, (j + 1) * k);
            let from = j / 2 * step_bytes;
            let mut line = 0;
            while line < step_bytes {
                // A prefetch is a hint: it never faults and reads nothing into the program,
                // and `wrapping_add` makes the address without claiming it is in bounds (it
                // may lie past `w`'s end at the last rows).
                _mm_prefetch::<_MM_HINT_T1>(ahead.wrapping_add(from + line).cast::<i8>());
                line += 64;
            }
            let mut acc = [_mm256_setzero_si256(); 8];
            let mut s = 0;
            while s < k {
                // SAFETY: `b0 + s + 8 ≤ (j + 1)·k ≤ n·k ≤ x.len()`; unaligned load.
                let x0 = unsafe { _mm256_loadu_si256(xp.add(b0 + s).cast::<__m256i>()) };
                for (r, a) in acc[..4].iter_mut().enumerate() {
                    *a = _mm256_add_epi32(*a, _mm256_mullo_epi32(x0, load_w(r * seg + b0 + s)));
                }
                if pair {
                    // SAFETY: `pair`: `b1 + s + 8 ≤ (j + 2)·k ≤ n·k ≤ x.len()`.
                    let x1 = unsafe { _mm256_loadu_si256(xp.add(b1 + s).cast::<__m256i>()) };
                    for (r, a) in acc[4..].iter_mut().enumerate() {
                        *a = _mm256_add_epi32(*a, _mm256_mullo_epi32(x1, load_w(r * seg + b1 + s)));
                    }
                }
                s += 8;
            }
            let mut sums = [0i32; 8];
            // SAFETY: `sums` is 32 bytes; the store is unaligned.
            unsafe {
                _mm256_storeu_si256(sums.as_mut_ptr().cast::<__m256i>(), reduce8(&acc));
            }
            for r in 0..4 {
                out[r * n + j] = i64::from(sums[r]);
                if pair {
                    out[r * n + j + 1] = i64::from(sums[4 + r]);
                }
            }
            j += 2;
        }
    }

    /// Four rows of `i8` weights; AVX2 required, lengths as [`rows4_with`].
    #[target_feature(enable = "avx2")]
    pub(super) fn rows4_i8(x: &[i32], w: &[i8], k: usize, n: usize, out: &mut [i64]) {
        let p = w.as_ptr();
        rows4_with(x, k, n, out, (p.cast::<u8>(), 1), |i| {
            // SAFETY: called with `i + 8 ≤ 4·n·k ≤ w.len()`: reads bytes `[i, i + 8)`.
            _mm256_cvtepi8_epi32(unsafe { _mm_loadl_epi64(p.add(i).cast::<__m128i>()) })
        });
    }

    /// Four rows of `i16` weights; AVX2 required, lengths as [`rows4_with`].
    #[target_feature(enable = "avx2")]
    pub(super) fn rows4_i16(x: &[i32], w: &[i16], k: usize, n: usize, out: &mut [i64]) {
        let p = w.as_ptr();
        rows4_with(x, k, n, out, (p.cast::<u8>(), 2), |i| {
            // SAFETY: called with `i + 8 ≤ 4·n·k ≤ w.len()`: reads elements `[i, i + 8)`.
            _mm256_cvtepi16_epi32(unsafe { _mm_loadu_si128(p.add(i).cast::<__m128i>()) })
        });
    }

    /// Segments of `i8` weights; AVX2 required, lengths as [`segments_with`].
    #[target_feature(enable = "avx2")]
    pub(super) fn segments_i8(x: &[i32], w: &[i8], k: usize, chunk: usize, out: &mut [i64]) {
        let p = w.as_ptr();
        segments_with(x, w, k, chunk, out, |i| {
            // SAFETY: called with `i + 8 ≤ out.len()·k ≤ w.len()`: reads bytes `[i, i + 8)`.
            _mm256_cvtepi8_epi32(unsafe { _mm_loadl_epi64(p.add(i).cast::<__m128i>()) })
        });
    }

    /// Segments of `i16` weights; AVX2 required, lengths as [`segments_with`].
    #[target_feature(enable = "avx2")]
    pub(super) fn segments_i16(x: &[i32], w: &[i16], k: usize, chunk: usize, out: &mut [i64]) {
        let p = w.as_ptr();
        segments_with(x, w, k, chunk, out, |i| {
            // SAFETY: called with `i + 8 ≤ out.len()·k ≤ w.len()`: reads elements `[i, i + 8)`.
            _mm256_cvtepi16_epi32(unsafe { _mm_loadu_si128(p.add(i).cast::<__m128i>()) })
        });
    }

    /// `i8` weights; AVX2 required.
    #[target_feature(enable = "avx2")]
    pub(super) fn dot_i8(x: &[i32], w: &[i8], chunk: usize) -> i64 {
        let p = w.as_ptr();
        dot_with(x, w, chunk, |i| {
            // SAFETY: called with `i + 8 ≤ w.len()`: reads bytes `[i, i + 8)`.
            _mm256_cvtepi8_epi32(unsafe { _mm_loadl_epi64(p.add(i).cast::<__m128i>()) })
        })
    }

    /// `i16` weights; AVX2 required.
    #[target_feature(enable = "avx2")]
    pub(super) fn dot_i16(x: &[i32], w: &[i16], chunk: usize) -> i64 {
        let p = w.as_ptr();
        dot_with(x, w, chunk, |i| {
            // SAFETY: called with `i + 8 ≤ w.len()`: reads elements `[i, i + 8)`.
            _mm256_cvtepi16_epi32(unsafe { _mm_loadu_si128(p.add(i).cast::<__m128i>()) })
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use proptest::prelude::*;

    use super::*;

    fn reference<W: Copy + Into<i32>>(x: &[i32], w: &[W]) -> i64 {
        x.iter()
            .zip(w)
            .map(|(&a, &b)| i64::from(a) * i64::from(b.into()))
            .sum()
    }

    /// Longest chunk for which `chunk` products of magnitude `x_max · w_max` stay below 2^31.
    fn chunk_for(x_max: u64, w_max: u64) -> usize {
        usize::try_from(((1u128 << 31) - 1) / (u128::from(x_max) * u128::from(w_max)))
            .unwrap()
            .min(64)
    }

    /// [`dot`] (AVX2 where present) and the portable [`dot_chunked`] equal the `i64`
    /// reference on `x` cut to `xbits` bits and weights of magnitude at most `w_max`.
    fn dot_agrees<W: Narrow>(
        xbits: u32,
        x: &[i32],
        w: &[W],
        w_max: u64,
    ) -> Result<(), TestCaseError> {
        let x: Vec<i32> = x.iter().map(|v| v >> (32 - xbits)).collect();
        let w = &w[..x.len()];
        let chunk = chunk_for(1 << (xbits - 1), w_max);
        prop_assume!(chunk > 0);
        let r = reference(&x, w);
        prop_assert_eq!(dot(&x, w, chunk), r);
        prop_assert_eq!(dot_chunked(&x, w, chunk), r);
        Ok(())
    }

    #[test]
    fn avx2_is_used_where_present() {
        #[cfg(target_arch = "x86_64")]
        assert_eq!(uses_avx2(), std::arch::is_x86_feature_detected!("avx2"));
    }

    #[test]
    fn extreme_values_sum_exactly() {
        let x = vec![-(1i32 << 19); 4096];
        let w = vec![i8::MIN; 4096];
        let chunk = chunk_for(1 << 19, 128);
        assert_eq!(dot(&x, &w, chunk), reference(&x, &w));
        assert_eq!(dot(&x, &w, chunk), dot_chunked(&x, &w, chunk));
        let w16 = vec![i16::MIN; 4096];
        let x16 = vec![(1i32 << 14) - 1; 4096];
        let chunk = chunk_for(1 << 14, 1 << 15);
        assert_eq!(dot(&x16, &w16, chunk), reference(&x16, &w16));
    }

    fn segments_reference<W: Copy + Into<i32>>(x: &[i32], w: &[W], k: usize, n: usize) -> Vec<i64> {
        (0..n)
            .map(|j| reference(&x[j * k..(j + 1) * k], &w[j * k..(j + 1) * k]))
            .collect()
    }

    #[test]
    fn extreme_segments_sum_exactly() {
        // 32 products of 2^19 · 127 each: the largest i32 partial sums the chunk bound allows.
        let x = vec![-(1i32 << 19); 32 * 19];
        let w = vec![-127i8; 32 * 19];
        let chunk = chunk_for(1 << 19, 127);
        assert!(chunk >= 32);
        let mut out = vec![0i64; 19];
        segment_dots(&x, &w, 32, chunk, &mut out);
        assert_eq!(out, segments_reference(&x, &w, 32, 19));
        // The same at four rows of 19 segments (the four-row kernel).
        let w4 = vec![-127i8; 32 * 19 * 4];
        let mut out4 = vec![0i64; 19 * 4];
        segment_rows(&x, &w4, 32, chunk, 19, &mut out4);
        assert_eq!(out4, segments_reference(&x, &w, 32, 19).repeat(4));
    }

    proptest! {
        /// Segment dot products (AVX2 tree where present, else per segment) = the `i64`
        /// reference, whether or not `k` fits the chunk bound.
        #[test]
        fn segment_dots_equal_reference(
            xbits in 1u32..24,
            k8 in 1usize..9,
            n in 0usize..20,
            seed in prop::collection::vec(any::<i32>(), 64 * 20),
            wseed in prop::collection::vec(any::<i8>(), 64 * 20),
        ) {
            let k = k8 * 8;
            let x: Vec<i32> = seed[..n * k].iter().map(|v| v >> (32 - xbits)).collect();
            let w = &wseed[..n * k];
            let chunk = chunk_for(1 << (xbits - 1), 128);
            prop_assume!(chunk > 0);
            let mut out = vec![0i64; n];
            segment_dots(&x, w, k, chunk, &mut out);
            prop_assert_eq!(&out, &segments_reference(&x, w, k, n));
            let w16: Vec<i16> = w.iter().map(|&v| i16::from(v) * 200).collect();
            let chunk16 = chunk_for(1 << (xbits - 1), 128 * 200);
            prop_assume!(chunk16 > 0);
            segment_dots(&x, &w16, k, chunk16, &mut out);
            prop_assert_eq!(&out, &segments_reference(&x, &w16, k, n));
        }

        /// Rows of segments (four-row AVX2 kernel where present, else per row) = the `i64`
        /// reference, for `i8` and `i16` weights, odd and even segment counts, any row count.
        #[test]
        fn segment_rows_equal_reference(
            xbits in 1u32..24,
            k8 in 1usize..6,
            n in 1usize..7,
            rows in 0usize..10,
            seed in prop::collection::vec(any::<i32>(), 40 * 6),
            wseed in prop::collection::vec(any::<i8>(), 40 * 6 * 10),
        ) {
            let k = k8 * 8;
            let x: Vec<i32> = seed[..n * k].iter().map(|v| v >> (32 - xbits)).collect();
            let w = &wseed[..rows * n * k];
            let want: Vec<i64> = (0..rows)
                .flat_map(|r| segments_reference(&x, &w[r * n * k..(r + 1) * n * k], k, n))
                .collect();
            let chunk = chunk_for(1 << (xbits - 1), 128);
            prop_assume!(chunk > 0);
            let mut out = vec![0i64; rows * n];
            segment_rows(&x, w, k, chunk, n, &mut out);
            prop_assert_eq!(&out, &want);
            let w16: Vec<i16> = w.iter().map(|&v| i16::from(v) * 200).collect();
            let want16: Vec<i64> = (0..rows)
                .flat_map(|r| segments_reference(&x, &w16[r * n * k..(r + 1) * n * k], k, n))
                .collect();
            let chunk16 = chunk_for(1 << (xbits - 1), 128 * 200);
            prop_assume!(chunk16 > 0);
            segment_rows(&x, &w16, k, chunk16, n, &mut out);
            prop_assert_eq!(&out, &want16);
        }

        /// AVX2 (where present) = portable = `i64` reference, for `i8` weights.
        #[test]
        fn i8_dot_equals_portable_and_reference(
            xbits in 1u32..24,
            x in prop::collection::vec(any::<i32>(), 0..300),
            w in prop::collection::vec(any::<i8>(), 300),
        ) {
            dot_agrees(xbits, &x, &w, 128)?;
        }

        /// The same for `i16` weights.
        #[test]
        fn i16_dot_equals_portable_and_reference(
            xbits in 1u32..16,
            x in prop::collection::vec(any::<i32>(), 0..300),
            w in prop::collection::vec(any::<i16>(), 300),
        ) {
            dot_agrees(xbits, &x, &w, 1 << 15)?;
        }
    }
}

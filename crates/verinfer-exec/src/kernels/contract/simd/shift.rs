//! Requantization by a plain shift in vectors: `out[i] = clamp((s[i] + half) >> shift, lo,
//! hi)`, the fast form of [`crate::kernels::requant::FastRequant`] (multiplier 1), eight
//! `i64` sums an instruction — after the four-row kernel, the per-element requantization of
//! the block sums was the next largest item of a decoding step.
//!
//! Part of the SIMD-kernel module ([`super`]) and under its rules. On x86-64 with AVX-512F
//! (detected at run time) each group of eight sums is added to `half` (`vpaddq`, wrapping),
//! shifted arithmetically (`vpsraq`), clamped (`vpmaxsq`, `vpminsq`) and narrowed
//! (`vpmovqd`; after the clamp to bounds of at most 32 bits the value is an `i32`, so the
//! narrowing keeps it). The one place this differs from the definition is an addition that
//! overflows `i64`; a sum above `i64::MAX − half` is detected (`vpcmpgtq` into a mask) and
//! then [`shift_clamp`] returns `false`, leaving the caller's exact per-element path to
//! write every output. Anywhere else, `false` at once. Property-tested against
//! `Requant::apply` through `FastRequant::apply_into` (`requant.rs`).
//!
//! Why sound: every vector load reads eight `i64` at `i + 8 ≤ n = min(sums.len(),
//! out.len())`, every store writes eight `i32` at the same bound; the AVX-512 function is
//! only called after `is_x86_feature_detected!("avx512f")` returned true.
#![allow(unsafe_code)]

/// `out[i] = clamp((sums[i] + half) >> shift, lo, hi)` over the common length when this
/// machine has the vector form and no addition overflows; `false` (outputs unspecified) when
/// the caller must take its per-element path. `shift < 64`, `lo ≤ hi`, both in `i32`.
#[inline]
pub(crate) fn shift_clamp(
    sums: &[i64],
    (half, shift): (i64, u32),
    (lo, hi): (i64, i64),
    out: &mut [i32],
) -> bool {
    #[cfg(target_arch = "x86_64")]
    if shift < 64
        && lo <= hi
        && i32::try_from(lo).is_ok()
        && i32::try_from(hi).is_ok()
        && std::arch::is_x86_feature_detected!("avx512f")
    {
        // SAFETY: AVX-512F is present (checked just above); bounds as the function asks.
        return unsafe { avx512::shift_clamp(sums, (half, shift), (lo, hi), out) };
    }
    let _ = (sums, half, shift, lo, hi, out);
    false
}

/// Whether [`shift_clamp`] has a vector form on this machine.
#[cfg(test)]
pub(crate) fn uses_avx512() -> bool {
    cpu_has!("avx512f")
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use std::arch::x86_64::{
        __m256i, __m512i, _mm256_storeu_si256, _mm512_add_epi64, _mm512_cmpgt_epi64_mask,
        _mm512_cvtepi64_epi32, _mm512_loadu_si512, _mm512_max_epi64, _mm512_min_epi64,
        _mm512_set1_epi64, _mm512_sra_epi64, _mm_cvtsi64_si128,
    };

    /// [`super::shift_clamp`]; AVX-512F required, `shift < 64`, `lo ≤ hi` both in `i32`.
    #[target_feature(enable = "avx512f")]
    pub(super) fn shift_clamp(
        sums: &[i64],
        (half, shift): (i64, u32),
        (lo, hi): (i64, i64),
        out: &mut [i32],
    ) -> bool {
        let n = sums.len().min(out.len());
        let limit = i64::MAX - half.max(0);
        let (vh, vlim, vlo, vhi) = (
            _mm512_set1_epi64(half),
            _mm512_set1_epi64(limit),
            _mm512_set1_epi64(lo),
            _mm512_set1_epi64(hi),
        );
        let count = _mm_cvtsi64_si128(i64::from(shift));
        let mut over = 0u8;
        let mut i = 0;
        while i + 8 <= n {
            // SAFETY: `i + 8 ≤ n ≤ sums.len()`; unaligned load of eight `i64`.
            let s = unsafe { _mm512_loadu_si512(sums.as_ptr().add(i).cast::<__m512i>()) };
            over |= _mm512_cmpgt_epi64_mask(s, vlim);
            let v = _mm512_sra_epi64(_mm512_add_epi64(s, vh), count);
            let v = _mm512_cvtepi64_epi32(_mm512_min_epi64(_mm512_max_epi64(v, vlo), vhi));
            // SAFETY: `i + 8 ≤ n ≤ out.len()`; unaligned store of eight `i32`.
            unsafe { _mm256_storeu_si256(out.as_mut_ptr().add(i).cast::<__m256i>(), v) };
            i += 8;
        }
        for (o, &s) in out[i..n].iter_mut().zip(&sums[i..n]) {
            let Some(v) = s.checked_add(half) else {
                return false;
            };
            // Clamped to `[lo, hi]`, both in `i32`.
            #[allow(clippy::cast_possible_truncation)]
            {
                *o = (v >> shift).clamp(lo, hi) as i32;
            }
        }
        over == 0
    }
}

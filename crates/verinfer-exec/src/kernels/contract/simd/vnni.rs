//! Block-scaled rows (`Q8_0`/`Q4_0` imported exactly: `i8` quants `q`, one integer scale `D`
//! per block of 32) against `i32` activations with AVX-512 VNNI: the matrix–vector product a
//! language model's decoding step spends its time in, at 512 bits where the CPU has them.
//!
//! Part of the SIMD-kernel module ([`super`]) and under its rules. The exact integer is
//! `Σ_b D[b]·P[b]` with `P[b] = Σ_{i<32} x[32b + i]·q[32b + i]`, `P[b]` summed in `i32`
//! (exact: the caller's chunk bound says 32 products of the largest magnitudes stay below
//! `2^31`), the products with `D` and their sum in `i64` — what
//! [`super::super::narrow`]'s block path computes.
//!
//! How. The activations are split once per run ([`SplitX::new`]) into two `i16` halves,
//! `x = hi·2^15 + lo` with `lo = x & 0x7fff ∈ [0, 2^15)` and `hi = x >> 15`, which is in
//! `[-2^15, 2^15)` when `x ∈ [-2^30, 2^30)` (checked while splitting; otherwise no split and
//! the AVX2 path runs). Per block the 32 quants are sign-extended to `i16` (`vpmovsxbw`) and
//! `vpdpwssd` adds pairs of products into 16 `i32` lanes: first `hi·q` (each product at most
//! `2^15·2^7` in magnitude, a pair at most `2^23`), then the lanes are shifted left by 15 and
//! `lo·q` added. Every one of these `i32` operations is exact modulo `2^32`, and modulo
//! `2^32` the 16 lanes sum to `Σ (hi·2^15 + lo)·q = P[b]`; since `|P[b]| < 2^31`, the `i32`
//! the lanes sum to *is* `P[b]` (a lane may wrap on the way; the residue cannot). Sixteen
//! blocks' lanes are summed together by a shuffle tree into one vector of 16 `P[b]`, each
//! multiplied by its `D[b]` in 64 bits (`vpmuldq`, exact `i32·i32`) and added in `i64` lanes;
//! the result is summed in `i64` with wrapping adds, as the portable path does (the validator
//! proved the whole sum cannot overflow `i64`, so no partial sum in any order does).
//!
//! Why sound: every load reads a block `b < nb` (`[32b, 32b + 32)` of `lo`, `hi` and `q`;
//! `D[b]`, or sixteen scales `[b, b + 16)` with `b + 16 ≤ nb`), and [`blocks_dot`] checks
//! `32·nb ≤` each slice's length and `nb ≤ D`'s length before calling the vector function;
//! the last `nb mod 16` scales are copied into a local array. The vector function is only
//! called after `is_x86_feature_detected!` returned true for `avx512f`, `avx512bw` and
//! `avx512vnni`.
#![allow(unsafe_code)]

/// Elements per block the kernel takes (`Q8_0`, `Q4_0`).
pub(crate) const BLOCK: usize = 32;

/// Activations as two `i16` halves, `x = hi·2^15 + lo` (see the module doc).
pub(crate) struct SplitX {
    lo: Vec<i16>,
    hi: Vec<i16>,
}

impl SplitX {
    /// `x` split, when this machine has the kernel and every `x` is in `[-2^30, 2^30)`.
    pub(crate) fn new(x: &[i32]) -> Option<Self> {
        if !available() {
            return None;
        }
        let mut lo = vec![0i16; x.len()];
        let mut hi = vec![0i16; x.len()];
        let mut out_of_range = 0u32;
        for ((l, h), &v) in lo.iter_mut().zip(hi.iter_mut()).zip(x) {
            // Top bit set exactly when `v ∉ [-2^30, 2^30)`.
            out_of_range |= v.wrapping_add(1 << 30).cast_unsigned();
            // In range, `v & 0x7fff < 2^15` and `v >> 15 ∈ [-2^15, 2^15)`: both fit `i16`
            // (out of range the split is discarded below).
            #[allow(clippy::cast_possible_truncation)]
            {
                *l = (v & 0x7fff) as i16;
                *h = (v >> 15) as i16;
            }
        }
        (out_of_range >> 31 == 0).then_some(Self { lo, hi })
    }

    /// Elements split.
    pub(crate) fn len(&self) -> usize {
        self.lo.len()
    }
}

/// A block-scaled row's integer scales at their stored width.
#[derive(Clone, Copy)]
pub(crate) enum Scales<'a> {
    /// `i8` scales.
    I8(&'a [i8]),
    /// `i16` scales.
    I16(&'a [i16]),
    /// `i32` scales.
    I32(&'a [i32]),
}

impl Scales<'_> {
    fn len(&self) -> usize {
        match self {
            Scales::I8(d) => d.len(),
            Scales::I16(d) => d.len(),
            Scales::I32(d) => d.len(),
        }
    }

    fn get(&self, b: usize) -> i32 {
        match self {
            Scales::I8(d) => i32::from(d[b]),
            Scales::I16(d) => i32::from(d[b]),
            Scales::I32(d) => d[b],
        }
    }
}

/// Whether this machine runs the kernel (AVX-512F, AVX-512BW and AVX-512 VNNI).
pub(crate) fn available() -> bool {
    cpu_has!("avx512f", "avx512bw", "avx512vnni")
}

/// `Σ_b d[b]·Σ_{i<32} x[x0 + 32b + i]·q[32b + i]` over the `nb = q.len() / 32` blocks of
/// `q` (which must be whole blocks), exact when every block's dot product is below `2^31` in
/// magnitude (the caller's chunk bound of at least 32). `None` when a slice is too short,
/// `q` is not whole blocks or the machine lacks the kernel.
pub(crate) fn blocks_dot(x: &SplitX, x0: usize, q: &[i8], d: Scales<'_>) -> Option<i64> {
    let nb = q.len() / BLOCK;
    let end = x0.checked_add(q.len())?;
    if !q.len().is_multiple_of(BLOCK) || end > x.len() || d.len() < nb || !available() {
        return None;
    }
    #[cfg(target_arch = "x86_64")]
    {
        let (lo, hi) = (&x.lo[x0..end], &x.hi[x0..end]);
        // SAFETY: AVX-512F/BW/VNNI present (`available`); `lo`, `hi`, `q` are `32·nb` long
        // and `d` at least `nb`.
        Some(unsafe { avx512::blocks_dot(lo, hi, q, d, nb) })
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        None
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use std::arch::x86_64::{
        __m128i, __m256i, __m512i, _mm256_loadu_si256, _mm512_add_epi32, _mm512_add_epi64,
        _mm512_cvtepi16_epi32, _mm512_cvtepi8_epi16, _mm512_cvtepi8_epi32, _mm512_dpwssd_epi32,
        _mm512_loadu_si512, _mm512_mul_epi32, _mm512_reduce_add_epi64, _mm512_setzero_si512,
        _mm512_shuffle_i64x2, _mm512_slli_epi32, _mm512_srli_epi64, _mm512_unpackhi_epi32,
        _mm512_unpackhi_epi64, _mm512_unpacklo_epi32, _mm512_unpacklo_epi64, _mm_loadu_si128,
    };

    use super::{Scales, BLOCK};

    /// Block `b`'s sixteen lanes, summing modulo `2^32` to its dot product (module doc).
    /// The caller guarantees `32·(b + 1) ≤` the length of `lo`, `hi` and `q`.
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    #[inline]
    fn block(lo: &[i16], hi: &[i16], q: &[i8], b: usize) -> __m512i {
        let i = b * BLOCK;
        // SAFETY: `i + 32 ≤` every length (the caller's guarantee); unaligned loads of 32
        // `i8` (32 bytes) and 32 `i16` (64 bytes).
        let (w, xl, xh) = unsafe {
            (
                _mm512_cvtepi8_epi16(_mm256_loadu_si256(q.as_ptr().add(i).cast::<__m256i>())),
                _mm512_loadu_si512(lo.as_ptr().add(i).cast::<__m512i>()),
                _mm512_loadu_si512(hi.as_ptr().add(i).cast::<__m512i>()),
            )
        };
        let h = _mm512_dpwssd_epi32(_mm512_setzero_si512(), xh, w);
        _mm512_dpwssd_epi32(_mm512_slli_epi32::<15>(h), xl, w)
    }

    /// The lanes of each of `v[0..16]` summed (modulo `2^32`), as one vector: lane `t` is
    /// the sum of `v[t]`'s lanes. Four halvings; the comments name the block each 128-bit
    /// quarter's lanes (or lane pair) belong to.
    #[target_feature(enable = "avx512f")]
    #[inline]
    fn reduce16(v: &[__m512i; 16]) -> __m512i {
        // Halves: quarter 0–1 of `u[j]` are block j's, quarters 2–3 block j + 8's.
        let u: [__m512i; 8] = std::array::from_fn(|j| {
            let (a, b) = (v[j], v[j + 8]);
            _mm512_add_epi32(
                _mm512_shuffle_i64x2::<0x44>(a, b),
                _mm512_shuffle_i64x2::<0xEE>(a, b),
            )
        });
        // Quarters of `w[j]`: blocks j, j + 8, j + 4, j + 12.
        let w: [__m512i; 4] = std::array::from_fn(|j| {
            let (a, b) = (u[j], u[j + 4]);
            _mm512_add_epi32(
                _mm512_shuffle_i64x2::<0x88>(a, b),
                _mm512_shuffle_i64x2::<0xDD>(a, b),
            )
        });
        // Within each quarter of `z[j]`: lanes 0 and 2 `w[2j]`'s block, 1 and 3 `w[2j + 1]`'s.
        let z: [__m512i; 2] = std::array::from_fn(|j| {
            let (a, b) = (w[2 * j], w[2 * j + 1]);
            _mm512_add_epi32(_mm512_unpacklo_epi32(a, b), _mm512_unpackhi_epi32(a, b))
        });
        // Lane m of quarter Q: `w[m]`'s block there, so quarters hold blocks 0–3, 8–11,
        // 4–7, 12–15; swapping the middle two puts every block at its own lane.
        let s = _mm512_add_epi32(
            _mm512_unpacklo_epi64(z[0], z[1]),
            _mm512_unpackhi_epi64(z[0], z[1]),
        );
        _mm512_shuffle_i64x2::<0xD8>(s, s)
    }

    /// Sixteen scales from block `b` as `i32` lanes. The caller guarantees `b + 16 ≤`
    /// `d`'s length.
    #[target_feature(enable = "avx512f")]
    #[inline]
    fn scales16(d: Scales<'_>, b: usize) -> __m512i {
        // SAFETY: `b + 16 ≤ d.len()` (the caller's guarantee): 16 elements read, unaligned.
        unsafe {
            match d {
                Scales::I8(d) => {
                    _mm512_cvtepi8_epi32(_mm_loadu_si128(d.as_ptr().add(b).cast::<__m128i>()))
                }
                Scales::I16(d) => {
                    _mm512_cvtepi16_epi32(_mm256_loadu_si256(d.as_ptr().add(b).cast::<__m256i>()))
                }
                Scales::I32(d) => _mm512_loadu_si512(d.as_ptr().add(b).cast::<__m512i>()),
            }
        }
    }

    /// `Σ_b D[b]·P[b]` in `i64` lanes: the `i32` products of even lanes and of odd lanes
    /// (`vpmuldq` reads the low, signed 32 bits of each 64-bit lane).
    #[target_feature(enable = "avx512f")]
    #[inline]
    fn scaled(acc: __m512i, p: __m512i, d: __m512i) -> __m512i {
        let even = _mm512_mul_epi32(p, d);
        let odd = _mm512_mul_epi32(_mm512_srli_epi64::<32>(p), _mm512_srli_epi64::<32>(d));
        _mm512_add_epi64(acc, _mm512_add_epi64(even, odd))
    }

    /// [`super::blocks_dot`]; AVX-512F/BW/VNNI required, `lo`, `hi`, `q` at least `32·nb`
    /// and `d` at least `nb` long.
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    pub(super) fn blocks_dot(lo: &[i16], hi: &[i16], q: &[i8], d: Scales<'_>, nb: usize) -> i64 {
        let mut acc = _mm512_setzero_si512();
        let mut b = 0;
        while b + 16 <= nb {
            // `b + t < nb`: every block read is in bounds.
            let v: [__m512i; 16] = std::array::from_fn(|t| block(lo, hi, q, b + t));
            acc = scaled(acc, reduce16(&v), scales16(d, b));
            b += 16;
        }
        if b < nb {
            let rest = nb - b;
            let v: [__m512i; 16] = std::array::from_fn(|t| {
                if t < rest {
                    block(lo, hi, q, b + t)
                } else {
                    _mm512_setzero_si512()
                }
            });
            let mut tail = [0i32; 16];
            for (t, s) in tail[..rest].iter_mut().enumerate() {
                *s = d.get(b + t);
            }
            // SAFETY: `tail` is 16 `i32` (64 bytes); unaligned load.
            let dv = unsafe { _mm512_loadu_si512(tail.as_ptr().cast::<__m512i>()) };
            acc = scaled(acc, reduce16(&v), dv);
        }
        _mm512_reduce_add_epi64(acc)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use proptest::prelude::*;

    use super::*;

    /// The `i64` reference: `Σ_b d[b]·Σ_i x[x0 + 32b + i]·q[32b + i]`.
    fn reference(x: &[i32], x0: usize, q: &[i8], d: &[i32]) -> i64 {
        q.chunks(BLOCK)
            .enumerate()
            .map(|(b, qb)| {
                let p: i64 = qb
                    .iter()
                    .enumerate()
                    .map(|(i, &w)| i64::from(x[x0 + b * BLOCK + i]) * i64::from(w))
                    .sum();
                p.wrapping_mul(i64::from(d[b]))
            })
            .fold(0i64, i64::wrapping_add)
    }

    #[test]
    fn this_cpu_takes_the_avx512_vnni_path_when_it_has_one() {
        #[cfg(target_arch = "x86_64")]
        {
            let has = std::arch::is_x86_feature_detected!("avx512f")
                && std::arch::is_x86_feature_detected!("avx512bw")
                && std::arch::is_x86_feature_detected!("avx512vnni");
            assert_eq!(available(), has);
            let x = SplitX::new(&[1; 32]);
            assert_eq!(x.is_some(), has);
            if let Some(x) = x {
                assert_eq!(blocks_dot(&x, 0, &[2; 32], Scales::I32(&[3])), Some(192));
            }
        }
    }

    #[test]
    fn extreme_values_sum_exactly() {
        if !available() {
            return;
        }
        // The largest block sums the chunk bound allows at Q8_0 (`|q| ≤ 128`): 32 products
        // of `2^19·2^7`, less one so the sum stays below `2^31`; and `i8::MIN` quants with the
        // most negative activations, all scales `i32::MIN`/`i32::MAX`.
        let nb = 37;
        for (xv, qv, dv) in [
            (-(1i32 << 19) + 1, i8::MIN, i32::MIN),
            ((1 << 19) - 1, i8::MIN, i32::MAX),
            (-(1 << 19) + 1, 127, i32::MAX),
            ((1 << 19) - 1, 127, i32::MIN),
        ] {
            let x = vec![xv; nb * BLOCK];
            let q = vec![qv; nb * BLOCK];
            let d = vec![dv; nb];
            let s = SplitX::new(&x).unwrap();
            assert_eq!(
                blocks_dot(&s, 0, &q, Scales::I32(&d)),
                Some(reference(&x, 0, &q, &d))
            );
        }
        // The split's edges: `x` at `-2^30` and `2^30 − 1` with tiny quants.
        let x: Vec<i32> = (0..64)
            .map(|i| {
                if i % 2 == 0 {
                    -(1 << 30)
                } else {
                    (1 << 30) - 1
                }
            })
            .collect();
        let q = vec![1i8; 64];
        let s = SplitX::new(&x).unwrap();
        assert_eq!(
            blocks_dot(&s, 0, &q, Scales::I8(&[1, -1])),
            Some(reference(&x, 0, &q, &[1, -1]))
        );
        // Out of range: no split.
        assert!(SplitX::new(&[1 << 30]).is_none());
        assert!(SplitX::new(&[-(1 << 30) - 1]).is_none());
    }

    #[test]
    fn short_or_partial_slices_are_refused() {
        let Some(s) = SplitX::new(&[0; 64]) else {
            return;
        };
        assert_eq!(blocks_dot(&s, 0, &[0; 31], Scales::I32(&[1])), None);
        assert_eq!(blocks_dot(&s, 33, &[0; 32], Scales::I32(&[1])), None);
        assert_eq!(blocks_dot(&s, 0, &[0; 64], Scales::I32(&[1])), None);
        assert_eq!(blocks_dot(&s, 32, &[0; 32], Scales::I32(&[1])), Some(0));
    }

    /// AVX-512 VNNI = the `i64` reference for any block count (whole groups of 16 and tails),
    /// activation width within the chunk bound, offsets, and `i8`/`i16`/`i32` scales. On a CPU
    /// without VNNI the kernel is never called (the portable path runs instead), so there is
    /// nothing to compare: said on stderr, not rejected case by case until proptest gives up.
    #[test]
    fn blocks_dot_equals_reference() {
        if !available() {
            eprintln!("no AVX-512 VNNI on this CPU: the kernel is never selected; not compared");
            return;
        }
        proptest!(|(
            xbits in 1u32..20,
            nb in 0usize..40,
            off in 0usize..3,
            seed in prop::collection::vec(any::<i32>(), 43 * BLOCK),
            q in prop::collection::vec(any::<i8>(), 40 * BLOCK),
            d in prop::collection::vec(any::<i32>(), 40),
        )| {
            let x: Vec<i32> = seed.iter().map(|v| v >> (32 - xbits)).collect();
            let s = SplitX::new(&x).unwrap();
            let (x0, q) = (off * BLOCK, &q[..nb * BLOCK]);
            prop_assert_eq!(blocks_dot(&s, x0, q, Scales::I32(&d)), Some(reference(&x, x0, q, &d)));
            let d16: Vec<i16> = d.iter().map(|&v| (v >> 16) as i16).collect();
            let w16: Vec<i32> = d16.iter().map(|&v| i32::from(v)).collect();
            prop_assert_eq!(blocks_dot(&s, x0, q, Scales::I16(&d16)), Some(reference(&x, x0, q, &w16)));
            let d8: Vec<i8> = d.iter().map(|&v| (v >> 24) as i8).collect();
            let w8: Vec<i32> = d8.iter().map(|&v| i32::from(v)).collect();
            prop_assert_eq!(blocks_dot(&s, x0, q, Scales::I8(&d8)), Some(reference(&x, x0, q, &w8)));
        });
    }
}

//! Register tiles of `i16` contractions: up to [`MR`] rows of one operand against a panel
//! block of [`LANES`] columns of the other, every sum exact in `i64` (see
//! `contract::gemm`, which packs the operands and requantizes the tiles).
//!
//! Part of the SIMD-kernel module ([`super`]) and under its rules. Layout: the panel block
//! holds column `j`'s element `s` at `(s / 2)·2·LANES + j·2 + s % 2`, so one 64-byte vector
//! is one *pair* of reduction steps for all sixteen columns; a row holds its elements in
//! order, `kp` (even) long, zero past the reduction. On x86-64 with AVX-512F, AVX-512BW and
//! AVX-512 VNNI (detected at run time) a row's pair is broadcast to sixteen `i32` lanes and
//! `vpdpwssd` adds `a[2p]·b[2p] + a[2p+1]·b[2p+1]` to each lane, modulo `2^32`:
//!
//! The reduction is summed in blocks of [`BLOCK_PAIRS`] pairs (`2·BLOCK_PAIRS` steps): each
//! block in `i32` lanes, then widened to `i64` and added (the validator bounds every output
//! below `2^62`, so the `i64` additions are exact).
//!
//! * **plain** rows (the caller proved every output's partial sum over each block,
//!   `|Σ_{s in block} a·b|`, below `2^31`): one `i32` accumulator per lane and block. Its
//!   value is the block's sum modulo `2^32`, and that sum lies in `i32`, so it is the sum.
//! * **split** rows (any `i16` values): the caller passes `hi = a >> 8` (in `[-128, 127]`) and
//!   `lo = a & 0xFF` (in `[0, 255]`), so `a = 256·hi + lo`. A pair of `hi·b` products is at
//!   most `2·128·2^15 = 2^23` in magnitude and one of `lo·b` below `2·255·2^15 < 2^24`, so
//!   over a block of 64 pairs neither accumulator reaches `2^30`: no lane ever wraps. A
//!   block is widened as `256·hi_sum + lo_sum`.
//!
//! The portable kernel computes the same sums directly in `i64`; both are property-tested
//! equal to an `i64` reference, extremes included, and a test checks this CPU takes the
//! vector path when it has the features.
//!
//! Why sound: [`tile`] checks before any vector code that `kp` is even and positive, that
//! `rows ≤ MR`, that each row slice holds `rows·kp` elements and the panel `kp·LANES`; the
//! kernel then reads row `m`'s pair `p` at `m·kp + 2p < rows·kp` (four bytes, unaligned) and
//! the panel's pair `p` at `[32p, 32p + 32) ⊆ [0, kp·LANES)` (64 bytes, unaligned), and
//! writes only through `&mut` arrays of the right size. The vector function is only called
//! after `is_x86_feature_detected!` returned true for all three features.
#![allow(unsafe_code)]

/// Columns of a panel block (one 512-bit vector of `i32` lanes).
pub(crate) const LANES: usize = 16;

/// Most rows of one tile.
pub(crate) const MR: usize = 4;

/// Pairs summed in `i32` before widening (see the module doc).
pub(crate) const BLOCK_PAIRS: usize = 64;

/// Sums of one tile: `[row][column]`.
pub(crate) type TileSums = [[i64; LANES]; MR];

/// The rows of one tile: `rows` rows of `kp` elements each, at `m·kp`.
#[derive(Clone, Copy)]
pub(crate) struct TileRows<'a> {
    /// Split mode: the high parts `a >> 8`; plain mode: the values.
    pub hi: &'a [i16],
    /// Split mode: the low bytes `a & 0xFF`; plain mode: empty.
    pub lo: &'a [i16],
    /// Number of rows (at most [`MR`]).
    pub rows: usize,
}

impl TileRows<'_> {
    fn split(&self) -> bool {
        !self.lo.is_empty()
    }
}

/// `out[m][j] = Σ_{s < kp} a_m[s]·panel_j[s]` for `m < rows.rows`, `j < LANES`, where
/// `a_m = 256·hi_m + lo_m` (split) or `hi_m` (plain, with the sum over every block of
/// [`BLOCK_PAIRS`] pairs proved below `2^31` in magnitude by the caller). Rows past `rows.rows` are left as they are. Returns `false`
/// (computing nothing) when the lengths are not those of the layout.
pub(crate) fn tile(a: TileRows<'_>, kp: usize, panel: &[i16], out: &mut TileSums) -> bool {
    let need = a.rows.saturating_mul(kp);
    let ok = kp > 0
        && kp.is_multiple_of(2)
        && a.rows > 0
        && a.rows <= MR
        && a.hi.len() >= need
        && (!a.split() || a.lo.len() >= need)
        && panel.len() >= kp.saturating_mul(LANES);
    if !ok {
        return false;
    }
    #[cfg(target_arch = "x86_64")]
    if uses_vnni() {
        // SAFETY: the features are present (checked just above); lengths checked by `ok`.
        unsafe { avx512::tile(a, kp, panel, out) };
        return true;
    }
    tile_portable(a, kp, panel, out);
    true
}

/// The portable [`tile`] (lengths as checked there).
pub(crate) fn tile_portable(a: TileRows<'_>, kp: usize, panel: &[i16], out: &mut TileSums) {
    for (m, o) in out.iter_mut().enumerate().take(a.rows) {
        for (j, acc) in o.iter_mut().enumerate() {
            let mut s64 = 0i64;
            for s in 0..kp {
                let b = i64::from(panel[(s / 2) * 2 * LANES + j * 2 + s % 2]);
                let hi = i64::from(a.hi[m * kp + s]);
                let v = if a.split() {
                    hi * 256 + i64::from(a.lo[m * kp + s])
                } else {
                    hi
                };
                s64 = s64.wrapping_add(v.wrapping_mul(b));
            }
            *acc = s64;
        }
    }
}

/// Whether [`tile`] takes the vector path on this machine: the same three features as the
/// block kernel's ([`super::super::vnni::available`]).
pub(crate) fn uses_vnni() -> bool {
    super::super::vnni::available()
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use std::arch::x86_64::{
        __m512i, _mm512_add_epi64, _mm512_castsi512_si256, _mm512_cvtepi32_epi64,
        _mm512_dpwssd_epi32, _mm512_extracti64x4_epi64, _mm512_loadu_si512, _mm512_set1_epi32,
        _mm512_setzero_si512, _mm512_slli_epi64, _mm512_storeu_si512,
    };

    use super::{TileRows, TileSums, BLOCK_PAIRS, LANES};

    /// [`super::tile`] with AVX-512 VNNI.
    ///
    /// # Safety
    /// AVX-512F/BW/VNNI present; lengths as [`super::tile`] checks them.
    pub(super) unsafe fn tile(a: TileRows<'_>, kp: usize, panel: &[i16], out: &mut TileSums) {
        // SAFETY: forwarded from the caller.
        unsafe {
            match (a.rows, a.split()) {
                (1, false) => rows::<1, false>(a, kp, panel, out),
                (2, false) => rows::<2, false>(a, kp, panel, out),
                (3, false) => rows::<3, false>(a, kp, panel, out),
                (_, false) => rows::<4, false>(a, kp, panel, out),
                (1, true) => rows::<1, true>(a, kp, panel, out),
                (2, true) => rows::<2, true>(a, kp, panel, out),
                (3, true) => rows::<3, true>(a, kp, panel, out),
                (_, true) => rows::<4, true>(a, kp, panel, out),
            }
        }
    }

    /// The two `i64` halves of sixteen `i32` lanes.
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn widen(v: __m512i) -> [__m512i; 2] {
        [
            _mm512_cvtepi32_epi64(_mm512_castsi512_si256(v)),
            _mm512_cvtepi32_epi64(_mm512_extracti64x4_epi64::<1>(v)),
        ]
    }

    /// `R` rows (`R == a.rows`, at most `MR`).
    ///
    /// # Safety
    /// As [`tile`].
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    unsafe fn rows<const R: usize, const SPLIT: bool>(
        a: TileRows<'_>,
        kp: usize,
        panel: &[i16],
        out: &mut TileSums,
    ) {
        let pairs = kp / 2;
        let (hi, lo, pp) = (a.hi.as_ptr(), a.lo.as_ptr(), panel.as_ptr());
        let mut tot = [[_mm512_setzero_si512(); 2]; R];
        let mut p0 = 0;
        while p0 < pairs {
            let p1 = (p0 + BLOCK_PAIRS).min(pairs);
            let mut ah = [_mm512_setzero_si512(); R];
            let mut al = [_mm512_setzero_si512(); R];
            for p in p0..p1 {
                // SAFETY: `32p + 32 ≤ 16·kp ≤ panel.len()`; `m·kp + 2p + 2 ≤ R·kp ≤` each row
                // slice's length (checked by `super::tile`).
                unsafe {
                    let b = _mm512_loadu_si512(pp.add(p * 2 * LANES).cast());
                    for m in 0..R {
                        let at = m * kp + 2 * p;
                        let x = _mm512_set1_epi32(hi.add(at).cast::<i32>().read_unaligned());
                        ah[m] = _mm512_dpwssd_epi32(ah[m], x, b);
                        if SPLIT {
                            let y = _mm512_set1_epi32(lo.add(at).cast::<i32>().read_unaligned());
                            al[m] = _mm512_dpwssd_epi32(al[m], y, b);
                        }
                    }
                }
            }
            for m in 0..R {
                let h = widen(ah[m]);
                let l = widen(al[m]);
                for i in 0..2 {
                    let v = if SPLIT {
                        _mm512_add_epi64(_mm512_slli_epi64::<8>(h[i]), l[i])
                    } else {
                        h[i]
                    };
                    tot[m][i] = _mm512_add_epi64(tot[m][i], v);
                }
            }
            p0 = p1;
        }
        for (o, t) in out.iter_mut().zip(tot) {
            // SAFETY: `o` is sixteen `i64`, written as two vectors of eight.
            unsafe {
                _mm512_storeu_si512(o.as_mut_ptr().cast(), t[0]);
                _mm512_storeu_si512(o.as_mut_ptr().add(8).cast(), t[1]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The sums from the unpacked operands, in `i64`.
    fn reference(a: &[Vec<i32>], b: &[Vec<i32>]) -> TileSums {
        let mut out = [[0i64; LANES]; MR];
        for (m, row) in a.iter().enumerate() {
            for (j, col) in b.iter().enumerate() {
                out[m][j] = row
                    .iter()
                    .zip(col)
                    .map(|(&x, &y)| i64::from(x) * i64::from(y))
                    .sum();
            }
        }
        out
    }

    /// Pack `a` (rows) and `b` (`LANES` columns) as the layout says; `split` as the mode.
    fn pack(
        a: &[Vec<i32>],
        b: &[Vec<i32>],
        k: usize,
        split: bool,
    ) -> (Vec<i16>, Vec<i16>, Vec<i16>, usize) {
        let kp = (k + 1) & !1;
        let (mut hi, mut lo) = (
            vec![0i16; a.len() * kp],
            vec![0i16; if split { a.len() * kp } else { 0 }],
        );
        for (m, row) in a.iter().enumerate() {
            for (s, &v) in row.iter().enumerate() {
                if split {
                    hi[m * kp + s] = (v >> 8) as i16;
                    lo[m * kp + s] = (v & 0xFF) as i16;
                } else {
                    hi[m * kp + s] = v as i16;
                }
            }
        }
        let mut panel = vec![0i16; kp * LANES];
        for (j, col) in b.iter().enumerate() {
            for (s, &v) in col.iter().enumerate() {
                panel[(s / 2) * 2 * LANES + j * 2 + s % 2] = v as i16;
            }
        }
        (hi, lo, panel, kp)
    }

    fn check(a: &[Vec<i32>], b: &[Vec<i32>], k: usize, split: bool) {
        let (hi, lo, panel, kp) = pack(a, b, k, split);
        let rows = TileRows {
            hi: &hi,
            lo: &lo,
            rows: a.len(),
        };
        let want = reference(a, b);
        let mut got = [[7i64; LANES]; MR];
        assert!(tile(rows, kp, &panel, &mut got));
        let mut port = [[7i64; LANES]; MR];
        tile_portable(rows, kp, &panel, &mut port);
        for m in 0..a.len() {
            assert_eq!(got[m], want[m], "row {m} k {k} split {split}");
            assert_eq!(port[m], want[m], "portable row {m}");
        }
        for row in &got[a.len()..] {
            assert_eq!(*row, [7; LANES], "rows past `rows` untouched");
        }
    }

    #[test]
    fn extremes_are_exact_in_split_mode() {
        for k in [1usize, 2, 3, 255, 256, 257, 300, 1000] {
            for &(x, y) in &[
                (-32768, -32768),
                (-32768, 32767),
                (32767, 32767),
                (-1, -32768),
                (255, -32768),
            ] {
                let a: Vec<Vec<i32>> = (0..MR)
                    .map(|m| vec![if m % 2 == 0 { x } else { y }; k])
                    .collect();
                let b: Vec<Vec<i32>> = (0..LANES)
                    .map(|j| vec![if j % 3 == 0 { y } else { x }; k])
                    .collect();
                check(&a, &b, k, true);
            }
        }
    }

    #[test]
    fn plain_mode_widens_every_block() {
        // Each block of 128 steps sums to ±(2^31 − 2^21 or so), inside `i32`; the whole
        // reduction (four blocks, and a partial fifth) is far outside it.
        for (x, k) in [(16383, 512), (-16384, 512), (16383, 520)] {
            let a = vec![vec![x; k]; MR];
            let b: Vec<Vec<i32>> = (0..LANES)
                .map(|j| vec![if j % 2 == 0 { 1023 } else { -1023 }; k])
                .collect();
            check(&a, &b, k, false);
        }
    }

    #[test]
    fn plain_mode_is_exact_up_to_its_bound() {
        // Σ = 2^31 - 1 exactly (the largest plain sum), and its negative bound.
        let k = 2;
        let a = vec![vec![32767, 2]];
        let b: Vec<Vec<i32>> = (0..LANES)
            .map(|j| {
                if j == 0 {
                    vec![32767, 32767]
                } else {
                    vec![-32768, -32768]
                }
            })
            .collect();
        // 32767·32767 + 2·32767 = 2^30 - 2^16 + 1 + 65534 < 2^31; 32767·(-32768) + 2·(-32768).
        check(&a, &b, k, false);
        let a = vec![vec![-32768, -32768]];
        let b: Vec<Vec<i32>> = (0..LANES).map(|_| vec![-32768, -32767]).collect();
        check(&a, &b, k, false);
    }

    #[test]
    fn this_cpu_takes_the_vector_path_when_it_can() {
        #[cfg(target_arch = "x86_64")]
        assert_eq!(
            uses_vnni(),
            std::arch::is_x86_feature_detected!("avx512vnni")
                && std::arch::is_x86_feature_detected!("avx512bw")
        );
        // Bad layouts are refused, not read out of bounds.
        let rows = TileRows {
            hi: &[0; 4],
            lo: &[],
            rows: 1,
        };
        let mut out = [[0i64; LANES]; MR];
        assert!(!tile(rows, 3, &[0; 48], &mut out));
        assert!(!tile(rows, 4, &[0; 63], &mut out));
        assert!(!tile(TileRows { rows: 5, ..rows }, 4, &[0; 64], &mut out));
    }

    proptest! {
        /// Vector (where present) = portable = the `i64` reference, split mode, any `i16`.
        #[test]
        fn split_tiles_equal_reference(
            k in 1usize..300,
            rows in 1usize..=MR,
            seed in prop::collection::vec(any::<i16>(), 64),
            ext in any::<u64>(),
        ) {
            let val = |i: usize| -> i32 {
                let v = i32::from(seed[(i * 7 + i / 64) % 64]);
                match (ext >> (i % 61)) & 7 { 0 => -32768, 1 => 32767, _ => v }
            };
            let a: Vec<Vec<i32>> = (0..rows).map(|m| (0..k).map(|s| val(m * 1000 + s)).collect()).collect();
            let b: Vec<Vec<i32>> = (0..LANES).map(|j| (0..k).map(|s| val(j * 131 + s * 3 + 17)).collect()).collect();
            check(&a, &b, k, true);
        }

        /// Plain mode where the bound holds: values whose sums over every block stay inside
        /// `i32`, reductions of several blocks.
        #[test]
        fn plain_tiles_equal_reference(
            k in 1usize..600,
            rows in 1usize..=MR,
            seed in prop::collection::vec(-4095i32..4096, 128),
        ) {
            // |a·b| < 2^24, at most 128 terms a block: below 2^31.
            let a: Vec<Vec<i32>> = (0..rows).map(|m| (0..k).map(|s| seed[(m * 37 + s) % 128]).collect()).collect();
            let b: Vec<Vec<i32>> = (0..LANES).map(|j| (0..k).map(|s| seed[(j * 11 + s * 5 + 3) % 128]).collect()).collect();
            check(&a, &b, k, false);
        }
    }
}

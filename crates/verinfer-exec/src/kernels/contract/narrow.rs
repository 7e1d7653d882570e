//! Contractions whose constant `w` is stored narrow (`i8` or `i16`, see
//! [`verinfer_ir::ParamData`]) against `i32` activation rows: a language model's weights read
//! at one or two bytes an element, never widened or packed into a second copy.
//!
//! Used when `w`'s rows are contiguous slices of the parameter (`x·Wᵀ`, a matrix–vector
//! product per decoding step) and the activations need more than 16 bits (otherwise both
//! sides become `i16` rows, see the module above). A dot product is exact: products are
//! summed in `i32` over chunks short enough that no chunk's sum can reach `2^31` (the chunk
//! length follows from the largest activation magnitude and the weights' actual largest
//! magnitude), and chunk sums are added in `i64`, which the validator proved cannot overflow.
//! The dot products run in [`super::simd`] (AVX2 where the CPU has it, detected at run time)
//! or, elsewhere, in the portable `i32` chunk loop below, which the compiler vectorizes for
//! the build's baseline target (sign-extending loads of `i8`/`i16`, 32-bit multiplies).
//!
//! A block-scaled `w` (`q[i]·d[i/32]`, an exactly imported `Q8_0`/`Q4_0` matrix) is read as
//! its parts: per block the `i8` quants' dot product with the activations (exact in `i32` by
//! the same chunk bound, now of the quants' magnitude), times the block's scale, summed in
//! `i64` — the very integer `Σ x·(q·d)` the contraction means (every partial sum is a sum of
//! exact products, bounded by the validator's accumulator bound), without the block partial
//! sums ever leaving the kernel.

use verinfer_ir::{BlockView, ParamData, ParamView};

use super::access::Access;
use super::simd;
use super::simd::vnni::{self, Scales, SplitX};

/// Longest chunk summed in `i32` (longer ones gain nothing and cost registers).
const MAX_CHUNK: usize = 64;

/// The narrow constant side of a contraction.
pub(crate) struct NarrowW {
    access: Access,
    data: ParamData,
    chunk: usize,
}

impl NarrowW {
    /// `w` read in place when its rows are direct and its store narrow; `x_max_abs` bounds
    /// the other operand.
    pub(crate) fn new(access: Access, data: &ParamData, x_max_abs: u64) -> Option<Self> {
        if !access.is_direct() || matches!(data.view(), ParamView::I32(_)) {
            return None;
        }
        // A block-scaled `w`'s chunks sum quants, whose magnitude is at most 128.
        let w_max = match data.view() {
            ParamView::Blocks(b) => {
                b.q.iter()
                    .map(|v| u64::from(v.unsigned_abs()))
                    .max()
                    .unwrap_or(0)
            }
            _ => data.max_abs(),
        };
        let per_product = u128::from(x_max_abs).saturating_mul(u128::from(w_max));
        let chunk = ((1u128 << 31) - 1)
            .checked_div(per_product)
            .map_or(MAX_CHUNK, |c| usize::try_from(c).unwrap_or(MAX_CHUNK))
            .min(MAX_CHUNK);
        (chunk > 0).then(|| Self {
            access,
            data: data.share(),
            chunk,
        })
    }

    /// Access tables.
    pub(crate) fn access(&self) -> &Access {
        &self.access
    }

    /// Flat start of `key`'s row in the parameter.
    #[inline]
    pub(crate) fn start(&self, key: usize) -> usize {
        self.access.direct_start(key)
    }

    /// Dot products of `out.len()` consecutive rows starting at flat `start` against the
    /// matching `k`-long segments of `x` ([`simd::segment_dots`]).
    #[inline]
    pub(crate) fn segment_dots(&self, x: &[i32], start: usize, out: &mut [i64]) {
        let k = self.access.k;
        let end = start.saturating_add(out.len().saturating_mul(k));
        match self.data.view() {
            ParamView::I8(d) => {
                simd::segment_dots(x, d.get(start..end).unwrap_or_default(), k, self.chunk, out)
            }
            ParamView::I16(d) => {
                simd::segment_dots(x, d.get(start..end).unwrap_or_default(), k, self.chunk, out)
            }
            ParamView::I32(d) => {
                for (j, o) in out.iter_mut().enumerate() {
                    let s = start + j * k;
                    *o = dot_chunked(&x[j * k..(j + 1) * k], &d[s..s + k], 1);
                }
            }
            ParamView::Blocks(b) => {
                for (j, o) in out.iter_mut().enumerate() {
                    *o = self.blocks_dot(
                        &b,
                        x.get(j * k..(j + 1) * k).unwrap_or_default(),
                        start + j * k,
                    );
                }
            }
        }
    }

    /// [`simd::segment_rows`] from flat `start`: `out.len() / n` consecutive weight rows of
    /// `n` segments each against the same `n` segments of `x`.
    #[inline]
    pub(crate) fn segment_rows(&self, x: &[i32], start: usize, n: usize, out: &mut [i64]) {
        let k = self.access.k;
        let end = start.saturating_add(out.len().saturating_mul(k));
        match self.data.view() {
            ParamView::I8(d) => {
                let w = d.get(start..end).unwrap_or_default();
                simd::segment_rows(x, w, k, self.chunk, n, out);
            }
            ParamView::I16(d) => {
                let w = d.get(start..end).unwrap_or_default();
                simd::segment_rows(x, w, k, self.chunk, n, out);
            }
            ParamView::I32(_) | ParamView::Blocks(_) => {
                for (r, o) in out.chunks_mut(n.max(1)).enumerate() {
                    self.segment_dots(x, start + r * n * k, o);
                }
            }
        }
    }

    /// `Σ x[s]·w_row(key)[s]` over the row of `key` (`x` is `k` long).
    #[inline]
    pub(crate) fn dot(&self, x: &[i32], key: usize) -> i64 {
        let s = self.access.direct_start(key);
        let k = self.access.k;
        match self.data.view() {
            ParamView::I8(d) => simd::dot(x, &d[s..s + k], self.chunk),
            ParamView::I16(d) => simd::dot(x, &d[s..s + k], self.chunk),
            ParamView::I32(d) => dot_chunked(x, &d[s..s + k], 1),
            ParamView::Blocks(b) => self.blocks_dot(&b, x, s),
        }
    }

    /// `x` split for the AVX-512 VNNI block kernel ([`simd::vnni`]), once per run: `Some`
    /// when `w` is block-scaled at [`vnni::BLOCK`] elements a block, every block's quant dot
    /// product is exact in `i32` (the chunk bound reaches a whole block), the rows are whole
    /// blocks, and the machine and `x` suit the kernel.
    pub(crate) fn split_x(&self, x: &[i32]) -> Option<SplitX> {
        let ParamView::Blocks(b) = self.data.view() else {
            return None;
        };
        let k = self.access.k;
        if b.block != vnni::BLOCK || self.chunk < vnni::BLOCK || !k.is_multiple_of(vnni::BLOCK) {
            return None;
        }
        SplitX::new(x)
    }

    /// `Σ x[x0 + j]·w_row(key)[j]` from the split `x` of [`Self::split_x`]; `None` when the
    /// row does not start on a block boundary (then [`Self::dot`] computes it).
    #[inline]
    pub(crate) fn split_dot(&self, x: &SplitX, x0: usize, key: usize) -> Option<i64> {
        let ParamView::Blocks(b) = self.data.view() else {
            return None;
        };
        let (s, k) = (self.access.direct_start(key), self.access.k);
        if !s.is_multiple_of(vnni::BLOCK) {
            return None;
        }
        let (b0, nb) = (s / vnni::BLOCK, k / vnni::BLOCK);
        let q = b.q.get(s..s.checked_add(k)?)?;
        let d = match b.d.view() {
            ParamView::I8(d) => Scales::I8(d.get(b0..b0 + nb)?),
            ParamView::I16(d) => Scales::I16(d.get(b0..b0 + nb)?),
            ParamView::I32(d) => Scales::I32(d.get(b0..b0 + nb)?),
            ParamView::Blocks(_) => return None,
        };
        vnni::blocks_dot(x, x0, q, d)
    }

    /// `Σ x[j]·q[s + j]·d[(s + j)/block]` over `x` (one row or segment from flat `s`): whole
    /// blocks as quant dot products ([`simd::segment_dots`], `BLOCKS_AT_ONCE` at a time)
    /// times their scales; a row that does not start on a block boundary or is not whole
    /// blocks is summed element by element (the same integer).
    #[inline]
    fn blocks_dot(&self, b: &BlockView<'_>, x: &[i32], s: usize) -> i64 {
        let bl = b.block;
        if !x.len().is_multiple_of(bl) || !s.is_multiple_of(bl) {
            return x
                .iter()
                .enumerate()
                .map(|(j, &v)| i64::from(v) * i64::from(b.get(s + j).unwrap_or(0)))
                .sum();
        }
        let (nb, b0) = (x.len() / bl, s / bl);
        let q = b.q.get(s..s + x.len()).unwrap_or_default();
        let mut sums = [0i64; BLOCKS_AT_ONCE];
        let mut total = 0i64;
        let mut j = 0;
        while j < nb {
            let n = (nb - j).min(BLOCKS_AT_ONCE);
            let (xs, qs) = (&x[j * bl..(j + n) * bl], &q[j * bl..(j + n) * bl]);
            simd::segment_dots(xs, qs, bl, self.chunk, &mut sums[..n]);
            for (t, &p) in sums[..n].iter().enumerate() {
                let d = b.d.get(b0 + j + t).unwrap_or(0);
                total = total.wrapping_add(p.wrapping_mul(i64::from(d)));
            }
            j += n;
        }
        total
    }
}

/// Blocks whose quant dot products one [`simd::segment_dots`] call computes.
const BLOCKS_AT_ONCE: usize = 64;

/// `Σ x[s]·w[s]`, exact when every chunk of `chunk` products sums below `2^31` in magnitude.
#[inline]
pub(crate) fn dot_chunked<W: Copy + Into<i32>>(x: &[i32], w: &[W], chunk: usize) -> i64 {
    let mut total = 0i64;
    for (xc, wc) in x.chunks(chunk).zip(w.chunks(chunk)) {
        let part = xc.iter().zip(wc).fold(0i32, |acc, (&a, &b)| {
            acc.wrapping_add(a.wrapping_mul(b.into()))
        });
        total = total.wrapping_add(i64::from(part));
    }
    total
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// The chunked dot product equals the `i64` reference whenever the chunk bound holds.
        #[test]
        fn chunked_dot_is_exact(
            x in prop::collection::vec(-(1i32 << 19)..(1 << 19), 0..200),
            w in prop::collection::vec(any::<i8>(), 200),
        ) {
            let w = &w[..x.len()];
            let reference: i64 = x.iter().zip(w).map(|(&a, &b)| i64::from(a) * i64::from(b)).sum();
            let chunk = usize::try_from(((1u128 << 31) - 1) / ((1u128 << 19) * 128)).unwrap();
            prop_assert_eq!(dot_chunked(&x, w, chunk), reference);
        }
    }
}

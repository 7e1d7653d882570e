//! Exact `i64` dot products of `i16` rows through `i32` pair sums (multiply-add instructions).
//!
//! When both operands fit 16 bits but a whole dot product may not fit 32 bits, each *pair*
//! `p = a[2i]·b[2i] + a[2i+1]·b[2i+1]` still nearly does: every product lies in
//! `[-2^30 + 2^15, 2^30]`, so `p ∈ [-2^31 + 2^16, 2^31]`, a range narrower than `2^32` whose
//! top end alone leaves `i32`. The `i32` pair sum is therefore computed with wrapping
//! arithmetic (one `pmaddwd` lane per pair; its only wrap is `2^31 → -2^31`) and shifted by
//! `C = 2^31 - 2^16` into `[0, 2^32 - 2^16]`, where its bits as `u32` are exactly `p + C`.
//! Those are split into 16-bit halves `lo = (p + C) mod 2^16` and `hi = ⌊(p + C) / 2^16⌋`,
//! each in `[0, 2^16)`, and the halves are summed in `i32` accumulators: over at most
//! [`BLOCK`] / 2 = `2^15` pairs each half-sum stays below `2^31`, so no accumulator wraps
//! in value (its wrapping additions only free the compiler to vectorize in any order), and
//! `Σ p = Σ hi · 2^16 + Σ lo - pairs · C` exactly. Blocks are summed in `i64`, which cannot
//! overflow: the validator bounds `Σ |a·b|` below `2^62`.

/// Elements per block of the accumulation (an even number of at most `2^16`, see above).
const BLOCK: usize = 1 << 16;

/// The pair-sum shift `2^31 - 2^16`; its low 16 bits are zero.
const C: i32 = i32::MAX - 0xFFFF;

/// The halves `((p + C) mod 2^16, ⌊(p + C) / 2^16⌋)` of the wrapped pair sum `p`.
#[inline(always)]
fn halves(p: i32) -> (i32, i32) {
    let u = p.wrapping_add(C);
    (u & 0xFFFF, (u as u32 >> 16) as i32)
}

/// `a[i]·b[i] + a[i+1]·b[i+1]` modulo `2^32` (each product is exact in `i32`).
#[inline(always)]
fn pair(a: &[i16], b: &[i16], i: usize) -> i32 {
    (i32::from(a[i]) * i32::from(b[i])).wrapping_add(i32::from(a[i + 1]) * i32::from(b[i + 1]))
}

/// `Σ hi·2^16 + Σ lo - pairs·C`: the exact sum of `pairs` pair sums from their half-sums.
#[inline(always)]
fn combine(lo: i32, hi: i32, pairs: usize) -> i64 {
    // `pairs ≤ 2^15`, so every term is far inside `i64`.
    i64::from(lo) + (i64::from(hi) << 16) - pairs as i64 * i64::from(C)
}

/// The last element of an odd-length row pair, as an exact product (0 when even).
#[inline(always)]
fn odd_tail(a: &[i16], b: &[i16]) -> i64 {
    match (a.chunks_exact(2).remainder(), b.chunks_exact(2).remainder()) {
        ([x], [y]) => i64::from(*x) * i64::from(*y),
        _ => 0,
    }
}

/// `Σ a[s]·b[s]` over one block (`a.len() == b.len() ≤ BLOCK`).
#[inline(never)]
fn dot_block(a: &[i16], b: &[i16]) -> i64 {
    let even = a.len() & !1;
    let (x, y) = (&a[..even], &b[..even]);
    let (mut lo, mut hi) = (0i32, 0i32);
    let mut i = 0;
    while i < even {
        let (l, h) = halves(pair(x, y, i));
        lo = lo.wrapping_add(l);
        hi = hi.wrapping_add(h);
        i += 2;
    }
    combine(lo, hi, even / 2) + odd_tail(a, b)
}

/// Four dot products sharing `a` over one block (every row `a.len() ≤ BLOCK` long).
#[inline(never)]
fn shared4_block(a: &[i16], b: [&[i16]; 4]) -> [i64; 4] {
    let even = a.len() & !1;
    let x = &a[..even];
    let (y0, y1, y2, y3) = (&b[0][..even], &b[1][..even], &b[2][..even], &b[3][..even]);
    let (mut l0, mut l1, mut l2, mut l3) = (0i32, 0i32, 0i32, 0i32);
    let (mut h0, mut h1, mut h2, mut h3) = (0i32, 0i32, 0i32, 0i32);
    let mut i = 0;
    while i < even {
        let (l, h) = halves(pair(x, y0, i));
        (l0, h0) = (l0.wrapping_add(l), h0.wrapping_add(h));
        let (l, h) = halves(pair(x, y1, i));
        (l1, h1) = (l1.wrapping_add(l), h1.wrapping_add(h));
        let (l, h) = halves(pair(x, y2, i));
        (l2, h2) = (l2.wrapping_add(l), h2.wrapping_add(h));
        let (l, h) = halves(pair(x, y3, i));
        (l3, h3) = (l3.wrapping_add(l), h3.wrapping_add(h));
        i += 2;
    }
    let n = even / 2;
    [
        (l0, h0, b[0]),
        (l1, h1, b[1]),
        (l2, h2, b[2]),
        (l3, h3, b[3]),
    ]
    .map(|(l, h, r)| combine(l, h, n) + odd_tail(a, r))
}

/// Exact `Σ a[s]·b[s]` for rows of equal length whose products sum below `2^62` in magnitude.
#[inline]
pub(crate) fn dot(a: &[i16], b: &[i16]) -> i64 {
    let k = a.len().min(b.len());
    a[..k]
        .chunks(BLOCK)
        .zip(b[..k].chunks(BLOCK))
        .map(|(x, y)| dot_block(x, y))
        .fold(0i64, i64::wrapping_add)
}

/// Four dot products sharing the row `a`; every `b` has `a`'s length.
#[inline]
pub(crate) fn shared4(a: &[i16], b: [&[i16]; 4]) -> [i64; 4] {
    let k = a.len();
    let mut sums = [0i64; 4];
    let mut s = 0;
    while s < k {
        let e = (s + BLOCK).min(k);
        let part = shared4_block(&a[s..e], b.map(|r| &r[s..e]));
        for (acc, p) in sums.iter_mut().zip(part) {
            *acc = acc.wrapping_add(p);
        }
        s = e;
    }
    sums
}

#[cfg(test)]
mod tests {
    use super::{dot, shared4, BLOCK};

    fn exact(a: &[i16], b: &[i16]) -> i64 {
        a.iter()
            .zip(b)
            .map(|(&x, &y)| i64::from(x) * i64::from(y))
            .sum()
    }

    /// A deterministic stream of values, biased towards the extremes of `i16`.
    fn values(seed: u64, n: usize) -> Vec<i16> {
        let mut s = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                match s % 6 {
                    0 => i16::MIN,
                    1 => i16::MAX,
                    2 => i16::MIN + 1,
                    _ => (s >> 20) as i16,
                }
            })
            .collect()
    }

    #[test]
    fn extreme_pairs_are_exact() {
        for &(x, y) in &[
            (i16::MIN, i16::MIN),
            (i16::MIN, i16::MAX),
            (i16::MAX, i16::MAX),
            (i16::MAX, i16::MIN),
            (0, i16::MIN),
        ] {
            for k in [
                0usize,
                1,
                2,
                3,
                7,
                8,
                9,
                31,
                64,
                257,
                BLOCK - 1,
                BLOCK,
                BLOCK + 1,
                3 * BLOCK + 5,
            ] {
                let a = vec![x; k];
                let b = vec![y; k];
                let want = exact(&a, &b);
                assert_eq!(dot(&a, &b), want, "{x}·{y} × {k}");
                assert_eq!(
                    shared4(&a, [&b, &a, &b, &b]),
                    [want, exact(&a, &a), want, want]
                );
            }
        }
    }

    #[test]
    fn mixed_rows_are_exact() {
        for (seed, k) in [
            (1u64, 1usize),
            (2, 2),
            (3, 15),
            (4, 100),
            (5, 1001),
            (6, 2 * BLOCK + 3),
        ] {
            let a = values(seed, k);
            let b: Vec<Vec<i16>> = (0..4).map(|t| values(seed * 10 + t, k)).collect();
            let want = [0, 1, 2, 3].map(|t| exact(&a, &b[t]));
            assert_eq!(shared4(&a, [&b[0], &b[1], &b[2], &b[3]]), want);
            for t in 0..4 {
                assert_eq!(dot(&a, &b[t]), want[t]);
            }
        }
    }
}

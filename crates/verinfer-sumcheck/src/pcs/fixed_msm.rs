//! Fixed-base MSMs over the commitment key: the powers `τ^i·G1` never change, so the proving
//! key also stores them shifted, `2^(16j)·τ^i·G1` for the windows `j = 1..16`.
//!
//! Why: a Pippenger over 254-bit scalars pays one bucket set per window (20 windows of 13
//! bits for `2^16` points, each a pass over the points and a reduction of `2^12` buckets).
//! With the shifted points, window `j`'s digit of scalar `i` is the digit of the point
//! `2^(16j)·P_i`, so every window's digits go into **one** set of `2^15` buckets: 16
//! batch-affine additions a point and one bucket reduction in all. The result is the same
//! group element (`fixed_msm_matches_arkworks` proptests it), so proofs are unchanged.
//!
//! The table costs 15 points per power (60 MiB for `2^16` powers), so it is built only for
//! keys of up to [`MAX_TABLE_POINTS`] powers; larger MSMs take the plain Pippenger.

use ark_bn254::{Fr, G1Affine, G1Projective};
use ark_ec::{AdditiveGroup, AffineRepr, CurveGroup};
use ark_ff::Zero;
use rayon::prelude::*;

use super::affine_msm::{signed_digits, Accumulator};

/// Digit width: 16 signed 16-bit windows cover a 254-bit scalar with its last carry.
pub(crate) const C: usize = 16;
/// Windows per scalar (`WINDOWS·C ≥ 255`).
pub(crate) const WINDOWS: usize = 16;
/// Keys of more powers get no table (its size: 15 points a power).
pub const MAX_TABLE_POINTS: usize = 1 << 16;
/// Below this many points the one `2^15`-bucket reduction costs more than the Pippenger's.
pub(crate) const MIN_POINTS: usize = 1 << 13;

/// `2^(16j)·P_i` for `j = 1..16` and the first `len` bases `P_i` (window 0 is the bases).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct FixedBaseTable {
    len: usize,
    /// Window `j`'s points at `(j − 1)·len ..`.
    shifted: Vec<G1Affine>,
}

impl FixedBaseTable {
    /// The table of `bases` (16 doublings a point and window: seconds for `2^16` bases, so
    /// `setup` builds it once and the proving key keeps it).
    #[must_use]
    pub fn build(bases: &[G1Affine]) -> Self {
        let len = bases.len();
        let mut shifted = Vec::with_capacity((WINDOWS - 1) * len);
        let mut prev = bases.to_vec();
        for _ in 1..WINDOWS {
            let next: Vec<G1Projective> = prev
                .par_iter()
                .map(|p| {
                    let mut q = p.into_group();
                    for _ in 0..C {
                        q.double_in_place();
                    }
                    q
                })
                .collect();
            prev = G1Projective::normalize_batch(&next);
            shifted.extend_from_slice(&prev);
        }
        Self { len, shifted }
    }

    /// How many bases the table covers.
    #[must_use]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the table covers no base.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether an MSM over `n` points takes this table.
    pub(crate) fn serves(&self, n: usize) -> bool {
        (MIN_POINTS..=self.len).contains(&n)
    }

    /// Window `j`'s first `n` points (`bases` is window 0).
    fn window<'a>(&'a self, bases: &'a [G1Affine], j: usize, n: usize) -> &'a [G1Affine] {
        if j == 0 {
            &bases[..n]
        } else {
            &self.shifted[(j - 1) * self.len..][..n]
        }
    }

    /// `Σ s_i·P_i` for `n ≤ len` points (`bases` the table's window 0). The bucket range is
    /// split over the rayon threads: each scans every digit and adds those of its buckets.
    pub(crate) fn msm(&self, bases: &[G1Affine], scalars: &[Fr]) -> G1Projective {
        let n = bases.len().min(scalars.len()).min(self.len);
        let digits: Vec<i32> = scalars[..n]
            .par_iter()
            .flat_map_iter(|s| signed_digits(s, C, WINDOWS))
            .collect();
        let windows: Vec<&[G1Affine]> = (0..WINDOWS).map(|j| self.window(bases, j, n)).collect();
        let buckets = 1usize << (C - 1);
        let parts = rayon::current_num_threads().clamp(1, 64);
        let step = buckets.div_ceil(parts);
        (0..parts)
            .into_par_iter()
            .map(|k| {
                let lo = k * step;
                range_sum(&windows, &digits, lo, (lo + step).min(buckets))
            })
            .sum()
    }
}

/// `Σ d·P` over the digits `d` with `|d| − 1 ∈ [lo, hi)` (bucket `|d| − 1` sums their points).
fn range_sum(windows: &[&[G1Affine]], digits: &[i32], lo: usize, hi: usize) -> G1Projective {
    if lo >= hi {
        return G1Projective::zero();
    }
    let mut acc = Accumulator::new(hi - lo);
    for (i, ds) in digits.chunks_exact(WINDOWS).enumerate() {
        for (j, &d) in ds.iter().enumerate() {
            let b = d.unsigned_abs() as usize;
            if b == 0 || b <= lo || b > hi {
                continue;
            }
            let p = windows[j][i];
            acc.push(b - 1 - lo, if d > 0 { p } else { -p });
        }
    }
    acc.flush();
    // Bucket `b` of this range holds magnitude `lo + b + 1`; the running sums weigh it `b + 1`.
    let (sum, all) = acc.running_sums();
    sum + all * Fr::from(lo as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ec::VariableBaseMSM;
    use ark_ff::One;
    use ark_std::rand::{rngs::StdRng, SeedableRng};
    use ark_std::UniformRand;
    use proptest::prelude::*;

    use super::super::test_bases as bases;

    #[test]
    fn the_table_holds_the_shifted_bases() {
        let b = bases(5, 4);
        let t = FixedBaseTable::build(&b);
        assert_eq!(t.len(), 5);
        let shift = Fr::from(1u64 << C);
        for (j, mult) in (1..WINDOWS).zip(std::iter::successors(Some(shift), |m| Some(*m * shift)))
        {
            for (i, p) in b.iter().enumerate() {
                assert_eq!(t.window(&b, j, 5)[i], (*p * mult).into_affine(), "{j} {i}");
            }
        }
    }

    /// Extreme scalars (0, ±1, the largest) and repeated and opposite points force the
    /// carry, the doubling and the cancelling branches.
    #[test]
    fn edge_scalars_and_points_match_arkworks() {
        let n = MIN_POINTS + 3;
        let mut b = bases(n, 8);
        b[5] = b[4];
        b[6] = -b[4];
        b[7] = G1Affine::identity();
        let t = FixedBaseTable::build(&b);
        let mut rng = StdRng::seed_from_u64(5);
        let mut s: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
        s[0] = Fr::zero();
        s[1] = Fr::one();
        s[2] = -Fr::one();
        s[4] = s[5];
        s[6] = s[5];
        assert!(t.serves(n));
        assert_eq!(t.msm(&b, &s), G1Projective::msm_unchecked(&b, &s));
        let same = vec![Fr::from(7u64); n];
        assert_eq!(t.msm(&b, &same), G1Projective::msm_unchecked(&b, &same));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(6))]
        #[test]
        fn fixed_msm_matches_arkworks(seed: u64, extra in 0usize..300, fewer in 0usize..200) {
            let len = MIN_POINTS + extra;
            let b = bases(len, seed);
            let t = FixedBaseTable::build(&b);
            let mut rng = StdRng::seed_from_u64(seed ^ 1);
            let n = len - fewer;
            let s: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
            prop_assert_eq!(t.msm(&b, &s), G1Projective::msm_unchecked(&b[..n], &s));
        }
    }
}

//! MSMs over small signed integer scalars: the commitments to witness columns.
//!
//! Why: most committed tables (activations, rescale remainders, range-check limbs, logUp
//! multiplicities) hold integers of at most ~18 bits, signed. arkworks' `msm_unchecked` does
//! detect small scalars, but its `u16`/`u32` path scans 64 bits of windows (three of every five
//! windows are empty for 16-bit values, each still paying a `2^c`-bucket reduction) and splits
//! positive and negative values into two MSMs. Here a table whose every value lies in
//! `(−2^63, 2^63)` is committed by one bucket pass per `c`-bit window of the *actual* bit
//! width, negatives subtracted from the same buckets; `c` minimises
//! `windows·(n + 3·2^c)` (point additions per window plus the bucket reduction's full
//! additions). The result is the same group element, so commitments and proofs are unchanged
//! (`msm_matches_arkworks` proptests it against `msm_unchecked`).

use ark_bn254::{Fr, G1Affine, G1Projective};
use ark_ec::{AdditiveGroup, CurveGroup, VariableBaseMSM};
use ark_ff::{BigInteger, PrimeField, Zero};
use rayon::prelude::*;

type Bucket = <G1Projective as VariableBaseMSM>::Bucket;

/// `s` as a signed integer when `|s| < 2^63` (field elements near `p` are negatives).
fn small_signed(s: &Fr) -> Option<i64> {
    let b = s.into_bigint();
    let limbs = b.as_ref();
    if limbs[1..].iter().all(|l| *l == 0) && limbs[0] < 1 << 63 {
        return Some(limbs[0] as i64);
    }
    let mut neg = Fr::MODULUS;
    neg.sub_with_borrow(&b);
    let limbs = neg.as_ref();
    if limbs[1..].iter().all(|l| *l == 0) && limbs[0] < 1 << 63 {
        return Some(-(limbs[0] as i64));
    }
    None
}

/// The table as signed integers, or `None` as soon as one value is not small.
fn to_small(scalars: &[Fr]) -> Option<Vec<i64>> {
    scalars.par_iter().map(small_signed).collect()
}

/// `Σ s_i·P_i` over the common prefix of `bases` and `scalars`: the small-integer method when
/// every scalar is small, the batch-affine one ([`super::affine_msm`]) otherwise.
#[cfg(test)]
fn msm(bases: &[G1Affine], scalars: &[Fr]) -> G1Affine {
    msm_with(bases, scalars, None)
}

/// [`msm`], full-width tables by `table`'s fixed-base MSM where it serves (`bases` a prefix
/// of the table's bases).
pub(crate) fn msm_with(
    bases: &[G1Affine],
    scalars: &[Fr],
    table: Option<&super::fixed_msm::FixedBaseTable>,
) -> G1Affine {
    let n = bases.len().min(scalars.len());
    let (bases, scalars) = (&bases[..n], &scalars[..n]);
    match to_small(scalars) {
        Some(small) => msm_small(bases, &small).into_affine(),
        None => super::affine_msm::msm_with(bases, scalars, table).into_affine(),
    }
}

/// `Σ s_i·P_i` for signed integer scalars, split over the rayon threads by points.
fn msm_small(bases: &[G1Affine], scalars: &[i64]) -> G1Projective {
    let n = bases.len().min(scalars.len());
    if n == 0 {
        return G1Projective::zero();
    }
    let chunk = n.div_ceil(rayon::current_num_threads().max(1)).max(1);
    bases[..n]
        .par_chunks(chunk)
        .zip(scalars[..n].par_chunks(chunk))
        .map(|(b, s)| msm_small_serial(b, s))
        .sum()
}

/// The window width minimising `windows·(n + 3·2^c)` for `bits`-bit magnitudes.
fn window(n: usize, bits: u32) -> u32 {
    (1..=bits.min(20))
        .min_by_key(|&c| (bits.div_ceil(c) as u64) * (n as u64 + 3 * (1u64 << c)))
        .unwrap_or(1)
}

fn msm_small_serial(bases: &[G1Affine], scalars: &[i64]) -> G1Projective {
    let max = scalars.iter().map(|s| s.unsigned_abs()).max().unwrap_or(0);
    let bits = u64::BITS - max.leading_zeros();
    if bits == 0 {
        return G1Projective::zero();
    }
    let c = window(bases.len(), bits);
    let mask = (1u64 << c) - 1;
    let mut total = G1Projective::zero();
    for w in (0..bits.div_ceil(c)).rev() {
        for _ in 0..c {
            total.double_in_place();
        }
        let shift = w * c;
        let mut buckets = vec![Bucket::ZERO; mask as usize];
        for (s, p) in scalars.iter().zip(bases) {
            let d = ((s.unsigned_abs() >> shift) & mask) as usize;
            if d != 0 {
                if *s > 0 {
                    buckets[d - 1] += p;
                } else {
                    buckets[d - 1] -= p;
                }
            }
        }
        // Σ_d d·bucket[d] by running sums from the top bucket down.
        let mut running = Bucket::ZERO;
        let mut sum = Bucket::ZERO;
        for b in buckets.iter().rev() {
            running += b;
            sum += &running;
        }
        total += Into::<G1Projective>::into(sum);
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    use super::super::test_bases as bases;

    fn fr(v: i64) -> Fr {
        if v < 0 {
            -Fr::from(v.unsigned_abs())
        } else {
            Fr::from(v as u64)
        }
    }

    #[test]
    fn small_signed_reads_both_signs_and_refuses_big_values() {
        assert_eq!(small_signed(&fr(0)), Some(0));
        assert_eq!(small_signed(&fr(-1)), Some(-1));
        assert_eq!(small_signed(&fr(i64::MAX)), Some(i64::MAX));
        assert_eq!(small_signed(&fr(-i64::MAX)), Some(-i64::MAX));
        assert_eq!(small_signed(&Fr::from(1u64 << 63)), None);
        assert_eq!(small_signed(&-Fr::from(1u64 << 63)), None);
        assert_eq!(small_signed(&Fr::from(u128::MAX)), None);
    }

    #[test]
    fn a_big_scalar_takes_the_generic_path_and_still_matches() {
        let b = bases(40, 7);
        let mut s: Vec<Fr> = (0..40).map(|i| fr(i - 20)).collect();
        s[17] = Fr::from(u128::MAX) * Fr::from(u128::MAX);
        let want = G1Projective::msm_unchecked(&b, &s).into_affine();
        assert_eq!(msm(&b, &s), want);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn msm_matches_arkworks(
            vals in prop::collection::vec(-(1i64 << 20)..(1i64 << 20), 0..300),
            bits in 1u32..63,
            wide in any::<i64>(),
            seed in any::<u64>(),
        ) {
            // Values masked to `bits` bits (sign kept), one of them as wide as `wide`.
            let mask = (1i64 << bits) - 1;
            let mut s: Vec<Fr> = vals.iter().map(|v| fr(v.signum() * (v.abs() & mask))).collect();
            if let Some(first) = s.first_mut() {
                *first = fr(wide.max(-i64::MAX));
            }
            let b = bases(s.len(), seed);
            let want = G1Projective::msm_unchecked(&b, &s).into_affine();
            prop_assert_eq!(msm(&b, &s), want);
            // More bases than scalars: the common prefix, as `msm_unchecked`.
            let longer = bases(s.len() + 3, seed);
            let want = G1Projective::msm_unchecked(&longer[..s.len()], &s).into_affine();
            prop_assert_eq!(msm(&longer, &s), want);
        }
    }
}

//! MSMs over full-width scalars with **batch-affine** bucket accumulation.
//!
//! Why: the opening's MSMs (HyperKZG's fold commitments and its two witnesses, about `3·2^n`
//! points) have random 254-bit scalars, and arkworks' Pippenger adds each point into an
//! extended-Jacobian bucket (`8M + 2S` per addition). Keeping the buckets affine and adding a
//! batch of points into distinct buckets at once, with one shared inversion (Montgomery's
//! trick), costs about `5M + 1S` per addition. Signed digits halve the buckets. The result is
//! the same group element (`affine_msm_matches_arkworks` proptests it), so proofs are unchanged.

use ark_bn254::{Fq, Fr, G1Affine, G1Projective};
use ark_ec::{AdditiveGroup, AffineRepr, CurveGroup, VariableBaseMSM};
use ark_ff::{Field, One, PrimeField, Zero};
use rayon::prelude::*;

use super::fixed_msm::FixedBaseTable;

/// Below this many points arkworks' MSM is as fast (the bucket reduction dominates).
const MIN_POINTS: usize = 1 << 12;

/// Nonzero scalars sampled for a repeat before the tables are grouped by value.
const SAMPLE: usize = 2048;

/// `Σ s_i·P_i` over the common prefix of `bases` and `scalars`.
pub(crate) fn msm(bases: &[G1Affine], scalars: &[Fr]) -> G1Projective {
    msm_with(bases, scalars, None)
}

/// [`msm`], by `table`'s fixed-base MSM where it serves (`bases` must then be a prefix of
/// the table's bases: the commitment key's powers).
pub(crate) fn msm_with(
    bases: &[G1Affine],
    scalars: &[Fr],
    table: Option<&FixedBaseTable>,
) -> G1Projective {
    let n = bases.len().min(scalars.len());
    let (bases, scalars) = (&bases[..n], &scalars[..n]);
    if n < MIN_POINTS {
        return G1Projective::msm_unchecked(bases, scalars);
    }
    grouped(bases, scalars)
        .or_else(|| sparse(bases, scalars))
        .unwrap_or_else(|| match table {
            Some(t) if t.serves(n) => t.msm(bases, scalars),
            _ => pippenger(bases, scalars),
        })
}

/// The MSM over the nonzero scalars only, when more than a quarter of them are zero; `None`
/// otherwise.
///
/// Why: logUp's `g_t = μ_t/(β + t)` is zero wherever the table value `t` never occurs (in the
/// MNIST CNN's proof 57 415 of `2^16` and 30 729 of `2^15`). A Pippenger over the whole table
/// scans every point in every window and reduces buckets sized for `2^16` points; over the
/// ~8 000 nonzero ones it picks its window for that many.
fn sparse(bases: &[G1Affine], scalars: &[Fr]) -> Option<G1Projective> {
    let zeros = scalars.par_iter().filter(|s| s.is_zero()).count();
    if zeros * 4 <= scalars.len() {
        return None;
    }
    let (b, s): (Vec<G1Affine>, Vec<Fr>) = bases
        .iter()
        .zip(scalars)
        .filter(|(_, s)| !s.is_zero())
        .map(|(b, s)| (*b, *s))
        .unzip();
    Some(msm(&b, &s))
}

/// Signed-digit Pippenger with batch-affine buckets, for at least [`MIN_POINTS`] points.
fn pippenger(bases: &[G1Affine], scalars: &[Fr]) -> G1Projective {
    let n = bases.len().min(scalars.len());
    let c = (n.ilog2() as usize * 69 / 100 + 2).clamp(4, 16);
    let windows = 255usize.div_ceil(c);
    let digits: Vec<i32> = scalars
        .par_iter()
        .flat_map_iter(|s| signed_digits(s, c, windows))
        .collect();
    let sums: Vec<G1Projective> = (0..windows)
        .into_par_iter()
        .map(|w| window_sum(bases, &digits, windows, w, c))
        .collect();
    let mut total = G1Projective::zero();
    for s in sums.iter().rev() {
        for _ in 0..c {
            total.double_in_place();
        }
        total += s;
    }
    total
}

/// `Σ_v v·(Σ_{i: s_i = v} P_i)` when the nonzero scalars take at most 4/5 as many distinct
/// values as there are of them, `None` otherwise.
///
/// Why: logUp's `h_i = 1/(β + a_i)` is full-width but takes one value per distinct small
/// integer `a_i` (and one value over the whole padding), so summing the points of each value
/// first (one batch-affine addition a point, as one Pippenger window) leaves an MSM over the
/// distinct values only. Random scalars show no repeat in the first [`SAMPLE`] and skip this
/// at the cost of that sample; zeros are skipped (they add nothing, and logUp's `g` has many).
fn grouped(bases: &[G1Affine], scalars: &[Fr]) -> Option<G1Projective> {
    let mut seen = std::collections::HashSet::with_capacity(SAMPLE);
    let repeats = scalars
        .iter()
        .filter(|s| !s.is_zero())
        .take(SAMPLE)
        .any(|s| !seen.insert(*s));
    if !repeats {
        return None;
    }
    let mut index = std::collections::HashMap::with_capacity(scalars.len() / 2);
    let mut values = Vec::new();
    let mut members = Vec::with_capacity(scalars.len());
    for (p, s) in bases.iter().zip(scalars) {
        if s.is_zero() {
            continue;
        }
        let id = *index.entry(*s).or_insert_with(|| {
            values.push(*s);
            values.len() - 1
        });
        members.push((id, *p));
    }
    if values.len() * 5 > members.len() * 4 {
        return None;
    }
    let mut acc = Accumulator::new(values.len());
    for (id, p) in members {
        acc.push(id, p);
    }
    acc.flush();
    let sums: Vec<G1Projective> = acc
        .buckets
        .iter()
        .zip(&acc.extra)
        .map(|(b, e)| *e + b)
        .collect();
    Some(msm(&G1Projective::normalize_batch(&sums), &values))
}

/// The scalar's digits in `(−2^(c−1), 2^(c−1)]`, least significant window first
/// (`Σ d_w·2^(c·w)` is the scalar; `windows·c ≥ 255` leaves no carry past the top).
pub(super) fn signed_digits(s: &Fr, c: usize, windows: usize) -> impl Iterator<Item = i32> {
    let b = s.into_bigint();
    let limbs: [u64; 4] = b.0;
    let half = 1i64 << (c - 1);
    let mut carry = 0i64;
    (0..windows).map(move |w| {
        let start = w * c;
        let (limb, off) = (start / 64, start % 64);
        let mut v = limbs.get(limb).map_or(0, |l| l >> off);
        if off + c > 64 {
            v |= limbs.get(limb + 1).map_or(0, |l| l << (64 - off));
        }
        let mut d = (v & ((1u64 << c) - 1)) as i64 + carry;
        carry = 0;
        if d > half {
            d -= 1 << c;
            carry = 1;
        }
        d as i32
    })
}

/// One window: `Σ_d d·B_d` where `B_d` sums the points whose digit is `±d`.
fn window_sum(
    bases: &[G1Affine],
    digits: &[i32],
    windows: usize,
    w: usize,
    c: usize,
) -> G1Projective {
    let mut acc = Accumulator::new(1 << (c - 1));
    for (i, p) in bases.iter().enumerate() {
        let d = digits[i * windows + w];
        if d > 0 {
            acc.push(d as usize - 1, *p);
        } else if d < 0 {
            acc.push((-d) as usize - 1, -*p);
        }
    }
    acc.flush();
    acc.running_sums().0
}

/// Affine buckets filled by batches of additions into distinct buckets; a point whose bucket
/// is already in the pending batch goes into that bucket's projective twin (`extra`) instead,
/// so many equal digits (a constant table) cost mixed additions, never a batch each.
pub(super) struct Accumulator {
    buckets: Vec<G1Affine>,
    extra: Vec<G1Projective>,
    busy: Vec<bool>,
    /// Pending additions: bucket, point, the bucket's current value.
    batch: Vec<(usize, G1Affine, G1Affine)>,
    /// Each pending addition's denominator, then (after `flush`'s backward pass) its inverse.
    dens: Vec<Fq>,
    /// Prefix products of `dens` (Montgomery's trick).
    prefix: Vec<Fq>,
    cap: usize,
}

/// The affine addition's denominator: `x_p − x_q`, `2y` for a doubling, `1` where none is
/// needed (an identity operand, or `p = −q`).
fn denominator(q: &G1Affine, p: &G1Affine) -> Fq {
    if q.is_zero() || p.is_zero() {
        Fq::one()
    } else if q.x != p.x {
        p.x - q.x
    } else if q.y == p.y && !q.y.is_zero() {
        q.y.double()
    } else {
        Fq::one()
    }
}

/// Pending additions per flush for `num_buckets` buckets: `10·√num_buckets`, in `[32, 1024]`.
///
/// Why: a flush pays one `Fq` inversion (~4.1 µs, about 330 multiplications, on the 2-core
/// development machine) for the whole batch, while each pending addition makes the next point
/// of the same bucket a projective addition (`extra`, ~5 multiplications more than an affine
/// one), with probability about `cap/(2·num_buckets)`. The sum of the two per point,
/// `330/cap + 5·cap/(2·num_buckets)`, is least at `cap = √(132·num_buckets)`. The former
/// `num_buckets/8` put 64 additions on an inversion for the 512 buckets of a `2^12`-point MSM
/// (a fifth of its time in inversions).
fn batch_cap(num_buckets: usize) -> usize {
    (10 * num_buckets.isqrt()).clamp(32, 1024)
}

impl Accumulator {
    pub(super) fn new(num_buckets: usize) -> Self {
        let cap = batch_cap(num_buckets);
        Self {
            buckets: vec![G1Affine::identity(); num_buckets],
            extra: vec![G1Projective::zero(); num_buckets],
            busy: vec![false; num_buckets],
            batch: Vec::with_capacity(cap),
            dens: Vec::with_capacity(cap),
            prefix: Vec::with_capacity(cap),
            cap,
        }
    }

    pub(super) fn push(&mut self, bucket: usize, p: G1Affine) {
        if self.busy[bucket] {
            self.extra[bucket] += p;
            return;
        }
        self.busy[bucket] = true;
        self.batch.push((bucket, p, self.buckets[bucket]));
        if self.batch.len() == self.cap {
            self.flush();
        }
    }

    /// `(Σ_b (b + 1)·B_b, Σ_b B_b)` over the buckets (after [`Accumulator::flush`]), by
    /// running sums from the top bucket down.
    pub(super) fn running_sums(&self) -> (G1Projective, G1Projective) {
        let mut running = G1Projective::zero();
        let mut sum = G1Projective::zero();
        for (b, e) in self.buckets.iter().zip(&self.extra).rev() {
            running += b;
            if !e.is_zero() {
                running += e;
            }
            sum += running;
        }
        (sum, running)
    }

    /// Add the batch into its (distinct) buckets with one inversion, on this thread.
    ///
    /// Why not `ark_ff::batch_inversion`: with the `parallel` feature it splits even a
    /// 512-element batch over the rayon threads (one inversion each, and a join per flush,
    /// inside MSM windows that already run in parallel).
    pub(super) fn flush(&mut self) {
        self.dens.clear();
        self.prefix.clear();
        let mut acc = Fq::one();
        for (_, p, q) in &self.batch {
            let den = denominator(q, p);
            self.prefix.push(acc);
            acc *= den;
            self.dens.push(den);
        }
        // `acc` is nonzero: every denominator is (distinct x, or 2y ≠ 0, or 1).
        let mut inv = acc.inverse().unwrap_or_default();
        for (d, pre) in self.dens.iter_mut().zip(&self.prefix).rev() {
            let den = *d;
            *d = inv * pre;
            inv *= den;
        }
        for (&(b, p, q), inv) in self.batch.iter().zip(&self.dens) {
            self.buckets[b] = if p.is_zero() {
                q
            } else if q.is_zero() {
                p
            } else if q.x != p.x {
                let l = (p.y - q.y) * inv;
                let x3 = l.square() - q.x - p.x;
                G1Affine::new_unchecked(x3, l * (q.x - x3) - q.y)
            } else if q.y == p.y && !q.y.is_zero() {
                // Doubling on y² = x³ + 3: λ = 3x²/(2y).
                let xx = q.x.square();
                let l = (xx.double() + xx) * inv;
                let x3 = l.square() - q.x.double();
                G1Affine::new_unchecked(x3, l * (q.x - x3) - q.y)
            } else {
                G1Affine::identity()
            };
            self.busy[b] = false;
        }
        self.batch.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_std::rand::{rngs::StdRng, SeedableRng};
    use ark_std::UniformRand;
    use proptest::prelude::*;

    use super::super::test_bases as bases;

    #[test]
    fn digits_recompose_the_scalar() {
        let mut rng = StdRng::seed_from_u64(3);
        for c in [4usize, 7, 13, 14, 16] {
            let windows = 255usize.div_ceil(c);
            for s in [Fr::zero(), Fr::one(), -Fr::one(), Fr::rand(&mut rng)] {
                let mut acc = Fr::zero();
                let radix = Fr::from(1u64 << c);
                for d in signed_digits(&s, c, windows)
                    .collect::<Vec<_>>()
                    .iter()
                    .rev()
                {
                    acc = acc * radix + Fr::from(i64::from(*d));
                }
                assert_eq!(acc, s, "c = {c}");
            }
        }
    }

    /// Repeated and opposite points force the doubling and cancelling branches.
    #[test]
    fn equal_and_opposite_points_in_one_bucket() {
        let one = bases(1, 9)[0];
        let n = MIN_POINTS + 5;
        let mut b = vec![one; n];
        b[3] = -one;
        b[7] = G1Affine::identity();
        let s: Vec<Fr> = (0..n).map(|i| Fr::from((i % 3) as u64 + 1)).collect();
        let want = G1Projective::msm_unchecked(&b, &s);
        assert_eq!(pippenger(&b, &s), want);
        assert_eq!(msm(&b, &s), want);
    }

    /// A constant table puts every point in one bucket per window (the collision path).
    #[test]
    fn a_constant_table_matches() {
        let n = MIN_POINTS + 17;
        let b = bases(n, 4);
        let s = vec![Fr::rand(&mut StdRng::seed_from_u64(5)); n];
        let want = G1Projective::msm_unchecked(&b, &s);
        assert_eq!(pippenger(&b, &s), want);
        assert_eq!(msm(&b, &s), want);
    }

    /// logUp's `h` shape: few distinct full-width values, a long run of one (the padding),
    /// zeros, opposite and identity points — the grouped path, equal to arkworks.
    #[test]
    fn repeated_scalars_are_grouped_and_match() {
        let n = MIN_POINTS + 300;
        let mut b = bases(n, 11);
        b[5] = -b[4];
        b[9] = G1Affine::identity();
        let mut rng = StdRng::seed_from_u64(12);
        let vals: Vec<Fr> = (0..600).map(|_| Fr::rand(&mut rng)).collect();
        let s: Vec<Fr> = (0..n)
            .map(|i| match i % 7 {
                0 => Fr::zero(),
                _ if i > n / 2 => vals[0],
                _ => vals[(i * 31) % vals.len()],
            })
            .collect();
        assert!(
            grouped(&b, &s).is_some(),
            "this table takes the grouped path"
        );
        assert_eq!(msm(&b, &s), G1Projective::msm_unchecked(&b, &s));
    }

    /// logUp's `g` shape: mostly zeros, the rest distinct and full width — the sparse path
    /// (on a compacted table small enough for arkworks' MSM, or still a Pippenger), equal to
    /// arkworks.
    #[test]
    fn mostly_zero_scalars_are_compacted_and_match() {
        let n = MIN_POINTS * 3;
        let b = bases(n, 21);
        let mut rng = StdRng::seed_from_u64(22);
        for every in [2usize, 7, 13] {
            let s: Vec<Fr> = (0..n)
                .map(|i| {
                    if i % every == 0 {
                        Fr::rand(&mut rng)
                    } else {
                        Fr::zero()
                    }
                })
                .collect();
            assert!(sparse(&b, &s).is_some(), "1 in {every} nonzero");
            assert_eq!(
                msm(&b, &s),
                G1Projective::msm_unchecked(&b, &s),
                "1 in {every}"
            );
        }
        let dense: Vec<Fr> = (0..n).map(|i| Fr::from((i % 4 != 0) as u64 + 1)).collect();
        assert!(sparse(&b, &dense).is_none());
    }

    /// Random scalars do not repeat: the plain path, no grouping.
    #[test]
    fn distinct_scalars_are_not_grouped() {
        let n = MIN_POINTS;
        let b = bases(n, 13);
        let mut rng = StdRng::seed_from_u64(14);
        let s: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
        assert!(grouped(&b, &s).is_none());
        // One repeat: sampled, but more than 4/5 of the values are distinct: not grouped.
        let mut s2 = s.clone();
        s2[1] = s2[0];
        assert!(grouped(&b, &s2).is_none());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(6))]
        #[test]
        fn grouped_msm_matches_arkworks(extra in 0usize..2000, distinct in 1usize..400, seed in any::<u64>()) {
            let n = MIN_POINTS + extra;
            let b = bases(n, seed);
            let mut rng = StdRng::seed_from_u64(seed ^ 2);
            let vals: Vec<Fr> = (0..distinct).map(|_| Fr::rand(&mut rng)).collect();
            let s: Vec<Fr> = (0..n).map(|i| vals[(i * 7 + i / 3) % distinct]).collect();
            prop_assert_eq!(msm(&b, &s), G1Projective::msm_unchecked(&b, &s));
        }

        #[test]
        fn affine_msm_matches_arkworks(extra in 0usize..3000, seed in any::<u64>(), small in any::<bool>()) {
            let n = MIN_POINTS + extra;
            let b = bases(n, seed);
            let mut rng = StdRng::seed_from_u64(seed ^ 1);
            let s: Vec<Fr> = (0..n)
                .map(|i| if small { Fr::from((i % 5) as u64) - Fr::from(2u64) } else { Fr::rand(&mut rng) })
                .collect();
            let want = G1Projective::msm_unchecked(&b, &s);
            prop_assert_eq!(pippenger(&b, &s), want);
            prop_assert_eq!(msm(&b, &s), want);
        }
    }
}

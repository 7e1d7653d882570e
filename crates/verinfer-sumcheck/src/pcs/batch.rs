//! Many evaluation claims, one HyperKZG opening: claims `f_j(p_j) = v_j` about committed
//! polynomials (each at its own point; fewer variables are lifted, see `shape`) reduce by one
//! sumcheck to claims at a single point, which one opening of a random combination settles. The prover
//! pays one sumcheck (`O(k·N)` field operations) and one opening (≈ `3N` MSM) instead of `k`
//! openings; the verifier one pairing check instead of `k`.
//!
//! # Protocol
//!
//! 1. Absorb `k`, `n`, then each claim's `C_j`, `p_j`, `v_j`; `α = challenge()`.
//! 2. Sumcheck ([`crate::sumcheck::prove_terms`]) of `Σ_x Σ_j α^j·f_j(x)·eq(p_j, x)` to
//!    `Σ_j α^j·v_j` over `[f_0, eq_0, f_1, eq_1, …]`; it ends at `ρ` with claimed `f_j(ρ)`,
//!    `eq_j(ρ)`. The verifier checks `eq_j(ρ) = eq(p_j, ρ)` itself.
//! 3. `β = challenge()`; one HyperKZG opening of `Σ_j β^j·f_j` at `ρ` against `Σ_j β^j·C_j`
//!    to `Σ_j β^j·f_j(ρ)`.
//!
//! Soundness: `k/r` (α) + `2n/r` (the sumcheck) + `k/r` (β), times the transcript bias, plus
//! HyperKZG's.

use ark_bn254::{Fr, G1Projective};
use ark_ec::{CurveGroup, VariableBaseMSM};
use ark_ff::{One, Zero};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use rayon::prelude::*;

use crate::error::PcsError;
use crate::mle::{eq_eval, eq_table, DenseMle};
use crate::pcs::batch_sumcheck;
use crate::pcs::hyperkzg::{self, Commitment, OpeningProof};
use crate::pcs::srs::{CommitKey, VerifierKey};
use crate::sumcheck::{self, SumcheckProof, Term, Terms};
use crate::transcript::Transcript;

/// A batched opening: the reducing sumcheck and the one opening.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct BatchOpeningProof {
    /// The sumcheck reducing every claim to one point.
    pub sumcheck: SumcheckProof,
    /// The opening of the random combination there.
    pub opening: OpeningProof,
}

/// One claim the verifier holds: `C` opens to `eval` at `point`.
#[derive(Clone, Copy, Debug)]
pub struct Claim<'a> {
    /// The commitment.
    pub commitment: &'a Commitment,
    /// The point.
    pub point: &'a [Fr],
    /// The claimed value.
    pub eval: Fr,
}

fn powers(x: Fr, k: usize) -> Vec<Fr> {
    std::iter::successors(Some(Fr::one()), |p| Some(*p * x))
        .take(k)
        .collect()
}

/// The number of variables of the batch: the most any claim has. A polynomial in fewer
/// variables `n'` is read as the `n`-variable one whose table is its own followed by zeros
/// (the same commitment: zero coefficients add nothing), i.e. `f̂(y ‖ x) = [y = 0]·f(x)`, so a
/// claim `f(p) = v` is the claim `f̂(0…0 ‖ p) = v`.
fn shape(claims: &[Claim<'_>]) -> Result<usize, PcsError> {
    claims
        .iter()
        .map(|c| c.point.len())
        .max()
        .ok_or(PcsError::Malformed("no claims to batch"))
}

/// `0…0 ‖ p` with `n` coordinates.
fn lift(p: &[Fr], n: usize) -> Vec<Fr> {
    let mut v = vec![Fr::zero(); n.saturating_sub(p.len())];
    v.extend_from_slice(p);
    v
}

fn absorb(t: &mut Transcript, n: usize, claims: &[Claim<'_>]) {
    t.absorb_u64(claims.len() as u64);
    t.absorb_u64(n as u64);
    for c in claims {
        t.absorb_g1(&c.commitment.0);
        t.absorb_frs(&lift(c.point, n));
        t.absorb_fr(&c.eval);
    }
}

fn terms(n: usize, alpha: Fr, k: usize) -> Result<Terms, PcsError> {
    let terms = powers(alpha, k)
        .into_iter()
        .enumerate()
        .map(|(j, coeff)| Term {
            coeff,
            factors: vec![2 * j, 2 * j + 1],
        })
        .collect();
    Terms::new(n, 2 * k, terms).map_err(|_| PcsError::Malformed("batch statement"))
}

fn combine(c: &[Commitment], beta: Fr) -> Commitment {
    let bases: Vec<_> = c.iter().map(|x| x.0).collect();
    Commitment(G1Projective::msm_unchecked(&bases, &powers(beta, c.len())).into_affine())
}

/// Open every `(f_j, C_j)` at its point `p_j` with one opening; returns the proof and the
/// values `f_j(p_j)`.
///
/// # Errors
/// [`PcsError::Malformed`] for no claims, [`PcsError::PointLength`] (as an
/// [`crate::MleError`]) for a point that does not fit its polynomial, and what
/// [`hyperkzg::open`] returns.
pub fn open_batch(
    ck: &CommitKey,
    polys: &[(&DenseMle, &Commitment, &[Fr])],
    transcript: &mut Transcript,
) -> Result<(BatchOpeningProof, Vec<Fr>), PcsError> {
    let _p = super::profile::phase("batch: claims' evaluations");
    let evals: Vec<Fr> = polys
        .iter()
        .map(|(f, _, p)| f.evaluate(p))
        .collect::<Result<_, _>>()?;
    // Each claim's own `eq` table: the lifted one is it followed by zeros.
    let eqs: Vec<DenseMle> = polys
        .iter()
        .map(|(_, _, p)| DenseMle::new(eq_table(p)))
        .collect::<Result<_, _>>()?;
    drop(_p);
    let proof = open_batch_with(ck, polys, &evals, eqs, true, transcript)?;
    Ok((proof, evals))
}

/// The verifier's view of the opened `polys` at `evals`: one [`Claim`] each.
fn claims<'a>(polys: &[(&DenseMle, &'a Commitment, &'a [Fr])], evals: &[Fr]) -> Vec<Claim<'a>> {
    polys
        .iter()
        .zip(evals)
        .map(|((_, c, p), e)| Claim {
            commitment: c,
            point: p,
            eval: *e,
        })
        .collect()
}

/// The protocol for given claimed values and `eq` tables, each of its claim's own size (the
/// true ones from [`open_batch`]; the tests pass false ones to play a cheating prover).
///
/// With `merge` (true `eq` tables only) the claims on one polynomial — the same table, by
/// address — share one pair of sumcheck tables and one term of the combination: the same
/// messages and proof, each table read once (`merged_claims_give_the_same_proof`).
fn open_batch_with(
    ck: &CommitKey,
    polys: &[(&DenseMle, &Commitment, &[Fr])],
    evals: &[Fr],
    eqs: Vec<DenseMle>,
    merge: bool,
    transcript: &mut Transcript,
) -> Result<BatchOpeningProof, PcsError> {
    let claims = claims(polys, evals);
    let n = shape(&claims)?;
    absorb(transcript, n, &claims);
    let alpha = transcript.challenge();
    let k = polys.len();
    let coeffs = powers(alpha, k);
    // owner[j]: the first claim on claim j's polynomial (itself without `merge`).
    let owner: Vec<usize> = (0..k)
        .map(|j| {
            let same = |i: &usize| std::ptr::eq(polys[*i].0, polys[j].0);
            if merge {
                (0..j).find(same).unwrap_or(j)
            } else {
                j
            }
        })
        .collect();
    let size = |o: usize| owner.iter().filter(|x| **x == o).count();
    let mut group_of = vec![0usize; k];
    let mut groups: Vec<batch_sumcheck::Group> = vec![];
    let mut eqs: Vec<Option<DenseMle>> = eqs.into_iter().map(Some).collect();
    for j in 0..k {
        let o = owner[j];
        if o != j {
            group_of[j] = group_of[o];
            continue;
        }
        group_of[j] = groups.len();
        let eq = eqs.get_mut(j).and_then(Option::take);
        let eq = eq.ok_or(PcsError::Malformed("one eq table per claim"))?;
        let mut e = eq.evals().to_vec();
        let coeff = if size(j) > 1 {
            e.par_iter_mut().for_each(|x| *x *= coeffs[j]);
            Fr::one()
        } else {
            coeffs[j]
        };
        groups.push(batch_sumcheck::Group {
            f: polys[j].0.evals().to_vec(),
            e,
            coeff,
        });
    }
    for j in 0..k {
        let o = owner[j];
        if o != j {
            let eq = eqs.get(j).and_then(Option::as_ref);
            let eq = eq.ok_or(PcsError::Malformed("one eq table per claim"))?;
            let e = &mut groups[group_of[o]].e;
            if e.len() != eq.evals().len() {
                return Err(PcsError::Malformed("batch tables"));
            }
            let c = coeffs[j];
            e.par_iter_mut()
                .zip(eq.evals().par_iter())
                .for_each(|(x, y)| *x += c * y);
        }
    }
    let members: Vec<(usize, Option<&[Fr]>)> = (0..k)
        .map(|j| {
            let merged = size(owner[j]) > 1;
            (group_of[j], merged.then_some(polys[j].2))
        })
        .collect();
    let proved = {
        let _p = super::profile::phase("batch sumcheck");
        batch_sumcheck::prove_groups(n, groups, &members, transcript)?
    };
    let _p = super::profile::phase("opening (all)");
    let beta = transcript.challenge();
    let betas = powers(beta, k);
    // Σ_j β^j·f_j, each polynomial once with the sum of its claims' weights.
    let mut weight = vec![Fr::zero(); k];
    for (j, b) in betas.iter().enumerate() {
        weight[owner[j]] += b;
    }
    let mut g = vec![Fr::zero(); 1 << n];
    for ((f, _, _), w) in polys.iter().zip(&weight) {
        if !w.is_zero() {
            g.par_iter_mut()
                .zip(f.evals().par_iter())
                .for_each(|(x, y)| *x += *w * y);
        }
    }
    let cs: Vec<Commitment> = polys.iter().map(|(_, c, _)| **c).collect();
    let (opening, _) = hyperkzg::open(
        ck,
        &DenseMle::new(g)?,
        &combine(&cs, beta),
        &proved.reduced.point,
        transcript,
    )?;
    Ok(BatchOpeningProof {
        sumcheck: proved.proof,
        opening,
    })
}

/// Verify every claim with one batched opening.
///
/// # Errors
/// [`PcsError::Malformed`] for misshapen claims or proof, [`PcsError::Rejected`] for a false
/// claim or proof.
pub fn verify_batch(
    vk: &VerifierKey,
    claims: &[Claim<'_>],
    proof: &BatchOpeningProof,
    transcript: &mut Transcript,
) -> Result<(), PcsError> {
    let n = shape(claims)?;
    absorb(transcript, n, claims);
    let alpha = transcript.challenge();
    let k = claims.len();
    let claimed: Fr = powers(alpha, k)
        .iter()
        .zip(claims)
        .map(|(a, c)| *a * c.eval)
        .sum();
    let reduced =
        sumcheck::verify_terms(&terms(n, alpha, k)?, claimed, &proof.sumcheck, transcript)
            .map_err(|e| match e {
                crate::SumcheckError::Rejected => PcsError::Rejected("the batching sumcheck"),
                _ => PcsError::Malformed("the batching sumcheck"),
            })?;
    for (j, c) in claims.iter().enumerate() {
        if reduced.evals.get(2 * j + 1) != Some(&eq_eval(&lift(c.point, n), &reduced.point)?) {
            return Err(PcsError::Rejected("an eq value differs from eq(p, ρ)"));
        }
    }
    let beta = transcript.challenge();
    let betas = powers(beta, k);
    let eval: Fr = betas
        .iter()
        .enumerate()
        .map(|(j, b)| *b * reduced.evals.get(2 * j).copied().unwrap_or_default())
        .sum();
    let cs: Vec<Commitment> = claims.iter().map(|c| *c.commitment).collect();
    hyperkzg::verify(
        vk,
        &combine(&cs, beta),
        &reduced.point,
        eval,
        &proof.opening,
        transcript,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pcs::Srs;
    use ark_ec::AffineRepr;
    use ark_ff::UniformRand;
    use ark_std::rand::{rngs::StdRng, SeedableRng};

    /// Random multilinear polynomials, one in each of `sizes` variables.
    fn random_mles(sizes: &[usize], rng: &mut StdRng) -> Vec<DenseMle> {
        sizes
            .iter()
            .map(|&n| DenseMle::new((0..1 << n).map(|_| Fr::rand(rng)).collect()).unwrap())
            .collect()
    }

    /// A random point in `n` variables.
    fn random_point(n: usize, rng: &mut StdRng) -> Vec<Fr> {
        (0..n).map(|_| Fr::rand(rng)).collect()
    }

    fn commit_all(srs: &Srs, fs: &[DenseMle]) -> Vec<Commitment> {
        fs.iter()
            .map(|f| hyperkzg::commit(&srs.commit_key, f).unwrap())
            .collect()
    }

    #[test]
    fn batched_claims_verify_and_any_false_one_is_rejected() {
        let mut rng = StdRng::seed_from_u64(41);
        let srs = Srs::insecure_local_setup_for_tests(6, &mut rng);
        for k in [1, 2, 4] {
            let n = 5;
            let fs = random_mles(&vec![n; k], &mut rng);
            let cs = commit_all(&srs, &fs);
            let ps: Vec<Vec<Fr>> = (0..k).map(|_| random_point(n, &mut rng)).collect();
            let polys: Vec<(&DenseMle, &Commitment, &[Fr])> =
                (0..k).map(|j| (&fs[j], &cs[j], &ps[j][..])).collect();
            let (proof, evals) =
                open_batch(&srs.commit_key, &polys, &mut Transcript::new(b"b")).unwrap();
            let claims = |evals: &[Fr]| claims(&polys, evals);
            let vk = &srs.verifier_key;
            verify_batch(vk, &claims(&evals), &proof, &mut Transcript::new(b"b")).unwrap();
            for j in 0..k {
                let mut bad = evals.clone();
                bad[j] += Fr::one();
                assert!(
                    verify_batch(vk, &claims(&bad), &proof, &mut Transcript::new(b"b")).is_err(),
                    "k {k}, claim {j}"
                );
            }
            let mut bad = proof.clone();
            bad.opening.witnesses[1] =
                (bad.opening.witnesses[1] + ark_bn254::G1Affine::generator()).into_affine();
            assert!(verify_batch(vk, &claims(&evals), &bad, &mut Transcript::new(b"b")).is_err());
            let mut bad = proof.clone();
            bad.sumcheck.final_evals[0] += Fr::one();
            assert!(verify_batch(vk, &claims(&evals), &bad, &mut Transcript::new(b"b")).is_err());
        }
        assert!(matches!(
            verify_batch(
                &srs.verifier_key,
                &[],
                &BatchOpeningProof {
                    sumcheck: SumcheckProof {
                        rounds: vec![],
                        final_evals: vec![]
                    },
                    opening: OpeningProof {
                        folds: vec![],
                        evals: vec![],
                        witnesses: vec![]
                    }
                },
                &mut Transcript::new(b"b")
            ),
            Err(PcsError::Malformed(_))
        ));
    }

    /// A prover claiming a false `f(p)` with an `eq` table bent to match it passes the
    /// sumcheck and the opening; only the verifier's own `eq(p, ρ)` catches it.
    #[test]
    fn a_bent_eq_table_is_rejected() {
        let mut rng = StdRng::seed_from_u64(42);
        let srs = Srs::insecure_local_setup_for_tests(4, &mut rng);
        let n = 4;
        let f = random_mles(&[n], &mut rng).remove(0);
        let c = hyperkzg::commit(&srs.commit_key, &f).unwrap();
        let p = random_point(n, &mut rng);
        let lie = f.evaluate(&p).unwrap() + Fr::one();
        let mut eq = eq_table(&p);
        // Σ f·eq' = lie: add 1/f[0] at index 0.
        eq[0] += ark_ff::Field::inverse(&f.evals()[0]).unwrap();
        let proof = open_batch_with(
            &srs.commit_key,
            &[(&f, &c, &p[..])],
            &[lie],
            vec![DenseMle::new(eq).unwrap()],
            false,
            &mut Transcript::new(b"b"),
        )
        .unwrap();
        let claim = [Claim {
            commitment: &c,
            point: &p,
            eval: lie,
        }];
        assert!(matches!(
            verify_batch(
                &srs.verifier_key,
                &claim,
                &proof,
                &mut Transcript::new(b"b")
            ),
            Err(PcsError::Rejected(_))
        ));
    }

    /// Several claims on one polynomial (the same table) share sumcheck tables: the proof is
    /// byte for byte the one of the claims taken one by one, and it verifies.
    #[test]
    fn merged_claims_give_the_same_proof() {
        let mut rng = StdRng::seed_from_u64(44);
        let srs = Srs::insecure_local_setup_for_tests(5, &mut rng);
        let fs = random_mles(&[5, 3, 0], &mut rng);
        let cs = commit_all(&srs, &fs);
        // f0 thrice, f1 twice, f2 (a constant) twice, interleaved.
        let which = [0usize, 1, 0, 2, 1, 0, 2];
        let ps: Vec<Vec<Fr>> = which
            .iter()
            .map(|&w| random_point(fs[w].num_vars(), &mut rng))
            .collect();
        let polys: Vec<(&DenseMle, &Commitment, &[Fr])> = which
            .iter()
            .zip(&ps)
            .map(|(&w, p)| (&fs[w], &cs[w], &p[..]))
            .collect();
        let mut t1 = Transcript::new(b"b");
        let (merged, evals) = open_batch(&srs.commit_key, &polys, &mut t1).unwrap();
        let eqs = ps
            .iter()
            .map(|p| DenseMle::new(eq_table(p)).unwrap())
            .collect();
        let mut t2 = Transcript::new(b"b");
        let plain = open_batch_with(&srs.commit_key, &polys, &evals, eqs, false, &mut t2).unwrap();
        assert_eq!(merged, plain);
        assert_eq!(t1.challenge(), t2.challenge());
        let vk = &srs.verifier_key;
        verify_batch(
            vk,
            &claims(&polys, &evals),
            &merged,
            &mut Transcript::new(b"b"),
        )
        .unwrap();
    }

    #[test]
    fn claims_in_different_numbers_of_variables_batch() {
        let mut rng = StdRng::seed_from_u64(43);
        let srs = Srs::insecure_local_setup_for_tests(6, &mut rng);
        let fs = random_mles(&[6, 3, 0, 5], &mut rng);
        let cs = commit_all(&srs, &fs);
        let ps: Vec<Vec<Fr>> = fs
            .iter()
            .map(|f| random_point(f.num_vars(), &mut rng))
            .collect();
        let polys: Vec<(&DenseMle, &Commitment, &[Fr])> =
            (0..4).map(|j| (&fs[j], &cs[j], &ps[j][..])).collect();
        let (proof, evals) =
            open_batch(&srs.commit_key, &polys, &mut Transcript::new(b"b")).unwrap();
        for j in 0..4 {
            assert_eq!(evals[j], fs[j].evaluate(&ps[j]).unwrap());
        }
        let claims = |evals: &[Fr]| claims(&polys, evals);
        let vk = &srs.verifier_key;
        verify_batch(vk, &claims(&evals), &proof, &mut Transcript::new(b"b")).unwrap();
        for j in 0..4 {
            let mut bad = evals.clone();
            bad[j] += Fr::one();
            assert!(verify_batch(vk, &claims(&bad), &proof, &mut Transcript::new(b"b")).is_err());
        }
    }
}

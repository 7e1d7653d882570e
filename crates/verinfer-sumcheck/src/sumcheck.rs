//! The sumcheck protocol (Lund–Fortnow–Karloff–Nisan) for a product of multilinear
//! polynomials: the prover convinces the verifier that
//!
//! ```text
//! claim = Σ_{x ∈ {0,1}^n} f_1(x)·…·f_d(x)        (1 ≤ d ≤ MAX_DEGREE = 3)
//! ```
//!
//! and the verifier ends holding a random point `ρ` and claimed values `f_i(ρ)`, which the
//! caller must check some other way (a commitment opening, or the next layer's sumcheck).
//!
//! # Protocol (non-interactive through [`Transcript`])
//!
//! 1. Both absorb `n`, `d` and `claim` (words).
//! 2. Round `k = 1..n`: the prover sends the round polynomial
//!    `p_k(t) = Σ_{x ∈ {0,1}^(n−k)} Π_i f_i(ρ_1, …, ρ_(k−1), t, x)`, of degree ≤ d, as its
//!    values at `t = 0, 2, 3, …, d` (`d` scalars; `p_k(1)` is implied by
//!    `p_k(0) + p_k(1) = e_(k−1)`, which saves a scalar per round and the check with it). Both
//!    absorb the message; `ρ_k = challenge()`; the verifier sets `e_k = p_k(ρ_k)` by Lagrange
//!    interpolation over the nodes `0..=d` (`e_0 = claim`).
//! 3. The prover sends `f_i(ρ)` for every factor; both absorb them; the verifier accepts iff
//!    `Π_i f_i(ρ) = e_n`.
//!
//! **Soundness:** if `claim` is false, a cheating prover passes with probability at most
//! `d·n/r` (Schwartz–Zippel per round, union bound), times the challenge bias 1.14 of the
//! transcript; for `d = 3`, `n = 30`: < 2^-246. The final values are *claims*: soundness of the
//! whole argument also needs them checked (a commitment opening).
//!
//! **Prover cost:** round `k` reads each factor's table once (`2^(n−k+1)` entries) and binds it
//! to `ρ_k`, so the total is `O(d·2^n)` field operations: linear in the tables. Sums are
//! parallel with rayon; field addition is exact, so the result does not depend on threads.

use ark_bn254::Fr;
use ark_ff::{Field, One, Zero};
use rayon::prelude::*;

use crate::error::SumcheckError;
use crate::mle::DenseMle;
use crate::transcript::Transcript;

/// Most factors a product may have (round polynomials of degree ≤ 3).
pub const MAX_DEGREE: usize = 3;

/// Below this many pairs per round the serial loop beats rayon's overhead.
const PAR_THRESHOLD: usize = 1 << 11;

/// One round's message: `p(0), p(2), …, p(d)` (`d` scalars; `p(1)` is implied).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoundMessage(pub Vec<Fr>);

/// A sumcheck proof: one message per variable, then every factor's value at the final point.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SumcheckProof {
    /// Round messages, first variable first.
    pub rounds: Vec<RoundMessage>,
    /// `f_i(ρ)` for every factor, in the order of the factors.
    pub final_evals: Vec<Fr>,
}

/// What a sumcheck reduces its claim to: `f_i(point) = evals[i]` for every factor. The caller
/// must check these (that is what makes the claim proven).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReducedClaim {
    /// The random point `ρ`, first variable first.
    pub point: Vec<Fr>,
    /// The claimed value of each factor there.
    pub evals: Vec<Fr>,
}

/// `Σ_x Π_i f_i(x)`, the claim a sumcheck over these factors proves.
///
/// # Errors
/// As [`prove`] for the shapes.
pub fn sum_of_products(factors: &[DenseMle]) -> Result<Fr, SumcheckError> {
    check_factors(factors)?;
    let len = factors.first().map_or(0, |f| f.evals().len());
    let term = |j: usize| -> Fr { factors.iter().map(|f| f.evals()[j]).product() };
    Ok(if len >= PAR_THRESHOLD {
        (0..len).into_par_iter().map(term).sum()
    } else {
        (0..len).map(term).sum()
    })
}

fn check_factors(factors: &[DenseMle]) -> Result<usize, SumcheckError> {
    let Some(first) = factors.first() else {
        return Err(SumcheckError::Degree {
            factors: 0,
            max: MAX_DEGREE,
        });
    };
    if factors.len() > MAX_DEGREE {
        return Err(SumcheckError::Degree {
            factors: factors.len(),
            max: MAX_DEGREE,
        });
    }
    let n = first.num_vars();
    for (index, f) in factors.iter().enumerate() {
        if f.num_vars() != n {
            return Err(SumcheckError::FactorShape {
                index,
                expected: n,
                got: f.num_vars(),
            });
        }
    }
    Ok(n)
}

/// The round polynomial's values at `t = 0, 2, …, d` for the current tables.
fn round_message(factors: &[DenseMle]) -> Vec<Fr> {
    let d = factors.len();
    let half = factors.first().map_or(0, |f| f.evals().len() / 2);
    // Values of Π_i f_i(t, x) at t = 0, 2, 3 for one x; unused slots stay zero.
    let at = |j: usize| -> [Fr; MAX_DEGREE] {
        let mut acc = [Fr::one(); MAX_DEGREE];
        for f in factors {
            let e = f.evals();
            let (lo, hi) = (e[j], e[j + half]);
            let delta = hi - lo;
            acc[0] *= lo;
            // f(t) = lo + t·delta, stepping t = 1, 2, 3.
            let mut v = hi;
            for a in acc.iter_mut().take(d).skip(1) {
                v += delta;
                *a *= v;
            }
        }
        acc
    };
    let add = |mut a: [Fr; MAX_DEGREE], b: [Fr; MAX_DEGREE]| {
        a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
        a
    };
    let zero = [Fr::zero(); MAX_DEGREE];
    let sums = if half >= PAR_THRESHOLD {
        (0..half).into_par_iter().map(at).reduce(|| zero, add)
    } else {
        (0..half).map(at).fold(zero, add)
    };
    sums[..d].to_vec()
}

/// The prover's side: the proof, the claim it proves (absorbed first) and the reduced claim.
#[derive(Clone, Debug)]
pub struct Proved {
    /// The proof to send.
    pub proof: SumcheckProof,
    /// `Σ_x Π_i f_i(x)`, as absorbed.
    pub claim: Fr,
    /// The point and the factors' values there (what the verifier will hold).
    pub reduced: ReducedClaim,
}

/// Prove `claim = Σ_x Π_i f_i(x)` for the given factors (consumed: they are bound in place).
///
/// # Errors
/// [`SumcheckError::Degree`] for no factors or more than [`MAX_DEGREE`];
/// [`SumcheckError::FactorShape`] if their variable counts differ.
pub fn prove(
    mut factors: Vec<DenseMle>,
    transcript: &mut Transcript,
) -> Result<Proved, SumcheckError> {
    let n = check_factors(&factors)?;
    let claim = sum_of_products(&factors)?;
    let d = factors.len();
    absorb_statement(transcript, n, d, &claim);
    let mut rounds = Vec::with_capacity(n);
    let mut point = Vec::with_capacity(n);
    for _ in 0..n {
        let msg = round_message(&factors);
        transcript.absorb_frs(&msg);
        let r = transcript.challenge();
        factors.iter_mut().for_each(|f| f.bind_first(r));
        rounds.push(RoundMessage(msg));
        point.push(r);
    }
    let evals: Vec<Fr> = factors
        .iter()
        .map(|f| f.evals().first().copied().unwrap_or_else(Fr::zero))
        .collect();
    transcript.absorb_frs(&evals);
    Ok(Proved {
        proof: SumcheckProof {
            rounds,
            final_evals: evals.clone(),
        },
        claim,
        reduced: ReducedClaim { point, evals },
    })
}

fn absorb_statement(t: &mut Transcript, n: usize, d: usize, claim: &Fr) {
    t.absorb_u64(n as u64);
    t.absorb_u64(d as u64);
    t.absorb_fr(claim);
}

/// Verify a proof that `claim = Σ_x Π_{i<degree} f_i(x)` over `num_vars` variables.
///
/// # Errors
/// [`SumcheckError::Malformed`] for a proof of the wrong shape, [`SumcheckError::Degree`] for
/// an unsupported degree, [`SumcheckError::Rejected`] for a false proof.
pub fn verify(
    num_vars: usize,
    degree: usize,
    claim: Fr,
    proof: &SumcheckProof,
    transcript: &mut Transcript,
) -> Result<ReducedClaim, SumcheckError> {
    if degree == 0 || degree > MAX_DEGREE {
        return Err(SumcheckError::Degree {
            factors: degree,
            max: MAX_DEGREE,
        });
    }
    if proof.rounds.len() != num_vars {
        return Err(SumcheckError::Malformed(
            "round count differs from num_vars",
        ));
    }
    if proof.final_evals.len() != degree {
        return Err(SumcheckError::Malformed(
            "final evaluation count differs from the degree",
        ));
    }
    absorb_statement(transcript, num_vars, degree, &claim);
    let mut e = claim;
    let mut point = Vec::with_capacity(num_vars);
    let mut values = Vec::with_capacity(degree + 1);
    for RoundMessage(msg) in &proof.rounds {
        let Some((&p0, rest)) = msg.split_first().filter(|_| msg.len() == degree) else {
            return Err(SumcheckError::Malformed(
                "round message length differs from the degree",
            ));
        };
        transcript.absorb_frs(msg);
        let r = transcript.challenge();
        values.clear();
        values.extend([p0, e - p0]);
        values.extend_from_slice(rest);
        e = interpolate(&values, r);
        point.push(r);
    }
    transcript.absorb_frs(&proof.final_evals);
    let product: Fr = proof.final_evals.iter().product();
    if product != e {
        return Err(SumcheckError::Rejected);
    }
    Ok(ReducedClaim {
        point,
        evals: proof.final_evals.clone(),
    })
}

/// The polynomial of degree `< values.len()` through `(k, values[k])`, evaluated at `r`
/// (Lagrange over the integer nodes `0, 1, …`).
#[must_use]
pub fn interpolate(values: &[Fr], r: Fr) -> Fr {
    let m = values.len();
    let node = |k: usize| Fr::from(k as u64);
    let mut acc = Fr::zero();
    for (k, v) in values.iter().enumerate() {
        let mut num = Fr::one();
        let mut den = Fr::one();
        for j in (0..m).filter(|&j| j != k) {
            num *= r - node(j);
            den *= node(k) - node(j);
        }
        // Distinct integer nodes below r: den is a nonzero product of small integers.
        acc += *v * num * den.inverse().unwrap_or_else(Fr::zero);
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::UniformRand;
    use ark_std::rand::{rngs::StdRng, SeedableRng};

    fn factors(rng: &mut StdRng, n: usize, d: usize) -> Vec<DenseMle> {
        (0..d)
            .map(|_| DenseMle::new((0..1 << n).map(|_| Fr::rand(rng)).collect()).unwrap())
            .collect()
    }

    #[test]
    fn interpolate_recovers_a_cubic() {
        let p = |x: Fr| Fr::from(3u64) * x * x * x - Fr::from(5u64) * x + Fr::from(7u64);
        let vals: Vec<Fr> = (0..4u64).map(|k| p(Fr::from(k))).collect();
        let r = Fr::from(123_456u64);
        assert_eq!(interpolate(&vals, r), p(r));
    }

    #[test]
    fn honest_proofs_verify_and_reduce_to_true_evaluations() {
        let mut rng = StdRng::seed_from_u64(7);
        for d in 1..=MAX_DEGREE {
            for n in [0, 1, 2, 5, 12] {
                let fs = factors(&mut rng, n, d);
                let proved = prove(fs.clone(), &mut Transcript::new(b"t")).unwrap();
                let reduced = verify(
                    n,
                    d,
                    proved.claim,
                    &proved.proof,
                    &mut Transcript::new(b"t"),
                )
                .unwrap();
                assert_eq!(reduced, proved.reduced);
                for (f, e) in fs.iter().zip(&reduced.evals) {
                    assert_eq!(f.evaluate(&reduced.point).unwrap(), *e, "d {d} n {n}");
                }
            }
        }
    }

    #[test]
    fn tampering_anything_is_rejected() {
        let mut rng = StdRng::seed_from_u64(8);
        let (n, d) = (4, 3);
        let p = prove(factors(&mut rng, n, d), &mut Transcript::new(b"t")).unwrap();
        let check = |claim: Fr, proof: &SumcheckProof| {
            verify(n, d, claim, proof, &mut Transcript::new(b"t"))
        };
        assert!(check(p.claim, &p.proof).is_ok());
        assert_eq!(
            check(p.claim + Fr::one(), &p.proof),
            Err(SumcheckError::Rejected)
        );
        for round in 0..n {
            for k in 0..d {
                let mut bad = p.proof.clone();
                bad.rounds[round].0[k] += Fr::one();
                assert_eq!(check(p.claim, &bad), Err(SumcheckError::Rejected));
            }
        }
        for k in 0..d {
            let mut bad = p.proof.clone();
            bad.final_evals[k] += Fr::one();
            assert_eq!(check(p.claim, &bad), Err(SumcheckError::Rejected));
        }
        // Another transcript label: other challenges, the messages no longer fit.
        assert_eq!(
            verify(n, d, p.claim, &p.proof, &mut Transcript::new(b"u")),
            Err(SumcheckError::Rejected)
        );
    }

    #[test]
    fn malformed_proofs_and_statements_are_errors() {
        let mut rng = StdRng::seed_from_u64(9);
        let p = prove(factors(&mut rng, 3, 2), &mut Transcript::new(b"t")).unwrap();
        let v =
            |n, d, proof: &SumcheckProof| verify(n, d, p.claim, proof, &mut Transcript::new(b"t"));
        assert!(matches!(
            v(4, 2, &p.proof),
            Err(SumcheckError::Malformed(_))
        ));
        assert!(matches!(
            v(3, 3, &p.proof),
            Err(SumcheckError::Malformed(_))
        ));
        assert!(matches!(
            v(3, 0, &p.proof),
            Err(SumcheckError::Degree { .. })
        ));
        let mut short = p.proof.clone();
        short.rounds[1].0.pop();
        assert!(matches!(v(3, 2, &short), Err(SumcheckError::Malformed(_))));
        assert!(matches!(
            prove(vec![], &mut Transcript::new(b"t")),
            Err(SumcheckError::Degree { factors: 0, .. })
        ));
        assert!(matches!(
            prove(factors(&mut rng, 2, 4), &mut Transcript::new(b"t")),
            Err(SumcheckError::Degree { factors: 4, .. })
        ));
        let mut mixed = factors(&mut rng, 2, 1);
        mixed.extend(factors(&mut rng, 3, 1));
        assert!(matches!(
            prove(mixed, &mut Transcript::new(b"t")),
            Err(SumcheckError::FactorShape { index: 1, .. })
        ));
    }

    #[test]
    fn parallel_path_matches_small_sums() {
        // 2^13 entries: the first rounds take the rayon path, the last the serial one.
        let mut rng = StdRng::seed_from_u64(10);
        let fs = factors(&mut rng, 13, 2);
        let p = prove(fs.clone(), &mut Transcript::new(b"t")).unwrap();
        assert_eq!(p.claim, sum_of_products(&fs).unwrap());
        let r = verify(13, 2, p.claim, &p.proof, &mut Transcript::new(b"t")).unwrap();
        assert_eq!(fs[1].evaluate(&r.point).unwrap(), r.evals[1]);
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(48))]
            #[test]
            fn random_sizes_prove_and_verify(n in 0usize..9, d in 1usize..=3, seed: u64,
                                              round in 0usize..9, k in 0usize..3) {
                let mut rng = StdRng::seed_from_u64(seed);
                let fs = factors(&mut rng, n, d);
                let p = prove(fs.clone(), &mut Transcript::new(b"p")).unwrap();
                let r = verify(n, d, p.claim, &p.proof, &mut Transcript::new(b"p")).unwrap();
                for (f, e) in fs.iter().zip(&r.evals) {
                    prop_assert_eq!(f.evaluate(&r.point).unwrap(), *e);
                }
                if n > 0 {
                    let mut bad = p.proof.clone();
                    bad.rounds[round % n].0[k % d] += Fr::from(1u64 + seed % 1000);
                    prop_assert_eq!(
                        verify(n, d, p.claim, &bad, &mut Transcript::new(b"p")),
                        Err(SumcheckError::Rejected)
                    );
                }
            }
        }
    }
}

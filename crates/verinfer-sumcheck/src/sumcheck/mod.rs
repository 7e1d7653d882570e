//! The sumcheck protocol (Lund–Fortnow–Karloff–Nisan) for sums of products of multilinear
//! polynomials: the prover convinces the verifier that
//!
//! ```text
//! claim = Σ_{x ∈ {0,1}^n} f_1(x)·…·f_d(x)        (1 ≤ d ≤ MAX_DEGREE = 3)       [prove]
//! claim = Σ_{x ∈ {0,1}^n} Σ_t c_t·Π_{i ∈ t} f_i(x)  (each term ≤ 3 factors)     [prove_terms]
//! ```
//!
//! and the verifier ends holding a random point `ρ` and claimed values `f_i(ρ)`, which the
//! caller must check some other way (a commitment opening, or the next layer's sumcheck). The
//! second form batches several claims over one hypercube (random `c_t`) into one sumcheck.
//!
//! # Protocol (non-interactive through [`crate::Transcript`])
//!
//! 1. Both absorb `n`, `d` and `claim` (words).
//! 2. Round `k = 1..n`: the prover sends the round polynomial
//!    `p_k(t) = Σ_{x ∈ {0,1}^(n−k)} Π_i f_i(ρ_1, …, ρ_(k−1), t, x)`, of degree ≤ d, as its
//!    values at `t = 0, 2, 3, …, d` (`d` scalars; `p_k(1)` is implied by
//!    `p_k(0) + p_k(1) = e_(k−1)`, which saves a scalar per round and the check with it). Both
//!    absorb the message; `ρ_k = challenge()`; the verifier sets `e_k = p_k(ρ_k)` by Lagrange
//!    interpolation over the nodes `0..=d` (`e_0 = claim`).
//! 3. The prover sends `f_i(ρ)` for every polynomial; both absorb them; the verifier accepts
//!    iff `Π_i f_i(ρ) = e_n` (`Σ_t c_t·Π_{i ∈ t} f_i(ρ) = e_n`). `d` is the longest term.
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
use ark_serialize::{
    CanonicalDeserialize, CanonicalSerialize, Compress, Read, SerializationError, Valid, Validate,
    Write,
};

use crate::arith::{self, Fs};
use crate::error::SumcheckError;
use crate::mle::DenseMle;

mod terms;
pub use terms::{Term, Terms};

/// Most factors a product term may have (round polynomials of degree ≤ 3).
pub const MAX_DEGREE: usize = 3;

/// Below this many pairs per round the serial loop beats rayon's overhead.
const PAR_THRESHOLD: usize = 1 << 11;

/// One round's message: `p(0), p(2), …, p(d)` (`d` scalars; `p(1)` is implied).
///
/// Generic over the verifier's arithmetic ([`arith::Fe`]): a proof as sent holds `Fr`, and
/// [`SumcheckProof::lift`] makes each word one value of another interpretation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoundMessage<F = Fr>(pub Vec<F>);

/// A sumcheck proof: one message per variable, then every polynomial's value at the final
/// point.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SumcheckProof<F = Fr> {
    /// Round messages, first variable first.
    pub rounds: Vec<RoundMessage<F>>,
    /// `f_i(ρ)` for every multilinear polynomial of the statement, in its order.
    pub final_evals: Vec<F>,
}

// The serialized form of the proof as sent (`Fr` words): the bytes a derive gave before the
// types became generic (a round is its vector; a proof its rounds, then its final values).
impl CanonicalSerialize for RoundMessage {
    fn serialize_with_mode<W: Write>(&self, w: W, c: Compress) -> Result<(), SerializationError> {
        self.0.serialize_with_mode(w, c)
    }

    fn serialized_size(&self, c: Compress) -> usize {
        self.0.serialized_size(c)
    }
}

impl Valid for RoundMessage {
    fn check(&self) -> Result<(), SerializationError> {
        self.0.check()
    }
}

impl CanonicalDeserialize for RoundMessage {
    fn deserialize_with_mode<R: Read>(
        r: R,
        c: Compress,
        v: Validate,
    ) -> Result<Self, SerializationError> {
        Ok(Self(Vec::deserialize_with_mode(r, c, v)?))
    }
}

impl CanonicalSerialize for SumcheckProof {
    fn serialize_with_mode<W: Write>(
        &self,
        mut w: W,
        c: Compress,
    ) -> Result<(), SerializationError> {
        self.rounds.serialize_with_mode(&mut w, c)?;
        self.final_evals.serialize_with_mode(&mut w, c)
    }

    fn serialized_size(&self, c: Compress) -> usize {
        self.rounds.serialized_size(c) + self.final_evals.serialized_size(c)
    }
}

impl Valid for SumcheckProof {
    fn check(&self) -> Result<(), SerializationError> {
        self.rounds.check()?;
        self.final_evals.check()
    }
}

impl CanonicalDeserialize for SumcheckProof {
    fn deserialize_with_mode<R: Read>(
        mut r: R,
        c: Compress,
        v: Validate,
    ) -> Result<Self, SerializationError> {
        Ok(Self {
            rounds: Vec::deserialize_with_mode(&mut r, c, v)?,
            final_evals: Vec::deserialize_with_mode(&mut r, c, v)?,
        })
    }
}

impl SumcheckProof {
    /// The proof with every word entered once as a witness of `F` (the identity for `Fr`).
    #[must_use]
    pub fn lift<F: arith::Fe>(&self) -> SumcheckProof<F> {
        let w = |v: &[Fr]| v.iter().map(|&x| F::witness(x)).collect();
        SumcheckProof {
            rounds: self.rounds.iter().map(|m| RoundMessage(w(&m.0))).collect(),
            final_evals: w(&self.final_evals),
        }
    }
}

/// What a sumcheck reduces its claim to: `f_i(point) = evals[i]` for every polynomial. The
/// caller must check these (that is what makes the claim proven).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReducedClaim<F = Fr> {
    /// The random point `ρ`, first variable first.
    pub point: Vec<F>,
    /// The claimed value of each polynomial there.
    pub evals: Vec<F>,
}

/// `Σ_x Π_i f_i(x)`, the claim a sumcheck over these factors proves.
///
/// # Errors
/// As [`prove`] for the shapes.
pub fn sum_of_products(factors: &[DenseMle]) -> Result<Fr, SumcheckError> {
    product_terms(factors)?.sum(factors)
}

fn product_terms(factors: &[DenseMle]) -> Result<Terms, SumcheckError> {
    let n = factors.first().map_or(0, DenseMle::num_vars);
    Terms::product(n, factors.len())
}

/// The prover's side: the proof, the claim it proves (absorbed first) and the reduced claim.
#[derive(Clone, Debug)]
pub struct Proved {
    /// The proof to send.
    pub proof: SumcheckProof,
    /// The sum, as absorbed.
    pub claim: Fr,
    /// The point and the polynomials' values there (what the verifier will hold).
    pub reduced: ReducedClaim,
}

/// Prove `claim = Σ_x Π_i f_i(x)` for the given factors (consumed: they are bound in place).
///
/// # Errors
/// [`SumcheckError::Degree`] for no factors or more than [`MAX_DEGREE`];
/// [`SumcheckError::FactorShape`] if their variable counts differ.
pub fn prove(
    factors: Vec<DenseMle>,
    transcript: &mut impl Fs<Fr>,
) -> Result<Proved, SumcheckError> {
    let terms = product_terms(&factors)?;
    prove_terms(&terms, factors, transcript)
}

/// Prove `claim = Σ_x Σ_t c_t·Π_{i ∈ t} f_i(x)` (the polynomials are consumed: bound in
/// place).
///
/// # Errors
/// [`SumcheckError::Malformed`] for a polynomial count other than the statement's,
/// [`SumcheckError::FactorShape`] for one with another number of variables.
pub fn prove_terms(
    terms: &Terms,
    mut mles: Vec<DenseMle>,
    transcript: &mut impl Fs<Fr>,
) -> Result<Proved, SumcheckError> {
    let claim = terms.sum(&mles)?;
    let n = terms.num_vars;
    absorb_statement(transcript, n, terms.degree, claim);
    let mut rounds = Vec::with_capacity(n);
    let mut point = Vec::with_capacity(n);
    for _ in 0..n {
        let msg = terms.round_message(&mles);
        transcript.absorb_all(&msg);
        let r = transcript.challenge();
        mles.iter_mut().for_each(|f| f.bind_first(r));
        rounds.push(RoundMessage(msg));
        point.push(r);
    }
    let evals: Vec<Fr> = mles
        .iter()
        .map(|f| f.evals().first().copied().unwrap_or_else(Fr::zero))
        .collect();
    Ok(Proved::close(transcript, claim, rounds, point, evals))
}

impl Proved {
    /// The closing step every sum-check prover shares: absorb the final evaluations (the
    /// verifier absorbs them at the same place, so the transcripts stay in step) and package
    /// the proof with the reduced claim it leaves.
    pub(crate) fn close(
        transcript: &mut impl Fs<Fr>,
        claim: Fr,
        rounds: Vec<RoundMessage>,
        point: Vec<Fr>,
        evals: Vec<Fr>,
    ) -> Self {
        transcript.absorb_all(&evals);
        Self {
            proof: SumcheckProof {
                rounds,
                final_evals: evals.clone(),
            },
            claim,
            reduced: ReducedClaim { point, evals },
        }
    }
}

fn absorb_statement<F: arith::Fe>(t: &mut impl Fs<F>, n: usize, d: usize, claim: F) {
    t.absorb_size(n as u64);
    t.absorb_size(d as u64);
    t.absorb(claim);
}

/// Verify a proof that `claim = Σ_x Π_{i<degree} f_i(x)` over `num_vars` variables.
///
/// # Errors
/// [`SumcheckError::Malformed`] for a proof of the wrong shape, [`SumcheckError::Degree`] for
/// an unsupported degree, [`SumcheckError::Rejected`] for a false proof.
pub fn verify<F: arith::Fe>(
    num_vars: usize,
    degree: usize,
    claim: F,
    proof: &SumcheckProof<F>,
    transcript: &mut impl Fs<F>,
) -> Result<ReducedClaim<F>, SumcheckError> {
    verify_terms(&Terms::product(num_vars, degree)?, claim, proof, transcript)
}

/// Verify a proof of `claim = Σ_x Σ_t c_t·Π_{i ∈ t} f_i(x)` for the statement `terms`.
///
/// # Errors
/// [`SumcheckError::Malformed`] for a proof of the wrong shape, [`SumcheckError::Rejected`]
/// for a false proof.
pub fn verify_terms<F: arith::Fe>(
    terms: &Terms,
    claim: F,
    proof: &SumcheckProof<F>,
    transcript: &mut impl Fs<F>,
) -> Result<ReducedClaim<F>, SumcheckError> {
    let (num_vars, degree) = (terms.num_vars, terms.degree);
    if proof.rounds.len() != num_vars {
        return Err(SumcheckError::Malformed(
            "round count differs from num_vars",
        ));
    }
    if proof.final_evals.len() != terms.num_mles {
        return Err(SumcheckError::Malformed(
            "final evaluation count differs from the polynomial count",
        ));
    }
    absorb_statement(transcript, num_vars, degree, claim);
    let mut e = claim;
    let mut point = Vec::with_capacity(num_vars);
    let mut values = Vec::with_capacity(degree + 1);
    for RoundMessage(msg) in &proof.rounds {
        let Some((&p0, rest)) = msg.split_first().filter(|_| msg.len() == degree) else {
            return Err(SumcheckError::Malformed(
                "round message length differs from the degree",
            ));
        };
        transcript.absorb_all(msg);
        let r = transcript.challenge();
        values.clear();
        values.extend([p0, e - p0]);
        values.extend_from_slice(rest);
        e = interpolate(&values, r);
        point.push(r);
    }
    transcript.absorb_all(&proof.final_evals);
    if !terms.combine(&proof.final_evals).same(e) {
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
pub fn interpolate<F: arith::Fe>(values: &[F], r: F) -> F {
    let m = values.len();
    let node = |k: usize| Fr::from(k as u64);
    let mut acc = F::zero();
    for (k, &v) in values.iter().enumerate() {
        let mut num = F::one();
        let mut den = Fr::one();
        for j in (0..m).filter(|&j| j != k) {
            num *= r - F::constant(node(j));
            den *= node(k) - node(j);
        }
        // Distinct integer nodes below r: den is a nonzero product of small integers.
        acc += v * num * F::constant(den.inverse().unwrap_or_else(Fr::zero));
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::terms::sum_terms;
    use super::*;
    use crate::transcript::Transcript;
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

    /// The factored evaluation is the plain sum of terms: logUp's shapes (a factor in three
    /// of four terms, a term left empty), a repeated factor, and no common factor.
    #[test]
    fn factored_terms_sum_as_written() {
        let mut rng = StdRng::seed_from_u64(31);
        let t = |coeff, factors: &[usize]| Term {
            coeff,
            factors: factors.to_vec(),
        };
        let (a, b) = (Fr::rand(&mut rng), Fr::rand(&mut rng));
        let shapes: Vec<(usize, Vec<Term>, Option<usize>)> = vec![
            (
                3,
                vec![
                    t(Fr::one(), &[1]),
                    t(a, &[0, 1]),
                    t(b, &[0, 1, 2]),
                    t(-b, &[0]),
                ],
                Some(0),
            ),
            (
                4,
                vec![
                    t(Fr::one(), &[1]),
                    t(a, &[0, 1]),
                    t(b, &[0, 1, 2]),
                    t(-b, &[0, 3]),
                ],
                Some(0),
            ),
            (
                2,
                vec![t(a, &[1, 1, 0]), t(b, &[1]), t(Fr::one(), &[0, 0])],
                Some(0),
            ),
            (3, vec![t(a, &[0, 1]), t(b, &[2])], None),
            (2, vec![t(a, &[0, 1])], None),
        ];
        for (m, terms, common) in shapes {
            let ts = Terms::new(2, m, terms.clone()).unwrap();
            assert_eq!(ts.factored.common, common, "{terms:?}");
            for _ in 0..4 {
                let v: Vec<Fr> = (0..m).map(|_| Fr::rand(&mut rng)).collect();
                assert_eq!(ts.combine(&v), sum_terms(&terms, &v), "{terms:?}");
            }
        }
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

    #[test]
    fn sums_of_terms_prove_verify_and_reject_tampering() {
        let mut rng = StdRng::seed_from_u64(12);
        for n in [0, 1, 3, 12] {
            let mles = factors(&mut rng, n, 4);
            let c = |rng: &mut StdRng| Fr::rand(rng);
            let terms = Terms::new(
                n,
                4,
                vec![
                    Term {
                        coeff: c(&mut rng),
                        factors: vec![0],
                    },
                    Term {
                        coeff: c(&mut rng),
                        factors: vec![1, 2],
                    },
                    Term {
                        coeff: c(&mut rng),
                        factors: vec![3, 3, 0],
                    },
                    Term {
                        coeff: -Fr::one(),
                        factors: vec![2],
                    },
                ],
            )
            .unwrap();
            assert_eq!(terms.degree(), 3);
            let p = prove_terms(&terms, mles.clone(), &mut Transcript::new(b"s")).unwrap();
            // The claim is the definition's sum, term by term.
            let direct: Fr = (0..1usize << n)
                .map(|j| {
                    let v: Vec<Fr> = mles.iter().map(|f| f.evals()[j]).collect();
                    terms.combine(&v)
                })
                .sum();
            assert_eq!(p.claim, direct);
            let r = verify_terms(&terms, p.claim, &p.proof, &mut Transcript::new(b"s")).unwrap();
            for (f, e) in mles.iter().zip(&r.evals) {
                assert_eq!(f.evaluate(&r.point).unwrap(), *e);
            }
            assert_eq!(
                verify_terms(
                    &terms,
                    p.claim + Fr::one(),
                    &p.proof,
                    &mut Transcript::new(b"s")
                ),
                Err(SumcheckError::Rejected)
            );
            let mut bad = p.proof.clone();
            bad.final_evals[3] += Fr::one();
            assert_eq!(
                verify_terms(&terms, p.claim, &bad, &mut Transcript::new(b"s")),
                Err(SumcheckError::Rejected)
            );
        }
        assert!(matches!(
            Terms::new(
                2,
                2,
                vec![Term {
                    coeff: Fr::one(),
                    factors: vec![2]
                }]
            ),
            Err(SumcheckError::Malformed(_))
        ));
        assert!(matches!(
            Terms::new(
                2,
                2,
                vec![Term {
                    coeff: Fr::one(),
                    factors: vec![]
                }]
            ),
            Err(SumcheckError::Degree { factors: 0, .. })
        ));
        assert!(matches!(
            Terms::new(2, 2, vec![]),
            Err(SumcheckError::Degree { .. })
        ));
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

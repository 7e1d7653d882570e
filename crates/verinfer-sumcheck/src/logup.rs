//! Range checks by logUp (Haböck 2022, "Multivariate lookups based on logarithmic
//! derivatives"): every entry of a vector `a` (length `2^m`) lies in `[0, 2^k)`. This is how
//! requantization remainders, clamps and table indices are proven; one argument per table.
//!
//! # Identity
//!
//! With `μ_t` the multiplicity of `t` in `a`, the multisets agree iff, as rational functions
//! of `X`, `Σ_i 1/(X + a_i) = Σ_{t < 2^k} μ_t/(X + t)` (the field's characteristic exceeds
//! both lengths). At a random `β` a false statement survives with probability at most
//! `(2^m + 2^k)/r` (clear the denominators: a nonzero polynomial of that degree).
//!
//! # Protocol (transcript order; the caller has already absorbed `a` or its commitment)
//!
//! 1. Absorb `m`, `k`. The prover commits the multiplicities `μ` (HyperKZG); absorb `C_μ`;
//!    `β = challenge()`.
//! 2. The prover commits `h_i = 1/(β + a_i)` and `g_t = μ_t/(β + t)` and states
//!    `S = Σ_i h_i = Σ_t g_t`; absorb `C_h`, `C_g`, `S`; `z_a = challenges(m)`,
//!    `z_t = challenges(k)`, `λ = challenge()`.
//! 3. Sumcheck over `{0,1}^m` (degree 3) of `[eq(z_a,·), h, a]`:
//!    `S = Σ_i h_i + λ·eq(z_a, i)·(β·h_i + h_i·a_i − 1)` — the sum *and* (w.h.p. over `z_a`,
//!    `λ`) `h_i·(β + a_i) = 1` for every `i`.
//! 4. Sumcheck over `{0,1}^k` (degree 3) of `[eq(z_t,·), g, μ, T]` with `T_t = t`:
//!    `S = Σ_t g_t + λ·eq(z_t, t)·(β·g_t + g_t·T_t − μ_t)`.
//! 5. The verifier computes `eq(z_a, ρ_a)`, `eq(z_t, ρ_t)` and `T̃(ρ_t) = Σ_j ρ_(t,j)·2^(k−j)`
//!    itself and compares; `ν = challenge()`; the prover opens `h` at `ρ_a` and `g + ν·μ` at
//!    `ρ_t` (one opening for two polynomials, by linearity of the commitment).
//!
//! What remains is the claim `ã(ρ_a) = v` ([`RangeClaim`]). If the caller gives `a`'s
//! commitment `C_a`, it is discharged in the same opening: after `ν`, `η = challenge()` and the
//! opening at `ρ_a` is of `h + η·a` against `C_h + η·C_a`. Otherwise the caller checks it (a
//! claim into the layer that produced `a`). [`prove_range_deferred`] / [`verify_range_deferred`]
//! stop after step 4 and hand the claims on `h`, `g`, `μ` to the caller, who settles them (with
//! its own) in one batched opening ([`crate::pcs::batch`]).
//!
//! **Soundness:** `(2^m + 2^k)/r` (the identity at `β`) + `(m + k + 2)/r` (the two `eq`-zero
//! checks at `z_a`, `z_t` and the batching by `λ`) + `3(m + k)/r` (the sumchecks) + `2/r` (`ν`,
//! `η`), all times the transcript bias 1.14, plus HyperKZG's. **Cost:** the prover commits three vectors (`μ` has small entries,
//! `h` and `g` do not: two MSMs of `2^m` and `2^k` random scalars) — logUp-GKR removes those
//! two commitments and is the planned replacement (docs/sumcheck.md).

use ark_bn254::Fr;
use ark_ec::CurveGroup;
use ark_ff::{batch_inversion, BigInteger, One, PrimeField, Zero};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use rayon::prelude::*;

use crate::error::LogupError;
use crate::mle::{eq_eval, eq_table, DenseMle};
use crate::pcs::{self, CommitKey, Commitment, OpeningProof, VerifierKey};
use crate::sumcheck::{self, SumcheckProof, Term, Terms};
use crate::transcript::Transcript;

/// Widest range supported: the table and its multiplicities are `2^k` long.
pub const MAX_RANGE_BITS: u32 = 24;

/// The argument of a range check up to its openings: the commitments and the two sumchecks.
/// [`RangeProof`] adds the openings; [`prove_range_deferred`] leaves them to a batch.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct RangeArgument {
    /// Commitment to the multiplicities `μ`.
    pub mult: Commitment,
    /// Commitment to `h_i = 1/(β + a_i)`.
    pub h: Commitment,
    /// Commitment to `g_t = μ_t/(β + t)`.
    pub g: Commitment,
    /// `S = Σ h = Σ g`.
    pub sum: Fr,
    /// The sumcheck over the values.
    pub values: SumcheckProof,
    /// The sumcheck over the table.
    pub table: SumcheckProof,
}

/// A proof that every entry of a vector lies in `[0, 2^k)`, openings included.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct RangeProof {
    /// Commitments and sumchecks.
    pub argument: RangeArgument,
    /// `h` (or `h + η·a`) at the values' point.
    pub h_opening: OpeningProof,
    /// `g + ν·μ` at the table's point.
    pub table_opening: OpeningProof,
}

/// An evaluation claim a deferred range check leaves for a batched opening
/// ([`crate::pcs::batch`]): `commitment` opens to `eval` at `point`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenClaim {
    /// The commitment (`C_h`, `C_g` or `C_μ`).
    pub commitment: Commitment,
    /// The point.
    pub point: Vec<Fr>,
    /// The claimed value.
    pub eval: Fr,
}

/// The prover's side of an [`OpenClaim`]: the polynomial to open.
#[derive(Clone, Debug)]
pub struct OpenWitness {
    /// The polynomial (`h`, `g` or `μ`).
    pub poly: DenseMle,
    /// Its claim.
    pub claim: OpenClaim,
}

/// The claim a range proof leaves to its caller: `ã(point) = eval`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RangeClaim {
    /// The point `ρ_a`.
    pub point: Vec<Fr>,
    /// The claimed `ã(ρ_a)`.
    pub eval: Fr,
}

fn check_bits(bits: u32) -> Result<(), LogupError> {
    if bits > MAX_RANGE_BITS {
        return Err(LogupError::TooWide {
            bits,
            max: MAX_RANGE_BITS,
        });
    }
    Ok(())
}

/// `T̃(ρ) = Σ_j ρ_j·2^(k−1−j)` (j from 0): the multilinear extension of `T_t = t`, MSB first.
#[must_use]
pub fn identity_table_eval(point: &[Fr]) -> Fr {
    point.iter().fold(Fr::zero(), |acc, r| acc + acc + r)
}

/// The statement of step 3 / 4: `Σ h + λ·eq·(β·h + h·v − w)` over `[eq, h, v(, μ)]`, where
/// `w` is the constant 1 for the values (the term `−λ·eq`) and `μ` for the table.
fn terms(num_vars: usize, beta: Fr, lambda: Fr, with_mult: bool) -> Result<Terms, LogupError> {
    let t = |coeff, factors: &[usize]| Term {
        coeff,
        factors: factors.to_vec(),
    };
    // Polynomials: 0 = eq, 1 = h (or g), 2 = a (or T), 3 = μ (table only).
    let mut v = vec![
        t(Fr::one(), &[1]),
        t(lambda * beta, &[0, 1]),
        t(lambda, &[0, 1, 2]),
    ];
    let n = if with_mult {
        v.push(t(-lambda, &[0, 3]));
        4
    } else {
        v.push(t(-lambda, &[0]));
        3
    };
    Ok(Terms::new(num_vars, n, v)?)
}

fn absorb_commitments(t: &mut Transcript, cs: &[&Commitment]) {
    for c in cs {
        t.absorb_g1(&c.0);
    }
}

/// How often each `t < 2^bits` occurs in `values`, or the first entry out of range.
fn multiplicities(bits: u32, values: &DenseMle) -> Result<DenseMle, LogupError> {
    let ints: Vec<usize> = values
        .evals()
        .par_iter()
        .enumerate()
        .map(|(index, v)| {
            let b = v.into_bigint();
            (b.num_bits() <= bits)
                .then(|| b.as_ref().first().copied().unwrap_or(0) as usize)
                .ok_or(LogupError::OutOfRange { index, bits })
        })
        .collect::<Result<_, _>>()?;
    let mut counts = vec![0u64; 1usize << bits];
    for &v in &ints {
        counts[v] += 1;
    }
    Ok(DenseMle::new(counts.into_iter().map(Fr::from).collect())?)
}

/// `T_t = t` for `t < 2^bits`.
fn identity_table(bits: u32) -> Result<DenseMle, LogupError> {
    Ok(DenseMle::new((0..1u64 << bits).map(Fr::from).collect())?)
}

/// Prove every entry of `values` lies in `[0, 2^bits)`. With `values_commitment` (the
/// commitment of `values`, already absorbed by the caller) the claim `ã(ρ_a)` is discharged
/// here, in the same opening as `h` (`h + η·a`, `η` one more challenge); without it the claim
/// is the caller's.
///
/// # Errors
/// [`LogupError::OutOfRange`] naming the first entry that is not; [`LogupError::TooWide`] past
/// [`MAX_RANGE_BITS`]; [`LogupError::Pcs`] if the key is too small for `values` or the table.
pub fn prove_range(
    ck: &CommitKey,
    bits: u32,
    values: &DenseMle,
    values_commitment: Option<&Commitment>,
    transcript: &mut Transcript,
) -> Result<(RangeProof, RangeClaim), LogupError> {
    check_bits(bits)?;
    let mult = multiplicities(bits, values)?;
    let table = identity_table(bits)?;
    prove_with(
        ck,
        bits,
        values,
        values_commitment,
        &mult,
        table,
        transcript,
    )
}

/// Everything up to the openings (steps 1–4), for given multiplicities and table (honest
/// ones from [`prove_range`]; the tests pass false ones to play a cheating prover).
fn argue(
    ck: &CommitKey,
    bits: u32,
    values: &DenseMle,
    mult: &DenseMle,
    table: DenseMle,
    transcript: &mut Transcript,
) -> Result<(RangeArgument, [OpenWitness; 3], RangeClaim), LogupError> {
    let m = values.num_vars();
    let k = bits as usize;
    transcript.absorb_u64(m as u64);
    transcript.absorb_u64(u64::from(bits));
    let c_mult = pcs::commit(ck, mult)?;
    absorb_commitments(transcript, &[&c_mult]);
    let beta = transcript.challenge();

    let mut h: Vec<Fr> = values.evals().par_iter().map(|a| beta + a).collect();
    let mut g: Vec<Fr> = table.evals().par_iter().map(|t| beta + t).collect();
    if h.iter().chain(&g).any(Zero::is_zero) {
        return Err(LogupError::DegenerateChallenge);
    }
    batch_inversion(&mut h);
    batch_inversion(&mut g);
    g.iter_mut().zip(mult.evals()).for_each(|(x, c)| *x *= c);
    let (h, g) = (DenseMle::new(h)?, DenseMle::new(g)?);
    let sum: Fr = h.evals().iter().sum();
    let (c_h, c_g) = (pcs::commit(ck, &h)?, pcs::commit(ck, &g)?);
    absorb_commitments(transcript, &[&c_h, &c_g]);
    transcript.absorb_fr(&sum);
    let z_a = transcript.challenges(m);
    let z_t = transcript.challenges(k);
    let lambda = transcript.challenge();

    let eq_a = DenseMle::new(eq_table(&z_a))?;
    let pv = sumcheck::prove_terms(
        &terms(m, beta, lambda, false)?,
        vec![eq_a, h.clone(), values.clone()],
        transcript,
    )?;
    let eq_t = DenseMle::new(eq_table(&z_t))?;
    let pt = sumcheck::prove_terms(
        &terms(k, beta, lambda, true)?,
        vec![eq_t, g.clone(), table, mult.clone()],
        transcript,
    )?;
    let ev = |e: &[Fr], i: usize| e.get(i).copied().unwrap_or_else(Fr::zero);
    let open = |poly: DenseMle, commitment: Commitment, point: &[Fr], eval: Fr| OpenWitness {
        poly,
        claim: OpenClaim {
            commitment,
            point: point.to_vec(),
            eval,
        },
    };
    let (ra, rt) = (&pv.reduced, &pt.reduced);
    let opens = [
        open(h, c_h, &ra.point, ev(&ra.evals, 1)),
        open(g, c_g, &rt.point, ev(&rt.evals, 1)),
        open(mult.clone(), c_mult, &rt.point, ev(&rt.evals, 3)),
    ];
    let claim = RangeClaim {
        eval: ev(&ra.evals, 2),
        point: ra.point.clone(),
    };
    let argument = RangeArgument {
        mult: c_mult,
        h: c_h,
        g: c_g,
        sum,
        values: pv.proof,
        table: pt.proof,
    };
    Ok((argument, opens, claim))
}

/// The whole protocol, openings included (step 5).
fn prove_with(
    ck: &CommitKey,
    bits: u32,
    values: &DenseMle,
    values_commitment: Option<&Commitment>,
    mult: &DenseMle,
    table: DenseMle,
    transcript: &mut Transcript,
) -> Result<(RangeProof, RangeClaim), LogupError> {
    let (argument, [h, g, mu], claim) = argue(ck, bits, values, mult, table, transcript)?;
    let nu = transcript.challenge();
    let (h_opening, _) = match values_commitment {
        None => pcs::open(ck, &h.poly, &h.claim.commitment, &h.claim.point, transcript)?,
        Some(c_a) => {
            let eta = transcript.challenge();
            let comb = DenseMle::new(
                h.poly
                    .evals()
                    .par_iter()
                    .zip(values.evals().par_iter())
                    .map(|(x, a)| *x + eta * a)
                    .collect(),
            )?;
            let c = Commitment((h.claim.commitment.0 + c_a.0 * eta).into_affine());
            pcs::open(ck, &comb, &c, &h.claim.point, transcript)?
        }
    };
    let combined = DenseMle::new(
        g.poly
            .evals()
            .par_iter()
            .zip(mu.poly.evals().par_iter())
            .map(|(x, c)| *x + nu * c)
            .collect(),
    )?;
    let c_comb = Commitment((g.claim.commitment.0 + mu.claim.commitment.0 * nu).into_affine());
    let (table_opening, _) = pcs::open(ck, &combined, &c_comb, &g.claim.point, transcript)?;
    Ok((
        RangeProof {
            argument,
            h_opening,
            table_opening,
        },
        claim,
    ))
}

/// The range check without its openings: the argument, the three claims (`h` at `ρ_a`, `g`
/// and `μ` at `ρ_t`) with their polynomials for the caller's batched opening, and the claim
/// on the values. The caller must open all of them ([`crate::pcs::open_batch`]) — the range
/// check proves nothing until it does.
///
/// # Errors
/// As [`prove_range`].
pub fn prove_range_deferred(
    ck: &CommitKey,
    bits: u32,
    values: &DenseMle,
    transcript: &mut Transcript,
) -> Result<(RangeArgument, [OpenWitness; 3], RangeClaim), LogupError> {
    check_bits(bits)?;
    let mult = multiplicities(bits, values)?;
    let table = identity_table(bits)?;
    argue(ck, bits, values, &mult, table, transcript)
}

/// The verifier's steps 1–4: the sumchecks and the values it computes itself; returns the
/// claims on `h`, `g`, `μ` that remain to be opened and the claim on the values.
fn check_argument(
    bits: u32,
    num_vars: usize,
    arg: &RangeArgument,
    transcript: &mut Transcript,
) -> Result<([OpenClaim; 3], RangeClaim), LogupError> {
    check_bits(bits)?;
    let (m, k) = (num_vars, bits as usize);
    transcript.absorb_u64(m as u64);
    transcript.absorb_u64(u64::from(bits));
    absorb_commitments(transcript, &[&arg.mult]);
    let beta = transcript.challenge();
    absorb_commitments(transcript, &[&arg.h, &arg.g]);
    transcript.absorb_fr(&arg.sum);
    let z_a = transcript.challenges(m);
    let z_t = transcript.challenges(k);
    let lambda = transcript.challenge();

    let rv = sumcheck::verify_terms(
        &terms(m, beta, lambda, false)?,
        arg.sum,
        &arg.values,
        transcript,
    )?;
    let rt = sumcheck::verify_terms(
        &terms(k, beta, lambda, true)?,
        arg.sum,
        &arg.table,
        transcript,
    )?;
    let ([eq_a, h_a, a_a], [eq_t, g_t, tab_t, mult_t]) = (&rv.evals[..], &rt.evals[..]) else {
        return Err(LogupError::Rejected("final evaluation counts"));
    };
    if *eq_a != eq_eval(&z_a, &rv.point)? || *eq_t != eq_eval(&z_t, &rt.point)? {
        return Err(LogupError::Rejected("the eq value differs from eq(z, ρ)"));
    }
    if *tab_t != identity_table_eval(&rt.point) {
        return Err(LogupError::Rejected("the table value differs from T̃(ρ)"));
    }
    let claim = |commitment: Commitment, point: &[Fr], eval: Fr| OpenClaim {
        commitment,
        point: point.to_vec(),
        eval,
    };
    Ok((
        [
            claim(arg.h, &rv.point, *h_a),
            claim(arg.g, &rt.point, *g_t),
            claim(arg.mult, &rt.point, *mult_t),
        ],
        RangeClaim {
            eval: *a_a,
            point: rv.point,
        },
    ))
}

/// Verify a range proof for a vector of `2^num_vars` entries and the range `[0, 2^bits)`,
/// returning the claim about the vector — already checked against `values_commitment` when
/// one is given, the caller's to check otherwise.
///
/// # Errors
/// [`LogupError::Sumcheck`] / [`LogupError::Pcs`] with their `Rejected` variants, or
/// [`LogupError::Rejected`], for a false proof; `Malformed` variants for a misshapen one.
pub fn verify_range(
    vk: &VerifierKey,
    bits: u32,
    num_vars: usize,
    values_commitment: Option<&Commitment>,
    proof: &RangeProof,
    transcript: &mut Transcript,
) -> Result<RangeClaim, LogupError> {
    let ([h, g, mu], claim) = check_argument(bits, num_vars, &proof.argument, transcript)?;
    let nu = transcript.challenge();
    match values_commitment {
        None => pcs::verify(
            vk,
            &h.commitment,
            &h.point,
            h.eval,
            &proof.h_opening,
            transcript,
        )?,
        Some(c_a) => {
            let eta = transcript.challenge();
            let c = Commitment((h.commitment.0 + c_a.0 * eta).into_affine());
            let e = h.eval + eta * claim.eval;
            pcs::verify(vk, &c, &h.point, e, &proof.h_opening, transcript)?;
        }
    }
    let c_comb = Commitment((g.commitment.0 + mu.commitment.0 * nu).into_affine());
    let comb_eval = g.eval + nu * mu.eval;
    pcs::verify(
        vk,
        &c_comb,
        &g.point,
        comb_eval,
        &proof.table_opening,
        transcript,
    )?;
    Ok(claim)
}

/// Verify a range argument without its openings ([`prove_range_deferred`]): returns the
/// claims on `h`, `g`, `μ` and on the values, **all of which the caller must check** (one
/// [`crate::pcs::verify_batch`] for the first three).
///
/// # Errors
/// As [`verify_range`], for the sumchecks and the verifier's own values.
pub fn verify_range_deferred(
    bits: u32,
    num_vars: usize,
    argument: &RangeArgument,
    transcript: &mut Transcript,
) -> Result<([OpenClaim; 3], RangeClaim), LogupError> {
    check_argument(bits, num_vars, argument, transcript)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pcs::Srs;
    use ark_ec::AffineRepr;
    use ark_std::rand::{rngs::StdRng, Rng, SeedableRng};

    fn setup() -> (Srs, StdRng) {
        let mut rng = StdRng::seed_from_u64(21);
        (Srs::insecure_local_setup_for_tests(8, &mut rng), rng)
    }

    fn vector(rng: &mut StdRng, m: usize, bits: u32) -> DenseMle {
        DenseMle::new(
            (0..1u64 << m)
                .map(|_| Fr::from(rng.gen_range(0..1u64 << bits)))
                .collect(),
        )
        .unwrap()
    }

    fn run(srs: &Srs, bits: u32, a: &DenseMle) -> Result<(), LogupError> {
        let (proof, claim) =
            prove_range(&srs.commit_key, bits, a, None, &mut Transcript::new(b"r"))?;
        let got = verify_range(
            &srs.verifier_key,
            bits,
            a.num_vars(),
            None,
            &proof,
            &mut Transcript::new(b"r"),
        )?;
        assert_eq!(got, claim);
        assert_eq!(a.evaluate(&got.point)?, got.eval);
        Ok(())
    }

    #[test]
    fn identity_table_is_the_mle_of_t() {
        let k = 5;
        let t = DenseMle::new((0..1u64 << k).map(Fr::from).collect()).unwrap();
        let p: Vec<Fr> = (0..k)
            .map(|i| Fr::from(3u64 + i as u64) / Fr::from(7u64))
            .collect();
        assert_eq!(identity_table_eval(&p), t.evaluate(&p).unwrap());
    }

    #[test]
    fn values_in_range_prove_and_verify() {
        let (srs, mut rng) = setup();
        for (m, bits) in [(0, 0), (0, 3), (3, 0), (4, 4), (6, 8), (8, 2), (2, 8)] {
            let a = vector(&mut rng, m, bits);
            run(&srs, bits, &a).unwrap_or_else(|e| panic!("m {m} bits {bits}: {e}"));
        }
        // Every value at the edges.
        let edge = DenseMle::new(vec![
            Fr::zero(),
            Fr::from(255u64),
            Fr::from(255u64),
            Fr::zero(),
        ])
        .unwrap();
        run(&srs, 8, &edge).unwrap();
    }

    #[test]
    fn a_committed_vector_is_opened_with_h_and_another_commitment_is_rejected() {
        let (srs, mut rng) = setup();
        let (m, bits) = (5, 4);
        let a = vector(&mut rng, m, bits);
        let ca = pcs::commit(&srs.commit_key, &a).unwrap();
        let (proof, claim) = prove_range(
            &srs.commit_key,
            bits,
            &a,
            Some(&ca),
            &mut Transcript::new(b"r"),
        )
        .unwrap();
        let vk = &srs.verifier_key;
        let v =
            |c: &Commitment| verify_range(vk, bits, m, Some(c), &proof, &mut Transcript::new(b"r"));
        assert_eq!(v(&ca).unwrap(), claim);
        let other = pcs::commit(&srs.commit_key, &vector(&mut rng, m, bits)).unwrap();
        assert!(matches!(v(&other), Err(LogupError::Pcs(_))));
        // The proof is for the committed mode: verifying it as the plain one fails.
        assert!(verify_range(vk, bits, m, None, &proof, &mut Transcript::new(b"r")).is_err());
    }

    #[test]
    fn a_deferred_range_check_settles_in_one_batched_opening() {
        let (srs, mut rng) = setup();
        let (m, bits) = (6, 5);
        let a = vector(&mut rng, m, bits);
        let ca = pcs::commit(&srs.commit_key, &a).unwrap();
        let t = &mut Transcript::new(b"d");
        let (arg, opens, claim) = prove_range_deferred(&srs.commit_key, bits, &a, t).unwrap();
        let mut polys: Vec<(&DenseMle, &Commitment, &[Fr])> = opens
            .iter()
            .map(|o| (&o.poly, &o.claim.commitment, &o.claim.point[..]))
            .collect();
        polys.push((&a, &ca, &claim.point[..]));
        let (batch, _) = pcs::open_batch(&srs.commit_key, &polys, t).unwrap();
        let check = |arg: &RangeArgument| -> Result<(), LogupError> {
            let t = &mut Transcript::new(b"d");
            let (claims, values) = verify_range_deferred(bits, m, arg, t)?;
            let mut all: Vec<pcs::Claim<'_>> = claims
                .iter()
                .map(|c| pcs::Claim {
                    commitment: &c.commitment,
                    point: &c.point,
                    eval: c.eval,
                })
                .collect();
            all.push(pcs::Claim {
                commitment: &ca,
                point: &values.point,
                eval: values.eval,
            });
            Ok(pcs::verify_batch(&srs.verifier_key, &all, &batch, t)?)
        };
        check(&arg).unwrap();
        let mut bad = arg.clone();
        bad.sum += Fr::one();
        assert!(check(&bad).is_err());
        let mut bad = arg.clone();
        bad.values.final_evals[1] += Fr::one();
        assert!(check(&bad).is_err());
    }

    #[test]
    fn a_value_out_of_range_has_no_proof() {
        let (srs, mut rng) = setup();
        let mut v = vector(&mut rng, 4, 6).into_evals();
        v[9] = Fr::from(64u64);
        let a = DenseMle::new(v.clone()).unwrap();
        assert!(matches!(
            prove_range(&srs.commit_key, 6, &a, None, &mut Transcript::new(b"r")),
            Err(LogupError::OutOfRange { index: 9, bits: 6 })
        ));
        v[9] = -Fr::one();
        let a = DenseMle::new(v).unwrap();
        assert!(matches!(
            prove_range(&srs.commit_key, 6, &a, None, &mut Transcript::new(b"r")),
            Err(LogupError::OutOfRange { index: 9, .. })
        ));
        assert!(matches!(
            prove_range(&srs.commit_key, 25, &a, None, &mut Transcript::new(b"r")),
            Err(LogupError::TooWide { .. })
        ));
    }

    #[test]
    fn a_proof_for_other_values_or_tampered_parts_is_rejected() {
        let (srs, mut rng) = setup();
        let (m, bits) = (5, 4);
        let a = vector(&mut rng, m, bits);
        let (proof, claim) =
            prove_range(&srs.commit_key, bits, &a, None, &mut Transcript::new(b"r")).unwrap();
        let vk = &srs.verifier_key;
        let v = |p: &RangeProof| verify_range(vk, bits, m, None, p, &mut Transcript::new(b"r"));
        assert_eq!(v(&proof).unwrap(), claim);
        // The proof is about `a`: the claim it leaves is false for another vector.
        let b = vector(&mut rng, m, bits);
        assert_ne!(b.evaluate(&claim.point).unwrap(), claim.eval);
        let g = ark_bn254::G1Affine::generator();
        let bump = |c: &Commitment| Commitment((c.0 + g).into_affine());
        let mut bad = proof.clone();
        bad.argument.sum += Fr::one();
        assert!(v(&bad).is_err());
        for which in 0..3 {
            let mut bad = proof.clone();
            match which {
                0 => bad.argument.mult = bump(&bad.argument.mult),
                1 => bad.argument.h = bump(&bad.argument.h),
                _ => bad.argument.g = bump(&bad.argument.g),
            }
            assert!(v(&bad).is_err(), "commitment {which}");
        }
        let mut bad = proof.clone();
        bad.argument.values.rounds[1].0[0] += Fr::one();
        assert!(v(&bad).is_err());
        let mut bad = proof.clone();
        bad.argument.table.final_evals[2] += Fr::one();
        assert!(v(&bad).is_err());
        let mut bad = proof.clone();
        bad.h_opening.evals[0][1] += Fr::one();
        assert!(v(&bad).is_err());
        // Another range, another size.
        assert!(verify_range(vk, bits + 1, m, None, &proof, &mut Transcript::new(b"r")).is_err());
        assert!(verify_range(vk, bits, m + 1, None, &proof, &mut Transcript::new(b"r")).is_err());
    }

    #[test]
    fn a_cheating_prover_with_an_out_of_range_value_is_rejected() {
        // The vector holds 100 in a 3-bit range; the prover counts it as 7 (or drops it) and
        // runs the rest of the protocol honestly.
        let (srs, mut rng) = setup();
        let mut v = vector(&mut rng, 4, 3).into_evals();
        v[3] = Fr::from(100u64);
        let a = DenseMle::new(v.clone()).unwrap();
        for fake in [Some(7u64), None] {
            let mut counts = vec![0u64; 8];
            for (i, x) in v.iter().enumerate() {
                if i == 3 {
                    if let Some(f) = fake {
                        counts[f as usize] += 1;
                    }
                } else {
                    counts[x.into_bigint().as_ref()[0] as usize] += 1;
                }
            }
            let mult = DenseMle::new(counts.into_iter().map(Fr::from).collect()).unwrap();
            let table = DenseMle::new((0..8u64).map(Fr::from).collect()).unwrap();
            let (proof, _) = prove_with(
                &srs.commit_key,
                3,
                &a,
                None,
                &mult,
                table,
                &mut Transcript::new(b"r"),
            )
            .unwrap();
            assert!(
                verify_range(
                    &srs.verifier_key,
                    3,
                    4,
                    None,
                    &proof,
                    &mut Transcript::new(b"r")
                )
                .is_err(),
                "{fake:?}"
            );
        }
        // A prover that swaps the table entry 7 for 100 (multiplicities then honest for its
        // table) passes both sumchecks; only the verifier's own T̃(ρ) catches it.
        let v: Vec<Fr> = v
            .iter()
            .map(|x| if *x == Fr::from(7u64) { Fr::zero() } else { *x })
            .collect();
        let a = DenseMle::new(v.clone()).unwrap();
        let mut counts = vec![0u64; 8];
        let mut table: Vec<u64> = (0..8).collect();
        table[7] = 100;
        for x in &v {
            let x = x.into_bigint().as_ref()[0];
            counts[table.iter().position(|&t| t == x).unwrap()] += 1;
        }
        let mult = DenseMle::new(counts.into_iter().map(Fr::from).collect()).unwrap();
        let table = DenseMle::new(table.into_iter().map(Fr::from).collect()).unwrap();
        let (proof, _) = prove_with(
            &srs.commit_key,
            3,
            &a,
            None,
            &mult,
            table,
            &mut Transcript::new(b"r"),
        )
        .unwrap();
        assert!(matches!(
            verify_range(
                &srs.verifier_key,
                3,
                4,
                None,
                &proof,
                &mut Transcript::new(b"r")
            ),
            Err(LogupError::Rejected(_))
        ));
    }

    /// A cheating prover that replaces `eq(z, ·)` by zero (so the inverse check vanishes)
    /// and pretends the out-of-range value is 7: every sumcheck and opening is consistent,
    /// only the verifier's own `eq(z, ρ)` catches it.
    #[test]
    fn a_prover_with_a_fake_eq_polynomial_is_rejected() {
        let (srs, mut rng) = setup();
        let ck = &srs.commit_key;
        let (m, bits) = (4usize, 3u32);
        let mut v = vector(&mut rng, m, bits).into_evals();
        v[3] = Fr::from(100u64);
        let a = DenseMle::new(v.clone()).unwrap();
        let mut counts = vec![0u64; 8];
        for (i, x) in v.iter().enumerate() {
            counts[if i == 3 {
                7
            } else {
                x.into_bigint().as_ref()[0] as usize
            }] += 1;
        }
        let mult = DenseMle::new(counts.into_iter().map(Fr::from).collect()).unwrap();
        let t = &mut Transcript::new(b"r");
        t.absorb_u64(m as u64);
        t.absorb_u64(u64::from(bits));
        let c_mult = pcs::commit(ck, &mult).unwrap();
        t.absorb_g1(&c_mult.0);
        let beta = t.challenge();
        let inv = |x: Fr| ark_ff::Field::inverse(&x).unwrap();
        let h: Vec<Fr> = v
            .iter()
            .enumerate()
            .map(|(i, x)| inv(beta + if i == 3 { Fr::from(7u64) } else { *x }))
            .collect();
        let g: Vec<Fr> = (0..8u64)
            .map(|j| mult.evals()[j as usize] * inv(beta + Fr::from(j)))
            .collect();
        let (h, g) = (DenseMle::new(h).unwrap(), DenseMle::new(g).unwrap());
        let sum: Fr = h.evals().iter().sum();
        let (c_h, c_g) = (pcs::commit(ck, &h).unwrap(), pcs::commit(ck, &g).unwrap());
        t.absorb_g1(&c_h.0);
        t.absorb_g1(&c_g.0);
        t.absorb_fr(&sum);
        let _z_a = t.challenges(m);
        let z_t = t.challenges(bits as usize);
        let lambda = t.challenge();
        let fake_eq = DenseMle::new(vec![Fr::zero(); 1 << m]).unwrap();
        let pv = sumcheck::prove_terms(
            &terms(m, beta, lambda, false).unwrap(),
            vec![fake_eq, h.clone(), a],
            t,
        )
        .unwrap();
        let table = DenseMle::new((0..8u64).map(Fr::from).collect()).unwrap();
        let pt = sumcheck::prove_terms(
            &terms(bits as usize, beta, lambda, true).unwrap(),
            vec![
                DenseMle::new(eq_table(&z_t)).unwrap(),
                g.clone(),
                table,
                mult.clone(),
            ],
            t,
        )
        .unwrap();
        assert_eq!(pv.claim, sum);
        assert_eq!(pt.claim, sum);
        let nu = t.challenge();
        let (h_opening, _) = pcs::open(ck, &h, &c_h, &pv.reduced.point, t).unwrap();
        let comb: Vec<Fr> = g
            .evals()
            .iter()
            .zip(mult.evals())
            .map(|(x, c)| *x + nu * c)
            .collect();
        let c_comb = Commitment((c_g.0 + c_mult.0 * nu).into_affine());
        let (table_opening, _) = pcs::open(
            ck,
            &DenseMle::new(comb).unwrap(),
            &c_comb,
            &pt.reduced.point,
            t,
        )
        .unwrap();
        let proof = RangeProof {
            argument: RangeArgument {
                mult: c_mult,
                h: c_h,
                g: c_g,
                sum,
                values: pv.proof,
                table: pt.proof,
            },
            h_opening,
            table_opening,
        };
        assert!(matches!(
            verify_range(
                &srs.verifier_key,
                bits,
                m,
                None,
                &proof,
                &mut Transcript::new(b"r")
            ),
            Err(LogupError::Rejected(_))
        ));
    }
}

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
    let c_mult = {
        let _p = pcs::profile::phase("logup: commit mu");
        pcs::commit(ck, mult)?
    };
    absorb_commitments(transcript, &[&c_mult]);
    let beta = transcript.challenge();

    let inv = pcs::profile::phase("logup: h, g inversions");
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
    drop(inv);
    let c_h = {
        let _p = pcs::profile::phase("logup: commit h");
        pcs::commit(ck, &h)?
    };
    let c_g = {
        let _p = pcs::profile::phase("logup: commit g");
        pcs::commit(ck, &g)?
    };
    absorb_commitments(transcript, &[&c_h, &c_g]);
    transcript.absorb_fr(&sum);
    let z_a = transcript.challenges(m);
    let z_t = transcript.challenges(k);
    let lambda = transcript.challenge();

    let _p = pcs::profile::phase("logup: sumchecks");
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
mod tests;

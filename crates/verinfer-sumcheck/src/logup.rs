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
//! claim into the layer that produced `a`).
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

/// A proof that every entry of a vector lies in `[0, 2^k)`.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct RangeProof {
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
    /// `h` at the values' point.
    pub h_opening: OpeningProof,
    /// `g + ν·μ` at the table's point.
    pub table_opening: OpeningProof,
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
    let table_len = 1usize << bits;
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
    let mut counts = vec![0u64; table_len];
    for &v in &ints {
        counts[v] += 1;
    }
    let mult = DenseMle::new(counts.iter().map(|&c| Fr::from(c)).collect())?;
    let table = DenseMle::new((0..table_len as u64).map(Fr::from).collect())?;
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

/// The protocol from step 1, for given multiplicities and table (honest ones from
/// [`prove_range`]; the tests pass false ones to play a cheating prover).
fn prove_with(
    ck: &CommitKey,
    bits: u32,
    values: &DenseMle,
    values_commitment: Option<&Commitment>,
    mult: &DenseMle,
    table: DenseMle,
    transcript: &mut Transcript,
) -> Result<(RangeProof, RangeClaim), LogupError> {
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

    let nu = transcript.challenge();
    let (h_opening, _) = match values_commitment {
        None => pcs::open(ck, &h, &c_h, &pv.reduced.point, transcript)?,
        Some(c_a) => {
            let eta = transcript.challenge();
            let comb = DenseMle::new(
                h.evals()
                    .par_iter()
                    .zip(values.evals().par_iter())
                    .map(|(x, a)| *x + eta * a)
                    .collect(),
            )?;
            let c = Commitment((c_h.0 + c_a.0 * eta).into_affine());
            pcs::open(ck, &comb, &c, &pv.reduced.point, transcript)?
        }
    };
    let combined = DenseMle::new(
        g.evals()
            .par_iter()
            .zip(mult.evals().par_iter())
            .map(|(x, c)| *x + nu * c)
            .collect(),
    )?;
    let c_comb = Commitment((c_g.0 + c_mult.0 * nu).into_affine());
    let (table_opening, _) = pcs::open(ck, &combined, &c_comb, &pt.reduced.point, transcript)?;

    let claim = RangeClaim {
        eval: pv.reduced.evals.get(2).copied().unwrap_or_else(Fr::zero),
        point: pv.reduced.point,
    };
    Ok((
        RangeProof {
            mult: c_mult,
            h: c_h,
            g: c_g,
            sum,
            values: pv.proof,
            table: pt.proof,
            h_opening,
            table_opening,
        },
        claim,
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
    check_bits(bits)?;
    let (m, k) = (num_vars, bits as usize);
    transcript.absorb_u64(m as u64);
    transcript.absorb_u64(u64::from(bits));
    absorb_commitments(transcript, &[&proof.mult]);
    let beta = transcript.challenge();
    absorb_commitments(transcript, &[&proof.h, &proof.g]);
    transcript.absorb_fr(&proof.sum);
    let z_a = transcript.challenges(m);
    let z_t = transcript.challenges(k);
    let lambda = transcript.challenge();

    let rv = sumcheck::verify_terms(
        &terms(m, beta, lambda, false)?,
        proof.sum,
        &proof.values,
        transcript,
    )?;
    let rt = sumcheck::verify_terms(
        &terms(k, beta, lambda, true)?,
        proof.sum,
        &proof.table,
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
    let nu = transcript.challenge();
    match values_commitment {
        None => pcs::verify(vk, &proof.h, &rv.point, *h_a, &proof.h_opening, transcript)?,
        Some(c_a) => {
            let eta = transcript.challenge();
            let c = Commitment((proof.h.0 + c_a.0 * eta).into_affine());
            let e = *h_a + eta * a_a;
            pcs::verify(vk, &c, &rv.point, e, &proof.h_opening, transcript)?;
        }
    }
    let c_comb = Commitment((proof.g.0 + proof.mult.0 * nu).into_affine());
    let comb_eval = *g_t + nu * mult_t;
    pcs::verify(
        vk,
        &c_comb,
        &rt.point,
        comb_eval,
        &proof.table_opening,
        transcript,
    )?;
    Ok(RangeClaim {
        point: rv.point,
        eval: *a_a,
    })
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
        bad.sum += Fr::one();
        assert!(v(&bad).is_err());
        for which in 0..3 {
            let mut bad = proof.clone();
            match which {
                0 => bad.mult = bump(&bad.mult),
                1 => bad.h = bump(&bad.h),
                _ => bad.g = bump(&bad.g),
            }
            assert!(v(&bad).is_err(), "commitment {which}");
        }
        let mut bad = proof.clone();
        bad.values.rounds[1].0[0] += Fr::one();
        assert!(v(&bad).is_err());
        let mut bad = proof.clone();
        bad.table.final_evals[2] += Fr::one();
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
            mult: c_mult,
            h: c_h,
            g: c_g,
            sum,
            values: pv.proof,
            table: pt.proof,
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

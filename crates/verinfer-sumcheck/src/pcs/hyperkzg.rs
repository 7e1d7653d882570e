//! HyperKZG: a multilinear polynomial commitment built from univariate KZG (the Gemini
//! folding of Bootle–Chiesa–Hu–Orrù 2022, in the form of Nova's and Jolt's `HyperKZG`).
//!
//! # Commitment
//!
//! A multilinear `f` in `ℓ` variables with hypercube table `(f[0], …, f[N−1])`, `N = 2^ℓ`
//! (index convention of [`crate::mle`]: `x_1` is the most significant bit) is committed as the
//! univariate `f_0(X) = Σ_i f[i]·X^i`: `C = f_0(τ)·G1 = Σ f[i]·(τ^i·G1)`, one MSM.
//!
//! # Opening at `u = (u_1, …, u_ℓ)` to `v = f(u)`
//!
//! Folding pairs `(f[2j], f[2j+1])`, i.e. binds the *last* variable first:
//! `f_(i+1)[j] = f_i[2j] + u_(ℓ−i)·(f_i[2j+1] − f_i[2j])`, so `f_ℓ = f(u) = v`. As polynomials,
//! with `f_i(X) = E_i(X²) + X·O_i(X²)`:
//!
//! ```text
//! f_(i+1)(Y) = (1 − u)·E_i(Y) + u·O_i(Y),   E_i(r²) = (f_i(r) + f_i(−r))/2,
//!                                            O_i(r²) = (f_i(r) − f_i(−r))/(2r)
//! ```
//!
//! Transcript (after the caller's own items), prover and verifier alike:
//!
//! 1. absorb `ℓ`, `C` (two words), `u` (ℓ scalars), `v`;
//! 2. the prover sends `C_i = [f_i(τ)]_1` for `i = 1..ℓ−1`; absorb them; `r = challenge()`
//!    (`r = 0` is refused);
//! 3. the prover sends `f_i(r), f_i(−r), f_i(r²)` for `i = 0..ℓ−1` (`3ℓ` scalars); absorb
//!    them; `q = challenge()`;
//! 4. the prover opens `B = Σ_i q^i·f_i` at the three points `a_k ∈ {r, −r, r²}` at once
//!    (the multi-point KZG of Boneh–Drake–Fisch–Gabizon 2020, "Shplonk"): with
//!    `Z(X) = Π_k (X − a_k)` it sends `W = [(B(τ) − I(τ))/Z(τ)]_1` (`I` the quadratic through the
//!    `(a_k, B(a_k))`: the quotient of `B` by `Z`); absorb `W`; `z = challenge()`; it sends
//!    `W' = [L(τ)/(τ − z)]_1` for `L(X) = B(X) − I(z) − Z(z)·W(X)` (which vanishes at `z`);
//!    absorb `W'`.
//!
//! The verifier checks, for `i = 0..ℓ−1` with `u = u_(ℓ−i)`:
//! `2r·f_(i+1)(r²) = r(1 − u)(f_i(r) + f_i(−r)) + u(f_i(r) − f_i(−r))`, where `f_ℓ(r²)` is `v`;
//! and, with `C_B = Σ q^i·C_i` (`C_0 = C`) and `B(a_k) = Σ q^i·f_i(a_k)`, one pairing equation:
//!
//! ```text
//! e( C_B − I(z)·G1 − Z(z)·W + z·W', G2 ) = e( W', τ·G2 )
//! ```
//!
//! `r ∈ {0, 1, −1}` (coinciding points) is refused as a degenerate challenge.
//!
//! A polynomial in zero variables is committed as `f[0]·G1`; its opening is empty and the
//! verifier checks `C = v·G1`.
//!
//! **Proof:** `ℓ + 1` G1 points and `3ℓ` scalars. **Verifier:** `O(ℓ)` field operations,
//! an MSM of `ℓ + 3` points (on the EVM: `ecMul`/`ecAdd` per point) and one pairing check with
//! two pairs. **Prover:** `O(N)` field operations and MSMs of total size about `3N` (the
//! folds, about `N`, and the two witnesses).
//!
//! **Soundness** (Kohrita–Towa's analysis of HyperKZG/Gemini): binding and evaluation
//! soundness of KZG under the `N`-strong Diffie–Hellman assumption in the algebraic group
//! model, plus the random-oracle model for Fiat–Shamir; the challenges add `(N + 3ℓ + 3)/r`-ish
//! error (Schwartz–Zippel on polynomials of degree `< N` at `r`, on the batching by `q` and
//! `d`). Not hiding: the commitment and evaluations reveal information about `f` (a hiding
//! variant adds a blinding polynomial; docs/sumcheck.md).

use ark_bn254::{Bn254, Fr, G1Affine, G1Projective};
use ark_ec::pairing::Pairing;
use ark_ec::{CurveGroup, VariableBaseMSM};
use ark_ff::{Field, One, Zero};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use rayon::prelude::*;

use crate::error::PcsError;
use crate::mle::DenseMle;
use crate::pcs::srs::{CommitKey, VerifierKey};
use crate::transcript::Transcript;

/// A commitment to a multilinear polynomial: one G1 point.
#[derive(Clone, Copy, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
#[repr(transparent)]
pub struct Commitment(pub G1Affine);

/// An opening proof (shapes fixed by the number of variables `ℓ`).
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct OpeningProof {
    /// `[f_i(τ)]_1` for `i = 1..ℓ−1` (`ℓ − 1` points; none for `ℓ ≤ 1`).
    pub folds: Vec<G1Affine>,
    /// `[f_i(r), f_i(−r), f_i(r²)]` for `i = 0..ℓ−1`.
    pub evals: Vec<[Fr; 3]>,
    /// The multi-point KZG witnesses `W`, `W'` of `B` at `r`, `−r`, `r²` (none for `ℓ = 0`).
    pub witnesses: Vec<G1Affine>,
}

/// `Σ c_i·τ^i·G1` over the first `coeffs.len()` powers (small-integer tables take
/// [`super::small_msm`]'s path, full-width ones the key's fixed-base table where it has one:
/// same point, a fraction of the work). `bases` is a prefix of `ck`'s powers.
fn msm(ck: &CommitKey, bases: &[G1Affine], coeffs: &[Fr]) -> G1Affine {
    super::small_msm::msm_with(bases, coeffs, ck.table())
}

/// Commit to `f` (its table as univariate coefficients).
///
/// # Errors
/// [`PcsError::SrsTooSmall`] if `f` has more variables than the key supports.
pub fn commit(ck: &CommitKey, f: &DenseMle) -> Result<Commitment, PcsError> {
    let bases = ck.first(f.num_vars())?;
    Ok(Commitment(msm(ck, bases, f.evals())))
}

/// Horner evaluation of coefficients at `x`.
fn eval_univariate(coeffs: &[Fr], x: Fr) -> Fr {
    coeffs.iter().rev().fold(Fr::zero(), |acc, c| acc * x + c)
}

/// The coefficients of `(B(X) − B(a))/(X − a)` (synthetic division; the remainder is dropped).
fn kzg_quotient(b: &[Fr], a: Fr) -> Vec<Fr> {
    let mut q = vec![Fr::zero(); b.len().saturating_sub(1)];
    let mut carry = Fr::zero();
    for k in (1..b.len()).rev() {
        carry = b[k] + a * carry;
        q[k - 1] = carry;
    }
    q
}

/// The quotient of `b` by the monic cubic `X³ + z[2]X² + z[1]X + z[0]` (remainder dropped).
fn div_by_cubic(b: &[Fr], z: [Fr; 3]) -> Vec<Fr> {
    let mut rem = b.to_vec();
    let mut q = vec![Fr::zero(); b.len().saturating_sub(3)];
    for deg in (3..rem.len()).rev() {
        let c = rem[deg];
        q[deg - 3] = c;
        rem[deg - 1] -= z[2] * c;
        rem[deg - 2] -= z[1] * c;
        rem[deg - 3] -= z[0] * c;
    }
    q
}

/// The three opening points `r, −r, r²`, `Z`'s low coefficients (`Z = X³ − r²X² − r²X + r⁴`),
/// or `None` when two points coincide (`r ∈ {0, 1, −1}`).
fn points(r: Fr) -> Option<([Fr; 3], [Fr; 3])> {
    let r2 = r * r;
    if r.is_zero() || r2 == r || r2 == -r {
        return None;
    }
    Some(([r, -r, r2], [r2 * r2, -r2, -r2]))
}

/// `I(z)` for the quadratic through `(a_k, y_k)`, and `Z(z) = Π (z − a_k)`.
fn interpolant_and_vanishing(a: &[Fr; 3], y: &[Fr; 3], z: Fr) -> Option<(Fr, Fr)> {
    let mut i_z = Fr::zero();
    for k in 0..3 {
        let (mut num, mut den) = (Fr::one(), Fr::one());
        for j in (0..3).filter(|&j| j != k) {
            num *= z - a[j];
            den *= a[k] - a[j];
        }
        i_z += y[k] * num * den.inverse()?;
    }
    Some((i_z, a.iter().map(|ak| z - ak).product()))
}

fn absorb_statement(t: &mut Transcript, c: &Commitment, point: &[Fr], eval: &Fr) {
    t.absorb_u64(point.len() as u64);
    t.absorb_g1(&c.0);
    t.absorb_frs(point);
    t.absorb_fr(eval);
}

/// Open `f` (committed as `c`) at `point`; returns the proof and `f(point)`.
///
/// # Errors
/// [`PcsError::PointLength`] for a point of the wrong length, [`PcsError::SrsTooSmall`] for a
/// key too short, [`PcsError::DegenerateChallenge`] if `r = 0` (probability ~2^-253).
pub fn open(
    ck: &CommitKey,
    f: &DenseMle,
    c: &Commitment,
    point: &[Fr],
    transcript: &mut Transcript,
) -> Result<(OpeningProof, Fr), PcsError> {
    let ell = f.num_vars();
    if point.len() != ell {
        return Err(PcsError::PointLength {
            expected: ell,
            got: point.len(),
        });
    }
    let bases = ck.first(ell)?;
    let eval = f.evaluate(point)?;
    absorb_statement(transcript, c, point, &eval);
    if ell == 0 {
        return Ok((
            OpeningProof {
                folds: vec![],
                evals: vec![],
                witnesses: vec![],
            },
            eval,
        ));
    }
    // f_0 … f_(ℓ−1); f_(i+1) binds variable ℓ − i (the least significant bit).
    let mut polys: Vec<Vec<Fr>> = Vec::with_capacity(ell);
    polys.push(f.evals().to_vec());
    for i in 0..ell - 1 {
        let u = point[ell - 1 - i];
        let prev = &polys[i];
        let next: Vec<Fr> = prev
            .par_chunks(2)
            .map(|p| p[0] + u * (p[1] - p[0]))
            .collect();
        polys.push(next);
    }
    let folds: Vec<G1Affine> = {
        let _p = super::profile::phase("opening: fold commitments");
        polys[1..].iter().map(|p| msm(ck, bases, p)).collect()
    };
    folds.iter().for_each(|p| transcript.absorb_g1(p));
    let r = transcript.challenge();
    let (pts, z_low) = points(r).ok_or(PcsError::DegenerateChallenge)?;
    let evals: Vec<[Fr; 3]> = polys
        .par_iter()
        .map(|p| pts.map(|a| eval_univariate(p, a)))
        .collect();
    evals.iter().for_each(|e| transcript.absorb_frs(e));
    let q = transcript.challenge();
    // B = Σ q^i·f_i and its values at the three points.
    let mut b = vec![Fr::zero(); 1 << ell];
    let mut qi = Fr::one();
    for p in &polys {
        b.par_iter_mut()
            .zip(p.par_iter())
            .for_each(|(x, y)| *x += qi * y);
        qi *= q;
    }
    let b_at = pts.map(|a| eval_univariate(&b, a));
    let w_poly = div_by_cubic(&b, z_low);
    let w = {
        let _p = super::profile::phase("opening: W");
        msm(ck, bases, &w_poly)
    };
    transcript.absorb_g1(&w);
    let z = transcript.challenge();
    let (i_z, z_z) =
        interpolant_and_vanishing(&pts, &b_at, z).ok_or(PcsError::DegenerateChallenge)?;
    // L = B − I(z) − Z(z)·W, then W' = L/(X − z).
    let mut l = b;
    l.par_iter_mut()
        .zip(w_poly.par_iter())
        .for_each(|(x, y)| *x -= z_z * y);
    if let Some(c0) = l.first_mut() {
        *c0 -= i_z;
    }
    let w2 = {
        let _p = super::profile::phase("opening: W'");
        msm(ck, bases, &kzg_quotient(&l, z))
    };
    transcript.absorb_g1(&w2);
    let witnesses = vec![w, w2];
    Ok((
        OpeningProof {
            folds,
            evals,
            witnesses,
        },
        eval,
    ))
}

/// Verify that the polynomial committed as `c` takes the value `eval` at `point`.
///
/// # Errors
/// [`PcsError::Malformed`] for a proof of the wrong shape, [`PcsError::Rejected`] for a false
/// opening, [`PcsError::DegenerateChallenge`] if `r = 0`.
pub fn verify(
    vk: &VerifierKey,
    c: &Commitment,
    point: &[Fr],
    eval: Fr,
    proof: &OpeningProof,
    transcript: &mut Transcript,
) -> Result<(), PcsError> {
    let ell = point.len();
    absorb_statement(transcript, c, point, &eval);
    if ell == 0 {
        if !(proof.folds.is_empty() && proof.evals.is_empty() && proof.witnesses.is_empty()) {
            return Err(PcsError::Malformed("a constant's opening is empty"));
        }
        if (vk.g1 * eval).into_affine() != c.0 {
            return Err(PcsError::Rejected(
                "the constant differs from the commitment",
            ));
        }
        return Ok(());
    }
    let (&[w, w2], true) = (
        &proof.witnesses[..],
        proof.folds.len() == ell - 1 && proof.evals.len() == ell,
    ) else {
        return Err(PcsError::Malformed(
            "expected ℓ−1 fold commitments, ℓ evaluation triples, 2 witnesses",
        ));
    };
    proof.folds.iter().for_each(|p| transcript.absorb_g1(p));
    let r = transcript.challenge();
    let (pts, _) = points(r).ok_or(PcsError::DegenerateChallenge)?;
    let two_r_inv = (r + r).inverse().ok_or(PcsError::DegenerateChallenge)?;
    proof.evals.iter().for_each(|e| transcript.absorb_frs(e));
    let q = transcript.challenge();
    transcript.absorb_g1(&w);
    let z = transcript.challenge();
    transcript.absorb_g1(&w2);

    // Folding consistency: f_(i+1)(r²) from f_i(±r).
    for (i, [pos, neg, _]) in proof.evals.iter().enumerate() {
        let u = point[ell - 1 - i];
        let next = ((Fr::one() - u) * r * (*pos + neg) + u * (*pos - neg)) * two_r_inv;
        let claimed = proof.evals.get(i + 1).map_or(eval, |e| e[2]);
        if next != claimed {
            return Err(PcsError::Rejected("a fold is inconsistent with the next"));
        }
    }

    // e(C_B − I(z)·G1 − Z(z)·W + z·W', G2) = e(W', τG2), C_B = Σ q^i·C_i.
    let q_pows: Vec<Fr> = std::iter::successors(Some(Fr::one()), |x| Some(*x * q))
        .take(ell)
        .collect();
    let b_at: [Fr; 3] = std::array::from_fn(|k| {
        proof
            .evals
            .iter()
            .zip(&q_pows)
            .map(|(e, qi)| e[k] * qi)
            .sum()
    });
    let (i_z, z_z) =
        interpolant_and_vanishing(&pts, &b_at, z).ok_or(PcsError::DegenerateChallenge)?;
    let mut bases: Vec<G1Affine> = Vec::with_capacity(ell + 3);
    bases.push(c.0);
    bases.extend_from_slice(&proof.folds);
    bases.extend([vk.g1, w, w2]);
    let mut scalars = q_pows;
    scalars.extend([-i_z, -z_z, z]);
    let lhs = G1Projective::msm_unchecked(&bases, &scalars).into_affine();
    if !Bn254::multi_pairing([lhs, -w2], [vk.g2, vk.tau_g2]).is_zero() {
        return Err(PcsError::Rejected("the KZG openings do not verify"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pcs::srs::Srs;
    use ark_ec::AffineRepr;
    use ark_ff::UniformRand;
    use ark_std::rand::{rngs::StdRng, SeedableRng};

    fn setup(max: usize) -> (Srs, StdRng) {
        let mut rng = StdRng::seed_from_u64(11);
        (Srs::insecure_local_setup_for_tests(max, &mut rng), rng)
    }

    fn random_mle(rng: &mut StdRng, n: usize) -> DenseMle {
        DenseMle::new((0..1 << n).map(|_| Fr::rand(rng)).collect()).unwrap()
    }

    #[test]
    fn quotient_divides() {
        let mut rng = StdRng::seed_from_u64(1);
        let b: Vec<Fr> = (0..9).map(|_| Fr::rand(&mut rng)).collect();
        let (a, x) = (Fr::rand(&mut rng), Fr::rand(&mut rng));
        let q = kzg_quotient(&b, a);
        assert_eq!(
            eval_univariate(&q, x) * (x - a),
            eval_univariate(&b, x) - eval_univariate(&b, a)
        );
    }

    #[test]
    fn cubic_division_is_exact_on_multiples() {
        let mut rng = StdRng::seed_from_u64(2);
        let r = Fr::rand(&mut rng);
        let (pts, z_low) = points(r).unwrap();
        let q: Vec<Fr> = (0..7).map(|_| Fr::rand(&mut rng)).collect();
        let x = Fr::rand(&mut rng);
        // b = q·Z + (c0 + c1 X + c2 X²): the quotient is q.
        let zx: Fr = pts.iter().map(|a| x - a).product();
        let mut b = vec![Fr::zero(); q.len() + 3];
        for (i, qi) in q.iter().enumerate() {
            b[i + 3] += qi;
            b[i + 2] += *qi * z_low[2];
            b[i + 1] += *qi * z_low[1];
            b[i] += *qi * z_low[0];
        }
        assert_eq!(eval_univariate(&b, x), eval_univariate(&q, x) * zx);
        b[0] += Fr::from(5u64);
        b[2] += Fr::from(9u64);
        assert_eq!(div_by_cubic(&b, z_low), q);
        assert!(points(Fr::one()).is_none() && points(-Fr::one()).is_none());
    }

    #[test]
    fn honest_openings_verify() {
        let (srs, mut rng) = setup(7);
        for n in 0..=7 {
            let f = random_mle(&mut rng, n);
            let c = commit(&srs.commit_key, &f).unwrap();
            let point: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
            let (proof, eval) =
                open(&srs.commit_key, &f, &c, &point, &mut Transcript::new(b"o")).unwrap();
            assert_eq!(eval, f.evaluate(&point).unwrap());
            verify(
                &srs.verifier_key,
                &c,
                &point,
                eval,
                &proof,
                &mut Transcript::new(b"o"),
            )
            .unwrap_or_else(|e| panic!("n = {n}: {e}"));
        }
    }

    #[test]
    fn false_statements_and_tampered_proofs_are_rejected() {
        let (srs, mut rng) = setup(5);
        let n = 5;
        let f = random_mle(&mut rng, n);
        let c = commit(&srs.commit_key, &f).unwrap();
        let point: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
        let (proof, eval) =
            open(&srs.commit_key, &f, &c, &point, &mut Transcript::new(b"o")).unwrap();
        let vk = &srs.verifier_key;
        let v = |c: &Commitment, point: &[Fr], eval: Fr, proof: &OpeningProof| {
            verify(vk, c, point, eval, proof, &mut Transcript::new(b"o"))
        };
        assert!(v(&c, &point, eval, &proof).is_ok());
        assert!(matches!(
            v(&c, &point, eval + Fr::one(), &proof),
            Err(PcsError::Rejected(_))
        ));
        let mut other_point = point.clone();
        other_point[2] += Fr::one();
        assert!(matches!(
            v(&c, &other_point, eval, &proof),
            Err(PcsError::Rejected(_))
        ));
        let other = commit(&srs.commit_key, &random_mle(&mut rng, n)).unwrap();
        assert!(matches!(
            v(&other, &point, eval, &proof),
            Err(PcsError::Rejected(_))
        ));
        let g = G1Affine::generator();
        for i in 0..proof.folds.len() {
            let mut bad = proof.clone();
            bad.folds[i] = (bad.folds[i] + g).into_affine();
            assert!(matches!(
                v(&c, &point, eval, &bad),
                Err(PcsError::Rejected(_))
            ));
        }
        for i in 0..n {
            for k in 0..3 {
                let mut bad = proof.clone();
                bad.evals[i][k] += Fr::one();
                assert!(
                    matches!(v(&c, &point, eval, &bad), Err(PcsError::Rejected(_))),
                    "eval {i} {k}"
                );
            }
        }
        for k in 0..2 {
            let mut bad = proof.clone();
            bad.witnesses[k] = (bad.witnesses[k] + g).into_affine();
            assert!(matches!(
                v(&c, &point, eval, &bad),
                Err(PcsError::Rejected(_))
            ));
        }
        let mut short = proof.clone();
        short.folds.pop();
        assert!(matches!(
            v(&c, &point, eval, &short),
            Err(PcsError::Malformed(_))
        ));
        assert!(matches!(
            verify(vk, &c, &point, eval, &proof, &mut Transcript::new(b"x")),
            Err(PcsError::Rejected(_))
        ));
    }

    /// The fixed-base table changes how the MSMs run, never a commitment or a proof byte.
    #[test]
    fn a_fixed_base_table_changes_no_proof_byte() {
        let n = 14;
        let (srs, mut rng) = setup(n);
        let plain = srs.commit_key.clone();
        let tabled = srs.commit_key.with_table();
        assert!(plain.table().is_none() && tabled.table().is_some());
        let f = random_mle(&mut rng, n);
        let c = commit(&plain, &f).unwrap();
        assert_eq!(commit(&tabled, &f).unwrap(), c);
        let point: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
        let open_with = |ck: &CommitKey| open(ck, &f, &c, &point, &mut Transcript::new(b"t"));
        let (proof, eval) = open_with(&plain).unwrap();
        assert_eq!(open_with(&tabled).unwrap(), (proof.clone(), eval));
        let vk = &srs.verifier_key;
        assert!(verify(vk, &c, &point, eval, &proof, &mut Transcript::new(b"t")).is_ok());
    }

    #[test]
    fn a_constant_opens_to_itself_only() {
        let (srs, _) = setup(1);
        let f = DenseMle::new(vec![Fr::from(9u64)]).unwrap();
        let c = commit(&srs.commit_key, &f).unwrap();
        let (proof, eval) = open(&srs.commit_key, &f, &c, &[], &mut Transcript::new(b"o")).unwrap();
        assert_eq!(eval, Fr::from(9u64));
        let vk = &srs.verifier_key;
        assert!(verify(vk, &c, &[], eval, &proof, &mut Transcript::new(b"o")).is_ok());
        assert!(verify(
            vk,
            &c,
            &[],
            eval + Fr::one(),
            &proof,
            &mut Transcript::new(b"o")
        )
        .is_err());
    }

    #[test]
    fn too_large_and_misshapen_inputs_are_errors() {
        let (srs, mut rng) = setup(3);
        let f = random_mle(&mut rng, 4);
        assert!(matches!(
            commit(&srs.commit_key, &f),
            Err(PcsError::SrsTooSmall { num_vars: 4, .. })
        ));
        let g = random_mle(&mut rng, 3);
        let c = commit(&srs.commit_key, &g).unwrap();
        assert!(matches!(
            open(
                &srs.commit_key,
                &g,
                &c,
                &[Fr::one()],
                &mut Transcript::new(b"o")
            ),
            Err(PcsError::PointLength {
                expected: 3,
                got: 1
            })
        ));
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(16))]
            #[test]
            fn random_sizes_open_and_any_changed_scalar_is_rejected(
                n in 1usize..7, seed: u64, which in 0usize..64
            ) {
                let (srs, _) = setup(6);
                let mut rng = StdRng::seed_from_u64(seed);
                let f = random_mle(&mut rng, n);
                let c = commit(&srs.commit_key, &f).unwrap();
                let point: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
                let (proof, eval) =
                    open(&srs.commit_key, &f, &c, &point, &mut Transcript::new(b"p")).unwrap();
                let vk = &srs.verifier_key;
                prop_assert!(verify(vk, &c, &point, eval, &proof, &mut Transcript::new(b"p")).is_ok());
                let mut bad = proof.clone();
                let (i, k) = ((which / 3) % n, which % 3);
                bad.evals[i][k] += Fr::one();
                prop_assert!(verify(vk, &c, &point, eval, &bad, &mut Transcript::new(b"p")).is_err());
                let mut p2 = point.clone();
                p2[which % n] += Fr::one();
                prop_assert!(verify(vk, &c, &p2, eval, &proof, &mut Transcript::new(b"p")).is_err());
            }
        }
    }
}

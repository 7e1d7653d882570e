//! Replaying a ceremony: every contribution's proof of knowledge and δ update, and the H and
//! L queries of each file against the previous one's by pairings.

use ark_bn254::{Bn254, Fr, G1Affine, G1Projective, G2Affine};
use ark_ec::pairing::Pairing;
use ark_ec::{AffineRepr, CurveGroup, VariableBaseMSM};
use ark_ff::{UniformRand, Zero};
use ark_std::rand::{CryptoRng, RngCore};

use super::{beacon_secrets, circuit_hash, next_hash, r_of, CeremonyError, Hash, Params};

/// What a verified ceremony consists of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verified {
    /// The circuit hash the transcript starts from.
    pub circuit: Hash,
    /// Each contribution's name, transcript hash after it, and whether it is a beacon.
    pub contributions: Vec<(String, Hash, bool)>,
    /// The public powers-of-tau file phase 1 came from, as the initial parameters record it
    /// (`None`: a local phase 1). Recorded, not checked here: rebuild the initial parameters
    /// from the file ([`Params::from_ptau`]) and compare to check it.
    pub phase1: Option<crate::files::Phase1>,
}

impl Verified {
    /// The final transcript hash (the circuit hash when nobody contributed).
    #[must_use]
    pub fn final_hash(&self) -> Hash {
        self.contributions.last().map_or(self.circuit, |c| c.1)
    }
}

/// `e(a1, b2) == e(a2, b1)`: the G1 pair and the G2 pair have the same ratio.
fn same_ratio(a1: G1Affine, a2: G1Affine, b1: G2Affine, b2: G2Affine) -> bool {
    Bn254::multi_pairing([a1, -a2], [b2, b1]).is_zero()
}

/// `Σ ρᵢ·xᵢ` and `Σ ρᵢ·yᵢ` for random `ρ`: one pairing check then stands for all pairs.
fn merge(
    xs: &[G1Affine],
    ys: &[G1Affine],
    rng: &mut (impl RngCore + CryptoRng),
) -> (G1Affine, G1Affine) {
    let rho: Vec<Fr> = (0..xs.len()).map(|_| Fr::rand(rng)).collect();
    let x = G1Projective::msm(xs, &rho).unwrap_or_else(|_| G1Projective::zero());
    let y = G1Projective::msm(ys, &rho).unwrap_or_else(|_| G1Projective::zero());
    (x.into_affine(), y.into_affine())
}

/// `next` is `prev` with its H and L queries divided by δ_next/δ_prev.
fn queries_follow(prev: &Params, next: &Params, rng: &mut (impl RngCore + CryptoRng)) -> bool {
    let cat = |p: &Params| -> Vec<G1Affine> {
        p.pk.h_query.iter().chain(&p.pk.l_query).copied().collect()
    };
    let (a, b) = merge(&cat(prev), &cat(next), rng);
    if a.is_zero() != b.is_zero() {
        return false;
    }
    same_ratio(b, a, prev.pk.vk.delta_g2, next.pk.vk.delta_g2)
}

/// Everything phase 2 must leave unchanged.
fn same_circuit(a: &Params, b: &Params) -> bool {
    let (p, q) = (&a.pk, &b.pk);
    a.manifest == b.manifest
        && p.vk.alpha_g1 == q.vk.alpha_g1
        && p.vk.beta_g2 == q.vk.beta_g2
        && p.vk.gamma_g2 == q.vk.gamma_g2
        && p.vk.gamma_abc_g1 == q.vk.gamma_abc_g1
        && p.beta_g1 == q.beta_g1
        && p.a_query == q.a_query
        && p.b_g1_query == q.b_g1_query
        && p.b_g2_query == q.b_g2_query
        && p.h_query.len() == q.h_query.len()
        && p.l_query.len() == q.l_query.len()
}

/// Verify a ceremony from its initial parameters `files[0]` to its last file, through any
/// intermediate files given (each must extend the previous one's contributions). Errors name
/// the contribution at fault where one is.
///
/// # Errors
/// [`CeremonyError::Contribution`] or [`CeremonyError::Invalid`].
pub fn verify(files: &[Params]) -> Result<Verified, CeremonyError> {
    let mut rng = crate::groth16::os_rng();
    let (first, last) = match (files.first(), files.last()) {
        (Some(f), Some(l)) => (f, l),
        _ => return Err(CeremonyError::Invalid("no ceremony file".into())),
    };
    if !first.contributions.is_empty() {
        return Err(CeremonyError::Invalid(format!(
            "the first file must be the initial parameters; it has {} contributions",
            first.contributions.len()
        )));
    }
    if first.pk.delta_g1 != G1Affine::generator() || first.pk.vk.delta_g2 != G2Affine::generator() {
        return Err(CeremonyError::Invalid(
            "the initial parameters do not have δ = 1".into(),
        ));
    }
    let bad = |index: usize, what: &str| {
        let name = last
            .contributions
            .get(index - 1)
            .map_or_else(String::new, |c| c.name.clone());
        CeremonyError::Contribution {
            index,
            name,
            what: what.to_string(),
        }
    };
    for (k, pair) in files.windows(2).enumerate() {
        let (prev, next) = (&pair[0], &pair[1]);
        if !same_circuit(prev, next) {
            return Err(CeremonyError::Invalid(format!(
                "file {} is not of the same circuit as file {} (manifest or a phase-1 element \
                 differs)",
                k + 2,
                k + 1
            )));
        }
        let n = prev.contributions.len();
        if next.contributions.len() < n {
            return Err(CeremonyError::Invalid(format!(
                "file {} has fewer contributions than file {}",
                k + 2,
                k + 1
            )));
        }
        if let Some(i) = (0..n).find(|&i| prev.contributions[i] != next.contributions[i]) {
            return Err(bad(
                i + 1,
                &format!(
                    "differs between files {} and {} (replaced, reordered or dropped)",
                    k + 1,
                    k + 2
                ),
            ));
        }
        delta_is_last(next, k + 2)?;
        if !queries_follow(prev, next, &mut rng) {
            let m = next.contributions.len();
            if m == n + 1 {
                return Err(bad(
                    m,
                    &format!(
                        "its H or L query is not the previous file's divided by δ′ (file {})",
                        k + 2
                    ),
                ));
            }
            return Err(CeremonyError::Invalid(format!(
                "file {}: the H or L query is not file {}'s divided by the δ′ of contributions \
                 {}..={m} (give the intermediate files to find which one)",
                k + 2,
                k + 1,
                n + 1
            )));
        }
    }
    if files.len() == 1 {
        delta_is_last(last, 1)?;
    }
    let mut t = circuit_hash(last);
    let circuit = t;
    let mut delta = G1Affine::generator();
    let mut out = Vec::new();
    for (i, c) in last.contributions.iter().enumerate() {
        let index = i + 1;
        if c.s.is_zero() || c.s_delta.is_zero() || c.r_delta.is_zero() || c.delta_after.is_zero() {
            return Err(bad(index, "a point at infinity"));
        }
        let r = r_of(&t, &c.s, &c.s_delta);
        if !same_ratio(c.s, c.s_delta, r, c.r_delta) {
            return Err(bad(
                index,
                "the proof of knowledge of δ′ does not verify (or it was made for another \
                 transcript: contributions reordered, dropped or replaced)",
            ));
        }
        if !same_ratio(delta, c.delta_after, r, c.r_delta) {
            return Err(bad(index, "δ is not the previous δ times the proven δ′"));
        }
        if let Some(b) = &c.beacon {
            let (d, _) = beacon_secrets(b)?;
            if (delta * d).into_affine() != c.delta_after {
                return Err(bad(index, "δ′ is not the one the beacon value gives"));
            }
        }
        t = next_hash(&t, c);
        delta = c.delta_after;
        out.push((c.name.clone(), t, c.beacon.is_some()));
    }
    Ok(Verified {
        circuit,
        contributions: out,
        phase1: last.manifest.phase1.clone(),
    })
}

/// A file's δ in G1 is its last contribution's (the generator with none) and its δ in G2 is
/// the same exponent.
fn delta_is_last(p: &Params, file: usize) -> Result<(), CeremonyError> {
    let want = p
        .contributions
        .last()
        .map_or_else(G1Affine::generator, |c| c.delta_after);
    if p.pk.delta_g1 != want {
        return Err(CeremonyError::Invalid(format!(
            "file {file}: δ in G1 is not its last contribution's"
        )));
    }
    if !same_ratio(
        G1Affine::generator(),
        p.pk.delta_g1,
        G2Affine::generator(),
        p.pk.vk.delta_g2,
    ) {
        return Err(CeremonyError::Invalid(format!(
            "file {file}: δ in G2 differs from δ in G1"
        )));
    }
    Ok(())
}

//! The multilinear polynomial commitment: **HyperKZG** over BN254 with a universal SRS.
//!
//! Why HyperKZG and not the alternatives the issue names:
//!
//! * **PST** (Papamanthou–Shi–Tamassia) needs an SRS of multilinear Lagrange monomials in `ℓ`
//!   independent trapdoors — not what a powers-of-tau ceremony publishes, so it would need a
//!   ceremony of its own (exactly what the issue rules out), and `ℓ` G2 elements.
//! * **Zeromorph** and **HyperKZG** both reduce a multilinear opening to univariate KZG over
//!   the plain powers `τ^i·G1` and `τ·G2`: exactly the `tauG1`/`tauG2` sections of a `.ptau`.
//!   HyperKZG needs no degree-check (no shifted powers, no `τ^(N−d)` in G2) and its verifier
//!   is field arithmetic plus one `ℓ + 4`-point MSM and **one pairing check of two pairs** —
//!   the cheapest of the three on the EVM (`ecPairing` with 2 pairs ≈ 113k gas), and the proof
//!   (`ℓ + 2` G1 points, `3ℓ` scalars) is calldata-cheap. Jolt and Nova use it in production.
//!
//! Files: [`srs`] (keys from a `.ptau`, or an insecure local one for tests), [`hyperkzg`]
//! (commit, open, verify), [`batch`] (many claims, one opening).

mod affine_msm;
pub mod batch;
mod batch_sumcheck;
pub mod fixed_msm;
pub mod hyperkzg;
pub(crate) mod profile;
mod small_msm;

/// `n` seeded random bases, for the MSM tests.
#[cfg(test)]
fn test_bases(n: usize, seed: u64) -> Vec<ark_bn254::G1Affine> {
    use ark_ec::CurveGroup;
    use ark_std::rand::{rngs::StdRng, SeedableRng};
    use ark_std::UniformRand;
    let mut rng = StdRng::seed_from_u64(seed);
    let pts: Vec<ark_bn254::G1Projective> = (0..n)
        .map(|_| ark_bn254::G1Projective::rand(&mut rng))
        .collect();
    ark_bn254::G1Projective::normalize_batch(&pts)
}
pub mod srs;

pub use batch::{open_batch, verify_batch, BatchOpeningProof, Claim};
pub use hyperkzg::{commit, open, verify, Commitment, OpeningProof};
pub use srs::{CommitKey, Srs, VerifierKey};

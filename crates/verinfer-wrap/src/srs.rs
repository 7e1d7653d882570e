//! The KZG structured reference string of the outer proof: powers of τ in G1 (2^k of them)
//! and τ in G2. From a powers-of-tau ceremony file the setup is universal (anyone can
//! rebuild the keys of a tape from it); the local generator is for tests only.

use std::io::{Read, Seek};

use halo2_base::halo2_proofs::halo2curves::bn256::{Bn256, G1Affine};
use halo2_base::halo2_proofs::poly::commitment::Params;
use halo2_base::halo2_proofs::poly::kzg::commitment::ParamsKZG;
use rand_core::SeedableRng;
use verinfer_ptau::{Ptau, Section};

use crate::convert::{g1_to_halo2, g2_to_halo2};
use crate::WrapError;

/// **INSECURE — tests and measurements only.** An SRS whose τ is drawn from a seeded RNG:
/// anyone who knows the seed knows τ and can forge proofs for any statement. Production keys
/// must come from a powers-of-tau ceremony ([`from_ptau`]).
pub fn insecure_for_tests(k: u32, seed: u64) -> ParamsKZG<Bn256> {
    ParamsKZG::<Bn256>::setup(k, rand_chacha::ChaCha20Rng::seed_from_u64(seed))
}

/// The SRS for 2^`k` rows from a powers-of-tau file (snarkjs `.ptau`): τ^i·G1 for
/// i < 2^k and τ·G2, each point validated by `verinfer-ptau`, mapped to halo2curves; the
/// Lagrange basis is computed from them.
///
/// # Errors
/// [`WrapError::Ptau`] for a file that is malformed or too small for 2^k points.
pub fn from_ptau<R: Read + Seek>(
    ptau: &mut Ptau<R>,
    k: u32,
) -> Result<ParamsKZG<Bn256>, WrapError> {
    if k > 28 {
        return Err(WrapError::Srs(format!(
            "k = {k} is above BN254's 2-adicity bound"
        )));
    }
    let g1: Vec<ark_bn254::G1Affine> = ptau.points(Section::TauG1, 0, 1u64 << k)?;
    let g2: Vec<ark_bn254::G2Affine> = ptau.points(Section::TauG2, 0, 2)?;
    let g = g1
        .iter()
        .map(g1_to_halo2)
        .collect::<Result<Vec<G1Affine>, _>>()?;
    let (Some(g2_0), Some(g2_1)) = (g2.first(), g2.get(1)) else {
        return Err(WrapError::Srs(
            "the file holds fewer than two τ^i·G2".into(),
        ));
    };
    // `from_parts` takes a receiver only to name the engine; a 2-row setup serves.
    let shell = insecure_for_tests(1, 0);
    Ok(shell.from_parts(k, g, None, g2_to_halo2(g2_0)?, g2_to_halo2(g2_1)?))
}

/// `srs` cut to its first 2^`k` powers (an SRS serves every smaller circuit).
///
/// # Errors
/// [`WrapError::Srs`] when `k` exceeds the SRS.
pub fn downsized(srs: &ParamsKZG<Bn256>, k: u32) -> Result<ParamsKZG<Bn256>, WrapError> {
    if k > srs.k() {
        return Err(WrapError::Srs(format!(
            "the circuit needs 2^{k} rows, the SRS has 2^{}",
            srs.k()
        )));
    }
    let mut out = srs.clone();
    out.downsize(k);
    Ok(out)
}

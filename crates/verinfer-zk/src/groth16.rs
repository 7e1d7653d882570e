//! Groth16 over BN254 (arkworks): ~128-byte proofs, pairing-precompile EVM verification.
//!
//! The setup here is a local, single-party dev setup: whoever ran it knows the toxic waste and
//! can forge proofs. Production keys need a multi-party ceremony (phase 2 per circuit).

use ark_bn254::Bn254;
use ark_groth16::Groth16 as ArkGroth16;
use ark_snark::SNARK;
use ark_std::rand::{CryptoRng, RngCore};
use verinfer_ir::Graph;

use crate::binding::Context;
use crate::circuit::{check_witness, GraphCircuit};
use crate::error::{VerifyError, ZkError};
use crate::proof_system::ProofSystem;
use crate::statement::PublicValues;
use crate::visibility::Visibility;

/// Groth16 over BN254.
#[derive(Clone, Copy, Debug, Default)]
pub struct Groth16;

/// Proving key.
pub type ProvingKey = ark_groth16::ProvingKey<Bn254>;
/// Verifying key.
pub type VerifyingKey = ark_groth16::VerifyingKey<Bn254>;
/// Proof (2 G1 + 1 G2 points).
pub type Proof = ark_groth16::Proof<Bn254>;

/// A generator seeded from the operating system, for key generation and proof blinding.
#[must_use]
pub fn os_rng() -> ark_std::rand::rngs::StdRng {
    use ark_std::rand::SeedableRng;
    ark_std::rand::rngs::StdRng::from_entropy()
}

/// Prefer the structured error a failed synthesis stashed in the circuit.
pub(crate) fn stashed(
    slot: &std::cell::RefCell<Option<ZkError>>,
    e: ark_relations::gr1cs::SynthesisError,
) -> ZkError {
    slot.borrow_mut().take().unwrap_or(ZkError::Synthesis(e))
}

impl ProofSystem for Groth16 {
    type ProvingKey = ProvingKey;
    type VerifyingKey = VerifyingKey;
    type Proof = Proof;

    fn setup_with<R: RngCore + CryptoRng>(
        graph: &Graph,
        vis: Visibility,
        rng: &mut R,
    ) -> Result<(ProvingKey, VerifyingKey), ZkError> {
        let circuit = GraphCircuit::blank_with_visibility(graph, vis)?;
        let slot = circuit.error_slot();
        ArkGroth16::<Bn254>::circuit_specific_setup(circuit, rng).map_err(|e| stashed(&slot, e))
    }

    fn prove_with<R: RngCore + CryptoRng>(
        pk: &ProvingKey,
        graph: &Graph,
        vis: Visibility,
        ctx: &Context,
        trace: Vec<Vec<i32>>,
        rng: &mut R,
    ) -> Result<(Proof, PublicValues), ZkError> {
        let circuit = GraphCircuit::with_visibility(graph, vis, trace)?.bound_to(*ctx);
        // Groth16's prover does not check satisfaction; refuse a deviating witness here.
        check_witness(&circuit)?;
        let public = circuit.public_values()?;
        let slot = circuit.error_slot();
        let proof = ArkGroth16::<Bn254>::prove(pk, circuit, rng).map_err(|e| stashed(&slot, e))?;
        Ok((proof, public))
    }

    fn verify(vk: &VerifyingKey, public: &PublicValues, proof: &Proof) -> Result<(), VerifyError> {
        let x = public.to_field_elements()?;
        if x.len() + 1 != vk.gamma_abc_g1.len() {
            return Err(VerifyError::BadPublicValues(format!(
                "{} public values, the key expects {}",
                x.len(),
                vk.gamma_abc_g1.len().saturating_sub(1)
            )));
        }
        if ArkGroth16::<Bn254>::verify(vk, &x, proof)? {
            Ok(())
        } else {
            Err(VerifyError::Rejected)
        }
    }
}

//! Groth16 over BN254 (arkworks): ~128-byte proofs, pairing-precompile EVM verification.
//!
//! [`Groth16`] implements [`verinfer_prove::ProofBackend`] and [`EvmVerifiable`] (name
//! [`NAME`], `groth16`), so the node and the CLI reach it through `dyn DynBackend`; its
//! rng-generic [`ProofSystem`] API is what the ceremony and the tests use.
//!
//! The setup here is a local, single-party dev setup: whoever ran it knows the toxic waste and
//! can forge proofs. Production keys need a multi-party ceremony (phase 2 per circuit).

use ark_bn254::Bn254;
use ark_groth16::Groth16 as ArkGroth16;
use ark_snark::SNARK;
use ark_std::rand::{CryptoRng, RngCore};
use verinfer_ir::Graph;

use alloy_primitives::B256;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use verinfer_ir::Model;
use verinfer_prove::{
    EvmVerifiable, ProofBackend, ProveError, PublicValues as NeutralPublicValues, Rng,
    StatementError, Unsupported,
};

use crate::binding::Context;
use crate::circuit::{check_supported, check_witness, constraint_counts_with, GraphCircuit};
use crate::error::{EvmError, VerifyError, ZkError};
use crate::proof_system::ProofSystem;
use crate::statement::{Bn254Values, PublicValues};
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

// The rng-generic entry points above forward to these through `dyn Rng`, so arkworks'
// setup and prover are compiled once, here, instead of once per crate (and per test binary)
// that calls them with its own generator type: that cost minutes of every clean build.
fn setup_dyn(
    graph: &Graph,
    vis: Visibility,
    mut rng: &mut dyn Rng,
) -> Result<(ProvingKey, VerifyingKey), ZkError> {
    let circuit = GraphCircuit::blank_with_visibility(graph, vis)?;
    let slot = circuit.error_slot();
    ArkGroth16::<Bn254>::circuit_specific_setup(circuit, &mut rng).map_err(|e| stashed(&slot, e))
}

fn prove_dyn(
    pk: &ProvingKey,
    graph: &Graph,
    vis: Visibility,
    ctx: &Context,
    trace: Vec<Vec<i32>>,
    mut rng: &mut dyn Rng,
) -> Result<(Proof, PublicValues), ZkError> {
    let circuit = GraphCircuit::with_visibility(graph, vis, trace)?.bound_to(*ctx);
    // Groth16's prover does not check satisfaction; refuse a deviating witness here.
    check_witness(&circuit)?;
    let public = circuit.public_values()?;
    let slot = circuit.error_slot();
    let proof = ArkGroth16::<Bn254>::prove(pk, circuit, &mut rng).map_err(|e| stashed(&slot, e))?;
    Ok((proof, public))
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
        setup_dyn(graph, vis, rng)
    }

    fn prove_with<R: RngCore + CryptoRng>(
        pk: &ProvingKey,
        graph: &Graph,
        vis: Visibility,
        ctx: &Context,
        trace: Vec<Vec<i32>>,
        rng: &mut R,
    ) -> Result<(Proof, PublicValues), ZkError> {
        prove_dyn(pk, graph, vis, ctx, trace, rng)
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

/// Why the Groth16 backend failed ([`verinfer_prove::ProofBackend::Error`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Groth16Error {
    /// Circuit construction or proving.
    #[error(transparent)]
    Zk(#[from] ZkError),
    /// Verification.
    #[error(transparent)]
    Verify(#[from] VerifyError),
    /// Key or proof bytes.
    #[error("{what}: {source}")]
    Serialization {
        /// `proving key`, `verifying key`, `proof`.
        what: &'static str,
        /// The cause.
        source: ark_serialize::SerializationError,
    },
    /// The Solidity export or the proof's EVM encoding.
    #[error(transparent)]
    Evm(#[from] crate::error::EvmError),
}

impl From<Groth16Error> for ProveError {
    fn from(e: Groth16Error) -> Self {
        let backend = NAME;
        match e {
            Groth16Error::Zk(ZkError::UnsupportedOp { node, name, op }) => Unsupported {
                backend,
                node: Some(node),
                reason: format!("node {node} ({name}): op {op} has no circuit yet"),
            }
            .into(),
            Groth16Error::Zk(e @ ZkError::TooWide { node, .. }) => Unsupported {
                backend,
                node: Some(node),
                reason: e.to_string(),
            }
            .into(),
            Groth16Error::Zk(
                e @ (ZkError::BadWitness(_)
                | ZkError::Unsatisfied(_)
                | ZkError::TraceMismatch { .. }),
            ) => ProveError::Witness(e.to_string()),
            Groth16Error::Zk(e @ ZkError::Synthesis(_)) => ProveError::Backend {
                backend,
                message: e.to_string(),
                transient: false,
            },
            Groth16Error::Verify(VerifyError::Rejected) => ProveError::Rejected,
            Groth16Error::Verify(VerifyError::Statement(e)) => ProveError::Statement(e),
            Groth16Error::Verify(e @ VerifyError::BadPublicValues(_)) => {
                ProveError::Statement(StatementError::BadValue(e.to_string()))
            }
            Groth16Error::Verify(e @ VerifyError::Synthesis(_)) => ProveError::Malformed {
                what: "verifying key",
                message: e.to_string(),
            },
            Groth16Error::Serialization { what, source } => ProveError::Malformed {
                what,
                message: source.to_string(),
            },
            Groth16Error::Evm(e @ (EvmError::BadKey(_) | EvmError::Render(_))) => {
                ProveError::Malformed {
                    what: "verifying key",
                    message: e.to_string(),
                }
            }
            Groth16Error::Evm(e @ EvmError::BadProof(_)) => ProveError::Malformed {
                what: "proof",
                message: e.to_string(),
            },
            Groth16Error::Evm(e) => ProveError::Backend {
                backend,
                transient: matches!(e, EvmError::Chain(_)),
                message: e.to_string(),
            },
        }
    }
}

/// The name `keys.json` records for Groth16 keys.
pub const NAME: &str = "groth16";

fn ser<T: CanonicalSerialize>(
    what: &'static str,
    x: &T,
    compressed: bool,
) -> Result<Vec<u8>, Groth16Error> {
    let mut out = Vec::new();
    let r = if compressed {
        x.serialize_compressed(&mut out)
    } else {
        x.serialize_uncompressed(&mut out)
    };
    r.map_err(|source| Groth16Error::Serialization { what, source })?;
    Ok(out)
}

/// Decodes all of `bytes` with `read`, refusing trailing bytes too: one encoding per key or
/// proof, so a file cannot be altered and still accepted.
fn de<T>(
    what: &'static str,
    mut bytes: &[u8],
    read: impl FnOnce(&mut &[u8]) -> Result<T, ark_serialize::SerializationError>,
) -> Result<T, Groth16Error> {
    let x = read(&mut bytes).map_err(|source| Groth16Error::Serialization { what, source })?;
    if bytes.is_empty() {
        Ok(x)
    } else {
        Err(Groth16Error::Serialization {
            what,
            source: ark_serialize::SerializationError::InvalidData,
        })
    }
}

impl ProofBackend for Groth16 {
    type ProvingKey = ProvingKey;
    type VerifyingKey = VerifyingKey;
    type Proof = Proof;
    type Error = Groth16Error;

    fn name(&self) -> &'static str {
        NAME
    }

    fn supports(&self, model: &Model, _vis: Visibility) -> Result<(), Unsupported> {
        check_supported(model.graph()).map_err(|e| match ProveError::from(Groth16Error::Zk(e)) {
            ProveError::Unsupported(u) => u,
            other => Unsupported {
                backend: NAME,
                node: None,
                reason: other.to_string(),
            },
        })
    }

    fn size(&self, model: &Model, vis: Visibility) -> Result<usize, Groth16Error> {
        let counts = constraint_counts_with(model.graph(), vis)?;
        Ok(counts.values().map(|c| c.constraints).sum())
    }

    fn setup(
        &self,
        model: &Model,
        vis: Visibility,
        rng: &mut dyn Rng,
    ) -> Result<(ProvingKey, VerifyingKey), Groth16Error> {
        Ok(<Self as ProofSystem>::setup_with(
            model.graph(),
            vis,
            &mut &mut *rng,
        )?)
    }

    fn prove(
        &self,
        pk: &ProvingKey,
        model: &Model,
        vis: Visibility,
        ctx: &Context,
        trace: Vec<Vec<i32>>,
        rng: &mut dyn Rng,
    ) -> Result<(Proof, NeutralPublicValues), Groth16Error> {
        let (proof, public) =
            <Self as ProofSystem>::prove_with(pk, model.graph(), vis, ctx, trace, &mut &mut *rng)?;
        Ok((proof, public.to_neutral()))
    }

    fn verify(
        &self,
        vk: &VerifyingKey,
        public: &NeutralPublicValues,
        proof: &Proof,
    ) -> Result<(), Groth16Error> {
        let public = PublicValues::from_neutral(public)?;
        Ok(<Self as ProofSystem>::verify(vk, &public, proof)?)
    }

    fn public_inputs(&self, vk: &VerifyingKey) -> usize {
        vk.gamma_abc_g1.len().saturating_sub(1)
    }

    fn param_hash(&self, model: &Model) -> Result<B256, Groth16Error> {
        let h = crate::statement::param_hash(model.graph())?;
        Ok(B256::from(crate::binding::fr_word(&h)))
    }

    fn write_proving_key(&self, pk: &ProvingKey) -> Result<Vec<u8>, Groth16Error> {
        ser("proving key", pk, false)
    }

    fn read_proving_key(&self, bytes: &[u8]) -> Result<ProvingKey, Groth16Error> {
        // Not subgroup-checked (that would dominate loading): a corrupted proving key can only
        // produce proofs that fail verification.
        de("proving key", bytes, |r| {
            ProvingKey::deserialize_uncompressed_unchecked(r)
        })
    }

    fn write_verifying_key(&self, vk: &VerifyingKey) -> Result<Vec<u8>, Groth16Error> {
        ser("verifying key", vk, false)
    }

    fn read_verifying_key(&self, bytes: &[u8]) -> Result<VerifyingKey, Groth16Error> {
        de("verifying key", bytes, |r| {
            VerifyingKey::deserialize_uncompressed(r)
        })
    }

    fn write_proof(&self, proof: &Proof) -> Result<Vec<u8>, Groth16Error> {
        ser("proof", proof, true)
    }

    fn read_proof(&self, bytes: &[u8]) -> Result<Proof, Groth16Error> {
        de("proof", bytes, |r| Proof::deserialize_compressed(r))
    }
}

impl EvmVerifiable for Groth16 {
    fn solidity_verifier(&self, vk: &VerifyingKey) -> Result<String, Groth16Error> {
        Ok(crate::evm::export_solidity(vk)?)
    }

    /// `abi.encode(uint256[8])`: A, B, C in the generic verifier's word order.
    fn proof_calldata(&self, proof: &Proof) -> Result<Vec<u8>, Groth16Error> {
        use alloy_sol_types::SolValue;
        Ok(crate::evm::proof_words(proof).abi_encode())
    }

    fn deploy_adapter(
        &self,
        vk: &VerifyingKey,
        deployer: &mut dyn verinfer_prove::ContractDeployer,
    ) -> Result<alloy_primitives::Address, ProveError> {
        crate::evm::deploy_adapter(vk, deployer)
    }
}

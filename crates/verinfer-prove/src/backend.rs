//! The backend traits: [`ProofBackend`] (typed), [`EvmVerifiable`] (on-chain verification) and
//! [`DynBackend`], the object-safe form every `ProofBackend + EvmVerifiable` gets for free and
//! that the node and the CLI hold per model (`Box<dyn DynBackend>`), with type-erased keys
//! ([`AnyKey`]) and proofs as bytes.

use std::any::Any;
use std::fmt;

use alloy_primitives::{Address, B256};
use verinfer_ir::Model;

use crate::context::Context;
use crate::error::{ProveError, Unsupported};
use crate::statement::PublicValues;
use crate::visibility::Visibility;

/// The randomness a setup or a prover takes (key generation, proof blinding): a
/// cryptographically secure generator.
pub use rand_core::CryptoRngCore as Rng;

/// A generator seeded from the operating system.
#[must_use]
pub fn os_rng() -> rand_core::OsRng {
    rand_core::OsRng
}

/// A proof system for "this model, on these inputs, gives these outputs", bound to a
/// [`Context`] and stating [`PublicValues`] under a [`Visibility`].
///
/// Keys are specific to a model and a visibility (a backend with a universal setup may ignore
/// both in `setup` and specialise in its keys' preprocessing). The statement encoding is
/// shared: [`PublicValues::words`] are the verifier's public words and
/// [`PublicValues::digest`] the one `bytes32` an on-chain `IProofVerifier` takes, whatever the
/// backend; a backend only supplies the hashes of hashed classes.
pub trait ProofBackend: Send + Sync + 'static {
    /// Key the prover needs.
    type ProvingKey: Send + Sync + 'static;
    /// Key the verifier needs.
    type VerifyingKey: Send + Sync + 'static;
    /// A proof.
    type Proof;
    /// The backend's own error; [`ProveError`] is what callers of the dynamic form see.
    type Error: std::error::Error + Send + Sync + 'static + Into<ProveError>;

    /// The name `keys.json` records and the registry knows the backend by (`groth16`).
    fn name(&self) -> &'static str;

    /// Whether the backend can prove `model` under `vis` (every op has a circuit, every bound
    /// fits its field), before any expensive step.
    ///
    /// # Errors
    /// [`Unsupported`] naming the first node or setting it cannot handle.
    fn supports(&self, model: &Model, vis: Visibility) -> Result<(), Unsupported>;

    /// The size of the statement's circuit in the backend's unit (Groth16: R1CS constraints),
    /// for reports and the key manifest.
    ///
    /// # Errors
    /// As [`ProofBackend::setup`].
    fn size(&self, model: &Model, vis: Visibility) -> Result<usize, Self::Error>;

    /// Keys for `model` under `vis`.
    ///
    /// # Errors
    /// An unsupported model, or a backend failure.
    fn setup(
        &self,
        model: &Model,
        vis: Visibility,
        rng: &mut dyn Rng,
    ) -> Result<(Self::ProvingKey, Self::VerifyingKey), Self::Error>;

    /// Prove the execution `trace` (every value, inputs first, as `verinfer_exec::Plan::run`
    /// returns it) under the visibility the keys were made for, bound to `ctx`; returns the
    /// proof and the public values it attests.
    ///
    /// # Errors
    /// A trace that does not fit the model or deviates from the integer semantics, or a
    /// backend failure.
    fn prove(
        &self,
        pk: &Self::ProvingKey,
        model: &Model,
        vis: Visibility,
        ctx: &Context,
        trace: Vec<Vec<i32>>,
        rng: &mut dyn Rng,
    ) -> Result<(Self::Proof, PublicValues), Self::Error>;

    /// Check a proof of `public` against the verifying key.
    ///
    /// # Errors
    /// A rejected proof ([`ProveError::Rejected`] once converted), public values that do not
    /// fit the key.
    fn verify(
        &self,
        vk: &Self::VerifyingKey,
        public: &PublicValues,
        proof: &Self::Proof,
    ) -> Result<(), Self::Error>;

    /// How many public words the key's verifier takes (1 for a digest statement).
    fn public_inputs(&self, vk: &Self::VerifyingKey) -> usize;

    /// The hash of `model`'s weights and biases that a hashed-parameters statement states.
    ///
    /// # Errors
    /// A weight outside its bit width.
    fn param_hash(&self, model: &Model) -> Result<B256, Self::Error>;

    /// The proving key as bytes (what `proving.key` holds).
    ///
    /// # Errors
    /// A serialization failure.
    fn write_proving_key(&self, pk: &Self::ProvingKey) -> Result<Vec<u8>, Self::Error>;

    /// [`ProofBackend::write_proving_key`]'s bytes back (a backend may skip expensive checks:
    /// a corrupted proving key can only make proofs that fail verification).
    ///
    /// # Errors
    /// Bytes that do not decode.
    fn read_proving_key(&self, bytes: &[u8]) -> Result<Self::ProvingKey, Self::Error>;

    /// `pk` made ready to prove many times (what a node that keeps a key loaded does): a
    /// backend may precompute here what would not pay back within one proof. Proofs made with
    /// the returned key are the same bytes. The default keeps `pk` as it is.
    fn prepare_proving_key(&self, pk: Self::ProvingKey) -> Self::ProvingKey {
        pk
    }

    /// The verifying key as bytes (what `verifying.key` holds).
    ///
    /// # Errors
    /// A serialization failure.
    fn write_verifying_key(&self, vk: &Self::VerifyingKey) -> Result<Vec<u8>, Self::Error>;

    /// [`ProofBackend::write_verifying_key`]'s bytes back, fully checked.
    ///
    /// # Errors
    /// Bytes that do not decode to a valid key.
    fn read_verifying_key(&self, bytes: &[u8]) -> Result<Self::VerifyingKey, Self::Error>;

    /// The proof as bytes (what a proof file holds).
    ///
    /// # Errors
    /// A serialization failure.
    fn write_proof(&self, proof: &Self::Proof) -> Result<Vec<u8>, Self::Error>;

    /// [`ProofBackend::write_proof`]'s bytes back, fully checked.
    ///
    /// # Errors
    /// Bytes that do not decode to a valid proof.
    fn read_proof(&self, bytes: &[u8]) -> Result<Self::Proof, Self::Error>;
}

/// A backend whose proofs an EVM contract can check.
pub trait EvmVerifiable: ProofBackend {
    /// Solidity source of a standalone verifier for `vk` (what `verinfer export-verifier`
    /// writes).
    ///
    /// # Errors
    /// A key the exported verifier cannot hold.
    fn solidity_verifier(&self, vk: &Self::VerifyingKey) -> Result<String, Self::Error>;

    /// The `bytes proof` the backend's on-chain `IProofVerifier` adapter takes (Groth16:
    /// `abi.encode(uint256[8])`).
    ///
    /// # Errors
    /// A proof that does not encode.
    fn proof_calldata(&self, proof: &Self::Proof) -> Result<Vec<u8>, Self::Error>;

    /// Creates, through `deployer`, the contracts that check proofs of `vk` on chain and
    /// returns the address of the `IProofVerifier` among them — what
    /// `InferenceOracle.setZkVerifier` publishes and AIGC collections then call, with
    /// [`EvmVerifiable::proof_calldata`] as the proof (Groth16: its `Groth16Verifier`, then
    /// the `Groth16ProofVerifier` around it). The oracle and the CLI know only this method,
    /// so a backend brings its own contracts without any change to them.
    ///
    /// # Errors
    /// A key whose statement is not the one `bytes32` digest `IProofVerifier` takes
    /// ([`ProveError::Unsupported`]), a key the contract cannot hold, or the deployer's error.
    fn deploy_adapter(
        &self,
        vk: &Self::VerifyingKey,
        deployer: &mut dyn ContractDeployer,
    ) -> Result<Address, ProveError>;
}

/// Creates contracts on some chain for [`EvmVerifiable::deploy_adapter`]: the backend knows
/// its contracts, the caller (`verinfer_oracle::ChainDeployer`) the chain and the sender.
pub trait ContractDeployer {
    /// Creates a contract from `init_code` (creation bytecode followed by the ABI-encoded
    /// constructor arguments); `contract` names it in receipts and errors.
    ///
    /// # Errors
    /// [`ProveError::Deploy`] when the creation reverts or the chain cannot be reached.
    fn create(&mut self, contract: &str, init_code: Vec<u8>) -> Result<Address, ProveError>;
}

/// A key of some backend, type-erased (what the node holds per model).
pub struct AnyKey {
    backend: &'static str,
    key: Box<dyn Any + Send + Sync>,
}

impl AnyKey {
    /// Erase `key` of `backend`.
    pub fn new<K: Any + Send + Sync>(backend: &'static str, key: K) -> Self {
        Self {
            backend,
            key: Box::new(key),
        }
    }

    /// The backend the key belongs to.
    #[must_use]
    pub fn backend(&self) -> &'static str {
        self.backend
    }

    /// The key as `K`, for the backend `expected`.
    ///
    /// # Errors
    /// [`ProveError::WrongBackend`] for a key of another backend or type.
    pub fn downcast<K: Any>(&self, expected: &'static str) -> Result<&K, ProveError> {
        self.key
            .downcast_ref::<K>()
            .ok_or(ProveError::WrongBackend {
                expected,
                found: self.backend,
            })
    }
}

impl fmt::Debug for AnyKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AnyKey({})", self.backend)
    }
}

/// A proving and a verifying key, type-erased.
#[derive(Debug)]
pub struct KeyPair {
    /// For the prover.
    pub proving: AnyKey,
    /// For the verifier.
    pub verifying: AnyKey,
}

/// A proof as bytes and the public values it attests.
#[derive(Clone, Debug)]
pub struct Proved {
    /// [`ProofBackend::write_proof`]'s bytes.
    pub proof: Vec<u8>,
    /// What it attests.
    pub public: PublicValues,
}

/// The object-safe form of a [`ProofBackend`] + [`EvmVerifiable`]: keys as [`AnyKey`], proofs
/// as bytes, errors as [`ProveError`]. Every such backend implements it; see the typed traits
/// for what each method does.
pub trait DynBackend: Send + Sync {
    /// [`ProofBackend::name`].
    fn name(&self) -> &'static str;
    /// [`ProofBackend::supports`].
    ///
    /// # Errors
    /// As there.
    fn supports(&self, model: &Model, vis: Visibility) -> Result<(), Unsupported>;
    /// [`ProofBackend::size`].
    ///
    /// # Errors
    /// As there.
    fn size(&self, model: &Model, vis: Visibility) -> Result<usize, ProveError>;
    /// [`ProofBackend::setup`].
    ///
    /// # Errors
    /// As there.
    fn setup(
        &self,
        model: &Model,
        vis: Visibility,
        rng: &mut dyn Rng,
    ) -> Result<KeyPair, ProveError>;
    /// [`ProofBackend::prove`], the proof as bytes.
    ///
    /// # Errors
    /// As there, or [`ProveError::WrongBackend`].
    fn prove(
        &self,
        pk: &AnyKey,
        model: &Model,
        vis: Visibility,
        ctx: &Context,
        trace: Vec<Vec<i32>>,
        rng: &mut dyn Rng,
    ) -> Result<Proved, ProveError>;
    /// [`ProofBackend::verify`] of proof bytes.
    ///
    /// # Errors
    /// As there, a malformed proof, or [`ProveError::WrongBackend`].
    fn verify(&self, vk: &AnyKey, public: &PublicValues, proof: &[u8]) -> Result<(), ProveError>;
    /// [`ProofBackend::public_inputs`].
    ///
    /// # Errors
    /// [`ProveError::WrongBackend`].
    fn public_inputs(&self, vk: &AnyKey) -> Result<usize, ProveError>;
    /// [`ProofBackend::param_hash`].
    ///
    /// # Errors
    /// As there.
    fn param_hash(&self, model: &Model) -> Result<B256, ProveError>;
    /// [`ProofBackend::write_proving_key`].
    ///
    /// # Errors
    /// As there, or [`ProveError::WrongBackend`].
    fn write_proving_key(&self, pk: &AnyKey) -> Result<Vec<u8>, ProveError>;
    /// [`ProofBackend::read_proving_key`].
    ///
    /// # Errors
    /// As there.
    fn read_proving_key(&self, bytes: &[u8]) -> Result<AnyKey, ProveError>;
    /// [`ProofBackend::read_proving_key`] then [`ProofBackend::prepare_proving_key`]: a key
    /// that will prove many times.
    ///
    /// # Errors
    /// As [`DynBackend::read_proving_key`].
    fn read_proving_key_for_many(&self, bytes: &[u8]) -> Result<AnyKey, ProveError>;
    /// [`ProofBackend::write_verifying_key`].
    ///
    /// # Errors
    /// As there, or [`ProveError::WrongBackend`].
    fn write_verifying_key(&self, vk: &AnyKey) -> Result<Vec<u8>, ProveError>;
    /// [`ProofBackend::read_verifying_key`].
    ///
    /// # Errors
    /// As there.
    fn read_verifying_key(&self, bytes: &[u8]) -> Result<AnyKey, ProveError>;
    /// [`EvmVerifiable::solidity_verifier`].
    ///
    /// # Errors
    /// As there, or [`ProveError::WrongBackend`].
    fn solidity_verifier(&self, vk: &AnyKey) -> Result<String, ProveError>;
    /// [`EvmVerifiable::proof_calldata`] of proof bytes.
    ///
    /// # Errors
    /// A malformed proof, or as there.
    fn proof_calldata(&self, proof: &[u8]) -> Result<Vec<u8>, ProveError>;
    /// [`EvmVerifiable::deploy_adapter`].
    ///
    /// # Errors
    /// As there, or [`ProveError::WrongBackend`].
    fn deploy_adapter(
        &self,
        vk: &AnyKey,
        deployer: &mut dyn ContractDeployer,
    ) -> Result<Address, ProveError>;
}

impl<B: EvmVerifiable> DynBackend for B {
    fn name(&self) -> &'static str {
        ProofBackend::name(self)
    }

    fn supports(&self, model: &Model, vis: Visibility) -> Result<(), Unsupported> {
        ProofBackend::supports(self, model, vis)
    }

    fn size(&self, model: &Model, vis: Visibility) -> Result<usize, ProveError> {
        ProofBackend::size(self, model, vis).map_err(Into::into)
    }

    fn setup(
        &self,
        model: &Model,
        vis: Visibility,
        rng: &mut dyn Rng,
    ) -> Result<KeyPair, ProveError> {
        let (pk, vk) = ProofBackend::setup(self, model, vis, rng).map_err(Into::into)?;
        let name = ProofBackend::name(self);
        Ok(KeyPair {
            proving: AnyKey::new(name, pk),
            verifying: AnyKey::new(name, vk),
        })
    }

    fn prove(
        &self,
        pk: &AnyKey,
        model: &Model,
        vis: Visibility,
        ctx: &Context,
        trace: Vec<Vec<i32>>,
        rng: &mut dyn Rng,
    ) -> Result<Proved, ProveError> {
        let pk = pk.downcast::<B::ProvingKey>(ProofBackend::name(self))?;
        let (proof, public) =
            ProofBackend::prove(self, pk, model, vis, ctx, trace, rng).map_err(Into::into)?;
        let proof = ProofBackend::write_proof(self, &proof).map_err(Into::into)?;
        Ok(Proved { proof, public })
    }

    fn verify(&self, vk: &AnyKey, public: &PublicValues, proof: &[u8]) -> Result<(), ProveError> {
        let vk = vk.downcast::<B::VerifyingKey>(ProofBackend::name(self))?;
        let proof = ProofBackend::read_proof(self, proof).map_err(Into::into)?;
        ProofBackend::verify(self, vk, public, &proof).map_err(Into::into)
    }

    fn public_inputs(&self, vk: &AnyKey) -> Result<usize, ProveError> {
        let vk = vk.downcast::<B::VerifyingKey>(ProofBackend::name(self))?;
        Ok(ProofBackend::public_inputs(self, vk))
    }

    fn param_hash(&self, model: &Model) -> Result<B256, ProveError> {
        ProofBackend::param_hash(self, model).map_err(Into::into)
    }

    fn write_proving_key(&self, pk: &AnyKey) -> Result<Vec<u8>, ProveError> {
        let pk = pk.downcast::<B::ProvingKey>(ProofBackend::name(self))?;
        ProofBackend::write_proving_key(self, pk).map_err(Into::into)
    }

    fn read_proving_key(&self, bytes: &[u8]) -> Result<AnyKey, ProveError> {
        let pk = ProofBackend::read_proving_key(self, bytes).map_err(Into::into)?;
        Ok(AnyKey::new(ProofBackend::name(self), pk))
    }

    fn read_proving_key_for_many(&self, bytes: &[u8]) -> Result<AnyKey, ProveError> {
        let pk = ProofBackend::read_proving_key(self, bytes).map_err(Into::into)?;
        let pk = ProofBackend::prepare_proving_key(self, pk);
        Ok(AnyKey::new(ProofBackend::name(self), pk))
    }

    fn write_verifying_key(&self, vk: &AnyKey) -> Result<Vec<u8>, ProveError> {
        let vk = vk.downcast::<B::VerifyingKey>(ProofBackend::name(self))?;
        ProofBackend::write_verifying_key(self, vk).map_err(Into::into)
    }

    fn read_verifying_key(&self, bytes: &[u8]) -> Result<AnyKey, ProveError> {
        let vk = ProofBackend::read_verifying_key(self, bytes).map_err(Into::into)?;
        Ok(AnyKey::new(ProofBackend::name(self), vk))
    }

    fn solidity_verifier(&self, vk: &AnyKey) -> Result<String, ProveError> {
        let vk = vk.downcast::<B::VerifyingKey>(ProofBackend::name(self))?;
        EvmVerifiable::solidity_verifier(self, vk).map_err(Into::into)
    }

    fn proof_calldata(&self, proof: &[u8]) -> Result<Vec<u8>, ProveError> {
        let proof = ProofBackend::read_proof(self, proof).map_err(Into::into)?;
        EvmVerifiable::proof_calldata(self, &proof).map_err(Into::into)
    }

    fn deploy_adapter(
        &self,
        vk: &AnyKey,
        deployer: &mut dyn ContractDeployer,
    ) -> Result<Address, ProveError> {
        let vk = vk.downcast::<B::VerifyingKey>(ProofBackend::name(self))?;
        EvmVerifiable::deploy_adapter(self, vk, deployer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_of_another_type_is_refused_by_name() {
        let k = AnyKey::new("one", 7u32);
        assert_eq!(k.backend(), "one");
        assert!(matches!(k.downcast::<u32>("one"), Ok(&7)));
        assert!(matches!(
            k.downcast::<u64>("two"),
            Err(ProveError::WrongBackend {
                expected: "two",
                found: "one"
            })
        ));
        assert!(!ProveError::Rejected.is_transient());
        assert!(ProveError::Io(std::io::Error::other("x")).is_transient());
    }
}

//! The interface every proof backend implements (Groth16 now, a sumcheck backend next).

use ark_std::rand::{CryptoRng, RngCore};
use verinfer_ir::Graph;

use crate::binding::Context;
use crate::error::{VerifyError, ZkError};
use crate::statement::PublicValues;
use crate::visibility::Visibility;

/// A proof system for "this graph, on these inputs, gives these outputs".
pub trait ProofSystem {
    /// Key the prover needs.
    type ProvingKey;
    /// Key the verifier needs.
    type VerifyingKey;
    /// A proof.
    type Proof;

    /// Keys for `graph` (the parameters are baked in: the keys attest the model).
    ///
    /// # Errors
    /// [`ZkError::UnsupportedOp`] for a primitive without a circuit, or a synthesis failure.
    fn setup<R: RngCore + CryptoRng>(
        graph: &Graph,
        rng: &mut R,
    ) -> Result<(Self::ProvingKey, Self::VerifyingKey), ZkError> {
        Self::setup_with(graph, Visibility::default(), rng)
    }

    /// [`ProofSystem::setup`] under a visibility of inputs, weights and outputs (the keys are
    /// specific to it). With hidden weights the keys do not depend on the weight values.
    ///
    /// # Errors
    /// As [`ProofSystem::setup`].
    fn setup_with<R: RngCore + CryptoRng>(
        graph: &Graph,
        vis: Visibility,
        rng: &mut R,
    ) -> Result<(Self::ProvingKey, Self::VerifyingKey), ZkError>;

    /// Prove the execution `trace` (every value, inputs first, as `verinfer_exec::Plan::run`
    /// returns it); returns the proof and the public values it attests.
    ///
    /// # Errors
    /// [`ZkError::Unsatisfied`] when the trace deviates from the integer semantics,
    /// [`ZkError::BadWitness`] when it does not fit the graph, or a synthesis failure.
    fn prove<R: RngCore + CryptoRng>(
        pk: &Self::ProvingKey,
        graph: &Graph,
        trace: Vec<Vec<i32>>,
        rng: &mut R,
    ) -> Result<(Self::Proof, PublicValues), ZkError> {
        Self::prove_with(
            pk,
            graph,
            Visibility::default(),
            &Context::default(),
            trace,
            rng,
        )
    }

    /// [`ProofSystem::prove`] under the visibility the keys were made for, bound to `ctx`
    /// (who may use the proof, where; see [`crate::binding`]).
    ///
    /// # Errors
    /// As [`ProofSystem::prove`].
    fn prove_with<R: RngCore + CryptoRng>(
        pk: &Self::ProvingKey,
        graph: &Graph,
        vis: Visibility,
        ctx: &Context,
        trace: Vec<Vec<i32>>,
        rng: &mut R,
    ) -> Result<(Self::Proof, PublicValues), ZkError>;

    /// Check a proof of `public` against the verifying key.
    ///
    /// # Errors
    /// [`VerifyError::Rejected`] for a proof that does not verify.
    fn verify(
        vk: &Self::VerifyingKey,
        public: &PublicValues,
        proof: &Self::Proof,
    ) -> Result<(), VerifyError>;
}

//! Errors of circuit construction, proving and verification.

use ark_relations::gr1cs::SynthesisError;

/// Why a graph could not be set up or proven.
#[derive(Debug, thiserror::Error)]
pub enum ZkError {
    /// The node's primitive has no circuit yet.
    #[error("node {node} ({name}): op {op} has no circuit yet")]
    UnsupportedOp {
        /// Node index.
        node: usize,
        /// Node name.
        name: String,
        /// Primitive name ([`verinfer_ir::Op::name`]).
        op: &'static str,
    },
    /// A bound of the node's values is too wide for the field arithmetic to stay exact.
    #[error(
        "node {node} ({name}): value bound exceeds {bits} bits, too wide for an exact circuit"
    )]
    TooWide {
        /// Node index.
        node: usize,
        /// Node name.
        name: String,
        /// The limit that was exceeded.
        bits: u32,
    },
    /// The witness does not match the graph (wrong number of values or elements).
    #[error("witness does not fit the graph: {0}")]
    BadWitness(String),
    /// The witness does not satisfy the circuit (it deviates from the executor's semantics).
    #[error("witness does not satisfy the circuit: {0}")]
    Unsatisfied(String),
    /// A node output of the trace differs from what the circuit computes from the node's inputs
    /// (an element the circuit does not read from the trace, e.g. a wiring or unclamped output).
    #[error("node {node} ({name}) element {element}: the trace says {trace}, the semantics give {computed}")]
    TraceMismatch {
        /// Node index.
        node: usize,
        /// Node name.
        name: String,
        /// Element index.
        element: usize,
        /// Value in the trace.
        trace: i64,
        /// Value the circuit computes.
        computed: i64,
    },
    /// The constraint system or the proof system failed.
    #[error("constraint synthesis failed")]
    Synthesis(#[from] SynthesisError),
}

/// Why a proof was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The proof does not verify against these public values and key.
    #[error("proof rejected")]
    Rejected,
    /// The public values do not have the shape the key expects.
    #[error("public values do not fit the key: {0}")]
    BadPublicValues(String),
    /// The statement does not fit the model (tensor count or length, a value outside its
    /// packing width, a missing or non-canonical hash).
    #[error(transparent)]
    Statement(#[from] verinfer_prove::StatementError),
    /// The verifier itself failed (malformed key).
    #[error("verifier failed")]
    Synthesis(#[from] SynthesisError),
}

/// Why an EVM verification step (encoding, deployment, an on-chain check, the Solidity export)
/// failed. A proof the verifier *rejects* is not an error: it is
/// [`crate::evm::EvmVerdict::accepted`] `== false`.
#[derive(Debug, thiserror::Error)]
pub enum EvmError {
    /// The verifying key cannot be encoded for this verifier (too many public inputs for one
    /// data contract, no public input, a point at infinity the exported verifier cannot hold).
    #[error("verifying key: {0}")]
    BadKey(String),
    /// Proof words that do not decode to valid curve points (natively).
    #[error("proof: {0}")]
    BadProof(String),
    /// The generic `Groth16Verifier` reverted with one of its custom errors: a malformed call
    /// (input count, an input ≥ r, a coordinate ≥ q) or a malformed key at deployment.
    #[error("Groth16Verifier reverted: {0:?}")]
    VerifierReverted(verinfer_chain::bindings_zk::Groth16Verifier::Groth16VerifierErrors),
    /// The `Groth16ProofVerifier` adapter reverted with one of its own errors (a key that is
    /// not of the digest statement, a proof that is not eight words).
    #[error("Groth16ProofVerifier reverted: {0:?}")]
    AdapterReverted(verinfer_chain::bindings_zk::Groth16ProofVerifier::Groth16ProofVerifierErrors),
    /// The exported standalone verifier reverted with something other than `ProofInvalid()`
    /// (e.g. `PublicInputNotInField()`).
    #[error("exported verifier reverted: {0}")]
    ExportedReverted(String),
    /// Rendering the Solidity verifier failed.
    #[error("rendering the Solidity verifier: {0}")]
    Render(String),
    /// The chain failed (transport, an unexpected revert, undecodable answer).
    #[error(transparent)]
    Chain(#[from] verinfer_chain::ChainError),
}

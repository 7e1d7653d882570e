//! The outer proof of a tape: a PLONK circuit (halo2-axiom through halo2-base, KZG over
//! BN254, SHPLONK openings, a Keccak transcript the generated EVM verifier replays) that
//! executes a [`verinfer_tape::Tape`] — witnesses and publics in advice cells, the publics
//! exposed in one instance column, add/sub/mul/mul_add/inv as gates, assertions as copy
//! constraints, hashes by halo2-base's Poseidon chip — so that the chain checks one small
//! proof instead of re-running the program the tape records.
//!
//! Keys are made from the tape alone ([`keygen`]); the structured reference string is a
//! powers-of-tau file ([`srs::from_ptau`]) or, for tests only, an insecure local one
//! ([`srs::insecure_for_tests`]).

mod circuit;
pub mod convert;
pub mod evm;
mod proof;
pub mod srs;

pub use circuit::{circuit_shape, CircuitShape};
pub use proof::{keygen, prove, verify, WrapKeys};

/// The halo2 types this crate's API takes and returns.
pub use halo2_base::halo2_proofs::halo2curves::bn256::{Bn256, Fr as HFr, G1Affine};
pub use halo2_base::halo2_proofs::poly::kzg::commitment::ParamsKZG;

/// Why wrapping failed.
#[derive(Debug, thiserror::Error)]
pub enum WrapError {
    /// The values do not satisfy the tape (checked natively before proving).
    #[error("the tape's values do not check: {0}")]
    Tape(#[from] verinfer_tape::TapeError),
    /// halo2 refused (key generation, proving or verifying).
    #[error("halo2 {stage}: {message}")]
    Halo2 {
        /// `keygen_vk`, `keygen_pk`, `prove`, `verify`.
        stage: &'static str,
        /// halo2's error, as text.
        message: String,
    },
    /// The proof does not verify.
    #[error("the proof does not verify")]
    Rejected,
    /// The SRS is too small for the circuit or malformed.
    #[error("SRS: {0}")]
    Srs(String),
    /// A powers-of-tau file could not be read.
    #[error("powers of tau: {0}")]
    Ptau(#[from] verinfer_ptau::PtauError),
    /// The public inputs given do not match the tape's count.
    #[error("the tape takes {expected} public inputs, {got} were given")]
    PublicCount {
        /// What the tape takes.
        expected: usize,
        /// What was given.
        got: usize,
    },
    /// The EVM verifier could not be generated.
    #[error("EVM verifier generation: {0}")]
    Evm(String),
}

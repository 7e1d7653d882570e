//! Clients of verinfer's request/answer contracts (docs/oracle.md):
//!
//! - [`OracleClient`] — `InferenceOracle`: paid inference requests answered optimistically (a
//!   claim posted through the game's `claimAndCall`, settled once final; several may stand)
//!   or by a Groth16 proof against the configuration the request pinned (final at once); fee
//!   split to the model owner and the node; callbacks.
//! - [`AigcClient`] — `AIGC`: ERC-7007 tokens of one model's verified outputs (evidence: a
//!   claim that posted its input, minted by its submitter, or a fulfilled oracle request,
//!   minted by its requester; Updatable after a rejected claim), with full ERC-721.
//! - [`pack`] — the Rust mirror of the contracts' public-input packing.
//! - [`tensors`] — roots, `abi.encode(int32[][])` prompts and token ids.
//!
//! Every contract revert with a custom error comes back as a typed value
//! ([`OracleError::Oracle`] / [`OracleError::Aigc`]).
#![deny(missing_docs)]

pub mod aigc;
pub mod error;
pub mod oracle;
pub mod pack;
pub mod tensors;

pub use aigc::{AigcClient, AigcProof, TokenEvidence};
pub use error::{OracleError, Result};
pub use oracle::{
    CallbackOutcome, OracleClient, OracleParams, RequestStatus, Settlement, ZkSettings,
};
pub use pack::{pack_public, public_inputs, PackError};
pub use tensors::{
    decode_tensors, encode_tensors, model_shapes, roots_hash, tensor_roots, token_id,
};
pub use verinfer_chain::bindings_oracle::{
    InferenceOracle::InferenceOracleEvents, AIGC::AIGCEvents,
};

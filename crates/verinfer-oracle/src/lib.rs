//! Clients of verinfer's request/answer contracts (docs/oracle.md):
//!
//! - [`OracleClient`] — `InferenceOracle`: paid inference requests answered optimistically (a
//!   claim posted through the game's `claimAndCall`, settled once final; several may stand)
//!   or by a proof that the configuration the request pinned accepts (its `IProofVerifier`,
//!   any backend; final at once); fee split to the model owner and the node; callbacks.
//! - [`zk_verifier`] — a zk configuration's `IProofVerifier`, any backend: deployed
//!   ([`deploy_adapter`], through `verinfer_prove::EvmVerifiable::deploy_adapter`) and asked
//!   ([`check_proof`]).
//! - [`AigcClient`] — `AIGC`: ERC-7007 tokens of one model's verified outputs (evidence: a
//!   claim that posted its input, minted by its submitter, or a fulfilled oracle request,
//!   minted by its requester; Updatable after a rejected claim), with full ERC-721.
//! - [`TextOracleClient`] — `GenerationOracle`: text requests (prompt token ids, how many
//!   tokens, greedy only) answered by a `GenerationGame` claim, settled with the generated
//!   tokens once it is final; callback `IGenerationConsumer.onGeneration`.
//! - [`AigcTextClient`] — `AIGCText`: ERC-7007 tokens of generated text (`aigcData` the
//!   tokens' pieces under the vocabulary pinned at deployment), evidence a generation claim
//!   (final once it is) or a fulfilled text request; Updatable after a lost claim.
//! - [`ids`] — [`RequestId`], the typed request id of the whole API; models are named by
//!   `verinfer_commit::ModelId` ([`model_word`] is its `bytes32`).
//! - [`pack`] — the Rust mirror of the contracts' public-input packing.
//! - [`tensors`] — roots, `abi.encode(int32[][])` prompts and token ids.
//!
//! Every contract revert with a custom error comes back as a typed value
//! ([`OracleError::Oracle`] / [`OracleError::Aigc`]).
#![deny(missing_docs)]

pub mod aigc;
pub mod aigc_text;
pub mod bindings_text;
mod contract;
pub mod error;
pub mod ids;
pub mod oracle;
pub mod pack;
mod payments;
pub mod settlement;
pub mod tensors;
pub mod text;
pub mod zk_verifier;

pub use aigc::{AigcClient, AigcProof, TokenEvidence};
pub use aigc_text::{AigcTextClient, TextEvidence, TextPrompt, TextProof, TextVocab};
pub use error::{OracleError, Result};
pub use ids::{model_id_of, model_word, RequestId, TextRequestId};
pub use oracle::{OracleClient, OracleParams, RequestStatus, ZkSettings};
pub use pack::{pack_public, public_inputs, PackError};
pub use settlement::{CallbackOutcome, Settlement};
pub use tensors::{
    decode_tensors, encode_tensors, model_shapes, roots_hash, tensor_roots, token_id,
};
pub use text::{token_ids, token_words, PostedTextRequest, TextOracleClient, TextRequest};
pub use verinfer_chain::bindings_oracle::{
    InferenceOracle::InferenceOracleEvents, AIGC::AIGCEvents,
};
pub use zk_verifier::{check_proof, deploy_adapter, ChainDeployer};

//! Errors of the oracle and AIGC clients: a contract's custom error decoded to its typed
//! value, or what went wrong below (chain, opML engine, packing, decoding).

use alloy_sol_types::SolInterface;
use thiserror::Error;
use verinfer_chain::bindings_oracle::{InferenceOracle, AIGC};
use verinfer_chain::ChainError;
use verinfer_opml::OpmlError;

use crate::bindings_text::{AIGCText, GenerationOracle};
use crate::pack::PackError;

/// What can fail in this crate.
#[derive(Debug, Error)]
pub enum OracleError {
    /// `InferenceOracle` reverted with one of its custom errors.
    #[error("{what} reverted: InferenceOracle.{error:?} (gas used {gas_used})")]
    Oracle {
        /// The transaction or call.
        what: String,
        /// The decoded error.
        error: Box<InferenceOracle::InferenceOracleErrors>,
        /// Gas used up to the revert.
        gas_used: u64,
    },
    /// `AIGC` reverted with one of its custom errors.
    #[error("{what} reverted: AIGC.{error:?} (gas used {gas_used})")]
    Aigc {
        /// The transaction or call.
        what: String,
        /// The decoded error.
        error: Box<AIGC::AIGCErrors>,
        /// Gas used up to the revert.
        gas_used: u64,
    },
    /// `GenerationOracle` reverted with one of its custom errors.
    #[error("{what} reverted: GenerationOracle.{error:?} (gas used {gas_used})")]
    Text {
        /// The transaction or call.
        what: String,
        /// The decoded error.
        error: Box<GenerationOracle::GenerationOracleErrors>,
        /// Gas used up to the revert.
        gas_used: u64,
    },
    /// `AIGCText` reverted with one of its custom errors.
    #[error("{what} reverted: AIGCText.{error:?} (gas used {gas_used})")]
    AigcText {
        /// The transaction or call.
        what: String,
        /// The decoded error.
        error: Box<AIGCText::AIGCTextErrors>,
        /// Gas used up to the revert.
        gas_used: u64,
    },
    /// Any other chain failure (another contract's revert, transport, decoding).
    #[error(transparent)]
    Chain(ChainError),
    /// The opML engine failed (claims, executions).
    #[error(transparent)]
    Opml(#[from] OpmlError),
    /// A proof backend refused (a key it cannot verify on chain, a failed deployment).
    #[error(transparent)]
    Prove(verinfer_prove::ProveError),
    /// A value does not fit the public-input packing.
    #[error(transparent)]
    Pack(#[from] PackError),
    /// A receipt lacks the event the call must emit, or an answer that does not decode.
    #[error("{what}: {message}")]
    Protocol {
        /// What was being read.
        what: String,
        /// What is wrong.
        message: String,
    },
}

impl From<ChainError> for OracleError {
    /// Decodes a revert against the oracle's and the AIGC's custom errors; anything else stays
    /// a [`ChainError`].
    fn from(e: ChainError) -> Self {
        if let ChainError::Reverted {
            what,
            data,
            gas_used,
            ..
        } = &e
        {
            // Some errors exist in both contracts with one selector (`UnknownModel(bytes32)`,
            // `NoSuchClaim(uint256)`, …): decode against the contract the call was made to
            // first (AIGC calls are labelled "AIGC…" / "deploy AIGC").
            let oracle = || {
                InferenceOracle::InferenceOracleErrors::abi_decode(data)
                    .ok()
                    .map(|error| OracleError::Oracle {
                        what: what.clone(),
                        error: Box::new(error),
                        gas_used: *gas_used,
                    })
            };
            let aigc = || {
                AIGC::AIGCErrors::abi_decode(data)
                    .ok()
                    .map(|error| OracleError::Aigc {
                        what: what.clone(),
                        error: Box::new(error),
                        gas_used: *gas_used,
                    })
            };
            if what.starts_with("GenerationOracle") || what.starts_with("deploy GenerationOracle") {
                if let Ok(error) = GenerationOracle::GenerationOracleErrors::abi_decode(data) {
                    return OracleError::Text {
                        what: what.clone(),
                        error: Box::new(error),
                        gas_used: *gas_used,
                    };
                }
            }
            if what.starts_with("AIGCText") || what.starts_with("deploy AIGCText") {
                if let Ok(error) = AIGCText::AIGCTextErrors::abi_decode(data) {
                    return OracleError::AigcText {
                        what: what.clone(),
                        error: Box::new(error),
                        gas_used: *gas_used,
                    };
                }
            }
            let decoded = if what.starts_with("AIGC") || what.starts_with("deploy AIGC") {
                aigc().or_else(oracle)
            } else {
                oracle().or_else(aigc)
            };
            if let Some(d) = decoded {
                return d;
            }
            // A view labelled otherwise (`call`): the text collection's own errors last.
            if let Ok(error) = AIGCText::AIGCTextErrors::abi_decode(data) {
                return OracleError::AigcText {
                    what: what.clone(),
                    error: Box::new(error),
                    gas_used: *gas_used,
                };
            }
        }
        OracleError::Chain(e)
    }
}

impl OracleError {
    /// The oracle's custom error, if this is one.
    pub fn oracle_error(&self) -> Option<&InferenceOracle::InferenceOracleErrors> {
        match self {
            OracleError::Oracle { error, .. } => Some(error.as_ref()),
            _ => None,
        }
    }

    /// The AIGC's custom error, if this is one.
    pub fn aigc_error(&self) -> Option<&AIGC::AIGCErrors> {
        match self {
            OracleError::Aigc { error, .. } => Some(error.as_ref()),
            _ => None,
        }
    }

    /// The text oracle's custom error, if this is one.
    pub fn text_error(&self) -> Option<&GenerationOracle::GenerationOracleErrors> {
        match self {
            OracleError::Text { error, .. } => Some(error.as_ref()),
            _ => None,
        }
    }

    /// The text collection's custom error, if this is one.
    pub fn aigc_text_error(&self) -> Option<&AIGCText::AIGCTextErrors> {
        match self {
            OracleError::AigcText { error, .. } => Some(error.as_ref()),
            _ => None,
        }
    }

    pub(crate) fn protocol(what: &str, message: impl Into<String>) -> Self {
        OracleError::Protocol {
            what: what.to_string(),
            message: message.into(),
        }
    }
}

/// Result with [`OracleError`].
pub type Result<T> = std::result::Result<T, OracleError>;

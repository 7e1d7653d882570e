//! Errors of the opML engines.
use thiserror::Error;
use verinfer_chain::ChainError;

/// What can stop an opML engine. Losing a game is not an error (it is an outcome); these are
/// the things that prevent a party from playing at all.
#[derive(Debug, Error)]
pub enum OpmlError {
    /// The chain refused or failed a transaction or call.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// The executor could not run the model.
    #[error("execution: {0}")]
    Exec(String),
    /// The model or trace does not fit the claim or game on chain.
    #[error("{0}")]
    Mismatch(String),
    /// The chain state contradicts the protocol as this engine understands it.
    #[error("protocol: {0}")]
    Protocol(String),
}

/// Result with [`OpmlError`].
pub type Result<T> = std::result::Result<T, OpmlError>;

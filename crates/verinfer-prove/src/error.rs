//! The seam's own errors: what every backend's error converts to, so that the node and the CLI
//! can tell "this will never work" from "try again".

use crate::statement::StatementError;

/// Why a backend cannot prove a model (under a visibility): permanent for that model.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{backend} cannot prove this model: {reason}")]
pub struct Unsupported {
    /// The backend ([`crate::ProofBackend::name`]).
    pub backend: &'static str,
    /// The first node it cannot prove, if the reason is a node.
    pub node: Option<usize>,
    /// Why (names the node and its op, or the visibility).
    pub reason: String,
}

/// Why a setup, proof, verification or key/proof decoding failed.
///
/// [`ProveError::is_transient`] separates failures worth retrying (I/O, a backend's resource
/// failure) from permanent ones (an unsupported model, a trace that deviates, a rejected or
/// malformed proof, keys of another backend).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProveError {
    /// The backend has no circuit (or argument) for this model or visibility.
    #[error(transparent)]
    Unsupported(#[from] Unsupported),
    /// The trace does not fit the model or deviates from the integer semantics.
    #[error("witness: {0}")]
    Witness(String),
    /// The public values do not make a statement of the model.
    #[error(transparent)]
    Statement(#[from] StatementError),
    /// The proof does not verify against these public values and key.
    #[error("proof rejected")]
    Rejected,
    /// Key or proof bytes that do not decode (or a key that does not fit the statement).
    #[error("{what}: {message}")]
    Malformed {
        /// `proving key`, `verifying key`, `proof`.
        what: &'static str,
        /// What is wrong.
        message: String,
    },
    /// A key or proof of one backend handed to another.
    #[error("a {found} object handed to the {expected} backend")]
    WrongBackend {
        /// The backend that was called.
        expected: &'static str,
        /// The backend the object belongs to (or `unknown`).
        found: &'static str,
    },
    /// No backend of this name is registered.
    #[error("unknown proof backend {name:?} (known: {known})")]
    UnknownBackend {
        /// The name asked for.
        name: String,
        /// The registered names, comma-separated.
        known: String,
    },
    /// The backend failed internally (constraint synthesis, an FFT, a commitment).
    #[error("{backend}: {message}")]
    Backend {
        /// The backend.
        backend: &'static str,
        /// What failed.
        message: String,
        /// Whether trying again may succeed (a resource failure, not a logic one).
        transient: bool,
    },
    /// Reading or writing a key or proof failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// Creating a verifier contract on a chain failed (a constructor revert, the transport).
    #[error("deploying {contract}: {message}")]
    Deploy {
        /// The contract being created.
        contract: String,
        /// What the chain said.
        message: String,
    },
}

impl ProveError {
    /// Whether trying again (later, elsewhere) may succeed: I/O and transient backend
    /// failures. Everything else is a property of the model, keys, trace or proof.
    #[must_use]
    pub fn is_transient(&self) -> bool {
        match self {
            ProveError::Io(_) => true,
            ProveError::Backend { transient, .. } => *transient,
            _ => false,
        }
    }
}

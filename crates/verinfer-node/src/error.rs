//! Errors of the node, sorted by what the node does about them: a *transient* failure (the
//! RPC endpoint is down, slow, or answers garbage) aborts the tick and is retried with backoff;
//! anything else about one request, claim or game is logged, recorded and skipped; a few
//! failures (a state directory that cannot be written, contracts that are not ours) stop the
//! node because continuing would risk losing a claim.

use std::path::PathBuf;

use thiserror::Error;
use verinfer_chain::ChainError;
use verinfer_opml::OpmlError;
use verinfer_oracle::OracleError;

/// What can go wrong in the node.
#[derive(Debug, Error)]
pub enum NodeError {
    /// A chain call or transaction failed.
    #[error(transparent)]
    Chain(#[from] ChainError),
    /// The oracle client failed (a typed revert, or a chain failure below it).
    #[error(transparent)]
    Oracle(#[from] OracleError),
    /// The opML engines failed (a refused move, an execution, a chain failure below).
    #[error(transparent)]
    Opml(#[from] OpmlError),
    /// A zk answer failed for good: the prover failed, or the registered verifier rejects
    /// our proof. Never a chain failure (those stay [`NodeError::Chain`], retried when
    /// transient): only this downgrades a zk answer to an optimistic one.
    #[error("zk: {0}")]
    Zk(String),
    /// A model directory, model file or key directory could not be used.
    #[error("{path}: {message}")]
    Models {
        /// The file or directory.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The node state or a trace file could not be read or written.
    #[error("{path}: {message}")]
    State {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// A contract the node needs is not deployed (or not recorded) on this chain.
    #[error("{0}")]
    Missing(String),
    /// The chain is not the one the state was made on (restarted, reorganised, another
    /// chain): the node keeps its state and refuses to act.
    #[error("halted: {0}")]
    Halted(String),
}

impl NodeError {
    /// Whether this is a transport failure worth retrying (connection refused, timeout, an
    /// answer that is not JSON-RPC): the chain did not say no, it did not answer.
    pub fn is_transient(&self) -> bool {
        let chain = match self {
            NodeError::Chain(e) => Some(e),
            NodeError::Oracle(OracleError::Chain(e)) => Some(e),
            NodeError::Oracle(OracleError::Opml(OpmlError::Chain(e))) => Some(e),
            NodeError::Opml(OpmlError::Chain(e)) => Some(e),
            _ => None,
        };
        matches!(
            chain,
            Some(ChainError::Rpc { .. } | ChainError::Timeout { .. })
        )
    }

    /// Whether this is a permanent failure of a zk answer (see [`NodeError::Zk`]).
    pub fn is_permanent_zk(&self) -> bool {
        matches!(self, NodeError::Zk(_))
    }

    /// Whether the chain refused a transaction (a revert): the move or answer was not valid
    /// now, which is an outcome to log, not a reason to stop.
    pub fn is_refusal(&self) -> bool {
        match self {
            NodeError::Oracle(OracleError::Oracle { .. }) => true,
            NodeError::Chain(e)
            | NodeError::Oracle(OracleError::Chain(e))
            | NodeError::Opml(OpmlError::Chain(e)) => matches!(
                e,
                ChainError::Reverted { .. }
                    | ChainError::FailedOnChain { .. }
                    | ChainError::Halted { .. }
            ),
            _ => false,
        }
    }
}

impl From<verinfer_zk::ZkError> for NodeError {
    fn from(e: verinfer_zk::ZkError) -> Self {
        NodeError::Zk(e.to_string())
    }
}

impl From<verinfer_prove::ProveError> for NodeError {
    /// Every prover failure downgrades the zk answer to an optimistic one (a transient one,
    /// reading a key, included: answering optimistically is always safe).
    fn from(e: verinfer_prove::ProveError) -> Self {
        NodeError::Zk(e.to_string())
    }
}

impl From<verinfer_zk::evm::EvmError> for NodeError {
    /// A transport failure under the verifier call stays a chain failure (a timeout is not a
    /// rejected proof, and is retried); the rest, a revert included, is the proof's or the
    /// key's.
    fn from(e: verinfer_zk::evm::EvmError) -> Self {
        match e {
            verinfer_zk::evm::EvmError::Chain(
                c @ (ChainError::Rpc { .. } | ChainError::Timeout { .. }),
            ) => NodeError::Chain(c),
            other => NodeError::Zk(other.to_string()),
        }
    }
}

/// Result with [`NodeError`].
pub type Result<T> = std::result::Result<T, NodeError>;

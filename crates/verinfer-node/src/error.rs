//! Errors of the node, sorted by what the node does about them: a *transient* failure (the
//! RPC endpoint is down, slow, or answers garbage; a nonce race; the contracts not deployed
//! yet) aborts the tick and is retried with backoff, for as long as it lasts; a *permanent*
//! failure about one request, claim or game is logged, recorded and skipped; a permanent
//! failure of the tick itself (a state directory that cannot be written, a chain that is not
//! the state's) stops the run loop: retrying cannot mend it.

use std::path::PathBuf;

use thiserror::Error;
use verinfer_chain::ChainError;
use verinfer_opml::OpmlError;
use verinfer_oracle::OracleError;

/// What can go wrong in the node.
#[derive(Debug, Error)]
#[non_exhaustive]
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
    /// A contract, model or trace the node needs is not deployed, recorded or held.
    #[error("{0}")]
    Missing(String),
    /// The oracle or its game has no code at the head block (not yet redeployed, a wrong
    /// endpoint): the node waits until it is back (transient; a restarted chain halts the
    /// node once its block number is seen to have gone backwards).
    #[error(
        "the oracle {oracle} or its game {game} has no code at block {block}: waiting until it \
         is back (a dev chain restarted? then the node halts once the block number is known \
         to have gone backwards)"
    )]
    ContractsAbsent {
        /// The oracle served.
        oracle: alloy_primitives::Address,
        /// Its game.
        game: alloy_primitives::Address,
        /// The head block.
        block: u64,
    },
    /// The chain is not the one the state was made on (restarted, reorganised, another
    /// chain): the node keeps its state and refuses to act.
    #[error("halted: {0}")]
    Halted(String),
}

impl NodeError {
    /// Whether this failure is worth retrying as it is: the chain did not say no, it did not
    /// answer ([`ChainError::is_transient`]: connection refused, timeout, an answer that is not
    /// JSON-RPC, a nonce race), or the contracts are not there yet
    /// ([`NodeError::ContractsAbsent`]). Everything else is permanent: the same call fails the same way (a
    /// revert, a model the input does not run on, a halted node, a state file that cannot be
    /// written).
    pub fn is_transient(&self) -> bool {
        match self {
            NodeError::ContractsAbsent { .. } => true,
            NodeError::Chain(e)
            | NodeError::Oracle(OracleError::Chain(e))
            | NodeError::Oracle(OracleError::Opml(OpmlError::Chain(e)))
            | NodeError::Opml(OpmlError::Chain(e)) => e.is_transient(),
            _ => false,
        }
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
            verinfer_zk::evm::EvmError::Chain(c) if c.is_transient() => NodeError::Chain(c),
            other => NodeError::Zk(other.to_string()),
        }
    }
}

/// Result with [`NodeError`].
pub type Result<T> = std::result::Result<T, NodeError>;

#[cfg(test)]
mod tests {
    use super::*;

    fn rpc() -> ChainError {
        ChainError::Rpc {
            url: "http://127.0.0.1:8545".into(),
            message: "connection refused".into(),
        }
    }

    #[test]
    fn the_chain_not_answering_is_transient_at_any_depth() {
        assert!(NodeError::Chain(rpc()).is_transient());
        assert!(NodeError::Oracle(OracleError::Chain(rpc())).is_transient());
        assert!(NodeError::Opml(OpmlError::Chain(rpc())).is_transient());
        assert!(NodeError::Oracle(OracleError::Opml(OpmlError::Chain(rpc()))).is_transient());
        let nonce = ChainError::Rejected {
            what: "claim".into(),
            reason: "NonceTooLow { tx: 3, state: 4 }".into(),
        };
        assert!(NodeError::Chain(nonce).is_transient(), "a nonce race");
        let absent = NodeError::ContractsAbsent {
            oracle: alloy_primitives::Address::ZERO,
            game: alloy_primitives::Address::ZERO,
            block: 7,
        };
        assert!(absent.is_transient(), "contracts waited for");
    }

    #[test]
    fn a_refusal_a_halt_or_a_bad_input_is_permanent() {
        let reverted = NodeError::Chain(ChainError::Reverted {
            what: "claim".into(),
            reason: "NotClaimed()".into(),
            data: Default::default(),
            gas_used: 0,
        });
        assert!(!reverted.is_transient() && reverted.is_refusal());
        let permanent = [
            NodeError::Halted("the chain went backwards".into()),
            NodeError::State {
                path: "state.json".into(),
                message: "read-only file system".into(),
            },
            NodeError::Missing("model 0x12 is not held any more".into()),
            NodeError::Opml(OpmlError::Exec("input 0 has 3 elements, not 64".into())),
            NodeError::Zk("the verifier rejects our proof".into()),
        ];
        for e in permanent {
            assert!(!e.is_transient(), "{e}");
        }
    }
}

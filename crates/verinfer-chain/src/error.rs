use alloy_primitives::{Address, Bytes, B256};
use thiserror::Error;

/// What can go wrong talking to a chain. A reverted transaction is an error here (the caller
/// asked for a state change that did not happen); the revert reason is decoded when the
/// contract's ABI knows it.
#[derive(Debug, Error)]
pub enum ChainError {
    /// The transaction or call reverted.
    #[error("{what} reverted: {reason} (gas used {gas_used})")]
    Reverted {
        /// What was attempted (contract and function).
        what: String,
        /// The decoded revert reason, or the raw revert data in hex.
        reason: String,
        /// Raw revert data.
        data: Bytes,
        /// Gas used up to the revert (0 where the node does not say, e.g. a failed estimate).
        gas_used: u64,
    },
    /// The EVM stopped without a revert (out of gas, invalid opcode, stack error, ...).
    #[error("{what} halted: {reason} (gas used {gas_used})")]
    Halted {
        /// What was attempted.
        what: String,
        /// The halt reason as the EVM reports it.
        reason: String,
        /// Gas used (normally the whole limit).
        gas_used: u64,
    },
    /// The in-process EVM refused the transaction before executing it (nonce, balance, gas cap).
    #[error("{what} rejected by the EVM: {reason}")]
    Rejected {
        /// What was attempted.
        what: String,
        /// Why.
        reason: String,
    },
    /// A deployment returned no address.
    #[error("deploying {contract} produced no contract")]
    NoContract {
        /// The contract being deployed.
        contract: String,
    },
    /// No code at an address that should hold a contract.
    #[error("no {contract} contract at {address}")]
    NotDeployed {
        /// The contract expected.
        contract: String,
        /// Where it was expected.
        address: Address,
    },
    /// Code at an address differs from the artifact this build was compiled with.
    #[error("the code at {address} is not this build's {contract} (deployed by another version?)")]
    CodeMismatch {
        /// The contract expected.
        contract: String,
        /// Where it was found.
        address: Address,
    },
    /// The RPC endpoint could not be reached or answered with an error.
    #[error("RPC {url}: {message}")]
    Rpc {
        /// The endpoint.
        url: String,
        /// What failed, with the transport's own words.
        message: String,
    },
    /// The endpoint refused a log query as too wide a block range or too large a result (a
    /// provider's cap): the reader asks again for a narrower range.
    #[error("RPC {url}: eth_getLogs over blocks {from}..={to} refused as too wide: {message}")]
    LogRange {
        /// The endpoint.
        url: String,
        /// First block asked for.
        from: u64,
        /// Last block asked for.
        to: u64,
        /// The endpoint's words.
        message: String,
    },
    /// The RPC endpoint did not answer in time.
    #[error("RPC {url}: no answer to {method} within {secs} s")]
    Timeout {
        /// The endpoint.
        url: String,
        /// The request.
        method: String,
        /// The limit.
        secs: u64,
    },
    /// A transaction was sent but its receipt says it failed.
    #[error("{what}: transaction {tx_hash} failed on chain (gas used {gas_used})")]
    FailedOnChain {
        /// What was attempted.
        what: String,
        /// The transaction.
        tx_hash: B256,
        /// Gas used.
        gas_used: u64,
    },
    /// Return data or logs that do not decode as the ABI says.
    #[error("{what}: undecodable answer: {message}")]
    Decode {
        /// What was being decoded.
        what: String,
        /// The decoder's message.
        message: String,
    },
    /// The chain does not support this (e.g. moving time on a production node).
    #[error("{0}")]
    Unsupported(String),
    /// The sender has no key on this chain.
    #[error("no signing key for {0} on this chain")]
    NoSigner(Address),
    /// A private key that does not parse.
    #[error("invalid private key: {0}")]
    BadKey(String),
    /// Reading or writing a state or deployments file.
    #[error("{path}: {message}")]
    File {
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
    },
}

impl ChainError {
    /// Whether the chain did not answer rather than said no: the endpoint was unreachable,
    /// slow or answered garbage ([`ChainError::Rpc`], [`ChainError::Timeout`]; a nonce race
    /// against another sender of the same account comes back from an endpoint as `Rpc`), a
    /// log query refused as too wide ([`ChainError::LogRange`]: asked again narrower), or the
    /// in-process EVM refused a transaction for its nonce. The same call may succeed later;
    /// everything else (a revert, undecodable data, a missing key or contract) will not.
    pub fn is_transient(&self) -> bool {
        match self {
            ChainError::Rpc { .. } | ChainError::Timeout { .. } | ChainError::LogRange { .. } => {
                true
            }
            ChainError::Rejected { reason, .. } => reason.to_lowercase().contains("nonce"),
            _ => false,
        }
    }
}

/// Result with [`ChainError`].
pub type Result<T> = std::result::Result<T, ChainError>;

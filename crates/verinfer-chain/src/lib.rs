//! The chain layer of verinfer: the contracts in `contracts/` running either in process on
//! revm (the embedded default: nothing to install or start) or on a real node over JSON-RPC
//! through alloy, behind one synchronous [`Chain`] trait. Typed clients (the model registry,
//! later the dispute game and the oracle) are written once against that trait, so a scenario
//! that passes in process runs unchanged against anvil or a public chain.
//!
//! Every transaction returns a [`Receipt`] with its gas, so cost figures are always measured,
//! never estimated. A revert is an error whose message decodes our contracts' custom errors.
#![deny(missing_docs)]
// Lossy casts are errors waiting for a large enough input: each remaining `as` says why it
// cannot truncate, wrap or lose a sign (docs/architecture.md, "Lossy casts"; tests exempt).
#![cfg_attr(
    not(test),
    warn(clippy::cast_possible_truncation, clippy::cast_sign_loss)
)]
#![cfg_attr(not(test), warn(clippy::cast_possible_wrap, clippy::cast_lossless))]

mod abi;
mod anvil;
pub mod bindings;
pub mod bindings_oracle;
pub mod bindings_zk;
mod chain;
mod deployments;
mod dev_keys;
mod error;
mod log_pages;
mod registry;
mod revert;
mod revm_chain;
mod rpc_chain;

pub use abi::{deploy_code, send_call, view, view_default, ContractClient};
pub use anvil::Anvil;
pub use chain::{default_account, BlockInfo, Chain, ChainLog, Receipt, Tx};
pub use deployments::{ensure_deployed, Deployments};
pub use dev_keys::{dev_accounts, dev_signers, parse_key, DEV_PRIVATE_KEYS};
pub use error::{ChainError, Result};
pub use log_pages::{LogPager, DEFAULT_LOG_RANGE};
pub use registry::{commitment_of, register_model, ModelRecord, Registration, Registry};
pub use revert::revert_reason;
pub use revm_chain::{RevmChain, REVM_CHAIN_ID};
pub use rpc_chain::RpcChain;

pub use alloy_primitives::{Address, Bytes, B256, U256};

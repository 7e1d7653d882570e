use std::path::Path;

use alloy_primitives::{keccak256, Address, Bytes, B256, U256};
use revm::context::result::{ExecutionResult, Output};
use revm::context::TxEnv;
use revm::database::{CacheDB, EmptyDB};
use revm::primitives::TxKind;
use revm::state::AccountInfo;
use revm::{Context, ExecuteCommitEvm, ExecuteEvm, MainBuilder, MainContext};
use serde::{Deserialize, Serialize};

use crate::chain::{BlockInfo, Chain, ChainLog, Receipt, Tx};
use crate::dev_keys::dev_accounts;
use crate::error::{ChainError, Result};
use crate::revert::revert_reason;

/// Chain id of the in-process chain (anvil's default, so signed payloads match).
pub const REVM_CHAIN_ID: u64 = 31_337;
/// Balance given to each dev account: enough for any bond in tests.
const DEV_BALANCE_ETH: u64 = 10_000;
/// Seconds between consecutive in-process blocks.
const BLOCK_TIME: u64 = 12;
/// Start time of a fresh in-process chain (2025-01-01T00:00:00Z): a plausible clock.
const GENESIS_TIME: u64 = 1_735_689_600;

/// The embedded chain: revm in process, every transaction mined at once into its own block.
/// State can be saved to and restored from a file so that separate CLI invocations (claim,
/// then challenge) see one chain.
#[derive(Clone, Debug)]
pub struct RevmChain {
    state: RevmState,
    accounts: Vec<Address>,
}

/// Everything that makes up the in-process chain; what a state file holds.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct RevmState {
    format: String,
    block_number: u64,
    timestamp: u64,
    tx_count: u64,
    db: CacheDB<EmptyDB>,
    #[serde(default)]
    logs: Vec<(u64, alloy_primitives::Log)>,
}

const STATE_FORMAT: &str = "verinfer-revm-state/1";

impl RevmChain {
    /// A fresh chain with the dev accounts funded.
    ///
    /// # Errors
    /// Never in practice (dev keys are constants).
    pub fn new() -> Result<Self> {
        let accounts = dev_accounts()?;
        let mut db = CacheDB::new(EmptyDB::default());
        let balance = U256::from(DEV_BALANCE_ETH) * U256::from(10u64).pow(U256::from(18u64));
        for a in &accounts {
            db.insert_account_info(*a, AccountInfo::from_balance(balance));
        }
        Ok(Self {
            state: RevmState {
                format: STATE_FORMAT.into(),
                block_number: 1,
                timestamp: GENESIS_TIME,
                tx_count: 0,
                db,
                logs: Vec::new(),
            },
            accounts,
        })
    }

    /// Loads a chain saved by [`RevmChain::save`].
    ///
    /// # Errors
    /// [`ChainError::File`] for unreadable, malformed or other-format files.
    pub fn load(path: &Path) -> Result<Self> {
        let file_err = |message: String| ChainError::File {
            path: path.display().to_string(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|e| file_err(e.to_string()))?;
        let state: RevmState = serde_json::from_str(&text)
            .map_err(|e| file_err(format!("not a verinfer chain state file: {e}")))?;
        if state.format != STATE_FORMAT {
            return Err(file_err(format!(
                "chain state format {:?}, this build reads {STATE_FORMAT:?}",
                state.format
            )));
        }
        Ok(Self {
            state,
            accounts: dev_accounts()?,
        })
    }

    /// Loads `path` if it exists, else starts a fresh chain.
    ///
    /// # Errors
    /// As [`RevmChain::load`].
    pub fn open(path: &Path) -> Result<Self> {
        if path.exists() {
            Self::load(path)
        } else {
            Self::new()
        }
    }

    /// Saves the whole chain state atomically (temporary file, then rename), so an interrupted
    /// save never leaves a half-written state behind.
    ///
    /// # Errors
    /// [`ChainError::File`] on I/O failure.
    pub fn save(&self, path: &Path) -> Result<()> {
        let file_err = |message: String| ChainError::File {
            path: path.display().to_string(),
            message,
        };
        let text = serde_json::to_string(&self.state).map_err(|e| file_err(e.to_string()))?;
        verinfer_ir::atomic::write_atomic(path, text.as_bytes())
            .map_err(|e| file_err(e.to_string()))?;
        Ok(())
    }

    fn nonce(&self, address: Address) -> u64 {
        self.state
            .db
            .cache
            .accounts
            .get(&address)
            .map_or(0, |a| a.info.nonce)
    }

    fn tx_env(&self, tx: &Tx, nonce: u64) -> Result<TxEnv> {
        let mut b = TxEnv::builder()
            .caller(tx.from)
            .kind(match tx.to {
                Some(to) => TxKind::Call(to),
                None => TxKind::Create,
            })
            .data(tx.data.clone())
            .value(tx.value)
            .nonce(nonce)
            .chain_id(Some(REVM_CHAIN_ID));
        if let Some(limit) = tx.gas_limit {
            b = b.gas_limit(limit);
        }
        b.build().map_err(|e| ChainError::Rejected {
            what: tx.label.clone(),
            reason: format!("{e:?}"),
        })
    }

    /// Runs `f` on an EVM over the chain's state at the current block; the state (committed
    /// or not, as `f` chose) comes back to the chain whatever `f` returned. A refusal by revm
    /// itself is [`ChainError::Rejected`] naming `what`.
    fn with_evm<T, E: std::fmt::Debug>(
        &mut self,
        what: &str,
        f: impl FnOnce(
            &mut revm::handler::MainnetEvm<revm::handler::MainnetContext<CacheDB<EmptyDB>>>,
        ) -> std::result::Result<T, E>,
    ) -> Result<T> {
        let mut evm = self.context().build_mainnet();
        let result = f(&mut evm);
        self.state.db = std::mem::replace(
            &mut evm.ctx.journaled_state.database,
            CacheDB::new(EmptyDB::default()),
        );
        result.map_err(|e| ChainError::Rejected {
            what: what.to_string(),
            reason: format!("{e:?}"),
        })
    }

    fn context(&mut self) -> revm::handler::MainnetContext<CacheDB<EmptyDB>> {
        let db = std::mem::replace(&mut self.state.db, CacheDB::new(EmptyDB::default()));
        let (number, timestamp) = (self.state.block_number, self.state.timestamp);
        Context::mainnet()
            .modify_cfg_chained(|cfg| cfg.chain_id = REVM_CHAIN_ID)
            .modify_block_chained(|b| {
                b.number = U256::from(number);
                b.timestamp = U256::from(timestamp);
            })
            .with_db(db)
    }
}

/// Turns a revm outcome into a receipt or the error that names why it failed.
fn outcome(
    label: &str,
    result: ExecutionResult,
) -> Result<(u64, Vec<alloy_primitives::Log>, Output)> {
    match result {
        ExecutionResult::Success {
            gas, logs, output, ..
        } => Ok((gas.tx_gas_used(), logs, output)),
        ExecutionResult::Revert { gas, output, .. } => Err(ChainError::Reverted {
            what: label.to_string(),
            reason: revert_reason(&output),
            data: output,
            gas_used: gas.tx_gas_used(),
        }),
        ExecutionResult::Halt { reason, gas, .. } => Err(ChainError::Halted {
            what: label.to_string(),
            reason: format!("{reason:?}"),
            gas_used: gas.tx_gas_used(),
        }),
    }
}

impl Chain for RevmChain {
    fn chain_id(&self) -> u64 {
        REVM_CHAIN_ID
    }

    fn accounts(&self) -> Vec<Address> {
        self.accounts.clone()
    }

    fn describe(&self) -> String {
        "in-process revm".into()
    }

    fn send(&mut self, tx: Tx) -> Result<Receipt> {
        let nonce = self.nonce(tx.from);
        let env = self.tx_env(&tx, nonce)?;
        let result = self.with_evm(&tx.label, |evm| evm.transact_commit(env))?;
        // A reverted transaction is still mined on a real chain (nonce and gas spent); the
        // in-process chain matches that, then reports the revert.
        self.state.tx_count += 1;
        let block_number = self.state.block_number;
        self.state.block_number += 1;
        self.state.timestamp += BLOCK_TIME;
        let mut hash_input = tx.from.to_vec();
        hash_input.extend_from_slice(&nonce.to_be_bytes());
        let tx_hash = keccak256(&hash_input);
        let (gas_used, logs, output) = outcome(&tx.label, result)?;
        self.state
            .logs
            .extend(logs.iter().map(|l| (block_number, l.clone())));
        let contract_address = match output {
            Output::Create(_, addr) => Some(addr.ok_or_else(|| ChainError::NoContract {
                contract: tx.label.clone(),
            })?),
            Output::Call(_) => None,
        };
        Ok(Receipt {
            label: tx.label,
            tx_hash,
            gas_used,
            block_number,
            contract_address,
            logs,
        })
    }

    fn call(&mut self, from: Address, to: Address, data: Bytes) -> Result<Bytes> {
        let tx = Tx::call(from, to, data, "call");
        let env = self.tx_env(&tx, self.nonce(from))?;
        // `transact` executes without committing: a call never changes the chain.
        let result = self.with_evm("call", |evm| evm.transact(env))?;
        let (_, _, output) = outcome("call", result.result)?;
        Ok(output.into_data())
    }

    fn code_at(&mut self, address: Address) -> Result<Bytes> {
        let Some(account) = self.state.db.cache.accounts.get(&address) else {
            return Ok(Bytes::new());
        };
        let hash: B256 = account.info.code_hash;
        Ok(self
            .state
            .db
            .cache
            .contracts
            .get(&hash)
            .map(|c| c.original_bytes())
            .unwrap_or_default())
    }

    fn balance(&mut self, address: Address) -> Result<U256> {
        Ok(self
            .state
            .db
            .cache
            .accounts
            .get(&address)
            .map_or(U256::ZERO, |a| a.info.balance))
    }

    fn block(&mut self) -> Result<BlockInfo> {
        Ok(BlockInfo {
            number: self.state.block_number,
            timestamp: self.state.timestamp,
        })
    }

    fn logs(&mut self, address: Address, from_block: u64) -> Result<Vec<ChainLog>> {
        self.logs_in(address, from_block, u64::MAX)
    }

    fn logs_in(&mut self, address: Address, from: u64, to: u64) -> Result<Vec<ChainLog>> {
        Ok(self
            .state
            .logs
            .iter()
            .filter(|(b, l)| (from..=to).contains(b) && l.address == address)
            .map(|(b, l)| ChainLog {
                block_number: *b,
                log: l.clone(),
            })
            .collect())
    }

    fn advance_time(&mut self, secs: u64) -> Result<()> {
        self.state.timestamp = self.state.timestamp.saturating_add(secs);
        self.state.block_number += 1;
        Ok(())
    }
}

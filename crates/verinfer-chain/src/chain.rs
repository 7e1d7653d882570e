use alloy_primitives::{Address, Bytes, Log, B256, U256};

use crate::error::Result;

/// One transaction to send. `to = None` deploys `data` as init code.
#[derive(Clone, Debug)]
pub struct Tx {
    /// The sending account; the chain must hold its key (or, in-process, know the account).
    pub from: Address,
    /// The contract called, or `None` to create one.
    pub to: Option<Address>,
    /// Calldata, or init code with constructor arguments for a deployment.
    pub data: Bytes,
    /// Wei sent along (bonds, fees).
    pub value: U256,
    /// Gas limit; `None` lets the chain choose (estimate on RPC, the per-tx cap in-process).
    pub gas_limit: Option<u64>,
    /// What this is, for gas reports and error messages ("ModelRegistry.register").
    pub label: String,
}

impl Tx {
    /// A call of `to` with `data` and no value.
    pub fn call(from: Address, to: Address, data: impl Into<Bytes>, label: &str) -> Self {
        Self {
            from,
            to: Some(to),
            data: data.into(),
            value: U256::ZERO,
            gas_limit: None,
            label: label.to_string(),
        }
    }

    /// A deployment of `init_code`.
    pub fn deploy(from: Address, init_code: impl Into<Bytes>, label: &str) -> Self {
        Self {
            from,
            to: None,
            data: init_code.into(),
            value: U256::ZERO,
            gas_limit: None,
            label: label.to_string(),
        }
    }

    /// The same transaction carrying `value` wei.
    #[must_use]
    pub fn with_value(mut self, value: U256) -> Self {
        self.value = value;
        self
    }
}

/// What a mined transaction left behind. Gas is always reported: every figure a user sees
/// about cost comes from here.
#[derive(Clone, Debug)]
pub struct Receipt {
    /// The label of the transaction this answers.
    pub label: String,
    /// Transaction hash (in-process: a hash of sender and nonce, unique within the chain).
    pub tx_hash: B256,
    /// Gas the transaction used, as the receipt states it.
    pub gas_used: u64,
    /// The block it was included in.
    pub block_number: u64,
    /// The created contract, for deployments.
    pub contract_address: Option<Address>,
    /// Logs emitted, in order.
    pub logs: Vec<Log>,
}

/// A log with the block that holds it.
#[derive(Clone, Debug)]
pub struct ChainLog {
    /// The block.
    pub block_number: u64,
    /// The log.
    pub log: Log,
}

/// The head of the chain as far as the contracts can see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockInfo {
    /// Block number.
    pub number: u64,
    /// Block timestamp (seconds).
    pub timestamp: u64,
}

/// A chain the contracts run on. Two implementations: [`crate::RevmChain`], in process (the
/// embedded default, nothing to start), and [`crate::RpcChain`], a JSON-RPC node through
/// alloy. Everything above this layer (registry, game, oracle) is written once against it.
///
/// The interface is synchronous: the engines drive one move at a time and wait for it to be
/// mined; the RPC implementation owns its own runtime.
pub trait Chain {
    /// Chain id (EIP-155).
    fn chain_id(&self) -> u64;
    /// Accounts this chain can send from, the default one first.
    fn accounts(&self) -> Vec<Address>;
    /// A human-readable name of the backend ("in-process revm", "RPC http://…").
    fn describe(&self) -> String;
    /// Sends a transaction and waits until it is mined.
    ///
    /// # Errors
    /// [`crate::ChainError::Reverted`] (decoded reason) or `Halted` when the EVM refuses the
    /// state change, transport errors for RPC problems. Nothing is changed on any error.
    fn send(&mut self, tx: Tx) -> Result<Receipt>;
    /// Executes a read-only call against the latest state.
    ///
    /// # Errors
    /// As [`Chain::send`].
    fn call(&mut self, from: Address, to: Address, data: Bytes) -> Result<Bytes>;
    /// The code deployed at `address` (empty for none).
    ///
    /// # Errors
    /// Transport errors.
    fn code_at(&mut self, address: Address) -> Result<Bytes>;
    /// The balance of `address` in wei.
    ///
    /// # Errors
    /// Transport errors.
    fn balance(&mut self, address: Address) -> Result<U256>;
    /// The latest block.
    ///
    /// # Errors
    /// Transport errors.
    fn block(&mut self) -> Result<BlockInfo>;
    /// Logs emitted by `address` in blocks `from_block` and later, in chain order: how a party
    /// learns the other side's moves (reveals, checkpoints) without trusting anyone.
    ///
    /// # Errors
    /// Transport errors.
    fn logs(&mut self, address: Address, from_block: u64) -> Result<Vec<ChainLog>>;
    /// Logs emitted by `address` in blocks `from..=to`, in chain order: one bounded
    /// query (providers cap the block range of `eth_getLogs`; [`crate::LogPager`] pages a long
    /// span through this). The default filters [`Chain::logs`], for chains without a cap.
    ///
    /// # Errors
    /// [`crate::ChainError::LogRange`] when the endpoint refuses the range as too wide (or its
    /// result as too large); transport errors.
    fn logs_in(&mut self, address: Address, from: u64, to: u64) -> Result<Vec<ChainLog>> {
        let mut logs = self.logs(address, from)?;
        logs.retain(|l| l.block_number <= to);
        Ok(logs)
    }
    /// The hash of block `number` on the chain as it is now (`None`: no such block yet). What
    /// a reader compares with the hash it saw to notice that a block it acted on was replaced
    /// by a reorganisation. The default is `None`: a chain that cannot reorganise (the
    /// in-process one) has nothing to compare.
    ///
    /// # Errors
    /// Transport errors.
    fn block_hash(&mut self, number: u64) -> Result<Option<B256>> {
        let _ = number;
        Ok(None)
    }
    /// The gas price a transaction sent now pays, in wei (what a node prices its work at).
    /// The default, 0, is right for a chain that charges nothing (the in-process one).
    ///
    /// # Errors
    /// Transport errors.
    fn gas_price(&mut self) -> Result<u128> {
        Ok(0)
    }
    /// Moves time forward by `secs` and mines a block: dev chains only (challenge windows and
    /// clocks in tests and simulations).
    ///
    /// # Errors
    /// [`crate::ChainError::Unsupported`] on a node without the dev methods.
    fn advance_time(&mut self, secs: u64) -> Result<()>;
}

/// The default sender of a chain.
///
/// # Errors
/// [`crate::ChainError::Unsupported`] when the chain holds no account.
pub fn default_account(chain: &dyn Chain) -> Result<Address> {
    chain
        .accounts()
        .first()
        .copied()
        .ok_or_else(|| crate::ChainError::Unsupported("the chain holds no account".into()))
}

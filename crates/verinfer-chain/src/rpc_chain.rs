use std::future::Future;
use std::time::Duration;

use alloy::eips::{BlockId, BlockNumberOrTag};
use alloy::network::{EthereumWallet, ReceiptResponse, TransactionBuilder};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::rpc::types::TransactionRequest;
use alloy::signers::local::PrivateKeySigner;
use alloy::transports::TransportError;
use alloy_primitives::{Address, Bytes, B256, U256};
use tokio::runtime::Runtime;

use crate::chain::{BlockInfo, Chain, ChainLog, Receipt, Tx};
use crate::error::{ChainError, Result};
use crate::log_pages::LogPager;
use crate::revert::revert_reason;

/// How long one RPC request may take before we give up and say so.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// How long to wait for a sent transaction to be mined.
const RECEIPT_TIMEOUT: Duration = Duration::from_secs(120);

/// A real node over JSON-RPC (HTTP), signing locally with the given keys. Waits for every
/// transaction's receipt by polling quickly (a dev node mines at once; a dispute game makes
/// dozens of moves, so a slow poll would dominate its wall time).
pub struct RpcChain {
    url: String,
    provider: DynProvider,
    runtime: Runtime,
    accounts: Vec<Address>,
    chain_id: u64,
    pager: LogPager,
}

impl std::fmt::Debug for RpcChain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RpcChain")
            .field("url", &self.url)
            .field("accounts", &self.accounts)
            .field("chain_id", &self.chain_id)
            .finish_non_exhaustive()
    }
}

impl RpcChain {
    /// Connects to `url` with `signers` (the first is the default sender) and checks that the
    /// endpoint answers as an Ethereum node (its chain id).
    ///
    /// # Errors
    /// [`ChainError::Rpc`] for a bad URL, an unreachable endpoint or one that answers garbage;
    /// [`ChainError::Timeout`] when it does not answer.
    pub fn connect(url: &str, signers: Vec<PrivateKeySigner>) -> Result<Self> {
        let parsed: alloy::transports::http::reqwest::Url =
            url.parse().map_err(|e| ChainError::Rpc {
                url: url.to_string(),
                message: format!("not a valid URL: {e}"),
            })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(ChainError::Rpc {
                url: url.to_string(),
                message: format!(
                    "unsupported scheme {:?} (use http:// or https://)",
                    parsed.scheme()
                ),
            });
        }
        let Some((first, rest)) = signers.split_first() else {
            return Err(ChainError::BadKey("no signing key given".into()));
        };
        let accounts: Vec<Address> = signers.iter().map(PrivateKeySigner::address).collect();
        let mut wallet = EthereumWallet::from(first.clone());
        for s in rest {
            wallet.register_signer(s.clone());
        }
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| ChainError::Rpc {
                url: url.to_string(),
                message: format!("cannot start the I/O runtime: {e}"),
            })?;
        // The nonce is read from the node for every transaction (alloy's default caches it
        // after the first read): another process sending from the same key, or a send that
        // failed after its nonce was assigned, would otherwise stall every later transaction
        // with "nonce too low" or a gap until a restart. One extra RPC call per transaction.
        let provider = runtime.block_on(async {
            ProviderBuilder::new()
                .disable_recommended_fillers()
                .with_gas_estimation()
                .with_simple_nonce_management()
                .fetch_chain_id()
                .wallet(wallet)
                .connect_http(parsed)
                .erased()
        });
        let mut chain = Self {
            url: url.to_string(),
            provider,
            runtime,
            accounts,
            chain_id: 0,
            pager: LogPager::default(),
        };
        let provider = chain.provider.clone();
        chain.chain_id = chain.rpc("eth_chainId", async move { provider.get_chain_id().await })?;
        Ok(chain)
    }

    /// The endpoint.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Reads logs in pages of at most `blocks` blocks (the provider's cap, when known; a page
    /// the endpoint refuses is halved anyway).
    pub fn set_log_range(&mut self, blocks: u64) {
        self.pager = LogPager::new(blocks);
    }

    /// The page size log reads use now (narrowed after a refusal).
    pub fn log_range(&self) -> u64 {
        self.pager.range()
    }

    /// Sends a raw JSON-RPC request (dev methods such as `anvil_reorg` or `evm_snapshot`).
    ///
    /// # Errors
    /// Transport errors, the endpoint's error answer.
    pub fn raw_request(
        &mut self,
        method: &str,
        params: serde_json::Value,
    ) -> Result<serde_json::Value> {
        let provider = self.provider.clone();
        let name = method.to_string();
        self.rpc(method, async move {
            provider
                .raw_request::<_, serde_json::Value>(name.into(), params)
                .await
        })
    }

    /// Waits until every transaction `account` had in flight when called (sent, not yet
    /// mined) is mined, polling every 100 ms for at most [`RECEIPT_TIMEOUT`]; the number it
    /// waited for. A process restarted after a crash calls this before reading the chain: a
    /// move its previous run sent may still be in the mempool, and a move decided on the
    /// state before it lands is a second, stale move that reverts.
    ///
    /// # Errors
    /// Transport errors; [`ChainError::Timeout`] when they are not mined in time (then every
    /// later transaction of `account` would queue behind them anyway).
    pub fn wait_in_flight(&mut self, account: Address) -> Result<u64> {
        let count = |chain: &Self, at: BlockId| {
            let provider = chain.provider.clone();
            chain.rpc("eth_getTransactionCount", async move {
                provider.get_transaction_count(account).block_id(at).await
            })
        };
        let pending = count(self, BlockId::pending())?;
        let mined = count(self, BlockId::latest())?;
        let start = std::time::Instant::now();
        let mut now = mined;
        while now < pending {
            if start.elapsed() > RECEIPT_TIMEOUT {
                return Err(ChainError::Timeout {
                    url: self.url.clone(),
                    method: format!(
                        "the {} transaction(s) {account} has in flight",
                        pending - now
                    ),
                    secs: RECEIPT_TIMEOUT.as_secs(),
                });
            }
            std::thread::sleep(Duration::from_millis(100));
            now = count(self, BlockId::latest())?;
        }
        Ok(pending.saturating_sub(mined))
    }

    fn head_number(&self) -> Result<u64> {
        let provider = self.provider.clone();
        self.rpc("eth_blockNumber", async move {
            provider.get_block_number().await
        })
    }

    /// Runs one request with a timeout, mapping transport errors to [`ChainError`].
    fn rpc<T>(
        &self,
        method: &str,
        fut: impl Future<Output = std::result::Result<T, TransportError>>,
    ) -> Result<T> {
        self.timed(method, fut)?
            .map_err(|e| self.transport_error(method, &e))
    }

    /// Runs one request with a timeout: [`ChainError::Timeout`] naming `method` when it has
    /// no answer in time, else the transport's own result, for the caller to map (a revert,
    /// a refused log range and a transport failure are told apart by the caller).
    fn timed<T>(
        &self,
        method: &str,
        fut: impl Future<Output = std::result::Result<T, TransportError>>,
    ) -> Result<std::result::Result<T, TransportError>> {
        self.runtime
            .block_on(async { tokio::time::timeout(REQUEST_TIMEOUT, fut).await })
            .map_err(|_| ChainError::Timeout {
                url: self.url.clone(),
                method: method.to_string(),
                secs: REQUEST_TIMEOUT.as_secs(),
            })
    }

    fn transport_error(&self, method: &str, e: &TransportError) -> ChainError {
        ChainError::Rpc {
            url: self.url.clone(),
            message: format!("{method}: {}", with_causes(e)),
        }
    }

    /// A failure of a call or of gas estimation: a revert when the node returned revert data.
    fn execution_error(&self, what: &str, e: &TransportError) -> ChainError {
        if let Some(payload) = e.as_error_resp() {
            if let Some(data) = payload.as_revert_data() {
                return ChainError::Reverted {
                    what: what.to_string(),
                    reason: revert_reason(&data),
                    data,
                    gas_used: 0,
                };
            }
            if payload.message.contains("revert") {
                return ChainError::Reverted {
                    what: what.to_string(),
                    reason: payload.message.to_string(),
                    data: Bytes::new(),
                    gas_used: 0,
                };
            }
        }
        self.transport_error(what, e)
    }

    fn request(&self, tx: &Tx) -> TransactionRequest {
        let mut req = TransactionRequest::default()
            .with_from(tx.from)
            .with_value(tx.value);
        req = match tx.to {
            Some(to) => req.with_to(to).with_input(tx.data.clone()),
            None => req.with_deploy_code(tx.data.clone()),
        };
        if let Some(limit) = tx.gas_limit {
            req = req.with_gas_limit(limit);
        }
        req
    }

    fn wait_receipt(&self, tx: &Tx, hash: B256) -> Result<alloy::rpc::types::TransactionReceipt> {
        let provider = self.provider.clone();
        let url = self.url.clone();
        let label = tx.label.clone();
        self.runtime.block_on(async move {
            let start = tokio::time::Instant::now();
            let mut pause = Duration::from_millis(2);
            loop {
                let got =
                    tokio::time::timeout(REQUEST_TIMEOUT, provider.get_transaction_receipt(hash))
                        .await;
                match got {
                    Ok(Ok(Some(r))) => return Ok(r),
                    Ok(Ok(None)) => {}
                    Ok(Err(e)) => {
                        return Err(ChainError::Rpc {
                            url,
                            message: format!(
                                "eth_getTransactionReceipt for {label}: {}",
                                with_causes(&e)
                            ),
                        })
                    }
                    Err(_) => {
                        return Err(ChainError::Timeout {
                            url,
                            method: "eth_getTransactionReceipt".into(),
                            secs: REQUEST_TIMEOUT.as_secs(),
                        })
                    }
                }
                if start.elapsed() > RECEIPT_TIMEOUT {
                    return Err(ChainError::Timeout {
                        url,
                        method: format!("mining of {label} ({hash})"),
                        secs: RECEIPT_TIMEOUT.as_secs(),
                    });
                }
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_millis(200));
            }
        })
    }
}

impl Chain for RpcChain {
    fn chain_id(&self) -> u64 {
        self.chain_id
    }

    fn accounts(&self) -> Vec<Address> {
        self.accounts.clone()
    }

    fn describe(&self) -> String {
        format!("RPC {} (chain id {})", self.url, self.chain_id)
    }

    fn send(&mut self, tx: Tx) -> Result<Receipt> {
        if !self.accounts.contains(&tx.from) {
            return Err(ChainError::NoSigner(tx.from));
        }
        let mut req = self.request(&tx);
        if tx.gas_limit.is_none() {
            // Estimate against the latest block, then leave headroom: the transaction runs in a
            // later block, where time has moved (a chess clock that was written unchanged at
            // estimation becomes a real storage write) — an exact estimate would run out of gas.
            let provider = self.provider.clone();
            let est_req = req.clone();
            let gas = self
                .timed(&format!("eth_estimateGas ({})", tx.label), async move {
                    provider
                        .estimate_gas(est_req)
                        .block(BlockId::latest())
                        .await
                })?
                .map_err(|e| self.execution_error(&tx.label, &e))?;
            req = req.with_gas_limit(gas.saturating_mul(5) / 4 + 30_000);
        }
        let provider = self.provider.clone();
        let hash = self
            .timed(
                &format!("eth_sendRawTransaction ({})", tx.label),
                async move {
                    provider
                        .send_transaction(req)
                        .await
                        .map(|pending| *pending.tx_hash())
                },
            )?
            .map_err(|e| self.execution_error(&tx.label, &e))?;
        let receipt = self.wait_receipt(&tx, hash)?;
        let gas_used = receipt.gas_used();
        if !receipt.status() {
            return Err(ChainError::FailedOnChain {
                what: tx.label,
                tx_hash: hash,
                gas_used,
            });
        }
        let contract_address = match tx.to {
            Some(_) => None,
            None => Some(
                receipt
                    .contract_address()
                    .ok_or_else(|| ChainError::NoContract {
                        contract: tx.label.clone(),
                    })?,
            ),
        };
        Ok(Receipt {
            label: tx.label,
            tx_hash: hash,
            gas_used,
            block_number: receipt.block_number().unwrap_or_default(),
            contract_address,
            logs: receipt
                .inner
                .logs()
                .iter()
                .map(|l| l.inner.clone())
                .collect(),
        })
    }

    fn call(&mut self, from: Address, to: Address, data: Bytes) -> Result<Bytes> {
        let req = TransactionRequest::default()
            .with_from(from)
            .with_to(to)
            .with_input(data);
        let provider = self.provider.clone();
        self.timed("eth_call", async move {
            provider.call(req).block(BlockId::latest()).await
        })?
        .map_err(|e| self.execution_error("eth_call", &e))
    }

    fn code_at(&mut self, address: Address) -> Result<Bytes> {
        let provider = self.provider.clone();
        self.rpc(
            "eth_getCode",
            async move { provider.get_code_at(address).await },
        )
    }

    fn balance(&mut self, address: Address) -> Result<U256> {
        let provider = self.provider.clone();
        self.rpc("eth_getBalance", async move {
            provider.get_balance(address).await
        })
    }

    fn block(&mut self) -> Result<BlockInfo> {
        let provider = self.provider.clone();
        let block = self.rpc("eth_getBlockByNumber", async move {
            provider.get_block_by_number(BlockNumberOrTag::Latest).await
        })?;
        let block = block.ok_or_else(|| ChainError::Rpc {
            url: self.url.clone(),
            message: "eth_getBlockByNumber(latest) returned null".into(),
        })?;
        Ok(BlockInfo {
            number: block.header.number,
            timestamp: block.header.timestamp,
        })
    }

    fn logs(&mut self, address: Address, from_block: u64) -> Result<Vec<ChainLog>> {
        let head = self.head_number()?;
        let mut pager = self.pager;
        let got = pager.read(self, address, from_block, head);
        self.pager = pager;
        got
    }

    fn logs_in(&mut self, address: Address, from: u64, to: u64) -> Result<Vec<ChainLog>> {
        let provider = self.provider.clone();
        let filter = alloy::rpc::types::Filter::new()
            .address(address)
            .from_block(from)
            .to_block(to);
        let logs = match self.timed(
            "eth_getLogs",
            async move { provider.get_logs(&filter).await },
        )? {
            Ok(logs) => logs,
            Err(e) if is_range_refusal(&e) => {
                return Err(ChainError::LogRange {
                    url: self.url.clone(),
                    from,
                    to,
                    message: with_causes(&e),
                })
            }
            Err(e) => return Err(self.transport_error("eth_getLogs", &e)),
        };
        logs.into_iter()
            .map(|l| {
                let block_number = l.block_number.ok_or_else(|| ChainError::Decode {
                    what: "eth_getLogs".into(),
                    message: "a log without a block number (pending?)".into(),
                })?;
                Ok(ChainLog {
                    block_number,
                    log: l.inner,
                })
            })
            .collect()
    }

    fn block_hash(&mut self, number: u64) -> Result<Option<B256>> {
        let provider = self.provider.clone();
        let block = self.rpc("eth_getBlockByNumber", async move {
            provider
                .get_block_by_number(BlockNumberOrTag::Number(number))
                .await
        })?;
        Ok(block.map(|b| b.header.hash))
    }

    fn gas_price(&mut self) -> Result<u128> {
        let provider = self.provider.clone();
        self.rpc(
            "eth_gasPrice",
            async move { provider.get_gas_price().await },
        )
    }

    fn advance_time(&mut self, secs: u64) -> Result<()> {
        let provider = self.provider.clone();
        let moved: Result<serde_json::Value> = self.rpc("evm_increaseTime", async move {
            provider
                .raw_request::<_, serde_json::Value>("evm_increaseTime".into(), (secs,))
                .await
        });
        moved.map_err(|e| {
            ChainError::Unsupported(format!(
                "{} cannot move time (a dev node such as anvil can): {e}",
                self.url
            ))
        })?;
        let provider = self.provider.clone();
        let _: serde_json::Value = self.rpc("evm_mine", async move {
            provider
                .raw_request::<_, serde_json::Value>("evm_mine".into(), ())
                .await
        })?;
        Ok(())
    }
}

/// Whether the endpoint answered a log query with a refusal of its size (a block-range or
/// result-count cap) rather than failing to answer: providers word it differently ("block
/// range is too wide", "query returned more than 10000 results", "exceed maximum block
/// range", "Log response size exceeded"), always as a JSON-RPC error response.
fn is_range_refusal(e: &TransportError) -> bool {
    let Some(payload) = e.as_error_resp() else {
        return false;
    };
    let m = payload.message.to_lowercase();
    [
        "range",
        "more than",
        "too many",
        "too large",
        "limit",
        "exceed",
        "size",
    ]
    .iter()
    .any(|w| m.contains(w))
}

/// An error with its chain of causes ("error sending request: connection refused"): the
/// transport's top-level message alone rarely says what went wrong.
fn with_causes(e: &dyn std::error::Error) -> String {
    let mut msg = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let s = c.to_string();
        if !msg.contains(&s) {
            msg.push_str(": ");
            msg.push_str(&s);
        }
        cause = c.source();
    }
    msg
}

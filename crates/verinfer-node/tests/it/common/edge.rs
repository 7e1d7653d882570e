//! [`Edge`]: the in-process chain behind an RPC-like endpoint with faults to order.

use verinfer_chain::{
    Address, BlockInfo, Bytes, Chain, ChainError, ChainLog, LogPager, Receipt, RevmChain, Tx, B256,
    U256,
};

/// The in-process chain behind an RPC-like edge: unbounded log reads paged through
/// `eth_getLogs` queries (as `RpcChain` does), each recorded in `queries` and refused over
/// more than `max_range` blocks; a gas price; the first `fail` requests of any kind failing
/// like an unreachable endpoint; `eth_call`s to `fail_calls_to` failing like a dropped
/// connection while `fail_calls` lasts; the head reported `lag` blocks early (a shallow
/// reorganisation).
pub struct Edge<'a> {
    pub inner: &'a mut RevmChain,
    pub max_range: u64,
    pub gas_price: u128,
    pub fail: usize,
    pub fail_calls_to: Option<Address>,
    pub fail_calls: usize,
    pub lag: u64,
    pub queries: Vec<(u64, u64)>,
    pub pager: LogPager,
}

impl<'a> Edge<'a> {
    /// No caps, no faults, free gas.
    pub fn new(inner: &'a mut RevmChain) -> Self {
        Self {
            inner,
            max_range: u64::MAX,
            gas_price: 0,
            fail: 0,
            fail_calls_to: None,
            fail_calls: 0,
            lag: 0,
            queries: Vec::new(),
            pager: LogPager::new(1_000),
        }
    }

    fn gate(&mut self, method: &str) -> verinfer_chain::Result<()> {
        if self.fail > 0 {
            self.fail -= 1;
            return Err(ChainError::Rpc {
                url: "http://127.0.0.1:1".into(),
                message: format!("{method}: error sending request: Connection refused"),
            });
        }
        Ok(())
    }
}

impl Chain for Edge<'_> {
    fn chain_id(&self) -> u64 {
        self.inner.chain_id()
    }
    fn accounts(&self) -> Vec<Address> {
        self.inner.accounts()
    }
    fn describe(&self) -> String {
        "edge".into()
    }
    fn send(&mut self, tx: Tx) -> verinfer_chain::Result<Receipt> {
        self.gate("eth_sendRawTransaction")?;
        self.inner.send(tx)
    }
    fn call(&mut self, from: Address, to: Address, data: Bytes) -> verinfer_chain::Result<Bytes> {
        self.gate("eth_call")?;
        if self.fail_calls_to == Some(to) && self.fail_calls > 0 {
            self.fail_calls -= 1;
            return Err(ChainError::Rpc {
                url: "http://edge".into(),
                message: "eth_call: error sending request: connection reset".into(),
            });
        }
        self.inner.call(from, to, data)
    }
    fn code_at(&mut self, a: Address) -> verinfer_chain::Result<Bytes> {
        self.gate("eth_getCode")?;
        self.inner.code_at(a)
    }
    fn balance(&mut self, a: Address) -> verinfer_chain::Result<U256> {
        self.gate("eth_getBalance")?;
        self.inner.balance(a)
    }
    fn block(&mut self) -> verinfer_chain::Result<BlockInfo> {
        self.gate("eth_blockNumber")?;
        let mut b = self.inner.block()?;
        b.number = b.number.saturating_sub(self.lag);
        Ok(b)
    }
    fn logs(&mut self, a: Address, from: u64) -> verinfer_chain::Result<Vec<ChainLog>> {
        let head = self.inner.block()?.number;
        let mut pager = self.pager;
        let got = pager.read(self, a, from, head);
        self.pager = pager;
        got
    }
    fn logs_in(&mut self, a: Address, from: u64, to: u64) -> verinfer_chain::Result<Vec<ChainLog>> {
        self.gate("eth_getLogs")?;
        self.queries.push((from, to));
        if to - from + 1 > self.max_range {
            return Err(ChainError::LogRange {
                url: "http://edge".into(),
                from,
                to,
                message: format!("block range is too wide (max {})", self.max_range),
            });
        }
        self.inner.logs_in(a, from, to)
    }
    fn block_hash(&mut self, n: u64) -> verinfer_chain::Result<Option<B256>> {
        self.inner.block_hash(n)
    }
    fn gas_price(&mut self) -> verinfer_chain::Result<u128> {
        Ok(self.gas_price)
    }
    fn advance_time(&mut self, secs: u64) -> verinfer_chain::Result<()> {
        self.inner.advance_time(secs)
    }
}

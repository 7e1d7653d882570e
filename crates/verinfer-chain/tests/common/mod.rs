//! A test harness contract deployed on a fresh in-process chain.
#![allow(dead_code)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use verinfer_chain::{Address, Bytes, Chain, RevmChain, Tx};

/// A fresh chain, the deploying account, and where the harness lives.
pub struct Harness {
    pub chain: RevmChain,
    pub from: Address,
    pub at: Address,
}

impl Harness {
    /// Deploys `bytecode` (a harness's creation code) on a fresh chain.
    pub fn deploy(bytecode: &Bytes, label: &str) -> Self {
        let mut chain = RevmChain::new().unwrap();
        let from = chain.accounts()[0];
        let r = chain
            .send(Tx::deploy(from, bytecode.clone(), label))
            .unwrap();
        Self {
            chain,
            from,
            at: r.contract_address.unwrap(),
        }
    }
}

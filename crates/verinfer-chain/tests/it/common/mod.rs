//! A test harness contract deployed on a fresh in-process chain.
#![allow(dead_code)]

use verinfer_chain::{Address, Bytes, RevmChain};

/// A fresh chain, the deploying account, and where the harness lives.
pub struct Harness {
    pub chain: RevmChain,
    pub from: Address,
    pub at: Address,
}

impl Harness {
    /// Deploys `bytecode` (a harness's creation code) on a fresh chain.
    pub fn deploy(bytecode: &Bytes, label: &str) -> Self {
        let (chain, from, at) = verinfer_testing::chain::deploy_fresh(bytecode, label);
        Self { chain, from, at }
    }
}

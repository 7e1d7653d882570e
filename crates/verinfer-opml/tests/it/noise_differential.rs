//! Rust `verinfer_llm::noise` vs Solidity `GumbelNoise` (through `NoiseHarness` on the
//! in-process EVM): the same integer on many random (seed, temperature, step, element), the
//! same bit-serial logarithm on random integers, and the gas of one derivation.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::cell::RefCell;

use proptest::prelude::*;
use verinfer_chain::{view, Address, RevmChain, U256};
use verinfer_llm::noise::{log2_fix, noise, MAX_TEMP};
use verinfer_opml::generation::bindings::NoiseHarness;
use verinfer_testing::rng::runner;

struct H {
    chain: RevmChain,
    from: Address,
    at: Address,
}

impl H {
    fn new() -> Self {
        let (chain, from, at) =
            verinfer_testing::chain::deploy_fresh(&NoiseHarness::BYTECODE, "deploy NoiseHarness");
        Self { chain, from, at }
    }

    fn noise(&mut self, seed: u64, temp: u32, s: u64, j: u64) -> i64 {
        let call = NoiseHarness::noiseCall { seed, temp, s, j };
        let v = view(&mut self.chain, self.from, self.at, &call, "noise").unwrap();
        v.to_string().parse().unwrap()
    }
}

#[test]
fn solidity_noise_equals_rust_noise_on_random_requests() {
    let h = RefCell::new(H::new());
    let mut runner = runner(600);
    runner
        .run(
            &(any::<u64>(), 0..=MAX_TEMP, 0u64..4096, 0u64..200_000),
            |(seed, temp, s, j)| {
                let sol = h.borrow_mut().noise(seed, temp, s, j);
                prop_assert_eq!(sol, i64::from(noise(seed, temp, s, j)));
                Ok(())
            },
        )
        .unwrap();
    // Edge cases: seed 0 (greedy), temperatures 0 and the largest, extreme indices.
    for (seed, temp, s, j) in [
        (0, MAX_TEMP, 5, 9),
        (1, 0, 0, 0),
        (u64::MAX, MAX_TEMP, u64::MAX, u64::MAX),
        (7, 1, 1, 1),
        (7, MAX_TEMP, 0, 31_999),
    ] {
        assert_eq!(
            h.borrow_mut().noise(seed, temp, s, j),
            i64::from(noise(seed, temp, s, j))
        );
    }
}

#[test]
fn solidity_log2_equals_rust_log2() {
    let h = RefCell::new(H::new());
    let mut runner = runner(300);
    runner
        .run(&(0u32..66, any::<u128>()), |(bits, r)| {
            let x = if bits >= 128 {
                r
            } else {
                r & ((1u128 << bits) - 1)
            } | 1;
            let call = NoiseHarness::log2FixCall { x: U256::from(x) };
            let mut h = h.borrow_mut();
            let (from, at) = (h.from, h.at);
            let sol = view(&mut h.chain, from, at, &call, "log2Fix").unwrap();
            prop_assert_eq!(sol, U256::from(log2_fix(x)));
            Ok(())
        })
        .unwrap();
}

#[test]
fn one_derivation_costs_little_gas() {
    let mut h = H::new();
    let mut most = 0u64;
    for j in 0..50u64 {
        let call = NoiseHarness::noiseGasCall {
            seed: 0xDEAD_BEEF,
            temp: 1 << 16,
            s: 3,
            j,
        };
        let r = view(&mut h.chain, h.from, h.at, &call, "noiseGas").unwrap();
        assert_eq!(
            r.v.to_string(),
            noise(0xDEAD_BEEF, 1 << 16, 3, j).to_string()
        );
        most = most.max(u64::try_from(r.gas).unwrap());
    }
    eprintln!("one noise derivation: at most {most} gas over 50 elements");
    assert!(most < 30_000, "{most} gas");
}

//! The Solidity public-input packing (`PublicInputs.sol`, through `PackHarness` on the
//! in-process EVM) against its Rust mirror `verinfer_oracle::pack`, on random widths (1..=32)
//! and random values — in range, at the range's edges, and out of range (both sides must
//! refuse the same first offending value); the statement words (context, packed or digest) on
//! random contexts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::cell::RefCell;

use alloy_sol_types::SolInterface;
use proptest::prelude::*;
use verinfer_chain::bindings_oracle::PackHarness::{self, PackHarnessErrors};
use verinfer_chain::{view, Address, Chain, ChainError, RevmChain, Tx, B256, U256};
use verinfer_oracle::pack::{pack_public, pack_tensors, public_inputs, PackError};
use verinfer_testing::rng::runner;

struct Harness {
    chain: RevmChain,
    from: Address,
    at: Address,
}

impl Harness {
    fn new() -> Self {
        let mut chain = RevmChain::new().unwrap();
        let from = chain.accounts()[0];
        let at = chain
            .send(Tx::deploy(
                from,
                PackHarness::BYTECODE.clone(),
                "deploy PackHarness",
            ))
            .unwrap()
            .contract_address
            .unwrap();
        Self { chain, from, at }
    }

    fn call<C: alloy_sol_types::SolCall>(&mut self, c: &C) -> Result<C::Return, PackHarnessErrors> {
        match view(&mut self.chain, self.from, self.at, c, "PackHarness") {
            Ok(v) => Ok(v),
            Err(ChainError::Reverted { data, .. }) => Err(PackHarnessErrors::abi_decode(&data)
                .unwrap_or_else(|e| panic!("undecodable revert {data}: {e}"))),
            Err(e) => panic!("{e}"),
        }
    }

    fn pack(&mut self, values: &[i32], bits: u8) -> Result<Vec<U256>, PackHarnessErrors> {
        self.call(&PackHarness::packCall {
            values: values.to_vec(),
            bits,
        })
    }
}

/// The Rust verdict in the contract's terms.
fn same(rust: Result<Vec<U256>, PackError>, sol: Result<Vec<U256>, PackHarnessErrors>) {
    match (rust, sol) {
        (Ok(a), Ok(b)) => assert_eq!(a, b),
        (
            Err(PackError::OutOfRange { value, width, .. }),
            Err(PackHarnessErrors::ValueOutOfRange(e)),
        ) => {
            assert_eq!(e.value, alloy_primitives::I256::try_from(value).unwrap());
            assert_eq!(e.bits, U256::from(width));
        }
        (Err(PackError::Width(w)), Err(PackHarnessErrors::BadBitWidth(e))) => {
            assert_eq!(e.bits, U256::from(w));
        }
        (a, b) => panic!("Rust {a:?} vs Solidity {b:?}"),
    }
}

/// Values for width `w`: mostly inside the signed range (edges included), sometimes any i32.
fn values(w: u32) -> impl Strategy<Value = Vec<i32>> {
    let half = 1i64 << (w - 1);
    let lo = -half;
    let hi = half - 1;
    let inside = (lo..=hi).prop_map(|v| v as i32);
    let edge = prop_oneof![Just(lo as i32), Just(hi as i32), Just(0i32)];
    let any = any::<i32>();
    let elem = prop_oneof![8 => inside, 3 => edge, 1 => any];
    proptest::collection::vec(elem, 0..80)
}

#[test]
fn solidity_packing_equals_rust_packing() {
    let h = RefCell::new(Harness::new());
    let mut runner = runner(400);
    let strat = (1u32..=32).prop_flat_map(|w| (Just(w), values(w)));
    runner
        .run(&strat, |(w, vals)| {
            let sol = h.borrow_mut().pack(&vals, w as u8);
            same(pack_public(&vals, w), sol);
            Ok(())
        })
        .unwrap();
}

#[test]
fn out_of_range_values_are_refused_by_both() {
    let mut h = Harness::new();
    for w in 1u32..=31 {
        let half = 1i64 << (w - 1);
        for bad in [half, -half - 1, i32::MAX as i64, i32::MIN as i64] {
            if bad > i32::MAX as i64 || bad < i32::MIN as i64 || (bad >= -half && bad < half) {
                continue;
            }
            let vals = vec![0, -1, bad as i32, 0];
            let rust = pack_public(&vals, w);
            assert!(
                matches!(rust, Err(PackError::OutOfRange { index: 2, .. })),
                "w={w}"
            );
            same(rust, h.pack(&vals, w as u8));
        }
        // The edges themselves are fine.
        let vals = vec![-half as i32, (half - 1) as i32];
        same(pack_public(&vals, w), h.pack(&vals, w as u8));
    }
    for w in [0u32, 33, 255] {
        same(pack_public(&[1], w), h.pack(&[1], w as u8));
    }
}

#[test]
fn tensors_pack_as_one_concatenated_class_and_the_layout_matches() {
    let mut h = Harness::new();
    let mut runner = runner(100);
    let t = |w: u32| {
        proptest::collection::vec(
            values(w).prop_map(move |v| {
                let half = 1i64 << (w - 1);
                v.into_iter()
                    .map(|x| (i64::from(x).rem_euclid(2 * half) - half) as i32)
                    .collect::<Vec<i32>>()
            }),
            0..4,
        )
    };
    let strat = (
        1u32..=32,
        1u32..=32,
        any::<bool>(),
        any::<[u8; 31]>(),
        any::<bool>(),
        any::<([u8; 32], u64, [u8; 20], u64, [u8; 20])>(),
    )
        .prop_flat_map(move |(wi, wo, has, ph, digest, ctx)| {
            (Just((wi, wo, has, ph, digest, ctx)), t(wi), t(wo))
        });
    let h2 = RefCell::new(&mut h);
    runner
        .run(&strat, |((wi, wo, has, ph, digest, ctx), ins, outs)| {
            let mut hh = h2.borrow_mut();
            let sol_ins = hh
                .call(&PackHarness::packTensorsCall {
                    tensors: ins.clone(),
                    bits: wi as u8,
                })
                .unwrap();
            assert_eq!(sol_ins, pack_tensors(&ins, wi).unwrap());
            let sol_cd = hh
                .call(&PackHarness::packTensorsCalldataCall {
                    tensors: ins.clone(),
                    bits: wi as u8,
                })
                .unwrap();
            assert_eq!(sol_cd, sol_ins);
            let param_hash = has.then(|| U256::from_be_slice(&ph));
            let context = verinfer_zk::Context {
                model_id: B256::from(ctx.0),
                chain_id: U256::from(ctx.1),
                contract: Address::from(ctx.2),
                tag: U256::from(ctx.3),
                answerer: Address::from(ctx.4),
            };
            let sol = hh
                .call(&PackHarness::statementCall {
                    modelId: context.model_id,
                    chainId: context.chain_id,
                    contract_: context.contract,
                    tag: context.tag,
                    answerer: context.answerer,
                    inputs: ins.clone(),
                    inputBits: wi as u8,
                    hasParamHash: has,
                    paramHash: param_hash.unwrap_or(U256::ZERO),
                    outputs: outs.clone(),
                    outputBits: wo as u8,
                    digest,
                })
                .unwrap();
            let rust = public_inputs(&context, &ins, wi, param_hash, &outs, wo, digest).unwrap();
            assert_eq!(sol, rust);
            if digest {
                assert_eq!(rust.len(), 1);
            } else {
                assert_eq!(
                    rust.len(),
                    1 + sol_ins.len() + usize::from(has) + pack_tensors(&outs, wo).unwrap().len()
                );
            }
            Ok(())
        })
        .unwrap();
}

/// What computing the statement from the raw tensors costs on chain (sent as a transaction, so
/// calldata included), at the shapes of the bundled MNIST CNN (784 inputs, 10 outputs) and the
/// transformer block (1 024 and 1 024), 16-bit: the digest statement's one word against the
/// packed statement's vector. Measured for docs/zk.md; the verifier's own cost is
/// `verinfer-zk`'s `gas_per_public_input`.
#[test]
fn statement_gas_at_model_scale() {
    let mut h = Harness::new();
    let ctx = verinfer_zk::Context::default();
    for (name, n_in, n_out) in [
        ("MNIST CNN", 784usize, 10usize),
        ("transformer block", 1024, 1024),
    ] {
        let ins = vec![(0..n_in)
            .map(|i| (i as i32 * 37) % 20_000 - 10_000)
            .collect::<Vec<i32>>()];
        let outs = vec![(0..n_out)
            .map(|i| (i as i32 * 11) % 30_000 - 15_000)
            .collect::<Vec<i32>>()];
        for digest in [false, true] {
            let call = PackHarness::statementCall {
                modelId: ctx.model_id,
                chainId: ctx.chain_id,
                contract_: ctx.contract,
                tag: ctx.tag,
                answerer: ctx.answerer,
                inputs: ins.clone(),
                inputBits: 16,
                hasParamHash: false,
                paramHash: U256::ZERO,
                outputs: outs.clone(),
                outputBits: 16,
                digest,
            };
            let want = public_inputs(&ctx, &ins, 16, None, &outs, 16, digest).unwrap();
            assert_eq!(h.call(&call).unwrap(), want);
            let r =
                verinfer_chain::send_call(&mut h.chain, h.from, h.at, &call, "statement").unwrap();
            println!(
                "GAS statement from raw tensors, {name}, {}: {} public inputs, {} gas",
                if digest { "digest" } else { "packed" },
                want.len(),
                r.gas_used
            );
        }
    }
}

//! The on-chain `AffineWiring` against Rust's `gkr::affine` on the in-process EVM: the MNIST
//! CNN's moves in their per-axis layouts (two im2cols, two transposes, two pooling windows)
//! and convolutions with stride, dilation and groups give the same `(M̃_ρ(σ), F_ρ)` at random
//! points, with the gas of each; malformed forms and points are refused.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

use crate::common::{affine_maps, evm};

use affine_maps::{im2col, map_of};
use alloy_sol_types::sol;
use ark_bn254::Fr;
use ark_ff::UniformRand;
use ark_std::rand::{rngs::StdRng, SeedableRng};
use evm::*;
use verinfer_chain::{Address, U256};
use verinfer_sumcheck::gkr::affine::{axis_bits, AffineWiring};
use verinfer_sumcheck::transcript::fr_word;

sol!(
    #[sol(all_derives)]
    AffineWiringHarness,
    "../../contracts/artifacts/AffineWiringHarness.json"
);

fn fr_u(x: &Fr) -> U256 {
    U256::from_be_bytes(fr_word(x))
}

fn point(rng: &mut StdRng, dims: &[usize]) -> Vec<Fr> {
    let n = dims.iter().map(|&d| axis_bits(d)).sum();
    (0..n).map(|_| Fr::rand(rng)).collect()
}

/// A fresh EVM with the harness deployed.
fn deployed() -> (Evm, Address) {
    let mut evm = Evm::new();
    let code = AffineWiringHarness::BYTECODE.to_vec();
    let at = evm.deploy(code, "AffineWiringHarness").0;
    (evm, at)
}

/// A label, `Y`'s dims, `X`'s dims and the map.
type Case = (&'static str, Vec<usize>, Vec<usize>, Vec<i32>);

fn cases() -> Vec<Case> {
    let same = (3, 1, 1, 1);
    let mut v = Vec::new();
    let (o, i, m) = im2col(1, 28, 28, 1, [same, same]);
    v.push(("CNN conv1 im2col", o, i, m));
    let (o, i, m) = im2col(8, 14, 14, 1, [same, same]);
    v.push(("CNN conv2 im2col", o, i, m));
    for (label, c, n) in [
        ("CNN conv1 transpose", 8, 28),
        ("CNN conv2 transpose", 16, 14),
    ] {
        let (o, i) = (vec![c, n, n], vec![n, n, c]);
        let m = map_of(&o, &i, |o| vec![o[1] as i64, o[2] as i64, o[0] as i64]);
        v.push((label, o, i, m));
    }
    for (label, c, n) in [("CNN pool1 window", 8, 28), ("CNN pool2 window", 16, 14)] {
        let (o, i) = (vec![c, n / 2, n / 2, 2, 2], vec![c, n, n]);
        let m = map_of(&o, &i, |o| {
            vec![
                o[0] as i64,
                (2 * o[1] + o[3]) as i64,
                (2 * o[2] + o[4]) as i64,
            ]
        });
        v.push((label, o, i, m));
    }
    let (o, i, m) = im2col(6, 11, 9, 3, [(3, 2, 1, 1), (2, 1, 0, 2)]);
    v.push(("grouped, stride 2, dilation 2", o, i, m));
    let (o, i, m) = im2col(4, 10, 13, 4, [(2, 2, 2, 2), (3, 1, 1, 1)]);
    v.push(("depthwise, non-square", o, i, m));
    v
}

#[test]
fn affine_wiring_on_chain_equals_rust_with_its_gas() {
    let (mut evm, at) = deployed();
    let mut rng = StdRng::seed_from_u64(14);
    for (label, out, inp, map) in cases() {
        let w =
            AffineWiring::fit(&out, &inp, &map).unwrap_or_else(|| panic!("{label}: not fitted"));
        let desc = us(&w.words());
        for round in 0..2 {
            let (rho, sigma) = (point(&mut rng, &out), point(&mut rng, &inp));
            let (m, f) = w.eval(&rho, &sigma).unwrap();
            let call = AffineWiringHarness::evalCall {
                desc: desc.clone(),
                rho: rho.iter().map(fr_u).collect(),
                sigma: sigma.iter().map(fr_u).collect(),
            };
            let got = evm.view(at, &call).unwrap();
            assert_eq!((got.m, got.fw), (fr_u(&m), fr_u(&f)), "{label}");
            assert_eq!(got.used, U256::from(desc.len()), "{label}");
            let fill_only = AffineWiringHarness::evalCall {
                sigma: vec![],
                ..call.clone()
            };
            let got = evm.view(at, &fill_only).unwrap();
            assert_eq!(
                (got.m, got.fw),
                (U256::ZERO, fr_u(&f)),
                "{label}: fill only"
            );
            if round == 0 {
                let gas = evm.gas(at, &call);
                println!(
                    "{label}: {} map entries, {} form words, {gas} gas (one transaction)",
                    map.len(),
                    desc.len()
                );
            }
        }
    }
}

#[test]
fn malformed_forms_and_points_are_refused_on_chain() {
    let (mut evm, at) = deployed();
    let mut rng = StdRng::seed_from_u64(3);
    let (_, out, inp, map) = cases().swap_remove(2);
    let w = AffineWiring::fit(&out, &inp, &map).unwrap();
    let good = us(&w.words());
    let (rho, sigma) = (point(&mut rng, &out), point(&mut rng, &inp));
    let call = |desc: Vec<U256>, rho: &[Fr], sigma: &[Fr]| AffineWiringHarness::evalCall {
        desc,
        rho: rho.iter().map(fr_u).collect(),
        sigma: sigma.iter().map(fr_u).collect(),
    };
    assert!(evm.view(at, &call(good.clone(), &rho, &sigma)).is_ok());
    // Points one variable short or long.
    assert!(evm
        .view(at, &call(good.clone(), &rho[1..], &sigma))
        .is_err());
    assert!(evm
        .view(
            at,
            &call(
                good.clone(),
                &rho,
                &[sigma.clone(), vec![Fr::from(1u64)]].concat()
            )
        )
        .is_err());
    // A truncated form.
    assert!(evm
        .view(at, &call(good[..good.len() - 1].to_vec(), &rho, &sigma))
        .is_err());
    // The first group's output axis made another group's (an axis read twice and one left out).
    let groups_at = 1 + out.len() + 1 + inp.len() + 1;
    let mut twice = good.clone();
    twice[groups_at + 3] =
        twice[groups_at + 3 + 3 + 2 * usize::try_from(twice[groups_at + 2]).unwrap()];
    assert_ne!(twice, good);
    assert!(evm.view(at, &call(twice, &rho, &sigma)).is_err());
    // An empty axis, and a rank past 16.
    let mut empty = good.clone();
    empty[1] = U256::ZERO;
    assert!(evm.view(at, &call(empty, &rho, &sigma)).is_err());
    let mut rank = good.clone();
    rank[0] = U256::from(17);
    assert!(evm.view(at, &call(rank, &rho, &sigma)).is_err());
}

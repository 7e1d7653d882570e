//! `export-verifier --backend sumcheck` for layered keys: the one Solidity file
//! (`onchain::solidity_source`) compiles with the pinned solc-js (`compile-one.js`), deploys in
//! two transactions (`VerifierPlan`, then `Verifier(plan)`), each under EIP-3860's init-code
//! limit, and its `IProofVerifier` — the entry the oracle and AIGC call — accepts the honest
//! proof and answers false for a tampered one, for the MNIST CNN. (The transformer block's
//! plan, 1 733 words, makes a `VerifierPlan` of 63 871 bytes of creation code: past the
//! limit; its chunks deploy one transaction each through the backend's `deploy` instead.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

use alloy_primitives::{Address, B256};
use alloy_sol_types::{SolCall, SolValue};

use crate::common::profile;
use crate::evm_model_verifier::{proved, IProofVerifier};
use verinfer_sumcheck::backend::onchain;

/// EIP-3860: the most bytes of creation code one transaction may carry.
const MAX_INIT_CODE: usize = 49_152;

/// `contract` of the exported file `source`, compiled: its creation code.
fn compile(source: &Path, contract: &str) -> Vec<u8> {
    let root = verinfer_testing::models::repo();
    let out = Command::new("node")
        .arg(root.join("contracts/scripts/compile-one.js"))
        .arg(source)
        .arg(contract)
        .output()
        .expect("node runs (the exported-verifier test compiles with solc-js)");
    assert!(
        out.status.success(),
        "compile-one.js {contract}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    alloy_primitives::hex::decode(json["bytecode"].as_str().unwrap()).unwrap()
}

/// Export, compile and deploy the verifier of `model` (bundled), then verify its honest
/// proof and one with a word changed through `IProofVerifier.verify` with `gas`.
#[allow(clippy::print_stdout)]
fn exported_verifier_verifies(model: &str, gas: u64) {
    let (g, x) = verinfer_testing::models::bundled(model);
    let trace = verinfer_ir::reference::run(&g, &x).unwrap();
    let (vk, proof, public) = proved(g, trace, 5);
    let st = B256::from(public.digest().unwrap().0);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("sumcheck-export");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("{model}.sol"));
    std::fs::write(&file, onchain::solidity_source(&vk).unwrap()).unwrap();
    let plan_code = compile(&file, "VerifierPlan");
    let verifier_code = compile(&file, "Verifier");
    println!(
        "{model}: exported VerifierPlan {} bytes, Verifier {} bytes of creation code",
        plan_code.len(),
        verifier_code.len()
    );
    assert!(plan_code.len() <= MAX_INIT_CODE && verifier_code.len() <= MAX_INIT_CODE);
    let verdict = |bytes: Vec<u8>| {
        let call = IProofVerifier::verifyCall {
            proof: bytes.into(),
            statement: st,
        };
        profile::profile_with_gas(
            vec![plan_code.clone()],
            |at: &[Address]| [verifier_code.clone(), at[0].abi_encode()].concat(),
            call.abi_encode(),
            gas,
        )
    };
    let p = verdict(proof.to_bytes());
    assert_eq!(p.output.last(), Some(&1u8), "the honest proof");
    println!("{model}: the exported Verifier's verify {} gas", p.tx_gas);
    let mut bad = proof.clone();
    let last = bad.words.len() - 1;
    bad.words[last][31] ^= 1;
    assert_eq!(
        verdict(bad.to_bytes()).output.last(),
        Some(&0u8),
        "a tampered proof"
    );
}

#[test]
fn the_exported_cnn_verifier_compiles_deploys_and_verifies() {
    exported_verifier_verifies("mnist_cnn", 1 << 24);
}

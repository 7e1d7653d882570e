//! `export-verifier --backend sumcheck` for layered keys: the one Solidity file
//! (`onchain::solidity_source`) compiles with the pinned solc-js (`compile-one.js`), deploys in
//! one transaction per plan chunk (`VerifierPlan0`, `VerifierPlan1`, …) and one for
//! `Verifier(p0, p1, …)`, each under EIP-3860's init-code limit, and its `IProofVerifier` —
//! the entry the oracle and AIGC call — accepts the honest proof and answers false for a
//! tampered one, for the MNIST CNN (a plan of one chunk) and the transformer block (1 733 plan
//! words, three chunks; as one `VerifierPlan` it was 63 871 bytes of creation code).
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
    let chunks = onchain::plan_chunk_init_codes(&onchain::model_plan_words(&vk).unwrap()).len();
    let plan_codes: Vec<Vec<u8>> = (0..chunks)
        .map(|i| compile(&file, &format!("VerifierPlan{i}")))
        .collect();
    let verifier_code = compile(&file, "Verifier");
    println!(
        "{model}: exported VerifierPlan0..{chunks} {:?} bytes, Verifier {} bytes of creation code",
        plan_codes.iter().map(Vec::len).collect::<Vec<_>>(),
        verifier_code.len()
    );
    assert!(plan_codes.iter().all(|c| c.len() <= MAX_INIT_CODE));
    assert!(verifier_code.len() <= MAX_INIT_CODE);
    let verdict = |bytes: Vec<u8>| {
        let call = IProofVerifier::verifyCall {
            proof: bytes.into(),
            statement: st,
        };
        profile::profile_with_gas(
            plan_codes.clone(),
            |at: &[Address]| {
                let args: Vec<u8> = at.iter().flat_map(SolValue::abi_encode).collect();
                [verifier_code.clone(), args].concat()
            },
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

#[test]
fn the_exported_transformer_block_verifier_compiles_deploys_and_verifies() {
    exported_verifier_verifies("transformer_block", 1 << 24);
}

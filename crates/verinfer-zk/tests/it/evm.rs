//! EVM verification of Groth16 proofs on the in-process chain (revm): the generic
//! `Groth16Verifier` (committed bytecode, key as constructor data) and the standalone verifier
//! `export_solidity` renders (compiled here with the pinned solc-js through node).
//!
//! Both are held to the native verifier: the honest proof of the digits MLP is accepted by all
//! three; every tampered public input, every tampered proof word and every proof point swapped
//! with another valid proof's is rejected by all; another model's keys reject the proof;
//! malformed calls revert with the verifier's typed errors. Gas figures are printed (`GAS:`
//! lines, `--no-capture`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

use ark_bn254::{Bn254, Fr, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_ff::{PrimeField, UniformRand};
use ark_groth16::Groth16 as ArkGroth16;
use ark_snark::SNARK;
use ark_std::rand::{rngs::StdRng, SeedableRng};
use verinfer_chain::bindings_zk::Groth16Verifier::Groth16VerifierErrors;
use verinfer_chain::{Address, Bytes, Chain, RevmChain, Tx, U256};
use verinfer_ir::{Graph, Op};
use verinfer_testing::{requant, GraphBuilder};
use verinfer_zk::evm::{self, EvmError, EvmVerdict, ExportedProof};
use verinfer_zk::groth16::{Proof, VerifyingKey};
use verinfer_zk::{Bn254Values, Groth16, ProofSystem};

/// BN254 base field modulus q.
fn q() -> U256 {
    U256::from_limbs(<ark_bn254::Fq as PrimeField>::MODULUS.0)
}

/// BN254 scalar field modulus r.
fn r() -> U256 {
    U256::from_limbs(<Fr as PrimeField>::MODULUS.0)
}

fn native(vk: &VerifyingKey, x: &[Fr], proof: &Proof) -> bool {
    ArkGroth16::<Bn254>::verify(vk, x, proof).unwrap()
}

/// Native verdict on raw proof words: words that are no valid points are rejected.
fn native_words(vk: &VerifyingKey, x: &[Fr], words: &[U256; 8]) -> bool {
    match evm::proof_from_words(words) {
        Ok(p) => native(vk, x, &p),
        Err(EvmError::BadProof(_)) => false,
        Err(e) => panic!("unexpected {e}"),
    }
}

/// The digits MLP with keys, two honest proofs of one statement, and its public inputs.
struct Fixture {
    graph: Graph,
    vk: VerifyingKey,
    proof: Proof,
    other_proof: Proof,
    x: Vec<Fr>,
}

fn digits_fixture() -> Fixture {
    let (graph, trace) = verinfer_testing::models::golden_mlp_trace();
    let mut rng = StdRng::seed_from_u64(21);
    let (pk, vk) = Groth16::setup(&graph, &mut rng).unwrap();
    let (proof, public) = Groth16::prove(&pk, &graph, trace.clone(), &mut rng).unwrap();
    let (other_proof, public2) = Groth16::prove(&pk, &graph, trace, &mut rng).unwrap();
    assert_eq!(public, public2);
    assert_ne!(proof, other_proof);
    let x = public.to_field_elements().unwrap();
    Groth16::verify(&vk, &public, &proof).unwrap();
    Fixture {
        graph,
        vk,
        proof,
        other_proof,
        x,
    }
}

struct Evm {
    chain: RevmChain,
    from: Address,
}

impl Evm {
    fn new() -> Self {
        let chain = RevmChain::new().unwrap();
        let from = chain.accounts()[0];
        Self { chain, from }
    }

    fn deploy(&mut self, vk: &VerifyingKey) -> (Address, u64) {
        let (at, receipt) = evm::deploy_verifier(&mut self.chain, self.from, vk).unwrap();
        (at, receipt.gas_used)
    }

    fn check(&mut self, at: Address, words: &[U256; 8], inputs: &[U256]) -> bool {
        evm::check_on_chain(&mut self.chain, self.from, at, words, inputs).unwrap()
    }

    fn revert(&mut self, at: Address, words: &[U256; 8], inputs: &[U256]) -> Groth16VerifierErrors {
        match evm::check_on_chain(&mut self.chain, self.from, at, words, inputs) {
            Err(EvmError::VerifierReverted(e)) => e,
            other => panic!("expected a typed revert, got {other:?}"),
        }
    }
}

#[test]
fn digits_mlp_generic_verifier() {
    let f = digits_fixture();
    let n = f.x.len();
    let mut evm = Evm::new();
    let (at, deploy_gas) = evm.deploy(&f.vk);
    eprintln!(
        "GAS: Groth16Verifier deploy, {n} public inputs ({} key bytes): {deploy_gas}",
        evm::vk_bytes(&f.vk).len()
    );

    // The deployed key is the one given; the input count is the key's.
    assert_eq!(
        evm::deployed_key(&mut evm.chain, evm.from, at).unwrap(),
        evm::vk_bytes(&f.vk)
    );
    let count = verinfer_chain::view(
        &mut evm.chain,
        evm.from,
        at,
        &verinfer_chain::bindings_zk::Groth16Verifier::publicInputCountCall {},
        "publicInputCount",
    )
    .unwrap();
    assert_eq!(count, U256::from(n));

    // The honest proof: accepted natively and on chain, with the gas of a real transaction.
    assert!(native(&f.vk, &f.x, &f.proof));
    let verdict = evm::verify_on_chain(&mut evm.chain, evm.from, at, &f.proof, &f.x).unwrap();
    assert!(verdict.accepted);
    eprintln!(
        "GAS: Groth16Verifier.verifyProof, digits MLP ({n} public inputs): {} (tx)",
        verdict.gas_used
    );
    let words = evm::proof_words(&f.proof);
    let inputs = evm::public_words(&f.x);
    assert_eq!(evm::proof_from_words(&words).unwrap(), f.proof);

    // Every public input changed: rejected by both.
    for i in 0..n {
        let mut x = f.x.clone();
        x[i] += Fr::from(1u8);
        assert!(
            !native(&f.vk, &x, &f.proof),
            "native accepted input {i} + 1"
        );
        assert!(
            !evm.check(at, &words, &evm::public_words(&x)),
            "EVM accepted input {i} + 1"
        );
    }

    // Every proof word changed (+1 mod q: off the curve), or swapped with the other proof's
    // word; every point swapped with the other proof's (valid points, wrong proof).
    let other = evm::proof_words(&f.other_proof);
    let one = U256::from(1u8);
    for i in 0..8 {
        let mut w = words;
        w[i] = (w[i] + one) % q();
        assert!(
            !native_words(&f.vk, &f.x, &w),
            "native accepted word {i} + 1"
        );
        assert!(!evm.check(at, &w, &inputs), "EVM accepted word {i} + 1");
        let mut w = words;
        w[i] = other[i];
        assert!(
            !native_words(&f.vk, &f.x, &w),
            "native accepted word {i} swapped"
        );
        assert!(!evm.check(at, &w, &inputs), "EVM accepted word {i} swapped");
    }
    for (name, range) in [("A", 0..2), ("B", 2..6), ("C", 6..8)] {
        let mut w = words;
        w[range.clone()].copy_from_slice(&other[range]);
        assert!(
            evm::proof_from_words(&w).is_ok(),
            "{name} swapped is a valid point"
        );
        assert!(
            !native_words(&f.vk, &f.x, &w),
            "native accepted {name} swapped"
        );
        assert!(!evm.check(at, &w, &inputs), "EVM accepted {name} swapped");
    }
    // A wrong proof costs what a right one does (the pairing runs either way, never short).
    let mut w = words;
    w[0] = (w[0] + one) % q();
    let rejected = evm::verify_words_on_chain(&mut evm.chain, evm.from, at, &w, &inputs).unwrap();
    assert!(!rejected.accepted);
    eprintln!(
        "GAS: Groth16Verifier.verifyProof, rejected (A off the curve): {}",
        rejected.gas_used
    );

    // Malformed calls revert with typed errors. An input ≥ r (even an alias x + r, which is
    // the same field element natively) is refused, never reduced.
    for i in [0, n - 1] {
        let mut bad = inputs.clone();
        bad[i] += r();
        match evm.revert(at, &words, &bad) {
            Groth16VerifierErrors::PublicInputNotInField(e) => assert_eq!(e.index, U256::from(i)),
            e => panic!("{e:?}"),
        }
        let mut bad = inputs.clone();
        bad[i] = r();
        assert!(matches!(
            evm.revert(at, &words, &bad),
            Groth16VerifierErrors::PublicInputNotInField(_)
        ));
    }
    for i in 0..8 {
        let mut w = words;
        w[i] += q();
        match evm.revert(at, &w, &inputs) {
            Groth16VerifierErrors::ProofCoordinateNotInField(e) => {
                assert_eq!(e.index, U256::from(i))
            }
            e => panic!("{e:?}"),
        }
    }
    for len in [n - 1, n + 1, 0] {
        let mut bad = inputs.clone();
        bad.resize(len, U256::from(1u8));
        match evm.revert(at, &words, &bad) {
            Groth16VerifierErrors::PublicInputCountMismatch(e) => {
                assert_eq!((e.expected, e.given), (U256::from(n), U256::from(len)))
            }
            e => panic!("{e:?}"),
        }
    }
    // The typed error reads well.
    let err = evm::check_on_chain(&mut evm.chain, evm.from, at, &words, &[]).unwrap_err();
    assert!(
        err.to_string().contains("PublicInputCountMismatch"),
        "{err}"
    );

    // Not enough gas for the pairing: a typed revert, never a false "rejected".
    let call = verinfer_chain::bindings_zk::Groth16Verifier::verifyProofCall {
        proof: words,
        input: inputs.clone(),
    };
    let mut tx = Tx::call(
        evm.from,
        at,
        alloy_sol_types::SolCall::abi_encode(&call),
        "short",
    );
    tx.gas_limit = Some(verdict.gas_used - 60_000);
    match evm.chain.send(tx) {
        Err(verinfer_chain::ChainError::Reverted { data, .. }) => assert!(matches!(
            <Groth16VerifierErrors as alloy_sol_types::SolInterface>::abi_decode(&data),
            Ok(Groth16VerifierErrors::NotEnoughGas(_))
        )),
        other => panic!("expected a revert, got {other:?}"),
    }
}

/// Keys of another model reject the proof: the same graph with one weight changed (same
/// input count: a plain rejection), and a different graph (another count: a typed revert).
#[test]
fn other_models_keys_reject() {
    let f = digits_fixture();
    let mut changed = f.graph.clone();
    let mut vals = changed.params[0].data.to_vec();
    vals[0] += 1;
    changed.params[0].data = vals.into();
    let mut rng = StdRng::seed_from_u64(8);
    let (_, other_vk) = Groth16::setup(&changed, &mut rng).unwrap();
    assert_eq!(other_vk.gamma_abc_g1.len(), f.vk.gamma_abc_g1.len());
    assert!(!native(&other_vk, &f.x, &f.proof));
    let mut evm = Evm::new();
    let (at, _) = evm.deploy(&other_vk);
    let v = evm::verify_on_chain(&mut evm.chain, evm.from, at, &f.proof, &f.x).unwrap();
    assert!(!v.accepted);

    let (tiny_vk, _, _) = tiny_keys(&mut rng);
    let (tiny_at, _) = evm.deploy(&tiny_vk);
    assert_ne!(tiny_vk.gamma_abc_g1.len(), f.vk.gamma_abc_g1.len());
    let words = evm::proof_words(&f.proof);
    assert!(matches!(
        evm.revert(tiny_at, &words, &evm::public_words(&f.x)),
        Groth16VerifierErrors::PublicInputCountMismatch(_)
    ));
}

/// A graph with two public field elements: one 8-bit input element, one Rescale output.
fn tiny_graph() -> Graph {
    let mut b = GraphBuilder::named("tiny");
    let x = b.input(&[1], 8);
    b.node(Op::Rescale(requant(3, 1, 8)), vec![x], &[1], 8);
    b.finish()
}

/// Keys, an honest proof and public inputs of [`tiny_graph`].
fn tiny_keys(rng: &mut StdRng) -> (VerifyingKey, Proof, Vec<Fr>) {
    let g = tiny_graph();
    let (pk, vk) = Groth16::setup(&g, rng).unwrap();
    let trace = verinfer_ir::reference::run(&g, &[vec![-37]]).unwrap();
    let (proof, public) = Groth16::prove(&pk, &g, trace, rng).unwrap();
    let x = public.to_field_elements().unwrap();
    (vk, proof, x)
}

/// A synthetic key with `n` public inputs (valid points, no circuit behind it) and a random
/// proof: the verifier rejects, at exactly the cost of an acceptance — the gas is a function
/// of the input count (and of which inputs are zero), not of the verdict.
fn synthetic(n: usize, rng: &mut StdRng) -> (VerifyingKey, Proof, Vec<Fr>) {
    let g1 = |rng: &mut StdRng| -> G1Affine { (G1Affine::generator() * Fr::rand(rng)).into() };
    let g2 = |rng: &mut StdRng| -> G2Affine { (G2Affine::generator() * Fr::rand(rng)).into() };
    let vk = VerifyingKey {
        alpha_g1: g1(rng),
        beta_g2: g2(rng),
        gamma_g2: g2(rng),
        delta_g2: g2(rng),
        gamma_abc_g1: (0..=n).map(|_| g1(rng)).collect(),
    };
    let proof = Proof {
        a: g1(rng),
        b: g2(rng),
        c: g1(rng),
    };
    let x = (0..n).map(|_| Fr::rand(rng)).collect();
    (vk, proof, x)
}

/// Gas of both verifiers against the public-input count: the real 3-input circuit (context
/// word, one input element, one output element), the digits MLP, and synthetic keys for the
/// slope.
#[test]
fn gas_per_public_input() {
    let mut rng = StdRng::seed_from_u64(3);
    let mut evm = Evm::new();
    let (vk, proof, x) = tiny_keys(&mut rng);
    assert_eq!(x.len(), 3);
    assert!(native(&vk, &x, &proof));
    let (at, deploy_gas) = evm.deploy(&vk);
    let v = evm::verify_on_chain(&mut evm.chain, evm.from, at, &proof, &x).unwrap();
    assert!(v.accepted);
    eprintln!(
        "GAS: Groth16Verifier deploy, 3 public inputs: {deploy_gas}; verifyProof (tiny circuit, \
         accepted): {}",
        v.gas_used
    );
    let solc = solc_available();
    let mut generic = Vec::new();
    for n in [1usize, 2, 10, 74] {
        let (vk, proof, x) = synthetic(n, &mut rng);
        let (at, _) = evm.deploy(&vk);
        let v = evm::verify_on_chain(&mut evm.chain, evm.from, at, &proof, &x).unwrap();
        assert!(!v.accepted);
        let exported = solc.as_ref().map(|dir| {
            let (ex_at, _) = deploy_exported(&mut evm, &vk, dir, &format!("synthetic{n}"));
            let ex = evm::verify_exported_on_chain(
                &mut evm.chain,
                evm.from,
                ex_at,
                &uncompressed(&proof),
                &evm::public_words(&x),
            )
            .unwrap();
            assert!(!ex.accepted);
            ex.gas_used
        });
        eprintln!(
            "GAS: n = {n}: generic {} exported {}",
            v.gas_used,
            exported.map_or("(no solc)".into(), |g| g.to_string())
        );
        generic.push((n, v.gas_used, exported));
    }
    let (n0, g0, e0) = generic[1];
    let (n1, g1, e1) = generic[3];
    eprintln!(
        "GAS: slope per public input: generic {} exported {}",
        (g1 - g0) / (n1 - n0) as u64,
        e0.zip(e1)
            .map_or("(no solc)".into(), |(a, b)| ((b - a) / (n1 - n0) as u64)
                .to_string())
    );
    // ecMul (6 000) + ecAdd (150) + calldata per input, nothing quadratic.
    let slope = (g1 - g0) / (n1 - n0) as u64;
    assert!((6_150..8_000).contains(&slope), "slope {slope}");
}

fn uncompressed(proof: &Proof) -> ExportedProof {
    evm::exported_proof(proof, false).unwrap()
}

/// Where solc-js can be run, or `None` (with a note; a failure under `CI`).
fn solc_available() -> Option<PathBuf> {
    let contracts = verinfer_testing::models::repo().join("contracts");
    let solc = contracts.join("node_modules/solc");
    let node = Command::new("node").arg("--version").output();
    let problem = match node {
        Err(e) => Some(format!("node cannot be run ({e})")),
        Ok(o) if !o.status.success() => Some("`node --version` failed".into()),
        Ok(_) if !solc.exists() => Some(format!(
            "{} is missing: run `npm ci --prefix contracts`",
            solc.display()
        )),
        Ok(_) => None,
    };
    match problem {
        None => Some(contracts),
        Some(p) if std::env::var_os("CI").is_some() => {
            panic!("the exported-verifier tests need node and solc-js: {p}")
        }
        Some(p) => {
            eprintln!("note: skipping the exported-verifier checks: {p}");
            None
        }
    }
}

/// Renders, compiles (compile-one.js, pinned solc-js) and deploys the exported verifier.
fn deploy_exported(
    evm: &mut Evm,
    vk: &VerifyingKey,
    contracts: &Path,
    tag: &str,
) -> (Address, u64) {
    let source = evm::export_solidity(vk).unwrap();
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("evm-export");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("Verifier-{tag}.sol"));
    std::fs::write(&file, &source).unwrap();
    let out = Command::new("node")
        .arg(contracts.join("scripts/compile-one.js"))
        .arg(&file)
        .arg("Verifier")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "compile-one.js failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let hex = json["bytecode"].as_str().unwrap();
    let code = Bytes::from(alloy_primitives::hex::decode(hex).unwrap());
    let r = evm
        .chain
        .send(Tx::deploy(evm.from, code, "deploy Verifier"))
        .unwrap();
    let at = r.contract_address.unwrap();
    eprintln!(
        "GAS: exported Verifier deploy ({tag}): {} ({} bytes of runtime code)",
        r.gas_used,
        evm.chain.code_at(at).unwrap().len()
    );
    (at, r.gas_used)
}

/// The exported standalone verifier, compiled with the pinned solc-js: accepts the honest
/// proof (uncompressed and compressed), rejects tampered ones, refuses inputs ≥ r.
#[test]
fn digits_mlp_exported_verifier() {
    let Some(contracts) = solc_available() else {
        return;
    };
    let f = digits_fixture();
    let n = f.x.len();
    let mut evm = Evm::new();
    let (at, _) = deploy_exported(&mut evm, &f.vk, &contracts, "digits");
    let inputs = evm::public_words(&f.x);
    let words = evm::proof_words(&f.proof);
    assert_eq!(uncompressed(&f.proof), ExportedProof::Uncompressed(words));

    let mut run = |proof: &ExportedProof, inputs: &[U256]| -> EvmVerdict {
        evm::verify_exported_on_chain(&mut evm.chain, evm.from, at, proof, inputs).unwrap()
    };
    let honest = run(&uncompressed(&f.proof), &inputs);
    assert!(honest.accepted);
    let compressed = evm::exported_proof(&f.proof, true).unwrap();
    let honest_c = run(&compressed, &inputs);
    assert!(honest_c.accepted);
    eprintln!(
        "GAS: exported Verifier, digits MLP ({n} public inputs): verifyProof {}, \
         verifyCompressedProof {}",
        honest.gas_used, honest_c.gas_used
    );

    // Tampered: an input, a word (off the curve), a point (another valid proof's).
    let mut x = inputs.clone();
    x[0] = (x[0] + U256::from(1u8)) % r();
    assert!(!run(&uncompressed(&f.proof), &x).accepted);
    assert!(!run(&compressed, &x).accepted);
    let mut w = words;
    w[7] = (w[7] + U256::from(1u8)) % q();
    let off = run(&ExportedProof::Uncompressed(w), &inputs);
    assert!(!off.accepted);
    let other = evm::proof_words(&f.other_proof);
    let mut w = words;
    w[2..6].copy_from_slice(&other[2..6]);
    assert!(!run(&ExportedProof::Uncompressed(w), &inputs).accepted);
    let mixed = Proof {
        a: f.proof.a,
        b: f.other_proof.b,
        c: f.proof.c,
    };
    assert!(!run(&evm::exported_proof(&mixed, true).unwrap(), &inputs).accepted);

    // Malformed: an input ≥ r reverts with the exported verifier's own error.
    let mut bad = inputs.clone();
    bad[0] += r();
    match evm::verify_exported_on_chain(&mut evm.chain, evm.from, at, &uncompressed(&f.proof), &bad)
    {
        Err(EvmError::ExportedReverted(reason)) => {
            assert!(reason.contains("PublicInputNotInField"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    // A key without public inputs or with a point at infinity is refused before rendering.
    let mut empty = f.vk.clone();
    empty.gamma_abc_g1.truncate(1);
    assert!(matches!(
        evm::export_solidity(&empty),
        Err(EvmError::BadKey(_))
    ));
    let mut inf = f.vk.clone();
    inf.gamma_abc_g1[1] = G1Affine::zero();
    assert!(matches!(
        evm::export_solidity(&inf),
        Err(EvmError::BadKey(_))
    ));
}

/// The generic verifier's constructor refuses malformed keys with typed errors.
#[test]
fn malformed_keys_are_refused() {
    let mut rng = StdRng::seed_from_u64(4);
    let (vk, _, _) = synthetic(3, &mut rng);
    let mut evm = Evm::new();
    let deploy_raw = |evm: &mut Evm, key: Vec<u8>| -> Groth16VerifierErrors {
        let args = alloy_sol_types::SolConstructor::abi_encode(
            &verinfer_chain::bindings_zk::Groth16Verifier::constructorCall { vk: key.into() },
        );
        let mut init = verinfer_chain::bindings_zk::Groth16Verifier::BYTECODE.to_vec();
        init.extend_from_slice(&args);
        match evm.chain.send(Tx::deploy(evm.from, init, "deploy")) {
            Err(verinfer_chain::ChainError::Reverted { data, .. }) => {
                <Groth16VerifierErrors as alloy_sol_types::SolInterface>::abi_decode(&data).unwrap()
            }
            other => panic!("{other:?}"),
        }
    };
    let good = evm::vk_bytes(&vk);
    assert!(matches!(
        deploy_raw(&mut evm, good[..good.len() - 32].to_vec()),
        Groth16VerifierErrors::MalformedVerifyingKey(_)
    ));
    assert!(matches!(
        deploy_raw(&mut evm, good[..448].to_vec()),
        Groth16VerifierErrors::MalformedVerifyingKey(_)
    ));
    // A word ≥ q.
    let mut bad = good.clone();
    bad[32 * 5..32 * 6].copy_from_slice(&q().to_be_bytes::<32>());
    assert!(matches!(
        deploy_raw(&mut evm, bad),
        Groth16VerifierErrors::VerifyingKeyNotInField(e) if e.index == U256::from(5)
    ));
    // IC[2] off the curve.
    let mut bad = good.clone();
    bad[448 + 128 + 63] ^= 1;
    assert!(matches!(
        deploy_raw(&mut evm, bad),
        Groth16VerifierErrors::VerifyingKeyG1NotOnCurve(e) if e.index == U256::from(3)
    ));
    // gamma off the twist.
    let mut bad = good.clone();
    bad[64 + 128 + 127] ^= 1;
    assert!(matches!(
        deploy_raw(&mut evm, bad),
        Groth16VerifierErrors::VerifyingKeyG2Invalid(_)
    ));
    // Too many inputs for one data contract: refused in Rust before anything is sent.
    let (big, _, _) = synthetic(evm::MAX_PUBLIC_INPUTS + 1, &mut rng);
    assert!(matches!(
        evm::deploy_verifier(&mut evm.chain, evm.from, &big),
        Err(EvmError::BadKey(_))
    ));
    // The largest key that fits is accepted.
    let (max, proof, x) = synthetic(evm::MAX_PUBLIC_INPUTS, &mut rng);
    let (at, deploy_gas) = evm.deploy(&max);
    let v = evm::verify_on_chain(&mut evm.chain, evm.from, at, &proof, &x).unwrap();
    assert!(!v.accepted);
    eprintln!(
        "GAS: generic verifier at the maximum, {} inputs: deploy {deploy_gas}, verify {}",
        evm::MAX_PUBLIC_INPUTS,
        v.gas_used
    );
}

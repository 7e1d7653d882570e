//! The Solidity verifier of layered proofs (`contracts/src/sumcheck/ModelVerifier.sol`) against
//! `gkr::verify_model` on the in-process EVM (revm), on the bundled digits MLP: the honest
//! proof verifies on chain; every word of it tampered, another statement, the unbound entry,
//! a changed public input or output, a truncated or extended proof — each rejected by both,
//! with the same verdict (the Solidity code of the Rust error). Then the `IProofVerifier`
//! adapter over it, deployed by the backend. Prints the gas figures of docs/sumcheck.md.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "common/digits.rs"]
mod digits;
#[path = "common/evm.rs"]
mod evm;
#[path = "common/graph_edit.rs"]
mod graph_edit;
#[path = "common/pooled.rs"]
mod pooled;
#[path = "common/profile.rs"]
mod profile;

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::SolCall;
use digits::digits_mlp;
use evm::*;
use verinfer_chain::{Chain, RevmChain, Tx};
use verinfer_ir::Model;
use verinfer_oracle::ChainDeployer;
use verinfer_prove::{os_rng, Context, DynBackend, ProofBackend, Statement, Vis, Visibility};
use verinfer_sumcheck::backend::keys::ModelKey;
use verinfer_sumcheck::backend::{layered, onchain, Sumcheck};
use verinfer_sumcheck::gkr::{self, GkrError};
use verinfer_sumcheck::{EvmDecodeError, LogupError, MatmulError, PcsError, SumcheckError};

alloy_sol_types::sol!(
    #[sol(all_derives)]
    ModelVerifier,
    "../../contracts/artifacts/ModelVerifier.json"
);

alloy_sol_types::sol! {
    interface IProofVerifier {
        function verify(bytes calldata proof, bytes32 statement) external view returns (bool);
    }
}

const DIGEST: Visibility = Visibility {
    input: Vis::Public,
    params: Vis::Public,
    output: Vis::Public,
    statement: Statement::Digest,
};

fn ctx(tag: u8) -> Context {
    Context {
        model_id: B256::repeat_byte(9),
        chain_id: U256::from(31337u64),
        contract: Address::repeat_byte(1),
        tag: U256::from(tag),
        answerer: Address::repeat_byte(2),
    }
}

/// `w + 1` (wrapping): a tamper that keeps every other word.
fn bump(w: &mut [u8; 32]) {
    for b in w.iter_mut().rev() {
        let (v, carry) = b.overflowing_add(1);
        *b = v;
        if !carry {
            break;
        }
    }
}

/// The Solidity verifier's `SumcheckRejected` code for each rejection of the Rust verifier.
fn rust_code(e: &GkrError) -> u64 {
    match e {
        GkrError::Sumcheck(SumcheckError::Rejected)
        | GkrError::Matmul(MatmulError::Sumcheck(SumcheckError::Rejected))
        | GkrError::Logup(LogupError::Sumcheck(SumcheckError::Rejected))
        | GkrError::Pcs(PcsError::Rejected("the batching sumcheck")) => 10,
        GkrError::Pcs(PcsError::Rejected("the constant differs from the commitment")) => 20,
        GkrError::Pcs(PcsError::DegenerateChallenge) => 21,
        GkrError::Pcs(PcsError::Rejected("a fold is inconsistent with the next")) => 22,
        GkrError::Pcs(PcsError::Rejected("the KZG openings do not verify")) => 23,
        GkrError::Pcs(PcsError::Rejected("an eq value differs from eq(p, ρ)")) => 31,
        GkrError::Logup(LogupError::Rejected("the eq value differs from eq(z, ρ)")) => 40,
        GkrError::Logup(LogupError::Rejected("the table value differs from T̃(ρ)")) => 41,
        GkrError::Length { .. } => 60,
        GkrError::OutOfBound { .. } => 61,
        GkrError::Rejected("a public tensor's value at a reduced point") => 62,
        GkrError::Rejected("a clip's eq value") => 63,
        GkrError::Rejected("the stacked range columns' value") => 64,
        GkrError::Rejected("a move's wiring value") => 67,
        GkrError::Rejected("a max's broadcast wiring value") => 68,
        GkrError::Rejected("a max's eq value") => 69,
        GkrError::Rejected("a max's row table value") => 70,
        other => panic!("no Solidity code for {other}"),
    }
}

fn decode_code(e: &EvmDecodeError) -> u64 {
    match e {
        EvmDecodeError::NonCanonical { .. } => 1,
        EvmDecodeError::NotOnCurve { .. } => 3,
        EvmDecodeError::Length { .. } => 60,
        other => panic!("no Solidity code for {other}"),
    }
}

struct Fixture {
    spec: gkr::ChainSpec,
    commitments: Vec<verinfer_sumcheck::pcs::Commitment>,
    vk: verinfer_sumcheck::backend::keys::VerifyingKey,
    statement: [u8; 32],
    proof: onchain::Proof,
}

impl Fixture {
    /// The Rust verdict: 0 accepted, else the Solidity code of the rejection.
    fn rust(&self, statement: Option<&[u8; 32]>, x: &[i32], y: &[i32], words: &[[u8; 32]]) -> u64 {
        let p = match gkr::words::model_from_words(&self.spec, words) {
            Ok(p) => p,
            Err(e) => return decode_code(&e),
        };
        gkr::verify_model(
            &self.vk.srs,
            statement,
            &self.spec,
            &self.commitments,
            x,
            y,
            &p,
        )
        .map_or_else(|e| rust_code(&e), |()| 0)
    }
}

fn sol(evm: &mut Evm, at: Address, st: &[u8; 32], x: &[i32], y: &[i32], w: &[[u8; 32]]) -> u64 {
    verdict_code(evm.view(
        at,
        &ModelVerifier::verifyBoundCall {
            statement: B256::from(*st),
            x: packed(x),
            y: packed(y),
            proof: us(w),
        },
    ))
}

#[test]
fn digits_mlp_layered_proof_verifies_on_chain_and_every_tamper_is_rejected_alike() {
    let (g, trace) = digits_mlp();
    every_tamper_alike("digits MLP", g, trace);
}

/// Moves (a max-pool's 2×2 windows, a flatten as the public output) and a `ReduceMax` on
/// chain: the same checks as the digits MLP's.
#[test]
fn a_pooling_model_with_moves_and_reduce_max_verifies_on_chain_and_tampers_are_rejected_alike() {
    let (g, trace) = pooled::pooled_mlp();
    every_tamper_alike("pooled model", g, trace);
}

/// The honest proof of `g` verifies natively and on chain; every tamper is judged alike.
#[allow(clippy::too_many_lines, clippy::print_stdout)]
fn every_tamper_alike(label: &str, g: verinfer_ir::Graph, trace: Vec<Vec<i32>>) {
    let model = Model::new(g).unwrap();
    let b = Sumcheck::default();
    let (pk, vk) = ProofBackend::setup(&b, &model, DIGEST, &mut os_rng()).unwrap();
    let (proof, public) =
        ProofBackend::prove(&b, &pk, &model, DIGEST, &ctx(5), trace, &mut os_rng()).unwrap();
    ProofBackend::verify(&b, &vk, &public, &proof).unwrap();
    let ModelKey::Chain { spec, commitments } = vk.model.clone() else {
        panic!("the digits MLP is a layered model");
    };
    let f = Fixture {
        spec,
        commitments,
        statement: public.digest().unwrap().0,
        vk,
        proof,
    };
    let (x, y, words) = (&f.proof.x, &f.proof.y, &f.proof.words);
    assert_eq!(words.len(), layered::proof_words(&f.spec));

    let mut evm = Evm::new();
    let init = onchain::model_init_code(&f.vk).unwrap();
    let plan_words = onchain::model_plan_words(&f.vk).unwrap().len();
    let mut tx = Tx::deploy(evm.from, init, "ModelVerifier");
    tx.gas_limit = Some(TX_GAS_CAP);
    let receipt = evm.chain.send(tx).unwrap();
    let at = receipt.contract_address.unwrap();
    let size = evm.chain.code_at(at).unwrap().len();
    let plan_at = evm.view(at, &ModelVerifier::planCall {}).unwrap();
    let plan_size = evm.chain.code_at(plan_at).unwrap().len();
    assert!(size < 24_576 && plan_size < 24_576, "{size}, {plan_size}");

    let st = f.statement;
    assert_eq!(f.rust(Some(&st), x, y, words), 0);
    assert_eq!(sol(&mut evm, at, &st, x, y, words), 0, "the honest proof");
    let gas = evm.gas(
        at,
        &ModelVerifier::verifyBoundCall {
            statement: B256::from(st),
            x: packed(x),
            y: packed(y),
            proof: us(words),
        },
    );
    let calldata = ModelVerifier::verifyBoundCall {
        statement: B256::from(st),
        x: packed(x),
        y: packed(y),
        proof: us(words),
    }
    .abi_encode()
    .len();
    let (k, n) = gkr::columns::claim_shape(&f.spec);
    let groups = gkr::columns::groups(&f.spec);
    println!(
        "{label}: {} layers {:?}, {} range groups (widths {:?}), {k} claims in the batch over \
         {n} variables",
        f.spec.layers.len(),
        f.spec.layers.iter().map(|l| l.kind).collect::<Vec<_>>(),
        groups.len(),
        groups.keys().collect::<Vec<_>>()
    );
    println!(
        "{label} layered proof: {} words, {calldata} calldata bytes; verifyBound {gas} gas; \
         ModelVerifier deploy {} gas, {size} bytes; plan {plan_words} words ({plan_size} bytes)",
        words.len(),
        receipt.gas_used
    );
    assert!(gas < TX_GAS_CAP, "{gas}");

    // Every word tampered: Rust (decoding the words as the chain reads them, then verifying)
    // and Solidity reject it for the same reason.
    for i in 0..words.len() {
        let mut bad = words.clone();
        bump(&mut bad[i]);
        let rust = f.rust(Some(&st), x, y, &bad);
        assert_ne!(rust, 0, "Rust accepts word {i} tampered");
        assert_eq!(rust, sol(&mut evm, at, &st, x, y, &bad), "word {i}");
    }
    // Truncated and extended proofs.
    for w in [
        &words[..words.len() - 1],
        &[&words[..], &[[0u8; 32]]].concat()[..],
    ] {
        assert_eq!(f.rust(Some(&st), x, y, w), 60);
        assert_eq!(sol(&mut evm, at, &st, x, y, w), 60);
    }
    // Another statement (another context or output), and the unbound entry.
    let mut other = st;
    bump(&mut other);
    assert_ne!(f.rust(Some(&other), x, y, words), 0);
    assert_eq!(
        f.rust(Some(&other), x, y, words),
        sol(&mut evm, at, &other, x, y, words)
    );
    assert_ne!(f.rust(None, x, y, words), 0);
    let unbound = verdict_code(evm.view(
        at,
        &ModelVerifier::verifyCall {
            x: packed(x),
            y: packed(y),
            proof: us(words),
        },
    ));
    assert_eq!(f.rust(None, x, y, words), unbound);
    // One element of the public input or output changed; an output outside its bound.
    for (i, j, dx, dy) in [(0, 0, 1, 0), (17, 0, -1, 0), (0, 3, 0, 1), (0, 9, 0, -1)] {
        let (mut x2, mut y2) = (x.clone(), y.clone());
        x2[i] += dx;
        y2[j] += dy;
        let rust = f.rust(Some(&st), &x2, &y2, words);
        assert_ne!(rust, 0, "{i}/{j}");
        assert_eq!(rust, sol(&mut evm, at, &st, &x2, &y2, words), "{i}/{j}");
    }
    let mut y2 = y.clone();
    y2[0] = 1 << 30;
    assert_eq!(f.rust(Some(&st), x, &y2, words), 61);
    assert_eq!(sol(&mut evm, at, &st, x, &y2, words), 61);
    // A verifier deployed for other weights (the first commitment doubled): the honest proof
    // fails the batched opening on both sides.
    let mut other = f.vk.clone();
    let ModelKey::Chain { commitments, .. } = &mut other.model else {
        unreachable!()
    };
    let c0 = commitments[0].0;
    commitments[0] = verinfer_sumcheck::pcs::Commitment(ark_ec::CurveGroup::into_affine(c0 + c0));
    let g2 = Fixture {
        commitments: commitments.clone(),
        spec: f.spec.clone(),
        vk: other.clone(),
        statement: st,
        proof: f.proof.clone(),
    };
    let (at2, _) = evm.deploy(onchain::model_init_code(&other).unwrap(), "other weights");
    let rust = g2.rust(Some(&st), x, y, words);
    assert_ne!(rust, 0);
    assert_eq!(rust, sol(&mut evm, at2, &st, x, y, words));
}

#[test]
fn the_backend_deploys_the_adapter_over_the_model_verifier() {
    let (g, trace) = digits_mlp();
    let model = Model::new(g).unwrap();
    let b = Sumcheck::default();
    let keys = DynBackend::setup(&b, &model, DIGEST, &mut os_rng()).unwrap();
    let proved = DynBackend::prove(
        &b,
        &keys.proving,
        &model,
        DIGEST,
        &ctx(6),
        trace,
        &mut os_rng(),
    )
    .unwrap();
    let statement = proved.public.digest().unwrap();
    let calldata = DynBackend::proof_calldata(&b, &proved.proof).unwrap();
    let mut chain = RevmChain::new().unwrap();
    let owner = chain.accounts()[0];
    let mut deployer = ChainDeployer::new(&mut chain, owner);
    let adapter = DynBackend::deploy_adapter(&b, &keys.verifying, &mut deployer).unwrap();
    let labels: Vec<(String, u64)> = deployer
        .receipts
        .iter()
        .map(|r| (r.label.clone(), r.gas_used))
        .collect();
    println!("deployed: {labels:?}");
    assert!(labels[0].0.contains("ModelVerifier"), "{labels:?}");
    let call = |chain: &mut RevmChain, proof: Vec<u8>, statement: B256| {
        verinfer_chain::view(
            chain,
            owner,
            adapter,
            &IProofVerifier::verifyCall {
                proof: proof.into(),
                statement,
            },
            "verify",
        )
    };
    assert!(call(&mut chain, calldata.clone(), statement).unwrap());
    let mut tx = Tx::call(
        owner,
        adapter,
        IProofVerifier::verifyCall {
            proof: calldata.clone().into(),
            statement,
        }
        .abi_encode(),
        "gas",
    );
    tx.gas_limit = Some(TX_GAS_CAP);
    println!("adapter verify: {} gas", chain.send(tx).unwrap().gas_used);
    // Another statement, a tampered proof word: false.
    let mut other = statement.0;
    other[31] ^= 1;
    assert!(!call(&mut chain, calldata.clone(), B256::from(other)).unwrap());
    let mut bad = calldata.clone();
    let n = bad.len();
    bad[n - 40] ^= 1;
    assert!(!call(&mut chain, bad, statement).unwrap());
    // The exported source names the model verifier and carries the plan.
    let src = DynBackend::solidity_verifier(&b, &keys.verifying).unwrap();
    assert!(src.contains("new ModelVerifier(verifierPlan())"), "{src}");
}

/// A second size for the gas figures: `verinfer_testing::proof::small_mlp` (8 → 6 → 4 → 3,
/// 16-bit hidden tensors), verified on chain and natively.
#[test]
fn a_smaller_mlp_verifies_on_chain() {
    let (g, trace) = verinfer_testing::proof::small_mlp();
    let model = Model::new(g).unwrap();
    let b = Sumcheck::default();
    let (pk, vk) = ProofBackend::setup(&b, &model, DIGEST, &mut os_rng()).unwrap();
    let (proof, public) =
        ProofBackend::prove(&b, &pk, &model, DIGEST, &ctx(7), trace, &mut os_rng()).unwrap();
    ProofBackend::verify(&b, &vk, &public, &proof).unwrap();
    let ModelKey::Chain { spec, .. } = &vk.model else {
        panic!("the small MLP is a layered model");
    };
    let st = B256::from(public.digest().unwrap().0);
    let mut evm = Evm::new();
    let (at, _) = evm.deploy(onchain::model_init_code(&vk).unwrap(), "ModelVerifier");
    let call = ModelVerifier::verifyBoundCall {
        statement: st,
        x: packed(&proof.x),
        y: packed(&proof.y),
        proof: us(&proof.words),
    };
    assert!(evm.view(at, &call).unwrap());
    let gas = evm.gas(at, &call);
    let (k, n) = gkr::columns::claim_shape(spec);
    let groups = gkr::columns::groups(spec);
    println!(
        "small MLP: {} layers, range widths {:?}, {k} claims over {n} variables, {} words: \
         verifyBound {gas} gas",
        spec.layers.len(),
        groups.keys().collect::<Vec<_>>(),
        proof.words.len()
    );
    let mut bad = proof.words.clone();
    bump(&mut bad[7]);
    assert!(evm
        .view(
            at,
            &ModelVerifier::verifyBoundCall {
                proof: us(&bad),
                ..call
            }
        )
        .is_err());
}

/// Where the digits MLP's verification gas goes (docs/sumcheck.md, "Gas profile"): per
/// opcode, per precompile, memory expansion. With `GAS_PROFILE_PCS=FILE` it also writes the
/// gas per program counter of `ModelVerifier`'s code (for a source map).
#[test]
fn digits_mlp_gas_profile() {
    let (g, trace) = digits_mlp();
    let model = Model::new(g).unwrap();
    let b = Sumcheck::default();
    let (pk, vk) = ProofBackend::setup(&b, &model, DIGEST, &mut os_rng()).unwrap();
    let (proof, public) =
        ProofBackend::prove(&b, &pk, &model, DIGEST, &ctx(5), trace, &mut os_rng()).unwrap();
    let call = ModelVerifier::verifyBoundCall {
        statement: B256::from(public.digest().unwrap().0),
        x: packed(&proof.x),
        y: packed(&proof.y),
        proof: us(&proof.words),
    };
    let p = profile::profile(onchain::model_init_code(&vk).unwrap(), call.abi_encode());
    profile::print("digits MLP verifyBound", &p);
    if let Ok(path) = std::env::var("GAS_PROFILE_PCS") {
        let lines: String = p
            .by_pc
            .iter()
            .map(|(pc, g)| format!("{pc} {g}\n"))
            .collect();
        std::fs::write(path, lines).unwrap();
    }
    assert!(p.tx_gas > 0 && p.executed < p.tx_gas);
}

//! The sumcheck backend behind the proof-system seam: `proof_system_conformance!` on a single
//! matrix-product model (what the backend proves today: the small CNN of the default subject
//! is refused with a typed reason, tested below), the dynamic form, what it refuses by name,
//! and its `IProofVerifier` adapter on revm (the digest statement recomputed from the proof's
//! `x`, `y`; misbound, tampered and malformed proofs rejected).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::model;

use alloy_primitives::{Address, Bytes, B256, U256};
use model::*;
use verinfer_chain::{Chain, RevmChain, Tx};
use verinfer_ir::Model;
use verinfer_oracle::ChainDeployer;
use verinfer_prove::{os_rng, AnyKey, Context, DynBackend, ProveError, Statement, Vis, Visibility};
use verinfer_sumcheck::backend::{Sumcheck, NAME};
use verinfer_testing::proof::Subject;

const SUBJECT: Subject = Subject {
    model: matmul_model,
    visibilities: &PUBLIC,
};

verinfer_testing::proof_system_conformance!(Sumcheck::default(), SUBJECT);

fn model() -> (Model, Vec<Vec<i32>>) {
    let (g, trace) = matmul_model();
    (Model::new(g).unwrap(), trace)
}

fn ctx() -> Context {
    Context {
        model_id: B256::repeat_byte(9),
        chain_id: U256::from(31337u64),
        contract: Address::repeat_byte(1),
        tag: U256::from(5u8),
        answerer: Address::repeat_byte(2),
    }
}

#[test]
fn what_it_does_not_prove_is_refused_by_name() {
    let b = Sumcheck::default();
    let (cnn, _) = verinfer_testing::proof::small_cnn();
    let cnn = Model::new(cnn).unwrap();
    let e = DynBackend::supports(&b, &cnn, PUBLIC[0]).unwrap_err();
    assert_eq!(e.backend, NAME);
    // Its grouped, strided, dilated convolution and ReLU are layers; the sum over the spatial
    // axes (node 2) has no layered argument yet.
    assert_eq!(e.node, Some(2), "{e}");
    assert!(e.reason.contains("ReduceSum"), "{e}");
    let (m, _) = model();
    for vis in [
        Visibility::hashed_params(),
        Visibility {
            input: Vis::Private,
            ..Visibility::default()
        },
        Visibility {
            output: Vis::Hashed,
            ..Visibility::default()
        },
    ] {
        let e = DynBackend::supports(&b, &m, vis).unwrap_err();
        assert!(e.reason.contains("public classes only"), "{vis}: {e}");
        assert!(matches!(
            DynBackend::setup(&b, &m, vis, &mut os_rng()),
            Err(ProveError::Unsupported(_))
        ));
    }
    assert!(matches!(
        DynBackend::param_hash(&b, &m),
        Err(ProveError::Unsupported(_))
    ));
    // A saturating output has no proof yet (clamps are not proven): a witness error.
    let (g, inputs) = matmul_graph(21);
    let mut clamped = g.clone();
    if let verinfer_ir::Op::Contract(c) = &mut clamped.nodes[0].op {
        c.requant.shift = 0;
    }
    let clamped = Model::new(clamped).unwrap();
    let trace = verinfer_ir::reference::run(clamped.graph(), &inputs).unwrap();
    let keys = DynBackend::setup(&b, &clamped, PUBLIC[0], &mut os_rng()).unwrap();
    let r = DynBackend::prove(
        &b,
        &keys.proving,
        &clamped,
        PUBLIC[0],
        &ctx(),
        trace,
        &mut os_rng(),
    );
    assert!(
        matches!(r, Err(ProveError::Witness(ref m)) if m.contains("saturates")),
        "{r:?}"
    );
}

#[test]
fn the_dynamic_form_proves_verifies_and_checks_its_keys() {
    let b: Box<dyn DynBackend> = Box::new(Sumcheck::default());
    let (m, trace) = model();
    let vis = PUBLIC[0];
    let keys = b.setup(&m, vis, &mut os_rng()).unwrap();
    assert_eq!(b.public_inputs(&keys.verifying).unwrap(), 1);
    let p = b
        .prove(&keys.proving, &m, vis, &ctx(), trace.clone(), &mut os_rng())
        .unwrap();
    b.verify(&keys.verifying, &p.public, &p.proof).unwrap();
    assert_eq!(b.proof_calldata(&p.proof).unwrap(), p.proof);
    // Another context, another output: rejected as a wrong proof.
    let mut other = p.public.clone();
    other.context.tag += U256::from(1);
    assert!(matches!(
        b.verify(&keys.verifying, &other, &p.proof),
        Err(ProveError::Rejected)
    ));
    let mut other = p.public.clone();
    other.outputs[0][0] ^= 2;
    assert!(matches!(
        b.verify(&keys.verifying, &other, &p.proof),
        Err(ProveError::Rejected)
    ));
    // Garbage bytes are malformed; a foreign key is the wrong backend.
    assert!(matches!(
        b.verify(&keys.verifying, &p.public, &[1, 2, 3]),
        Err(ProveError::Malformed { what: "proof", .. })
    ));
    let foreign = AnyKey::new("groth16", 7u32);
    assert!(matches!(
        b.verify(&foreign, &p.public, &p.proof),
        Err(ProveError::WrongBackend { .. })
    ));
    // Keys of another setup (another τ, so other commitments) reject the proof.
    let other = b.setup(&m, vis, &mut os_rng()).unwrap();
    assert!(matches!(
        b.verify(&other.verifying, &p.public, &p.proof),
        Err(ProveError::Rejected)
    ));
    // The packed statement's key counts its words.
    let packed = b.setup(&m, PUBLIC[1], &mut os_rng()).unwrap();
    let words = p.public.words().unwrap();
    let mut pv = p.public.clone();
    pv.visibility.statement = Statement::Packed;
    assert_eq!(
        b.public_inputs(&packed.verifying).unwrap(),
        pv.words().unwrap().len()
    );
    assert_eq!(words.len(), 1);
}

#[test]
fn the_keys_come_from_a_public_ptau_file() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/ptau/pot8_beacon_final.ptau");
    let b = Sumcheck::with_ptau(path);
    let (m, trace) = model();
    let keys = DynBackend::setup(&b, &m, PUBLIC[0], &mut os_rng()).unwrap();
    let p = DynBackend::prove(
        &b,
        &keys.proving,
        &m,
        PUBLIC[0],
        &ctx(),
        trace,
        &mut os_rng(),
    )
    .unwrap();
    DynBackend::verify(&b, &keys.verifying, &p.public, &p.proof).unwrap();
    let missing = Sumcheck::with_ptau("/nonexistent.ptau".into());
    assert!(DynBackend::setup(&missing, &m, PUBLIC[0], &mut os_rng()).is_err());
}

/// Deploys `vk`'s adapter through a plain revm chain; every contract it creates fits
/// EIP-170.
fn deploy(
    b: &Sumcheck,
    vk: &AnyKey,
    chain: &mut RevmChain,
    from: Address,
) -> Result<Address, ProveError> {
    let mut d = ChainDeployer::new(chain, from);
    let at = DynBackend::deploy_adapter(b, vk, &mut d)?;
    for r in d.receipts {
        let size = chain.code_at(r.contract_address.unwrap()).unwrap().len();
        assert!(size <= 24_576, "{}: {size} bytes, over EIP-170", r.label);
    }
    Ok(at)
}

alloy_sol_types::sol! {
    interface IProofVerifier {
        function verify(bytes calldata proof, bytes32 statement) external view returns (bool);
    }
}

fn on_chain(chain: &mut RevmChain, from: Address, at: Address, proof: &[u8], st: B256) -> bool {
    let call = IProofVerifier::verifyCall {
        proof: Bytes::from(proof.to_vec()),
        statement: st,
    };
    verinfer_chain::view(chain, from, at, &call, "IProofVerifier.verify").unwrap_or(false)
}

#[test]
fn the_adapter_verifies_on_the_evm_what_the_rust_verifier_does() {
    let b = Sumcheck::default();
    let (m, trace) = model();
    let vis = PUBLIC[0];
    let keys = DynBackend::setup(&b, &m, vis, &mut os_rng()).unwrap();
    let mut chain = RevmChain::new().unwrap();
    let from = chain.accounts()[0];
    let packed = DynBackend::setup(&b, &m, PUBLIC[1], &mut os_rng()).unwrap();
    assert!(matches!(
        deploy(&b, &packed.verifying, &mut chain, from),
        Err(ProveError::Unsupported(_))
    ));
    let at = deploy(&b, &keys.verifying, &mut chain, from).unwrap();
    let p = DynBackend::prove(&b, &keys.proving, &m, vis, &ctx(), trace, &mut os_rng()).unwrap();
    let st = p.public.digest().unwrap();
    let calldata = DynBackend::proof_calldata(&b, &p.proof).unwrap();
    assert!(on_chain(&mut chain, from, at, &calldata, st));
    // Another statement (another answerer): the digest recomputed from the proof differs.
    let mut other = p.public.clone();
    other.context.answerer = from;
    assert!(!on_chain(
        &mut chain,
        from,
        at,
        &calldata,
        other.digest().unwrap()
    ));
    // A proof made for another context cannot be re-pointed: its words were made with the
    // honest statement absorbed, so a context word changed to match `other` fails the node.
    let mut moved = verinfer_sumcheck::backend::Proof::from_bytes(&calldata).unwrap();
    moved.context = verinfer_prove::context::context_word(&other.context);
    assert!(!on_chain(
        &mut chain,
        from,
        at,
        &moved.to_bytes(),
        other.digest().unwrap()
    ));
    // Tampered words, x, y (with the statement recomputed for them): rejected.
    let honest = verinfer_sumcheck::backend::Proof::from_bytes(&calldata).unwrap();
    for i in [0, honest.words.len() / 2, honest.words.len() - 1] {
        let mut bad = honest.clone();
        bad.words[i][31] ^= 1;
        assert!(
            !on_chain(&mut chain, from, at, &bad.to_bytes(), st),
            "word {i}"
        );
    }
    let mut lie = honest.clone();
    lie.y[0] ^= 1;
    let mut lie_pv = p.public.clone();
    lie_pv.outputs[0][0] ^= 1;
    assert!(!on_chain(
        &mut chain,
        from,
        at,
        &lie.to_bytes(),
        lie_pv.digest().unwrap()
    ));
    assert!(!on_chain(&mut chain, from, at, &[0u8; 64], st));
    // The adapter reads `x` and `y` where the node's ABI decoder will (it passes the proof
    // through): an offset into the head, or a length past the end, is refused (a revert,
    // `BadProof`), never read from elsewhere.
    let word = |v: usize| {
        let mut w = [0u8; 32];
        w[24..].copy_from_slice(&(v as u64).to_be_bytes());
        w
    };
    for (at_byte, value) in [(32, 0x20), (64, 0x40), (32, calldata.len()), (128, 1 << 20)] {
        let mut bad = calldata.clone();
        bad[at_byte..at_byte + 32].copy_from_slice(&word(value));
        let call = IProofVerifier::verifyCall {
            proof: Bytes::from(bad),
            statement: st,
        };
        assert!(
            verinfer_chain::view(&mut chain, from, at, &call, "malformed").is_err(),
            "word at byte {at_byte} set to {value}: not refused"
        );
    }
    // The gas of a verification, for the docs (revm, a transaction including calldata).
    let call = IProofVerifier::verifyCall {
        proof: Bytes::from(calldata),
        statement: st,
    };
    let mut tx = Tx::call(from, at, alloy_sol_types::SolCall::abi_encode(&call), "gas");
    tx.gas_limit = Some(1 << 24);
    let gas = chain.send(tx).unwrap().gas_used;
    println!("SumcheckProofVerifier.verify {DIMS:?}: {gas} gas (transaction)");
}

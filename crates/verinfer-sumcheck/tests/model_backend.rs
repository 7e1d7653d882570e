//! The sumcheck backend on whole models (the layered proof, `verinfer_sumcheck::gkr`):
//! `proof_system_conformance!` on a small MLP shaped like the bundled digits MLP (every law,
//! every proof and key byte flipped), then the bundled digits MLP itself through the dynamic
//! seam (honest proofs, flipped public values, flipped trace elements), and what a layered
//! model refuses by name.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use verinfer_ir::Model;
use verinfer_prove::{DynBackend, Statement, Vis, Visibility};
use verinfer_sumcheck::backend::{Sumcheck, NAME};
use verinfer_testing::proof::{Subject, SMALL_MLP};

verinfer_testing::proof_system_conformance!(Sumcheck::default(), SMALL_MLP);

/// The bundled digits MLP (`testdata/golden/v1/digits_mlp.vmodel`) and its trace on the
/// bundled digit, quantized at the input's scale.
fn digits_mlp() -> (verinfer_ir::Graph, Vec<Vec<i32>>) {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata");
    let g =
        verinfer_ir::vmodel::load(&std::path::Path::new(root).join("golden/v1/digits_mlp.vmodel"))
            .unwrap();
    let v: serde_json::Value = serde_json::from_slice(
        &std::fs::read(std::path::Path::new(root).join("models/digits_mlp/input.json")).unwrap(),
    )
    .unwrap();
    let scale = f64::from(g.inputs[0].info.scale.exponent()).exp2();
    let x: Vec<i32> = v["input_data"][0]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p.as_f64().unwrap() * scale).round() as i32)
        .collect();
    let trace = verinfer_ir::reference::run(&g, &[x]).unwrap();
    (g, trace)
}

const DIGEST: [Visibility; 1] = [Visibility {
    input: Vis::Public,
    params: Vis::Public,
    output: Vis::Public,
    statement: Statement::Digest,
}];

const DIGITS: Subject = Subject {
    model: digits_mlp,
    visibilities: &DIGEST,
};

#[test]
fn digits_mlp_honest_proofs_verify() {
    verinfer_testing::proof::honest_proofs_verify_of(&Sumcheck::default(), DIGITS);
}

#[test]
fn digits_mlp_flipped_public_rejected() {
    verinfer_testing::proof::flipped_public_rejected_of(&Sumcheck::default(), DIGITS);
}

#[test]
fn digits_mlp_flipped_witness_rejected() {
    verinfer_testing::proof::flipped_witness_rejected_of(&Sumcheck::default(), DIGITS);
}

#[test]
fn a_layered_model_names_its_first_unsupported_node() {
    let (mut g, _) = digits_mlp();
    // Node 3 (the second ReLU) becomes a Rescale, which has no layered argument yet.
    g.nodes[3].op = verinfer_ir::Op::Rescale(verinfer_ir::Requant::clamp_only(g.nodes[3].out.bits));
    g.nodes[3].inputs.truncate(1);
    let m = Model::new(g).unwrap();
    let e = DynBackend::supports(&Sumcheck::default(), &m, DIGEST[0]).unwrap_err();
    assert_eq!(e.backend, NAME);
    assert_eq!(e.node, Some(3), "{e}");
    assert!(e.reason.contains("Rescale"), "{e}");
}

#[test]
fn layered_keys_export_the_model_verifier() {
    let (g, _) = digits_mlp();
    let m = Model::new(g).unwrap();
    let b = Sumcheck::default();
    let keys = DynBackend::setup(&b, &m, DIGEST[0], &mut verinfer_prove::os_rng()).unwrap();
    let src = verinfer_prove::DynBackend::solidity_verifier(&b, &keys.verifying).unwrap();
    assert!(src.contains("contract ModelVerifier"), "{src}");
    assert!(src.contains("new ModelVerifier(verifierPlan())"), "{src}");
}

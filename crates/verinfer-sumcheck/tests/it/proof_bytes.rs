//! The prover's speed work must not move a byte: the proofs of the bundled MNIST CNN and
//! transformer block, from keys made by a seeded setup (insecure local SRS) and a fixed
//! context, hash to the values the prover gave before (`keccak256` of the proof bytes).
//!
//! A deliberate proof-format change (a new message, a reordered transcript) changes these
//! hashes too: check the change is the intended one and paste the new hashes (the failing
//! assertion's left side) here in the same commit.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ark_std::rand::{rngs::StdRng, SeedableRng};
use verinfer_ir::Model;
use verinfer_prove::{DynBackend, Statement, Vis, Visibility};
use verinfer_sumcheck::backend::Sumcheck;

const PUBLIC: Visibility = Visibility {
    input: Vis::Public,
    params: Vis::Public,
    output: Vis::Public,
    statement: Statement::Digest,
};

/// `keccak256` of the proof of the bundled model `name` (seeded keys, fixed context), hex.
fn proof_hash(name: &str) -> String {
    let (g, x) = verinfer_testing::models::bundled(name);
    let trace = verinfer_ir::reference::run(&g, &x).unwrap();
    let m = Model::new(g).unwrap();
    let b = Sumcheck::default();
    let keys = DynBackend::setup(&b, &m, PUBLIC, &mut StdRng::seed_from_u64(14)).unwrap();
    let ctx = verinfer_prove::Context::of_model(alloy_primitives::B256::repeat_byte(5));
    let p = DynBackend::prove(
        &b,
        &keys.proving,
        &m,
        PUBLIC,
        &ctx,
        trace,
        &mut StdRng::seed_from_u64(15),
    )
    .unwrap();
    DynBackend::verify(&b, &keys.verifying, &p.public, &p.proof).unwrap();
    let h = verinfer_sumcheck::transcript::keccak256(&p.proof);
    h.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn the_mnist_cnn_proof_bytes_are_unchanged() {
    assert_eq!(
        proof_hash("mnist_cnn"),
        "8f230dc53ed9ea9e4f458d12f34cce18abf6450ea159617b4006147cf01e43fd"
    );
}

#[test]
fn the_transformer_block_proof_bytes_are_unchanged() {
    assert_eq!(
        proof_hash("transformer_block"),
        "ccba925c93df596f21e6c9f388755671625697bbf7e26a2652ed79e50ed06811"
    );
}

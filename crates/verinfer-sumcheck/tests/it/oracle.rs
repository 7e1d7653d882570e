//! End to end through the seam: the oracle's `answerWithProof` accepts a sumcheck proof
//! through the backend's `IProofVerifier` adapter on revm, with no change to the oracle — the
//! same deployed `InferenceOracle`, published with `setZkVerifier` like Groth16's adapter.
//! Misbound (another answerer), lying (another output) and tampered proofs are refused.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::digits;
use crate::common::model;

use alloy_primitives::{Bytes, U256};
use model::*;
use verinfer_chain::bindings_oracle::InferenceOracle::InferenceOracleErrors as E;
use verinfer_chain::{Chain, Deployments, RevmChain};
use verinfer_ir::Model;
use verinfer_oracle::{model_id_of, CallbackOutcome, ChainDeployer, OracleError, ZkSettings};
use verinfer_prove::{os_rng, Context, DynBackend, Widths};
use verinfer_sumcheck::backend::Sumcheck;
use verinfer_testing::oracle::{
    consumer_outputs, deploy_consumer, deploy_stack, register_and_learn, Stack,
};

fn refused(r: Result<verinfer_oracle::Settlement, OracleError>) -> E {
    let e = r.unwrap_err();
    e.oracle_error()
        .cloned()
        .unwrap_or_else(|| panic!("not an oracle error: {e}"))
}

#[test]
fn the_oracle_accepts_a_sumcheck_proof_through_the_adapter() {
    let (g, inputs) = matmul_graph(33);
    answer_through_the_adapter(g, inputs, &format!("{DIMS:?} matmul"));
}

/// A layered model: the adapter wraps `ModelVerifier`, the oracle is the same.
#[test]
fn the_oracle_accepts_a_layered_digits_mlp_proof_through_the_adapter() {
    let (g, x) = digits::digits_graph();
    answer_through_the_adapter(g, vec![x], "digits MLP, layered");
}

#[allow(clippy::print_stdout)]
fn answer_through_the_adapter(g: verinfer_ir::Graph, inputs: Vec<Vec<i32>>, what: &str) {
    let mut chain = RevmChain::new().unwrap();
    let a = chain.accounts();
    let (owner, requester, node) = (a[0], a[1], a[2]);
    let gp = verinfer_testing::chain::game_params(600, 300);
    let Stack { c, oracle, .. } = deploy_stack(&mut chain, &mut Deployments::default(), owner, &gp);
    let consumer = deploy_consumer(&mut chain, owner);
    let id = register_and_learn(&mut chain, &c, owner, &g);
    let model = Model::new(g.clone()).unwrap();

    // Keys of the digest statement; the backend deploys its adapter; the owner publishes it.
    let b = Sumcheck::default();
    let vis = PUBLIC[0];
    let keys = DynBackend::setup(&b, &model, vis, &mut os_rng()).unwrap();
    let mut deployer = ChainDeployer::new(&mut chain, owner);
    let verifier = DynBackend::deploy_adapter(&b, &keys.verifying, &mut deployer).unwrap();
    for r in &deployer.receipts {
        println!("{}: {} gas", r.label, r.gas_used);
    }
    let w = Widths::of(&g);
    let cfg = ZkSettings {
        verifier,
        input_bits: u8::try_from(w.input).unwrap(),
        output_bits: u8::try_from(w.output).unwrap(),
        param_hash: None,
    };
    oracle
        .set_zk_verifier(&mut chain, owner, model_id_of(id), &cfg)
        .unwrap();

    // A request accepting zk answers under configuration 1.
    let fee = oracle.required_fee(&mut chain, 500_000).unwrap();
    let (req, _) = oracle
        .request(
            &mut chain,
            requester,
            model_id_of(id),
            &inputs,
            consumer,
            500_000,
            fee,
            1,
        )
        .unwrap();
    let trace = verinfer_ir::reference::run(&g, &inputs).unwrap();
    let outs = vec![trace.last().unwrap().clone()];
    let ctx = |answerer| Context {
        model_id: id,
        chain_id: U256::from(chain.chain_id()),
        contract: oracle.address,
        tag: U256::from(req),
        answerer,
    };
    let (for_node, for_owner) = (ctx(node), ctx(owner));
    let prove = |ctx: &Context| {
        let p = DynBackend::prove(
            &b,
            &keys.proving,
            &model,
            vis,
            ctx,
            trace.clone(),
            &mut os_rng(),
        )
        .unwrap();
        let st = p.public.digest().unwrap();
        (
            Bytes::from(DynBackend::proof_calldata(&b, &p.proof).unwrap()),
            st,
        )
    };
    let (proof, st) = prove(&for_node);
    // The oracle computes the statement the prover proved.
    let on_chain = oracle
        .zk_statement(
            &mut chain,
            model_id_of(id),
            1,
            oracle.address,
            U256::from(req),
            node,
            &inputs,
            &outs,
        )
        .unwrap();
    assert_eq!(on_chain, st);

    // Misbound: the owner's proof sent by the node, the node's proof sent by the owner.
    let (owners, _) = prove(&for_owner);
    assert!(matches!(
        refused(oracle.answer_with_proof(&mut chain, node, req, &outs, owners)),
        E::InvalidProof(_)
    ));
    assert!(matches!(
        refused(oracle.answer_with_proof(&mut chain, owner, req, &outs, proof.clone())),
        E::InvalidProof(_)
    ));
    // A lie about the output, with the honest proof.
    let mut lie = outs.clone();
    lie[0][0] ^= 1;
    assert!(matches!(
        refused(oracle.answer_with_proof(&mut chain, node, req, &lie, proof.clone())),
        E::InvalidProof(_)
    ));
    // A tampered word of the node proof.
    let mut bad = proof.to_vec();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    assert!(matches!(
        refused(oracle.answer_with_proof(&mut chain, node, req, &outs, Bytes::from(bad))),
        E::InvalidProof(_)
    ));

    // The honest answer settles at once, delivered to the consumer.
    let s = oracle
        .answer_with_proof(&mut chain, node, req, &outs, proof)
        .unwrap();
    println!(
        "answerWithProof (sumcheck, {what}): {} gas",
        s.receipt.gas_used
    );
    assert_eq!(s.answerer, node);
    assert_eq!(s.callback, CallbackOutcome::Delivered);
    assert!(oracle.get_request(&mut chain, req).unwrap().viaProof);
    assert_eq!(consumer_outputs(&mut chain, owner, consumer), outs);
}

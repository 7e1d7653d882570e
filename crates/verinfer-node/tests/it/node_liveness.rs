//! The node's liveness and robustness against the chain it reads: a provider that caps log
//! queries and a contract padded with spam logs, the answering policy (fee and gas price), a
//! transport failure in the middle of a zk answer. Driven tick by tick on the in-process chain
//! through [`Edge`], a chain in front of it that behaves like a capped, priced, flaky RPC
//! endpoint.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

use crate::common;
use common::*;
use verinfer_chain::{Chain, ChainError, U256};
use verinfer_node::state::RequestState;
use verinfer_node::{Mode, Node, NodeError, Policy};
use verinfer_oracle::RequestStatus;

fn node_with(env: &mut Env, name: &str, f: impl FnOnce(&mut verinfer_node::NodeConfig)) -> Node {
    env.node(env.honest, name, f)
}

/// A contract log padded with hundreds of `ModelLearned` events (anyone may call `learnModel`
/// again for a registered model) behind a provider that refuses more than 4 blocks per query:
/// the node still answers, narrows its queries after a few refusals (never an unbounded
/// one), and later ticks read from the recent blocks, not from block 0.
#[test]
fn attack_log_spam_behind_a_capped_provider() {
    let mut env = env("spam");
    let g = &mlp().0;
    let m = verinfer_commit::ModelCommitment::new(g);
    let opening = verinfer_opml::facts::model_opening(g, &m).unwrap();
    let (model, owner) = (env.model, env.owner);
    // One spam event: the model learned again.
    let learn_again = |env: &mut Env| {
        env.c
            .game
            .learn_model(&mut env.chain, owner, model, opening.clone())
            .unwrap();
    };
    for _ in 0..20 {
        learn_again(&mut env);
        env.chain.advance_time(1).unwrap();
    }
    let mut node = node_with(&mut env, "node", |c| c.log_range = 1_000);
    for _ in 0..100 {
        learn_again(&mut env);
    }
    env.chain.advance_time(1).unwrap();
    let req = env.request(&mlp().1);
    let mut edge = Edge::new(&mut env.chain);
    edge.max_range = 4;
    let r = node.tick(&mut edge).unwrap();
    assert_eq!(
        r.transactions, 1,
        "claimed and answered (one claimAndCall) despite the cap"
    );
    let after_first = edge.queries.len();
    assert!(
        edge.queries.iter().all(|(f, t)| t - f < 1_000),
        "{:?}",
        edge.queries
    );
    let refused = edge.queries.iter().filter(|(f, t)| t - f + 1 > 4).count();
    assert!(refused <= 20, "{refused} refusals: {:?}", edge.queries);
    let claim_block = node.state().claims.values().next().unwrap().block;
    assert!(claim_block > 100, "the claim is after the spam");
    // The next tick reads only recent blocks: none from before the claim.
    edge.advance_time(1).unwrap();
    node.tick(&mut edge).unwrap();
    assert!(
        edge.queries[after_first..]
            .iter()
            .all(|(f, _)| *f >= claim_block),
        "re-read old blocks: {:?} (claim at {claim_block})",
        &edge.queries[after_first..]
    );
    println!(
        "log queries: first tick {after_first}, second tick {}",
        edge.queries.len() - after_first
    );
    drop(edge);
    assert_eq!(env.request_status(req), RequestStatus::Claimed);
}

/// The policy: a fee under the minimum is not answered; a fee whose share does not cover the
/// answer's and the callback's gas at the current price is not answered, and is once the
/// price falls. The reason is kept on the request.
#[test]
fn unprofitable_requests_are_skipped_with_a_reason_until_they_pay() {
    let mut env = env("policy");
    let input = mlp().1.clone();
    let req = env.request(&input);
    // The fee is 0.01 ETH, 10 % to the owner: 9e15 wei to the answerer.
    let mut strict = node_with(&mut env, "strict", |c| {
        c.policy = Policy {
            min_fee: U256::from(2u64) * U256::from(10u64).pow(U256::from(16u64)),
            ..Policy::default()
        };
    });
    assert_eq!(env.tick(&mut strict).transactions, 0);
    let note = strict.state().requests[&req].answers.note.clone().unwrap();
    assert!(note.contains("minimum"), "{note}");
    assert_eq!(strict.state().requests[&req].state, RequestState::Todo);
    drop(strict);

    let mut node = node_with(&mut env, "node", |_| {});
    let gwei = 1_000_000_000u128;
    let mut edge = Edge::new(&mut env.chain);
    // (900k + 500k callback) gas × 10 gwei × 1.2 = 1.68e16 > 9e15: a loss.
    edge.gas_price = 10 * gwei;
    assert_eq!(node.tick(&mut edge).unwrap().transactions, 0);
    let note = node.state().requests[&req].answers.note.clone().unwrap();
    assert!(
        note.contains("unprofitable") && note.contains("callback"),
        "{note}"
    );
    // At 1 gwei it pays.
    edge.gas_price = gwei;
    // One transaction: the claim that answers (`claimAndCall`).
    assert_eq!(node.tick(&mut edge).unwrap().transactions, 1);
    drop(edge);
    assert_eq!(env.request_status(req), RequestStatus::Claimed);
}

/// A connection dropped during a zk answer (the free verifier call before sending the proof)
/// is a transport failure: the tick fails and is retried, and the request is then answered
/// with a proof — not downgraded at once to an optimistic claim.
#[test]
fn a_transient_rpc_failure_during_a_zk_answer_is_retried_not_downgraded() {
    let mut env = env("zk-flaky");
    let verifier = env.publish_dev_zk();
    let req = env.request_zk(&mlp().1, 1);
    let mut node = node_with(&mut env, "node", mode(Mode::Zk));
    let mut edge = Edge::new(&mut env.chain);
    edge.fail_calls_to = Some(verifier);
    edge.fail_calls = 1;
    let e = node.tick(&mut edge).unwrap_err();
    assert!(
        matches!(e, NodeError::Chain(ChainError::Rpc { .. })),
        "a transport failure, retried: {e}"
    );
    node.tick(&mut edge).unwrap();
    drop(edge);
    assert_eq!(env.request_status(req), RequestStatus::Fulfilled);
    assert!(
        env.oracle
            .get_request(&mut env.chain, verinfer_oracle::RequestId::new(req))
            .unwrap()
            .viaProof,
        "answered with a proof, not downgraded"
    );
    assert!(node.state().claims.is_empty(), "no claim was posted");
}

/// With `confirmations = 3` a wrong claim is not challenged while it sits in the last three
/// blocks (a reorganisation could still remove it), and is once it is buried deep enough.
#[test]
fn claims_are_acted_on_only_after_their_confirmations() {
    use verinfer_opml::{lying_execution, Submitter, SubmitterStrategy, TraceLie};

    let mut env = env("confirmations");
    let (g, input) = mlp().clone();
    let mut node = node_with(&mut env, "node", |c| c.confirmations = 3);
    let lie = TraceLie {
        node: 1,
        element: 2,
        delta: 3,
        propagate: true,
    };
    let mut s = Submitter::new(
        lying_execution(g, &input, lie).unwrap(),
        env.liar,
        SubmitterStrategy::Silent,
    );
    s.publish_inputs = true;
    let (claim, r) = s.claim(&mut env.chain, &env.c.game, &env.cfg).unwrap();
    let mut waited = 0;
    while env.chain.block().unwrap().number < r.block_number + 3 {
        let head = env.chain.block().unwrap().number;
        assert_eq!(
            env.tick(&mut node).transactions,
            0,
            "not confirmed yet: claim at {}, head {head}",
            r.block_number
        );
        assert!(!node.state().checked.contains_key(&claim));
        env.chain.advance_time(1).unwrap();
        waited += 1;
    }
    assert!(waited >= 2, "{waited}");
    assert_eq!(
        env.tick(&mut node).transactions,
        1,
        "challenged once confirmed"
    );
    assert!(node.state().checked[&claim].check.game.is_some());
}

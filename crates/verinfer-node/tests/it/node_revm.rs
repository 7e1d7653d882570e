//! The node on the in-process chain, tick by tick: an honest optimistic answer settles after
//! its window; a lying node is challenged by an honest one, loses, and the request (still
//! Claimed) is answered honestly; zk answers settle at once; a node dropped mid-game and rebuilt from
//! its state directory finishes and wins; malformed requests are skipped; a chain that went
//! backwards halts the node; a flaky endpoint does not stop it; the HTTP API serves the status.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

use crate::common;
use std::io::{Read, Write};
use std::time::Duration;

use common::*;
use verinfer_chain::{Address, Chain, RevmChain, U256};
use verinfer_node::state::{GameStanding, OwnClaimStatus, RequestState, Verdict};
use verinfer_node::{run, Mode, Node, NodeError, RunOptions, SharedStatus};
use verinfer_opml::{ClaimStatus, Phase};
use verinfer_oracle::RequestStatus;

/// A fresh environment (`name` names its directory), an honest node on it and the sample
/// input.
fn honest_node(name: &str) -> (Env, Node, Vec<Vec<i32>>) {
    let mut env = env(name);
    let node = env.node(env.honest, "node", honest);
    (env, node, mlp().1.clone())
}

fn fulfilled(env: &mut Env, req: u64) -> bool {
    env.request_status(req) == RequestStatus::Fulfilled
}

#[test]
fn honest_node_answers_and_settles_after_the_window() {
    let (mut env, mut node, input) = honest_node("honest");
    let req = env.request(&input);
    let r = env.tick(&mut node);
    assert_eq!(
        r.transactions, 1,
        "one claim answering the request (claimAndCall)"
    );
    assert_eq!(env.request_status(req), RequestStatus::Claimed);
    let (&claim, c) = node.state().claims.iter().next().unwrap();
    assert_eq!(c.status, OwnClaimStatus::Pending);
    assert!(c.requests.contains(&req));
    assert!(c.trace_file.exists(), "the trace is kept");
    // Nothing to do inside the window.
    assert_eq!(env.tick(&mut node).transactions, 0);
    env.chain.advance_time(env.cfg.window + 1).unwrap();
    // Finalize, settle, withdraw the bond and the fee.
    let r = env.tick(&mut node);
    assert!(r.transactions >= 3, "{r:?}");
    assert!(fulfilled(&mut env, req));
    assert_eq!(env.consumer_outputs(), honest_outputs(&input));
    assert_eq!(env.consumer_calls(), U256::from(1));
    let c = &node.state().claims[&claim];
    assert_eq!(c.status, OwnClaimStatus::Finalized);
    assert!(c.settled.contains(&req));
    assert_eq!(
        node.state().requests[&req].state,
        RequestState::Fulfilled {
            via_proof: false,
            ours: true
        }
    );
    let me = env.honest;
    assert_eq!(env.oracle.owed(&mut env.chain, me).unwrap(), U256::ZERO);
    assert_eq!(env.c.game.owed(&mut env.chain, me).unwrap(), U256::ZERO);
    // The status snapshot says the same.
    let s = node.status(Some(&mut env.chain));
    assert_eq!(s.claims.len(), 1);
    assert_eq!(s.claims[0].status, "finalized");
    assert_eq!(s.requests[0].state, "fulfilled");
    assert!(s.gas_used > 0);
    println!(
        "GAS honest optimistic request: {} transactions, {} gas",
        s.transactions, s.gas_used
    );
}

/// Runs the liar-vs-honest scenario; `restart` drops the honest node after its game opened
/// and a few moves, and rebuilds it from its state directory.
fn liar_against_honest(name: &str, restart: bool) {
    let mut env = env(name);
    let input = mlp().1.clone();
    let mut liar = env.node(env.liar, "liar", lying);
    let mut node = env.node(env.honest, "honest", honest);
    let req = env.request(&input);

    // The liar answers first (one claimAndCall).
    assert_eq!(env.tick(&mut liar).transactions, 1);
    let (&bad_claim, c) = liar.state().claims.iter().next().unwrap();
    assert!(c.lie);
    // The honest node finds the claim wrong (its input is the request's: none was posted)
    // and opens a game.
    env.tick(&mut node);
    let checked = &node.state().checked[&bad_claim];
    assert_eq!(checked.check.verdict, Verdict::Wrong);
    assert_eq!(checked.input_request, Some(req));
    let game = checked.check.game.expect("a game");
    assert!(node.state().games.contains_key(&game));

    if restart {
        // A few moves, then the honest node "crashes" (dropped without any shutdown) and is
        // rebuilt from its state directory alone.
        for _ in 0..2 {
            env.tick(&mut liar);
            env.tick(&mut node);
        }
        let g = node.state().games[&game];
        assert!(!g.is_over(), "still in play ({:?})", g.standing);
        drop(node);
        node = env.node(env.honest, "honest", honest);
        assert!(node.state().games.contains_key(&game));
    }
    env.quiesce(&mut [&mut liar, &mut node]);
    let g = &node.state().games[&game];
    assert_eq!(g.standing, GameStanding::Over(Phase::ChallengerWon));
    assert_eq!(
        env.c.game.status(&mut env.chain, bad_claim).unwrap(),
        ClaimStatus::Rejected
    );
    assert_eq!(
        liar.state().claims[&bad_claim].status,
        OwnClaimStatus::Rejected
    );
    // The request was answered honestly too, as a further answer while Claimed (the liar lies
    // once per request).
    let good_claim = node
        .state()
        .claims
        .keys()
        .copied()
        .next()
        .expect("the honest answer");
    assert_eq!(
        env.oracle
            .claims_of(&mut env.chain, verinfer_oracle::RequestId::new(req))
            .unwrap(),
        vec![bad_claim, good_claim]
    );
    env.chain.advance_time(env.cfg.window + 1).unwrap();
    env.quiesce(&mut [&mut liar, &mut node]);
    assert!(fulfilled(&mut env, req));
    assert_eq!(env.consumer_outputs(), honest_outputs(&input));
    // The honest node won the liar's bond (less the burn) and withdrew everything.
    let me = env.honest;
    assert_eq!(env.c.game.owed(&mut env.chain, me).unwrap(), U256::ZERO);
    assert_eq!(env.oracle.owed(&mut env.chain, me).unwrap(), U256::ZERO);
    let s = node.status(Some(&mut env.chain));
    println!(
        "GAS honest node, lie challenged and request answered{}: {} transactions, {} gas",
        if restart { " (restarted mid-game)" } else { "" },
        s.transactions,
        s.gas_used
    );
}

#[test]
fn lying_node_is_challenged_and_the_honest_answer_settles() {
    liar_against_honest("liar", false);
}

#[test]
fn honest_node_restarted_mid_game_finishes_and_wins() {
    liar_against_honest("restart", true);
}

#[test]
fn a_crash_between_claim_and_record_is_reconciled_from_the_logs() {
    let (mut env, mut node, input) = honest_node("crash");
    let req = env.request(&input);
    env.tick(&mut node);
    let (&claim, _) = node.state().claims.iter().next().unwrap();
    // Simulate a crash right after the claim and answer transactions: the saved state knows
    // neither (the logs are read again from the block before them), only the intent.
    let dir = node.config().state_dir.clone();
    let mut s = node.state().clone();
    drop(node);
    let c = s.claims.remove(&claim).unwrap();
    s.intents.push(verinfer_node::state::ClaimIntent {
        model: c.model,
        trace_root: c.trace_root,
        trace_file: c.trace_file.clone(),
        request: req,
        lie: false,
    });
    s.requests.clear();
    s.claim_requests.clear();
    s.next_block = 0;
    s.save(&dir).unwrap();
    let mut node = env.node(env.honest, "node", honest);
    assert_eq!(env.tick(&mut node).transactions, 0, "nothing is sent twice");
    let c = &node.state().claims[&claim];
    assert!(c.requests.contains(&req));
    assert!(node.state().intents.is_empty());
    env.chain.advance_time(env.cfg.window + 1).unwrap();
    env.tick(&mut node);
    assert!(fulfilled(&mut env, req));
    assert_eq!(node.state().claims.len(), 1);
}

#[test]
fn zk_node_answers_with_a_proof_at_once() {
    let mut env = env("zk");
    let input = mlp().1.clone();
    // A request that pins no zk configuration: answered optimistically.
    let early = env.request(&input);
    env.publish_dev_zk();
    // A request pinning the configuration: answered with a proof.
    let req = env.request_zk(&input, 1);
    // A request made after it that does not accept zk answers: a claim.
    let opt_in_only = env.request(&input);
    let mut node = env.node(env.honest, "node", mode(Mode::Zk));
    assert!(node.status(None).models[0].zk);
    env.tick(&mut node);
    assert!(
        fulfilled(&mut env, req),
        "the proven request is final at once"
    );
    assert_eq!(
        node.state().requests[&req].state,
        RequestState::Fulfilled {
            via_proof: true,
            ours: true
        }
    );
    assert!(
        env.oracle
            .get_request(&mut env.chain, verinfer_oracle::RequestId::new(req))
            .unwrap()
            .viaProof
    );
    assert_eq!(env.consumer_outputs(), honest_outputs(&input));
    assert_eq!(
        env.request_status(early),
        RequestStatus::Claimed,
        "the early request predates the verifier: a claim"
    );
    assert_eq!(
        env.request_status(opt_in_only),
        RequestStatus::Claimed,
        "a request pinning no zk configuration: a claim"
    );
    let s = node.status(Some(&mut env.chain));
    println!(
        "GAS zk node: {} transactions (proof + claim + answer), {} gas",
        s.transactions, s.gas_used
    );
}

#[test]
fn malformed_and_foreign_requests_are_skipped_without_stopping_the_node() {
    let (mut env, mut node, input) = honest_node("malformed");
    // One element short: the oracle itself refuses it now (the game's input rule), so no
    // node ever sees it.
    let mut short = input.clone();
    short[0].pop();
    let (fee, requester, consumer, model) =
        (env.params.fee, env.requester, env.consumer, env.model);
    // A request of `input` on `model` by the requester, calling back `to` with `gas`.
    let request = |env: &mut Env, model, input: &[Vec<i32>], to, gas| {
        let model = verinfer_oracle::model_id_of(model);
        env.oracle
            .request(&mut env.chain, requester, model, input, to, gas, fee, 0)
    };
    let err = request(&mut env, model, &short, consumer, CALLBACK_GAS).unwrap_err();
    assert!(
        matches!(
            err.oracle_error(),
            Some(verinfer_chain::bindings_oracle::InferenceOracle::InferenceOracleErrors::InvalidInput(_))
        ),
        "{err:?}"
    );
    // A model nobody here holds (registered and learned, so the oracle takes the request):
    // the digits MLP with one weight changed.
    let g2 = verinfer_testing::models::other_mlp();
    let other = verinfer_node::model_id_of(&g2);
    let owner = env.owner;
    env.c
        .registry
        .register(&mut env.chain, owner, other, "test://other")
        .unwrap();
    let m2 = verinfer_commit::ModelCommitment::new(&g2);
    env.c
        .game
        .learn_model(
            &mut env.chain,
            owner,
            other,
            verinfer_opml::facts::model_opening(&g2, &m2).unwrap(),
        )
        .unwrap();
    let _unserved = request(&mut env, other, &input, Address::ZERO, 0).unwrap();
    let good = env.request(&input);
    env.tick(&mut node);
    assert_eq!(
        node.state().requests.len(),
        1,
        "the foreign request is not ours"
    );
    assert!(matches!(
        node.state().requests[&good].state,
        RequestState::Claimed { ours: true, .. }
    ));
    // A claim on a model nobody here holds is not checked either.
    assert!(node.state().checked.is_empty());
    env.chain.advance_time(env.cfg.window + 1).unwrap();
    env.tick(&mut node);
    assert!(fulfilled(&mut env, good));
}

#[test]
fn a_chain_that_went_backwards_halts_the_node_and_keeps_its_state() {
    let (mut env, mut node, input) = honest_node("backwards");
    env.request(&input);
    env.tick(&mut node);
    // A shallow reorganisation (the head seen 3 blocks lower): logs are read again, nothing
    // is sent twice, the node goes on.
    let claims = node.state().claims.clone();
    let r = node
        .tick(&mut Edge {
            lag: 3,
            ..Edge::new(&mut env.chain)
        })
        .unwrap();
    assert_eq!(r.transactions, 0);
    assert!(node.state().halted.is_none());
    assert_eq!(node.state().claims, claims);
    env.tick(&mut node);
    let before = node.state().clone();
    // A fresh chain (what a restarted anvil is): its block number is below the last seen.
    let mut fresh = RevmChain::new().unwrap();
    assert!(fresh.block().unwrap().number < before.last_head);
    match node.tick(&mut fresh) {
        Err(NodeError::Halted(why)) => assert!(why.contains("backwards"), "{why}"),
        other => panic!("expected a halt, got {other:?}"),
    }
    let s = node.status(None);
    assert!(s.halted.is_some());
    // The state is kept (only the halt is recorded), and a restart stays halted.
    let on_disk = verinfer_node::NodeState::load(&node.config().state_dir)
        .unwrap()
        .unwrap();
    assert_eq!(on_disk.claims, before.claims);
    assert!(on_disk.halted.is_some());
    assert!(matches!(
        node.tick(&mut env.chain),
        Err(NodeError::Halted(_))
    ));
    // A halt is permanent: the run loop publishes it and stops at once instead of retrying
    // it (the transient counterpart is `an_unreachable_endpoint_is_retried_...`).
    let ticks = node.status(None).ticks;
    let status = SharedStatus::default();
    let opts = RunOptions {
        poll: Duration::from_millis(1),
        max_backoff: Duration::from_millis(1),
        max_ticks: Some(1_000),
    };
    let e = run(&mut node, &mut env.chain, &opts, Some(&status)).unwrap_err();
    assert!(
        matches!(e, NodeError::Halted(_)) && !e.is_transient(),
        "{e}"
    );
    assert_eq!(node.status(None).ticks, ticks + 1, "one tick, no retries");
    let published = status.get();
    assert!(published.halted.is_some());
    assert!(published.last_error.is_some_and(|m| m.contains("halted")));
}

#[test]
fn an_unreachable_endpoint_is_retried_and_the_status_is_served() {
    let (mut env, mut node, input) = honest_node("flaky");
    let req = env.request(&input);
    let status = SharedStatus::default();
    let addr = verinfer_node::serve("127.0.0.1:0".parse().unwrap(), status.clone()).unwrap();
    let opts = RunOptions {
        poll: Duration::from_millis(1),
        max_backoff: Duration::from_millis(20),
        max_ticks: Some(12),
    };
    {
        let mut flaky = Edge {
            fail: 5,
            ..Edge::new(&mut env.chain)
        };
        run(&mut node, &mut flaky, &opts, Some(&status)).unwrap();
    }
    assert_eq!(
        env.request_status(req),
        RequestStatus::Claimed,
        "answered once the endpoint came back"
    );
    assert!(node.state().claims.len() == 1, "and only once");
    let s = status.get();
    assert!(s.last_error.is_none());
    assert_eq!(s.requests.len(), 1);

    let get = |path: &str| -> String {
        let mut c = std::net::TcpStream::connect(addr).unwrap();
        c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        write!(
            c,
            "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut out = String::new();
        c.read_to_string(&mut out).unwrap();
        out
    };
    let json = get("/status");
    assert!(json.starts_with("HTTP/1.1 200"), "{json}");
    let body = &json[json.find("\r\n\r\n").unwrap() + 4..];
    let v: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(
        v["address"].as_str().unwrap().to_lowercase(),
        env.honest.to_string().to_lowercase()
    );
    assert_eq!(v["claims"][0]["status"], "pending");
    assert_eq!(v["requests"][0]["state"], "claimed");
    assert_eq!(v["chain_id"], 31337);
    let html = get("/");
    assert!(html.starts_with("HTTP/1.1 200"), "{html}");
    assert!(html.contains("<html>") && html.contains("http-equiv=refresh"));
    assert!(html.contains(&env.honest.to_string()));
    assert!(!html.contains("src=\"http"), "no external assets");
}

#[test]
fn claims_outside_the_oracle_are_checked_from_their_posted_inputs() {
    use verinfer_opml::{lying_execution, Execution, Submitter, SubmitterStrategy, TraceLie};

    let mut env = env("outside");
    let (g, input) = mlp().clone();
    let mut node = env.node(env.honest, "node", honest);
    let someone = env.requester;
    let post = |env: &mut Env, exec: Execution, publish: bool| -> u64 {
        let mut s = Submitter::new(exec, someone, SubmitterStrategy::Silent);
        s.publish_inputs = publish;
        s.claim(&mut env.chain, &env.c.game, &env.cfg).unwrap().0
    };
    // A correct claim with its input posted, a wrong one with its input posted, and a claim
    // whose input is nowhere (no data posted, no request with its roots).
    let right = post(&mut env, Execution::run(g.clone(), &input).unwrap(), true);
    let lie = TraceLie {
        node: 1,
        element: 2,
        delta: 3,
        propagate: true,
    };
    let wrong = post(
        &mut env,
        lying_execution(g.clone(), &input, lie).unwrap(),
        true,
    );
    let mut other = input.clone();
    other[0][0] += 1;
    let unknown = post(&mut env, Execution::run(g.clone(), &other).unwrap(), false);
    env.tick(&mut node);
    let st = node.state();
    assert_eq!(st.checked[&right].check.verdict, Verdict::Correct);
    assert_eq!(st.checked[&wrong].check.verdict, Verdict::Wrong);
    assert_eq!(st.checked[&unknown].check.verdict, Verdict::AwaitingInput);
    let game = st.checked[&wrong]
        .check
        .game
        .expect("a game against the wrong claim");
    assert!(st.checked[&right].check.game.is_none());
    // The submitter never answers: the honest challenger wins on time.
    env.quiesce(&mut [&mut node]);
    assert_eq!(
        node.state().games[&game].standing,
        GameStanding::Over(Phase::ChallengerWon)
    );
    assert_eq!(
        env.c.game.status(&mut env.chain, wrong).unwrap(),
        ClaimStatus::Rejected
    );
    // A request with the unknown claim's input makes it checkable: it is correct.
    env.request(&other);
    env.tick(&mut node);
    assert_eq!(
        node.state().checked[&unknown].check.verdict,
        Verdict::Correct
    );
}

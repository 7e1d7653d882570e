//! `verinfer node` end to end on a real anvil (a block every second): an honest node and a
//! lying node run as two processes; a request is answered first by the liar; the honest node
//! challenges; the honest node is KILLED mid-game and restarted from its state directory; it
//! still wins, the request (still Claimed) is answered honestly, and the requester's callback
//! contract receives the honest output. Also: the flags a node refuses.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

use crate::common;
use std::time::Duration;

use common::anvil::{
    free_port, http_get, model_path, sample_input, status, wait_for, AnvilEnv, HONEST_KEY, LIAR_KEY,
};
use common::{s, stderr, tmpdir, verinfer};
use verinfer_opml::{ClaimStatus, Phase};

#[test]
fn two_node_processes_on_anvil_liar_loses_to_a_restarted_honest_node() {
    // Registry, step verifier, game (15 s window, 60 s clocks), oracle, consumer; the model
    // registered and taught. Recorded in the deployments file the nodes read.
    let mut env = AnvilEnv::deploy("node-e2e");
    env.register_and_learn();
    let input = sample_input();
    let honest_outputs = env.honest_outputs(&input);
    let (consumer, game_c, oracle) = (env.consumer, env.c.game, env.oracle);

    let mut liar = env.start_node("liar", LIAR_KEY, &["--lie"]);
    // The honest node lets a request sit 8 s (chain time) before answering: the liar, which
    // answers at once, goes first — deterministically, at a block a second.
    let honest_args = |port: u16| {
        [
            "--answer-delay-secs".to_string(),
            "8".into(),
            "--serve".into(),
            format!("127.0.0.1:{port}"),
        ]
    };
    let port = free_port();
    let a = honest_args(port);
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let mut honest_node = env.start_node("honest", HONEST_KEY, &a);
    wait_for(30, "the honest node's /status", || status(port));

    // The request, with the consumer harness as callback.
    let req = env.request(&input, consumer, 0);
    println!("request {req} at {:?}", env.elapsed());

    // The liar answers; the honest node opens a game against its claim.
    let game: u64 = wait_for(40, "the honest node's game", || {
        liar.assert_running();
        honest_node.assert_running();
        let s = status(port)?;
        s["games"].as_array()?.first()?["game"].as_u64()
    });
    // Let both sides make a few moves first, so the restarted node resumes a game it was
    // in the middle of (moves arrive about one a second).
    let g = wait_for(30, "three moves", || {
        let g = game_c.game(&mut env.chain, game).ok()?;
        (g.moves >= 3 || Phase::from_u8(g.phase).ok()?.is_over()).then_some(g)
    });
    let phase = Phase::from_u8(g.phase).unwrap();
    assert!(!phase.is_over(), "the game is still in play ({phase:?})");
    let bad_claim = u64::try_from(g.claimId).unwrap();
    println!(
        "game {game} on claim {bad_claim} opened at {:?}; killing the honest node ({phase:?}, {} moves)",
        env.elapsed(),
        g.moves
    );
    honest_node.kill();
    std::thread::sleep(Duration::from_secs(2));
    let port = free_port();
    let a = honest_args(port);
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let mut honest_node = env.start_node("honest", HONEST_KEY, &a);

    // The restarted node finishes the game, answers the request honestly (a further answer
    // while it is Claimed), and the consumer gets the honest output once the honest claim's window has passed.
    wait_for(90, "the consumer's callback", || {
        liar.assert_running();
        honest_node.assert_running();
        (env.consumer_calls(consumer) > verinfer_chain::U256::ZERO).then_some(())
    });
    assert_eq!(
        env.consumer_received(consumer),
        honest_outputs,
        "the requester got the honest output"
    );
    let g = game_c.game(&mut env.chain, game).unwrap();
    assert_eq!(Phase::from_u8(g.phase).unwrap(), Phase::ChallengerWon);
    assert_eq!(
        game_c.status(&mut env.chain, bad_claim).unwrap(),
        ClaimStatus::Rejected
    );
    assert_eq!(env.rejected_lie_then_honest(req), bad_claim);
    let info = oracle
        .get_request(&mut env.chain, verinfer_oracle::RequestId::new(req))
        .unwrap();
    assert_eq!(info.answerer, env.who.honest, "the honest node was paid");
    let s = wait_for(20, "the honest node's status", || status(port));
    assert_eq!(s["games"][0]["phase"], "ChallengerWon", "{s}");
    let html = http_get(port, "/").unwrap();
    assert!(html.contains("ChallengerWon"), "{html}");
    println!(
        "honest node: {} transactions, {} gas; done at {:?}",
        s["transactions"],
        s["gas_used"],
        env.elapsed()
    );
    liar.kill();
    honest_node.kill();
    let log = std::fs::read_to_string(env.dir.join("honest.log")).unwrap();
    assert!(
        log.contains("challenger rebuilt"),
        "the restart rebuilt the game"
    );
}

#[test]
fn node_flags_it_refuses() {
    let dir = tmpdir("node-flags");
    let models = dir.join("models");
    std::fs::create_dir_all(&models).unwrap();
    // No --rpc-url: a node needs a shared chain.
    let o = verinfer(&["node", "--models", models.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("--rpc-url"), "{}", stderr(&o));
    // In process (hidden test flag) with an empty models directory.
    let o = verinfer(&["node", "--in-process", "--models", models.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("no loadable"), "{}", stderr(&o));
    // A model, but no oracle recorded: the error names what is missing.
    std::fs::copy(model_path(), models.join("digits_mlp.vmodel")).unwrap();
    let o = verinfer(&[
        "node",
        "--in-process",
        "--models",
        s(&models),
        "--state",
        dir.join("chain.json").to_str().unwrap(),
    ]);
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(
        e.contains("no InferenceOracle recorded") && e.contains("verinfer oracle deploy"),
        "{e}"
    );
}

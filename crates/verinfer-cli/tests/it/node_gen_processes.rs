//! Generation disputes end to end with two `verinfer node` processes on a real anvil (a block
//! a second): the generation stack deployed and the tiny LLaMA registered by the CLI (`oracle
//! text-request`, which also makes the request), a lying node (`--lie`: a wrong token) that
//! answers first, an honest node that challenges it and answers honestly; the outcome read
//! back through the CLI (`oracle text-status`, `game status --generation`): the lie rejected,
//! the honest claim final, the consumer called back with the honest tokens, the liar's bond
//! paid to the honest node. The same with a sampled request (`--seed`, on the tiny LLaMA
//! compiled with `--sampling`): the nodes generate, claim (`claimSampled`) and dispute with
//! the request's seed and temperature, and the consumer gets the honest sampled tokens. In the
//! greedy run the honest node is killed (SIGKILL) in the middle of its game and restarted on
//! its state directory: it plays on from the chain and still wins.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

use crate::common;
use std::sync::Arc;

use alloy_sol_types::SolCall;
use verinfer_chain::{Address, Chain, DEV_PRIVATE_KEYS, U256};
use verinfer_llm::noise::Sampling;
use verinfer_opml::generation::{GenClient, GenExecution, GenModel, GenPhase};
use verinfer_oracle::bindings_text::GenerationConsumerHarness as Consumer;
use verinfer_oracle::TextOracleClient;

use common::anvil::{wait_for, AnvilEnv, HONEST_KEY, LIAR_KEY};
use common::{s, testdata};

const PROMPT: [u32; 4] = [1, 5, 9, 13];
const NEW_TOKENS: usize = 8;
/// The generation games' window and clocks, seconds: a generation game needs window >=
/// clock, and a node moves within a block or two (a block a second), far inside a clock.
const WINDOW: u64 = 30;
const CLOCK: u64 = 30;

fn ok(env: &mut AnvilEnv, args: &[&str], key: &str) -> String {
    let o = env.cli(args, key);
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "{args:?}: {err}");
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn json(env: &mut AnvilEnv, args: &[&str]) -> serde_json::Value {
    let out = ok(env, args, DEV_PRIVATE_KEYS[0]);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}: {out}"))
}

/// The consumer's call count and the last tokens it received.
fn received(chain: &mut dyn Chain, from: Address, consumer: Address) -> (U256, Vec<i32>) {
    let calls = chain
        .call(from, consumer, Consumer::callsCall {}.abi_encode().into())
        .unwrap();
    let toks = chain
        .call(
            from,
            consumer,
            Consumer::receivedCall {}.abi_encode().into(),
        )
        .unwrap();
    (
        Consumer::callsCall::abi_decode_returns(&calls).unwrap(),
        Consumer::receivedCall::abi_decode_returns(&toks).unwrap(),
    )
}

/// The generation game, its single-step game, the text oracle.
type Gen = (GenClient, verinfer_opml::GameClient, TextOracleClient);

/// Balance plus what every contract of the generation stack owes `who`.
fn worth(env: &mut AnvilEnv, (game, steps, text): Gen, who: Address) -> U256 {
    let chain = &mut env.chain;
    chain.balance(who).unwrap()
        + steps.owed(chain, who).unwrap()
        + game.owed(chain, who).unwrap()
        + text.owed(chain, who).unwrap()
}

/// The sampled request's seed and temperature (T = 1: 65536 in Q.16).
const SEED: u64 = 42;
const TEMP_Q16: u32 = 1 << 16;

#[test]
fn two_generation_node_processes_on_anvil_the_liar_loses() {
    two_nodes(false);
}

#[test]
fn two_generation_node_processes_on_anvil_a_sampled_request_the_liar_loses() {
    two_nodes(true);
}

/// The request (sampled with [`SEED`] at T = 1 when `sampled`), a lying node and an honest
/// one; the honest tokens settle it.
fn two_nodes(sampled: bool) {
    // Registry, step verifier, an inference game and oracle (15 s window, 60 s clocks) recorded in the
    // deployments file; the tiny LLaMA compiled into the nodes' models directory.
    let mut env = AnvilEnv::deploy(if sampled {
        "node-gen-sampled-e2e"
    } else {
        "node-gen-e2e"
    });
    let gguf = testdata("gguf/llama_tiny.gguf");
    let vm = env.models.join("llama_tiny.vmodel");
    let vm_s = vm.to_str().unwrap().to_string();
    let mut compile = vec!["compile", s(&gguf), "-o", &vm_s, "--ctx", "16"];
    if sampled {
        compile.push("--sampling");
    }
    let o = common::verinfer(&compile);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let m = Arc::new(GenModel::new(verinfer_ir::vmodel::load(&vm).unwrap()).unwrap());
    let sampling = sampled.then(|| Sampling::new(SEED, TEMP_Q16).unwrap());
    let honest: Vec<i32> =
        GenExecution::run_sampled(Arc::clone(&m), &PROMPT, NEW_TOKENS, sampling, None)
            .unwrap()
            .tokens()
            .iter()
            .map(|&t| t as i32)
            .collect();
    let publisher = env.who.publisher;
    let consumer = verinfer_testing::chain::deploy_contract(
        &mut env.chain,
        publisher,
        &Consumer::BYTECODE,
        "deploy GenerationConsumerHarness",
    );

    // The CLI deploys the generation game and the text oracle over the recorded inference
    // game (same parameters), registers the model, teaches it to both games and requests.
    let prompt = PROMPT.map(|t| t.to_string()).join(",");
    let n = NEW_TOKENS.to_string();
    let cb = consumer.to_string();
    let (window, clock, seed) = (WINDOW.to_string(), CLOCK.to_string(), SEED.to_string());
    let mut request = vec![
        "oracle",
        "text-request",
        &vm_s,
        "--prompt-ids",
        &prompt,
        "--max-new-tokens",
        &n,
        "--callback",
        &cb,
        "--window",
        &window,
        "--clock",
        &clock,
    ];
    if sampled {
        request.extend(["--seed", &seed, "--temperature", "1"]);
    }
    let out = ok(&mut env, &request, DEV_PRIVATE_KEYS[0]);
    assert!(out.contains("text request 0"), "{out}");
    let d = verinfer_chain::Deployments::load(&env.deployments).unwrap();
    let id = env.chain.chain_id();
    let text = TextOracleClient {
        address: d
            .get(id, TextOracleClient::NAME)
            .expect("text oracle recorded"),
    };
    let game = GenClient {
        address: d
            .get(id, "GenerationGame")
            .expect("generation game recorded"),
    };
    // A generation game needs window >= clock, so the CLI deployed a single-step game of
    // its own (the nodes read it from the generation game, not from the record).
    let steps = verinfer_opml::GameClient {
        address: d.get(id, "InferenceGame").expect("inference game recorded"),
    };
    assert_ne!(steps.address, env.c.game.address);
    println!("generation stack deployed at {:?}", env.elapsed());

    let stack = (game, steps, text);
    let (h, l) = (env.who.honest, env.who.liar);
    let (honest_before, liar_before) = (worth(&mut env, stack, h), worth(&mut env, stack, l));
    let t = text.address.to_string();
    let mut liar = env.start_node("liar", LIAR_KEY, &["--lie", "--text-oracle", &t]);
    // The honest node lets the request sit 8 s (chain time): the liar answers first.
    let mut honest_node = env.start_node(
        "honest",
        HONEST_KEY,
        &["--answer-delay-secs", "8", "--text-oracle", &t],
    );

    if !sampled {
        // SIGKILL the honest node in the middle of its game on the lie (a few moves made),
        // then start it again on the same state directory: it finds its game on chain and
        // plays on (and answers honestly afterwards).
        let moves = wait_for(120, "the honest node's game on the lie", || {
            liar.assert_running();
            honest_node.assert_running();
            let g = game.games_of(&mut env.chain, 0, 0).ok()?.first().copied()?;
            let g = game.game(&mut env.chain, g).ok()?;
            let over = GenPhase::from_u8(g.phase).ok()?.is_over();
            (g.moves >= 3 && !over).then_some(g.moves)
        });
        honest_node.kill();
        println!(
            "honest node killed after move {moves} at {:?}",
            env.elapsed()
        );
        honest_node = env.start_node(
            "honest",
            HONEST_KEY,
            &["--answer-delay-secs", "8", "--text-oracle", &t],
        );
    }
    wait_for(120, "the consumer's callback", || {
        liar.assert_running();
        honest_node.assert_running();
        (received(&mut env.chain, publisher, consumer).0 > U256::ZERO).then_some(())
    });
    println!("consumer called back at {:?}", env.elapsed());
    assert_eq!(
        received(&mut env.chain, publisher, consumer),
        (U256::from(1), honest.clone()),
        "the consumer got the honest tokens, once"
    );

    // The request through the CLI: fulfilled by the honest node after the lie.
    let out = ok(
        &mut env,
        &["oracle", "text-status", "0"],
        DEV_PRIVATE_KEYS[0],
    );
    assert!(out.contains("text request 0: Fulfilled"), "{out}");
    assert!(out.contains(&format!("answerer:       {h}")), "{out}");
    assert!(
        out.contains(&format!("tokens:         {honest:?}")),
        "{out}"
    );
    let claims = text
        .claims_of(&mut env.chain, verinfer_oracle::TextRequestId::new(0))
        .unwrap();
    assert_eq!(
        claims.len(),
        2,
        "the lie, then the honest answer: {claims:?}"
    );

    // The claims through the CLI: the liar's rejected by the honest node's game, the
    // honest one final.
    let (lie, good) = (claims[0].to_string(), claims[1].to_string());
    for c in &claims {
        let info = game.claim_info(&mut env.chain, *c).unwrap();
        let want = sampling.map_or((0, 0), |s| (s.seed, s.temp));
        assert_eq!(
            (info.seed, info.temp),
            want,
            "claim {c} states the request's sampling"
        );
    }
    let s = json(&mut env, &["game", "status", &lie, "--generation"]);
    assert_eq!(s["submitter"], l.to_string(), "{s}");
    assert_eq!(s["status"], "Rejected", "{s}");
    assert_eq!(s["games"][0]["phase"], "ChallengerWon", "{s}");
    assert_eq!(s["games"][0]["challenger"], h.to_string(), "{s}");
    println!("the lie's game: {s}");
    let s = json(&mut env, &["game", "status", &good, "--generation"]);
    assert_eq!(s["submitter"], h.to_string(), "{s}");
    assert_eq!(s["status"], "Finalized", "{s}");
    assert_eq!(s["games"].as_array().map(Vec::len), Some(0), "{s}");

    // The liar's bond (1 ETH, 20% burned) went to the honest node: worth counts what the
    // contracts still owe besides the balance, so a withdrawal not yet made does not matter.
    let eth = U256::from(10u64).pow(U256::from(18u64));
    let (honest_after, liar_after) = (worth(&mut env, stack, h), worth(&mut env, stack, l));
    let lost = liar_before.saturating_sub(liar_after);
    assert!(
        lost >= eth,
        "the liar lost its bond: {liar_before} -> {liar_after}"
    );
    let gained = honest_after.saturating_sub(honest_before);
    assert!(
        gained >= eth * U256::from(3u64) / U256::from(4u64),
        "the honest node gained the liar's bond (less the burn) and the fee, less gas: {gained}"
    );
    println!(
        "honest node +{gained} wei, liar -{lost} wei; done at {:?}",
        env.elapsed()
    );
    liar.kill();
    honest_node.kill();
}

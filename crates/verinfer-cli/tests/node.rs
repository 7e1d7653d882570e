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

mod common;

use std::fs::OpenOptions;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{stderr, testdata, tmpdir, verinfer};
use verinfer_chain::bindings_oracle::ConsumerHarness;
use verinfer_chain::{dev_signers, Anvil, Chain, Deployments, RpcChain, Tx, B256, U256};
use verinfer_opml::facts::model_opening;
use verinfer_opml::{ensure_opml, ClaimStatus, Execution, GameParams, Phase};
use verinfer_oracle::{OracleClient, OracleParams};

fn model_path() -> PathBuf {
    testdata("golden/v1/digits_mlp.vmodel")
}

fn sample_input() -> Vec<Vec<i32>> {
    let text = std::fs::read_to_string(testdata("golden/v1/commitments.json")).unwrap();
    let j: serde_json::Value = serde_json::from_str(&text).unwrap();
    let input = j["traces"]["digits_mlp"]["quantized_input"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| i32::try_from(v.as_i64().unwrap()).unwrap())
        .collect();
    vec![input]
}

/// A node process; killed when dropped.
struct NodeProc {
    child: Option<Child>,
}

impl NodeProc {
    fn start(args: &[&str], log: &Path) -> Self {
        let out = OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_verinfer"))
            .arg("node")
            .args(args)
            .env("VERINFER_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::from(out))
            .spawn()
            .unwrap();
        Self { child: Some(child) }
    }

    /// SIGKILL: no shutdown path at all, as in a crash.
    fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child
            .as_mut()
            .and_then(|c| c.try_wait().ok().flatten())
    }
}

impl Drop for NodeProc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Prints the nodes' logs if the test fails.
struct Logs(Vec<PathBuf>);

impl Drop for Logs {
    fn drop(&mut self) {
        if std::thread::panicking() {
            for p in &self.0 {
                let text = std::fs::read_to_string(p).unwrap_or_default();
                let tail: Vec<&str> = text.lines().rev().take(150).collect();
                eprintln!("===== {} (last {} lines) =====", p.display(), tail.len());
                for l in tail.iter().rev() {
                    eprintln!("{l}");
                }
            }
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `GET path` on 127.0.0.1:port; `None` while nothing answers.
fn http_get(port: u16, path: &str) -> Option<String> {
    let mut c = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    c.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        c,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut out = String::new();
    c.read_to_string(&mut out).ok()?;
    let body = out.split_once("\r\n\r\n")?.1.to_string();
    Some(body)
}

fn status(port: u16) -> Option<serde_json::Value> {
    serde_json::from_str(&http_get(port, "/status")?).ok()
}

/// Polls `f` every 200 ms until it gives `Some` or `secs` pass.
fn wait_for<T>(secs: u64, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(x) = f() {
            return x;
        }
        assert!(
            start.elapsed() < Duration::from_secs(secs),
            "timed out after {secs} s waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn two_node_processes_on_anvil_liar_loses_to_a_restarted_honest_node() {
    let started = Instant::now();
    let contracts_dir = common::root().join("contracts");
    let anvil = Anvil::spawn(&contracts_dir, &["--block-time", "1"]).expect("anvil");
    let dir = tmpdir("node-e2e");
    let deployments_path = dir.join("deployments.json");
    let models = dir.join("models");
    std::fs::create_dir_all(&models).unwrap();
    std::fs::copy(model_path(), models.join("digits_mlp.vmodel")).unwrap();

    // Deploy: registry, step verifier, game (15 s window, 60 s clocks), oracle, consumer;
    // register and teach the model. Recorded in the deployments file the nodes read.
    let mut chain = RpcChain::connect(anvil.url(), dev_signers().unwrap()).unwrap();
    let a = chain.accounts();
    let (deployer, requester) = (a[0], a[1]);
    let mut deployments = Deployments::default();
    let gp = GameParams {
        window: 15,
        clock: 60,
        ..GameParams::default()
    };
    let (c, _) = ensure_opml(&mut chain, &mut deployments, deployer, &gp).unwrap();
    let params = OracleParams {
        fee: U256::from(10u64).pow(U256::from(16u64)),
        owner_share_bps: 1_000,
        cancel_delay: 3_600,
        max_callback_gas: 2_000_000,
    };
    let (oracle, _) = OracleClient::deploy(
        &mut chain,
        deployer,
        c.registry.address,
        c.game.address,
        &params,
    )
    .unwrap();
    deployments.set(chain.chain_id(), OracleClient::NAME, oracle.address);
    deployments.save(&deployments_path).unwrap();
    let consumer = chain
        .send(Tx::deploy(
            deployer,
            ConsumerHarness::BYTECODE.clone(),
            "deploy ConsumerHarness",
        ))
        .unwrap()
        .contract_address
        .unwrap();
    let graph = verinfer_ir::vmodel::load(&model_path()).unwrap();
    let mc = verinfer_commit::ModelCommitment::new(&graph);
    let model = B256::from(mc.model_id.hash().to_bytes());
    c.registry
        .register(&mut chain, deployer, model, "test://digits_mlp")
        .unwrap();
    c.game
        .learn_model(
            &mut chain,
            deployer,
            model,
            model_opening(&graph, &mc).unwrap(),
        )
        .unwrap();
    let input = sample_input();
    let honest = Execution::run(graph.clone(), &input).unwrap();
    let honest_outputs: Vec<Vec<i32>> = graph
        .outputs
        .iter()
        .map(|o| honest.values()[o.value.index()].clone())
        .collect();

    let d = deployments_path.to_str().unwrap().to_string();
    let m = models.to_str().unwrap().to_string();
    let liar_state = dir.join("liar");
    let honest_state = dir.join("honest");
    let (liar_log, honest_log) = (dir.join("liar.log"), dir.join("honest.log"));
    let _logs = Logs(vec![liar_log.clone(), honest_log.clone()]);
    let common_args = |key: &str, state: &Path| -> Vec<String> {
        vec![
            "--rpc-url".into(),
            anvil.url().into(),
            "--private-key".into(),
            key.into(),
            "--models".into(),
            m.clone(),
            "--deployments".into(),
            d.clone(),
            "--state-dir".into(),
            state.to_str().unwrap().into(),
            "--poll-ms".into(),
            "200".into(),
        ]
    };
    let mut liar_args = common_args(verinfer_chain::DEV_PRIVATE_KEYS[3], &liar_state);
    liar_args.push("--lie".into());
    let honest_args = |port: u16| {
        let mut v = common_args(verinfer_chain::DEV_PRIVATE_KEYS[2], &honest_state);
        // The honest node lets a request sit 8 s (chain time) before answering: the liar,
        // which answers at once, goes first — deterministically, at a block a second.
        v.extend([
            "--answer-delay-secs".into(),
            "8".into(),
            "--serve".into(),
            format!("127.0.0.1:{port}"),
        ]);
        v
    };
    let start_node = |args: &[String], log: &Path| {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        NodeProc::start(&refs, log)
    };

    let mut liar = start_node(&liar_args, &liar_log);
    let port = free_port();
    let mut honest_node = start_node(&honest_args(port), &honest_log);
    wait_for(30, "the honest node's /status", || status(port));

    // The request, with the consumer harness as callback.
    let fee = oracle.required_fee(&mut chain, 500_000).unwrap();
    let (req, _) = oracle
        .request(
            &mut chain, requester, model, &input, consumer, 500_000, fee, 0,
        )
        .unwrap();
    println!("request {req} at {:?}", started.elapsed());

    // The liar answers; the honest node opens a game against its claim.
    let game: u64 = wait_for(40, "the honest node's game", || {
        assert!(liar.exited().is_none(), "the liar exited");
        assert!(honest_node.exited().is_none(), "the honest node exited");
        let s = status(port)?;
        s["games"].as_array()?.first()?["game"].as_u64()
    });
    // Let both sides make a few moves first, so the restarted node resumes a game it was
    // in the middle of (moves arrive about one a second).
    let g = wait_for(30, "three moves", || {
        let g = c.game.game(&mut chain, game).ok()?;
        (g.moves >= 3 || Phase::from_u8(g.phase).ok()?.is_over()).then_some(g)
    });
    let phase = Phase::from_u8(g.phase).unwrap();
    assert!(!phase.is_over(), "the game is still in play ({phase:?})");
    let bad_claim = u64::try_from(g.claimId).unwrap();
    println!(
        "game {game} on claim {bad_claim} opened at {:?}; killing the honest node ({phase:?}, {} moves)",
        started.elapsed(),
        g.moves
    );
    honest_node.kill();
    std::thread::sleep(Duration::from_secs(2));
    let port = free_port();
    let mut honest_node = start_node(&honest_args(port), &honest_log);

    // The restarted node finishes the game, answers the request honestly (a further answer
    // while it is Claimed), and the consumer gets the honest output once the honest claim's window has passed.
    wait_for(90, "the consumer's callback", || {
        assert!(liar.exited().is_none(), "the liar exited");
        assert!(honest_node.exited().is_none(), "the honest node exited");
        let calls: U256 = verinfer_chain::view(
            &mut chain,
            deployer,
            consumer,
            &ConsumerHarness::callsCall {},
            "ConsumerHarness.calls",
        )
        .ok()?;
        (calls > U256::ZERO).then_some(())
    });
    let received: Vec<Vec<i32>> = verinfer_chain::view(
        &mut chain,
        deployer,
        consumer,
        &ConsumerHarness::receivedCall {},
        "ConsumerHarness.received",
    )
    .unwrap();
    assert_eq!(
        received, honest_outputs,
        "the requester got the honest output"
    );
    let g = c.game.game(&mut chain, game).unwrap();
    assert_eq!(Phase::from_u8(g.phase).unwrap(), Phase::ChallengerWon);
    assert_eq!(
        c.game.status(&mut chain, bad_claim).unwrap(),
        ClaimStatus::Rejected
    );
    let claims = oracle.claims_of(&mut chain, req).unwrap();
    assert_eq!(
        claims.len(),
        2,
        "the lie, then the honest answer: {claims:?}"
    );
    assert_eq!(claims[0], bad_claim);
    let info = oracle.get_request(&mut chain, req).unwrap();
    assert_eq!(info.answerer, a[2], "the honest node was paid");
    let s = wait_for(20, "the honest node's status", || status(port));
    assert_eq!(s["games"][0]["phase"], "ChallengerWon", "{s}");
    let html = http_get(port, "/").unwrap();
    assert!(html.contains("ChallengerWon"), "{html}");
    println!(
        "honest node: {} transactions, {} gas; done at {:?}",
        s["transactions"],
        s["gas_used"],
        started.elapsed()
    );
    liar.kill();
    honest_node.kill();
    let log = std::fs::read_to_string(&honest_log).unwrap();
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
        models.to_str().unwrap(),
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

//! The opML commands: `game simulate` on the in-process chain (both liars lose), bad strategy
//! names, and `claim --defend` + `challenge` as two processes against a real anvil node.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;
use std::process::{Command, Stdio};

use common::{fails, ok, stderr, tmpdir, verinfer, Reaper};

use common::{mlp_input as input, mlp_model as model};

/// `args` against the node at `url` with the deployment record `d`.
fn on<'a>(url: &'a str, d: &'a str, args: &[&'a str]) -> Vec<&'a str> {
    [args, &["--rpc-url", url, "--deployments", d]].concat()
}

/// `verinfer game simulate` on the digits MLP and its input, with `extra` flags.
fn simulate_with(extra: &[&str]) -> std::process::Output {
    let (m, i) = (model(), input());
    let mut args = vec!["game", "simulate", m.as_str(), "--input", i.as_str()];
    args.extend_from_slice(extra);
    verinfer(&args)
}

fn simulate(liar: &str, strategy: &str) -> serde_json::Value {
    let o = simulate_with(&["--liar", liar, "--strategy", strategy]);
    assert!(o.status.success(), "{liar} {strategy}: {}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn simulate_lying_submitter_loses() {
    for strategy in [
        "wrong-output",
        "wrong-node",
        "wrong-checkpoint",
        "wrong-rescale",
        "silent",
    ] {
        let r = simulate("submitter", strategy);
        assert_eq!(r["winner"], "challenger", "{strategy}: {r}");
        assert_eq!(r["claim_status"], "rejected", "{strategy}: {r}");
        assert!(r["total_gas"].as_u64().unwrap() > 100_000, "{r}");
    }
}

#[test]
fn simulate_lying_challenger_loses() {
    for strategy in ["random", "garbage-openings", "silent"] {
        let r = simulate("challenger", strategy);
        assert_eq!(r["winner"], "submitter", "{strategy}: {r}");
        assert_eq!(r["claim_status"], "finalized", "{strategy}: {r}");
    }
}

/// Each lying role has its own default strategy: `--liar challenger` alone used to fail on
/// the submitter's default ("unknown challenger strategy \"wrong-output\"").
#[test]
fn each_liar_role_has_a_default_strategy() {
    for (liar, winner) in [("challenger", "submitter"), ("submitter", "challenger")] {
        let o = simulate_with(&["--liar", liar]);
        assert!(o.status.success(), "--liar {liar}: {}", stderr(&o));
        let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(r["winner"], winner, "--liar {liar}: {r}");
    }
    let o = simulate_with(&["--liar", "none", "--strategy", "random"]);
    assert!(!o.status.success(), "a strategy without a liar is refused");
    assert!(stderr(&o).contains("--liar none"), "{}", stderr(&o));
}

#[test]
fn unknown_strategy_is_named() {
    let o = simulate_with(&["--strategy", "bribe"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("bribe"), "{}", stderr(&o));
}

#[test]
fn claim_and_challenge_processes_on_anvil() {
    let contracts = common::root().join("contracts");
    // A block every second, like a real chain: the challenge window ends by block time.
    let anvil = verinfer_chain::Anvil::spawn(&contracts, &["--block-time", "1"]).expect("anvil");
    let dir = tmpdir("game-anvil");
    let deployments = dir.join("deployments.json");
    let d = deployments.to_str().unwrap();
    let url = anvil.url();
    // The honest submitter posts and defends (a 10 s window: anvil mines a block a second).
    let defender = Command::new(env!("CARGO_BIN_EXE_verinfer"))
        .args([
            "claim",
            &model(),
            "--input",
            &input(),
            "--defend",
            "--publish-input",
            "--window",
            "10",
            "--clock",
            "60",
        ])
        .args([
            "--rpc-url",
            anvil.url(),
            "--deployments",
            d,
            "--poll-ms",
            "50",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut defender = Reaper(Some(defender));
    // Wait for the claim to exist (the deployment record appears first).
    let mut claimed = false;
    for _ in 0..200 {
        std::thread::sleep(std::time::Duration::from_millis(50));
        let o = verinfer(&on(url, d, &["game", "status", "0"]));
        if o.status.success() {
            claimed = true;
            break;
        }
    }
    assert!(claimed, "no claim appeared");
    // An honest challenger sees nothing to dispute; a forced one (with another key) loses.
    let (m, i) = (model(), input());
    let out = ok(&on(
        url,
        d,
        &["challenge", "0", "--model", &m, "--input", &i],
    ));
    assert!(out.contains("nothing to challenge"), "{out}");
    // Another input is not the claimed one: refused before anything is sent.
    let other = dir.join("other.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(input()).unwrap()).unwrap();
    let x = v["input_data"][0][5].as_f64().unwrap();
    v["input_data"][0][5] = serde_json::json!(x + 0.5);
    std::fs::write(&other, v.to_string()).unwrap();
    let other = other.to_str().unwrap();
    let e = fails(&on(
        url,
        d,
        &["challenge", "0", "--model", &m, "--input", other],
    ));
    assert!(e.contains("does not match claim 0"), "{e}");
    // A forced challenger, reading the posted input from the chain, loses.
    let key = verinfer_chain::DEV_PRIVATE_KEYS[1];
    let out = ok(&on(
        url,
        d,
        &[
            "challenge",
            "0",
            "--model",
            &m,
            "--force",
            "--private-key",
            key,
            "--poll-ms",
            "50",
        ],
    ));
    assert!(out.contains("SubmitterWon"), "{out}");
    let out = defender.0.take().unwrap().wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("Finalized"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// `verinfer defend 0 --model MODEL --trace TRACE --state STATE`.
fn defend_args<'a>(model: &'a str, trace: &'a str, state: &'a str) -> [&'a str; 8] {
    [
        "defend", "0", "--model", model, "--trace", trace, "--state", state,
    ]
}

#[test]
fn in_process_claim_challenge_defend_with_a_state_file() {
    let dir = tmpdir("game-state");
    let state = dir.join("chain.json");
    let traces = dir.join("traces");
    let (s, t) = (state.to_str().unwrap(), traces.to_str().unwrap());
    let run = ok;
    let (m, i) = (model(), input());
    let defend = |trace: &str| ok(&defend_args(&m, trace, s));
    run(&["claim", &m, "--input", &i, "--state", s, "--trace-dir", t]);
    let trace = traces.join("claim-0.trace");
    assert!(trace.exists());
    // Each command makes the moves of its role and returns; the chain persists in between.
    let out = run(&[
        "challenge",
        "0",
        "--model",
        &m,
        "--input",
        &i,
        "--force",
        "--state",
        s,
    ]);
    assert!(out.contains("game 0 opened"), "{out}");
    let tr = trace.to_str().unwrap();
    let mut ended = false;
    for _ in 0..20 {
        defend(tr);
        let out = run(&[
            "challenge",
            "0",
            "--game",
            "0",
            "--model",
            &m,
            "--input",
            &i,
            "--state",
            s,
        ]);
        if out.contains("SubmitterWon") {
            ended = true;
            break;
        }
    }
    assert!(ended, "the forced challenge of a correct claim did not end");
    run(&["game", "advance", "4000", "--state", s]);
    let out = defend(tr);
    assert!(out.contains("Finalized"), "{out}");

    // A trace that is not the claim's, or a model that is not the trace's, is refused.
    let other = dir.join("other.trace");
    let bad = verinfer(&["run", &m, "--input", &i, "--trace", other.to_str().unwrap()]);
    assert!(bad.status.success());
    let mut bytes = std::fs::read(&trace).unwrap();
    let n = bytes.len();
    bytes[n - 40] ^= 1;
    std::fs::write(&other, &bytes).unwrap();
    let e = fails(&defend_args(&m, other.to_str().unwrap(), s));
    assert!(e.contains("other.trace"), "{e}");
    let cnn = dir.join("cnn.vmodel");
    assert!(common::compile_folder("mnist_cnn", &cnn).status.success());
    let e = fails(&defend_args(cnn.to_str().unwrap(), tr, s));
    assert!(e.contains("model"), "{e}");
}

/// A model whose input is held at 31 bits (the wide-input rule: breast-cancer features from
/// 0.003 to 4,254 share one input) goes through the arbiter and the Groth16 circuit: a lie
/// at the wide `Sub`, at the `Mul` that narrows it back to 16 bits, or by the challenger
/// loses; the proof verifies natively and on the EVM, and a changed input is refused.
#[test]
fn wide_input_model_through_the_arbiter_and_groth16() {
    let d = tmpdir("wide-input");
    let data = common::testdata("realmodels/breast_cancer_scaler_sgd_classifier.json");
    let data: serde_json::Value = serde_json::from_slice(&std::fs::read(data).unwrap()).unwrap();
    let samples = data["calibration"].as_array().unwrap();
    let flat: Vec<&serde_json::Value> =
        samples.iter().flat_map(|s| s.as_array().unwrap()).collect();
    let (calib, input) = (d.path().join("calib.json"), d.path().join("input.json"));
    std::fs::write(
        &calib,
        serde_json::json!({ "input_data": [flat] }).to_string(),
    )
    .unwrap();
    let one = serde_json::json!({ "input_data": [data["inputs"][3]] });
    std::fs::write(&input, one.to_string()).unwrap();
    let onnx = common::testdata("realmodels/breast_cancer_scaler_sgd_classifier.onnx");
    let m = d.path().join("sgd.vmodel");
    let p = |x: &std::path::Path| x.to_str().unwrap().to_string();
    let (onnx_s, calib_s, m_s, input_s) = (p(&onnx), p(&calib), p(&m), p(&input));
    ok(&[
        "compile",
        &onnx_s,
        "--calibration",
        &calib_s,
        "--input-shape",
        "X=1,30",
        "-o",
        &m_s,
    ]);
    let shown = ok(&["inspect", &m_s]);
    assert!(shown.contains("31 bits"), "the input is not wide: {shown}");

    let game = |extra: &[&str]| -> serde_json::Value {
        let mut args = vec![
            "game",
            "simulate",
            m_s.as_str(),
            "--input",
            input_s.as_str(),
        ];
        args.extend_from_slice(extra);
        serde_json::from_str(&ok(&args)).unwrap()
    };
    for node in ["1", "2"] {
        for strategy in ["wrong-node", "wrong-checkpoint", "wrong-rescale"] {
            let r = game(&["--strategy", strategy, "--node", node]);
            assert_eq!(r["winner"], "challenger", "{strategy} at {node}: {r}");
        }
    }
    let r = game(&["--liar", "challenger", "--strategy", "random"]);
    assert_eq!(r["winner"], "submitter", "{r}");

    let (keys, proof) = (d.path().join("keys"), d.path().join("proof.json"));
    ok(&["setup", &m_s, "-o", &p(&keys)]);
    common::prove_and_verify_on_evm(&m, &input, &keys, &proof);
    let mut tampered: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&proof).unwrap()).unwrap();
    let x = tampered["public"]["inputs"][0][3].as_i64().unwrap();
    tampered["public"]["inputs"][0][3] = serde_json::json!(x + 1);
    let bad = d.path().join("bad.json");
    std::fs::write(&bad, tampered.to_string()).unwrap();
    fails(&["verify", &p(&bad), "--keys", &p(&keys)]);
}

/// A wide logarithm — the mel front end's `Log` of a power held at 31 bits, lowered to
/// power-of-two comparisons, sum reductions, a rounded division, a mantissa table and an
/// `ln 2` multiplier (docs/quantization.md, "Wide logarithms") — through the arbiter: a lie at
/// any of its nodes loses, and a lying challenger loses.
#[test]
fn wide_log_model_through_the_arbiter() {
    let d = tmpdir("wide-log");
    let p = |x: &std::path::Path| x.to_str().unwrap().to_string();
    let dir = common::testdata("models/mel_clip");
    let m = p(&d.path().join("mel.vmodel"));
    let input = p(&dir.join("input.json"));
    ok(&[
        "compile",
        &p(&dir.join("network.onnx")),
        "--calibration",
        &p(&dir.join("calibration.json")),
        "-o",
        &m,
    ]);
    let shown: serde_json::Value = serde_json::from_str(&ok(&["inspect", &m, "--json"])).unwrap();
    let log_nodes: Vec<String> = shown["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .filter(|(_, n)| n["name"].as_str().unwrap().starts_with("/Log"))
        .map(|(i, _)| i.to_string())
        .collect();
    assert_eq!(log_nodes.len(), 8, "{shown}");
    let game = |extra: &[&str]| -> serde_json::Value {
        let mut args = vec!["game", "simulate", m.as_str(), "--input", input.as_str()];
        args.extend_from_slice(extra);
        serde_json::from_str(&ok(&args)).unwrap()
    };
    for node in &log_nodes {
        let r = game(&["--strategy", "wrong-node", "--node", node]);
        assert_eq!(r["winner"], "challenger", "wrong-node at {node}: {r}");
    }
    let r = game(&["--liar", "challenger", "--strategy", "random"]);
    assert_eq!(r["winner"], "submitter", "{r}");
}

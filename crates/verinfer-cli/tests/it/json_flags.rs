//! `--json` on the commands that print results, one family per test: each prints exactly one
//! JSON object on stdout with the documented keys (docs/python.md, "--json"), and the text
//! output without the flag is unchanged.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;
use std::path::PathBuf;

use common::{compile_folder, stderr, testdata, tmpdir, verinfer};
use serde_json::Value;
use verinfer_testing::TestDir;

/// Runs `args`, asserts success, and parses stdout as exactly one JSON object.
fn json(args: &[&str]) -> Value {
    let o = verinfer(args);
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    let text = String::from_utf8_lossy(&o.stdout);
    assert_eq!(
        text.trim().lines().count(),
        1,
        "{args:?} printed more than one line: {text}"
    );
    let v: Value =
        serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("{args:?}: {e}: {text}"));
    assert!(v.is_object(), "{args:?}: {v}");
    v
}

/// A fresh directory with the digits MLP compiled into `<dir>/<sub>/digits_mlp.vmodel`:
/// (the directory, the model, its sample input).
fn compiled_mlp(name: &str, sub: &str) -> (TestDir, PathBuf, PathBuf) {
    let d = tmpdir(name);
    let model = d.join(sub).join("digits_mlp.vmodel");
    std::fs::create_dir_all(model.parent().unwrap()).unwrap();
    assert!(compile_folder("digits_mlp", &model).status.success());
    (d, model, testdata("models/digits_mlp/input.json"))
}

fn keys_of(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    k.sort_unstable();
    k
}

#[test]
fn zk_commands_print_json() {
    let (d, model, input) = compiled_mlp("json-zk", "");
    let (m, i) = (model.to_str().unwrap(), input.to_str().unwrap());
    let keys = d.join("keys");
    let k = keys.to_str().unwrap();
    let v = json(&["setup", m, "-o", k, "--json"]);
    assert_eq!(
        keys_of(&v),
        [
            "backend",
            "constraints",
            "keys",
            "model_id",
            "param_hash",
            "public_inputs",
            "setup_s",
            "visibility"
        ]
    );
    assert_eq!(v["backend"], "groth16");
    assert!(v["constraints"].as_u64().unwrap() > 0);
    let proof = d.join("proof.json");
    let p = proof.to_str().unwrap();
    let v = json(&["prove", m, "--input", i, "--keys", k, "-o", p, "--json"]);
    assert_eq!(
        keys_of(&v),
        [
            "backend",
            "load_key_s",
            "model_id",
            "outputs",
            "proof",
            "proof_bytes",
            "prove_s",
            "witness_s"
        ]
    );
    assert_eq!(v["outputs"].as_array().unwrap().len(), 1);
    let v = json(&["verify", p, "--keys", k, "--json"]);
    assert_eq!(v["valid"], true);
    assert!(v["evm"].is_null());
    let v = json(&["verify", p, "--keys", k, "--evm", "--json"]);
    assert_eq!(v["valid"], true);
    assert!(v["evm"]["gas_used"].as_u64().unwrap() > 0, "{v}");
    assert!(v["evm"]["deploy_gas"].as_u64().unwrap() > 0, "{v}");
    let sol = d.join("Verifier.sol");
    let v = json(&[
        "export-verifier",
        "--keys",
        k,
        "-o",
        common::s(&sol),
        "--json",
    ]);
    assert_eq!(v["contract"], "Verifier");
    // Without --json: the text as before.
    let o = verinfer(&["verify", p, "--keys", k]);
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("native: proof valid"));
}

#[test]
fn game_commands_print_json() {
    let (d, model, input) = compiled_mlp("json-game", "");
    let (m, i) = (model.to_str().unwrap(), input.to_str().unwrap());
    let state = d.join("chain.json");
    let traces = d.join("traces");
    let (s, t) = (state.to_str().unwrap(), traces.to_str().unwrap());
    let v = json(&[
        "claim",
        m,
        "--input",
        i,
        "--state",
        s,
        "--trace-dir",
        t,
        "--json",
    ]);
    assert_eq!(
        keys_of(&v),
        ["claim_id", "game", "status", "trace", "trace_root"]
    );
    assert_eq!(v["claim_id"], 0);
    assert!(v["status"].is_null());
    let v = json(&[
        "challenge",
        "0",
        "--model",
        m,
        "--input",
        i,
        "--state",
        s,
        "--json",
    ]);
    assert_eq!(
        v,
        serde_json::json!({"claim_id": 0, "challenged": false, "game_id": null, "phase": null})
    );
    let v = json(&["game", "advance", "4000", "--state", s, "--json"]);
    assert!(v["timestamp"].as_u64().unwrap() > 4000, "{v}");
    let trace = traces.join("claim-0.trace");
    let v = json(&[
        "defend",
        "0",
        "--model",
        m,
        "--trace",
        common::s(&trace),
        "--state",
        s,
        "--json",
    ]);
    assert_eq!(v, serde_json::json!({"claim_id": 0, "status": "finalized"}));
}

#[test]
fn oracle_commands_print_json() {
    let (d, model, input) = compiled_mlp("json-oracle", "");
    let (m, i) = (model.to_str().unwrap(), input.to_str().unwrap());
    let state = d.join("chain.json");
    let s = state.to_str().unwrap();
    let v = json(&["oracle", "deploy", "--state", s, "--json"]);
    assert_eq!(keys_of(&v), ["game", "oracle", "registry"]);
    let o = verinfer(&["register", m, "--state", s]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v = json(&[
        "oracle", "request", "--model", m, "--input", i, "--state", s, "--json",
    ]);
    assert_eq!(keys_of(&v), ["fee_wei", "model_id", "request_id"]);
    assert_eq!(v["request_id"], 0);
    let v = json(&["oracle", "status", "0", "--state", s, "--json"]);
    assert_eq!(v["status"], "open");
    assert_eq!(v["claims"], serde_json::json!([]));
    assert!(v["outputs"].is_null());
}

/// Runs `args`, asserts success, and parses every stdout line as one JSON object.
fn json_lines(args: &[&str]) -> Vec<Value> {
    let o = verinfer(args);
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{args:?}: {e}: {l}"));
            assert!(v.is_object(), "{args:?}: {v}");
            v
        })
        .collect()
}

#[test]
fn run_and_game_commands_print_json() {
    let (d, model, input) = compiled_mlp("json-run", "");
    let (m, i) = (model.to_str().unwrap(), input.to_str().unwrap());
    let v = json(&["run", m, "--input", i, "--json"]);
    assert_eq!(keys_of(&v), ["outputs"]);
    assert_eq!(v["outputs"][0]["shape"], serde_json::json!([1, 10]));
    // With -o and --trace: the file is written, and stdout still holds only the object.
    let (out, trace) = (d.join("out.json"), d.join("run.trace"));
    let v = json(&[
        "run",
        m,
        "--input",
        i,
        "-o",
        common::s(&out),
        "--trace",
        common::s(&trace),
        "--json",
    ]);
    assert_eq!(keys_of(&v), ["model_id", "outputs", "trace_root"]);
    let file: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(file, v);
    let v = json(&["game", "simulate", m, "--input", i, "--json"]);
    assert_eq!(v["winner"], "challenger", "{v}");
    let state = d.join("chain.json");
    let s = state.to_str().unwrap();
    let t = d.join("traces");
    json(&[
        "claim",
        m,
        "--input",
        i,
        "--state",
        s,
        "--trace-dir",
        common::s(&t),
        "--json",
    ]);
    let v = json(&["game", "status", "0", "--state", s, "--json"]);
    assert_eq!(v["claim"], 0);
    assert_eq!(v["open_games"], 0);
    assert_eq!(v["games"], serde_json::json!([]));
    // Without --json: the same object, indented as before.
    let o = verinfer(&["game", "status", "0", "--state", s]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.lines().count() > 1, "{text}");
    assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), v);
}

#[test]
fn ceremony_commands_print_json() {
    let d = tmpdir("json-ceremony");
    let m = testdata("golden/v1/digits_mlp.vmodel");
    let m = m.to_str().unwrap();
    let f: Vec<String> = (0..3)
        .map(|i| d.join(format!("c{i}.ceremony")).display().to_string())
        .collect();
    let v = json(&["ceremony", "new", m, "-o", &f[0], "--json"]);
    assert_eq!(
        keys_of(&v),
        [
            "circuit_hash",
            "constraints",
            "model_id",
            "phase1",
            "visibility",
            "written"
        ]
    );
    assert!(v["phase1"].is_null(), "{v}");
    let v = json(&[
        "ceremony",
        "contribute",
        &f[0],
        "--name",
        "alice",
        "-o",
        &f[1],
        "--json",
    ]);
    assert_eq!(v["contribution"], 1);
    assert_eq!(v["name"], "alice");
    let alice = v["contribution_hash"].clone();
    let v = json(&[
        "ceremony",
        "beacon",
        &f[1],
        "--value",
        "0x0123456789abcdef",
        "--iterations-exp",
        "4",
        "-o",
        &f[2],
        "--json",
    ]);
    assert_eq!(v["contribution"], 2);
    let keys = d.join("keys");
    let v = json(&[
        "ceremony",
        "verify",
        &f[0],
        &f[1],
        &f[2],
        "--model",
        m,
        "--keys-out",
        common::s(&keys),
        "--json",
    ]);
    assert_eq!(v["valid"], true);
    assert_eq!(v["contributions"][0]["name"], "alice");
    assert_eq!(v["contributions"][0]["hash"], alice);
    assert_eq!(v["contributions"][1]["beacon"], true);
    assert_eq!(v["keys"], keys.to_str().unwrap());
    assert!(keys.join("keys.json").is_file());
}

#[test]
fn node_prints_json_lines_and_mint_one_object() {
    let (d, model, input) = compiled_mlp("json-node", "models");
    let models = d.join("models");
    let (m, i) = (model.to_str().unwrap(), input.to_str().unwrap());
    let state = d.join("chain.json");
    let s = state.to_str().unwrap();
    json(&["oracle", "deploy", "--state", s, "--json"]);
    // `register --json` prints its object indented, as it always did.
    let o = verinfer(&["register", m, "--state", s, "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["already_registered"], false);
    json(&[
        "oracle", "request", "--model", m, "--input", i, "--state", s, "--json",
    ]);
    let node_dir = d.join("node");
    let node = |ticks: &str| {
        json_lines(&[
            "node",
            "--in-process",
            "--models",
            common::s(&models),
            "--ticks",
            ticks,
            "--poll-ms",
            "1",
            "--state-dir",
            common::s(&node_dir),
            "--state",
            s,
            "--json",
        ])
    };
    let lines = node("2");
    let last = lines.last().unwrap();
    assert_eq!(last["event"], "stopped", "{lines:?}");
    assert!(last["status"].is_object(), "{last}");
    let answered = lines
        .iter()
        .find(|l| l["event"] == "answered with a claim")
        .unwrap_or_else(|| panic!("no answer event: {lines:?}"));
    assert_eq!(answered["request"], 0, "{answered}");
    assert_eq!(answered["level"], "info");
    json(&["game", "advance", "4000", "--state", s, "--json"]);
    node("3");
    let v = json(&["oracle", "status", "0", "--state", s, "--json"]);
    assert_eq!(v["status"], "fulfilled", "{v}");
    let v = json(&[
        "mint",
        "--prompt",
        i,
        "--model",
        m,
        "--request",
        "0",
        "--state",
        s,
        "--json",
    ]);
    assert_eq!(v["verified"], true, "{v}");
    assert_eq!(v["request_id"], 0);
    assert!(v["claim_id"].is_null());
    // Errors keep the convention: nothing on stdout, `error: …` on stderr, status 1.
    let o = verinfer(&["mint", "--prompt", i, "--model", m, "--state", s, "--json"]);
    assert!(!o.status.success());
    assert!(o.stdout.is_empty());
    assert!(
        stderr(&o).starts_with("error: choose how"),
        "{}",
        stderr(&o)
    );
}

/// The heavy commands (benchmarks, the demo) take --json too: their help says so.
#[test]
fn heavy_commands_take_json() {
    for cmd in ["bench", "bench-commit", "bench-zk", "demo", "node"] {
        let o = verinfer(&[cmd, "--help"]);
        assert!(o.status.success(), "{cmd}");
        assert!(
            String::from_utf8_lossy(&o.stdout).contains("--json"),
            "{cmd} --help lacks --json"
        );
    }
}

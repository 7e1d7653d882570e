//! `--json` on the commands that print results, one family per test: each prints exactly one
//! JSON object on stdout with the documented keys (docs/python.md, "--json"), and the text
//! output without the flag is unchanged.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{compile_folder, stderr, testdata, tmpdir, verinfer};
use serde_json::Value;

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

fn keys_of(v: &Value) -> Vec<&str> {
    let mut k: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    k.sort_unstable();
    k
}

#[test]
fn zk_commands_print_json() {
    let d = tmpdir("json-zk");
    let model = d.join("digits.vmodel");
    assert!(compile_folder("digits_mlp", &model).status.success());
    let input = testdata("models/digits_mlp/input.json");
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
        sol.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(v["contract"], "Verifier");
    // Without --json: the text as before.
    let o = verinfer(&["verify", p, "--keys", k]);
    assert!(String::from_utf8_lossy(&o.stdout).starts_with("native: proof valid"));
}

#[test]
fn game_commands_print_json() {
    let d = tmpdir("json-game");
    let model = d.join("digits.vmodel");
    assert!(compile_folder("digits_mlp", &model).status.success());
    let input = testdata("models/digits_mlp/input.json");
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
        trace.to_str().unwrap(),
        "--state",
        s,
        "--json",
    ]);
    assert_eq!(v, serde_json::json!({"claim_id": 0, "status": "finalized"}));
}

#[test]
fn oracle_commands_print_json() {
    let d = tmpdir("json-oracle");
    let model = d.join("digits.vmodel");
    assert!(compile_folder("digits_mlp", &model).status.success());
    let input = testdata("models/digits_mlp/input.json");
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

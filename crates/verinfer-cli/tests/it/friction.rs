//! What a new user meets first: a closed pipe ends any command quietly, `--json` output parses,
//! `encode-calldata` and `deploy-verifier` work with the other zk commands, EZKL's visibility
//! words and integer/boolean `input.json` values are accepted.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;
use std::path::Path;
use std::process::{Command, Stdio};

use common::{s, stderr, stdout, testdata, tmpdir, verinfer};

fn json_of(args: &[&str]) -> serde_json::Value {
    let o = verinfer(args);
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    serde_json::from_str(&stdout(&o)).unwrap_or_else(|e| panic!("{args:?}: {e}: {}", stdout(&o)))
}

/// Runs `verinfer args` with its stdout closed before it writes (what `| head -0` does).
fn with_closed_stdout(args: &[&str]) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_verinfer"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    child.wait_with_output().unwrap()
}

#[test]
fn a_closed_pipe_ends_every_command_quietly() {
    let m = testdata("golden/v1/digits_mlp.vmodel");
    let gguf = testdata("gguf/llama_tiny.gguf");
    let input = testdata("models/digits_mlp/input.json");
    let commands: [&[&str]; 6] = [
        &["ops"],
        &["inspect", s(&m)],
        &["inspect", s(&m), "--json"],
        &["gguf", "info", s(&gguf), "--tensors"],
        &["commit", s(&m)],
        &["run", s(&m), "--input", s(&input)],
    ];
    for args in commands {
        let o = with_closed_stdout(args);
        let err = stderr(&o);
        assert!(!err.contains("panicked"), "{args:?} panicked: {err}");
        assert!(o.status.success(), "{args:?}: {:?} {err}", o.status);
    }
}

#[test]
fn json_output_of_inspect_and_ops() {
    let m = testdata("golden/v1/digits_mlp.vmodel");
    let v = json_of(&["inspect", s(&m), "--json"]);
    assert_eq!(v["inputs"].as_array().unwrap().len(), 1, "{v}");
    let nodes = v["nodes"].as_array().unwrap();
    assert!(!nodes.is_empty() && nodes[0]["op"].is_string(), "{v}");
    assert!(v.get("zk").is_none());
    let v = json_of(&["inspect", s(&m), "--json", "--zk"]);
    assert!(v["zk"]["constraints"].as_u64().unwrap() > 0, "{v}");
    let ops = json_of(&["ops", "--json"]);
    assert!(ops.as_array().unwrap().iter().any(|o| o == "Gemm"), "{ops}");
}

#[test]
fn encode_calldata_and_deploy_verifier() {
    let d = tmpdir("friction-evm");
    let m = testdata("golden/v1/digits_mlp.vmodel");
    let input = testdata("models/digits_mlp/input.json");
    let (keys, proof, state) = (d.join("keys"), d.join("proof.json"), d.join("chain.json"));
    let o = verinfer(&["setup", s(&m), "-o", s(&keys)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let args = ["prove", s(&m), "--input", s(&input), "--keys", s(&keys)];
    let o = verinfer(&[&args[..], &["-o", s(&proof)]].concat());
    assert!(o.status.success(), "{}", stderr(&o));

    // 7 public inputs: the selector, 8 proof words, 7 input words.
    let c = json_of(&["encode-calldata", s(&proof), "--keys", s(&keys), "--json"]);
    assert_eq!(c["function"], "verifyProof(uint256[8],uint256[7])", "{c}");
    assert_eq!(c["bytes"], 4 + 32 * 15, "{c}");
    let hex = c["calldata"].as_str().unwrap();
    assert_eq!(hex.len(), 2 + 2 * (4 + 32 * 15), "{c}");
    let o = verinfer(&["encode-calldata", s(&proof), "--keys", s(&keys)]);
    assert_eq!(stdout(&o).trim(), hex);
    let small = json_of(&[
        "encode-calldata",
        s(&proof),
        "--keys",
        s(&keys),
        "--compressed",
        "--json",
    ]);
    assert_eq!(small["bytes"], 4 + 32 * 11, "{small}");
    // The public inputs are the same words in both encodings.
    let tail = |h: &str, words: usize| h[2 + 2 * (4 + 32 * words)..].to_string();
    assert_eq!(tail(hex, 8), tail(small["calldata"].as_str().unwrap(), 4));

    // Deploy on a saved in-process chain; a second deploy and `verify --evm` reuse it.
    let dep = [
        "deploy-verifier",
        "--keys",
        s(&keys),
        "--state",
        s(&state),
        "--json",
    ];
    let first = json_of(&dep);
    assert_eq!(first["reused"], false, "{first}");
    assert!(first["gas_used"].as_u64().unwrap() > 0, "{first}");
    let again = json_of(&dep);
    assert_eq!(again["reused"], true, "{again}");
    assert_eq!(again["address"], first["address"]);
    let o = verinfer(&[
        "verify",
        s(&proof),
        "--keys",
        s(&keys),
        "--evm",
        "--state",
        s(&state),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("evm: proof valid"), "{}", stdout(&o));
    assert!(!stdout(&o).contains("deployed"), "{}", stdout(&o));

    // The exported verifier, compiled by the pinned solc-js, deployed from its bytecode.
    let sol = d.join("Verifier.sol");
    let o = verinfer(&["export-verifier", "--keys", s(&keys), "-o", s(&sol)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = Command::new("node")
        .arg(common::root().join("contracts/scripts/compile-one.js"))
        .arg(&sol)
        .output()
        .unwrap();
    assert!(out.status.success(), "compile-one.js: {}", stderr(&out));
    let compiled: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let bin = d.join("Verifier.bin");
    std::fs::write(&bin, compiled["bytecode"].as_str().unwrap()).unwrap();
    let exported = json_of(&[&dep[..5], &["--bytecode", s(&bin), "--json"]].concat());
    assert_eq!(exported["contract"], "Verifier", "{exported}");
    assert_ne!(exported["address"], first["address"]);
    assert!(exported["gas_used"].as_u64().unwrap() > 0, "{exported}");

    // Bad input is named.
    let bad = d.join("bad.hex");
    std::fs::write(&bad, "0xnot-hex").unwrap();
    let o = verinfer(&[&dep[..5], &["--bytecode", s(&bad)]].concat());
    assert!(!o.status.success());
    assert!(stderr(&o).contains("not hex bytecode"), "{}", stderr(&o));
    let o = verinfer(&["encode-calldata", s(&input), "--keys", s(&keys)]);
    assert!(!o.status.success() && !stderr(&o).contains("panicked"));
}

#[test]
fn ezkl_visibility_words_in_setup() {
    let d = tmpdir("friction-vis");
    let m = testdata("golden/v1/digits_mlp.vmodel");
    let keys = d.join("keys");
    let vis = "input=private,params=fixed,output=hashed/public";
    let o = verinfer(&["setup", s(&m), "-o", s(&keys), "--visibility", vis]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("input=private,params=public,output=hashed"),
        "{}",
        stdout(&o)
    );
    let o = verinfer(&[
        "setup",
        s(&m),
        "-o",
        s(&keys),
        "--visibility",
        "input=fixed",
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("params only"), "{}", stderr(&o));
}

#[test]
fn input_json_takes_integers_and_booleans() {
    let d = tmpdir("friction-input");
    let m = testdata("golden/v1/digits_mlp.vmodel");
    let text = std::fs::read_to_string(testdata("models/digits_mlp/input.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let n = v["input_data"][0].as_array().unwrap().len();
    let as_floats: Vec<f64> = (0..n).map(|i| (i % 3) as f64).collect();
    let as_mixed: Vec<serde_json::Value> = (0..n)
        .map(|i| match i % 3 {
            0 => false.into(),
            1 => true.into(),
            _ => 2.into(),
        })
        .collect();
    let (f, i) = (d.join("floats.json"), d.join("mixed.json"));
    std::fs::write(
        &f,
        serde_json::json!({"input_data": [as_floats]}).to_string(),
    )
    .unwrap();
    std::fs::write(
        &i,
        serde_json::json!({"input_data": [as_mixed]}).to_string(),
    )
    .unwrap();
    let run = |p: &Path| {
        let o = verinfer(&["run", s(&m), "--input", s(p)]);
        assert!(o.status.success(), "{}", stderr(&o));
        stdout(&o)
    };
    assert_eq!(run(&f), run(&i));
}

#[test]
fn compile_json_names_the_model() {
    let d = tmpdir("friction-compile");
    let dir = testdata("models/digits_mlp");
    let out = d.join("m.vmodel");
    let v = json_of(&[
        "compile",
        s(&dir.join("network.onnx")),
        "--calibration",
        s(&dir.join("calibration.json")),
        "-o",
        s(&out),
        "--json",
    ]);
    assert_eq!(v["output"], s(&out));
    assert!(v["nodes"].as_u64().unwrap() > 0, "{v}");
    let commit = json_of(&["commit", s(&out), "--json"]);
    assert_eq!(v["model_id"], commit["model_id"], "{v} {commit}");
    assert!(v["report"]["outputs"].is_array(), "{v}");
}

#[test]
fn gguf_json() {
    let m = testdata("gguf/llama_tiny.gguf");
    let info = json_of(&["gguf", "info", s(&m), "--tensors", "--json"]);
    assert_eq!(info["llama"]["layers"], 2, "{info}");
    let tensors = info["tensors"].as_array().unwrap();
    assert_eq!(
        tensors.len(),
        info["tensor_count"].as_u64().unwrap() as usize
    );
    let text = "Be not afeard";
    let ids = json_of(&["gguf", "tokenize", s(&m), text, "--json"]);
    let ids: Vec<String> = ids["ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i.to_string())
        .collect();
    let mut args = vec!["gguf", "detokenize", s(&m), "--json"];
    args.extend(ids.iter().map(String::as_str));
    assert_eq!(json_of(&args)["text"], text);
}

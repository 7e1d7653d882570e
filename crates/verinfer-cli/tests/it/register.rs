//! `verinfer register` on the in-process chain (ephemeral and with a state file) and on a real
//! anvil node started by the test; bad chains and models give clear errors.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;
use common::{s, stderr, tmpdir, verinfer};

use common::mlp_model as model;

fn json(o: &std::process::Output) -> serde_json::Value {
    assert!(o.status.success(), "{}", stderr(o));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn model_id() -> String {
    let o = verinfer(&["commit", &model()]);
    assert!(o.status.success(), "{}", stderr(&o));
    String::from_utf8(o.stdout).unwrap().trim().to_string()
}

fn gas_of(v: &serde_json::Value) -> Vec<u64> {
    v["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["gas_used"].as_u64().unwrap())
        .collect()
}

#[test]
fn in_process_registers_and_reports_gas() {
    let v = json(&verinfer(&[
        "register",
        &model(),
        "--json",
        "--uri",
        "ipfs://x",
    ]));
    assert_eq!(v["model_id"].as_str().unwrap(), model_id());
    assert_eq!(v["uri"], "ipfs://x");
    assert_eq!(v["already_registered"], false);
    let gas = gas_of(&v);
    assert_eq!(gas.len(), 2, "deploy + register");
    assert!(gas.iter().all(|g| *g > 21_000), "{gas:?}");
}

#[test]
fn state_file_keeps_the_chain_between_commands() {
    let dir = tmpdir("register-state");
    let state = dir.join("chain.json");
    let s = state.to_str().unwrap();
    let first = json(&verinfer(&["register", &model(), "--json", "--state", s]));
    let second = json(&verinfer(&["register", &model(), "--json", "--state", s]));
    assert_eq!(first["registry"], second["registry"]);
    assert_eq!(second["already_registered"], true);
    assert!(gas_of(&second).is_empty(), "nothing sent the second time");

    // A corrupt state file is refused and left as it was.
    std::fs::write(&state, "{ not json").unwrap();
    let o = verinfer(&["register", &model(), "--state", s]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("chain.json"), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&state).unwrap(), "{ not json");
}

#[test]
fn anvil_end_to_end() {
    let contracts = common::root().join("contracts");
    let anvil =
        verinfer_chain::Anvil::spawn(&contracts, &[]).expect("anvil (npm ci --prefix contracts)");
    let dir = tmpdir("register-anvil");
    let deployments = dir.join("deployments.json");
    let args = |extra: &[&str]| {
        let mut a = vec![
            "register".to_string(),
            model(),
            "--json".into(),
            "--rpc-url".into(),
            anvil.url().into(),
            "--deployments".into(),
            deployments.to_str().unwrap().into(),
        ];
        a.extend(extra.iter().map(|s| s.to_string()));
        a
    };
    let run = |extra: &[&str]| {
        let a = args(extra);
        verinfer(&a.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let v = json(&run(&[]));
    assert_eq!(v["model_id"].as_str().unwrap(), model_id());
    assert!(v["chain"].as_str().unwrap().contains("31337"));
    assert_eq!(gas_of(&v).len(), 2);
    // The recorded registry is found again; the model is already there.
    let again = json(&run(&[]));
    assert_eq!(again["registry"], v["registry"]);
    assert_eq!(again["already_registered"], true);

    // An explicit address without a registry behind it.
    let o = run(&["--registry", "0x000000000000000000000000000000000000dead"]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("no ModelRegistry contract"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn unreachable_node_is_a_clear_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let dir = tmpdir("register-unreachable");
    let deployments = dir.join("d.json");
    let o = verinfer(&[
        "register",
        &model(),
        "--rpc-url",
        &url,
        "--deployments",
        s(&deployments),
    ]);
    assert!(!o.status.success());
    let e = stderr(&o);
    assert!(e.contains(&url) && e.contains("Connection refused"), "{e}");
    assert!(!deployments.exists(), "nothing written on failure");
}

#[test]
fn not_a_model_is_refused_before_any_chain_work() {
    let dir = tmpdir("register-bad-model");
    let bad = dir.join("bad.vmodel");
    std::fs::write(&bad, b"VINFMODL garbage").unwrap();
    let o = verinfer(&["register", bad.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("bad.vmodel"), "{}", stderr(&o));
}

#[test]
fn flags_that_do_not_fit_together() {
    let o = verinfer(&[
        "register",
        &model(),
        "--rpc-url",
        "http://127.0.0.1:9",
        "--state",
        "x.json",
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("--state"), "{}", stderr(&o));
    let o = verinfer(&["register", &model(), "--private-key", "0x01"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("--rpc-url"), "{}", stderr(&o));
}

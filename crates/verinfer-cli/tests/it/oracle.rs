//! `verinfer oracle deploy|request|status|set-zk` and `verinfer mint --request|--op` on the
//! in-process chain kept in a state file (a zk-mode node answers the zk request); refused
//! requests name their reason; `mint --zk` is refused with the way to do it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;
use common::{fails, ok, testdata, tmpdir};

/// Runs `verinfer args…`, asserting that it fails and that its stderr contains every one of
/// `reasons`.
fn refused(args: &[&str], reasons: &[&str]) {
    let err = fails(args);
    for r in reasons {
        assert!(err.contains(r), "{args:?}: no {r:?} in {err}");
    }
}

#[test]
fn request_set_zk_and_mint_both_ways() {
    let d = tmpdir("oracle-cli");
    let state = d.join("chain.json");
    let s = state.to_str().unwrap();
    let model = testdata("golden/v1/digits_mlp.vmodel");
    let m = model.to_str().unwrap();
    let input = testdata("models/digits_mlp/input.json");
    let i = input.to_str().unwrap();
    let st = ["--state", s];
    // `verinfer oracle request --model M --input I EXTRA… --state S`.
    let request = ["oracle", "request", "--model", m, "--input", i];
    let set_zk = ["oracle", "set-zk", "--model", m, "--keys"];
    // `verinfer mint --prompt I --model M`, then the mode.
    let mint = ["mint", "--prompt", i, "--model", m];

    let out = ok(&["oracle", "deploy", "--state", s]);
    assert!(out.contains("oracle:"), "{out}");
    // Deploying again reuses the recorded contracts.
    let again = ok(&["oracle", "deploy", "--state", s]);
    assert_eq!(out, again);

    // Unregistered model: the oracle refuses the request by name.
    refused(&[&request[..], &st[..]].concat(), &["UnknownModel"]);
    ok(&["register", m, "--state", s]);
    // Registered: a claim of the sample input (the request below teaches the game the model
    // itself when nobody has).
    let traces = d.join("traces");
    let t = traces.to_str().unwrap();
    ok(&["claim", m, "--input", i, "--state", s, "--trace-dir", t]);
    // Underpaid.
    refused(
        &[&request[..], &["--fee-wei", "1"][..], &st[..]].concat(),
        &["FeeTooLow"],
    );
    let out = ok(&[&request[..], &st[..]].concat());
    assert!(out.contains("request 0"), "{out}");
    let out = ok(&["oracle", "status", "0", "--state", s]);
    assert!(out.contains("request 0: Open"), "{out}");
    fails(&["oracle", "status", "7", "--state", s]);

    // zk: keys (beside the model, where a node finds them), verifier registration.
    let models = d.join("models");
    std::fs::create_dir_all(&models).unwrap();
    std::fs::copy(&model, models.join("digits_mlp.vmodel")).unwrap();
    let keys = models.join("digits_mlp.keys");
    // The oracle verifies the digest statement (ABI v4): packed-statement keys are refused
    // by name.
    let packed = d.join("packed.keys");
    ok(&["setup", m, "-o", packed.to_str().unwrap()]);
    refused(
        &[&set_zk[..], &[packed.to_str().unwrap()][..], &st[..]].concat(),
        &["digest statement", "statement=digest"],
    );
    ok(&[
        "setup",
        m,
        "--visibility",
        "input=public,params=public,output=public,statement=digest",
        "-o",
        common::s(&keys),
    ]);
    // No configuration published yet: a request cannot pin one.
    refused(
        &[&request[..], &["--zk-version", "1"][..], &st[..]].concat(),
        &["NoSuchZkVersion"],
    );
    let out = ok(&[&set_zk[..], &[keys.to_str().unwrap()][..], &st[..]].concat());
    assert!(
        out.contains("zk configuration version 1: zk answers verified by"),
        "{out}"
    );
    // A bare proof names no minter: `mint --zk` is refused, and says what to do instead.
    refused(
        &[&mint[..], &["--zk"][..], &st[..]].concat(),
        &["--request", "--zk-version"],
    );
    // A request accepting configuration 1, answered with a proof by a zk node; its requester
    // mints on it: verified at once.
    let out = ok(&[&request[..], &["--zk-version", "1"][..], &st[..]].concat());
    assert!(out.contains("request 1"), "{out}");
    let node_dir = d.join("node");
    ok(&[
        "node",
        "--in-process",
        "--models",
        common::s(&models),
        "--mode",
        "zk",
        "--ticks",
        "1",
        "--poll-ms",
        "1",
        "--state-dir",
        common::s(&node_dir),
        "--state",
        s,
    ]);
    let out = ok(&["oracle", "status", "1", "--state", s]);
    assert!(out.contains("request 1: Fulfilled"), "{out}");
    assert!(out.contains("via proof: true"), "{out}");
    let out = ok(&[&mint[..], &["--request", "1"][..], &st[..]].concat());
    assert!(out.contains("verify() = true"), "{out}");
    // The same prompt cannot be minted twice.
    fails(&[&mint[..], &["--op"][..], &st[..]].concat());

    // opML: another prompt, minted on a fresh claim, is not verified before finality.
    let text = std::fs::read_to_string(&input).unwrap();
    let mut j: serde_json::Value = serde_json::from_str(&text).unwrap();
    j["input_data"][0][0] = 0.5.into();
    let other = d.join("other.json");
    std::fs::write(&other, j.to_string()).unwrap();
    let o = other.to_str().unwrap();
    let out = ok(&["mint", "--prompt", o, "--model", m, "--op", "--state", s]);
    assert!(out.contains("verify() = false"), "{out}");

    // Neither mode chosen.
    refused(&[&mint[..], &st[..]].concat(), &["--request"]);
}

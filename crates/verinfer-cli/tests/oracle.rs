//! `verinfer oracle deploy|request|status|set-zk` and `verinfer mint --request|--op` on the
//! in-process chain kept in a state file (a zk-mode node answers the zk request); refused
//! requests name their reason; `mint --zk` is refused with the way to do it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{stderr, testdata, tmpdir, verinfer};

fn ok(o: &std::process::Output) -> String {
    assert!(o.status.success(), "{}", stderr(o));
    String::from_utf8_lossy(&o.stdout).into_owned()
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

    let out = ok(&verinfer(&["oracle", "deploy", "--state", s]));
    assert!(out.contains("oracle:"), "{out}");
    // Deploying again reuses the recorded contracts.
    let again = ok(&verinfer(&["oracle", "deploy", "--state", s]));
    assert_eq!(out, again);

    // Unregistered model: the oracle refuses the request by name.
    let o = verinfer(&[
        "oracle", "request", "--model", m, "--input", i, "--state", s,
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("UnknownModel"), "{}", stderr(&o));
    ok(&verinfer(&["register", m, "--state", s]));
    // Registered: a claim of the sample input (the request below teaches the game the model
    // itself when nobody has).
    let traces = d.join("traces");
    ok(&verinfer(&[
        "claim",
        m,
        "--input",
        i,
        "--state",
        s,
        "--trace-dir",
        traces.to_str().unwrap(),
    ]));
    // Underpaid.
    let o = verinfer(&[
        "oracle",
        "request",
        "--model",
        m,
        "--input",
        i,
        "--fee-wei",
        "1",
        "--state",
        s,
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("FeeTooLow"), "{}", stderr(&o));
    let out = ok(&verinfer(&[
        "oracle", "request", "--model", m, "--input", i, "--state", s,
    ]));
    assert!(out.contains("request 0"), "{out}");
    let out = ok(&verinfer(&["oracle", "status", "0", "--state", s]));
    assert!(out.contains("request 0: Open"), "{out}");
    let o = verinfer(&["oracle", "status", "7", "--state", s]);
    assert!(!o.status.success());

    // zk: keys (beside the model, where a node finds them), verifier registration.
    let models = d.join("models");
    std::fs::create_dir_all(&models).unwrap();
    std::fs::copy(&model, models.join("digits_mlp.vmodel")).unwrap();
    let keys = models.join("digits_mlp.keys");
    // The oracle verifies the digest statement (ABI v4): packed-statement keys are refused
    // by name.
    let packed = d.join("packed.keys");
    ok(&verinfer(&["setup", m, "-o", packed.to_str().unwrap()]));
    let o = verinfer(&[
        "oracle",
        "set-zk",
        "--model",
        m,
        "--keys",
        packed.to_str().unwrap(),
        "--state",
        s,
    ]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("digest statement") && stderr(&o).contains("statement=digest"),
        "{}",
        stderr(&o)
    );
    ok(&verinfer(&[
        "setup",
        m,
        "--visibility",
        "input=public,params=public,output=public,statement=digest",
        "-o",
        keys.to_str().unwrap(),
    ]));
    // No configuration published yet: a request cannot pin one.
    let o = verinfer(&[
        "oracle",
        "request",
        "--model",
        m,
        "--input",
        i,
        "--zk-version",
        "1",
        "--state",
        s,
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("NoSuchZkVersion"), "{}", stderr(&o));
    let out = ok(&verinfer(&[
        "oracle",
        "set-zk",
        "--model",
        m,
        "--keys",
        keys.to_str().unwrap(),
        "--state",
        s,
    ]));
    assert!(
        out.contains("zk configuration version 1: zk answers verified by"),
        "{out}"
    );
    // A bare proof names no minter: `mint --zk` is refused, and says what to do instead.
    let o = verinfer(&["mint", "--prompt", i, "--model", m, "--zk", "--state", s]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("--request") && stderr(&o).contains("--zk-version"),
        "{}",
        stderr(&o)
    );
    // A request accepting configuration 1, answered with a proof by a zk node; its requester
    // mints on it: verified at once.
    let out = ok(&verinfer(&[
        "oracle",
        "request",
        "--model",
        m,
        "--input",
        i,
        "--zk-version",
        "1",
        "--state",
        s,
    ]));
    assert!(out.contains("request 1"), "{out}");
    let node_dir = d.join("node");
    ok(&verinfer(&[
        "node",
        "--in-process",
        "--models",
        models.to_str().unwrap(),
        "--mode",
        "zk",
        "--ticks",
        "1",
        "--poll-ms",
        "1",
        "--state-dir",
        node_dir.to_str().unwrap(),
        "--state",
        s,
    ]));
    let out = ok(&verinfer(&["oracle", "status", "1", "--state", s]));
    assert!(out.contains("request 1: Fulfilled"), "{out}");
    assert!(out.contains("via proof: true"), "{out}");
    let out = ok(&verinfer(&[
        "mint",
        "--prompt",
        i,
        "--model",
        m,
        "--request",
        "1",
        "--state",
        s,
    ]));
    assert!(out.contains("verify() = true"), "{out}");
    // The same prompt cannot be minted twice.
    let o = verinfer(&["mint", "--prompt", i, "--model", m, "--op", "--state", s]);
    assert!(!o.status.success());

    // opML: another prompt, minted on a fresh claim, is not verified before finality.
    let text = std::fs::read_to_string(&input).unwrap();
    let mut j: serde_json::Value = serde_json::from_str(&text).unwrap();
    j["input_data"][0][0] = 0.5.into();
    let other = d.join("other.json");
    std::fs::write(&other, j.to_string()).unwrap();
    let out = ok(&verinfer(&[
        "mint",
        "--prompt",
        other.to_str().unwrap(),
        "--model",
        m,
        "--op",
        "--state",
        s,
    ]));
    assert!(out.contains("verify() = false"), "{out}");

    // Neither mode chosen.
    let o = verinfer(&["mint", "--prompt", i, "--model", m, "--state", s]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("--request"), "{}", stderr(&o));
}

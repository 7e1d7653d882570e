//! `verinfer oracle deploy|request|status|set-zk` and `verinfer mint --zk|--op` on the
//! in-process chain kept in a state file; refused requests name their reason.
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

    // zk: keys, verifier registration, a proven mint verifies at once.
    let keys = d.join("keys");
    ok(&verinfer(&["setup", m, "-o", keys.to_str().unwrap()]));
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
    assert!(out.contains("zk answers verified by"), "{out}");
    let out = ok(&verinfer(&[
        "mint",
        "--prompt",
        i,
        "--model",
        m,
        "--zk",
        "--keys",
        keys.to_str().unwrap(),
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
    assert!(stderr(&o).contains("--zk"), "{}", stderr(&o));
}

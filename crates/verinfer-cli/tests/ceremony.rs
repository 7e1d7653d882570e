//! `verinfer ceremony new|contribute|beacon|verify` through the binary: three contributions
//! and a beacon give keys that `prove`, `verify` and `export-verifier` use; a file out of
//! order is refused naming the contribution.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;

use common::{stderr, testdata, tmpdir, verinfer};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn ok(args: &[&str]) -> String {
    let o = verinfer(args);
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The value after `label` on its line.
fn field(out: &str, label: &str) -> String {
    out.lines()
        .find_map(|l| l.strip_prefix(label))
        .unwrap_or_else(|| panic!("no {label:?} in {out}"))
        .trim()
        .to_string()
}

#[test]
fn ceremony_keys_prove_and_verify() {
    let d = tmpdir("ceremony");
    let m = testdata("golden/v1/digits_mlp.vmodel");
    let f: Vec<_> = (0..5).map(|i| d.join(format!("c{i}.ceremony"))).collect();
    ok(&["ceremony", "new", s(&m), "-o", s(&f[0])]);
    let mut hashes = Vec::new();
    for (i, name) in ["alice", "bob", "carol"].iter().enumerate() {
        let out = ok(&[
            "ceremony",
            "contribute",
            s(&f[i]),
            "--name",
            name,
            "-o",
            s(&f[i + 1]),
        ]);
        hashes.push(field(&out, "contribution hash:"));
    }
    ok(&[
        "ceremony",
        "beacon",
        s(&f[3]),
        "--value",
        "0x0123456789abcdef",
        "--iterations-exp",
        "6",
        "-o",
        s(&f[4]),
    ]);
    let keys = d.join("keys");
    let out = ok(&[
        "ceremony",
        "verify",
        s(&f[0]),
        s(&f[1]),
        s(&f[2]),
        s(&f[3]),
        s(&f[4]),
        "--model",
        s(&m),
        "--keys-out",
        s(&keys),
    ]);
    assert!(out.contains("ceremony valid: 4 contributions"), "{out}");
    for h in &hashes {
        assert!(out.contains(h.as_str()), "{h} missing: {out}");
    }
    let manifest = std::fs::read_to_string(keys.join("keys.json")).unwrap();
    assert!(manifest.contains("\"ceremony\""), "{manifest}");

    let proof = d.join("proof.json");
    ok(&[
        "prove",
        s(&m),
        "--input",
        s(&testdata("models/digits_mlp/input.json")),
        "--keys",
        s(&keys),
        "-o",
        s(&proof),
    ]);
    let out = ok(&["verify", s(&proof), "--keys", s(&keys), "--evm"]);
    assert!(out.contains("native: proof valid"), "{out}");
    assert!(out.contains("evm: proof valid"), "{out}");
    let ceremony_hash = field(&out, "keys:   from ceremony");
    assert!(manifest.contains(&ceremony_hash), "{manifest}");
    ok(&[
        "export-verifier",
        "--keys",
        s(&keys),
        "-o",
        s(&d.join("V.sol")),
    ]);

    // bob's file left out between alice's and carol's: fine (intermediate files are
    // optional); carol's file given before bob's: refused, naming a contribution.
    ok(&["ceremony", "verify", s(&f[0]), s(&f[1]), s(&f[3]), s(&f[4])]);
    let o = verinfer(&["ceremony", "verify", s(&f[0]), s(&f[3]), s(&f[2])]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("fewer contributions"), "{}", stderr(&o));
    // A contribution made on a truncated chain (alice's file, skipping bob) does not splice.
    let out = ok(&[
        "ceremony",
        "contribute",
        s(&f[1]),
        "--name",
        "mallory",
        "-o",
        s(&d.join("m.ceremony")),
    ]);
    assert!(out.contains("contribution 2 (mallory)"), "{out}");
    let o = verinfer(&[
        "ceremony",
        "verify",
        s(&f[0]),
        s(&f[2]),
        s(&d.join("m.ceremony")),
    ]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("contribution 2 (mallory)"),
        "{}",
        stderr(&o)
    );
    // Not a ceremony file.
    let o = verinfer(&["ceremony", "verify", s(&proof)]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("not a verinfer phase-2 ceremony file"),
        "{}",
        stderr(&o)
    );
}

//! `verinfer ceremony new|contribute|beacon|verify` through the binary: three contributions
//! and a beacon give keys that `prove`, `verify` and `export-verifier` use; a file out of
//! order is refused naming the contribution. Phase 1 from a snarkjs `.ptau` (`--ptau`): the
//! file's hash is recorded and reported, `verify --ptau` rebuilds the initial file, and a
//! file too small for the model is refused naming both sizes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;
use std::path::Path;

use common::{fails, ok, prove_and_verify_on_evm, s, stderr, testdata, tmpdir, verinfer};

/// `ceremony contribute FROM --name NAME -o TO`; its output.
fn contribute(from: &str, name: &str, to: &str) -> String {
    ok(&["ceremony", "contribute", from, "--name", name, "-o", to])
}

/// `ceremony beacon FROM --value VALUE --iterations-exp EXP -o TO`.
fn beacon(from: &str, value: &str, exp: &str, to: &str) {
    ok(&[
        "ceremony",
        "beacon",
        from,
        "--value",
        value,
        "--iterations-exp",
        exp,
        "-o",
        to,
    ]);
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
        let out = contribute(s(&f[i]), name, s(&f[i + 1]));
        hashes.push(field(&out, "contribution hash:"));
    }
    beacon(s(&f[3]), "0x0123456789abcdef", "6", s(&f[4]));
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
    let input = testdata("models/digits_mlp/input.json");
    let out = prove_and_verify_on_evm(&m, &input, &keys, &proof);
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
    let e = fails(&["ceremony", "verify", s(&f[0]), s(&f[3]), s(&f[2])]);
    assert!(e.contains("fewer contributions"), "{e}");
    // A contribution made on a truncated chain (alice's file, skipping bob) does not splice.
    let out = contribute(s(&f[1]), "mallory", s(&d.join("m.ceremony")));
    assert!(out.contains("contribution 2 (mallory)"), "{out}");
    let e = fails(&[
        "ceremony",
        "verify",
        s(&f[0]),
        s(&f[2]),
        s(&d.join("m.ceremony")),
    ]);
    assert!(e.contains("contribution 2 (mallory)"), "{e}");
    // Not a ceremony file.
    let e = fails(&["ceremony", "verify", s(&proof)]);
    assert!(e.contains("not a verinfer phase-2 ceremony file"), "{e}");
}

fn small_model(path: &Path) {
    verinfer_ir::vmodel::save(&verinfer_testing::graph::small_circuit(), path).unwrap();
}

#[test]
fn ceremony_from_a_snarkjs_ptau() {
    let d = tmpdir("ceremony-ptau");
    let m = d.join("small.vmodel");
    small_model(&m);
    let ptau = testdata("ptau/pot8_beacon_final.ptau");
    let f: Vec<_> = (0..3).map(|i| d.join(format!("c{i}.ceremony"))).collect();
    let t = std::time::Instant::now();
    let o = verinfer(&["ceremony", "new", s(&m), "--ptau", s(&ptau), "-o", s(&f[0])]);
    eprintln!("TIMING: ceremony new --ptau (power 8): {:?}", t.elapsed());
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    // The hash `b2sum` prints for the file (testdata/ptau/README.md).
    let b2 = "0xdf62a2587bfbc1342dfe8b9e416ac24cd8906e4dde602c77744ebd1f711948f183d339a4cae7e04d\
              55e80e5511d411fae7baad11d7861d8dfe99181fa967740d";
    assert_eq!(field(&out, "ptau blake2b:"), b2, "{out}");
    assert!(!stderr(&o).contains("INSECURE"), "{}", stderr(&o));
    contribute(s(&f[0]), "alice", s(&f[1]));
    beacon(s(&f[1]), "0x01", "2", s(&f[2]));
    let keys = d.join("keys");
    let out = ok(&[
        "ceremony",
        "verify",
        s(&f[0]),
        s(&f[2]),
        "--model",
        s(&m),
        "--ptau",
        s(&ptau),
        "--keys-out",
        s(&keys),
    ]);
    assert!(out.contains("phase 1 check: the initial file is"), "{out}");
    assert!(out.contains("ptau power 8"), "{out}");
    assert_eq!(field(&out, "ptau blake2b:"), b2, "{out}");
    assert!(out.contains("ceremony valid: 2 contributions"), "{out}");

    let input = d.join("input.json");
    std::fs::write(&input, r#"{"input_data": [[-128, 77, 127], [3, 127, -1]]}"#).unwrap();
    let proof = d.join("proof.json");
    prove_and_verify_on_evm(&m, &input, &keys, &proof);

    // A locally sampled initial file does not pass as built from the ptau, and says so loudly.
    let local = d.join("local.ceremony");
    let o = verinfer(&["ceremony", "new", s(&m), "-o", s(&local)]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("INSECURE FOR PRODUCTION"),
        "{}",
        stderr(&o)
    );
    let e = fails(&[
        "ceremony",
        "verify",
        s(&local),
        "--model",
        s(&m),
        "--ptau",
        s(&ptau),
    ]);
    assert!(e.contains("was not built from"), "{e}");

    // Too small: the digits MLP needs a larger domain than 2^8.
    let big = testdata("golden/v1/digits_mlp.vmodel");
    let e = fails(&[
        "ceremony",
        "new",
        s(&big),
        "--ptau",
        s(&ptau),
        "-o",
        s(&d.join("x.ceremony")),
    ]);
    assert!(
        e.contains("this .ptau has power 8") && e.contains("domain of 2^"),
        "{e}"
    );
    // Not a ptau at all.
    let e = fails(&[
        "ceremony",
        "new",
        s(&m),
        "--ptau",
        s(&m),
        "-o",
        s(&d.join("y")),
    ]);
    assert!(e.contains("not a .ptau file"), "{e}");
}

//! `verinfer inspect --zk`, `setup`, `prove`, `verify [--evm]`, `export-verifier`: the whole
//! zk flow through the binary, and clear errors for keys, proofs and inputs that do not fit.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;
use std::path::{Path, PathBuf};

use common::{
    compile_folder, fails, ok, prove, prove_and_verify_on_evm, prove_fails, s, stderr, stdout,
    testdata, tmpdir, verinfer,
};

#[test]
fn inspect_zk_counts_constraints_per_op() {
    let m = testdata("golden/v1/digits_mlp.vmodel");
    let out = ok(&["inspect", s(&m), "--zk"]);
    assert!(
        out.contains("zk circuit (Groth16, BN254, input=public,params=public,output=public)")
            && out.contains("Contract"),
        "{out}"
    );
    let out = ok(&["inspect", s(&m), "--zk", "--visibility", "params=hashed"]);
    assert!(out.contains("params"), "{}", out);
    let e = fails(&["inspect", s(&m), "--zk", "--visibility", "params=secret"]);
    assert!(e.contains("unknown visibility"), "{e}");
}

#[test]
fn setup_prove_verify_on_the_evm_and_refuse_what_does_not_fit() {
    let d = tmpdir("zk-flow");
    let m = testdata("golden/v1/digits_mlp.vmodel");
    let input = testdata("models/digits_mlp/input.json");
    let keys = d.join("keys");
    let proof = d.join("proof.json");
    let out = ok(&["setup", s(&m), "-o", s(&keys)]);
    // The context word, 5 packed input elements, 1 output element.
    assert!(out.contains("public inputs: 7"), "{}", out);
    let out = prove_and_verify_on_evm(&m, &input, &keys, &proof);
    assert!(out.contains("evm: proof valid, verifyProof gas"), "{out}");

    // A tampered output: the proof no longer verifies.
    let text = std::fs::read_to_string(&proof).unwrap();
    let mut j: serde_json::Value = serde_json::from_str(&text).unwrap();
    let y = j["public"]["outputs"][0][0].as_i64().unwrap();
    j["public"]["outputs"][0][0] = (y + 1).into();
    let bad = d.join("tampered.json");
    std::fs::write(&bad, j.to_string()).unwrap();
    let e = fails(&["verify", s(&bad), "--keys", s(&keys)]);
    assert!(e.contains("proof rejected"), "{e}");

    // A flipped proof byte: rejected or not a curve point — never accepted.
    let mut j: serde_json::Value = serde_json::from_str(&text).unwrap();
    let p = j["proof"].as_str().unwrap().to_string();
    let flipped = format!("{}{}", &p[..10], if &p[10..11] == "0" { "1" } else { "0" }) + &p[11..];
    j["proof"] = flipped.into();
    std::fs::write(&bad, j.to_string()).unwrap();
    fails(&["verify", s(&bad), "--keys", s(&keys)]);

    // A proof bound to a chain, contract, request and answerer: it states them, verifies,
    // and another answerer's name on it does not verify.
    let bound = d.join("bound.json");
    prove(
        &m,
        &input,
        &keys,
        &bound,
        &[
            "--chain-id",
            "31337",
            "--contract",
            "0x00000000000000000000000000000000000000aa",
            "--tag",
            "7",
            "--answerer",
            "0x00000000000000000000000000000000000000bb",
        ],
    );
    ok(&["verify", s(&bound), "--keys", s(&keys)]);
    let text = std::fs::read_to_string(&bound).unwrap();
    let mut j: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(j["public"]["context"]["chain_id"], "0x7a69");
    assert_eq!(j["public"]["context"]["tag"], "0x7");
    j["public"]["context"]["answerer"] = "0x00000000000000000000000000000000000000cc".into();
    std::fs::write(&bad, j.to_string()).unwrap();
    let e = fails(&["verify", s(&bad), "--keys", s(&keys)]);
    assert!(e.contains("proof rejected"), "{e}");

    // Malformed JSON.
    std::fs::write(&bad, "{\"format\": 3").unwrap();
    let e = fails(&["verify", s(&bad), "--keys", s(&keys)]);
    assert!(e.contains("tampered.json"), "{e}");

    // Keys of another visibility (hence another statement) refuse the proof before pairing.
    let keys2 = d.join("keys-hashed");
    ok(&[
        "setup",
        s(&m),
        "--visibility",
        "params=hashed",
        "-o",
        s(&keys2),
    ]);
    let e = fails(&["verify", s(&proof), "--keys", s(&keys2)]);
    assert!(e.contains("visibility"), "{e}");

    // Keys of another model: `prove` refuses them by model id.
    let other = d.join("cnn.vmodel");
    assert!(compile_folder("mnist_cnn", &other).status.success());
    let e = prove_fails(
        &other,
        &testdata("models/mnist_cnn/input.json"),
        &keys,
        &d.join("x.json"),
        &[],
    );
    assert!(e.contains("are for model"), "{e}");

    // export-verifier writes a Solidity contract.
    let sol = d.join("Verifier.sol");
    ok(&["export-verifier", "--keys", s(&keys), "-o", s(&sol)]);
    let text = std::fs::read_to_string(&sol).unwrap();
    assert!(text.contains("contract Verifier"), "{text}");
}

/// The golden digits MLP set up in `d` with `setup` options (`d/keys`) and proved on its
/// sample input (`d/proof.json`): (model, keys, proof, the setup's output).
fn setup_and_prove(d: &Path, setup: &[&str]) -> (PathBuf, PathBuf, PathBuf, String) {
    let m = testdata("golden/v1/digits_mlp.vmodel");
    let keys = d.join("keys");
    let proof = d.join("proof.json");
    let out = ok(&[&["setup", s(&m)][..], setup, &["-o", s(&keys)][..]].concat());
    let input = testdata("models/digits_mlp/input.json");
    prove(&m, &input, &keys, &proof, &[]);
    (m, keys, proof, out)
}

#[test]
fn hashed_weights_prove_and_the_hash_is_checked() {
    let d = tmpdir("zk-hashed");
    let vis = ["--visibility", "input=public,params=hashed,output=public"];
    let (_, keys, proof, out) = setup_and_prove(&d, &vis);
    assert!(out.contains("param hash:"), "{}", out);
    ok(&["verify", s(&proof), "--keys", s(&keys)]);
    // A proof stating other weights is refused by the keys' recorded hash.
    let text = std::fs::read_to_string(&proof).unwrap();
    let mut j: serde_json::Value = serde_json::from_str(&text).unwrap();
    j["public"]["param_hash"] =
        "0x0000000000000000000000000000000000000000000000000000000000000007".into();
    std::fs::write(&proof, j.to_string()).unwrap();
    let e = fails(&["verify", s(&proof), "--keys", s(&keys)]);
    assert!(e.contains("weights with hash"), "{e}");
}

/// Edits that keep the packed public inputs (an appended lowest output, a split output, inputs
/// re-split with a lowest-value pad) must not verify: the keys record the tensor lengths.
#[test]
fn attack_proof_file_with_other_tensor_lengths() {
    let d = tmpdir("zk-lengths");
    let (_, keys, proof, _) = setup_and_prove(&d, &[]);
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&proof).unwrap()).unwrap();
    let outputs: Vec<i64> = serde_json::from_value(j["public"]["outputs"][0].clone()).unwrap();
    let inputs: Vec<i64> = serde_json::from_value(j["public"]["inputs"][0].clone()).unwrap();
    let k: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(keys.join("keys.json")).unwrap()).unwrap();
    let lowest = |w: &str| -(1i64 << (k[w].as_i64().unwrap() - 1));
    let (oh, ih) = (outputs.len() / 2, inputs.len() / 2);
    let mut padded = inputs[ih..].to_vec();
    padded.push(lowest("input_width"));
    let mut appended = outputs.clone();
    appended.push(lowest("output_width"));
    let edits = [
        ("outputs", serde_json::json!([appended]), "output tensor 0"),
        (
            "outputs",
            serde_json::json!([outputs[..oh], outputs[oh..]]),
            "2 output tensors stated",
        ),
        (
            "inputs",
            serde_json::json!([inputs[..ih], padded]),
            "2 input tensors stated",
        ),
    ];
    let bad = d.join("edited.json");
    for (class, value, msg) in edits {
        let mut e = j.clone();
        e["public"][class] = value;
        std::fs::write(&bad, e.to_string()).unwrap();
        let o = verinfer(&["verify", s(&bad), "--keys", s(&keys)]);
        assert!(
            !o.status.success(),
            "edited {class} verified: {}",
            stdout(&o)
        );
        assert!(stderr(&o).contains(msg), "{}", stderr(&o));
    }
}

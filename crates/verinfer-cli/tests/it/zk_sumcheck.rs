//! `verinfer setup|prove|verify|export-verifier --backend sumcheck` through the binary, on a
//! single matrix-product model built with the test builders (the shape the Solidity verifier
//! covers): the insecure local SRS said loudly, `--ptau` with the snarkjs-made file, keys of
//! another SRS rejecting the proof, models and options it does not take refused by name; then
//! the bundled digits MLP end to end (the layered proof).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;
use std::path::Path;

use common::{s, stderr, stdout, testdata, tmpdir, verinfer};
use verinfer_ir::{Op, Operand, ParamKind};
use verinfer_testing::{GraphBuilder, Rng};

/// `y = requant(x·W + bias·4)`: `x` 8-bit `[2, 8]`, `W` 8-bit `[8, 4]`, a 12-bit output that
/// never saturates; saved as a `.vmodel`, with an input file.
fn single_matmul(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let (m, k, n) = (2, 8, 4);
    let mut rng = Rng::new(5);
    let mut b = GraphBuilder::named("single_matmul");
    let x = b.input(&[m, k], 8);
    let w = b.param(&[k, n], 8, rng.data(k * n, 8));
    let bias = b.param_id(&[n], 12, ParamKind::Bias, rng.data(n, 12));
    let c = verinfer_sumcheck::contract::matmul_contract(
        (m, k, n),
        verinfer_testing::requant(3, 8, 12),
        Some(2),
    );
    b.node(
        Op::Contract(c),
        vec![x, w, Operand::Param(bias)],
        &[m, n],
        12,
    );
    let g = b.finish();
    let model = dir.join("matmul.vmodel");
    verinfer_ir::vmodel::save(&g, &model).unwrap();
    let values: Vec<String> = rng.data(m * k, 8).iter().map(i32::to_string).collect();
    let input = dir.join("input.json");
    std::fs::write(
        &input,
        format!("{{\"input_data\": [[{}]]}}", values.join(",")),
    )
    .unwrap();
    (model, input)
}

/// `verinfer setup MODEL --backend sumcheck -o OUT` with `extra` options.
fn setup(model: &Path, out: &Path, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["setup", s(model), "--backend", "sumcheck", "-o", s(out)];
    args.extend_from_slice(extra);
    verinfer(&args)
}

const DIGEST: [&str; 2] = ["--visibility", "statement=digest"];

#[test]
fn setup_prove_verify_export_with_the_sumcheck_backend() {
    let d = tmpdir("zk-sumcheck");
    let (model, input) = single_matmul(&d);
    let keys = d.join("keys");
    let o = setup(&model, &keys, &DIGEST);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("backend:       sumcheck"),
        "{}",
        stdout(&o)
    );
    assert!(stdout(&o).contains("public inputs: 1"), "{}", stdout(&o));
    assert!(stderr(&o).contains("INSECURE SRS"), "{}", stderr(&o));
    let proof = d.join("proof.json");
    prove_and_verify(&model, &input, &keys, &proof);
    let sol = d.join("Verifier.sol");
    let o = verinfer(&["export-verifier", "--keys", s(&keys), "-o", s(&sol)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let src = std::fs::read_to_string(&sol).unwrap();
    assert!(src.contains("contract Verifier is SumcheckProofVerifier"));
    assert!(!src.contains("import "), "a flattened file has no imports");

    // Keys from the public (snarkjs-made) powers-of-tau file: another SRS, so the proof made
    // under the local one is rejected by them.
    let ptau = testdata("ptau/pot8_beacon_final.ptau");
    let keys2 = d.join("keys2");
    let o = setup(&model, &keys2, &[DIGEST[0], DIGEST[1], "--ptau", s(&ptau)]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("SRS from"), "{}", stderr(&o));
    assert!(!stderr(&o).contains("INSECURE"), "{}", stderr(&o));
    let o = verinfer(&["verify", s(&proof), "--keys", s(&keys2)]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("rejected"), "{}", stderr(&o));

    // What the backend does not take, by name.
    let o = verinfer(&[
        "setup",
        s(&model),
        "--ptau",
        s(&ptau),
        "-o",
        s(&d.join("k3")),
    ]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("--ptau is the sumcheck backend's"),
        "{}",
        stderr(&o)
    );
    // A model with an op the layered proof does not cover: refused naming the node.
    let mut g = verinfer_ir::vmodel::load(&testdata("golden/v1/digits_mlp.vmodel")).unwrap();
    // The first ReLU doubles its input before the max: a Max that is no clip.
    match &mut g.nodes[1].op {
        Op::Binary(b) => b.a_mult = 2,
        op => panic!("node 1 is {}", op.name()),
    }
    let rescaled = d.join("rescaled.vmodel");
    verinfer_ir::vmodel::save(&g, &rescaled).unwrap();
    let o = setup(&rescaled, &d.join("k4"), &[]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("sumcheck cannot prove this model") && stderr(&o).contains("Max"),
        "{}",
        stderr(&o)
    );
    let o = setup(&model, &d.join("k5"), &["--visibility", "params=hashed"]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("public classes only"), "{}", stderr(&o));
}

/// `verinfer prove` of `model` on `input` with `keys` into `proof`, then `verify`: valid.
fn prove_and_verify(model: &Path, input: &Path, keys: &Path, proof: &Path) {
    common::prove(model, input, keys, proof, &[]);
    let o = verinfer(&["verify", s(proof), "--keys", s(keys)]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("native: proof valid"), "{}", stdout(&o));
}

#[test]
fn the_digits_mlp_end_to_end_with_the_sumcheck_backend() {
    let d = tmpdir("zk-sumcheck-mlp");
    let mlp = testdata("golden/v1/digits_mlp.vmodel");
    let input = testdata("models/digits_mlp/input.json");
    let keys = d.join("keys");
    let o = setup(&mlp, &keys, &DIGEST);
    assert!(o.status.success(), "{}", stderr(&o));
    let proof = d.join("proof.json");
    prove_and_verify(&mlp, &input, &keys, &proof);
    // The same proof under the keys of another setup (other weight commitments): rejected.
    let o = setup(&mlp, &d.join("other"), &DIGEST);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = verinfer(&["verify", s(&proof), "--keys", s(&d.join("other"))]);
    assert!(!o.status.success());
    // A layered key exports the plan's deployer and the model verifier over its chunks
    // (compiled and deployed in verinfer-sumcheck's `evm_export` tests).
    let o = verinfer(&[
        "export-verifier",
        "--keys",
        s(&keys),
        "-o",
        s(&d.join("V.sol")),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let src = std::fs::read_to_string(d.join("V.sol")).unwrap();
    assert!(
        src.contains("contract VerifierPlan0")
            && src.contains("new ModelVerifier(verifierChunks(p0), 0x"),
        "{src}"
    );
}

/// `bench-zk` takes a compiled `.vmodel` (all-zero inputs): the golden digits MLP through the
/// layered proof gives one row with its times, size and EVM gas; a missing file is a failed
/// row naming it, not a crash of the whole table.
#[test]
fn bench_zk_measures_a_compiled_vmodel() {
    let dir = tmpdir("bench-zk-vmodel");
    let missing = dir.path().join("missing.vmodel");
    let o = verinfer(&[
        "bench-zk",
        "--backends",
        "sumcheck",
        "--json",
        s(&testdata("golden/v1/digits_mlp.vmodel")),
        s(&missing),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(stdout(&o).trim()).unwrap();
    let rows = v["results"].as_array().unwrap();
    assert_eq!(rows.len(), 2, "{v}");
    let mlp = &rows[0];
    assert_eq!(mlp["model"], "digits_mlp.vmodel");
    assert_eq!(mlp["backend"], "sumcheck");
    assert!(mlp["prove_s"].as_f64().unwrap() > 0.0, "{mlp}");
    assert!(mlp["proof_bytes"].as_u64().unwrap() > 0, "{mlp}");
    assert!(mlp["evm_gas"].as_u64().unwrap() > 0, "{mlp}");
    let failed = rows[1]["failed"].as_str().unwrap();
    assert!(failed.contains("missing.vmodel"), "{failed}");
}

//! Real trained models on real data: quantized vs float agreement on held-out splits, and the
//! `run` output format. Golden outputs pin the integer semantics across versions.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;
use common::{compile_folder, s, stderr, testdata, tmpdir, verinfer};

fn eval_agreement(model: &str) -> (u64, u64, serde_json::Value) {
    let d = tmpdir(&format!("eval-{model}"));
    let m = d.join("m.vmodel");
    let o = compile_folder(model, &m);
    assert!(o.status.success(), "{}", stderr(&o));
    let dir = testdata(&format!("models/{model}"));
    let o = verinfer(&[
        "eval",
        s(&m),
        "--onnx",
        dir.join("network.onnx").to_str().unwrap(),
        "--data",
        dir.join("holdout.json").to_str().unwrap(),
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let out = &j["outputs"][0];
    (
        out["argmax_agree"].as_u64().unwrap_or(0),
        out["argmax_total"].as_u64().unwrap_or(0),
        j,
    )
}

#[test]
fn digits_mlp_agrees_with_float_on_holdout() {
    let (agree, total, j) = eval_agreement("digits_mlp");
    assert_eq!(total, 540);
    assert!(agree * 100 >= total * 99, "agreement {agree}/{total}: {j}");
}

#[test]
fn mnist_cnn_agrees_with_float_on_holdout() {
    let (agree, total, j) = eval_agreement("mnist_cnn");
    assert_eq!(total, 1000);
    assert!(agree * 100 >= total * 99, "agreement {agree}/{total}: {j}");
}

#[test]
fn run_writes_the_documented_output_format() {
    let d = tmpdir("runfmt");
    let m = d.join("m.vmodel");
    assert!(compile_folder("mnist_cnn", &m).status.success());
    let out = d.join("out.json");
    let input = testdata("models/mnist_cnn/input.json");
    let o = verinfer(&["run", s(&m), "--input", s(&input), "-o", s(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let j: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let t = &j["outputs"][0];
    assert_eq!(t["name"], "output");
    assert_eq!(t["shape"], serde_json::json!([1, 10]));
    let scale = t["scale"].as_i64().unwrap();
    let q: Vec<i64> = serde_json::from_value(t["quantized"].clone()).unwrap();
    let f: Vec<f64> = serde_json::from_value(t["data"].clone()).unwrap();
    for (a, b) in q.iter().zip(&f) {
        assert!((*a as f64 / 2f64.powi(scale as i32) - b).abs() < 1e-9);
    }
    // Close to onnxruntime's float output for the same input.
    let exp: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(testdata("models/mnist_cnn/expected.json")).unwrap(),
    )
    .unwrap();
    let e: Vec<f64> = serde_json::from_value(exp["outputs"][0].clone()).unwrap();
    let err = f
        .iter()
        .zip(&e)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(err < 0.05, "max error vs onnxruntime {err}");
}

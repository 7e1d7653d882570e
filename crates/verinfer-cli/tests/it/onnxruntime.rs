//! Every bundled model folder, compiled and run through the CLI, against onnxruntime's float
//! output for the same input (expected.json, written by scripts/models/*.py).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;
use common::{run_json, stderr, testdata, tmpdir, verinfer};

/// Compile `model` (with `calibration` if given), run input.json, and return the max abs
/// difference from onnxruntime together with the output's quantization step.
fn max_error_vs_onnxruntime(model: &str, calibration: Option<&str>) -> (f64, f64) {
    let dir = testdata(&format!("models/{model}"));
    let d = tmpdir(&format!("ort-{model}-{}", calibration.unwrap_or("none")));
    let m = d.join("m.vmodel");
    let onnx = dir.join("network.onnx");
    let mut args = vec![
        "compile".to_string(),
        onnx.display().to_string(),
        "-o".into(),
        m.display().to_string(),
    ];
    if let Some(c) = calibration {
        args.extend([
            "--calibration".to_string(),
            dir.join(c).display().to_string(),
        ]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = verinfer(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    let input = dir.join("input.json");
    let got = run_json(&m, &input);
    let exp: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("expected.json")).unwrap()).unwrap();
    let g: Vec<f64> = serde_json::from_value(got["outputs"][0]["data"].clone()).unwrap();
    let e: Vec<f64> = serde_json::from_value(exp["outputs"][0].clone()).unwrap();
    assert_eq!(g.len(), e.len(), "{model}: output length");
    let step = 2f64.powi(-(got["outputs"][0]["scale"].as_i64().unwrap() as i32));
    (
        g.iter()
            .zip(&e)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max),
        step,
    )
}

#[test]
fn calibrated_models_match_onnxruntime() {
    for model in ["digits_mlp", "mnist_cnn", "transformer_block"] {
        let (err, step) = max_error_vs_onnxruntime(model, Some("calibration.json"));
        assert!(err < 0.02, "{model}: max error {err} (output step {step})");
    }
}

#[test]
fn ezkl_style_folder_works_as_is() {
    // torch-export patterns (symbolic batch_size, Shape->Gather->Concat->Reshape), no
    // calibration file: synthetic defaults, then the folder's own input as calibration.
    let (err, _) = max_error_vs_onnxruntime("ezkl_style", None);
    assert!(err < 0.02, "defaults: max error {err}");
    let (err, _) = max_error_vs_onnxruntime("ezkl_style", Some("input.json"));
    assert!(err < 0.01, "self-calibrated: max error {err}");
}

//! One-node graphs with random shapes and attributes (testdata/onnx_ops/, written by
//! scripts/conformance/gen_op_cases.py with onnxruntime's outputs), imported and run through
//! verinfer's float lowering: the lowering must mean what onnxruntime computes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use verinfer_onnx::import::{import, ImportOptions};
use verinfer_quant::frun::run_outputs;

fn dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/onnx_ops")
}

fn floats(v: &serde_json::Value) -> Vec<f64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect()
}

/// Run every case whose name starts with `prefix`; returns how many ran.
fn check(prefix: &str) -> usize {
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            p.extension().is_some_and(|e| e == "onnx")
                && p.file_stem()
                    .is_some_and(|s| s.to_string_lossy().starts_with(prefix))
        })
        .collect();
    names.sort();
    for onnx in &names {
        let case: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(onnx.with_extension("json")).unwrap())
                .unwrap();
        let g = import(onnx, &ImportOptions::default())
            .unwrap_or_else(|e| panic!("{}: {e}", onnx.display()));
        let inputs: Vec<Vec<f64>> = case["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(floats)
            .collect();
        let got = run_outputs(&g, &inputs).unwrap().remove(0);
        let exp = floats(&case["outputs"][0]);
        let shape: Vec<usize> = case["output_shape"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| usize::try_from(d.as_u64().unwrap()).unwrap())
            .collect();
        assert_eq!(g.shape(g.outputs[0].1), &shape[..], "{}", onnx.display());
        assert_eq!(got.len(), exp.len(), "{}", onnx.display());
        for (i, (a, e)) in got.iter().zip(&exp).enumerate() {
            assert!(
                (a - e).abs() <= 1e-4 * (1.0 + e.abs()),
                "{}: element {i}: {a} vs onnxruntime {e}",
                onnx.display()
            );
        }
    }
    names.len()
}

#[test]
fn argmax_argmin_with_ties_match_onnxruntime() {
    assert_eq!(check("argmax_"), 4);
    assert_eq!(check("argmin_"), 4);
}

#[test]
fn conv_transpose_random_geometries_match_onnxruntime() {
    assert_eq!(check("convtranspose_"), 11);
}

#[test]
fn resize_nearest_linear_cubic_match_onnxruntime() {
    assert_eq!(check("resize_"), 15);
}

#[test]
fn gathernd_constant_indices_and_onehot_match_onnxruntime() {
    assert_eq!(check("gathernd_"), 4);
    assert_eq!(check("onehot_"), 3);
}

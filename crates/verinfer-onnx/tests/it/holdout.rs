//! A model folder's held-out inputs split per sample, beside onnxruntime's outputs for them
//! (`holdout.json`, `holdout_expected.json`), shared by the accuracy tests.

#![allow(clippy::unwrap_used)]

use std::path::Path;

use verinfer_quant::data::read_data;
use verinfer_quant::fgraph::FGraph;
use verinfer_quant::pipeline::split_samples;

/// The held-out samples of `dir` and onnxruntime's first output over all of them.
pub fn holdout(fg: &FGraph, dir: &Path) -> (Vec<Vec<Vec<f64>>>, Vec<f64>) {
    let hold = split_samples(fg, &read_data(&dir.join("holdout.json")).unwrap()).unwrap();
    let exp: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("holdout_expected.json")).unwrap())
            .unwrap();
    let exp = exp["outputs"][0]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    (hold, exp)
}

//! Models, inputs and a deployed game for the opML tests.
#![allow(dead_code)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use verinfer_chain::{Chain, Deployments, RevmChain};
use verinfer_ir::Graph;
use verinfer_onnx::compile::{compile, CompileOptions};
use verinfer_opml::{ensure_opml, GameParams, OpmlContracts};
use verinfer_quant::data::read_data;
use verinfer_quant::pipeline::quantize_inputs;

pub fn testdata(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(p)
}

/// A bundled model compiled with its calibration data, and its input.json quantized.
pub fn model(name: &str) -> (Graph, Vec<Vec<i32>>) {
    let dir = testdata(&format!("models/{name}"));
    let cal = read_data(&dir.join("calibration.json")).unwrap();
    let compiled = compile(
        &dir.join("network.onnx"),
        Some(&cal),
        &CompileOptions::default(),
    )
    .unwrap();
    let g = compiled.graph;
    let data = read_data(&dir.join("input.json")).unwrap();
    let names: Vec<String> = g.inputs.iter().map(|i| i.name.clone()).collect();
    let numels: Vec<usize> = g.inputs.iter().map(|i| i.info.shape.numel()).collect();
    let samples = data.samples(&names, &numels).unwrap();
    let q = quantize_inputs(&g, &samples[0]).unwrap();
    (g, q)
}

/// A fresh in-process chain with the contracts deployed (short window and clock).
pub fn deployed() -> (RevmChain, OpmlContracts) {
    let mut chain = RevmChain::new().unwrap();
    let from = chain.accounts()[0];
    let params = GameParams {
        window: 600,
        clock: 300,
        ..GameParams::default()
    };
    let (c, _) = ensure_opml(&mut chain, &mut Deployments::default(), from, &params).unwrap();
    (chain, c)
}

//! The model bundled into the binary, so the demo runs on a fresh machine with no files.

use std::path::PathBuf;

use anyhow::{Context, Result};

const ONNX: &[u8] = include_bytes!("../../../testdata/models/mnist_cnn/network.onnx");
const CALIBRATION: &[u8] = include_bytes!("../../../testdata/models/mnist_cnn/calibration.json");
const INPUT: &[u8] = include_bytes!("../../../testdata/models/mnist_cnn/input.json");

/// Paths of the bundled model's files, written to a fresh temporary folder that is removed
/// when this drops (on an error too: a failed demo used to leave it in the temp folder).
pub struct Bundled {
    /// Held for its drop, which removes the folder.
    _dir: tempfile::TempDir,
    pub onnx: PathBuf,
    pub calibration: PathBuf,
    pub input: PathBuf,
}

/// Write the bundled MNIST CNN (network.onnx, calibration.json, input.json) to a temp folder.
pub fn mnist_cnn() -> Result<Bundled> {
    let dir = tempfile::Builder::new()
        .prefix("verinfer-demo-")
        .tempdir()
        .context("creating a temporary folder for the bundled model")?;
    let write = |name: &str, bytes: &[u8]| -> Result<PathBuf> {
        let p = dir.path().join(name);
        std::fs::write(&p, bytes).with_context(|| p.display().to_string())?;
        Ok(p)
    };
    Ok(Bundled {
        onnx: write("network.onnx", ONNX)?,
        calibration: write("calibration.json", CALIBRATION)?,
        input: write("input.json", INPUT)?,
        _dir: dir,
    })
}

/// The bundled MNIST CNN compiled with its calibration data (16-bit defaults), and its bundled
/// input quantized: what the benchmarks run.
pub fn mnist_cnn_compiled() -> Result<(verinfer_ir::Graph, Vec<Vec<i32>>)> {
    use verinfer_quant::data::read_data;
    use verinfer_quant::pipeline::{quantize_inputs, split_samples};
    use verinfer_quant::quantize::QuantOptions;

    use crate::cmd_compile::{compile_model, options};

    let b = mnist_cnn()?;
    let (compiled, _) = compile_model(
        &b.onnx,
        Some(&b.calibration),
        &options(QuantOptions::default(), &[])?,
    )?;
    let data = read_data(&b.input)?;
    let sample = split_samples(&compiled.fgraph, &data)?
        .into_iter()
        .next()
        .context("empty bundled input")?;
    let q = quantize_inputs(&compiled.graph, &sample)?;
    Ok((compiled.graph, q))
}

//! The model bundled into the binary, so the demo runs on a fresh machine with no files.

use std::path::PathBuf;

use anyhow::{Context, Result};

const ONNX: &[u8] = include_bytes!("../../../testdata/models/mnist_cnn/network.onnx");
const CALIBRATION: &[u8] = include_bytes!("../../../testdata/models/mnist_cnn/calibration.json");
const INPUT: &[u8] = include_bytes!("../../../testdata/models/mnist_cnn/input.json");

/// Paths of the bundled model's files, written to a fresh temporary folder.
pub struct Bundled {
    pub dir: PathBuf,
    pub onnx: PathBuf,
    pub calibration: PathBuf,
    pub input: PathBuf,
}

/// Write the bundled MNIST CNN (network.onnx, calibration.json, input.json) to a temp folder.
pub fn mnist_cnn() -> Result<Bundled> {
    let dir = std::env::temp_dir().join(format!("verinfer-demo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).with_context(|| dir.display().to_string())?;
    let write = |name: &str, bytes: &[u8]| -> Result<PathBuf> {
        let p = dir.join(name);
        std::fs::write(&p, bytes).with_context(|| p.display().to_string())?;
        Ok(p)
    };
    Ok(Bundled {
        onnx: write("network.onnx", ONNX)?,
        calibration: write("calibration.json", CALIBRATION)?,
        input: write("input.json", INPUT)?,
        dir,
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
    let _ = std::fs::remove_dir_all(&b.dir);
    Ok((compiled.graph, q))
}

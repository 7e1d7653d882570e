//! `verinfer demo`: the main job on embedded defaults (for now: compile and run the bundled
//! MNIST CNN, and check the integer result against float inference).

use std::time::Instant;

use anyhow::Result;
use verinfer_exec::Plan;
use verinfer_onnx::compile::{quantize_inputs, split_samples};
use verinfer_onnx::data::read_data;
use verinfer_onnx::quantize::QuantOptions;
use verinfer_onnx::tract_ref::TractModel;

use crate::bundled::mnist_cnn;
use crate::cmd_compile::{compile_model, options, print_report};
use crate::output::output_file;

fn argmax(v: &[f64]) -> usize {
    (0..v.len()).fold(0, |b, i| if v[i] > v[b] { i } else { b })
}

pub fn run() -> Result<()> {
    let b = mnist_cnn()?;
    println!(
        "verinfer demo: bundled MNIST CNN (trained on real MNIST digits), files in {}",
        b.dir.display()
    );
    let t = Instant::now();
    let (compiled, report) = compile_model(
        &b.onnx,
        Some(&b.calibration),
        &options(QuantOptions::default(), &[])?,
    )?;
    println!(
        "1. compiled to {} integer nodes, {} parameters, in {:.2?}",
        compiled.graph.nodes.len(),
        compiled.graph.num_param_elements(),
        t.elapsed()
    );
    print_report(&compiled, &report);
    let path = b.dir.join("mnist_cnn.vmodel");
    verinfer_ir::vmodel::save(&compiled.graph, &path)?;
    let g = verinfer_ir::vmodel::load(&path)?;
    println!(
        "2. saved and reloaded {} ({} bytes)",
        path.display(),
        std::fs::metadata(&path)?.len()
    );
    let data = read_data(&b.input)?;
    let samples = split_samples(&compiled.fgraph, &data)?;
    let sample = samples
        .first()
        .ok_or_else(|| anyhow::anyhow!("bundled input is empty"))?;
    let plan = Plan::new(&g)?;
    let t = Instant::now();
    let trace = plan.run(&quantize_inputs(&g, sample)?)?;
    let el = t.elapsed();
    let outs = plan.outputs(&trace)?;
    let file = output_file(&g, &outs);
    let float = TractModel::load(&b.onnx, &compiled.fgraph)?.run(sample)?;
    let (q, f) = (&file.outputs[0].data, &float[0]);
    let err = q
        .iter()
        .zip(f)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    println!("3. integer inference in {el:.2?}: trace of {} tensors; predicted digit {} (float: {}), max |int - float| = {err:.2e}", trace.len(), argmax(q), argmax(f));
    println!(
        "   logits: {}",
        q.iter()
            .map(|v| format!("{v:.3}"))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let _ = std::fs::remove_dir_all(&b.dir);
    Ok(())
}

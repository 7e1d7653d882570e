//! `verinfer eval`: quantized vs float on a held-out data set.

use std::path::PathBuf;

use anyhow::{Context, Result};
use verinfer_exec::Plan;
use verinfer_onnx::compile::float_reference;
use verinfer_onnx::import::{import, ImportOptions};
use verinfer_quant::data::read_data;
use verinfer_quant::pipeline::{dequantize, quantize_inputs, split_samples};
use verinfer_quant::report::evaluate;

use crate::cmd_compile::{graph_outputs, report_json};

/// Arguments of `eval`.
#[derive(clap::Args)]
pub struct Args {
    /// Compiled model.
    pub model: PathBuf,
    /// The ONNX model it was compiled from (the float reference).
    #[arg(long)]
    pub onnx: PathBuf,
    /// Data set (EZKL input.json format; an optional "labels" list adds accuracy).
    #[arg(long)]
    pub data: PathBuf,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

fn argmax(v: &[f64]) -> usize {
    (0..v.len()).fold(0, |b, i| if v[i] > v[b] { i } else { b })
}

pub fn run(a: &Args) -> Result<()> {
    let g = verinfer_ir::vmodel::load(&a.model)?;
    let shapes = g
        .inputs
        .iter()
        .map(|i| (i.name.clone(), i.info.shape.dims().to_vec()))
        .collect();
    let fg = import(
        &a.onnx,
        &ImportOptions {
            input_shapes: shapes,
            ..ImportOptions::default()
        },
    )?;
    let samples = split_samples(&fg, &read_data(&a.data)?)?;
    let reference = float_reference(&a.onnx, &fg, &samples)?;
    let floats = reference.1.clone();
    let plan = Plan::for_graph(g.clone())?;
    let run_q = |q: &[Vec<i32>]| graph_outputs(&plan, q);
    let report = evaluate(&g, &samples, reference, &run_q)?;
    let mut json = report_json(&report);
    let text = std::fs::read_to_string(&a.data).with_context(|| a.data.display().to_string())?;
    let labels: Option<Vec<usize>> = serde_json::from_str::<serde_json::Value>(&text)?
        .get("labels")
        .and_then(|l| serde_json::from_value(l.clone()).ok());
    if let Some(labels) = labels.filter(|l| l.len() == samples.len()) {
        let info = g.value_info(g.outputs[0].value).context("output info")?;
        let (mut qa, mut fa) = (0usize, 0usize);
        for ((s, f), &l) in samples.iter().zip(&floats).zip(&labels) {
            let t = plan.run(&quantize_inputs(&g, s)?)?;
            let q = dequantize(plan.outputs(&t)?[0], info.scale);
            qa += usize::from(argmax(&q) == l);
            fa += usize::from(argmax(&f[0]) == l);
        }
        json["accuracy"] = serde_json::json!({"quantized": qa, "float": fa, "total": labels.len()});
        eprintln!(
            "accuracy vs labels: quantized {qa}/{n}, float {fa}/{n}",
            n = labels.len()
        );
    }
    for o in &report.outputs {
        eprintln!(
            "{}: max abs error {:.3e}, mean {:.3e}{}",
            o.name,
            o.max_abs_err,
            o.mean_abs_err,
            o.argmax.map_or(String::new(), |(x, n)| format!(
                ", argmax agreement {x}/{n}"
            ))
        );
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&json)?);
    }
    Ok(())
}

//! `verinfer eval`: quantized vs float on a held-out data set.

use std::path::PathBuf;

use anyhow::Result;
use verinfer_exec::Plan;
use verinfer_onnx::compile::float_reference;
use verinfer_onnx::import::{import, ImportOptions};
use verinfer_quant::data::{read_data, read_labels};
use verinfer_quant::pipeline::split_samples;
use verinfer_quant::report::{evaluate, label_accuracy};

use crate::cmd_compile::graph_outputs;

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

pub fn run(a: &Args) -> Result<()> {
    let g = verinfer_ir::vmodel::load(&a.model)?;
    let fg = import(&a.onnx, &ImportOptions::shaped_like(&g))?;
    let samples = split_samples(&fg, &read_data(&a.data)?)?;
    let reference = float_reference(&a.onnx, &fg, &samples)?;
    let floats = reference.1.clone();
    let plan = Plan::for_graph(g.clone())?;
    let run_q = |q: &[Vec<i32>]| graph_outputs(&plan, q);
    let report = evaluate(&g, &samples, reference, &run_q)?;
    let mut json = report.to_json();
    if let Some(labels) = read_labels(&a.data)?.filter(|l| l.len() == samples.len()) {
        let acc = label_accuracy(&g, &samples, &floats, &labels, &run_q)?;
        json["accuracy"] = acc.to_json();
        eprintln!(
            "accuracy vs labels: quantized {}/{n}, float {}/{n}",
            acc.quantized,
            acc.float,
            n = acc.total
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

//! `verinfer run`.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use verinfer_commit::{trace_file, trace_root_of, ModelCommitment};
use verinfer_exec::Plan;
use verinfer_quant::data::read_data;
use verinfer_quant::pipeline::quantize_inputs;

use crate::output::output_file;

/// Arguments of `run`.
#[derive(clap::Args)]
pub struct Args {
    /// Compiled model.
    pub model: PathBuf,
    /// Input data (EZKL input.json, one sample).
    #[arg(long)]
    pub input: PathBuf,
    /// Output JSON (default: stdout).
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Also save the execution trace (every value of the run) to this file and print the
    /// trace root; `verinfer open` answers openings from it later.
    #[arg(long)]
    pub trace: Option<PathBuf>,
    /// Print the output object on stdout (on one line, also with -o, which still writes the
    /// file); the trace root line goes to stderr.
    #[arg(long)]
    pub json: bool,
}

/// The quantized inputs of `g` from an EZKL input.json holding exactly one sample.
pub fn load_input(g: &verinfer_ir::Graph, path: &std::path::Path) -> Result<Vec<Vec<i32>>> {
    let data = read_data(path)?;
    let names: Vec<String> = g.inputs.iter().map(|i| i.name.clone()).collect();
    let numels: Vec<usize> = g.inputs.iter().map(|i| i.info.shape.numel()).collect();
    let samples = data.samples(&names, &numels)?;
    let [sample] = samples.as_slice() else {
        bail!(
            "{} holds {} samples; this command takes exactly one (use `verinfer eval` for a data set)",
            path.display(),
            samples.len()
        )
    };
    Ok(quantize_inputs(g, sample)?)
}

pub fn run(a: &Args) -> Result<()> {
    let g = verinfer_ir::vmodel::load(&a.model)?;
    let q = load_input(&g, &a.input)?;
    let plan = Plan::for_graph(g.clone())?;
    let trace = plan.run(&q)?;
    let outs = plan.outputs(&trace)?;
    let mut file = output_file(&g, &outs);
    if let Some(path) = &a.trace {
        let model_id = ModelCommitment::new(&g).model_id;
        let (saved, root) = rayon::join(
            || trace_file::save(path, model_id, trace.values()),
            || trace_root_of(trace.values()),
        );
        saved?;
        let line = format!("trace root: {root}");
        if a.output.is_some() && !a.json {
            println!("{line}");
        } else {
            eprintln!("{line}");
        }
        file.model_id = Some(model_id.to_string());
        file.trace_root = Some(root.to_string());
    }
    let text = serde_json::to_string(&file)?;
    match &a.output {
        Some(p) => std::fs::write(p, &text).with_context(|| p.display().to_string())?,
        None if !a.json => println!("{text}"),
        None => {}
    }
    if a.json {
        println!("{text}");
    }
    Ok(())
}

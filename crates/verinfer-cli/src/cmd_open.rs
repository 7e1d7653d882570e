//! `verinfer open`: answer an element opening from a saved trace, as a node does during a
//! dispute (the trace is reloaded and checked against the model first).

use std::path::PathBuf;

use anyhow::{Context, Result};
use serde::Serialize;
use verinfer_commit::{
    trace_file, verify_trace_opening, ModelCommitment, TraceCommitment, TraceOpening, TraceRoot,
};

/// Arguments of `open`.
#[derive(clap::Args)]
pub struct Args {
    /// Trace file written by `verinfer run --trace`.
    pub trace: PathBuf,
    /// The compiled model the trace was produced by.
    #[arg(long)]
    pub model: PathBuf,
    /// Value id (graph inputs first, then one per node, as `verinfer inspect` numbers them).
    #[arg(long)]
    pub value: u64,
    /// Element index inside the value (row-major).
    #[arg(long)]
    pub index: u64,
    /// Print the opening as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct Out {
    #[serde(flatten)]
    opening: TraceOpening,
    trace_root: TraceRoot,
}

pub fn run(a: &Args) -> Result<()> {
    let g = verinfer_ir::vmodel::load(&a.model)?;
    let model_id = ModelCommitment::new(&g).model_id;
    let t = trace_file::load_for(&a.trace, &g, model_id)
        .with_context(|| a.trace.display().to_string())?;
    let c = TraceCommitment::new(&t.values);
    let opening = c.open(a.value, a.index)?;
    let len = c.value_tree(a.value).map_or(0, |v| v.len());
    // A self-check: what a verifier holding only the trace root and the model would run.
    verify_trace_opening(c.root(), c.num_values() as u64, len, &opening)?;
    let out = Out {
        opening,
        trace_root: c.root(),
    };
    if a.json {
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    let o = &out.opening;
    println!(
        "value {} element {} = {}",
        o.value_id, o.element.index, o.element.value
    );
    println!("leaf          {}", o.element.leaf);
    for (i, s) in o.element.siblings.iter().enumerate() {
        println!("sibling {i:<5} {s}");
    }
    println!("value root    {}", o.value_root);
    for (i, s) in o.trace_siblings.iter().enumerate() {
        println!("trace sib {i:<3} {s}");
    }
    println!("trace root    {}", out.trace_root);
    Ok(())
}

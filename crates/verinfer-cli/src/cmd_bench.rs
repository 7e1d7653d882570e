//! `verinfer bench`: the integer executor against tract's f32 inference, same model, same run.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use verinfer_exec::Plan;
use verinfer_ir::Model;
use verinfer_onnx::tract_ref::TractModel;
use verinfer_opml::{Execution, ServedModel};
use verinfer_quant::data::read_data;
use verinfer_quant::pipeline::{quantize_inputs, split_samples, Compiled};
use verinfer_quant::quantize::QuantOptions;

use crate::cmd_compile::{compile_model, options};
use crate::emit::Emit;

/// Arguments of `bench`.
#[derive(clap::Args)]
pub struct Args {
    /// EZKL-style model folders (network.onnx, calibration.json, input.json).
    #[arg(default_values = ["testdata/models/mnist_cnn", "testdata/models/transformer_block", "testdata/models/digits_mlp"])]
    pub models: Vec<PathBuf>,
    /// Seconds to spend timing each engine per model.
    #[arg(long, default_value_t = 2.0)]
    pub seconds: f64,
    /// Also time what a node does per request: from the graph each time (validate, plan,
    /// commit the model, run, commit the trace) against a model served once (run, commit the
    /// trace), as `verinfer node` does.
    #[arg(long)]
    pub per_request: bool,
    /// Print one JSON object on stdout (seconds per engine and model) instead of the table.
    #[arg(long)]
    pub json: bool,
}

/// Median time of `f` over repeated calls for about `budget`.
fn time(budget: Duration, mut f: impl FnMut() -> Result<()>) -> Result<(Duration, usize)> {
    f()?;
    let mut runs = vec![];
    let start = Instant::now();
    while start.elapsed() < budget || runs.len() < 5 {
        let t = Instant::now();
        f()?;
        runs.push(t.elapsed());
    }
    runs.sort();
    Ok((runs[runs.len() / 2], runs.len()))
}

/// A model folder compiled with its calibration data, its first input sample (float, one
/// flat tensor per input) and that sample quantized.
pub(crate) type Loaded = (Compiled, Vec<Vec<f64>>, Vec<Vec<i32>>);

pub(crate) fn load(dir: &Path) -> Result<Loaded> {
    let (compiled, _) = compile_model(
        &dir.join("network.onnx"),
        Some(&dir.join("calibration.json")),
        &options(QuantOptions::default(), &[])?,
    )
    .with_context(|| dir.display().to_string())?;
    let data = read_data(&dir.join("input.json"))?;
    let sample = split_samples(&compiled.fgraph, &data)?
        .into_iter()
        .next()
        .context("empty input.json")?;
    let q = quantize_inputs(&compiled.graph, &sample)?;
    Ok((compiled, sample, q))
}

pub fn run(a: &Args) -> Result<()> {
    let budget = Duration::from_secs_f64(a.seconds);
    let out = Emit::new(a.json);
    out.line(format!(
        "{:<20} {:>12} {:>14} {:>14} {:>10} {:>10}",
        "model", "tract f32", "int N-thread", "int 1-thread", "ratio N", "ratio 1"
    ));
    let mut rows = Vec::new();
    for dir in &a.models {
        let onnx = dir.join("network.onnx");
        let (compiled, sample, q) = load(dir)?;
        let tract = TractModel::load(&onnx, &compiled.fgraph)?;
        let plan = Plan::for_graph(compiled.graph.clone())?;
        let (tf, _) = time(budget, || {
            tract.run(&sample).map(|_| ()).map_err(Into::into)
        })?;
        // Each run hands its trace back to the next (`Plan::run_reusing`), as a server does.
        let mut last = verinfer_exec::Trace::default();
        let mut run = || -> Result<()> {
            last = plan.run_reusing(&q, std::mem::take(&mut last))?;
            Ok(())
        };
        let (tn, _) = time(budget, &mut run)?;
        let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build()?;
        // The whole timing loop runs inside the pool, so no cross-thread hand-off is timed.
        let (t1, _) = pool.install(|| time(budget, &mut run))?;
        let name = dir.file_name().map_or_else(
            || dir.display().to_string(),
            |s| s.to_string_lossy().into_owned(),
        );
        out.line(format!(
            "{:<20} {:>12.3?} {:>14.3?} {:>14.3?} {:>9.2}x {:>9.2}x",
            name,
            tf,
            tn,
            t1,
            tn.as_secs_f64() / tf.as_secs_f64(),
            t1.as_secs_f64() / tf.as_secs_f64()
        ));
        rows.push(serde_json::json!({
            "model": name,
            "tract_f32_s": tf.as_secs_f64(),
            "int_threads_s": tn.as_secs_f64(),
            "int_1_thread_s": t1.as_secs_f64(),
            "ratio_threads": tn.as_secs_f64() / tf.as_secs_f64(),
            "ratio_1_thread": t1.as_secs_f64() / tf.as_secs_f64(),
        }));
    }
    out.line(
        "ratio = integer executor time / tract f32 time (lower is faster; median of repeated runs)",
    );
    let per = if a.per_request {
        Some(per_request(a, budget, out)?)
    } else {
        None
    };
    out.object(&serde_json::json!({"models": rows, "per_request": per}));
    Ok(())
}

/// A node's work per request, before and after models were served once.
fn per_request(a: &Args, budget: Duration, out: Emit) -> Result<Vec<serde_json::Value>> {
    out.line(format!(
        "\n{:<20} {:>16} {:>16} {:>9} {:>16}",
        "per request", "from the graph", "served model", "ratio", "check (streamed)"
    ));
    let mut rows = Vec::new();
    for dir in &a.models {
        let (compiled, _, q) = load(dir)?;
        let g = &compiled.graph;
        let (cold, _) = time(budget, || {
            Execution::run(g.clone(), &q)
                .map(|_| ())
                .map_err(Into::into)
        })?;
        let served = ServedModel::new(Model::new(g.clone())?)?;
        let (warm, _) = time(budget, || served.run(&q).map(|_| ()).map_err(Into::into))?;
        let (check, _) = time(budget, || {
            served.trace_root(&q).map(|_| ()).map_err(Into::into)
        })?;
        out.line(format!(
            "{:<20} {:>16.3?} {:>16.3?} {:>8.2}x {:>16.3?}",
            g.name,
            cold,
            warm,
            cold.as_secs_f64() / warm.as_secs_f64(),
            check
        ));
        rows.push(serde_json::json!({
            "model": g.name,
            "from_graph_s": cold.as_secs_f64(),
            "served_s": warm.as_secs_f64(),
            "check_s": check.as_secs_f64(),
        }));
    }
    out.line(
        "ratio = from the graph / served (higher: more saved per request); check = the trace \
         root alone, streamed (what a watcher computes per claim)",
    );
    Ok(rows)
}

//! `verinfer bench-commit`: what committing costs next to inference, on the bundled MNIST CNN
//! and on a synthetic GPT-2-medium-shaped model of about 100M parameters.
//!
//! Per model, in one run: inference (the executor, every value of the trace), the trace
//! commitment (every value's whole tree, kept for openings, and the trace root) and the model
//! commitment (graph digest and every parameter's root); medians of repeated runs.

use std::time::{Duration, Instant};

use anyhow::Result;
use verinfer_commit::{trace_root_of, ModelCommitment, TraceCommitment};
use verinfer_exec::Plan;
use verinfer_ir::Graph;

use crate::bundled::mnist_cnn_compiled;
use crate::emit::Emit;
use crate::synthetic;

/// Arguments of `bench-commit`.
#[derive(clap::Args)]
pub struct Args {
    /// Timed runs per measurement (the median is reported).
    #[arg(long, default_value_t = 5)]
    pub runs: usize,
    /// Blocks of the synthetic model (8 ≈ 100.7M parameters; 0 skips it).
    #[arg(long, default_value_t = 8)]
    pub blocks: usize,
    /// Width of the synthetic model (GPT-2 medium: 1024).
    #[arg(long, default_value_t = 1024)]
    pub d_model: usize,
    /// MLP width of the synthetic model (GPT-2 medium: 4096).
    #[arg(long, default_value_t = 4096)]
    pub ffn: usize,
    /// Tokens of the synthetic model's input.
    #[arg(long, default_value_t = 16)]
    pub seq: usize,
    /// Print one JSON object on stdout (seconds and sizes per model) instead of the table.
    #[arg(long)]
    pub json: bool,
}

/// Median of `runs` timed calls after one warm-up call.
fn median<T>(runs: usize, mut f: impl FnMut() -> Result<T>) -> Result<(Duration, T)> {
    let mut last = f()?;
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        last = f()?;
        times.push(t.elapsed());
    }
    times.sort();
    Ok((times[times.len() / 2], last))
}

#[allow(clippy::cast_precision_loss)]
fn mb_per_s(bytes: usize, t: Duration) -> f64 {
    bytes as f64 / 1e6 / t.as_secs_f64()
}

#[allow(clippy::cast_precision_loss)]
fn bench(
    name: &str,
    g: &Graph,
    input: &[Vec<i32>],
    runs: usize,
    out: Emit,
) -> Result<serde_json::Value> {
    let plan = Plan::for_graph(g.clone())?;
    let (t_inf, trace) = median(runs, || Ok(plan.run(input)?))?;
    let trace_bytes: usize = trace.values().iter().map(|v| 4 * v.len()).sum();
    let (t_trace, c) = median(runs, || Ok(TraceCommitment::new(trace.values())))?;
    let (t_root, root) = median(runs, || Ok(trace_root_of(trace.values())))?;
    anyhow::ensure!(root == c.root(), "trace roots disagree");
    let param_bytes = 4 * g.num_param_elements();
    let (t_model, m) = median(runs, || Ok(ModelCommitment::new(g)))?;
    let pct = |t: Duration| 100.0 * t.as_secs_f64() / t_inf.as_secs_f64();
    out.line(format!(
        "{:<20} {:>8.2}M {:>7.2} MB {:>10.2?} {:>10.2?} {:>5.0} MB/s {:>6.1}% {:>10.2?} {:>6.1}% {:>9.2?} {:>5.0} MB/s",
        name,
        g.num_param_elements() as f64 / 1e6,
        trace_bytes as f64 / 1e6,
        t_inf,
        t_trace,
        mb_per_s(trace_bytes, t_trace),
        pct(t_trace),
        t_root,
        pct(t_root),
        t_model,
        mb_per_s(param_bytes, t_model),
    ));
    out.line(format!(
        "{:<20} model id {}  trace root {}",
        "",
        m.model_id,
        c.root()
    ));
    Ok(serde_json::json!({
        "model": name,
        "params": g.num_param_elements(),
        "trace_bytes": trace_bytes,
        "inference_s": t_inf.as_secs_f64(),
        "trace_tree_s": t_trace.as_secs_f64(),
        "root_only_s": t_root.as_secs_f64(),
        "model_commit_s": t_model.as_secs_f64(),
        "model_id": m.model_id.to_string(),
        "trace_root": c.root().to_string(),
    }))
}

pub fn run(a: &Args) -> Result<()> {
    let out = Emit::new(a.json);
    out.line(format!(
        "{} threads; median of {} runs each",
        rayon::current_num_threads(),
        a.runs
    ));
    out.line(format!(
        "{:<20} {:>9} {:>10} {:>10} {:>10} {:>10} {:>7} {:>10} {:>7} {:>9} {:>10}",
        "model",
        "params",
        "trace",
        "inference",
        "trace tree",
        "",
        "ratio",
        "root only",
        "ratio",
        "model",
        ""
    ));
    let (mnist, q) = mnist_cnn_compiled()?;
    let mut rows = vec![bench("mnist_cnn", &mnist, &q, a.runs.max(25), out)?];
    if a.blocks > 0 {
        let dims = synthetic::Dims {
            blocks: a.blocks,
            d_model: a.d_model,
            ffn: a.ffn,
            seq: a.seq,
            ..synthetic::GPT2_MEDIUM_8
        };
        anyhow::ensure!(
            dims.d_model.is_multiple_of(dims.heads) && dims.d_model > 0,
            "--d-model must be a positive multiple of {} (the head count)",
            dims.heads
        );
        let t = Instant::now();
        let g = synthetic::build(dims, 7)?;
        eprintln!(
            "built the synthetic model ({} nodes) in {:.2?}",
            g.nodes.len(),
            t.elapsed()
        );
        let x = synthetic::input(&g, 11);
        rows.push(bench(
            &format!("synthetic d{} L{} T{}", dims.d_model, dims.blocks, dims.seq),
            &g,
            &x,
            a.runs,
            out,
        )?);
    }
    out.object(&serde_json::json!({
        "threads": rayon::current_num_threads(),
        "runs": a.runs,
        "models": rows,
    }));
    out.line(
        "trace tree = every value's whole tree kept (answers openings by lookup) + trace root; \
         root only = trace root without keeping trees; model = graph digest + every parameter root;\n\
         ratio = that time / inference; MB/s = committed bytes (4 per element) / time"
    );
    Ok(())
}

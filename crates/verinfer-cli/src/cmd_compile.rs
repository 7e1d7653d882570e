//! `verinfer compile`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use verinfer_exec::Plan;
use verinfer_onnx::compile::{compile, float_reference, CompileOptions};
use verinfer_onnx::ImportOptions;
use verinfer_quant::data::read_data;
use verinfer_quant::pipeline::Compiled;
use verinfer_quant::quantize::QuantOptions;
use verinfer_quant::report::{evaluate, Report};
use verinfer_quant::tolerance::{
    excessive, first_divergence, synthetic_range_warnings, MAX_REL_ERROR, MIN_STEPS,
};

/// Arguments of `compile`.
#[derive(clap::Args)]
pub struct Args {
    /// ONNX model, or a language model: a GGUF file (architecture `llama`) or a Hugging Face
    /// LLaMA checkpoint directory (`config.json` + `*.safetensors`).
    pub model: PathBuf,
    /// Calibration data, EZKL input.json format (k whole samples per input list = k samples).
    #[arg(long)]
    pub calibration: Option<PathBuf>,
    /// Bit bound of activations and weights (default 16; 20 for language models).
    #[arg(long)]
    pub bits: Option<u32>,
    /// Lookup tables have 2^table_bits entries (default 12; 16 for language models).
    #[arg(long)]
    pub table_bits: Option<u32>,
    /// Extra bits of range above the calibrated maximum of every activation.
    #[arg(long, default_value_t = 1)]
    pub headroom_bits: u32,
    /// Static shape for an input, e.g. `--input-shape input=1,3,224,224` (repeatable).
    #[arg(long = "input-shape", value_name = "NAME=D1,D2,..")]
    pub input_shape: Vec<String>,
    /// Fix an input's value at compile time, e.g. `--const sr=16000` (repeatable; values
    /// comma-separated, row-major): it becomes a constant, and branches on it fold away.
    #[arg(long = "const", value_name = "NAME=V1,V2,..")]
    pub consts: Vec<String>,
    /// Output file (default: the model path with extension .vmodel).
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Also write the accuracy report as JSON here.
    #[arg(long)]
    pub report_json: Option<PathBuf>,
    /// GGUF models: context (positions) of the step graph (default: the model's, at most 256).
    #[arg(long)]
    pub ctx: Option<usize>,
    /// GGUF models: calibrate on this text (tokenized with the model's tokenizer) instead of
    /// text sampled from the model itself.
    #[arg(long)]
    pub calibration_text: Option<PathBuf>,
    /// Language models: tokenizer for `--calibration-text` with a Hugging Face checkpoint (a
    /// GGUF file holding the same vocabulary), also stored beside the compiled model.
    #[arg(long)]
    pub tokenizer: Option<PathBuf>,
    /// Language models: a sampling step graph (a `noise` input, Gumbel-max), so `generate
    /// --seed` can sample; without it the greedy graph (and its model id) is unchanged.
    #[arg(long)]
    pub sampling: bool,
    /// GGUF models: number of calibration sequences.
    #[arg(long, default_value_t = 8)]
    pub calibration_samples: usize,
    /// ONNX models: write the model even when an output's calibrated error exceeds the
    /// tolerance (10% of its largest float magnitude, at least 8 output steps); without it,
    /// compile refuses and names the node where the error appears.
    #[arg(long)]
    pub allow_large_error: bool,
    /// ONNX models: print one JSON object on stdout (output file, nodes, parameter elements,
    /// bits, model id, the accuracy report).
    #[arg(long)]
    pub json: bool,
}

/// Parse `NAME=D1,D2,..` flags.
pub fn parse_shapes(flags: &[String]) -> Result<BTreeMap<String, Vec<usize>>> {
    let mut m = BTreeMap::new();
    for f in flags {
        let Some((name, dims)) = f.split_once('=') else {
            bail!("--input-shape '{f}' is not NAME=D1,D2,..")
        };
        let dims: Vec<usize> = dims
            .split(',')
            .map(|d| d.trim().parse::<usize>().ok().filter(|&v| v > 0))
            .collect::<Option<_>>()
            .with_context(|| {
                format!("--input-shape '{f}': dimensions must be positive integers")
            })?;
        m.insert(name.to_string(), dims);
    }
    Ok(m)
}

/// Parse `NAME=V1,V2,..` flags (`--const`).
pub fn parse_consts(flags: &[String]) -> Result<BTreeMap<String, Vec<f64>>> {
    let mut m = BTreeMap::new();
    for f in flags {
        let Some((name, vals)) = f.split_once('=') else {
            bail!("--const '{f}' is not NAME=V1,V2,..")
        };
        let vals: Vec<f64> = vals
            .split(',')
            .map(|v| v.trim().parse::<f64>().ok().filter(|x| x.is_finite()))
            .collect::<Option<_>>()
            .with_context(|| format!("--const '{f}': values must be finite numbers"))?;
        if m.insert(name.to_string(), vals).is_some() {
            bail!("--const gives '{name}' twice");
        }
    }
    Ok(m)
}

pub fn options(quant: QuantOptions, shapes: &[String]) -> Result<CompileOptions> {
    Ok(CompileOptions {
        import: ImportOptions {
            input_shapes: parse_shapes(shapes)?,
            ..ImportOptions::default()
        },
        quant,
        progress: None,
    })
}

/// The graph outputs of one run, for `evaluate`.
pub fn graph_outputs(plan: &Plan, q: &[Vec<i32>]) -> Result<Vec<Vec<i32>>, String> {
    let t = plan.run(q).map_err(|e| e.to_string())?;
    let outs = plan.outputs(&t).map_err(|e| e.to_string())?;
    Ok(outs.into_iter().map(<[i32]>::to_vec).collect())
}

/// Compile and report; shared with `demo` and `bench`.
pub fn compile_model(
    model: &Path,
    calibration: Option<&Path>,
    opts: &CompileOptions,
) -> Result<(Compiled, Report)> {
    let data = calibration.map(read_data).transpose()?;
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} calibrating: {pos} samples ({elapsed})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    let mut opts = opts.clone();
    let ticker = bar.clone();
    opts.progress = Some(std::sync::Arc::new(move || ticker.inc(1)));
    let compiled = compile(model, data.as_ref(), &opts)?;
    bar.finish_and_clear();
    let reference = float_reference(model, &compiled.fgraph, &compiled.samples)?;
    let plan = Plan::for_graph(compiled.graph.clone())?;
    let run_q = |q: &[Vec<i32>]| graph_outputs(&plan, q);
    let report = evaluate(&compiled.graph, &compiled.samples, reference, &run_q)?;
    Ok((compiled, report))
}

/// Refuse (unless `allow`) a model whose calibrated error exceeds the tolerance of
/// `verinfer_quant::tolerance`, naming the outputs and the node where the error first appears.
fn check_error(c: &Compiled, r: &Report, allow: bool) -> Result<()> {
    let bad = excessive(r);
    if bad.is_empty() {
        return Ok(());
    }
    if !allow {
        print_report(c, r);
    }
    let mut msg = String::new();
    for (o, allowed) in &bad {
        msg.push_str(&format!(
            "output '{}': max abs error {:.3e} exceeds the tolerance {:.3e} ({}% of its largest float magnitude {:.3e}, at least {} output steps)\n",
            o.name,
            o.max_abs_err,
            allowed,
            MAX_REL_ERROR * 100.0,
            o.float_max_abs,
            MIN_STEPS
        ));
    }
    // The reference interpreter is slow on large graphs: a few samples locate the node.
    let few = &c.samples[..c.samples.len().min(4)];
    match first_divergence(&c.fgraph, &c.graph, few)? {
        Some(d) => msg.push_str(&format!(
            "the error first appears at node '{}' ({}): max abs error {:.3e} against float magnitude {:.3e} at scale 2^-{}\n",
            d.node, d.op_type, d.max_abs_err, d.float_max_abs, d.scale
        )),
        None => {
            // Not a quantization error: the integer graph follows verinfer's own float
            // lowering, which the reference (tract) computes differently.
            eprintln!("warning: {msg}every primitive is within tolerance of verinfer's own float lowering: the float reference ({}) disagrees with the lowering, not the quantization; writing the model", r.reference);
            return Ok(());
        }
    }
    if c.defaulted {
        msg.push_str("the scales come from synthetic inputs: pass real ones with --calibration\n");
    }
    if allow {
        eprintln!("warning: {msg}writing the model anyway (--allow-large-error)");
        return Ok(());
    }
    bail!("{msg}refusing to write the model; pass --allow-large-error to write it anyway")
}

pub fn print_report(c: &Compiled, r: &Report) {
    if c.defaulted {
        eprintln!(
            "note: no --calibration given: scales come from {} synthetic samples uniform in [-1, 1]; pass real data for accurate scales",
            c.samples.len()
        );
        for w in synthetic_range_warnings(&c.fgraph) {
            eprintln!("warning: {w}");
        }
    }
    eprintln!(
        "accuracy on {} calibration samples vs {}:",
        r.samples, r.reference
    );
    for o in &r.outputs {
        let am = o.argmax.map_or(String::new(), |(a, n)| {
            #[allow(clippy::cast_precision_loss)]
            let pct = 100.0 * a as f64 / n.max(1) as f64;
            format!(", argmax agreement {a}/{n} ({pct:.2}%)")
        });
        eprintln!(
            "  {}: max abs error {:.3e}, mean {:.3e} (float max |y| {:.3e}, scale 2^-{}){am}",
            o.name, o.max_abs_err, o.mean_abs_err, o.float_max_abs, o.scale
        );
    }
}

pub fn run(a: &Args) -> Result<()> {
    if crate::cmd_llm::is_gguf(&a.model) || crate::cmd_llm::is_hf_dir(&a.model) {
        let quant =
            verinfer_llm::compile::LLM_QUANT.overridden(a.bits, a.table_bits, a.headroom_bits);
        if a.json {
            bail!("--json is for ONNX models; a language model's compile writes its report with --report-json");
        }
        if a.calibration.is_some() || !a.input_shape.is_empty() {
            bail!("a GGUF model takes --calibration-text (or no calibration: text sampled from the model), not --calibration or --input-shape");
        }
        let out = a.output.clone().unwrap_or_else(|| {
            if a.model.is_dir() {
                a.model.join("model.vmodel")
            } else {
                a.model.with_extension("vmodel")
            }
        });
        return crate::cmd_llm::compile_llm(&crate::cmd_llm::GgufCompile {
            model: &a.model,
            output: &out,
            quant,
            ctx: a.ctx,
            text: a.calibration_text.as_deref(),
            samples: a.calibration_samples,
            report_json: a.report_json.as_deref(),
            tokenizer: a.tokenizer.as_deref(),
            sampling: a.sampling,
        });
    }
    let quant = QuantOptions::default().overridden(a.bits, a.table_bits, a.headroom_bits);
    if a.ctx.is_some() || a.calibration_text.is_some() || a.tokenizer.is_some() {
        bail!("--ctx, --calibration-text and --tokenizer apply to language models (GGUF, Hugging Face checkpoints) only");
    }
    let mut opts = options(quant, &a.input_shape)?;
    opts.import.input_values = parse_consts(&a.consts)?;
    let (compiled, report) = compile_model(&a.model, a.calibration.as_deref(), &opts)?;
    let out = a
        .output
        .clone()
        .unwrap_or_else(|| a.model.with_extension("vmodel"));
    check_error(&compiled, &report, a.allow_large_error)?;
    verinfer_ir::vmodel::save(&compiled.graph, &out)?;
    let g = &compiled.graph;
    eprintln!(
        "compiled {} -> {}: {} nodes, {} parameter elements, {}-bit",
        a.model.display(),
        out.display(),
        g.nodes.len(),
        g.num_param_elements(),
        quant.bits
    );
    print_report(&compiled, &report);
    if let Some(p) = &a.report_json {
        std::fs::write(p, serde_json::to_string_pretty(&report.to_json())?)
            .with_context(|| p.display().to_string())?;
    }
    if a.json {
        let j = serde_json::json!({
            "output": out.display().to_string(),
            "nodes": g.nodes.len(),
            "param_elements": g.num_param_elements(),
            "bits": quant.bits,
            "table_bits": quant.table_bits,
            "model_id": verinfer_commit::ModelCommitment::new(g).model_id.to_string(),
            "report": report.to_json(),
        });
        println!("{}", serde_json::to_string_pretty(&j)?);
    }
    Ok(())
}

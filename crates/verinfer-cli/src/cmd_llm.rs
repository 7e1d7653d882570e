//! Language models: `verinfer compile M.gguf` (the step graph, calibrated and quantized, with
//! the tokenizer beside it) and `verinfer generate` (a prompt, then one step per new token).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use verinfer_commit::{
    root_of, Hash32, IncrementalStats, IncrementalTrace, PipelineError, TraceHasher, TraceRoot,
    DEFAULT_TREE_BUDGET,
};
use verinfer_exec::Plan;
use verinfer_gguf::{GgufFile, Tokenizer, TokenizerSpec};
use verinfer_ir::ValueId;
use verinfer_llm::compile::sample_sequences;
use verinfer_llm::eval::compare;
use verinfer_llm::noise::{parse_temperature, Sampling};
use verinfer_llm::session::check_request;
use verinfer_llm::{
    compile, CompileOptions, FloatEngine, GgufWeights, HfWeights, IntEngine, Session, StepEngine,
    WeightSource,
};
use verinfer_quant::quantize::QuantOptions;

/// Whether `p` starts with GGUF's magic.
#[must_use]
pub fn is_gguf(p: &Path) -> bool {
    let mut magic = [0u8; 4];
    std::fs::File::open(p)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut magic))
        .is_ok()
        && &magic == b"GGUF"
}

/// Where the tokenizer of a compiled model is kept: `M.vmodel` → `M.tokenizer.json`.
#[must_use]
pub fn tokenizer_path(vmodel: &Path) -> PathBuf {
    vmodel.with_extension("tokenizer.json")
}

/// Options of `compile` that apply to a GGUF model.
pub struct GgufCompile<'a> {
    /// Model file.
    pub model: &'a Path,
    /// Output file.
    pub output: &'a Path,
    /// Quantization.
    pub quant: QuantOptions,
    /// Context of the step graph.
    pub ctx: Option<usize>,
    /// Calibration text (tokenized with the model's tokenizer).
    pub text: Option<&'a Path>,
    /// Number of calibration sequences.
    pub samples: usize,
    /// Accuracy report as JSON.
    pub report_json: Option<&'a Path>,
    /// Tokenizer (required with a Hugging Face checkpoint for `--calibration-text`).
    pub tokenizer: Option<&'a Path>,
    /// A sampling step graph.
    pub sampling: bool,
}

fn text_sequences(tok: &Tokenizer, text: &str, n: usize, len: usize) -> Result<Vec<Vec<u32>>> {
    let ids = tok.encode(text)?;
    let body = len.saturating_sub(1).max(1);
    let bos = tok.bos().filter(|_| tok.adds_bos());
    let seqs: Vec<Vec<u32>> = ids
        .chunks(body)
        .filter(|c| c.len() == body)
        .take(n)
        .map(|c| bos.into_iter().chain(c.iter().copied()).collect())
        .collect();
    if seqs.is_empty() {
        bail!(
            "the calibration text has {} tokens, fewer than one sequence of {body}",
            ids.len()
        );
    }
    Ok(seqs)
}

/// Whether `p` is a Hugging Face checkpoint directory.
#[must_use]
pub fn is_hf_dir(p: &Path) -> bool {
    p.is_dir() && p.join("config.json").exists()
}

/// The weights of a GGUF file or a Hugging Face checkpoint directory, and a tokenizer: the
/// GGUF file's own, or (for a checkpoint) the one `tokenizer` names.
fn open_weights(
    model: &Path,
    tokenizer: Option<&Path>,
) -> Result<(Box<dyn WeightSource>, Option<Tokenizer>)> {
    let tok = tokenizer.map(read_tokenizer).transpose()?;
    if is_hf_dir(model) {
        let w = HfWeights::open(model)?;
        return Ok((Box::new(w), tok));
    }
    let w = GgufWeights::open(model).with_context(|| format!("reading {}", model.display()))?;
    let tok = match tok {
        Some(t) => t,
        None => Tokenizer::from_gguf(w.file())?,
    };
    Ok((Box::new(w), Some(tok)))
}

/// `verinfer compile M.gguf` or `verinfer compile CHECKPOINT_DIR`.
pub fn compile_llm(a: &GgufCompile<'_>) -> Result<()> {
    let (w, tok) = open_weights(a.model, a.tokenizer)?;
    let w = w.as_ref();
    let n_ctx = usize::try_from(w.config().n_ctx).unwrap_or(usize::MAX);
    let ctx = a.ctx.unwrap_or_else(|| n_ctx.min(256));
    let bos = tok.as_ref().and_then(Tokenizer::bos).unwrap_or(1);
    let sample_len = ctx.min(64);
    let sequences = match (a.text, &tok) {
        (Some(p), Some(tok)) => {
            let text = std::fs::read_to_string(p).with_context(|| p.display().to_string())?;
            text_sequences(tok, &text, a.samples, sample_len)?
        }
        (Some(_), None) => bail!("--calibration-text needs a tokenizer: pass --tokenizer M.gguf"),
        (None, _) => Vec::new(),
    };
    let opts = CompileOptions {
        ctx,
        quant: a.quant,
        sequences,
        samples: a.samples,
        sample_len,
        bos,
        seed: 7,
        sampling: a.sampling,
    };
    let name = a
        .model
        .file_stem()
        .map_or_else(|| "llm".into(), |s| s.to_string_lossy().to_string());
    let t0 = Instant::now();
    let c = compile(w, &name, &opts, &|| {})?;
    let secs = t0.elapsed().as_secs_f64();
    verinfer_ir::vmodel::save(&c.graph, a.output)?;
    let tp = tokenizer_path(a.output);
    let tp_note = match &tok {
        Some(t) => {
            std::fs::write(&tp, serde_json::to_vec(&t.spec())?)
                .with_context(|| tp.display().to_string())?;
            format!(" (+ {})", tp.display())
        }
        None => String::new(),
    };
    let g = &c.graph;
    eprintln!(
        "compiled {} -> {}{}: step graph of {} nodes, context {ctx}, {} parameter elements, {}-bit, calibrated on {} steps{} in {secs:.1} s",
        a.model.display(),
        a.output.display(),
        tp_note,
        g.nodes.len(),
        g.num_param_elements(),
        a.quant.bits,
        c.calibration_steps,
        if a.text.is_some() { " of the given text" } else { " of text sampled from the model" },
    );
    let int = IntEngine::new(Plan::for_graph(c.graph.clone())?)?;
    let float = FloatEngine::new(c.fgraph)?;
    let held_out = sample_sequences(&float, 4, sample_len, bos, 1009)?;
    let f = compare(&int, &float, &held_out)?;
    eprintln!(
        "accuracy vs the float model of the same weights, teacher-forced on {} steps of sampled text: greedy agreement {}/{} ({:.2}%), max logit error {:.3e} (float max |logit| {:.3}), perplexity {:.3} vs {:.3}",
        f.steps,
        f.top1_agree,
        f.steps,
        100.0 * f.top1_rate(),
        f.max_logit_err,
        f.max_abs_logit,
        f.int_nll.exp(),
        f.float_nll.exp()
    );
    if let Some(p) = a.report_json {
        std::fs::write(p, serde_json::to_string_pretty(&f)?)
            .with_context(|| p.display().to_string())?;
    }
    Ok(())
}

/// Arguments of `generate`.
#[derive(clap::Args)]
pub struct GenerateArgs {
    /// A compiled language model (.vmodel from `verinfer compile M.gguf`), or a GGUF file or
    /// Hugging Face checkpoint directory to run the exact float model of its weights (no
    /// quantization; the reference).
    pub model: PathBuf,
    #[command(flatten)]
    pub prompt: PromptArgs,
    /// Number of tokens to generate.
    #[arg(long, default_value_t = 32)]
    pub max_new_tokens: usize,
    /// Keep going after the end-of-sequence token.
    #[arg(long)]
    pub ignore_eos: bool,
    /// Print `{"prompt_ids", "tokens", "text"}` as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// Context of the step graph when running a GGUF file directly.
    #[arg(long)]
    pub ctx: Option<usize>,
    /// Keep what a dispute needs here: per-step trace roots and the final KV cache.
    #[arg(long)]
    pub trace: Option<PathBuf>,
    /// With `--trace`: hash each step's trace on a thread of its own while the next step runs
    /// (same roots; faster only when a core is free for it — on a loaded machine it is slower).
    #[arg(long, requires = "trace")]
    pub trace_thread: bool,
    /// Run the prompt one step at a time instead of as one batch (the same integers, slower:
    /// every weight is read once per prompt token).
    #[arg(long)]
    pub sequential_prefill: bool,
    /// Threads running the steps (0: every core). The integers, hence tokens and trace roots,
    /// do not depend on it.
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    #[command(flatten)]
    pub sampling: SamplingArgs,
}

/// The prompt of a generation, which every command that generates takes: text or token ids,
/// and the tokenizer for text.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct PromptArgs {
    /// Prompt text, tokenized with the model's tokenizer (BOS first when the model asks).
    #[arg(long, conflicts_with = "prompt_ids")]
    pub prompt: Option<String>,
    /// Prompt token ids, comma-separated, used as given.
    #[arg(long, value_delimiter = ',')]
    pub prompt_ids: Option<Vec<u32>>,
    /// Tokenizer (a GGUF file or a `.tokenizer.json`); default: the model's own, or the one
    /// beside a compiled model.
    #[arg(long)]
    pub tokenizer: Option<PathBuf>,
}

impl PromptArgs {
    /// The prompt's token ids, the text tokenized with `tok`.
    ///
    /// # Errors
    /// No prompt, or `--prompt` without a tokenizer.
    pub fn ids(&self, tok: Option<&Tokenizer>, model: &Path) -> Result<Vec<u32>> {
        prompt_ids(
            self.prompt.as_deref(),
            self.prompt_ids.as_deref(),
            tok,
            model,
        )
    }
}

/// `--seed` and `--temperature`: a sampled generation instead of a greedy one.
#[derive(clap::Args, Clone, Debug)]
pub struct SamplingArgs {
    /// Sample with this seed (Gumbel-max over a keyed-hash noise: the tokens are a function of
    /// model, prompt, seed and temperature only). Absent: greedy (so is 0 in a claim or a
    /// request). Needs a model compiled with `--sampling` (a GGUF file given to a claim, a
    /// game or a request is compiled so).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Sampling temperature, a decimal in 0..=8 rounded to a multiple of 2^-16 (the exact value
    /// used is `temperature_q16 / 65536`, printed with `--json`); 0 is greedy.
    #[arg(long, requires = "seed", default_value = "1")]
    pub temperature: String,
}

impl SamplingArgs {
    /// The sampling of these flags (`None`: greedy).
    ///
    /// # Errors
    /// A temperature that does not parse or is out of range.
    pub fn sampling(&self) -> Result<Option<Sampling>> {
        sampling_of(self.seed, &self.temperature)
    }
}

/// The sampling parameters of `--seed`/`--temperature` (`None`: greedy).
pub fn sampling_of(seed: Option<u64>, temperature: &str) -> Result<Option<Sampling>> {
    let Some(seed) = seed else { return Ok(None) };
    let t = parse_temperature(temperature)?;
    Ok(Some(Sampling::new(seed, t)?))
}

/// The tokenizer of `model` (a GGUF file's own, or the `.tokenizer.json` beside a compiled
/// model), or the one `tokenizer` names; `None` when there is none.
pub fn load_tokenizer(model: &Path, tokenizer: Option<&Path>) -> Result<Option<Tokenizer>> {
    let p = match tokenizer {
        Some(p) => p.to_path_buf(),
        None if is_gguf(model) => model.to_path_buf(),
        None => tokenizer_path(model),
    };
    if !p.exists() || p.is_dir() {
        return Ok(None);
    }
    read_tokenizer(&p).map(Some)
}

/// The prompt's token ids: `ids` as given, or `text` tokenized with `tok` (BOS first when the
/// model asks); `model` names where the tokenizer was looked for in the error.
pub fn prompt_ids(
    text: Option<&str>,
    ids: Option<&[u32]>,
    tok: Option<&Tokenizer>,
    model: &Path,
) -> Result<Vec<u32>> {
    Ok(match (text, ids) {
        (_, Some(ids)) => ids.to_vec(),
        (Some(text), None) => {
            let Some(t) = tok else {
                bail!(
                    "--prompt needs the model's tokenizer: none at {} (pass --tokenizer M.gguf, or --prompt-ids)",
                    tokenizer_path(model).display()
                )
            };
            let mut ids: Vec<u32> = t.bos().filter(|_| t.adds_bos()).into_iter().collect();
            ids.extend(t.encode(text)?);
            ids
        }
        (None, None) => bail!("give --prompt TEXT or --prompt-ids 1,2,3"),
    })
}

/// A tokenizer from a GGUF file or a `.tokenizer.json` written by `compile`.
pub fn read_tokenizer(p: &Path) -> Result<Tokenizer> {
    if is_gguf(p) {
        let f = GgufFile::open(p).with_context(|| format!("reading {}", p.display()))?;
        return Ok(Tokenizer::from_gguf(&f)?);
    }
    let bytes = std::fs::read(p).with_context(|| p.display().to_string())?;
    let spec: TokenizerSpec = serde_json::from_slice(&bytes)
        .with_context(|| format!("{}: not a tokenizer file", p.display()))?;
    Ok(Tokenizer::from_spec(spec)?)
}

/// What a session run produced, and how long its parts took.
pub struct Run {
    pub tokens: Vec<u32>,
    pub prefill_s: f64,
    pub decode_s: f64,
    pub roots: Vec<String>,
    pub caches: Vec<Vec<i32>>,
    /// Leaves committed and leaves hashed again by the incremental trace roots.
    pub trace_stats: IncrementalStats,
}

/// How [`run_session`] commits each step's trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TraceMode {
    /// No trace roots.
    Off,
    /// Each value hashed by the step's own thread as it is produced (the step waits).
    Inline,
    /// Each value copied to a hashing thread ([`TraceHasher`]) that works while the next step
    /// runs; the run ends when the last root is computed. Same roots as `Inline`.
    Pipelined,
}

/// Bytes the kept value trees of a traced run may take: a quarter of the memory available
/// when the run starts (the model is loaded by then), leaving the rest to the step's values,
/// the hashing queue and other processes; [`DEFAULT_TREE_BUDGET`] where that is unknown.
/// Roots never depend on it, only how much is hashed again.
fn tree_budget() -> usize {
    crate::cmd_bench_llm::mem_available_mib().map_or(DEFAULT_TREE_BUDGET, |mib| {
        // `as`: a non-negative MiB figure well below 2^53, to whole bytes.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let bytes = (mib.max(0.0) * f64::from(1u32 << 20) / 4.0) as usize;
        bytes
    })
}

#[allow(clippy::too_many_arguments, clippy::too_many_lines)]
/// Runs `prompt` then up to `max_new` greedy tokens (stopping after `stop`), each step's trace
/// root kept unless `trace` is `Off`; `caches` reads the final caches. The decode time includes
/// waiting for the last trace root.
pub fn run_session<E: StepEngine>(
    engine: &E,
    prompt: &[u32],
    max_new: usize,
    stop: Option<u32>,
    trace: TraceMode,
    batch: bool,
    sampling: Option<Sampling>,
    caches: impl Fn(&Session<'_, E>) -> Vec<Vec<i32>>,
) -> Result<Run> {
    check_request(engine.layout(), prompt, max_new)?;
    let mut s = match sampling {
        Some(smp) => Session::sampled(engine, smp)?,
        None => Session::new(engine),
    };
    // A sampled prompt runs step by step (each step's noise differs).
    let batch = batch && sampling.is_none();
    let inline = trace == TraceMode::Inline;
    let hasher = match trace {
        TraceMode::Pipelined => Some(TraceHasher::spawn(tree_budget())?),
        _ => None,
    };
    // The first error handing a value to the hasher (reported once the steps are done).
    let mut lost: Option<PipelineError> = None;
    let mut give = |step: usize, v: ValueId, d: &[i32]| {
        if let Some(e) = hasher.as_ref().and_then(|h| h.value(step, v, d).err()) {
            lost.get_or_insert(e);
        }
    };
    let mut roots = Vec::new();
    // One value tree per value id kept across steps: a step re-hashes what changed (a cache row).
    let mut inc = IncrementalTrace::with_budget(tree_budget());
    let t0 = Instant::now();
    let mut next = 0;
    // Steps run so far (the hasher's step numbers).
    let mut steps = 0;
    if batch {
        // Each step's value roots by value id (a batch hands values over out of order).
        let mut vroots: Vec<Vec<Option<Hash32>>> = vec![Vec::new(); prompt.len()];
        let outs = s.prefill_with(prompt, &mut |t, v, d| {
            if let Some(r) = inline.then(|| vroots.get_mut(t)).flatten() {
                if r.len() <= v.index() {
                    r.resize(v.index() + 1, None);
                }
                r[v.index()] = Some(inc.value_root(v, d));
            } else {
                give(t, v, d);
            }
        })?;
        next = outs.last().map_or(0, |o| o.next);
        steps = prompt.len();
        if inline {
            for r in vroots {
                let r: Option<Vec<Hash32>> = r.into_iter().collect();
                let r = r.context("a prefill step's trace is missing a value")?;
                roots.push(TraceRoot::from_hash(root_of(&r)).to_string());
            }
        }
    }
    let mut step = |s: &mut Session<'_, E>, t: u32| -> Result<u32> {
        let n = steps;
        steps += 1;
        match trace {
            TraceMode::Off => Ok(s.step(t)?.next),
            TraceMode::Inline => {
                let out = s.step_with(t, &mut |_, v| inc.push(v))?;
                roots.push(inc.finish_run().to_string());
                Ok(out.next)
            }
            TraceMode::Pipelined => Ok(s.step_with(t, &mut |v, d| give(n, v, d))?.next),
        }
    };
    if !batch {
        for &t in prompt {
            next = step(&mut s, t)?;
        }
    }
    let prefill_s = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let mut tokens = Vec::with_capacity(max_new);
    while tokens.len() < max_new {
        tokens.push(next);
        if Some(next) == stop || tokens.len() == max_new {
            break;
        }
        next = step(&mut s, next)?;
    }
    let mut trace_stats = inc.stats();
    if let Some(h) = hasher {
        if let Some(e) = lost {
            return Err(e.into());
        }
        let (r, st) = h.finish()?;
        roots = r.iter().map(ToString::to_string).collect();
        trace_stats = st;
    }
    let decode_s = t1.elapsed().as_secs_f64();
    let caches = caches(&s);
    Ok(Run {
        tokens,
        prefill_s,
        decode_s,
        roots,
        caches,
        trace_stats,
    })
}

/// `verinfer generate`, in a pool of `--threads` threads.
pub fn generate_cmd(a: &GenerateArgs) -> Result<()> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(a.threads)
        .build()
        .with_context(|| format!("starting a pool of {} threads", a.threads))?
        .install(|| generate_in_pool(a))
}

fn generate_in_pool(a: &GenerateArgs) -> Result<()> {
    let tok = load_tokenizer(&a.model, a.prompt.tokenizer.as_deref())?;
    let prompt = a.prompt.ids(tok.as_ref(), &a.model)?;
    let stop = if a.ignore_eos {
        None
    } else {
        tok.as_ref().and_then(Tokenizer::eos)
    };
    let trace = a.trace.is_some();
    let sampling = a.sampling.sampling()?;
    let (run, what) = if is_gguf(&a.model) || is_hf_dir(&a.model) {
        if trace {
            bail!("--trace needs a compiled model: the float reference has no integer trace");
        }
        let (w, _) = open_weights(&a.model, None)?;
        let n_ctx = usize::try_from(w.config().n_ctx).unwrap_or(usize::MAX);
        let ctx = a
            .ctx
            .unwrap_or_else(|| n_ctx.min(prompt.len() + a.max_new_tokens));
        let g = verinfer_llm::step::build_with(w.as_ref(), ctx, "reference", sampling.is_some())?;
        let e = FloatEngine::new(g)?;
        (
            run_session(
                &e,
                &prompt,
                a.max_new_tokens,
                stop,
                TraceMode::Off,
                !a.sequential_prefill,
                sampling,
                |_| Vec::new(),
            )?,
            "exact float model",
        )
    } else {
        let g = verinfer_ir::vmodel::load(&a.model)
            .with_context(|| format!("reading {}", a.model.display()))?;
        let e = IntEngine::new(Plan::for_graph(g)?)?;
        let layout = e.layout().clone();
        let r = run_session(
            &e,
            &prompt,
            a.max_new_tokens,
            stop,
            match (trace, a.trace_thread) {
                (false, _) => TraceMode::Off,
                (true, false) => TraceMode::Inline,
                (true, true) => TraceMode::Pipelined,
            },
            !a.sequential_prefill,
            sampling,
            |s| {
                layout
                    .caches
                    .iter()
                    .flat_map(|&(k, v)| [k, v])
                    .map(|i| s.cache(i).to_vec())
                    .collect()
            },
        )?;
        (r, "integer step graph")
    };
    let text = tok.as_ref().map(|t| t.decode(&run.tokens));
    #[allow(clippy::cast_precision_loss)]
    {
        eprintln!(
            "{what}: prompt {} tokens in {:.3} s ({:.2} tokens/s), generated {} tokens in {:.3} s ({:.2} tokens/s)",
            prompt.len(),
            run.prefill_s,
            prompt.len() as f64 / run.prefill_s.max(1e-9),
            run.tokens.len(),
            run.decode_s,
            run.tokens.len().saturating_sub(1) as f64 / run.decode_s.max(1e-9),
        );
    }
    if let Some(dir) = &a.trace {
        std::fs::create_dir_all(dir).with_context(|| dir.display().to_string())?;
        let j = serde_json::json!({
            "format": "verinfer-generation/1",
            "seed": sampling.map(|s| s.seed),
            "temperature_q16": sampling.map(|s| s.temp),
            "prompt_ids": prompt,
            "tokens": run.tokens,
            "step_trace_roots": run.roots,
        });
        std::fs::write(
            dir.join("generation.json"),
            serde_json::to_string_pretty(&j)?,
        )?;
        let mut kv = Vec::new();
        for c in &run.caches {
            for v in c {
                kv.extend_from_slice(&v.to_le_bytes());
            }
        }
        std::fs::write(dir.join("kv_cache.bin"), kv)?;
        eprintln!(
            "trace: {} step roots in {}, KV cache ({} layers × K,V, i32 LE) in {}",
            run.roots.len(),
            dir.join("generation.json").display(),
            run.caches.len() / 2,
            dir.join("kv_cache.bin").display()
        );
    }
    let mut out = std::io::stdout().lock();
    if a.json {
        // A greedy generation prints the three keys only; a sampled one adds its seed
        // and temperature.
        let mut j = serde_json::json!({
            "prompt_ids": prompt,
            "tokens": run.tokens,
            "text": text,
        });
        if let (Some(smp), Some(o)) = (sampling, j.as_object_mut()) {
            o.insert("seed".into(), smp.seed.into());
            o.insert("temperature".into(), (f64::from(smp.temp) / 65536.0).into());
            o.insert("temperature_q16".into(), smp.temp.into());
        }
        writeln!(out, "{j}").ok();
    } else if let Some(t) = text {
        writeln!(out, "{t}").ok();
    } else {
        let ids: Vec<String> = run.tokens.iter().map(u32::to_string).collect();
        writeln!(out, "{}", ids.join(",")).ok();
    }
    Ok(())
}

//! `verinfer bench-llm`: a synthetic LLaMA-shaped model with seeded Q8_0 weights, written once
//! to a GGUF file, compiled and run by verinfer — and by llama.cpp on the very same file when
//! its Python binding is installed — reporting, in one run: decode and prefill tokens/s, peak
//! RSS, trace commitment time as a share of inference, and model commitment time.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use verinfer_commit::{IncrementalStats, ModelCommitment};
use verinfer_exec::Plan;
use verinfer_gguf::write::{quantize_q8_0, GgufWriter};
use verinfer_gguf::{GgmlType, Value};
use verinfer_llm::{compile, CompileOptions, Compiled, GgufWeights, IntEngine};

use crate::cmd_llm::TraceMode;

/// Arguments of `bench-llm`.
#[derive(clap::Args)]
pub struct Args {
    /// Model shape: tiny, tiny-32l (tiny at 32 layers), small (the trained Shakespeare
    /// model's), llama-30m, tinyllama, llama2-7b.
    #[arg(long, default_value = "small")]
    pub shape: String,
    /// Context of the step graph.
    #[arg(long, default_value_t = 128)]
    pub ctx: usize,
    /// Tokens to generate.
    #[arg(long, default_value_t = 32)]
    pub tokens: usize,
    /// Where the GGUF file is written (kept, so llama.cpp reads the same file).
    #[arg(long, default_value = "target/bench-llm")]
    pub dir: PathBuf,
    /// A Python with PyPI `llama-cpp-python` installed: also time llama.cpp on the same file.
    #[arg(long)]
    pub llama_cpp_python: Option<PathBuf>,
    /// Threads for both engines (llama.cpp's `n_threads`, verinfer's pool).
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Threads compiling and committing to the model (0: every core). They run once per
    /// model, not per token, so they use the whole machine whatever `--threads` is.
    #[arg(long, default_value_t = 0)]
    pub compile_threads: usize,
    /// Print the figures as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// Require the GGUF file in `--dir` to be the seeded model already and never write it
    /// (without the flag a matching file is reused and any other rewritten).
    #[arg(long)]
    pub reuse: bool,
}

/// (vocab, width, layers, feed-forward, heads, kv heads, trained context). `NAME-Nl` is
/// shape NAME's widths with N layers (`llama2-7b-2l`): a dispute's figures at full width
/// where the whole depth does not fit the time.
pub fn shape(name: &str) -> Result<(u64, u64, u64, u64, u64, u64, u64)> {
    if let Some((base, n)) = name
        .strip_suffix('l')
        .and_then(|s| s.rsplit_once('-'))
        .and_then(|(b, n)| Some((b, n.parse::<u64>().ok()?)))
    {
        if n == 0 {
            bail!("shape {name}: a model of 0 layers");
        }
        let (v, e, _, ff, h, hkv, ctx) = shape(base)?;
        return Ok((v, e, n, ff, h, hkv, ctx));
    }
    Ok(match name {
        "tiny" => (600, 32, 2, 64, 4, 2, 128),
        "small" => (600, 128, 4, 320, 4, 2, 128),
        "llama-30m" => (8000, 512, 8, 1376, 8, 4, 512),
        "tinyllama" => (32000, 2048, 22, 5632, 32, 4, 2048),
        "llama2-7b" => (32000, 4096, 32, 11008, 32, 32, 4096),
        other => bail!(
            "unknown shape {other:?} (tiny, small, llama-30m, tinyllama, llama2-7b; NAME-Nl: N layers)"
        ),
    })
}

/// Parameter count of a shape (embedding, output, and per block attention and feed-forward).
fn params(name: &str) -> Result<u64> {
    let (v, e, l, ff, h, hkv, _) = shape(name)?;
    let kv = e / h * hkv;
    Ok(v * e * 2 + l * (e * e * 2 + e * kv * 2 + 3 * e * ff))
}

/// Peak bytes a matrix parameter (every tensor but `token_embd`) costs while compiling and
/// running, fitted on tinyllama's measured peak RSS (2,305.5 MiB for 1.10B parameters with
/// `--tokens 4`, docs/llm.md section 5) once the embedding table's share is taken out: 1.58
/// bytes — the `i8` block integers (shared by the float and the integer graph), the block
/// scales (`i16`, and `i32` for the second-stage kernel: 3/16 byte), everything else of the
/// run counted as if it grew with the weights. Rounded up to 1.75 (+11 %) as the margin.
const MATRIX_BYTES_PER_PARAM: f64 = 1.75;

/// Bytes an element of the embedding table costs while compiling: it is held as `f64` by the
/// float graph and as `i32` by the integer graph (not imported as blocks yet).
const EMBEDDING_BYTES_PER_ELEMENT: f64 = 12.0;

/// Share of the memory available now that a compile may be planned to use (the rest: the
/// page cache the `pread` import goes through, other processes).
const AVAILABLE_SHARE: f64 = 0.9;

/// xorshift64*: seeded weights without a dependency.
struct Rng(u64);

impl Rng {
    fn normalish(&mut self) -> f32 {
        // Sum of 4 uniforms, centred and scaled to unit variance.
        let mut s = 0.0f64;
        for _ in 0..4 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            #[allow(clippy::cast_precision_loss)]
            let u = (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64;
            s += u;
        }
        #[allow(clippy::cast_possible_truncation)]
        let v = ((s - 2.0) * 3f64.sqrt()) as f32;
        v
    }
}

/// What a seeded tensor holds: a matrix of normal-ish Q8_0 weights (drawn from the shared
/// generator, in file order) or an all-ones `F32` norm vector.
#[derive(Clone, Copy)]
enum Fill {
    /// `(rows, cols)`.
    Matrix(u64, u64),
    Ones(u64),
}

/// The seeded model of shape `name`: its metadata and every tensor declared (not generated),
/// with what fills each.
fn model_layout(name: &str) -> Result<(GgufWriter, Vec<Fill>)> {
    let (v, e, l, ff, h, hkv, ctx) = shape(name)?;
    let kv = e / h * hkv;
    let mut w = GgufWriter::new();
    w.kv("general.architecture", Value::String("llama".into()))
        .kv(
            "general.name",
            Value::String(format!("verinfer synthetic {name}")),
        )
        .kv("llama.context_length", Value::U32(u32::try_from(ctx)?))
        .kv("llama.embedding_length", Value::U32(u32::try_from(e)?))
        .kv("llama.block_count", Value::U32(u32::try_from(l)?))
        .kv("llama.feed_forward_length", Value::U32(u32::try_from(ff)?))
        .kv("llama.attention.head_count", Value::U32(u32::try_from(h)?))
        .kv(
            "llama.attention.head_count_kv",
            Value::U32(u32::try_from(hkv)?),
        )
        .kv("llama.attention.layer_norm_rms_epsilon", Value::F32(1e-5))
        .kv("llama.rope.freq_base", Value::F32(10_000.0))
        .kv(
            "llama.rope.dimension_count",
            Value::U32(u32::try_from(e / h)?),
        )
        .kv("tokenizer.ggml.model", Value::String("llama".into()))
        .kv(
            "tokenizer.ggml.tokens",
            Value::Array((0..v).map(|i| Value::String(format!("<t{i}>"))).collect()),
        )
        .kv(
            "tokenizer.ggml.scores",
            Value::Array((0..v).map(|_| Value::F32(0.0)).collect()),
        )
        .kv(
            "tokenizer.ggml.token_type",
            Value::Array((0..v).map(|_| Value::I32(1)).collect()),
        )
        .kv("tokenizer.ggml.bos_token_id", Value::U32(1))
        .kv("tokenizer.ggml.eos_token_id", Value::U32(2));
    let mut fills = Vec::new();
    let mut add = |w: &mut GgufWriter, n: &str, fill: Fill| -> Result<()> {
        match fill {
            Fill::Matrix(rows, cols) => w.declare(n, &[cols, rows], GgmlType::Q8_0)?,
            Fill::Ones(n_el) => w.declare(n, &[n_el], GgmlType::F32)?,
        };
        fills.push(fill);
        Ok(())
    };
    add(&mut w, "token_embd.weight", Fill::Matrix(v, e))?;
    for i in 0..l {
        let b = |s: &str| format!("blk.{i}.{s}.weight");
        add(&mut w, &b("attn_norm"), Fill::Ones(e))?;
        add(&mut w, &b("attn_q"), Fill::Matrix(e, e))?;
        add(&mut w, &b("attn_k"), Fill::Matrix(kv, e))?;
        add(&mut w, &b("attn_v"), Fill::Matrix(kv, e))?;
        add(&mut w, &b("attn_output"), Fill::Matrix(e, e))?;
        add(&mut w, &b("ffn_norm"), Fill::Ones(e))?;
        add(&mut w, &b("ffn_gate"), Fill::Matrix(ff, e))?;
        add(&mut w, &b("ffn_up"), Fill::Matrix(ff, e))?;
        add(&mut w, &b("ffn_down"), Fill::Matrix(e, ff))?;
    }
    add(&mut w, "output_norm.weight", Fill::Ones(e))?;
    add(&mut w, "output.weight", Fill::Matrix(v, e))?;
    Ok((w, fills))
}

/// The seed every synthetic model's weights are drawn from.
const SEED: u64 = 0x5EED_0000_0000_0001;

/// The first `rows` rows of a seeded matrix of `cols` columns, as Q8_0 bytes (the generator
/// continuing from `rng`).
fn matrix_rows(rng: &mut Rng, rows: u64, cols: u64) -> Vec<u8> {
    #[allow(clippy::cast_precision_loss)]
    let s = 1.0 / (cols as f32).sqrt();
    let x: Vec<f32> = (0..rows * cols).map(|_| rng.normalish() * s).collect();
    quantize_q8_0(&x)
}

/// Writes the seeded model of shape `name` to `path`, one tensor in memory at a time.
fn write_model(path: &Path, name: &str) -> Result<()> {
    let (w, fills) = model_layout(name)?;
    let mut rng = Rng(SEED);
    let mut f = std::io::BufWriter::new(
        std::fs::File::create(path).with_context(|| path.display().to_string())?,
    );
    w.write_streaming(&mut f, |i| {
        Ok(match fills[i] {
            Fill::Matrix(rows, cols) => matrix_rows(&mut rng, rows, cols),
            Fill::Ones(n) => (0..n).flat_map(|_| 1.0f32.to_le_bytes()).collect(),
        })
    })?;
    f.flush()?;
    Ok(())
}

/// Rows of the first matrix regenerated to check a file on disk.
const CHECK_ROWS: u64 = 64;

/// Why the file at `path` is not the seeded model of shape `name` (`None`: it is, as far as
/// its header, its size and the first matrix's first [`CHECK_ROWS`] rows show).
///
/// Why that suffices for a file this command wrote: the header holds every metadata value and
/// every tensor's name, shape, type and offset, so another shape or layout differs there; the
/// size catches a write that was cut short (the file is written front to back); the weights
/// are a pure function of [`SEED`] and the generator, and a change to either (or to the Q8_0
/// rounding) changes the very first rows. What it does not catch is a file edited in the
/// middle by something else — the model id printed with the figures then differs from a
/// previous run's.
fn mismatch(path: &Path, name: &str) -> Result<Option<String>> {
    use std::io::Read;
    let Ok(meta) = std::fs::metadata(path) else {
        return Ok(Some("no such file".into()));
    };
    let (w, fills) = model_layout(name)?;
    if meta.len() != w.file_len() {
        return Ok(Some(format!(
            "{} bytes, the seeded model has {}",
            meta.len(),
            w.file_len()
        )));
    }
    let head = w.header();
    let Some(Fill::Matrix(rows, cols)) = fills.first() else {
        bail!("the first tensor of a seeded model is a matrix");
    };
    let want = matrix_rows(&mut Rng(SEED), (*rows).min(CHECK_ROWS), *cols);
    let mut got = vec![0u8; head.len() + want.len()];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut got))
        .with_context(|| path.display().to_string())?;
    if got[..head.len()] != head[..] {
        return Ok(Some("its header differs".into()));
    }
    if got[head.len()..] != want[..] {
        return Ok(Some("its first weights differ".into()));
    }
    Ok(None)
}

/// Whether `write_and_compile` may reuse an existing file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reuse {
    /// Reuse the file when it is the seeded model, write it otherwise.
    Auto,
    /// Reuse it, or fail without writing (a file that must not be overwritten).
    Only,
}

/// The GGUF file of shape `shape` in `dir`, written unless an existing one is the same seeded
/// model; returns the path and the seconds writing took (`None`: reused).
pub fn ensure_model(dir: &Path, shape: &str, reuse: Reuse) -> Result<(PathBuf, Option<f64>)> {
    let path = dir.join(format!("{shape}-q8_0.gguf"));
    match mismatch(&path, shape)? {
        None => {
            eprintln!(
                "bench-llm: reusing {} (its header, size and first {CHECK_ROWS} weight rows are the seeded {shape} model's)",
                path.display()
            );
            Ok((path, None))
        }
        Some(why) if reuse == Reuse::Only => bail!(
            "--reuse: {} is not the seeded {shape} model ({why}); not overwriting it",
            path.display()
        ),
        Some(why) => {
            if path.exists() {
                eprintln!("bench-llm: rewriting {} ({why})", path.display());
            }
            std::fs::create_dir_all(dir).with_context(|| dir.display().to_string())?;
            let t = Instant::now();
            write_model(&path, shape)?;
            Ok((path, Some(t.elapsed().as_secs_f64())))
        }
    }
}

/// A `KEY: N kB` line of a `/proc` file, in MiB.
fn proc_mib(file: &str, key: &str) -> Option<f64> {
    let s = std::fs::read_to_string(file).ok()?;
    let kb: f64 = s
        .lines()
        .find(|l| l.starts_with(key))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

/// Peak resident memory of this process (Linux `VmHWM`).
pub fn peak_rss_mib() -> Option<f64> {
    proc_mib("/proc/self/status", "VmHWM:")
}

/// Memory available to new allocations now (Linux `MemAvailable`).
pub fn mem_available_mib() -> Option<f64> {
    proc_mib("/proc/meminfo", "MemAvailable:")
}

/// Bytes compiling and running `shape` is expected to peak at (see
/// [`MATRIX_BYTES_PER_PARAM`]).
pub fn compile_bytes(shape_name: &str) -> Result<f64> {
    let (v, e, ..) = shape(shape_name)?;
    let params = params(shape_name)?;
    #[allow(clippy::cast_precision_loss)]
    let (matrix, embd) = ((params - v * e) as f64, (v * e) as f64);
    Ok(matrix * MATRIX_BYTES_PER_PARAM + embd * EMBEDDING_BYTES_PER_ELEMENT)
}

/// The parameter count of `shape`, or an error when compiling it cannot fit the memory
/// available now.
pub fn check_fits(shape: &str) -> Result<u64> {
    let params = params(shape)?;
    // Refuse shapes that cannot fit instead of running out of memory.
    let need_mib = compile_bytes(shape)? / (1024.0 * 1024.0);
    if let Some(avail) = mem_available_mib() {
        if need_mib > AVAILABLE_SHARE * avail {
            #[allow(clippy::cast_precision_loss)]
            let b = params as f64 / 1e9;
            bail!(
                "shape {shape} has {b:.2}B parameters; compiling it needs ~{:.1} GiB ({MATRIX_BYTES_PER_PARAM} bytes a matrix parameter, {EMBEDDING_BYTES_PER_ELEMENT} an embedding element) and {:.1} GiB are available",
                need_mib / 1024.0,
                avail / 1024.0
            );
        }
    }
    Ok(params)
}

/// A synthetic model written to a GGUF file and compiled, with the seconds each took.
pub struct Synthetic {
    /// The GGUF file.
    pub path: PathBuf,
    /// The compiled step graph (and its float graph).
    pub compiled: Compiled,
    /// Seconds writing the file took (0 when an existing file was reused).
    pub write_s: f64,
    /// Whether an existing file was reused instead of written.
    pub reused: bool,
    /// Seconds compiling took.
    pub compile_s: f64,
}

/// Writes the seeded model of `shape` to `dir` (or reuses the file there when it is that
/// model, [`ensure_model`]) and compiles it with a context of `ctx`,
/// calibrated on `samples` sampled sequences of `sample_len` tokens.
pub fn write_and_compile(
    dir: &Path,
    shape: &str,
    ctx: usize,
    (samples, sample_len): (usize, usize),
) -> Result<Synthetic> {
    write_and_compile_with(dir, shape, ctx, (samples, sample_len), Reuse::Auto)
}

/// [`write_and_compile`], reusing an existing file as `reuse` says.
pub fn write_and_compile_with(
    dir: &Path,
    shape: &str,
    ctx: usize,
    (samples, sample_len): (usize, usize),
    reuse: Reuse,
) -> Result<Synthetic> {
    let (path, written) = ensure_model(dir, shape, reuse)?;
    let w = GgufWeights::open(&path)?;
    let opts = CompileOptions {
        ctx,
        samples,
        sample_len,
        ..CompileOptions::default()
    };
    let t = Instant::now();
    let compiled = compile(&w, shape, &opts, &|| {})?;
    Ok(Synthetic {
        path,
        compiled,
        write_s: written.unwrap_or(0.0),
        reused: written.is_none(),
        compile_s: t.elapsed().as_secs_f64(),
    })
}

/// Runs `prompt` (as one batch when `batch`) then `n` greedy tokens, each step's trace
/// committed as `trace` says; returns (prefill s, decode s).
fn run(
    e: &IntEngine,
    prompt: &[u32],
    n: usize,
    trace: TraceMode,
    batch: bool,
) -> Result<(f64, f64)> {
    run_stats(e, prompt, n, trace, batch).map(|(p, d, _)| (p, d))
}

/// [`run`], with the leaves the trace roots committed and hashed again.
fn run_stats(
    e: &IntEngine,
    prompt: &[u32],
    n: usize,
    trace: TraceMode,
    batch: bool,
) -> Result<(f64, f64, IncrementalStats)> {
    let r = crate::cmd_llm::run_session(e, prompt, n, None, trace, batch, None, |_| Vec::new())?;
    Ok((r.prefill_s, r.decode_s, r.trace_stats))
}

/// `verinfer bench-llm`.
pub fn run_bench(a: &Args) -> Result<()> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(a.threads.max(1))
        .build()
        .context("thread pool")?
        .install(|| bench(a))
}

fn bench(a: &Args) -> Result<()> {
    let n_ctx = shape(&a.shape)?.6;
    let params = check_fits(&a.shape)?;
    let ctx = a.ctx.min(usize::try_from(n_ctx)?);
    let prompt: Vec<u32> = vec![1, 5, 9, 13, 17, 21, 25, 29];
    if prompt.len() + a.tokens > ctx {
        bail!(
            "a prompt of {} and {} tokens do not fit a context of {ctx}",
            prompt.len(),
            a.tokens
        );
    }
    let once = rayon::ThreadPoolBuilder::new()
        .num_threads(a.compile_threads)
        .build()
        .context("thread pool")?;
    let Synthetic {
        path,
        compiled: c,
        write_s,
        reused,
        compile_s,
    } = once.install(|| {
        write_and_compile_with(
            &a.dir,
            &a.shape,
            ctx,
            (2, ctx.min(32)),
            if a.reuse { Reuse::Only } else { Reuse::Auto },
        )
    })?;
    let (m, commit_s) = once.install(|| {
        let t = Instant::now();
        let m = ModelCommitment::new(&c.graph);
        (m, t.elapsed().as_secs_f64())
    });
    let compile_threads = once.current_num_threads();
    drop(once);
    // Progress on stderr: a 7B run takes long enough that partial figures matter.
    eprintln!(
        "bench-llm: write {write_s:.1} s (reused: {reused}), compile {compile_s:.1} s, model commitment {commit_s:.1} s ({compile_threads} threads), model id {}, peak RSS {:.0} MiB",
        m.model_id,
        peak_rss_mib().unwrap_or(0.0)
    );
    let model_id = m.model_id.to_string();
    // The peak RSS after each phase, so a peak past the target names the phase that made it.
    let mut peaks = serde_json::Map::new();
    let mut mark = |phase: &str| {
        peaks.insert(phase.into(), peak_rss_mib().into());
    };
    mark("compile_and_model_commitment");
    let eng = IntEngine::new(Plan::for_graph(c.graph)?)?;
    drop(c.fgraph);
    run(&eng, &prompt, 2, TraceMode::Off, true)?;
    let (pre, dec) = run(&eng, &prompt, a.tokens, TraceMode::Off, true)?;
    eprintln!("bench-llm: prefill {pre:.1} s, decode {dec:.1} s");
    let (pre_seq, _) = run(&eng, &prompt, 1, TraceMode::Off, false)?;
    mark("inference");
    let (pre_c, dec_c, st) = run_stats(&eng, &prompt, a.tokens, TraceMode::Inline, true)?;
    eprintln!("bench-llm: with trace commitment: prefill {pre_c:.1} s, decode {dec_c:.1} s");
    mark("trace_commitment_in_line");
    // The same commitment hashed on a thread of its own (`generate --trace-thread`).
    let (pre_p, dec_p) = run(&eng, &prompt, a.tokens, TraceMode::Pipelined, true)?;
    mark("trace_commitment_thread");
    #[allow(clippy::cast_precision_loss)]
    let (pre_tps, dec_tps) = (prompt.len() as f64 / pre, (a.tokens - 1) as f64 / dec);
    #[allow(clippy::cast_precision_loss)]
    let pre_seq_tps = prompt.len() as f64 / pre_seq;
    let trace_share = ((pre_c + dec_c) - (pre + dec)) / (pre + dec);
    let trace_share_thread = ((pre_p + dec_p) - (pre + dec)) / (pre + dec);
    let rss = peak_rss_mib();
    let peer = match &a.llama_cpp_python {
        None => None,
        Some(py) => {
            let script = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../scripts/bench/llama_cpp_speed.py");
            let ids: Vec<String> = prompt.iter().map(u32::to_string).collect();
            let o = Command::new(py)
                .arg(&script)
                .args(["--threads", &a.threads.max(1).to_string()])
                .args(["--model", &path.to_string_lossy()])
                .args(["--tokens", &a.tokens.to_string()])
                .args(["--ctx", &ctx.to_string()])
                .args(["--prompt-ids", &ids.join(",")])
                .output()
                .with_context(|| format!("running {}", py.display()))?;
            if !o.status.success() {
                bail!(
                    "llama.cpp run failed: {}",
                    String::from_utf8_lossy(&o.stderr)
                );
            }
            let j: serde_json::Value = serde_json::from_slice(
                String::from_utf8_lossy(&o.stdout)
                    .lines()
                    .last()
                    .unwrap_or("")
                    .as_bytes(),
            )
            .context("llama.cpp run printed no JSON")?;
            Some(j)
        }
    };
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let j = serde_json::json!({
        "shape": a.shape, "parameters": params, "ctx": ctx, "file": path, "model_id": model_id,
        "threads": rayon::current_num_threads(), "compile_threads": compile_threads,
        "write_s": write_s, "reused_file": reused, "compile_s": compile_s, "model_commitment_s": commit_s,
        "prefill_tokens_per_s": pre_tps, "prefill_sequential_tokens_per_s": pre_seq_tps,
        "decode_tokens_per_s": dec_tps,
        "trace_commitment_share": trace_share, "peak_rss_mib": rss, "peak_rss_after_mib": peaks,
        "trace_commitment_share_thread": trace_share_thread,
        "trace_leaves": st.leaves, "trace_leaves_rehashed": st.rehashed,
        "expected_peak_rss_mib": compile_bytes(&a.shape)? / (1024.0 * 1024.0),
        "llama_cpp": peer,
        "decode_ratio_vs_llama_cpp": peer.as_ref().and_then(|p| p["decode_tokens_per_s"].as_f64()).map(|p| dec_tps / p),
        "loadavg": load.trim(),
    });
    if a.json {
        println!("{j}");
    } else {
        eprintln!("{}", serde_json::to_string_pretty(&j)?);
    }
    Ok(())
}

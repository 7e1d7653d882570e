//! Compiling a language model: build the float step graph, calibrate it on text the model
//! itself generates (or on given token sequences), and quantize it.
//!
//! Calibration runs whole float sessions, so every step sees the cache contents and positions
//! it will see in use. A cache input and the output row written into it are then given one
//! range, hence one scale and width: the session copies the integers of a new row into the
//! cache unchanged, which is also what the dispute over a generation checks.

use std::cell::RefCell;

use verinfer_ir::{Graph, ValueId};
use verinfer_quant::calibrate::{Range, Stats};
use verinfer_quant::frun::{outputs_of, run_float};
use verinfer_quant::quantize::{quantize, QuantOptions};
use verinfer_quant::{FGraph, FRef};

use crate::error::LlmError;
use crate::layout::Layout;
use crate::session::{FloatEngine, Session, StepEngine};
use crate::step::build_with;
use crate::weights::WeightSource;

/// How to compile.
#[derive(Clone, Debug, PartialEq)]
pub struct CompileOptions {
    /// Context length of the step graph.
    pub ctx: usize,
    /// Quantization settings.
    pub quant: QuantOptions,
    /// Calibration token sequences; when empty, `samples` sequences are sampled from the
    /// float model itself.
    pub sequences: Vec<Vec<u32>>,
    /// Number of self-generated sequences (when `sequences` is empty).
    pub samples: usize,
    /// Length of each self-generated sequence.
    pub sample_len: usize,
    /// First token of each self-generated sequence (BOS).
    pub bos: u32,
    /// Seed of the sampler.
    pub seed: u64,
    /// Build a sampling step graph (a `noise` input; see [`crate::noise`]). Off keeps the
    /// greedy graph, and with it the model id, of a model compiled before sampling existed.
    pub sampling: bool,
}

/// Default widths for language models: 20-bit values and 2^16-entry tables. On the trained
/// Shakespeare model (docs/llm.md) 16-bit values and 2^12-entry tables keep teacher-forced
/// top-1 at 99.6 % but leave greedy continuations identical on only 42 of 50 prompts, because
/// a trained model's top two logits are often within 10^-2 of each other; these widths give
/// 100 % and 49 of 50.
pub const LLM_QUANT: QuantOptions = QuantOptions {
    bits: 20,
    table_bits: 16,
    headroom_bits: 1,
    wide_inputs: false,
};

impl Default for CompileOptions {
    fn default() -> Self {
        Self {
            ctx: 128,
            quant: LLM_QUANT,
            sequences: Vec::new(),
            samples: 8,
            sample_len: 48,
            bos: 1,
            seed: 7,
            sampling: false,
        }
    }
}

/// A compiled model and the float graph it came from.
#[derive(Debug)]
pub struct Compiled {
    /// The integer step graph.
    pub graph: Graph,
    /// The float step graph (the exact model of the same weights).
    pub fgraph: FGraph,
    /// Number of calibration steps.
    pub calibration_steps: usize,
}

/// xorshift64*: a deterministic sampler that needs no dependency.
struct Rng(u64);

impl Rng {
    fn unit(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        #[allow(clippy::cast_precision_loss)]
        let u = (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64;
        u
    }
}

/// Index drawn from `softmax(logits)`.
fn sample(logits: &[f64], rng: &mut Rng) -> u32 {
    let m = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let w: Vec<f64> = logits.iter().map(|&z| (z - m).exp()).collect();
    let total: f64 = w.iter().sum();
    let mut u = rng.unit() * total;
    for (i, &wi) in w.iter().enumerate() {
        u -= wi;
        if u <= 0.0 {
            return u32::try_from(i).unwrap_or(0);
        }
    }
    u32::try_from(w.len().saturating_sub(1)).unwrap_or(0)
}

/// `n` sequences of `len` tokens sampled from the float model (temperature 1), each starting
/// with `first`: text in the model's own distribution, for calibration and evaluation.
///
/// # Errors
/// A first token outside the vocabulary; executor errors.
pub fn sample_sequences<E: StepEngine<Elem = f64>>(
    engine: &E,
    n: usize,
    len: usize,
    first: u32,
    seed: u64,
) -> Result<Vec<Vec<u32>>, LlmError> {
    sample_with(engine, n, len, first, seed, false)
}

/// [`sample_sequences`]; `step_last`: also run the last token (calibration sees every step
/// of every sequence).
fn sample_with<E: StepEngine<Elem = f64>>(
    engine: &E,
    n: usize,
    len: usize,
    first: u32,
    seed: u64,
    step_last: bool,
) -> Result<Vec<Vec<u32>>, LlmError> {
    let len = len.min(engine.layout().ctx);
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let mut s = Session::new(engine);
        let mut seq = vec![first];
        while seq.len() < len {
            let last = seq[seq.len() - 1];
            let o = s.step(last)?;
            seq.push(sample(&o.logits, &mut rng));
        }
        seq.truncate(len);
        if step_last {
            if let Some(&last) = seq.last() {
                s.step(last)?;
            }
        }
        out.push(seq);
    }
    Ok(out)
}

/// The float model recording the range of every value of every step it runs: calibration in
/// the same pass that samples (or teacher-forces) the sequences, instead of replaying each
/// step's inputs through the float graph again.
struct Calibrating<'e> {
    float: &'e FloatEngine,
    stats: RefCell<Stats>,
    progress: &'e (dyn Fn() + Sync),
}

impl StepEngine for Calibrating<'_> {
    type Elem = f64;
    fn layout(&self) -> &Layout {
        self.float.layout()
    }
    fn run(
        &self,
        inputs: &[Vec<f64>],
        _sink: &mut dyn FnMut(ValueId, &[i32]),
    ) -> Result<Vec<Vec<f64>>, LlmError> {
        let g = self.float.graph();
        let nodes = run_float(g, inputs)?;
        self.stats.borrow_mut().observe(inputs, &nodes);
        (self.progress)();
        Ok(outputs_of(g, inputs, &nodes))
    }
    fn index(v: u32) -> f64 {
        FloatEngine::index(v)
    }
    fn token(v: f64) -> Option<u32> {
        FloatEngine::token(v)
    }
}

/// Build, calibrate and quantize.
///
/// # Errors
/// Bad options, a model the step builder or the quantizer cannot express.
pub fn compile(
    w: &dyn WeightSource,
    name: &str,
    opts: &CompileOptions,
    progress: &(dyn Fn() + Sync),
) -> Result<Compiled, LlmError> {
    let fgraph = build_with(w, opts.ctx, name, opts.sampling)?;
    let engine = FloatEngine::new(fgraph)?;
    let cal = Calibrating {
        float: &engine,
        stats: RefCell::new(Stats::empty(engine.graph())),
        progress,
    };
    if opts.sequences.is_empty() {
        sample_with(
            &cal,
            opts.samples,
            opts.sample_len,
            opts.bos,
            opts.seed,
            true,
        )?;
    } else {
        for seq in &opts.sequences {
            let mut s = Session::new(&cal);
            for &tok in seq.iter().take(engine.layout().ctx) {
                s.step(tok)?;
            }
        }
    }
    let mut stats = cal.stats.into_inner();
    let fgraph = engine.graph();
    let layout = engine.layout();
    for (&(kc, vc), &(kr, vr)) in layout.caches.iter().zip(&layout.rows) {
        for (ci, ri) in [(kc, kr), (vc, vr)] {
            let FRef::Node(n) = fgraph.outputs[ri].1 else {
                return Err(LlmError::NotAStepGraph(
                    "a cache row is not computed by a node".into(),
                ));
            };
            let (a, b) = (stats.inputs[ci], stats.nodes[n]);
            let merged = Range {
                min: a.min.min(b.min),
                max: a.max.max(b.max),
                neg_inf: a.neg_inf || b.neg_inf,
            };
            stats.inputs[ci] = merged;
            stats.nodes[n] = merged;
        }
    }
    // The cache inputs must stay at the scale and width of the rows each step appends,
    // whatever the caller asked for.
    let quant = QuantOptions {
        wide_inputs: false,
        ..opts.quant
    };
    let graph = quantize(fgraph, &stats, quant)?;
    let calibration_steps = stats.samples;
    Ok(Compiled {
        graph,
        fgraph: engine.into_graph(),
        calibration_steps,
    })
}

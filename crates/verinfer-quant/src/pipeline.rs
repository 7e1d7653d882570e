//! The compile pipeline (import → calibrate → quantize) and the accuracy report.

use std::path::Path;

use verinfer_ir::{Graph, Scale};

use crate::calibrate::calibrate;
use crate::data::InputData;
use crate::error::OnnxError;
use crate::fgraph::FGraph;
use crate::frun::run_outputs;
use crate::import::{import, ImportOptions};
use crate::quantize::{dequantize_value, quantize, quantize_value, QuantOptions};
use crate::tract_ref::TractModel;

/// Everything `compile` needs besides the model.
#[derive(Clone, Default)]
pub struct CompileOptions {
    /// Import settings.
    pub import: ImportOptions,
    /// Quantization settings.
    pub quant: QuantOptions,
    /// Called once per calibration sample run (for progress display).
    pub progress: Option<std::sync::Arc<dyn Fn() + Send + Sync>>,
}

impl std::fmt::Debug for CompileOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompileOptions")
            .field("import", &self.import)
            .field("quant", &self.quant)
            .finish_non_exhaustive()
    }
}

/// Samples used when no calibration data is given: inputs uniform in [-1, 1] (indices in
/// [0, 8)), drawn from a fixed-seed generator so compiles are reproducible.
pub const DEFAULT_SAMPLES: usize = 32;

/// Result of compiling.
#[derive(Debug)]
pub struct Compiled {
    /// The integer graph.
    pub graph: Graph,
    /// The float lowered graph it was quantized from.
    pub fgraph: FGraph,
    /// Calibration samples used (flat per input).
    pub samples: Vec<Vec<Vec<f64>>>,
    /// Whether the samples are the synthetic defaults.
    pub defaulted: bool,
}

/// Import, calibrate and quantize.
///
/// # Errors
/// Import errors, bad data, unrepresentable graphs.
pub fn compile(
    path: &Path,
    data: Option<&InputData>,
    opts: &CompileOptions,
) -> Result<Compiled, OnnxError> {
    let fgraph = import(path, &opts.import)?;
    tracing::info!(
        model = %fgraph.name,
        nodes = fgraph.nodes.len(),
        constants = fgraph.consts.len(),
        "lowered ONNX to float primitives"
    );
    let (samples, defaulted) = match data {
        Some(d) => (split_samples(&fgraph, d)?, false),
        None => (default_samples(&fgraph), true),
    };
    let tick = || {
        if let Some(p) = &opts.progress {
            p();
        }
    };
    let stats = calibrate(&fgraph, &samples, &tick)?;
    tracing::info!(samples = stats.samples, defaulted, "calibrated");
    let graph = quantize(&fgraph, &stats, opts.quant)?;
    tracing::info!(
        nodes = graph.nodes.len(),
        params = graph.num_param_elements(),
        "quantized"
    );
    Ok(Compiled {
        graph,
        fgraph,
        samples,
        defaulted,
    })
}

/// Split data into samples for the graph's inputs.
///
/// # Errors
/// Count or length mismatches.
pub fn split_samples(fg: &FGraph, d: &InputData) -> Result<Vec<Vec<Vec<f64>>>, OnnxError> {
    let names: Vec<String> = fg.inputs.iter().map(|i| i.name.clone()).collect();
    let numels: Vec<usize> = fg.inputs.iter().map(|i| i.shape.iter().product()).collect();
    d.samples(&names, &numels)
}

fn default_samples(fg: &FGraph) -> Vec<Vec<Vec<f64>>> {
    // xorshift64*: deterministic, no dependency.
    let mut s: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        s ^= s >> 12;
        s ^= s << 25;
        s ^= s >> 27;
        #[allow(clippy::cast_precision_loss)]
        let u = (s.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64;
        u
    };
    (0..DEFAULT_SAMPLES)
        .map(|_| {
            fg.inputs
                .iter()
                .map(|inp| {
                    let n: usize = inp.shape.iter().product();
                    (0..n)
                        .map(|_| {
                            if inp.integer {
                                (next() * 8.0).floor()
                            } else {
                                next() * 2.0 - 1.0
                            }
                        })
                        .collect()
                })
                .collect()
        })
        .collect()
}

/// Quantize one float sample for the graph's inputs.
///
/// # Errors
/// Count or length mismatches.
pub fn quantize_inputs(g: &Graph, sample: &[Vec<f64>]) -> Result<Vec<Vec<i32>>, OnnxError> {
    if sample.len() != g.inputs.len() {
        return Err(OnnxError::BadData(format!(
            "the model takes {} inputs, got {}",
            g.inputs.len(),
            sample.len()
        )));
    }
    g.inputs
        .iter()
        .zip(sample)
        .map(|(spec, data)| {
            if data.len() != spec.info.shape.numel() {
                return Err(OnnxError::BadData(format!(
                    "input '{}' needs {} values (shape {:?}), got {}",
                    spec.name,
                    spec.info.shape.numel(),
                    spec.info.shape.dims(),
                    data.len()
                )));
            }
            Ok(data
                .iter()
                .map(|&x| quantize_value(x, spec.info.scale.exponent(), spec.info.bits))
                .collect())
        })
        .collect()
}

/// Dequantize a tensor.
#[must_use]
pub fn dequantize(q: &[i32], scale: Scale) -> Vec<f64> {
    q.iter()
        .map(|&v| dequantize_value(i64::from(v), scale))
        .collect()
}

/// Float outputs, per sample, per graph output (flat).
pub type FloatOutputs = Vec<Vec<Vec<f64>>>;

/// A float reference: its description and its outputs.
pub type FloatReference = (String, FloatOutputs);

/// Runs the integer graph on quantized inputs and returns the graph outputs.
pub type QuantizedRunner<'a> = dyn Fn(&[Vec<i32>]) -> Result<Vec<Vec<i32>>, String> + Sync + 'a;

/// Accuracy of one output over a sample set.
#[derive(Clone, Debug, PartialEq)]
pub struct OutputReport {
    /// Output name.
    pub name: String,
    /// Scale of the output.
    pub scale: i32,
    /// Largest |quantized − float| over all elements and samples.
    pub max_abs_err: f64,
    /// Mean |quantized − float|.
    pub mean_abs_err: f64,
    /// Largest |float| (for context).
    pub float_max_abs: f64,
    /// Samples whose argmax agrees, and samples compared (for classifier-shaped outputs).
    pub argmax: Option<(usize, usize)>,
}

/// Accuracy report against a float reference.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// Which float reference was used.
    pub reference: String,
    /// Samples compared.
    pub samples: usize,
    /// Per output.
    pub outputs: Vec<OutputReport>,
}

/// Float reference outputs per sample: tract when it can run the ONNX file, otherwise
/// verinfer's own float lowering (and the report says so).
///
/// # Errors
/// When neither reference can run.
pub fn float_reference(
    path: &Path,
    fg: &FGraph,
    samples: &[Vec<Vec<f64>>],
) -> Result<FloatReference, OnnxError> {
    if let Ok(m) = TractModel::load(path, fg) {
        let outs: Result<Vec<_>, _> = samples.iter().map(|s| m.run(s)).collect();
        if let Ok(outs) = outs {
            return Ok(("tract f32 inference of the ONNX model".into(), outs));
        }
    }
    let outs = samples
        .iter()
        .map(|s| run_outputs(fg, s))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((
        "verinfer f64 lowering (tract could not run this model)".into(),
        outs,
    ))
}

/// Compare quantized outputs with float ones.
///
/// `run_q` runs the integer graph on quantized inputs and returns the graph outputs.
///
/// # Errors
/// Failures of `run_q` or shape disagreements.
pub fn evaluate(
    g: &Graph,
    samples: &[Vec<Vec<f64>>],
    reference: FloatReference,
    run_q: &QuantizedRunner<'_>,
) -> Result<Report, OnnxError> {
    use rayon::prelude::*;
    let quantized: Vec<Vec<Vec<i32>>> = samples
        .par_iter()
        .map(|s| {
            let q = quantize_inputs(g, s)?;
            run_q(&q).map_err(OnnxError::BadData)
        })
        .collect::<Result<_, _>>()?;
    let mut outputs = vec![];
    for (k, spec) in g.outputs.iter().enumerate() {
        let info = g
            .value_info(spec.value)
            .ok_or_else(|| OnnxError::BadData("output without info".into()))?;
        let dims = info.shape.dims();
        let classes = dims.last().copied().unwrap_or(1);
        let is_classifier = classes >= 2 && info.shape.numel() == classes;
        let (mut max_err, mut sum_err, mut n, mut fmax, mut agree) =
            (0.0f64, 0.0f64, 0usize, 0.0f64, 0usize);
        for (qs, fs) in quantized.iter().zip(&reference.1) {
            let (Some(q), Some(f)) = (qs.get(k), fs.get(k)) else {
                continue;
            };
            if q.len() != f.len() {
                return Err(OnnxError::BadData(format!(
                    "output '{}': {} values vs {} in the float reference",
                    spec.name,
                    q.len(),
                    f.len()
                )));
            }
            let dq = dequantize(q, info.scale);
            for (a, b) in dq.iter().zip(f) {
                let e = (a - b).abs();
                max_err = max_err.max(e);
                sum_err += e;
                fmax = fmax.max(b.abs());
                n += 1;
            }
            if is_classifier && argmax(&dq) == argmax(f) {
                agree += 1;
            }
        }
        #[allow(clippy::cast_precision_loss)]
        let mean = if n == 0 { 0.0 } else { sum_err / n as f64 };
        outputs.push(OutputReport {
            name: spec.name.clone(),
            scale: info.scale.exponent(),
            max_abs_err: max_err,
            mean_abs_err: mean,
            float_max_abs: fmax,
            argmax: is_classifier.then_some((agree, quantized.len())),
        });
    }
    Ok(Report {
        reference: reference.0,
        samples: samples.len(),
        outputs,
    })
}

fn argmax(v: &[f64]) -> usize {
    let mut best = 0;
    for (i, x) in v.iter().enumerate() {
        if *x > v[best] {
            best = i;
        }
    }
    best
}

//! Accuracy of a quantized graph against a float reference: per output, the largest and mean
//! error of the dequantized outputs and, for classifier-shaped outputs, argmax agreement.

use rayon::prelude::*;
use verinfer_ir::Graph;

use crate::error::QuantError;
use crate::fgraph::FGraph;
use crate::frun::run_outputs;
use crate::pipeline::{dequantize, quantize_inputs};

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

/// Outputs of verinfer's own `f64` run of the float graph, per sample: the float reference of a
/// format that has no independent runtime (ONNX prefers tract's inference of the file).
///
/// # Errors
/// Samples of the wrong count or length.
pub fn lowered_outputs(fg: &FGraph, samples: &[Vec<Vec<f64>>]) -> Result<FloatOutputs, QuantError> {
    samples.iter().map(|s| run_outputs(fg, s)).collect()
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
) -> Result<Report, QuantError> {
    let quantized: Vec<Vec<Vec<i32>>> = samples
        .par_iter()
        .map(|s| {
            let q = quantize_inputs(g, s)?;
            run_q(&q).map_err(QuantError::BadData)
        })
        .collect::<Result<_, _>>()?;
    let mut outputs = vec![];
    for (k, spec) in g.outputs.iter().enumerate() {
        let info = g
            .value_info(spec.value)
            .ok_or_else(|| QuantError::BadData("output without info".into()))?;
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
                return Err(QuantError::BadData(format!(
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

impl Report {
    /// The report as `compile --report-json` and `eval --json` write it.
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "reference": self.reference,
            "samples": self.samples,
            "outputs": self.outputs.iter().map(|o| serde_json::json!({
                "name": o.name, "scale": o.scale, "max_abs_err": o.max_abs_err,
                "mean_abs_err": o.mean_abs_err, "float_max_abs": o.float_max_abs,
                "argmax_agree": o.argmax.map(|a| a.0), "argmax_total": o.argmax.map(|a| a.1),
            })).collect::<Vec<_>>(),
        })
    }
}

/// How many samples' top class (the first output's argmax) is their label.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LabelAccuracy {
    /// By the quantized graph.
    pub quantized: usize,
    /// By the float reference.
    pub float: usize,
    /// Labelled samples.
    pub total: usize,
}

impl LabelAccuracy {
    /// `{"quantized", "float", "total"}`, as `eval --json` writes it.
    #[must_use]
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({"quantized": self.quantized, "float": self.float, "total": self.total})
    }
}

/// The accuracy against `labels` (one per sample) of the quantized graph, run by `run_q`, and
/// of the float outputs `floats` of the same samples.
///
/// # Errors
/// Not one label per sample, a graph without outputs, or failures of `run_q`.
pub fn label_accuracy(
    g: &Graph,
    samples: &[Vec<Vec<f64>>],
    floats: &FloatOutputs,
    labels: &[usize],
    run_q: &QuantizedRunner<'_>,
) -> Result<LabelAccuracy, QuantError> {
    if labels.len() != samples.len() || floats.len() != samples.len() {
        return Err(QuantError::BadData(format!(
            "{} labels and {} float outputs for {} samples",
            labels.len(),
            floats.len(),
            samples.len()
        )));
    }
    let info = g
        .outputs
        .first()
        .and_then(|o| g.value_info(o.value))
        .ok_or_else(|| QuantError::BadData("the model has no output info".into()))?;
    let (mut quantized, mut float) = (0, 0);
    for ((s, f), &l) in samples.iter().zip(floats).zip(labels) {
        let outs = run_q(&quantize_inputs(g, s)?).map_err(QuantError::BadData)?;
        let q = dequantize(outs.first().map_or(&[][..], Vec::as_slice), info.scale);
        quantized += usize::from(argmax(&q) == l);
        float += usize::from(f.first().is_some_and(|f| argmax(f) == l));
    }
    Ok(LabelAccuracy {
        quantized,
        float,
        total: labels.len(),
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

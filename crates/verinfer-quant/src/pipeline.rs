//! The format-neutral half of compiling: calibrate a float graph on data (or on synthetic
//! samples) and quantize it, plus quantizing inputs for and dequantizing outputs of the result.
//!
//! A model format calls [`calibrate_and_quantize`] on the [`FGraph`] its importer built; see
//! docs/adding-a-format.md.

use verinfer_ir::{Graph, Scale};

use crate::calibrate::calibrate_keeping;
use crate::data::InputData;
use crate::error::QuantError;
use crate::fgraph::FGraph;
use crate::quantize::{dequantize_value, quantize_value, QuantOptions};
use crate::widen::{probe_indices, quantize_auto};

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

/// Calibrate `fgraph` on `data` (or, without data, on [`DEFAULT_SAMPLES`] synthetic samples)
/// and quantize it, widening the nodes whose rounding takes an output beyond tolerance
/// (`widen.rs`); `progress` is called once per calibration sample run.
///
/// # Errors
/// Bad data, bad options, unrepresentable graphs.
pub fn calibrate_and_quantize(
    fgraph: FGraph,
    data: Option<&InputData>,
    opts: QuantOptions,
    progress: &(dyn Fn() + Sync),
) -> Result<Compiled, QuantError> {
    let (samples, defaulted) = match data {
        Some(d) => (split_samples(&fgraph, d)?, false),
        None => (default_samples(&fgraph), true),
    };
    let keep = probe_indices(samples.len());
    let (stats, float) = calibrate_keeping(&fgraph, &samples, &keep, progress)?;
    tracing::info!(samples = stats.samples, defaulted, "calibrated");
    let probe: Vec<Vec<Vec<f64>>> = keep.iter().map(|&j| samples[j].clone()).collect();
    let graph = quantize_auto(&fgraph, &stats, opts, &probe, &float)?;
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
pub fn split_samples(fg: &FGraph, d: &InputData) -> Result<Vec<Vec<Vec<f64>>>, QuantError> {
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
pub fn quantize_inputs(g: &Graph, sample: &[Vec<f64>]) -> Result<Vec<Vec<i32>>, QuantError> {
    crate::frun::check_sample(
        g.inputs
            .iter()
            .map(|s| (s.name.as_str(), s.info.shape.dims())),
        sample,
    )?;
    Ok(g.inputs
        .iter()
        .zip(sample)
        .map(|(spec, data)| {
            data.iter()
                .map(|&x| quantize_value(x, spec.info.scale.exponent(), spec.info.bits))
                .collect()
        })
        .collect())
}

/// Dequantize a tensor.
#[must_use]
pub fn dequantize(q: &[i32], scale: Scale) -> Vec<f64> {
    q.iter()
        .map(|&v| dequantize_value(i64::from(v), scale))
        .collect()
}

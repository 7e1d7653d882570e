//! The ONNX compile pipeline (import → calibrate → quantize) and its float reference.
//!
//! Everything after the import is format-neutral and lives in `verinfer-quant`
//! ([`verinfer_quant::pipeline`], [`verinfer_quant::report`]); this module adds what is ONNX's:
//! the import options and tract's inference of the file as the float reference.

use std::path::Path;

use verinfer_quant::data::InputData;
use verinfer_quant::fgraph::FGraph;
use verinfer_quant::pipeline::{calibrate_and_quantize, Compiled};
use verinfer_quant::quantize::QuantOptions;
use verinfer_quant::report::{lowered_outputs, FloatReference};

use crate::error::OnnxError;
use crate::import::{import, ImportOptions};
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
    let tick = || {
        if let Some(p) = &opts.progress {
            p();
        }
    };
    Ok(calibrate_and_quantize(fgraph, data, opts.quant, &tick)?)
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
    Ok((
        "verinfer f64 lowering (tract could not run this model)".into(),
        lowered_outputs(fg, samples)?,
    ))
}

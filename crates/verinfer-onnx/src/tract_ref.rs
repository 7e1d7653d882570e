//! Float reference inference with tract (the ONNX as written, in `f32`).

use std::path::Path;
use std::sync::Arc;

use tract_onnx::prelude::*;
use verinfer_quant::fgraph::FGraph;

use crate::error::OnnxError;

/// A runnable tract model with fixed input shapes.
pub struct TractModel {
    plan: Arc<TypedRunnableModel>,
    inputs: Vec<(Vec<usize>, bool)>,
}

impl std::fmt::Debug for TractModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TractModel")
            .field("inputs", &self.inputs)
            .finish()
    }
}

impl TractModel {
    /// Load and optimize `path` with the input shapes of the lowered graph.
    ///
    /// # Errors
    /// Whatever tract cannot load or optimize.
    pub fn load(path: &Path, fg: &FGraph) -> Result<Self, OnnxError> {
        let inputs: Vec<(Vec<usize>, bool)> = fg
            .inputs
            .iter()
            .map(|i| (i.shape.clone(), i.integer))
            .collect();
        Self::load_with_inputs(path, &inputs)
    }

    /// Load with explicit `(shape, integer)` per input.
    ///
    /// # Errors
    /// Whatever tract cannot load or optimize.
    pub fn load_with_inputs(path: &Path, inputs: &[(Vec<usize>, bool)]) -> Result<Self, OnnxError> {
        let e = |x: TractError| OnnxError::Tract(format!("{x:#}"));
        let mut model = tract_onnx::onnx().model_for_path(path).map_err(e)?;
        for (i, (shape, integer)) in inputs.iter().enumerate() {
            let dt = if *integer {
                i64::datum_type()
            } else {
                f32::datum_type()
            };
            model = model
                .with_input_fact(i, InferenceFact::dt_shape(dt, shape.clone()))
                .map_err(e)?;
        }
        let plan = model
            .into_optimized()
            .map_err(e)?
            .into_runnable()
            .map_err(e)?;
        Ok(Self {
            plan,
            inputs: inputs.to_vec(),
        })
    }

    /// Run one sample; outputs flattened to `f64`.
    ///
    /// # Errors
    /// Runtime failures inside tract.
    pub fn run(&self, sample: &[Vec<f64>]) -> Result<Vec<Vec<f64>>, OnnxError> {
        let e = |x: TractError| OnnxError::Tract(format!("{x:#}"));
        let mut tv: TVec<TValue> = tvec![];
        for ((shape, integer), data) in self.inputs.iter().zip(sample) {
            let t = if *integer {
                #[allow(clippy::cast_possible_truncation)]
                let v: Vec<i64> = data.iter().map(|&x| x.round() as i64).collect();
                Tensor::from_shape(shape, &v).map_err(e)?
            } else {
                #[allow(clippy::cast_possible_truncation)]
                let v: Vec<f32> = data.iter().map(|&x| x as f32).collect();
                Tensor::from_shape(shape, &v).map_err(e)?
            };
            tv.push(t.into());
        }
        let outs = self.plan.run(tv).map_err(e)?;
        outs.iter()
            .map(|o| {
                let c = o.cast_to::<f64>().map_err(e)?;
                let v = c
                    .to_plain_array_view::<f64>()
                    .map_err(e)?
                    .iter()
                    .copied()
                    .collect();
                Ok(v)
            })
            .collect()
    }
}

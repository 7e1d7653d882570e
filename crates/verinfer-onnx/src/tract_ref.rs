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
    /// Per ONNX input, in tract's order: the index into a run's sample, or the value the
    /// import fixed (`ImportOptions::input_values`), fed on every run.
    feeds: Vec<Feed>,
}

#[derive(Clone, Debug)]
enum Feed {
    Sample(usize),
    Fixed(Vec<f64>),
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
        let e = |x: TractError| OnnxError::Tract(format!("{x:#}"));
        let model = tract_onnx::onnx().model_for_path(path).map_err(e)?;
        let mut inputs = Vec::new();
        let mut feeds = Vec::new();
        for outlet in model.input_outlets().map_err(e)? {
            let name = &model.node(outlet.node).name;
            if let Some(k) = fg.inputs.iter().position(|i| &i.name == name) {
                let i = &fg.inputs[k];
                inputs.push((i.shape.clone(), i.integer));
                feeds.push(Feed::Sample(k));
            } else if let Some(c) = fg.consts.iter().find(|c| &c.name == name) {
                inputs.push((c.shape.clone(), c.integer));
                feeds.push(Feed::Fixed(c.data.clone()));
            } else {
                return Err(OnnxError::Tract(format!(
                    "input '{name}' is neither an input of the lowered graph nor fixed"
                )));
            }
        }
        Self::optimize(model, &inputs, feeds)
    }

    /// Load with explicit `(shape, integer)` per input.
    ///
    /// # Errors
    /// Whatever tract cannot load or optimize.
    pub fn load_with_inputs(path: &Path, inputs: &[(Vec<usize>, bool)]) -> Result<Self, OnnxError> {
        let e = |x: TractError| OnnxError::Tract(format!("{x:#}"));
        let model = tract_onnx::onnx().model_for_path(path).map_err(e)?;
        Self::optimize(model, inputs, (0..inputs.len()).map(Feed::Sample).collect())
    }

    fn optimize(
        mut model: InferenceModel,
        inputs: &[(Vec<usize>, bool)],
        feeds: Vec<Feed>,
    ) -> Result<Self, OnnxError> {
        let e = |x: TractError| OnnxError::Tract(format!("{x:#}"));
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
            feeds,
        })
    }

    /// Run one sample; outputs flattened to `f64`.
    ///
    /// # Errors
    /// Runtime failures inside tract.
    pub fn run(&self, sample: &[Vec<f64>]) -> Result<Vec<Vec<f64>>, OnnxError> {
        let e = |x: TractError| OnnxError::Tract(format!("{x:#}"));
        let mut tv: TVec<TValue> = tvec![];
        for ((shape, integer), feed) in self.inputs.iter().zip(&self.feeds) {
            let data = match feed {
                Feed::Sample(k) => sample
                    .get(*k)
                    .ok_or_else(|| OnnxError::BadData(format!("the sample has no input {k}")))?,
                Feed::Fixed(v) => v,
            };
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

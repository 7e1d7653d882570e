//! The `run` output file: `{"outputs": [{"name", "shape", "data", "quantized", "scale"}]}`.

use serde::Serialize;
use verinfer_ir::Graph;
use verinfer_quant::pipeline::dequantize;

/// One output tensor.
#[derive(Serialize)]
pub struct OutputTensor {
    pub name: String,
    pub shape: Vec<usize>,
    pub data: Vec<f64>,
    pub quantized: Vec<i32>,
    pub scale: i32,
}

/// The file.
#[derive(Serialize)]
pub struct OutputFile {
    pub outputs: Vec<OutputTensor>,
    /// The model id, when the run was committed (`run --trace`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model_id: Option<String>,
    /// The trace root, when the run was committed (`run --trace`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trace_root: Option<String>,
}

/// Build the file from the graph outputs of a run.
pub fn output_file(g: &Graph, outs: &[&[i32]]) -> OutputFile {
    OutputFile {
        outputs: g
            .outputs
            .iter()
            .zip(outs)
            .filter_map(|(spec, q)| {
                let info = g.value_info(spec.value)?;
                Some(OutputTensor {
                    name: spec.name.clone(),
                    shape: info.shape.dims().to_vec(),
                    data: dequantize(q, info.scale),
                    quantized: q.to_vec(),
                    scale: info.scale.exponent(),
                })
            })
            .collect(),
        model_id: None,
        trace_root: None,
    }
}

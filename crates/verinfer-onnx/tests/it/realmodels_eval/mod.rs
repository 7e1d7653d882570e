//! One real-model case (an ONNX file and the JSON scripts/realmodels/gen.py writes beside it:
//! calibration rows, held-out rows and onnxruntime's outputs on them) through import,
//! calibration, quantization and the integer reference — the pipeline of `verinfer compile`
//! and `verinfer run`. Shared by the CI test and the table's example.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::Path;

use verinfer_onnx::import::{import, ImportOptions};
use verinfer_quant::data::InputData;
use verinfer_quant::pipeline::{calibrate_and_quantize, dequantize, quantize_inputs};
use verinfer_quant::quantize::QuantOptions;

/// Agreement with onnxruntime.
#[derive(Debug)]
pub struct Eval {
    /// Held-out rows whose first output (the label of a classifier) equals onnxruntime's.
    pub agree: usize,
    /// Held-out rows.
    pub rows: usize,
    /// Largest absolute error of the last output (probabilities / scores / prediction).
    pub err: f64,
    /// Operator types of the graph.
    pub ops: Vec<String>,
}

fn rows(v: &serde_json::Value) -> Result<Vec<Vec<f64>>, String> {
    v.as_array()
        .ok_or("not a list")?
        .iter()
        .map(|r| {
            r.as_array()
                .ok_or_else(|| "not a list of lists".to_string())?
                .iter()
                .map(|x| x.as_f64().ok_or_else(|| "not a number".to_string()))
                .collect()
        })
        .collect()
}

/// Evaluate `onnx` against the case file `json`.
///
/// # Errors
/// Any failure, as text (the first unsupported op is named by the import error).
pub fn evaluate(onnx: &Path, json: &Path) -> Result<Eval, String> {
    let text = std::fs::read_to_string(json).map_err(|e| e.to_string())?;
    let case: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let inputs = rows(&case["inputs"])?;
    let cal = rows(&case["calibration"])?;
    let input_name = case["input_name"]
        .as_str()
        .ok_or("no input_name")?
        .to_string();
    // A row of features unless the case gives the input's shape (scripts/realmodels/unknown.py).
    let shape = match case["input_shape"].as_array() {
        Some(dims) => dims
            .iter()
            .map(|d| d.as_u64().and_then(|d| usize::try_from(d).ok()))
            .collect::<Option<Vec<usize>>>()
            .ok_or("input_shape is not a list of sizes")?,
        None => vec![1, inputs.first().map_or(0, Vec::len)],
    };
    let opts = ImportOptions {
        input_shapes: BTreeMap::from([(input_name, shape)]),
        ..ImportOptions::default()
    };
    let fg = import(onnx, &opts).map_err(|e| e.to_string())?;
    let mut ops: Vec<String> = fg.nodes.iter().map(|n| n.origin.clone()).collect();
    ops.sort();
    ops.dedup();
    let data = InputData {
        per_input: vec![cal.concat()],
    };
    let c = calibrate_and_quantize(fg, Some(&data), QuantOptions::default(), &|| {})
        .map_err(|e| e.to_string())?;
    let g = &c.graph;
    let names: Vec<String> = case["output_names"]
        .as_array()
        .ok_or("no output_names")?
        .iter()
        .filter_map(|s| s.as_str().map(String::from))
        .collect();
    let first = rows(&case["outputs"][&names[0]])?;
    let last = rows(&case["outputs"][&names[names.len() - 1]])?;
    let (mut agree, mut err) = (0, 0.0f64);
    for (k, x) in inputs.iter().enumerate() {
        let q = quantize_inputs(g, std::slice::from_ref(x)).map_err(|e| e.to_string())?;
        let trace = verinfer_ir::reference::run(g, &q).map_err(|e| e.to_string())?;
        let out: Vec<Vec<f64>> = g
            .outputs
            .iter()
            .filter_map(|o| {
                let info = g.value_info(o.value)?;
                Some(dequantize(trace.get(o.value.index())?, info.scale))
            })
            .collect();
        let (Some(o0), Some(ol)) = (out.first(), out.last()) else {
            return Err("no outputs".into());
        };
        agree += usize::from(*o0 == first[k]);
        for (a, e) in ol.iter().zip(&last[k]) {
            err = err.max((a - e).abs());
        }
    }
    Ok(Eval {
        agree,
        rows: inputs.len(),
        err,
        ops,
    })
}

//! `Model.evaluate` (the CLI's `eval`) and `register` (the CLI's `register`): the quantized
//! model against float inference on a data set, and a model id put into the `ModelRegistry`.

use std::path::Path;

use pyo3::prelude::*;
use verinfer_chain::{register_model, Address, Receipt};
use verinfer_exec::Plan;
use verinfer_onnx::compile::float_reference;
use verinfer_onnx::import::{import, ImportOptions};
use verinfer_quant::data::{read_data, read_labels};
use verinfer_quant::pipeline::split_samples;
use verinfer_quant::report::{evaluate, label_accuracy};

use crate::chain::{parse_address, Chain, SenderArg};
use crate::error::{Error, ResultExt};
use crate::model::Model;

/// `verinfer eval MODEL --onnx ONNX --data DATA --json`: every sample of `data` through the
/// integer executor and through float inference of `onnx`; with a `labels` list as long as
/// the samples, the accuracy of both.
pub(crate) fn evaluate_on(
    g: &verinfer_ir::Graph,
    onnx: &Path,
    data: &Path,
) -> Result<serde_json::Value, Error> {
    let fg = import(onnx, &ImportOptions::shaped_like(g)).context(|| onnx.display().to_string())?;
    let samples = split_samples(&fg, &read_data(data).lib()?).lib()?;
    let reference = float_reference(onnx, &fg, &samples).lib()?;
    let floats = reference.1.clone();
    let plan = Plan::for_graph(g.clone()).lib()?;
    let run_q = |q: &[Vec<i32>]| -> Result<Vec<Vec<i32>>, String> {
        let t = plan.run(q).map_err(|e| e.to_string())?;
        let outs = plan.outputs(&t).map_err(|e| e.to_string())?;
        Ok(outs.into_iter().map(<[i32]>::to_vec).collect())
    };
    let report = evaluate(g, &samples, reference, &run_q).lib()?;
    let mut json = report.to_json();
    if let Some(labels) = read_labels(data)
        .lib()?
        .filter(|l| l.len() == samples.len())
    {
        json["accuracy"] = label_accuracy(g, &samples, &floats, &labels, &run_q)
            .lib()?
            .to_json();
    }
    Ok(json)
}

/// One transaction of `register`'s result.
fn tx_json(r: &Receipt) -> serde_json::Value {
    serde_json::json!({
        "label": r.label,
        "tx_hash": r.tx_hash.to_string(),
        "gas_used": r.gas_used,
        "block": r.block_number,
    })
}

/// Registers `model`'s id in the chain's `ModelRegistry` (what `verinfer register --json`
/// does): deploys the registry first when this `Chain` has none (or uses `registry`, an
/// address), and sends nothing when the model is registered already. `uri`: where others
/// fetch the model (default `"verinfer"`).
///
/// Returns `{"chain", "registry", "model_id", "already_registered", "owner",
/// "registered_at", "uri", "transactions": [{"label", "tx_hash", "gas_used", "block"}]}`.
///
/// Raises `VerinferError` when a transaction reverts or `registry` holds no registry.
#[pyfunction]
#[pyo3(signature = (model, chain, *, uri="verinfer", registry=None, sender=None))]
pub fn register<'py>(
    py: Python<'py>,
    model: &Model,
    chain: &Chain,
    uri: &str,
    registry: Option<String>,
    sender: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let sender = SenderArg::parse(sender)?;
    let registry: Option<Address> = registry
        .map(|r| parse_address("registry", &r))
        .transpose()?;
    let g = model.model.graph().clone();
    let out = chain.with(py, |s| {
        let from = sender.resolve(s.chain())?;
        let model_id = verinfer_node::model_id_of(&g);
        let (chain, deployments) = s.parts();
        let reg = register_model(chain, deployments, from, registry, model_id, uri).lib()?;
        let txs: Vec<_> = reg.receipts.iter().map(tx_json).collect();
        let record = reg.record;
        Ok(serde_json::json!({
            "chain": s.chain().describe(),
            "registry": reg.registry.address.to_string(),
            "model_id": model_id.to_string(),
            "already_registered": reg.already_registered,
            "owner": record.owner.to_string(),
            "registered_at": record.registered_at,
            "uri": record.uri,
            "transactions": txs,
        }))
    })?;
    py.import("json")?.call_method1("loads", (out.to_string(),))
}

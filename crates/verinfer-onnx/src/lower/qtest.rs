//! Test helper: lower one node, calibrate and quantize it, and run the integer graph with the
//! reference interpreter — the path `verinfer compile` + `run` takes.

use tract_onnx::pb::NodeProto;

pub(crate) use super::movement::testutil::node;
use verinfer_quant::builder::Builder;
use verinfer_quant::data::InputData;
use verinfer_quant::fgraph::FGraph;
use verinfer_quant::frun::run_outputs;
use verinfer_quant::pipeline::{calibrate_and_quantize, dequantize, quantize_inputs};
use verinfer_quant::quantize::QuantOptions;

/// A run-time input: name, shape, and `Some(bits)` for an integer one.
pub(crate) struct In<'a>(pub &'a str, pub Vec<usize>, pub Option<u32>);

/// A constant: name, shape, values, integer-typed.
pub(crate) struct Const<'a>(pub &'a str, pub Vec<usize>, pub Vec<f64>, pub bool);

/// Lower `node` at `opset`; the float graph with the node's outputs as graph outputs.
pub(crate) fn graph(node: &NodeProto, opset: i64, ins: &[In<'_>], consts: &[Const<'_>]) -> FGraph {
    graph_of(std::slice::from_ref(node), opset, ins, consts)
}

/// Lower `nodes` in order at `opset`; the float graph with the last node's outputs as graph
/// outputs.
pub(crate) fn graph_of(
    nodes: &[NodeProto],
    opset: i64,
    ins: &[In<'_>],
    consts: &[Const<'_>],
) -> FGraph {
    let mut b = Builder::new("t");
    for In(name, shape, bits) in ins {
        let r = b.add_input(name, shape.clone(), bits.is_some());
        if let Some(bits) = bits {
            b.set_input_bits(r, *bits);
        }
    }
    for Const(name, shape, data, integer) in consts {
        let r = b.typed_constant(name, shape.clone(), data.clone(), *integer);
        b.bind(name, r);
    }
    let mut outs = Vec::new();
    for node in nodes {
        b.begin_node(&node.name, &node.op_type);
        outs = crate::lower::lower_node(&mut b, node, opset).unwrap();
        for (name, &r) in node.output.iter().zip(&outs) {
            b.bind(name, r);
        }
    }
    let mut g = b.g.clone();
    let last = nodes.last().map_or(&[][..], |n| &n.output[..]);
    for (name, r) in last.iter().zip(outs) {
        g.outputs.push((name.clone(), r));
    }
    g
}

/// The float outputs of `g` on `x` (one tensor per input).
pub(crate) fn float_outputs(g: &FGraph, x: &[Vec<f64>]) -> Vec<Vec<f64>> {
    run_outputs(g, x).unwrap()
}

/// Calibrate `g` on `samples` (each one tensor per input), quantize, and run the integer graph
/// on every sample: the dequantized outputs per sample.
pub(crate) fn quantized_outputs(g: FGraph, samples: &[Vec<Vec<f64>>]) -> Vec<Vec<Vec<f64>>> {
    let n_in = g.inputs.len();
    let per_input = (0..n_in)
        .map(|i| samples.iter().flat_map(|s| s[i].clone()).collect())
        .collect();
    let data = InputData { per_input };
    let c = calibrate_and_quantize(g, Some(&data), QuantOptions::default(), &|| {}).unwrap();
    let qg = &c.graph;
    samples
        .iter()
        .map(|s| {
            let q = quantize_inputs(qg, s).unwrap();
            let trace = verinfer_ir::reference::run(qg, &q).unwrap();
            qg.outputs
                .iter()
                .map(|o| {
                    let info = qg.value_info(o.value).unwrap();
                    dequantize(&trace[o.value.index()], info.scale)
                })
                .collect()
        })
        .collect()
}

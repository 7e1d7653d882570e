//! Helpers for lowering tests: hand-built ONNX nodes, lowered and run in `f64`.

use tract_onnx::pb::attribute_proto::AttributeType;
use tract_onnx::pb::{AttributeProto, NodeProto};
use verinfer_quant::builder::Builder;
use verinfer_quant::fgraph::FGraph;
use verinfer_quant::frun::{run_float, tensor};

use crate::error::OnnxError;
use crate::lower::lower_node;

/// An operand of the node under test.
pub(crate) enum Arg<'a> {
    /// A run-time graph input.
    Input(&'a str, Vec<usize>, Vec<f64>),
    /// A constant (initializer).
    Const(&'a str, Vec<usize>, Vec<f64>),
}

/// A node of type `op` with the given input and output names and attributes.
pub(crate) fn node(
    op: &str,
    inputs: &[&str],
    outputs: &[&str],
    attribute: Vec<AttributeProto>,
) -> NodeProto {
    NodeProto {
        op_type: op.into(),
        name: format!("{op}_test"),
        input: inputs.iter().map(|s| (*s).to_string()).collect(),
        output: outputs.iter().map(|s| (*s).to_string()).collect(),
        attribute,
        ..NodeProto::default()
    }
}

/// Integer attribute.
pub(crate) fn int(name: &str, i: i64) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        i,
        r#type: AttributeType::Int as i32,
        ..AttributeProto::default()
    }
}

/// Integer-list attribute.
pub(crate) fn ints(name: &str, v: &[i64]) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        ints: v.to_vec(),
        r#type: AttributeType::Ints as i32,
        ..AttributeProto::default()
    }
}

/// Float attribute.
pub(crate) fn float(name: &str, f: f32) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        f,
        r#type: AttributeType::Float as i32,
        ..AttributeProto::default()
    }
}

/// String attribute.
pub(crate) fn string(name: &str, s: &str) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        s: s.as_bytes().to_vec(),
        r#type: AttributeType::String as i32,
        ..AttributeProto::default()
    }
}

/// Shape and values of one output.
pub(crate) type Out = (Vec<usize>, Vec<f64>);

/// Lower `node` at `opset` over `args`, run it in `f64`: every output's shape and values, and
/// the lowered graph.
pub(crate) fn run(
    node: &NodeProto,
    opset: i64,
    args: Vec<Arg<'_>>,
) -> Result<(Vec<Out>, FGraph), OnnxError> {
    let mut b = Builder::new("test");
    let mut data = vec![];
    for a in args {
        match a {
            Arg::Input(n, s, d) => {
                b.add_input(n, s, false);
                data.push(d);
            }
            Arg::Const(n, s, d) => {
                let r = b.constant(n, s, d);
                b.bind(n, r);
            }
        }
    }
    b.begin_node(&node.name, &node.op_type);
    let outs = lower_node(&mut b, node, opset)?;
    let values = run_float(&b.g, &data)?;
    let res = outs
        .iter()
        .map(|&r| {
            (
                b.g.shape(r).to_vec(),
                tensor(&b.g, &data, &values, r).data.to_vec(),
            )
        })
        .collect();
    Ok((res, b.g))
}

/// Values `0, 1, 2, …` of a tensor of `shape`.
#[allow(clippy::cast_precision_loss)]
pub(crate) fn iota(shape: &[usize]) -> Vec<f64> {
    (0..shape.iter().product::<usize>())
        .map(|i| i as f64)
        .collect()
}

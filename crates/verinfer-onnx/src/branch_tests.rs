//! `If` with a compile-time or run-time condition, and inputs fixed with `ImportOptions::input_values`.

use std::collections::BTreeMap;

use tract_onnx::pb::tensor_shape_proto::dimension::Value as DimValue;
use tract_onnx::pb::tensor_shape_proto::Dimension;
use tract_onnx::pb::type_proto::{Tensor, Value as TypeValue};
use tract_onnx::pb::{
    AttributeProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, TensorProto,
    TensorShapeProto, TypeProto, ValueInfoProto,
};
use verinfer_quant::frun::run_outputs;

use crate::import::{import_proto, ImportOptions};
use crate::OnnxError;

pub(crate) fn vi(name: &str, elem_type: i32, dims: &[i64]) -> ValueInfoProto {
    ValueInfoProto {
        name: name.into(),
        r#type: Some(TypeProto {
            value: Some(TypeValue::TensorType(Tensor {
                elem_type,
                shape: Some(TensorShapeProto {
                    dim: dims
                        .iter()
                        .map(|&d| Dimension {
                            value: Some(DimValue::DimValue(d)),
                            ..Dimension::default()
                        })
                        .collect(),
                }),
            })),
            ..TypeProto::default()
        }),
        ..ValueInfoProto::default()
    }
}

pub(crate) fn node(op: &str, inputs: &[&str], outputs: &[&str]) -> NodeProto {
    NodeProto {
        op_type: op.into(),
        input: inputs.iter().map(|s| (*s).to_string()).collect(),
        output: outputs.iter().map(|s| (*s).to_string()).collect(),
        ..NodeProto::default()
    }
}

fn float_init(name: &str, v: f32) -> TensorProto {
    TensorProto {
        name: name.into(),
        data_type: 1,
        float_data: vec![v],
        ..TensorProto::default()
    }
}

/// `y = sr == 16000 ? x · 2 : x + 1` (the branches read `x` from the outer scope; the then
/// branch has its own initializer), and the same for a nested `If` on a shape.
fn model() -> ModelProto {
    let branch = |name: &str, op: &str, c: f32| GraphProto {
        name: name.into(),
        node: vec![node(
            op,
            &["x", &format!("{name}_c")],
            &[&format!("{name}_y")],
        )],
        initializer: vec![float_init(&format!("{name}_c"), c)],
        output: vec![vi(&format!("{name}_y"), 1, &[2])],
        ..GraphProto::default()
    };
    let graph_attr = |name: &str, g: GraphProto| AttributeProto {
        name: name.into(),
        r#type: 5,
        g: Some(g),
        ..AttributeProto::default()
    };
    let mut if_node = node("If", &["cond"], &["y"]);
    if_node.attribute = vec![
        graph_attr("then_branch", branch("then", "Mul", 2.0)),
        graph_attr("else_branch", branch("else", "Add", 1.0)),
    ];
    ModelProto {
        opset_import: vec![OperatorSetIdProto {
            domain: String::new(),
            version: 13,
        }],
        graph: Some(GraphProto {
            name: "g".into(),
            node: vec![node("Equal", &["sr", "rate"], &["cond"]), if_node],
            initializer: vec![TensorProto {
                name: "rate".into(),
                data_type: 7,
                int64_data: vec![16000],
                ..TensorProto::default()
            }],
            input: vec![vi("x", 1, &[2]), vi("sr", 7, &[])],
            output: vec![vi("y", 1, &[2])],
            ..GraphProto::default()
        }),
        ..ModelProto::default()
    }
}

fn with_sr(sr: &[f64]) -> ImportOptions {
    ImportOptions {
        input_values: BTreeMap::from([("sr".to_string(), sr.to_vec())]),
        ..ImportOptions::default()
    }
}

#[test]
fn a_fixed_input_selects_the_branch_at_compile_time() {
    let x = vec![vec![1.5, -3.0]];
    let g = import_proto(&model(), "m", None, &with_sr(&[16000.0])).unwrap();
    assert_eq!(g.inputs.len(), 1, "sr is a constant now, not an input");
    assert_eq!(run_outputs(&g, &x).unwrap(), vec![vec![3.0, -6.0]]);
    let g = import_proto(&model(), "m", None, &with_sr(&[8000.0])).unwrap();
    assert_eq!(run_outputs(&g, &x).unwrap(), vec![vec![2.5, -2.0]]);
}

#[test]
fn a_run_time_condition_runs_both_branches_and_selects() {
    let g = import_proto(&model(), "m", None, &ImportOptions::default()).unwrap();
    assert_eq!(g.inputs.len(), 2, "sr stays a run-time input");
    let x = vec![1.5, -3.0];
    let at = |sr: f64| run_outputs(&g, &[x.clone(), vec![sr]]).unwrap();
    assert_eq!(at(16000.0), vec![vec![3.0, -6.0]]);
    assert_eq!(at(8000.0), vec![vec![2.5, -2.0]]);
}

#[test]
fn a_run_time_condition_between_shapes_is_refused_naming_why() {
    let mut m = model();
    let graph = m.graph.as_mut().unwrap();
    let if_node = &mut graph.node[1];
    let other = GraphProto {
        name: "else".into(),
        node: vec![node("Identity", &["wide_c"], &["else_y"])],
        initializer: vec![TensorProto {
            name: "wide_c".into(),
            data_type: 1,
            dims: vec![3],
            float_data: vec![1.0, 2.0, 3.0],
            ..TensorProto::default()
        }],
        output: vec![vi("else_y", 1, &[3])],
        ..GraphProto::default()
    };
    if_node.attribute[1].g = Some(other);
    let e = import_proto(&m, "m", None, &ImportOptions::default()).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("[2]") && msg.contains("[3]") && msg.contains("equal shapes"),
        "{msg}"
    );
    // Fixed at compile time, the same model selects a branch and compiles.
    let g = import_proto(&m, "m", None, &with_sr(&[16000.0])).unwrap();
    assert_eq!(
        run_outputs(&g, &[vec![1.5, -3.0]]).unwrap(),
        vec![vec![3.0, -6.0]]
    );
}

#[test]
fn bad_fixed_values_are_refused() {
    let e = import_proto(&model(), "m", None, &with_sr(&[16000.0, 1.0])).unwrap_err();
    assert!(
        matches!(e, OnnxError::BadData(ref m) if m.contains("2 values")),
        "{e}"
    );
    let e = import_proto(&model(), "m", None, &with_sr(&[0.5])).unwrap_err();
    assert!(
        matches!(e, OnnxError::BadData(ref m) if m.contains("integer")),
        "{e}"
    );
    let opts = ImportOptions {
        input_values: BTreeMap::from([("rate_hz".to_string(), vec![1.0])]),
        ..ImportOptions::default()
    };
    let e = import_proto(&model(), "m", None, &opts).unwrap_err();
    assert!(e.to_string().contains("not an input"), "{e}");
}

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The `ai.onnx.ml` lowerings against a direct reading of their definitions, in `f64` and
//! through quantization and the integer reference.

use tract_onnx::pb::{AttributeProto, NodeProto};
use verinfer_quant::builder::Builder;
use verinfer_quant::data::InputData;
use verinfer_quant::frun::run_outputs;
use verinfer_quant::pipeline::{calibrate_and_quantize, dequantize, quantize_inputs};
use verinfer_quant::quantize::QuantOptions;

use super::movement::testutil::{float, int, string};

pub(super) fn ints(name: &str, v: &[i64]) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        ints: v.to_vec(),
        ..AttributeProto::default()
    }
}

#[allow(clippy::cast_possible_truncation)]
pub(super) fn floats(name: &str, v: &[f64]) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        floats: v.iter().map(|&x| x as f32).collect(),
        ..AttributeProto::default()
    }
}

fn strings(name: &str, v: &[&str]) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        strings: v.iter().map(|s| s.as_bytes().to_vec()).collect(),
        ..AttributeProto::default()
    }
}

pub(super) fn ml_node(op: &str, outputs: &[&str], attribute: Vec<AttributeProto>) -> NodeProto {
    NodeProto {
        op_type: op.into(),
        name: format!("{op}_test"),
        domain: "ai.onnx.ml".into(),
        input: vec!["X".into()],
        output: outputs.iter().map(|s| (*s).to_string()).collect(),
        attribute,
        ..NodeProto::default()
    }
}

/// Lower `node` over an input `X` of `shape`; the float graph with its outputs.
pub(super) fn graph(node: &NodeProto, shape: Vec<usize>) -> verinfer_quant::fgraph::FGraph {
    let mut b = Builder::new("t");
    b.add_input("X", shape, false);
    b.begin_node(&node.name, &node.op_type);
    let outs = crate::lower::lower_node(&mut b, node, 17).unwrap();
    let mut g = b.g.clone();
    for (name, r) in node.output.iter().zip(outs) {
        g.outputs.push((name.clone(), r));
    }
    g
}

/// Two trees over 3 features, every branch mode:
/// tree 0: `x0 ≤ 0.5` ? class 0 : (`x1 < 2` ? class 1 : class 2);
/// tree 1: `x2 > -1` ? (`x0 ≥ 3` ? class 2 : class 1 ·0.5) : class 0 ·0.25.
fn two_trees(post: &str, base: Option<&[f64]>) -> NodeProto {
    let mut a = vec![
        ints("nodes_treeids", &[0, 0, 0, 0, 0, 1, 1, 1, 1, 1]),
        ints("nodes_nodeids", &[0, 1, 2, 3, 4, 0, 1, 2, 3, 4]),
        ints("nodes_featureids", &[0, 0, 1, 0, 0, 2, 0, 0, 0, 0]),
        floats(
            "nodes_values",
            &[0.5, 0.0, 2.0, 0.0, 0.0, -1.0, 3.0, 0.0, 0.0, 0.0],
        ),
        strings(
            "nodes_modes",
            &[
                "BRANCH_LEQ",
                "LEAF",
                "BRANCH_LT",
                "LEAF",
                "LEAF",
                "BRANCH_GT",
                "BRANCH_GTE",
                "LEAF",
                "LEAF",
                "LEAF",
            ],
        ),
        ints("nodes_truenodeids", &[1, 0, 3, 0, 0, 1, 2, 0, 0, 0]),
        ints("nodes_falsenodeids", &[2, 0, 4, 0, 0, 4, 3, 0, 0, 0]),
        ints("class_treeids", &[0, 0, 0, 1, 1, 1]),
        ints("class_nodeids", &[1, 3, 4, 2, 3, 4]),
        ints("class_ids", &[0, 1, 2, 2, 1, 0]),
        floats("class_weights", &[1.0, 1.0, 1.0, 1.0, 0.5, 0.25]),
        ints("classlabels_int64s", &[0, 1, 2]),
        string("post_transform", post),
    ];
    if let Some(bv) = base {
        a.push(floats("base_values", bv));
    }
    ml_node("TreeEnsembleClassifier", &["label", "scores"], a)
}

/// The same two trees, evaluated directly.
fn two_trees_ref(x: &[f64]) -> [f64; 3] {
    let mut s = [0.0; 3];
    if x[0] <= 0.5 {
        s[0] += 1.0;
    } else if x[1] < 2.0 {
        s[1] += 1.0;
    } else {
        s[2] += 1.0;
    }
    if x[2] > -1.0 {
        if x[0] >= 3.0 {
            s[2] += 1.0;
        } else {
            s[1] += 0.5;
        }
    } else {
        s[0] += 0.25;
    }
    s
}

fn argmax(v: &[f64]) -> usize {
    let mut k = 0;
    for (i, &x) in v.iter().enumerate() {
        if x > v[k] {
            k = i;
        }
    }
    k
}

/// Rows around and on every threshold.
fn grid() -> Vec<[f64; 3]> {
    let mut v = vec![];
    for &a in &[-1.0, 0.49, 0.5, 0.51, 2.99, 3.0, 3.01, 5.0] {
        for &c in &[1.99, 2.0, 2.01] {
            for &d in &[-2.0, -1.01, -1.0, -0.99, 0.5] {
                v.push([a, c, d]);
            }
        }
    }
    v
}

#[test]
#[allow(clippy::cast_precision_loss)]
fn tree_ensemble_matches_its_definition_in_f64() {
    let g = graph(&two_trees("NONE", Some(&[0.0, 0.125, 0.0])), vec![1, 3]);
    for x in grid() {
        let out = run_outputs(&g, &[x.to_vec()]).unwrap();
        let mut want = two_trees_ref(&x);
        want[1] += 0.125;
        assert_eq!(out[0], vec![argmax(&want) as f64], "label at {x:?}");
        for (a, e) in out[1].iter().zip(want) {
            assert!((a - e).abs() < 1e-12, "{x:?}: {a} vs {e}");
        }
    }
}

#[test]
fn softmax_post_transform_and_batches() {
    let g = graph(&two_trees("SOFTMAX", None), vec![2, 3]);
    let x = [[0.0, 0.0, 0.0], [4.0, 0.0, -3.0]];
    let out = run_outputs(&g, &[x.concat()]).unwrap();
    assert_eq!(out[0], vec![0.0, 1.0]);
    for (r, row) in x.iter().enumerate() {
        let s = two_trees_ref(row);
        let z: f64 = s.iter().map(|v| v.exp()).sum();
        for (k, sk) in s.iter().enumerate() {
            assert!((out[1][r * 3 + k] - sk.exp() / z).abs() < 1e-12);
        }
    }
}

/// Quantized: every decision is taken on the integers of the input, so inputs a few input
/// steps away from a threshold — here 0.01 away on features whose range is 5 — still
/// decide as in `f64`, and the leaf sums are exact up to the weights' quantization.
#[test]
#[allow(clippy::cast_precision_loss)]
fn quantized_trees_decide_exactly_near_thresholds() {
    let fg = graph(&two_trees("NONE", None), vec![1, 3]);
    let cal: Vec<f64> = grid().iter().flat_map(|r| r.to_vec()).collect();
    let data = InputData {
        per_input: vec![cal],
    };
    let c = calibrate_and_quantize(fg, Some(&data), QuantOptions::default(), &|| {}).unwrap();
    let g = &c.graph;
    for x in grid() {
        let q = quantize_inputs(g, &[x.to_vec()]).unwrap();
        let trace = verinfer_ir::reference::run(g, &q).unwrap();
        let outs: Vec<Vec<f64>> = g
            .outputs
            .iter()
            .map(|o| {
                let info = g.value_info(o.value).unwrap();
                dequantize(&trace[o.value.index()], info.scale)
            })
            .collect();
        let want = two_trees_ref(&x);
        assert_eq!(outs[0], vec![argmax(&want) as f64], "label at {x:?}");
        for (a, e) in outs[1].iter().zip(want) {
            assert!((a - e).abs() < 1e-3, "{x:?}: {a} vs {e}");
        }
    }
}

#[test]
fn binary_gradient_boosting_column_is_a_logistic_pair() {
    // One tree, one score column for class 0 (as skl2onnx writes a binary GradientBoosting).
    let node = ml_node(
        "TreeEnsembleClassifier",
        &["label", "p"],
        vec![
            ints("nodes_treeids", &[0, 0, 0]),
            ints("nodes_nodeids", &[0, 1, 2]),
            ints("nodes_featureids", &[0, 0, 0]),
            floats("nodes_values", &[1.0, 0.0, 0.0]),
            strings("nodes_modes", &["BRANCH_LEQ", "LEAF", "LEAF"]),
            ints("nodes_truenodeids", &[1, 0, 0]),
            ints("nodes_falsenodeids", &[2, 0, 0]),
            ints("class_treeids", &[0, 0]),
            ints("class_nodeids", &[1, 2]),
            ints("class_ids", &[0, 0]),
            floats("class_weights", &[-0.75, 0.5]),
            floats("base_values", &[0.25]),
            ints("classlabels_int64s", &[3, 7]),
            string("post_transform", "LOGISTIC"),
        ],
    );
    let g = graph(&node, vec![1, 1]);
    for (x, s, label) in [(0.0f64, -0.5f64, 3.0f64), (2.0, 0.75, 7.0)] {
        let out = run_outputs(&g, &[vec![x]]).unwrap();
        let p = 1.0 / (1.0 + (-s).exp());
        assert_eq!(out[0], vec![label]);
        assert!((out[1][0] - (1.0 - p)).abs() < 1e-12 && (out[1][1] - p).abs() < 1e-12);
    }
}

#[test]
fn tree_regressor_average_and_base() {
    let node = ml_node(
        "TreeEnsembleRegressor",
        &["y"],
        vec![
            ints("nodes_treeids", &[0, 0, 0, 1]),
            ints("nodes_nodeids", &[0, 1, 2, 0]),
            ints("nodes_featureids", &[1, 0, 0, 0]),
            floats("nodes_values", &[0.0, 0.0, 0.0, 0.0]),
            strings("nodes_modes", &["BRANCH_LEQ", "LEAF", "LEAF", "LEAF"]),
            ints("nodes_truenodeids", &[1, 0, 0, 0]),
            ints("nodes_falsenodeids", &[2, 0, 0, 0]),
            ints("target_treeids", &[0, 0, 1]),
            ints("target_nodeids", &[1, 2, 0]),
            ints("target_ids", &[0, 0, 0]),
            floats("target_weights", &[2.0, 4.0, 1.0]),
            floats("base_values", &[10.0]),
            int("n_targets", 1),
            string("aggregate_function", "AVERAGE"),
        ],
    );
    let g = graph(&node, vec![2, 2]);
    let out = run_outputs(&g, &[vec![0.0, -1.0, 0.0, 1.0]]).unwrap();
    assert_eq!(out[0], vec![11.5, 12.5]);
}

#[test]
fn linear_classifier_normalizer_scaler() {
    let node = ml_node(
        "LinearClassifier",
        &["label", "p"],
        vec![
            floats("coefficients", &[1.0, 0.0, 0.0, 1.0, -1.0, -1.0]),
            floats("intercepts", &[0.0, 0.5, 0.0]),
            ints("classlabels_ints", &[0, 1, 2]),
            string("post_transform", "NONE"),
        ],
    );
    let g = graph(&node, vec![1, 2]);
    let out = run_outputs(&g, &[vec![1.0, 2.0]]).unwrap();
    assert_eq!(out[0], vec![1.0]);
    assert_eq!(out[1], vec![1.0, 2.5, -3.0]);
    let norm = |kind: &str, x: Vec<f64>| {
        let node = ml_node("Normalizer", &["y"], vec![string("norm", kind)]);
        run_outputs(&graph(&node, vec![1, 3]), &[x])
            .unwrap()
            .remove(0)
    };
    assert_eq!(norm("L1", vec![1.0, -2.0, 1.0]), vec![0.25, -0.5, 0.25]);
    assert_eq!(norm("MAX", vec![1.0, 4.0, 2.0]), vec![0.25, 1.0, 0.5]);
    let l2 = norm("L2", vec![3.0, 0.0, 4.0]);
    assert!((l2[0] - 0.6).abs() < 1e-12 && (l2[2] - 0.8).abs() < 1e-12);
    let node = ml_node(
        "Scaler",
        &["y"],
        vec![floats("offset", &[1.0, 2.0]), floats("scale", &[2.0, 0.5])],
    );
    let out = run_outputs(&graph(&node, vec![1, 2]), &[vec![3.0, 4.0]]).unwrap();
    assert_eq!(out[0], vec![4.0, 1.0]);
    let node = ml_node("Binarizer", &["y"], vec![float("threshold", 0.5)]);
    let out = run_outputs(&graph(&node, vec![3]), &[vec![0.4, 0.5, 0.6]]).unwrap();
    assert_eq!(out[0], vec![0.0, 0.0, 1.0]);
}

#[test]
fn zipmap_and_bad_trees_are_refused_with_reasons() {
    let lower = |node: &NodeProto| {
        let mut b = Builder::new("t");
        b.add_input("X", vec![1, 3], false);
        b.begin_node(&node.name, &node.op_type);
        crate::lower::lower_node(&mut b, node, 17)
            .map(|_| ())
            .unwrap_err()
            .to_string()
    };
    let e = lower(&ml_node("ZipMap", &["z"], vec![]));
    assert!(e.contains("zipmap"), "{e}");
    // A child id that does not exist.
    let mut node = two_trees("NONE", None);
    node.attribute[5] = ints("nodes_truenodeids", &[1, 0, 9, 0, 0, 1, 2, 0, 0, 0]);
    let e = lower(&node);
    assert!(e.contains("missing node id 9"), "{e}");
    // A cycle: node 2's false child is the root.
    let mut node = two_trees("NONE", None);
    node.attribute[6] = ints("nodes_falsenodeids", &[2, 0, 2, 0, 0, 4, 3, 0, 0, 0]);
    let e = lower(&node);
    assert!(e.contains("cycle") || e.contains("roots"), "{e}");
    // A feature beyond the input.
    let mut node = two_trees("NONE", None);
    node.attribute[2] = ints("nodes_featureids", &[7, 0, 1, 0, 0, 2, 0, 0, 0, 0]);
    let e = lower(&node);
    assert!(e.contains("feature 7"), "{e}");
    let e = lower(&two_trees("PROBIT", None));
    assert!(e.contains("PROBIT"), "{e}");
}

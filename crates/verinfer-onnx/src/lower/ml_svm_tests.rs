#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! `SVMClassifier` / `SVMRegressor` against a direct reading of onnxruntime's loops, in `f64`
//! and through quantization and the integer reference. Float attributes are float32 (as in a
//! model file) and the reference reads the float64 constants, so `f64` results agree to 1e-5.

use tract_onnx::pb::NodeProto;
use verinfer_quant::data::InputData;
use verinfer_quant::fgraph::FGraph;
use verinfer_quant::frun::run_outputs;
use verinfer_quant::pipeline::{calibrate_and_quantize, dequantize, quantize_inputs};
use verinfer_quant::quantize::QuantOptions;

use super::ml_tests::{floats, graph, ints, ml_node};
use super::movement::testutil::{int, string};

/// Support vectors of a 3-class problem in 2 features: 2, 1 and 2 vectors per class.
const SV: [[f64; 2]; 5] = [
    [-1.0, -1.0],
    [-1.5, 0.5],
    [1.0, 1.0],
    [0.5, -1.5],
    [1.5, -0.5],
];
const PER_CLASS: [usize; 3] = [2, 1, 2];
/// Coefficients `[classes − 1, vectors]`, as libsvm lays them out.
const COEF: [[f64; 5]; 2] = [[0.8, 0.4, -0.9, -0.6, -0.3], [0.7, 0.2, 0.5, -0.5, -0.9]];
const RHO: [f64; 3] = [0.1, -0.2, 0.05];
const GAMMA: f64 = 0.5;

fn kernel_value(kind: &str, x: &[f64], v: &[f64]) -> f64 {
    let dot: f64 = x.iter().zip(v).map(|(a, b)| a * b).sum();
    match kind {
        "LINEAR" => dot,
        "POLY" => (GAMMA * dot + 0.25).powi(3),
        "SIGMOID" => (GAMMA * dot + 0.25).tanh(),
        "RBF" => (-GAMMA * x.iter().zip(v).map(|(a, b)| (a - b) * (a - b)).sum::<f64>()).exp(),
        _ => unreachable!(),
    }
}

fn svc(kind: &str, labels: &[i64]) -> NodeProto {
    ml_node(
        "SVMClassifier",
        &["label", "scores"],
        vec![
            ints("classlabels_ints", labels),
            floats("coefficients", &COEF.concat()),
            floats("kernel_params", &[GAMMA, 0.25, 3.0]),
            string("kernel_type", kind),
            floats("rho", &RHO),
            floats("support_vectors", &SV.concat()),
            ints("vectors_per_class", &[2, 1, 2]),
        ],
    )
}

/// onnxruntime's one-against-one loop: the pairwise values and the first class with the
/// most votes.
fn svc_ref(kind: &str, x: &[f64]) -> (usize, Vec<f64>) {
    let k: Vec<f64> = SV.iter().map(|v| kernel_value(kind, x, v)).collect();
    let start = [0, 2, 3];
    let mut votes = [0; 3];
    let mut scores = vec![];
    let mut p = 0;
    for i in 0..3 {
        for j in i + 1..3 {
            let mut s = RHO[p];
            for v in start[i]..start[i] + PER_CLASS[i] {
                s += COEF[j - 1][v] * k[v];
            }
            for v in start[j]..start[j] + PER_CLASS[j] {
                s += COEF[i][v] * k[v];
            }
            votes[if s > 0.0 { i } else { j }] += 1;
            scores.push(s);
            p += 1;
        }
    }
    let mut best = 0;
    for c in 1..3 {
        if votes[c] > votes[best] {
            best = c;
        }
    }
    (best, scores)
}

fn grid() -> Vec<Vec<f64>> {
    let steps = [-2.0, -1.3, -0.6, -0.1, 0.0, 0.4, 0.9, 1.6, 2.0];
    steps
        .iter()
        .flat_map(|&a| steps.iter().map(move |&b| vec![a, b]))
        .collect()
}

/// Calibrate on `cal` rows, then run `x` through the integer reference: dequantized outputs.
fn quantized(fg: FGraph, cal: &[Vec<f64>], xs: &[Vec<f64>]) -> Vec<Vec<Vec<f64>>> {
    let data = InputData {
        per_input: vec![cal.concat()],
    };
    let c = calibrate_and_quantize(fg, Some(&data), QuantOptions::default(), &|| {}).unwrap();
    let g = &c.graph;
    xs.iter()
        .map(|x| {
            let q = quantize_inputs(g, std::slice::from_ref(x)).unwrap();
            let trace = verinfer_ir::reference::run(g, &q).unwrap();
            g.outputs
                .iter()
                .map(|o| {
                    dequantize(
                        &trace[o.value.index()],
                        g.value_info(o.value).unwrap().scale,
                    )
                })
                .collect()
        })
        .collect()
}

#[test]
#[allow(clippy::cast_precision_loss)]
fn support_vector_classifier_matches_onnxruntime_loops_in_f64() {
    for kind in ["RBF", "LINEAR", "POLY", "SIGMOID"] {
        let g = graph(&svc(kind, &[4, 5, 9]), vec![1, 2]);
        for x in grid() {
            let out = run_outputs(&g, std::slice::from_ref(&x)).unwrap();
            let (best, scores) = svc_ref(kind, &x);
            assert_eq!(out[0], vec![[4.0, 5.0, 9.0][best]], "{kind} label at {x:?}");
            for (a, e) in out[1].iter().zip(&scores) {
                assert!((a - e).abs() < 1e-5, "{kind} at {x:?}: {a} vs {e}");
            }
        }
    }
}

/// Quantized at the default width: labels equal wherever no pairwise value is within 0.02 of
/// zero (a vote there may go either way), scores within 0.01.
#[test]
fn quantized_rbf_classifier_keeps_labels_and_scores() {
    let g = graph(&svc("RBF", &[0, 1, 2]), vec![1, 2]);
    let xs = grid();
    let outs = quantized(g, &xs, &xs);
    let mut decided = 0;
    for (x, out) in xs.iter().zip(outs) {
        let (best, scores) = svc_ref("RBF", x);
        for (a, e) in out[1].iter().zip(&scores) {
            assert!((a - e).abs() < 0.01, "at {x:?}: {a} vs {e}");
        }
        if scores.iter().all(|s| s.abs() > 0.02) {
            decided += 1;
            #[allow(clippy::cast_precision_loss)]
            let want = best as f64;
            assert_eq!(out[0], vec![want], "label at {x:?}");
        }
    }
    assert!(decided > 60, "only {decided} rows away from a tie");
}

#[test]
fn binary_classifier_scores_are_the_negated_pair() {
    // Classes 0 and 1 of the fixture: vectors 0..3, one coefficient row, one rho.
    let node = ml_node(
        "SVMClassifier",
        &["label", "scores"],
        vec![
            ints("classlabels_ints", &[3, 7]),
            floats("coefficients", &COEF[0][..3]),
            floats("kernel_params", &[GAMMA, 0.0, 3.0]),
            string("kernel_type", "RBF"),
            floats("rho", &RHO[..1]),
            floats("support_vectors", &SV[..3].concat()),
            ints("vectors_per_class", &[2, 1]),
        ],
    );
    let g = graph(&node, vec![1, 2]);
    for x in grid() {
        let k: Vec<f64> = SV[..3].iter().map(|v| kernel_value("RBF", &x, v)).collect();
        let s = RHO[0] + (0..3).map(|v| COEF[0][v] * k[v]).sum::<f64>();
        let out = run_outputs(&g, std::slice::from_ref(&x)).unwrap();
        assert_eq!(
            out[0],
            vec![if s > 0.0 { 3.0 } else { 7.0 }],
            "label at {x:?}"
        );
        assert!((out[1][0] + s).abs() < 1e-5 && (out[1][1] - s).abs() < 1e-5);
    }
}

#[test]
fn regressor_and_one_class_match_their_definition() {
    let coef = [1.5, -0.5, 2.0, -1.0, 0.25];
    let node = |one_class: i64| {
        ml_node(
            "SVMRegressor",
            &["y"],
            vec![
                floats("coefficients", &coef),
                floats("kernel_params", &[GAMMA, 0.0, 3.0]),
                string("kernel_type", "RBF"),
                int("n_supports", 5),
                int("one_class", one_class),
                floats("rho", &[-0.3]),
                floats("support_vectors", &SV.concat()),
            ],
        )
    };
    let reg = graph(&node(0), vec![1, 2]);
    let one = graph(&node(1), vec![1, 2]);
    let xs = grid();
    let q = quantized(graph(&node(0), vec![1, 2]), &xs, &xs);
    for (x, qo) in xs.iter().zip(q) {
        let s = -0.3
            + SV.iter()
                .zip(coef)
                .map(|(v, c)| c * kernel_value("RBF", x, v))
                .sum::<f64>();
        let out = run_outputs(&reg, std::slice::from_ref(x)).unwrap();
        assert!((out[0][0] - s).abs() < 1e-5, "at {x:?}");
        assert!(
            (qo[0][0] - s).abs() < 0.01,
            "quantized at {x:?}: {} vs {s}",
            qo[0][0]
        );
        let out = run_outputs(&one, std::slice::from_ref(x)).unwrap();
        assert_eq!(out[0], vec![if s > 0.0 { 1.0 } else { -1.0 }], "at {x:?}");
    }
}

#[test]
fn liblinear_mode_scores_every_class_with_the_first_rho() {
    let w = [[1.0, -2.0], [0.5, 0.5], [-1.0, 0.25]];
    let node = ml_node(
        "SVMClassifier",
        &["label", "scores"],
        vec![
            ints("classlabels_ints", &[0, 1, 2]),
            floats("coefficients", &w.concat()),
            floats("rho", &[0.5]),
        ],
    );
    let g = graph(&node, vec![1, 2]);
    for x in grid() {
        let want: Vec<f64> = w.iter().map(|r| 0.5 + r[0] * x[0] + r[1] * x[1]).collect();
        let out = run_outputs(&g, std::slice::from_ref(&x)).unwrap();
        for (a, e) in out[1].iter().zip(&want) {
            assert!((a - e).abs() < 1e-5);
        }
    }
}

#[test]
fn probabilities_and_unknown_kernels_are_refused_by_name() {
    let mut node = svc("RBF", &[0, 1, 2]);
    node.attribute.push(floats("prob_a", &[-1.0, -1.0, -1.0]));
    node.attribute.push(floats("prob_b", &[0.0, 0.0, 0.0]));
    let mut b = verinfer_quant::builder::Builder::new("t");
    b.add_input("X", vec![1, 2], false);
    b.begin_node(&node.name, &node.op_type);
    let e = crate::lower::lower_node(&mut b, &node, 17)
        .unwrap_err()
        .to_string();
    assert!(e.contains("prob_a"), "{e}");
    let node = svc("CUBIC", &[0, 1, 2]);
    b.begin_node(&node.name, &node.op_type);
    let e = crate::lower::lower_node(&mut b, &node, 17)
        .unwrap_err()
        .to_string();
    assert!(e.contains("kernel_type CUBIC"), "{e}");
}

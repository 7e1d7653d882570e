//! Unit tests of the normalization lowerings.

use verinfer_quant::fgraph::FOp;
use verinfer_quant::func::Func;

use crate::lower::elementwise::tests::{af, ai, close, lower_one, node, value};

fn softmax_ref(row: &[f64]) -> Vec<f64> {
    let m = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let s: f64 = row.iter().map(|v| (v - m).exp()).sum();
    row.iter().map(|v| (v - m).exp() / s).collect()
}

#[test]
fn softmax_opset13_single_axis() {
    let xs = [1.0, 2.0, 3.0, 0.0, -1.0, 5.0];
    let n = node("Softmax", &["x"], &["y"], vec![ai("axis", 0)]);
    let (b, y) = lower_one(&n, 13, &[2, 3], &[]);
    let got = value(&b, y, &xs);
    for c in 0..3 {
        let col = softmax_ref(&[xs[c], xs[c + 3]]);
        close(&[got[c], got[c + 3]], &col);
    }
    let kinds: Vec<&str> =
        b.g.nodes
            .iter()
            .map(|n| match &n.op {
                FOp::Reduce { .. } => "reduce",
                FOp::Binary { .. } => "binary",
                FOp::Lookup(_) => "lookup",
                FOp::Div => "div",
                _ => "other",
            })
            .collect();
    assert_eq!(kinds, ["reduce", "binary", "lookup", "reduce", "div"]);
}

#[test]
fn softmax_opset11_coerces_to_2d() {
    let xs = [1.0, 2.0, 3.0, 0.0, -1.0, 5.0];
    let n = node("Softmax", &["x"], &["y"], vec![]);
    let (b, y) = lower_one(&n, 11, &[1, 2, 3], &[]);
    close(&value(&b, y, &xs), &softmax_ref(&xs));
    let n = node("LogSoftmax", &["x"], &["y"], vec![]);
    let (b, y) = lower_one(&n, 11, &[1, 2, 3], &[]);
    let e: Vec<f64> = softmax_ref(&xs).iter().map(|v| v.ln()).collect();
    close(&value(&b, y, &xs), &e);
}

#[test]
fn layer_norm_with_scale_and_bias() {
    let xs = [1.0, 2.0, 4.0, -1.0, 0.0, 7.0];
    let n = node(
        "LayerNormalization",
        &["x", "g", "beta"],
        &["y"],
        vec![af("epsilon", 0.5)],
    );
    let (b, y) = lower_one(
        &n,
        17,
        &[2, 3],
        &[
            ("g", vec![3], vec![1.0, 2.0, 3.0]),
            ("beta", vec![3], vec![0.0, 0.0, 1.0]),
        ],
    );
    let mut e = vec![];
    for row in xs.chunks(3) {
        let m = row.iter().sum::<f64>() / 3.0;
        let v = row.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / 3.0;
        for (i, x) in row.iter().enumerate() {
            e.push((x - m) / (v + 0.5).sqrt() * [1.0, 2.0, 3.0][i] + [0.0, 0.0, 1.0][i]);
        }
    }
    close(&value(&b, y, &xs), &e);
    assert!(b
        .g
        .nodes
        .iter()
        .any(|n| matches!(n.op, FOp::Lookup(Func::RsqrtEps { eps, .. }) if eps == 0.5)));
    assert!(
        !b.g.nodes.iter().any(|n| matches!(n.op, FOp::Scale(_))),
        "1/N rides on factors"
    );
}

/// `(x − mean)/√(var + eps)` of one group.
fn norm_ref(v: &[f64], eps: f64) -> Vec<f64> {
    #[allow(clippy::cast_precision_loss)]
    let n = v.len() as f64;
    let m = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / n;
    v.iter().map(|x| (x - m) / (var + eps).sqrt()).collect()
}

#[test]
fn layer_norm_extra_outputs() {
    let xs = [1.0, 2.0, 4.0, -1.0, 0.0, 7.0];
    let n = node(
        "LayerNormalization",
        &["x"],
        &["y", "", "inv"],
        vec![ai("axis", 0)],
    );
    let mut b = verinfer_quant::builder::Builder::new("t");
    b.add_input("x", vec![2, 3], false);
    b.begin_node("ln", "LayerNormalization");
    let outs = crate::lower::lower_node(&mut b, &n, 17).unwrap();
    assert_eq!(outs.len(), 3);
    close(&value(&b, outs[0], &xs), &norm_ref(&xs, 1e-5));
    assert_eq!(b.shape(outs[2]), vec![1, 1]);
    let m = xs.iter().sum::<f64>() / 6.0;
    let var = xs.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / 6.0;
    close(&value(&b, outs[2], &xs), &[1.0 / (var + 1e-5).sqrt()]);
}

#[test]
fn instance_and_group_norm() {
    let xs: Vec<f64> = (0..16).map(|i| f64::from(i * i % 7) - 2.0).collect();
    let consts = [
        ("s", vec![4], vec![1.0, 2.0, 3.0, 4.0]),
        ("bb", vec![4], vec![0.5, 0.0, -0.5, 1.0]),
    ];
    let affine = |y: Vec<f64>, per: usize| -> Vec<f64> {
        y.iter()
            .enumerate()
            .map(|(i, v)| v * consts[0].2[i / per] + consts[1].2[i / per])
            .collect()
    };
    // x: [1, 4, 2, 2]; instance norm normalizes each channel's 4 values.
    let n = node(
        "InstanceNormalization",
        &["x", "s", "bb"],
        &["y"],
        vec![af("epsilon", 0.01)],
    );
    let (b, y) = lower_one(&n, 6, &[1, 4, 2, 2], &consts);
    let e: Vec<f64> = xs.chunks(4).flat_map(|c| norm_ref(c, 0.01)).collect();
    close(&value(&b, y, &xs), &affine(e, 4));
    // Two groups of two channels (8 values each), per-channel scale and bias (opset 21).
    let n = node(
        "GroupNormalization",
        &["x", "s", "bb"],
        &["y"],
        vec![af("epsilon", 0.01), ai("num_groups", 2)],
    );
    let (b, y) = lower_one(&n, 21, &[1, 4, 2, 2], &consts);
    let e: Vec<f64> = xs.chunks(8).flat_map(|c| norm_ref(c, 0.01)).collect();
    close(&value(&b, y, &xs), &affine(e, 4));
}

#[test]
fn reduce_over_an_empty_axis_is_its_identity() {
    let n = node(
        "ReduceMax",
        &["x"],
        &["y"],
        vec![crate::lower::elementwise::tests::ais("axes", &[1])],
    );
    let (b, y) = lower_one(&n, 13, &[2, 0], &[]);
    assert_eq!(b.shape(y), vec![2, 1]);
    assert_eq!(value(&b, y, &[]), vec![f64::NEG_INFINITY; 2]);
}

#[test]
fn batch_norm_folds_to_mul_add() {
    let n = node(
        "BatchNormalization",
        &["x", "s", "bb", "m", "v"],
        &["y"],
        vec![af("epsilon", 0.0)],
    );
    let consts = [
        ("s", vec![2], vec![4.0, 1.0]),
        ("bb", vec![2], vec![1.0, 0.0]),
        ("m", vec![2], vec![1.0, -1.0]),
        ("v", vec![2], vec![4.0, 1.0]),
    ];
    let (b, y) = lower_one(&n, 15, &[1, 2, 2], &consts);
    assert_eq!(b.g.nodes.len(), 2);
    close(&value(&b, y, &[3.0, 5.0, -1.0, 0.0]), &[5.0, 9.0, 0.0, 1.0]);
}

#[test]
fn reduce_variants() {
    let xs = [1.0, -2.0, 3.0, -4.0, 5.0, 6.0];
    type Reference = fn(&[f64]) -> f64;
    let cases: [(&str, Reference); 10] = [
        ("ReduceSum", |r| r.iter().sum()),
        ("ReduceMean", |r| r.iter().sum::<f64>() / 3.0),
        ("ReduceMax", |r| {
            r.iter().copied().fold(f64::NEG_INFINITY, f64::max)
        }),
        ("ReduceMin", |r| {
            r.iter().copied().fold(f64::INFINITY, f64::min)
        }),
        ("ReduceSumSquare", |r| r.iter().map(|v| v * v).sum()),
        ("ReduceL1", |r| r.iter().map(|v| v.abs()).sum()),
        ("ReduceL2", |r| r.iter().map(|v| v * v).sum::<f64>().sqrt()),
        ("ReduceLogSumExp", |r| {
            r.iter().map(|v| v.exp()).sum::<f64>().ln()
        }),
        ("ReduceLogSum", |r| {
            r.iter().map(|v| v.abs()).sum::<f64>().ln()
        }),
        ("ReduceProd", |r| r.iter().product()),
    ];
    for (op, f) in cases {
        let input = if op == "ReduceLogSum" {
            xs.map(f64::abs)
        } else {
            xs
        };
        let e: Vec<f64> = input.chunks(3).map(f).collect();
        // Axes as an attribute (opset 11/13) and as an input (opset 18).
        let n = node(
            op,
            &["x"],
            &["y"],
            vec![
                ai("keepdims", 0),
                crate::lower::elementwise::tests::ais("axes", &[-1]),
            ],
        );
        let (b, y) = lower_one(&n, 11, &[2, 3], &[]);
        assert_eq!(b.shape(y), vec![2], "{op}");
        close(&value(&b, y, &input), &e);
        let n = node(op, &["x", "axes"], &["y"], vec![]);
        let (b, y) = lower_one(&n, 18, &[2, 3], &[("axes", vec![1], vec![1.0])]);
        assert_eq!(b.shape(y), vec![2, 1], "{op}");
        close(&value(&b, y, &input), &e);
    }
}

#[test]
fn reduce_without_axes_reduces_all_or_nothing() {
    let n = node("ReduceSum", &["x"], &["y"], vec![]);
    let (b, y) = lower_one(&n, 13, &[2, 2], &[]);
    assert_eq!(b.shape(y), vec![1, 1]);
    close(&value(&b, y, &[1.0, 2.0, 3.0, 4.0]), &[10.0]);
    let n = node(
        "ReduceSumSquare",
        &["x"],
        &["y"],
        vec![ai("noop_with_empty_axes", 1)],
    );
    let (b, y) = lower_one(&n, 18, &[2, 2], &[]);
    assert_eq!(b.shape(y), vec![2, 2]);
    close(&value(&b, y, &[1.0, 2.0, 3.0, 4.0]), &[1.0, 4.0, 9.0, 16.0]);
}

#[test]
fn run_time_axes_are_unsupported() {
    let n = node("ReduceSum", &["x", "x"], &["y"], vec![]);
    let mut b = verinfer_quant::builder::Builder::new("t");
    b.add_input("x", vec![1], false);
    let e = crate::lower::lower_node(&mut b, &n, 13)
        .unwrap_err()
        .to_string();
    assert!(e.contains("unsupported"), "{e}");
}

#[test]
fn reducing_a_scalar_is_the_elementwise_part() {
    let n = node("ReduceL1", &["x"], &["y"], vec![]);
    let (b, y) = lower_one(&n, 13, &[], &[]);
    assert_eq!(b.shape(y), Vec::<usize>::new());
    close(&value(&b, y, &[-2.0]), &[2.0]);
    let n = node(
        "ReduceL1",
        &["x"],
        &["y"],
        vec![crate::lower::elementwise::tests::ais("axes", &[0])],
    );
    let mut b = verinfer_quant::builder::Builder::new("t");
    b.add_input("x", vec![], false);
    assert!(crate::lower::lower_node(&mut b, &n, 13).is_err());
}

/// `[[1, 3, 3], [2, 0, 2]]`: ties on both rows, so first and last index differ.
const TIES: [f64; 6] = [1.0, 3.0, 3.0, 2.0, 0.0, 2.0];

#[test]
fn argmax_first_and_last_index_with_ties() {
    let n = node(
        "ArgMax",
        &["x"],
        &["y"],
        vec![ai("axis", 1), ai("keepdims", 0)],
    );
    let (b, y) = lower_one(&n, 13, &[2, 3], &[]);
    assert_eq!(b.shape(y), vec![2]);
    close(&value(&b, y, &TIES), &[1.0, 0.0]);
    let n = node(
        "ArgMax",
        &["x"],
        &["y"],
        vec![ai("axis", -1), ai("select_last_index", 1)],
    );
    let (b, y) = lower_one(&n, 13, &[2, 3], &[]);
    assert_eq!(b.shape(y), vec![2, 1]);
    close(&value(&b, y, &TIES), &[2.0, 2.0]);
}

#[test]
fn argmin_default_axis_and_last_index() {
    let n = node("ArgMin", &["x"], &["y"], vec![]);
    let (b, y) = lower_one(&n, 13, &[2, 3], &[]);
    assert_eq!(b.shape(y), vec![1, 3]);
    close(&value(&b, y, &TIES), &[0.0, 1.0, 1.0]);
    let n = node(
        "ArgMin",
        &["x"],
        &["y"],
        vec![ai("axis", 1), ai("keepdims", 0), ai("select_last_index", 1)],
    );
    let (b, y) = lower_one(&n, 13, &[2, 3], &[]);
    close(&value(&b, y, &[1.0, 1.0, 3.0, 2.0, 0.0, 0.0]), &[1.0, 2.0]);
}

#[test]
fn argmax_rejects_bad_attributes() {
    let mut bld = verinfer_quant::builder::Builder::new("t");
    bld.add_input("x", vec![2, 3], false);
    let n = node("ArgMax", &["x"], &["y"], vec![ai("select_last_index", 2)]);
    bld.begin_node(&n.name, &n.op_type);
    let e = crate::lower::lower_node(&mut bld, &n, 13).unwrap_err();
    assert!(e.to_string().contains("select_last_index"), "{e}");
    let n = node("ArgMax", &["x"], &["y"], vec![ai("axis", 2)]);
    bld.begin_node(&n.name, &n.op_type);
    let e = crate::lower::lower_node(&mut bld, &n, 13).unwrap_err();
    assert!(e.to_string().contains("out of range"), "{e}");
}

#[test]
fn hardmax_marks_the_first_maximum() {
    let n = node("Hardmax", &["x"], &["y"], vec![]);
    let (b, y) = lower_one(&n, 13, &[2, 3], &[]);
    close(&value(&b, y, &TIES), &[0.0, 1.0, 0.0, 1.0, 0.0, 0.0]);
    // Opset 11: coerced to 2-D at axis 1, one maximum over the flattened row.
    let (b, y) = lower_one(&n, 11, &[1, 2, 3], &[]);
    close(&value(&b, y, &TIES), &[0.0, 1.0, 0.0, 0.0, 0.0, 0.0]);
}

/// Scores `[2, 4, 4]` (two heads, 4 queries, 4 keys) in [−1.5, 1.5], one tensor per sample.
fn score_samples(n: usize) -> Vec<Vec<Vec<f64>>> {
    (0..n)
        .map(|s| {
            let v = (0..32)
                .map(|i| {
                    #[allow(clippy::cast_precision_loss)]
                    let t = ((i * 7 + s * 13) % 29) as f64 / 28.0;
                    3.0 * t - 1.5
                })
                .collect();
            vec![v]
        })
        .collect()
}

/// Row-wise softmax over the last axis of 4, with key `j > i` (query `i`) left out.
fn causal_softmax_ref(x: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; x.len()];
    for (r, row) in x.chunks(4).enumerate() {
        let i = r % 4;
        let p = softmax_ref(&row[..=i]);
        out[r * 4..r * 4 + i + 1].copy_from_slice(&p);
    }
    out
}

/// Check a causally masked softmax, quantized at the default 16 bits: masked weights exactly
/// 0, row 0's only allowed key exactly 1, the rest within `2·10⁻³`.
fn check_causal(g: verinfer_quant::fgraph::FGraph) {
    use crate::lower::qtest::{float_outputs, quantized_outputs};
    let samples = score_samples(24);
    for s in &samples[..4] {
        close(&float_outputs(&g, s)[0], &causal_softmax_ref(&s[0]));
    }
    let got = quantized_outputs(g, &samples);
    for (s, out) in samples.iter().zip(&got) {
        let want = causal_softmax_ref(&s[0]);
        for (k, (&y, &w)) in out[0].iter().zip(&want).enumerate() {
            let (i, j) = (k / 4 % 4, k % 4);
            if j > i {
                assert_eq!(y, 0.0, "masked weight at {k}");
            } else if i == 0 {
                assert_eq!(y, 1.0, "the only allowed key at {k}");
            } else {
                assert!((y - w).abs() < 2e-3, "at {k}: {y} vs {w}");
            }
        }
    }
}

/// The mask values exporters write: BERT's `−1e4`, `−1e9`, `−∞` and float32's most negative.
const MASK_VALUES: [f64; 4] = [-1e4, -1e9, f64::NEG_INFINITY, f32::MIN as f64];

/// `softmax(s + add, axis −1)` of run-time scores `s` `[2, 4, 4]` and a constant `[4, 4]`
/// addend (a mask or a bias).
fn softmax_of_sum(add: Vec<f64>) -> verinfer_quant::fgraph::FGraph {
    use crate::lower::qtest::{graph_of, Const, In};
    let nodes = [
        node("Add", &["s", "add"], &["sm"], vec![]),
        node("Softmax", &["sm"], &["p"], vec![ai("axis", -1)]),
    ];
    graph_of(
        &nodes,
        13,
        &[In("s", vec![2, 4, 4], None)],
        &[Const("add", vec![4, 4], add, false)],
    )
}

#[test]
fn additive_causal_masks_zero_the_masked_weights_exactly() {
    for v in MASK_VALUES {
        let mask: Vec<f64> = (0..16)
            .map(|k| if k % 4 > k / 4 { v } else { 0.0 })
            .collect();
        check_causal(softmax_of_sum(mask));
    }
}

#[test]
fn masks_selected_by_where_zero_the_masked_weights_exactly() {
    use crate::lower::qtest::{graph_of, Const, In};
    let allowed: Vec<f64> = (0..16)
        .map(|k| f64::from(u8::from(k % 4 <= k / 4)))
        .collect();
    for v in MASK_VALUES {
        // GPT-2's form: `Where(causal, scores, finfo.min)`, then `·1` and `+ 0` (an absent
        // padding mask) before the softmax.
        let nodes = [
            node("Where", &["allowed", "s", "fill"], &["w"], vec![]),
            node("Add", &["w", "zero"], &["sm"], vec![]),
            node("Softmax", &["sm"], &["p"], vec![ai("axis", 2)]),
        ];
        let g = graph_of(
            &nodes,
            13,
            &[In("s", vec![2, 4, 4], None)],
            &[
                Const("allowed", vec![4, 4], allowed.clone(), true),
                Const("fill", vec![], vec![v], false),
                Const("zero", vec![1, 4], vec![0.0; 4], false),
            ],
        );
        check_causal(g);
    }
}

#[test]
fn moderate_biases_and_fully_masked_rows_keep_their_softmax() {
    use crate::lower::qtest::{float_outputs, quantized_outputs};
    // A relative-position bias in [−3, 0] is no mask; a row whose every entry is −1e4 is the
    // softmax of its scores (as in float), not a row of zeros.
    let bias: Vec<f64> = (0..16)
        .map(|k| {
            if k / 4 == 3 {
                -1e4
            } else {
                -0.2 * f64::from(k % 4)
            }
        })
        .collect();
    let g = softmax_of_sum(bias.clone());
    assert!(
        !g.consts.iter().any(|c| c.name.ends_with("mask_keep")),
        "nothing is masked"
    );
    let samples = score_samples(24);
    let want = |x: &[f64]| -> Vec<f64> {
        let shifted: Vec<f64> = x
            .iter()
            .enumerate()
            .map(|(k, v)| v + bias[k % 16])
            .collect();
        shifted.chunks(4).flat_map(softmax_ref).collect()
    };
    close(&float_outputs(&g, &samples[0])[0], &want(&samples[0][0]));
    let got = quantized_outputs(g, &samples);
    for (s, out) in samples.iter().zip(&got) {
        for (y, w) in out[0].iter().zip(want(&s[0])) {
            assert!((y - w).abs() < 2e-3, "{y} vs {w}");
        }
    }
}

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! Losses, fused attention and `CumSum` against direct computations of ONNX's definitions.

use tract_onnx::pb::AttributeProto;

use super::movement::testutil::{float, int, node, run, string, Arg};

fn close(got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{got:?} vs {want:?}");
    for (k, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() < 1e-9, "element {k}: {g} vs {w}");
    }
}

/// input [2, 3, 2] (N, C, d1), target [2, 2].
const X: [f64; 12] = [
    0.1, -0.4, 0.7, 0.2, -0.3, 0.9, //
    1.5, 0.3, -0.8, 0.05, 0.6, -1.1,
];
const T: [f64; 4] = [2.0, 0.0, 1.0, -1.0];
const W: [f64; 3] = [0.5, 2.0, 1.5];

fn x_at(n: usize, c: usize, d: usize) -> f64 {
    X[(n * 3 + c) * 2 + d]
}

fn nll(reduction: &str, weights: bool, ignore: bool) -> Vec<f64> {
    let mut attrs = vec![string("reduction", reduction)];
    if ignore {
        attrs.push(int("ignore_index", -1));
    }
    let mut inputs = vec!["x", "t"];
    let mut args = vec![
        Arg::Input("x", vec![2, 3, 2], X.to_vec()),
        Arg::Const(
            "t",
            vec![2, 2],
            if ignore {
                T.to_vec()
            } else {
                vec![2.0, 0.0, 1.0, 2.0]
            },
        ),
    ];
    if weights {
        inputs.push("w");
        args.push(Arg::Input("w", vec![3], W.to_vec()));
    }
    let n = node("NegativeLogLikelihoodLoss", &inputs, &["loss"], attrs);
    run(&n, 22, args).unwrap().0.remove(0).1
}

#[test]
fn nll_reductions_weights_and_ignored_targets() {
    let t = [2usize, 0, 1, 2];
    let per = |w: bool| -> Vec<f64> {
        (0..4)
            .map(|k| -x_at(k / 2, t[k], k % 2) * if w { W[t[k]] } else { 1.0 })
            .collect()
    };
    close(&nll("none", false, false), &per(false));
    close(&nll("sum", true, false), &[per(true).iter().sum::<f64>()]);
    let wsum: f64 = t.iter().map(|&c| W[c]).sum();
    close(
        &nll("mean", true, false),
        &[per(true).iter().sum::<f64>() / wsum],
    );
    // Target -1 ignored: loss 0 there, left out of the mean's denominator.
    let ign: Vec<f64> = (0..3).map(|k| -x_at(k / 2, [2, 0, 1][k], k % 2)).collect();
    let mut none = ign.clone();
    none.push(0.0);
    close(&nll("none", false, true), &none);
    close(&nll("mean", false, true), &[ign.iter().sum::<f64>() / 3.0]);
    let wi: f64 = [2usize, 0, 1].iter().map(|&c| W[c]).sum();
    let wl: f64 = (0..3).map(|k| ign[k] * W[[2, 0, 1][k]]).sum();
    close(&nll("mean", true, true), &[wl / wi]);
}

#[test]
fn softmax_cross_entropy_is_nll_of_log_softmax() {
    let n = node(
        "SoftmaxCrossEntropyLoss",
        &["x", "t"],
        &["loss", "log_prob"],
        vec![string("reduction", "none")],
    );
    let outs = run(
        &n,
        22,
        vec![
            Arg::Input("x", vec![2, 3, 2], X.to_vec()),
            Arg::Const("t", vec![2, 2], vec![2.0, 0.0, 1.0, 2.0]),
        ],
    )
    .unwrap()
    .0;
    let log_prob = |n: usize, c: usize, d: usize| {
        let s: f64 = (0..3).map(|k| x_at(n, k, d).exp()).sum();
        x_at(n, c, d) - s.ln()
    };
    let t = [2usize, 0, 1, 2];
    let want: Vec<f64> = (0..4).map(|k| -log_prob(k / 2, t[k], k % 2)).collect();
    close(&outs[0].1, &want);
    assert_eq!(outs[1].0, vec![2, 3, 2]);
    close(&[outs[1].1[7]], &[log_prob(1, 0, 1)]);
}

#[test]
fn nll_refuses_run_time_and_out_of_range_targets() {
    let n = node("NegativeLogLikelihoodLoss", &["x", "t"], &["loss"], vec![]);
    let cases = [
        (Arg::Input("t", vec![1], vec![0.0]), "run time"),
        (Arg::Const("t", vec![1], vec![3.0]), "not a class"),
    ];
    for (target, message) in cases {
        let x = Arg::Input("x", vec![1, 3], vec![0.0; 3]);
        let err = run(&n, 22, vec![x, target]).unwrap_err();
        assert!(format!("{err}").contains(message), "{err}");
    }
}

/// Reference attention for one head: `softmax(q·kᵀ·scale + bias)·v` over the keys where
/// `bias(i, j)` is `Some` (a row with none gives 0).
fn attend(
    [q, k, v]: [&[f64]; 3],
    d: usize,
    scale: f64,
    bias: impl Fn(usize, usize) -> Option<f64>,
) -> Vec<f64> {
    let (sq, t) = (q.len() / d, k.len() / d);
    let dv = v.len() / t;
    let mut y = vec![0.0; sq * dv];
    for i in 0..sq {
        let e: Vec<f64> = (0..t)
            .map(|j| {
                let s = (0..d).map(|c| q[i * d + c] * k[j * d + c]).sum::<f64>() * scale;
                bias(i, j).map_or(0.0, |m| (s + m).exp())
            })
            .collect();
        let z: f64 = e.iter().sum();
        for j in 0..t {
            let p = if z == 0.0 { 0.0 } else { e[j] / z };
            for c in 0..dv {
                y[i * dv + c] += p * v[j * dv + c];
            }
        }
    }
    y
}

#[allow(clippy::cast_precision_loss)]
fn vals(n: usize, seed: f64) -> Vec<f64> {
    (0..n)
        .map(|i| ((i as f64 + 1.0) * 0.917 + seed).sin())
        .collect()
}

#[test]
fn attention_causal_with_past_matches_the_definition() {
    // One batch, one head, 2 new queries over 1 past + 2 new keys.
    let (q, k, v) = (vals(2 * 4, 0.2), vals(2 * 4, 1.1), vals(2 * 3, 2.3));
    let (pk, pv) = (vals(4, 3.1), vals(3, 4.7));
    let n = node(
        "Attention",
        &["q", "k", "v", "", "pk", "pv"],
        &["y", "present_k", "present_v"],
        vec![int("is_causal", 1)],
    );
    let outs = run(
        &n,
        23,
        vec![
            Arg::Input("q", vec![1, 1, 2, 4], q.clone()),
            Arg::Input("k", vec![1, 1, 2, 4], k.clone()),
            Arg::Input("v", vec![1, 1, 2, 3], v.clone()),
            Arg::Input("pk", vec![1, 1, 1, 4], pk.clone()),
            Arg::Input("pv", vec![1, 1, 1, 3], pv.clone()),
        ],
    )
    .unwrap()
    .0;
    let kk: Vec<f64> = pk.iter().chain(&k).copied().collect();
    let vv: Vec<f64> = pv.iter().chain(&v).copied().collect();
    // Bottom-right causal: query i sees keys j ≤ i + past (past = 1).
    let want = attend([&q, &kk, &vv], 4, 0.5, |i, j| (j <= i + 1).then_some(0.0));
    close(&outs[0].1, &want);
    close(&outs[1].1, &kk);
    assert_eq!(outs[2].0, vec![1, 1, 3, 3]);
}

#[test]
fn attention_float_mask_is_a_bias_and_scale_applies() {
    let (q, k, v) = (vals(2 * 2, 0.5), vals(3 * 2, 1.5), vals(3 * 2, 2.5));
    let mask = [0.5, -1.0, 0.25, 0.0, 2.0, -0.5];
    /// Node inputs, attributes, and the float mask when there is one.
    type Setup<'a> = (Vec<&'a str>, Vec<AttributeProto>, Option<Vec<f64>>);
    let cases: [Setup<'_>; 2] = [
        // A constant float mask is added to the scores.
        (vec!["q", "k", "v", "m"], vec![], Some(mask.to_vec())),
        // Causal with an explicit scale.
        (
            vec!["q", "k", "v"],
            vec![int("is_causal", 1), float("scale", 0.5)],
            None,
        ),
    ];
    for (inputs, attrs, m) in cases {
        let n = node("Attention", &inputs, &["y"], attrs);
        let mut args = vec![
            Arg::Input("q", vec![1, 1, 2, 2], q.clone()),
            Arg::Input("k", vec![1, 1, 3, 2], k.clone()),
            Arg::Input("v", vec![1, 1, 3, 2], v.clone()),
        ];
        let want = if let Some(m) = m {
            args.push(Arg::Const("m", vec![2, 3], m.clone()));
            attend([&q, &k, &v], 2, 0.5f64.sqrt(), |i, j| Some(m[i * 3 + j]))
        } else {
            attend([&q, &k, &v], 2, 0.5, |i, j| (j <= i).then_some(0.0))
        };
        let outs = run(&n, 23, args).unwrap().0;
        assert_eq!(outs[0].0, vec![1, 1, 2, 2]);
        close(&outs[0].1, &want);
    }
}

#[test]
fn attention_run_time_boolean_mask_zeroes_a_fully_masked_row() {
    use crate::lower::lower_node;
    use verinfer_quant::builder::Builder;
    use verinfer_quant::frun::{run_float, tensor};
    let (q, k, v) = (vals(2 * 2, 0.5), vals(3 * 2, 1.5), vals(3 * 2, 2.5));
    // Row 0 may attend keys 0 and 2; row 1 none (its output is 0).
    let mask = vec![1.0, 0.0, 1.0, 0.0, 0.0, 0.0];
    let mut b = Builder::new("t");
    b.add_input("q", vec![1, 1, 2, 2], false);
    b.add_input("k", vec![1, 1, 3, 2], false);
    b.add_input("v", vec![1, 1, 3, 2], false);
    b.add_input("m", vec![2, 3], true);
    let n = node("Attention", &["q", "k", "v", "m"], &["y"], vec![]);
    b.begin_node("a", "Attention");
    let y = lower_node(&mut b, &n, 23).unwrap()[0];
    let data = vec![q.clone(), k.clone(), v.clone(), mask.clone()];
    let values = run_float(&b.g, &data).unwrap();
    let got = tensor(&b.g, &data, &values, y).data.to_vec();
    close(
        &got,
        &attend([&q, &k, &v], 2, 0.5f64.sqrt(), |i, j| {
            (mask[i * 3 + j] != 0.0).then_some(0.0)
        }),
    );
    assert_eq!(&got[2..], &[0.0, 0.0]);
}

#[test]
fn cumsum_directions_along_a_constant_axis() {
    let x = vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
    let cum = |axis: f64, exclusive: i64, reverse: i64| {
        let n = node(
            "CumSum",
            &["x", "a"],
            &["y"],
            vec![int("exclusive", exclusive), int("reverse", reverse)],
        );
        run(
            &n,
            14,
            vec![
                Arg::Input("x", vec![2, 3], x.clone()),
                Arg::Const("a", vec![], vec![axis]),
            ],
        )
        .unwrap()
        .0
        .remove(0)
        .1
    };
    close(&cum(1.0, 0, 0), &[1.0, 3.0, 6.0, 4.0, 9.0, 15.0]);
    close(&cum(-1.0, 1, 0), &[0.0, 1.0, 3.0, 0.0, 4.0, 9.0]);
    close(&cum(1.0, 0, 1), &[6.0, 5.0, 3.0, 15.0, 11.0, 6.0]);
    close(&cum(1.0, 1, 1), &[5.0, 3.0, 0.0, 11.0, 6.0, 0.0]);
    close(&cum(0.0, 0, 0), &[1.0, 2.0, 3.0, 5.0, 7.0, 9.0]);
}

#[test]
fn attention_float_mask_of_minus_1e4_is_exact_once_quantized() {
    use crate::lower::qtest::{graph, quantized_outputs, Const, In};
    // A constant causal float mask written as `−1e4` (BERT's value): quantized at 16 bits,
    // row 0 attends key 0 alone (its output is `v[0]`), the rest as the definition says.
    let mask: Vec<f64> = (0..16)
        .map(|k| if k % 4 > k / 4 { -1e4 } else { 0.0 })
        .collect();
    let n = node("Attention", &["q", "k", "v", "m"], &["y"], vec![]);
    let ins = [
        In("q", vec![1, 1, 4, 2], None),
        In("k", vec![1, 1, 4, 2], None),
        In("v", vec![1, 1, 4, 2], None),
    ];
    let g = graph(&n, 23, &ins, &[Const("m", vec![4, 4], mask, false)]);
    let samples: Vec<Vec<Vec<f64>>> = (0..16)
        .map(|s| {
            let s = f64::from(s);
            vec![vals(8, s), vals(8, s + 0.37), vals(8, s + 0.71)]
        })
        .collect();
    let got = quantized_outputs(g, &samples);
    for (x, out) in samples.iter().zip(&got) {
        let want = attend([&x[0], &x[1], &x[2]], 2, 0.5f64.sqrt(), |i, j| {
            (j <= i).then_some(0.0)
        });
        for (y, w) in out[0].iter().zip(&want) {
            assert!((y - w).abs() < 3e-3, "{y} vs {w}");
        }
        assert!((out[0][0] - x[2][0]).abs() < 1e-3, "row 0 reads v[0] alone");
    }
}

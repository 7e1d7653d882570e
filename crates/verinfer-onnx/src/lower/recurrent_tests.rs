#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
//! The unrolled recurrences against a direct, loop-by-loop reading of ONNX's equations.

use super::movement::testutil::{float, int, node, run, string, Arg, Out};
use tract_onnx::pb::AttributeProto;

/// Deterministic values in about [-1, 1].
#[allow(clippy::cast_precision_loss)]
fn vals(n: usize, seed: f64) -> Vec<f64> {
    (0..n)
        .map(|i| ((i as f64 + 1.0) * 0.731 + seed).sin() * 0.9)
        .collect()
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// Operands of one test, `layout = 0` shapes.
struct Case {
    seq: usize,
    batch: usize,
    input: usize,
    hidden: usize,
    dirs: usize,
    gates: usize,
    x: Vec<f64>,
    w: Vec<f64>,
    r: Vec<f64>,
    bias: Vec<f64>,
    h0: Vec<f64>,
    c0: Vec<f64>,
    p: Vec<f64>,
}

impl Case {
    fn new(gates: usize, dirs: usize) -> Self {
        let (seq, batch, input, hidden) = (3, 2, 3, 4);
        Case {
            seq,
            batch,
            input,
            hidden,
            dirs,
            gates,
            x: vals(seq * batch * input, 0.1),
            w: vals(dirs * gates * hidden * input, 0.7),
            r: vals(dirs * gates * hidden * hidden, 1.3),
            bias: vals(dirs * 2 * gates * hidden, 2.1)
                .iter()
                .map(|v| v * 0.5)
                .collect(),
            h0: vals(dirs * batch * hidden, 2.9),
            c0: vals(dirs * batch * hidden, 3.7),
            p: vals(dirs * 3 * hidden, 4.3),
        }
    }

    /// `Σ_k x[k] · M[d][row][k]` for a weight tensor `[dirs, G·H, n]`.
    fn dot(m: &[f64], rows: usize, n: usize, d: usize, row: usize, x: &[f64]) -> f64 {
        (0..n).map(|k| m[(d * rows + row) * n + k] * x[k]).sum()
    }

    /// Reference run: `Y` `[seq, dirs, batch, H]`, `Y_h`, `Y_c` `[dirs, batch, H]`.
    fn reference(&self, kind: &str, lbr: bool) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let (s, bn, i_n, h, g) = (self.seq, self.batch, self.input, self.hidden, self.gates);
        let gh = g * h;
        let mut y = vec![0.0; s * self.dirs * bn * h];
        let mut yh = vec![0.0; self.dirs * bn * h];
        let mut yc = vec![0.0; self.dirs * bn * h];
        for d in 0..self.dirs {
            for bi in 0..bn {
                let mut hp: Vec<f64> = self.h0[(d * bn + bi) * h..][..h].to_vec();
                let mut cp: Vec<f64> = self.c0[(d * bn + bi) * h..][..h].to_vec();
                for step in 0..s {
                    let t = if d == 1 { s - 1 - step } else { step };
                    let xt = &self.x[(t * bn + bi) * i_n..][..i_n];
                    let wb = |row: usize| self.bias[d * 2 * gh + row];
                    let rb = |row: usize| self.bias[d * 2 * gh + gh + row];
                    let xw = |row: usize| Self::dot(&self.w, gh, i_n, d, row, xt) + wb(row);
                    let hr =
                        |row: usize, hv: &[f64]| Self::dot(&self.r, gh, h, d, row, hv) + rb(row);
                    let mut hn = vec![0.0; h];
                    let mut cn = vec![0.0; h];
                    for j in 0..h {
                        match kind {
                            "RNN" => hn[j] = (xw(j) + hr(j, &hp)).tanh(),
                            "GRU" => {
                                let z = sigmoid(xw(j) + hr(j, &hp));
                                let r = sigmoid(xw(h + j) + hr(h + j, &hp));
                                let cand = if lbr {
                                    (xw(2 * h + j) + r * hr(2 * h + j, &hp)).tanh()
                                } else {
                                    // (r ⊙ H) · R_hᵀ needs every r_k: recompute per k.
                                    let rh: Vec<f64> = (0..h)
                                        .map(|k| sigmoid(xw(h + k) + hr(h + k, &hp)) * hp[k])
                                        .collect();
                                    (xw(2 * h + j) + hr(2 * h + j, &rh)).tanh()
                                };
                                hn[j] = (1.0 - z) * cand + z * hp[j];
                            }
                            _ => {
                                let p = |k: usize| self.p[d * 3 * h + k * h + j];
                                let ig = sigmoid(xw(j) + hr(j, &hp) + p(0) * cp[j]);
                                let fg = sigmoid(xw(2 * h + j) + hr(2 * h + j, &hp) + p(2) * cp[j]);
                                let c = (xw(3 * h + j) + hr(3 * h + j, &hp)).tanh();
                                cn[j] = fg * cp[j] + ig * c;
                                let og = sigmoid(xw(h + j) + hr(h + j, &hp) + p(1) * cn[j]);
                                hn[j] = og * cn[j].tanh();
                            }
                        }
                    }
                    y[((t * self.dirs + d) * bn + bi) * h..][..h].copy_from_slice(&hn);
                    hp = hn;
                    if kind == "LSTM" {
                        cp = cn;
                    }
                }
                yh[(d * bn + bi) * h..][..h].copy_from_slice(&hp);
                yc[(d * bn + bi) * h..][..h].copy_from_slice(&cp);
            }
        }
        (y, yh, yc)
    }

    fn lower(&self, kind: &str, attrs: Vec<AttributeProto>, const_weights: bool) -> Vec<Out> {
        let lstm = kind == "LSTM";
        let mut inputs = vec!["X", "W", "R", "B", "", "initial_h"];
        let mut outputs = vec!["Y", "Y_h"];
        if lstm {
            inputs.extend(["initial_c", "P"]);
            outputs.push("Y_c");
        }
        let n = node(kind, &inputs, &outputs, attrs);
        let (d, gh) = (self.dirs, self.gates * self.hidden);
        let weight = |name, shape, data| {
            if const_weights {
                Arg::Const(name, shape, data)
            } else {
                Arg::Input(name, shape, data)
            }
        };
        let mut args = vec![
            Arg::Input("X", vec![self.seq, self.batch, self.input], self.x.clone()),
            weight("W", vec![d, gh, self.input], self.w.clone()),
            weight("R", vec![d, gh, self.hidden], self.r.clone()),
            weight("B", vec![d, 2 * gh], self.bias.clone()),
            Arg::Input(
                "initial_h",
                vec![d, self.batch, self.hidden],
                self.h0.clone(),
            ),
        ];
        if lstm {
            args.push(Arg::Input(
                "initial_c",
                vec![d, self.batch, self.hidden],
                self.c0.clone(),
            ));
            args.push(weight("P", vec![d, 3 * self.hidden], self.p.clone()));
        }
        run(&n, 22, args).unwrap().0
    }
}

fn close(got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len());
    for (k, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() < 1e-9, "element {k}: {g} vs {w}");
    }
}

fn check(kind: &str, dirs: usize, lbr: bool, const_weights: bool) {
    let gates = match kind {
        "RNN" => 1,
        "GRU" => 3,
        _ => 4,
    };
    let c = Case::new(gates, dirs);
    let mut attrs = vec![int("hidden_size", 4)];
    if dirs == 2 {
        attrs.push(string("direction", "bidirectional"));
    }
    if lbr {
        attrs.push(int("linear_before_reset", 1));
    }
    let outs = c.lower(kind, attrs, const_weights);
    let (y, yh, yc) = c.reference(kind, lbr);
    assert_eq!(outs[0].0, vec![c.seq, dirs, c.batch, c.hidden]);
    close(&outs[0].1, &y);
    assert_eq!(outs[1].0, vec![dirs, c.batch, c.hidden]);
    close(&outs[1].1, &yh);
    if kind == "LSTM" {
        close(&outs[2].1, &yc);
    }
}

#[test]
fn rnn_matches_the_equations() {
    check("RNN", 1, false, true);
    check("RNN", 2, false, false);
}

#[test]
fn gru_matches_the_equations_both_reset_forms() {
    check("GRU", 1, false, true);
    check("GRU", 2, false, false);
    check("GRU", 1, true, false);
    check("GRU", 2, true, true);
}

#[test]
fn lstm_matches_the_equations_with_peepholes_and_states() {
    check("LSTM", 1, false, true);
    check("LSTM", 2, false, false);
}

#[test]
fn reverse_direction_is_the_second_half_of_bidirectional() {
    let c = Case::new(1, 2);
    let (_, yh, _) = c.reference("RNN", false);
    // A reverse-only RNN on direction 1's weights.
    let one = Case {
        dirs: 1,
        w: c.w[c.w.len() / 2..].to_vec(),
        r: c.r[c.r.len() / 2..].to_vec(),
        bias: c.bias[c.bias.len() / 2..].to_vec(),
        h0: c.h0[c.h0.len() / 2..].to_vec(),
        ..Case::new(1, 1)
    };
    let outs = one.lower(
        "RNN",
        vec![int("hidden_size", 4), string("direction", "reverse")],
        true,
    );
    close(&outs[1].1, &yh[yh.len() / 2..]);
}

#[test]
fn batchwise_layout_transposes_inputs_and_outputs() {
    // layout = 1: X [batch, seq, input], Y [batch, seq, dirs, H].
    let n = node(
        "RNN",
        &["X", "W", "R"],
        &["Y", "Y_h"],
        vec![int("hidden_size", 2), int("layout", 1)],
    );
    let outs = run(
        &n,
        22,
        vec![
            Arg::Input("X", vec![3, 1, 1], vec![1.0, 2.0, 3.0]),
            Arg::Const("W", vec![1, 2, 1], vec![0.5, -0.5]),
            Arg::Const("R", vec![1, 2, 2], vec![0.0; 4]),
        ],
    )
    .unwrap()
    .0;
    assert_eq!(outs[0].0, vec![3, 1, 1, 2]);
    let want: Vec<f64> = [1.0f64, 2.0, 3.0]
        .iter()
        .flat_map(|v| [(0.5 * v).tanh(), (-0.5 * v).tanh()])
        .collect();
    close(&outs[0].1, &want);
    assert_eq!(outs[1].0, vec![3, 1, 2]);
}

#[test]
fn activations_clip_and_bad_operands() {
    // Relu with clip 0.5: max(0, min(0.5, x·w)).
    let n = node(
        "RNN",
        &["X", "W", "R"],
        &["Y"],
        vec![
            int("hidden_size", 1),
            float("clip", 0.5),
            AttributeProto {
                name: "activations".into(),
                strings: vec![b"Relu".to_vec()],
                ..AttributeProto::default()
            },
        ],
    );
    let outs = run(
        &n,
        22,
        vec![
            Arg::Input("X", vec![3, 1, 1], vec![-1.0, 0.25, 2.0]),
            Arg::Const("W", vec![1, 1, 1], vec![1.0]),
            Arg::Const("R", vec![1, 1, 1], vec![0.0]),
        ],
    )
    .unwrap()
    .0;
    close(&outs[0].1, &[0.0, 0.25, 0.5]);
    // W of the wrong shape, an unknown activation, shorter sequences: errors, not panics.
    let bad_w = run(
        &node("RNN", &["X", "W", "R"], &["Y"], vec![int("hidden_size", 1)]),
        22,
        vec![
            Arg::Input("X", vec![3, 1, 1], vec![0.0; 3]),
            Arg::Const("W", vec![1, 2, 1], vec![1.0, 1.0]),
            Arg::Const("R", vec![1, 1, 1], vec![0.0]),
        ],
    );
    assert!(format!("{}", bad_w.unwrap_err()).contains("W has shape"));
    let bad_act = run(
        &node(
            "GRU",
            &["X", "W", "R"],
            &["Y"],
            vec![
                int("hidden_size", 1),
                AttributeProto {
                    name: "activations".into(),
                    strings: vec![b"Sigmoid".to_vec(), b"Cube".to_vec()],
                    ..AttributeProto::default()
                },
            ],
        ),
        22,
        vec![
            Arg::Input("X", vec![1, 1, 1], vec![0.0]),
            Arg::Const("W", vec![1, 3, 1], vec![1.0; 3]),
            Arg::Const("R", vec![1, 3, 1], vec![0.0; 3]),
        ],
    );
    assert!(format!("{}", bad_act.unwrap_err()).contains("Cube"));
    let short = run(
        &node(
            "RNN",
            &["X", "W", "R", "", "lens"],
            &["Y"],
            vec![int("hidden_size", 1)],
        ),
        22,
        vec![
            Arg::Input("X", vec![2, 1, 1], vec![0.0; 2]),
            Arg::Const("W", vec![1, 1, 1], vec![1.0]),
            Arg::Const("R", vec![1, 1, 1], vec![0.0]),
            Arg::Const("lens", vec![1], vec![1.0]),
        ],
    );
    assert!(format!("{}", short.unwrap_err()).contains("sequence_lens"));
}

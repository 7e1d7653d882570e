//! `Scan` unrolled: states, scan inputs in both directions, output axes, against a direct
//! reading of ONNX's definition.

use tract_onnx::pb::{
    AttributeProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, TensorProto,
};
use verinfer_quant::frun::run_outputs;

use crate::branch::tests::{node, vi};
use crate::import::{import_proto, ImportOptions};

const ROWS: [[f32; 2]; 3] = [[1.0, 2.0], [-0.5, 0.25], [3.0, -1.0]];

fn ints(name: &str, v: &[i64]) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        r#type: 7,
        ints: v.to_vec(),
        ..AttributeProto::default()
    }
}

/// `x [2, 2]` scanned against the constant rows `R [3, 2]` (skl2onnx's pairwise distances,
/// plus a running sum): state `acc ← acc + r`, outputs `Σ (x − r)²` per row of `x` and
/// `acc` after each step. `R` is read in `direction`; the distances are stacked along
/// `out_axis`.
fn model(direction: i64, out_axis: i64) -> ModelProto {
    let body = GraphProto {
        name: "body".into(),
        node: vec![
            node("Add", &["acc_in", "r"], &["acc_out"]),
            node("Sub", &["xb", "r"], &["d"]),
            {
                let mut n = node("ReduceSumSquare", &["d"], &["dist"]);
                n.attribute = vec![ints("axes", &[1]), {
                    let mut k = ints("keepdims", &[]);
                    k.r#type = 2;
                    k.i = 0;
                    k
                }];
                n
            },
            node("Identity", &["acc_out"], &["acc_seen"]),
            node("Identity", &["xb"], &["xb_out"]),
        ],
        input: vec![
            vi("acc_in", 1, &[2]),
            vi("xb", 1, &[2, 2]),
            vi("r", 1, &[2]),
        ],
        output: vec![
            vi("acc_out", 1, &[2]),
            vi("xb_out", 1, &[2, 2]),
            vi("dist", 1, &[2]),
            vi("acc_seen", 1, &[2]),
        ],
        ..GraphProto::default()
    };
    let mut scan = node(
        "Scan",
        &["acc0", "x", "R"],
        &["acc", "x_last", "dists", "accs"],
    );
    scan.name = "scan".into();
    scan.attribute = vec![
        AttributeProto {
            name: "body".into(),
            r#type: 5,
            g: Some(body),
            ..AttributeProto::default()
        },
        {
            let mut a = ints("num_scan_inputs", &[]);
            a.r#type = 2;
            a.i = 1;
            a
        },
        ints("scan_input_directions", &[direction]),
        ints("scan_output_axes", &[out_axis, 0]),
    ];
    ModelProto {
        opset_import: vec![OperatorSetIdProto {
            domain: String::new(),
            version: 16,
        }],
        graph: Some(GraphProto {
            name: "g".into(),
            node: vec![scan],
            initializer: vec![
                TensorProto {
                    name: "R".into(),
                    data_type: 1,
                    dims: vec![3, 2],
                    float_data: ROWS.concat(),
                    ..TensorProto::default()
                },
                TensorProto {
                    name: "acc0".into(),
                    data_type: 1,
                    dims: vec![2],
                    float_data: vec![0.5, -0.5],
                    ..TensorProto::default()
                },
            ],
            input: vec![vi("x", 1, &[2, 2])],
            output: vec![
                vi("acc", 1, &[2]),
                vi("x_last", 1, &[2, 2]),
                vi("dists", 1, &[]),
                vi("accs", 1, &[3, 2]),
            ],
            ..GraphProto::default()
        }),
        ..ModelProto::default()
    }
}

#[test]
fn scan_unrolls_states_directions_and_output_axes() {
    let x = [0.5f64, -1.0, 2.0, 0.0];
    for (direction, out_axis) in [(0, 0), (1, 0), (0, 1), (1, -1)] {
        let g = import_proto(
            &model(direction, out_axis),
            "m",
            None,
            &ImportOptions::default(),
        )
        .unwrap();
        let out = run_outputs(&g, &[x.to_vec()]).unwrap();
        let order: Vec<usize> = if direction == 0 {
            vec![0, 1, 2]
        } else {
            vec![2, 1, 0]
        };
        let mut acc = [0.5f64, -0.5];
        let mut accs = vec![];
        let mut dist = [[0.0f64; 2]; 3];
        for (step, &k) in order.iter().enumerate() {
            let r = ROWS[k].map(f64::from);
            acc = [acc[0] + r[0], acc[1] + r[1]];
            accs.extend(acc);
            for (i, d) in dist[step].iter_mut().enumerate() {
                *d = (x[2 * i] - r[0]).powi(2) + (x[2 * i + 1] - r[1]).powi(2);
            }
        }
        let dists: Vec<f64> = if out_axis == 0 {
            dist.concat()
        } else {
            (0..2)
                .flat_map(|i| dist.iter().map(move |d| d[i]))
                .collect()
        };
        let close = |a: &[f64], e: &[f64]| {
            a.len() == e.len() && a.iter().zip(e).all(|(a, e)| (a - e).abs() < 1e-6)
        };
        let case = format!("direction {direction}, output axis {out_axis}");
        assert!(close(&out[0], &acc), "{case}: acc {:?}", out[0]);
        assert!(close(&out[1], &x), "{case}: x carried {:?}", out[1]);
        assert!(
            close(&out[2], &dists),
            "{case}: dists {:?} vs {dists:?}",
            out[2]
        );
        assert!(close(&out[3], &accs), "{case}: accs {:?}", out[3]);
    }
}

#[test]
fn scan_refuses_unequal_trip_counts_by_name() {
    let mut m = model(0, 0);
    let scan: &mut NodeProto = &mut m.graph.as_mut().unwrap().node[0];
    // A second scan input, `x` (2 rows) beside `R` (3 rows).
    scan.input.push("x".into());
    scan.attribute[1].i = 2;
    scan.attribute[2].ints = vec![0, 0];
    let body = scan.attribute[0].g.as_mut().unwrap();
    body.input.push(vi("x_row", 1, &[2]));
    let e = import_proto(&m, "m", None, &ImportOptions::default()).unwrap_err();
    assert!(e.to_string().contains("trip counts [3, 2]"), "{e}");
}

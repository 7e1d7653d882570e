//! Hand-made checks of the movement lowerings.

use tract_onnx::pb::{AttributeProto, TensorProto};
use verinfer_quant::fgraph::{FOp, FRef};
use verinfer_quant::QuantError;

use super::testutil::{float, int, ints, iota, node, run, string, Arg};
use crate::error::OnnxError;

fn moves(g: &verinfer_quant::fgraph::FGraph) -> usize {
    g.nodes
        .iter()
        .filter(|n| matches!(n.op, FOp::Move { .. }))
        .count()
}

#[test]
fn reshape_zero_and_minus_one() {
    let n = node("Reshape", &["x", "s"], &["y"], vec![]);
    let (o, _) = run(
        &n,
        13,
        vec![
            Arg::Input("x", vec![2, 3, 4], iota(&[2, 3, 4])),
            Arg::Const("s", vec![2], vec![0.0, -1.0]),
        ],
    )
    .unwrap();
    assert_eq!(o[0].0, vec![2, 12]);
    assert_eq!(o[0].1, iota(&[24]));
}

#[test]
fn reshape_allowzero_and_bad_shapes() {
    let n = node("Reshape", &["x", "s"], &["y"], vec![int("allowzero", 1)]);
    let (o, _) = run(
        &n,
        14,
        vec![
            Arg::Input("x", vec![0, 3], vec![]),
            Arg::Const("s", vec![2], vec![3.0, 0.0]),
        ],
    )
    .unwrap();
    assert_eq!(o[0].0, vec![3, 0]);
    let n = node("Reshape", &["x", "s"], &["y"], vec![]);
    let r = run(
        &n,
        13,
        vec![
            Arg::Input("x", vec![2, 3], iota(&[6])),
            Arg::Const("s", vec![1], vec![4.0]),
        ],
    );
    assert!(matches!(
        r,
        Err(OnnxError::Quant(QuantError::BadNode { .. }))
    ));
    let r = run(
        &n,
        13,
        vec![
            Arg::Input("x", vec![2, 3], iota(&[6])),
            Arg::Input("s", vec![1], vec![6.0]),
        ],
    );
    assert!(matches!(
        r,
        Err(OnnxError::Quant(QuantError::UnsupportedOp { .. }))
    ));
}

#[test]
fn flatten_transpose_squeeze_unsqueeze() {
    let x = || Arg::Input("x", vec![2, 1, 3], iota(&[2, 1, 3]));
    let (o, _) = run(
        &node("Flatten", &["x"], &["y"], vec![int("axis", 0)]),
        13,
        vec![x()],
    )
    .unwrap();
    assert_eq!(o[0].0, vec![1, 6]);
    let (o, _) = run(
        &node("Flatten", &["x"], &["y"], vec![int("axis", -1)]),
        13,
        vec![x()],
    )
    .unwrap();
    assert_eq!(o[0].0, vec![2, 3]);
    let (o, _) = run(&node("Transpose", &["x"], &["y"], vec![]), 13, vec![x()]).unwrap();
    assert_eq!(o[0], (vec![3, 1, 2], vec![0.0, 3.0, 1.0, 4.0, 2.0, 5.0]));
    let (o, _) = run(&node("Squeeze", &["x"], &["y"], vec![]), 13, vec![x()]).unwrap();
    assert_eq!(o[0].0, vec![2, 3]);
    let (o, _) = run(
        &node("Squeeze", &["x"], &["y"], vec![ints("axes", &[-2])]),
        11,
        vec![x()],
    )
    .unwrap();
    assert_eq!(o[0].0, vec![2, 3]);
    let r = run(
        &node("Squeeze", &["x", "a"], &["y"], vec![]),
        13,
        vec![x(), Arg::Const("a", vec![1], vec![0.0])],
    );
    assert!(matches!(
        r,
        Err(OnnxError::Quant(QuantError::BadNode { .. }))
    ));
    let (o, _) = run(
        &node("Unsqueeze", &["x", "a"], &["y"], vec![]),
        13,
        vec![x(), Arg::Const("a", vec![2], vec![-1.0, 0.0])],
    )
    .unwrap();
    assert_eq!(o[0].0, vec![1, 2, 1, 3, 1]);
    let (o, _) = run(
        &node("Unsqueeze", &["x"], &["y"], vec![ints("axes", &[4, 1])]),
        11,
        vec![x()],
    )
    .unwrap();
    assert_eq!(o[0].0, vec![2, 1, 1, 3, 1]);
}

#[test]
fn concat_mixed_inputs_is_one_move() {
    let n = node("Concat", &["a", "b", "c"], &["y"], vec![int("axis", -1)]);
    let args = vec![
        Arg::Input("a", vec![2, 1], vec![1.0, 2.0]),
        Arg::Const("b", vec![2, 0], vec![]),
        Arg::Const("c", vec![2, 2], vec![7.0, 8.0, 9.0, 10.0]),
    ];
    let (o, g) = run(&n, 13, args).unwrap();
    assert_eq!(o[0], (vec![2, 3], vec![1.0, 7.0, 8.0, 2.0, 9.0, 10.0]));
    assert_eq!(g.nodes.len(), 1);
    let r = run(
        &n,
        13,
        vec![
            Arg::Input("a", vec![2, 1], vec![1.0, 2.0]),
            Arg::Const("b", vec![3, 1], vec![0.0; 3]),
            Arg::Const("c", vec![2, 1], vec![0.0; 2]),
        ],
    );
    assert!(matches!(
        r,
        Err(OnnxError::Quant(QuantError::BadNode { .. }))
    ));
}

#[test]
fn slice_negative_steps_and_clamping() {
    let x = || Arg::Input("x", vec![3, 5], iota(&[3, 5]));
    let c = |n: &'static str, v: Vec<f64>| Arg::Const(n, vec![v.len()], v);
    let n = node("Slice", &["x", "s", "e", "a", "t"], &["y"], vec![]);
    // Axis 1 backwards from the end (clamped) to before index 0 (end −∞), step −2: 4, 2, 0.
    // Axis 0 from −2 to 1000 (clamped to 3).
    let (o, _) = run(
        &n,
        13,
        vec![
            x(),
            c("s", vec![1e19, -2.0]),
            c("e", vec![-1e19, 1000.0]),
            c("a", vec![1.0, 0.0]),
            c("t", vec![-2.0, 1.0]),
        ],
    )
    .unwrap();
    assert_eq!(o[0], (vec![2, 3], vec![9.0, 7.0, 5.0, 14.0, 12.0, 10.0]));
    // Empty when the range runs the wrong way.
    let (o, _) = run(
        &n,
        13,
        vec![
            x(),
            c("s", vec![1.0]),
            c("e", vec![3.0]),
            c("a", vec![1.0]),
            c("t", vec![-1.0]),
        ],
    )
    .unwrap();
    assert_eq!(o[0].0, vec![3, 0]);
    // Opset 1 attributes.
    let n = node(
        "Slice",
        &["x"],
        &["y"],
        vec![
            ints("starts", &[1]),
            ints("ends", &[-1]),
            ints("axes", &[1]),
        ],
    );
    let (o, _) = run(&n, 9, vec![x()]).unwrap();
    assert_eq!(
        o[0],
        (
            vec![3, 3],
            vec![1.0, 2.0, 3.0, 6.0, 7.0, 8.0, 11.0, 12.0, 13.0]
        )
    );
    let n = node("Slice", &["x", "s", "e", "a", "t"], &["y"], vec![]);
    let r = run(
        &n,
        13,
        vec![
            x(),
            c("s", vec![0.0]),
            c("e", vec![1.0]),
            c("a", vec![0.0]),
            c("t", vec![0.0]),
        ],
    );
    assert!(matches!(
        r,
        Err(OnnxError::Quant(QuantError::BadNode { .. }))
    ));
}

#[test]
fn gather_constant_and_run_time_indices() {
    let data = || Arg::Input("d", vec![3, 2], iota(&[3, 2]));
    let n = node("Gather", &["d", "i"], &["y"], vec![]);
    let (o, g) = run(
        &n,
        13,
        vec![
            data(),
            Arg::Const("i", vec![2, 2], vec![2.0, -3.0, 1.0, 1.0]),
        ],
    )
    .unwrap();
    assert_eq!(
        o[0],
        (vec![2, 2, 2], vec![4.0, 5.0, 0.0, 1.0, 2.0, 3.0, 2.0, 3.0])
    );
    assert_eq!(moves(&g), 1);
    let r = run(&n, 13, vec![data(), Arg::Const("i", vec![1], vec![3.0])]);
    assert!(matches!(
        r,
        Err(OnnxError::Quant(QuantError::BadNode { .. }))
    ));
    // Embedding lookup: constant table, run-time ids.
    let n = node("Gather", &["d", "i"], &["y"], vec![int("axis", 0)]);
    let (o, g) = run(
        &n,
        13,
        vec![
            Arg::Const("d", vec![3, 2], iota(&[6])),
            Arg::Input("i", vec![2], vec![2.0, 0.0]),
        ],
    )
    .unwrap();
    assert_eq!(o[0], (vec![2, 2], vec![4.0, 5.0, 0.0, 1.0]));
    assert!(matches!(g.nodes[0].op, FOp::Gather { axis: 0 }));
    // Scalar index along axis 1.
    let n = node("Gather", &["d", "i"], &["y"], vec![int("axis", 1)]);
    let (o, _) = run(&n, 13, vec![data(), Arg::Const("i", vec![], vec![-1.0])]).unwrap();
    assert_eq!(o[0], (vec![3], vec![1.0, 3.0, 5.0]));
}

#[test]
fn gather_elements_constant_and_run_time_indices() {
    let n = node("GatherElements", &["d", "i"], &["y"], vec![int("axis", 1)]);
    let idx = vec![1.0, 0.0, -1.0, 0.0];
    let (o, _) = run(
        &n,
        13,
        vec![
            Arg::Input("d", vec![2, 2], vec![1.0, 2.0, 3.0, 4.0]),
            Arg::Const("i", vec![2, 2], idx.clone()),
        ],
    )
    .unwrap();
    assert_eq!(o[0], (vec![2, 2], vec![2.0, 1.0, 4.0, 3.0]));
    let (o, g) = run(
        &n,
        13,
        vec![
            Arg::Input("d", vec![2, 2], vec![1.0, 2.0, 3.0, 4.0]),
            Arg::Input("i", vec![2, 2], idx),
        ],
    )
    .unwrap();
    assert_eq!(o[0], (vec![2, 2], vec![2.0, 1.0, 4.0, 3.0]));
    assert!(g
        .nodes
        .iter()
        .any(|n| matches!(n.op, FOp::Gather { axis: 1 })));
}

#[test]
fn pad_modes() {
    let x = || Arg::Input("x", vec![1, 3], vec![1.0, 2.0, 3.0]);
    let pads = || Arg::Const("p", vec![4], vec![0.0, 4.0, 0.0, 2.0]);
    let pad = |mode: &str| node("Pad", &["x", "p", "v"], &["y"], vec![string("mode", mode)]);
    let (o, _) = run(
        &pad("constant"),
        13,
        vec![x(), pads(), Arg::Const("v", vec![], vec![9.0])],
    )
    .unwrap();
    assert_eq!(
        o[0],
        (
            vec![1, 9],
            vec![9.0, 9.0, 9.0, 9.0, 1.0, 2.0, 3.0, 9.0, 9.0]
        )
    );
    for (mode, opset, want) in [
        ("reflect", 13, [1.0, 2.0, 3.0, 2.0, 1.0, 2.0, 3.0, 2.0, 1.0]),
        ("edge", 13, [1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 3.0, 3.0, 3.0]),
        ("wrap", 19, [3.0, 1.0, 2.0, 3.0, 1.0, 2.0, 3.0, 1.0, 2.0]),
    ] {
        let zero = Arg::Const("v", vec![], vec![0.0]);
        let (o, _) = run(&pad(mode), opset, vec![x(), pads(), zero]).unwrap();
        assert_eq!(o[0].1, want, "{mode}");
    }
    // Opset 2 attributes, negative pads crop.
    let n = node(
        "Pad",
        &["x"],
        &["y"],
        vec![ints("pads", &[0, -1, 1, 1]), float("value", 5.0)],
    );
    let (o, _) = run(&n, 2, vec![x()]).unwrap();
    assert_eq!(o[0], (vec![2, 3], vec![2.0, 3.0, 5.0, 5.0, 5.0, 5.0]));
    // Opset 18 axes input.
    let n = node("Pad", &["x", "p", "", "a"], &["y"], vec![]);
    let (o, _) = run(
        &n,
        18,
        vec![
            x(),
            Arg::Const("p", vec![2], vec![1.0, 0.0]),
            Arg::Const("a", vec![1], vec![-1.0]),
        ],
    )
    .unwrap();
    assert_eq!(o[0], (vec![1, 4], vec![0.0, 1.0, 2.0, 3.0]));
    let n = node("Pad", &["x", "p"], &["y"], vec![string("mode", "mirror")]);
    assert!(matches!(
        run(&n, 13, vec![x(), pads()]),
        Err(OnnxError::Quant(QuantError::UnsupportedOp { .. }))
    ));
}

#[test]
fn expand_tile_where() {
    let n = node("Expand", &["x", "s"], &["y"], vec![]);
    let (o, _) = run(
        &n,
        13,
        vec![
            Arg::Input("x", vec![2, 1], vec![1.0, 2.0]),
            Arg::Const("s", vec![3], vec![2.0, 1.0, 3.0]),
        ],
    )
    .unwrap();
    assert_eq!(
        o[0],
        (
            vec![2, 2, 3],
            vec![1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 1.0, 1.0, 1.0, 2.0, 2.0, 2.0]
        )
    );
    let n = node("Tile", &["x", "r"], &["y"], vec![]);
    let (o, _) = run(
        &n,
        13,
        vec![
            Arg::Input("x", vec![1, 2], vec![1.0, 2.0]),
            Arg::Const("r", vec![2], vec![2.0, 2.0]),
        ],
    )
    .unwrap();
    assert_eq!(
        o[0],
        (vec![2, 4], vec![1.0, 2.0, 1.0, 2.0, 1.0, 2.0, 1.0, 2.0])
    );
    let n = node("Where", &["c", "x", "y"], &["z"], vec![]);
    let args = vec![
        Arg::Const("c", vec![2], vec![1.0, 0.0]),
        Arg::Input("x", vec![2, 2], vec![1.0, 2.0, 3.0, 4.0]),
        Arg::Const("y", vec![], vec![-9.0]),
    ];
    let (o, g) = run(&n, 16, args).unwrap();
    assert_eq!(o[0], (vec![2, 2], vec![1.0, -9.0, 3.0, -9.0]));
    assert_eq!(g.nodes.len(), 1);
    // A run-time condition selects arithmetically: y + c·(x − y).
    let args = vec![
        Arg::Input("c", vec![2], vec![1.0, 0.0]),
        Arg::Input("x", vec![2], vec![1.0, 2.0]),
        Arg::Const("y", vec![], vec![-5.0]),
    ];
    let (o, _) = run(&n, 16, args).unwrap();
    assert_eq!(o[0], (vec![2], vec![1.0, -5.0]));
    // ... which is wrong for an infinite branch (an attention mask built at run time): refused
    // by name instead of computed wrong (0·∞, ∞ − ∞).
    let args = vec![
        Arg::Input("c", vec![2], vec![1.0, 0.0]),
        Arg::Const("x", vec![], vec![0.0]),
        Arg::Const("y", vec![], vec![f64::NEG_INFINITY]),
    ];
    let e = run(&n, 16, args).err().unwrap().to_string();
    assert!(e.contains("unsupported") && e.contains("infinite Y"), "{e}");
}

#[test]
fn split_sizes() {
    let x = || Arg::Input("x", vec![7], iota(&[7]));
    let n = node(
        "Split",
        &["x"],
        &["a", "b", "c", "d"],
        vec![int("num_outputs", 4)],
    );
    let (o, _) = run(&n, 18, vec![x()]).unwrap();
    let shapes: Vec<_> = o.iter().map(|(s, _)| s[0]).collect();
    assert_eq!(shapes, vec![2, 2, 2, 1]);
    assert_eq!(o[3].1, vec![6.0]);
    let n = node("Split", &["x"], &["a", "b"], vec![ints("split", &[3, 4])]);
    let (o, _) = run(&n, 11, vec![x()]).unwrap();
    assert_eq!(o[1].1, vec![3.0, 4.0, 5.0, 6.0]);
    let n = node("Split", &["x", "s"], &["a", "b", "c"], vec![]);
    let (o, _) = run(
        &n,
        13,
        vec![x(), Arg::Const("s", vec![3], vec![0.0, 7.0, 0.0])],
    )
    .unwrap();
    assert_eq!(
        (o[0].0.clone(), o[1].1.len(), o[2].0.clone()),
        (vec![0], 7, vec![0])
    );
    let n = node("Split", &["x"], &["a", "b"], vec![]);
    assert!(matches!(
        run(&n, 13, vec![x()]),
        Err(OnnxError::Quant(QuantError::BadNode { .. }))
    ));
}

#[test]
fn shape_size_and_constants_fold() {
    let x = || Arg::Input("x", vec![2, 3, 4], iota(&[2, 3, 4]));
    let (o, g) = run(
        &node("Shape", &["x"], &["y"], vec![int("start", -2)]),
        15,
        vec![x()],
    )
    .unwrap();
    assert_eq!(o[0], (vec![2], vec![3.0, 4.0]));
    assert!(g.nodes.is_empty());
    let (o, _) = run(
        &node(
            "Shape",
            &["x"],
            &["y"],
            vec![int("start", 2), int("end", 1)],
        ),
        15,
        vec![x()],
    )
    .unwrap();
    assert_eq!(o[0].0, vec![0]);
    let (o, _) = run(&node("Size", &["x"], &["y"], vec![]), 13, vec![x()]).unwrap();
    assert_eq!(o[0], (vec![], vec![24.0]));
    let value = TensorProto {
        dims: vec![1],
        data_type: 1,
        float_data: vec![1.5],
        ..TensorProto::default()
    };
    let attr = AttributeProto {
        name: "value".into(),
        t: Some(value),
        ..AttributeProto::default()
    };
    let (o, _) = run(
        &node("ConstantOfShape", &["s"], &["y"], vec![attr]),
        13,
        vec![x(), Arg::Const("s", vec![2], vec![2.0, 1.0])],
    )
    .unwrap();
    assert_eq!(o[0], (vec![2, 1], vec![1.5, 1.5]));
    let args = vec![
        x(),
        Arg::Const("a", vec![], vec![10.0]),
        Arg::Const("b", vec![], vec![4.0]),
        Arg::Const("c", vec![], vec![-3.0]),
    ];
    let (o, _) = run(&node("Range", &["a", "b", "c"], &["y"], vec![]), 13, args).unwrap();
    assert_eq!(o[0], (vec![2], vec![10.0, 7.0]));
    let (o, _) = run(
        &node("Constant", &[], &["y"], vec![ints("value_ints", &[3, -1])]),
        13,
        vec![x()],
    )
    .unwrap();
    assert_eq!(o[0], (vec![2], vec![3.0, -1.0]));
    let (o, _) = run(
        &node("Constant", &[], &["y"], vec![float("value_float", 0.25)]),
        13,
        vec![x()],
    )
    .unwrap();
    assert_eq!(o[0], (vec![], vec![0.25]));
}

#[test]
fn cast_identity_dropout() {
    let (o, _) = run(
        &node("Cast", &["c"], &["y"], vec![int("to", 7)]),
        13,
        vec![Arg::Const("c", vec![3], vec![-1.7, 2.9, 0.2])],
    )
    .unwrap();
    assert_eq!(o[0].1, vec![-1.0, 2.0, 0.0]);
    let (o, _) = run(
        &node("Cast", &["c"], &["y"], vec![int("to", 10)]),
        13,
        vec![Arg::Const("c", vec![2], vec![0.1, 70000.0])],
    )
    .unwrap();
    assert_eq!(o[0].1, vec![0.0999755859375, f64::INFINITY]);
    let (o, _) = run(
        &node("Cast", &["c"], &["y"], vec![int("to", 16)]),
        13,
        vec![Arg::Const("c", vec![1], vec![1.003_906_25 + 1e-6])],
    )
    .unwrap();
    assert_eq!(o[0].1, vec![1.0078125]);
    let r = run(
        &node("Cast", &["x"], &["y"], vec![int("to", 12)]),
        13,
        vec![Arg::Input("x", vec![2], vec![0.5, 1.0])],
    );
    assert!(matches!(
        r,
        Err(OnnxError::Quant(QuantError::UnsupportedOp { .. }))
    ));
    let (o, g) = run(
        &node("Cast", &["x"], &["y"], vec![int("to", 1)]),
        13,
        vec![Arg::Input("x", vec![2], vec![0.5, 1.0])],
    )
    .unwrap();
    assert_eq!(o[0].1, vec![0.5, 1.0]);
    assert!(g.nodes.is_empty());
    let (_, g) = run(
        &node("Identity", &["x"], &["y"], vec![]),
        13,
        vec![Arg::Input("x", vec![2], vec![0.5, 1.0])],
    )
    .unwrap();
    assert!(g.nodes.is_empty());
    let (o, _) = run(
        &node("Dropout", &["x"], &["y"], vec![float("ratio", 0.3)]),
        10,
        vec![Arg::Input("x", vec![2], vec![0.5, 1.0])],
    )
    .unwrap();
    assert_eq!(o[0].1, vec![0.5, 1.0]);
    let r = run(
        &node("Dropout", &["x"], &["y", "m"], vec![]),
        13,
        vec![Arg::Input("x", vec![2], vec![0.5, 1.0])],
    );
    assert!(matches!(
        r,
        Err(OnnxError::Quant(QuantError::UnsupportedOp { .. }))
    ));
}

#[test]
fn cast_of_integer_input_to_integer_is_identity() {
    let mut b = verinfer_quant::builder::Builder::new("t");
    let x = b.add_input("x", vec![3], true);
    let n = node("Cast", &["x"], &["y"], vec![int("to", 7)]);
    b.begin_node("c", "Cast");
    let outs = crate::lower::lower_node(&mut b, &n, 13).unwrap();
    assert_eq!(outs, vec![x]);
    assert!(matches!(outs[0], FRef::Input(0)));
}

#[test]
fn depth_to_space_inverts_space_to_depth() {
    let shape = vec![1, 8, 2, 3];
    for mode in ["DCR", "CRD"] {
        let d2s = node(
            "DepthToSpace",
            &["x"],
            &["y"],
            vec![int("blocksize", 2), string("mode", mode)],
        );
        let (o, _) = run(&d2s, 13, vec![Arg::Input("x", shape.clone(), iota(&shape))]).unwrap();
        assert_eq!(o[0].0, vec![1, 2, 4, 6]);
        let s2d = node(
            "SpaceToDepth",
            &["x"],
            &["y"],
            vec![int("blocksize", 2), string("mode", mode)],
        );
        let (back, _) = run(
            &s2d,
            13,
            vec![Arg::Input("x", o[0].0.clone(), o[0].1.clone())],
        )
        .unwrap();
        assert_eq!(back[0], (shape.clone(), iota(&shape)));
    }
    // DCR with one output channel: the block is read from the channels in order.
    let d2s = node("DepthToSpace", &["x"], &["y"], vec![int("blocksize", 2)]);
    let (o, _) = run(
        &d2s,
        13,
        vec![Arg::Input(
            "x",
            vec![1, 4, 1, 1],
            vec![10.0, 11.0, 12.0, 13.0],
        )],
    )
    .unwrap();
    assert_eq!(o[0], (vec![1, 1, 2, 2], vec![10.0, 11.0, 12.0, 13.0]));
}

#[test]
fn scalars_and_bad_axes_are_errors_not_panics() {
    let s = || Arg::Input("x", vec![], vec![1.0]);
    let c = |n: &'static str, v: Vec<f64>| Arg::Const(n, vec![v.len()], v);
    let cases = vec![
        (
            node("Squeeze", &["x", "a"], &["y"], vec![]),
            vec![s(), c("a", vec![0.0])],
        ),
        (
            node("Slice", &["x", "s", "e", "a"], &["y"], vec![]),
            vec![s(), c("s", vec![0.0]), c("e", vec![1.0]), c("a", vec![0.0])],
        ),
        (
            node("Pad", &["x", "p", "", "a"], &["y"], vec![]),
            vec![s(), c("p", vec![1.0, 1.0]), c("a", vec![0.0])],
        ),
        (
            node("Concat", &["x", "x"], &["y"], vec![int("axis", 0)]),
            vec![s()],
        ),
        (
            node("Gather", &["x", "i"], &["y"], vec![]),
            vec![s(), c("i", vec![0.0])],
        ),
        (node("Split", &["x"], &["y", "z"], vec![]), vec![s()]),
        (
            node("Transpose", &["x"], &["y"], vec![ints("perm", &[0])]),
            vec![s()],
        ),
        (
            node("Flatten", &["x"], &["y"], vec![int("axis", 2)]),
            vec![s()],
        ),
        (
            node("Unsqueeze", &["x"], &["y"], vec![ints("axes", &[0, 0])]),
            vec![s()],
        ),
        (
            node("DepthToSpace", &["x"], &["y"], vec![int("blocksize", 2)]),
            vec![s()],
        ),
        (
            node("Tile", &["x", "r"], &["y"], vec![]),
            vec![s(), c("r", vec![2.0])],
        ),
        (
            node("Expand", &["x", "s"], &["y"], vec![]),
            vec![s(), c("s", vec![-2.0])],
        ),
        (
            node("Range", &["a", "b", "c"], &["y"], vec![]),
            vec![
                s(),
                Arg::Const("a", vec![], vec![0.0]),
                Arg::Const("b", vec![], vec![1.0]),
                Arg::Const("c", vec![], vec![0.0]),
            ],
        ),
    ];
    for (n, args) in cases {
        let r = run(&n, 13, args);
        assert!(
            matches!(
                r,
                Err(OnnxError::Quant(QuantError::BadNode { .. })
                    | OnnxError::Quant(QuantError::UnsupportedOp { .. }))
            ),
            "{}: {r:?}",
            n.op_type
        );
    }
}

/// Python's `x[start:end:step]` on a list, written the way CPython resolves slice bounds,
/// except for the one case where the ONNX spec differs from Python (and from ONNX's numpy
/// reference): with a negative step, a start before the beginning clamps to 0, not −1.
fn python_slice(x: &[f64], start: i64, end: i64, step: i64) -> Vec<f64> {
    let len = x.len() as i64;
    if len == 0 {
        return vec![];
    }
    let fix = |v: i64, lo: i64, hi: i64| {
        let v = if v < 0 { v + len } else { v };
        if v < lo {
            lo
        } else if v > hi {
            hi
        } else {
            v
        }
    };
    let (lo, hi) = if step > 0 { (0, len) } else { (-1, len - 1) };
    let (mut i, end) = (fix(start, lo.max(0), hi), fix(end, lo, hi));
    let mut out = vec![];
    while (step > 0 && i < end) || (step < 0 && i > end) {
        out.push(x[i as usize]);
        i += step;
    }
    out
}

proptest::proptest! {
    #[test]
    fn slice_matches_python(len in 0usize..7, start in -10i64..10, end in -10i64..10, step in prop_step()) {
        let x = iota(&[len]);
        let n = node("Slice", &["x", "s", "e", "a", "t"], &["y"], vec![]);
        #[allow(clippy::cast_precision_loss)]
        let c = |n: &'static str, v: i64| Arg::Const(n, vec![1], vec![v as f64]);
        let (o, _) = run(&n, 13, vec![Arg::Input("x", vec![len], x.clone()), c("s", start), c("e", end), c("a", 0), c("t", step)]).unwrap();
        let want = python_slice(&x, start, end, step);
        proptest::prop_assert_eq!(o[0].0.clone(), vec![want.len()]);
        proptest::prop_assert_eq!(o[0].1.clone(), want);
    }
}

fn prop_step() -> impl proptest::strategy::Strategy<Value = i64> {
    proptest::prop_oneof![-3i64..0, 1i64..4]
}

#[test]
fn trilu_keeps_a_triangle_from_diagonal_k() {
    let x = || Arg::Input("x", vec![2, 3, 3], (1..=18).map(f64::from).collect());
    let k = |v: f64| Arg::Const("k", vec![1], vec![v]);
    let tri = |upper: i64| node("Trilu", &["x", "k"], &["y"], vec![int("upper", upper)]);
    // Upper triangle from the diagonal above the main one, in both matrices of the batch.
    let (o, _) = run(&tri(1), 14, vec![x(), k(1.0)]).unwrap();
    assert_eq!(
        o[0].1,
        [0., 2., 3., 0., 0., 6., 0., 0., 0., 0., 11., 12., 0., 0., 15., 0., 0., 0.]
    );
    // Lower triangle down to the diagonal below the main one.
    let (o, _) = run(&tri(0), 14, vec![x(), k(-1.0)]).unwrap();
    assert_eq!(
        o[0].1,
        [0., 0., 0., 4., 0., 0., 7., 8., 0., 0., 0., 0., 13., 0., 0., 16., 17., 0.]
    );
    // No k: the main diagonal; a vector is refused by name.
    let (o, _) = run(&node("Trilu", &["x"], &["y"], vec![]), 14, vec![x()]).unwrap();
    assert_eq!(&o[0].1[..9], [1., 2., 3., 0., 5., 6., 0., 0., 9.]);
    let e = run(
        &node("Trilu", &["x"], &["y"], vec![]),
        14,
        vec![Arg::Input("x", vec![3], vec![1., 2., 3.])],
    )
    .unwrap_err();
    assert!(e.to_string().contains("at least 2 dimensions"), "{e}");
}

//! Unit tests of Resize/Upsample, GatherND, OneHot and the scatters (the ops whose index maps are
//! computed from attribute geometry or constant indices rather than copied).

use verinfer_quant::fgraph::FOp;

use super::testutil::{int, iota, node, run, string, Arg};

/// Unsupported Resize settings and run-time scales are typed errors naming what is missing.
#[test]
fn resize_rejects_what_it_cannot_lower() {
    let x = || Arg::Input("x", vec![1, 1, 2, 2], iota(&[1, 1, 2, 2]));
    let scales = || Arg::Const("s", vec![4], vec![1.0, 1.0, 2.0, 2.0]);
    for (attrs, what) in [
        (vec![string("mode", "area")], "mode 'area'"),
        (
            vec![string("coordinate_transformation_mode", "bogus")],
            "coordinate_transformation_mode",
        ),
    ] {
        let n = node("Resize", &["x", "", "s"], &["y"], attrs);
        let e = run(&n, 13, vec![x(), scales()]).unwrap_err().to_string();
        assert!(e.contains("unsupported") && e.contains(what), "{e}");
    }
    let n = node("Resize", &["x", "", "s"], &["y"], vec![]);
    let e = run(
        &n,
        13,
        vec![x(), Arg::Input("s", vec![4], vec![1.0, 1.0, 2.0, 2.0])],
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("scales must be a constant"), "{e}");
    let n = node("Resize", &["x", "", "", "z"], &["y"], vec![]);
    let e = run(&n, 13, vec![x(), Arg::Const("z", vec![2], vec![4.0, 4.0])])
        .unwrap_err()
        .to_string();
    assert!(e.contains("sizes has 2 values for 4 axes"), "{e}");
}

/// Nearest is one `Move`; `Upsample` (opset 9) repeats each element `scale` times.
#[test]
fn upsample_nearest_repeats_elements() {
    let n = node("Upsample", &["x", "s"], &["y"], vec![]);
    let (outs, g) = run(
        &n,
        9,
        vec![
            Arg::Input("x", vec![1, 1, 2, 2], iota(&[1, 1, 2, 2])),
            Arg::Const("s", vec![4], vec![1.0, 1.0, 2.0, 3.0]),
        ],
    )
    .unwrap();
    assert_eq!(g.nodes.len(), 1);
    assert!(matches!(g.nodes[0].op, FOp::Move { .. }));
    assert_eq!(outs[0].0, vec![1, 1, 4, 6]);
    assert_eq!(
        outs[0].1,
        [
            0., 0., 0., 1., 1., 1., 0., 0., 0., 1., 1., 1., 2., 2., 2., 3., 3., 3., 2., 2., 2., 3.,
            3., 3.
        ]
    );
}

/// GatherND needs constant indices and OneHot a constant depth: typed "unsupported" errors.
#[test]
fn gathernd_and_onehot_reject_run_time_structure() {
    let n = node("GatherND", &["x", "i"], &["y"], vec![]);
    let e = run(
        &n,
        13,
        vec![
            Arg::Input("x", vec![2, 2], iota(&[2, 2])),
            Arg::Input("i", vec![1, 2], vec![0.0, 1.0]),
        ],
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("unsupported") && e.contains("run time"), "{e}");
    let n = node("OneHot", &["x", "d", "v"], &["y"], vec![]);
    let e = run(
        &n,
        11,
        vec![
            Arg::Input("x", vec![2], vec![0.0, 1.0]),
            Arg::Input("d", vec![], vec![3.0]),
            Arg::Const("v", vec![2], vec![0.0, 1.0]),
        ],
    )
    .unwrap_err()
    .to_string();
    assert!(e.contains("depth must be a constant"), "{e}");
}

/// GatherND with batch_dims = 1 picks one row per batch element.
#[test]
fn gathernd_batch_dims_one() {
    let n = node("GatherND", &["x", "i"], &["y"], vec![int("batch_dims", 1)]);
    let (outs, _) = run(
        &n,
        13,
        vec![
            Arg::Input("x", vec![2, 2, 2], iota(&[2, 2, 2])),
            Arg::Const("i", vec![2, 1], vec![1.0, 0.0]),
        ],
    )
    .unwrap();
    assert_eq!(outs[0].0, vec![2, 2]);
    assert_eq!(outs[0].1, vec![2.0, 3.0, 4.0, 5.0]);
}

#[test]
fn scatter_elements_and_nd_write_or_add_at_constant_indices() {
    let data = || Arg::Input("d", vec![2, 3], vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]);
    let upd = |shape: Vec<usize>, v: Vec<f64>| Arg::Input("u", shape, v);
    let scatter = |op: &str, attrs, args| run(&node(op, &["d", "i", "u"], &["y"], attrs), 18, args);
    // axis 1, a negative index; the later of two updates to one position wins.
    let out = scatter(
        "ScatterElements",
        vec![int("axis", 1)],
        vec![
            data(),
            Arg::Const("i", vec![2, 2], vec![-1.0, 0.0, 1.0, 1.0]),
            upd(vec![2, 2], vec![10.0, 20.0, 30.0, 40.0]),
        ],
    )
    .unwrap()
    .0;
    assert_eq!(out[0].1, vec![20.0, 2.0, 10.0, 4.0, 40.0, 6.0]);
    // reduction add with a shared position sums both updates.
    let out = scatter(
        "ScatterElements",
        vec![int("axis", 1), string("reduction", "add")],
        vec![
            data(),
            Arg::Const("i", vec![1, 2], vec![2.0, 2.0]),
            upd(vec![1, 2], vec![0.5, 0.25]),
        ],
    )
    .unwrap()
    .0;
    assert_eq!(out[0].1, vec![1.0, 2.0, 3.75, 4.0, 5.0, 6.0]);
    // ScatterND replacing row 1, and adding to single elements.
    let out = scatter(
        "ScatterND",
        vec![],
        vec![
            data(),
            Arg::Const("i", vec![1, 1], vec![1.0]),
            upd(vec![1, 3], vec![7.0, 8.0, 9.0]),
        ],
    )
    .unwrap()
    .0;
    assert_eq!(out[0].1, vec![1.0, 2.0, 3.0, 7.0, 8.0, 9.0]);
    let out = scatter(
        "ScatterND",
        vec![string("reduction", "add")],
        vec![
            data(),
            Arg::Const("i", vec![2, 2], vec![0.0, 1.0, 1.0, 2.0]),
            upd(vec![2], vec![10.0, 20.0]),
        ],
    )
    .unwrap()
    .0;
    assert_eq!(out[0].1, vec![1.0, 12.0, 3.0, 4.0, 5.0, 26.0]);
    // Unsupported reductions and run-time indices are refused by name.
    let err = scatter(
        "ScatterND",
        vec![string("reduction", "mul")],
        vec![
            data(),
            Arg::Const("i", vec![1, 1], vec![1.0]),
            upd(vec![1, 3], vec![7.0, 8.0, 9.0]),
        ],
    )
    .unwrap_err();
    assert!(format!("{err}").contains("reduction 'mul'"), "{err}");
    let err = scatter(
        "ScatterElements",
        vec![],
        vec![
            data(),
            Arg::Input("i", vec![1, 1], vec![0.0]),
            upd(vec![1, 1], vec![7.0]),
        ],
    )
    .unwrap_err();
    assert!(format!("{err}").contains("indices"), "{err}");
}

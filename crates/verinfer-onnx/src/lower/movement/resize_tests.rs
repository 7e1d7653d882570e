//! Unit tests of Resize/Upsample, GatherND and OneHot (the ops whose index maps are computed
//! from attribute geometry rather than copied).

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

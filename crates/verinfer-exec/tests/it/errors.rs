//! Typed errors instead of panics: bad inputs, invalid graphs, foreign traces; and the graphs
//! the reference cannot evaluate are rejected up front by the validator.

use verinfer_exec::{ExecError, Plan};
use verinfer_ir::{Binary, BinaryKind, Div, IrError, Op, Requant};
use verinfer_testing::maps::MatMul;
use verinfer_testing::{requant, GraphBuilder};

fn rq(bits: u32) -> Requant {
    requant(1, 0, bits)
}

/// `x + y` of an `x` of 3 and a `y` of `y_len` 8-bit values.
fn add_graph(y_len: usize) -> verinfer_ir::Graph {
    let mut b = GraphBuilder::new();
    let x = b.input(&[3], 8);
    let y = b.input(&[y_len], 8);
    b.node(
        Op::Binary(Binary {
            kind: BinaryKind::Add,
            a_mult: 1,
            b_mult: 1,
            requant: rq(9),
        }),
        vec![x, y],
        &[3],
        9,
    );
    b.finish()
}

#[test]
fn bad_inputs_are_typed_errors() {
    let g = add_graph(3);
    let plan = Plan::for_graph(g.clone()).unwrap();
    let cases = [
        vec![vec![1, 2, 3]],
        vec![vec![1, 2, 3], vec![1, 2]],
        vec![vec![1, 2, 3], vec![1, 2, 128]],
    ];
    for inputs in cases {
        assert!(matches!(
            plan.run(&inputs),
            Err(ExecError::Ir(
                IrError::BadInput { .. } | IrError::OutOfBound { .. }
            ))
        ));
    }
    let t = plan.run(&[vec![127, -128, 0], vec![127, -128, 5]]).unwrap();
    assert_eq!(plan.outputs(&t).unwrap(), vec![&[254, -256, 5][..]]);
}

#[test]
fn trace_of_another_graph_is_rejected() {
    let g = add_graph(3);
    let plan = Plan::for_graph(g.clone()).unwrap();
    let mut b = GraphBuilder::new();
    b.input(&[3], 8);
    let other = b.finish();
    let t = Plan::for_graph(other.clone())
        .unwrap()
        .run(&[vec![0, 0, 0]])
        .unwrap();
    assert!(matches!(
        plan.outputs(&t),
        Err(ExecError::TraceMismatch {
            expected: 3,
            got: 1
        })
    ));
}

#[test]
fn invalid_graph_is_rejected_at_plan_time() {
    assert!(matches!(
        Plan::for_graph(add_graph(4)),
        Err(ExecError::Ir(IrError::BadAttribute { .. }))
    ));
}

/// Graphs on which the reference fails with an overflow must not validate (the fast path
/// relies on the validator's proof instead of checking every operation).
#[test]
fn graphs_the_reference_cannot_evaluate_do_not_validate() {
    // An all-zero bias shifted by 62: the reference's initial accumulator overflows.
    let mm = MatMul::plain(1, 1, 1);
    let mut b = GraphBuilder::new();
    let x = b.input(&[1, 1], 8);
    let w = b.param(&[1, 1], 8, vec![1]);
    let bias = b.param(&[1], 8, vec![0]);
    b.node(
        Op::Contract(mm.contract(rq(8), Some(62))),
        vec![x, w, bias],
        &[1, 1],
        8,
    );
    assert!(Plan::for_graph(b.finish()).is_err());

    // `a · a_mult` overflows even though `b` is all zeros.
    let mut b = GraphBuilder::new();
    let x = b.input(&[1], 8);
    let zero = b.param(&[1], 8, vec![0]);
    let op = Binary {
        kind: BinaryKind::Mul,
        a_mult: i64::MAX,
        b_mult: 1,
        requant: rq(8),
    };
    b.node(Op::Binary(op), vec![x, zero], &[1], 8);
    assert!(Plan::for_graph(b.finish()).is_err());

    // An all-zero numerator shifted by 62.
    let mut b = GraphBuilder::new();
    let y = b.input(&[1], 8);
    let zero = b.param(&[1], 8, vec![0]);
    b.node(
        Op::Div(Div {
            shift: 62,
            requant: rq(8),
        }),
        vec![zero, y],
        &[1],
        8,
    );
    assert!(Plan::for_graph(b.finish()).is_err());
}

#[test]
fn extreme_map_coefficient_is_an_error_not_a_panic() {
    let mm = MatMul::plain(2, 2, 2);
    let mut c = mm.contract(rq(8), None);
    c.x_map.rows[0].out[0] = i64::MIN;
    let mut b = GraphBuilder::new();
    let x = b.input(&[2, 2], 8);
    let w = b.param(&[2, 2], 8, vec![1; 4]);
    b.node(Op::Contract(c), vec![x, w], &[2, 2], 8);
    assert!(matches!(
        Plan::for_graph(add_graph(4)),
        Err(ExecError::Ir(IrError::BadAttribute { .. }))
    ));
}

#[test]
fn zero_threads_means_rayon_default() {
    let g = add_graph(3);
    let t = Plan::for_graph(g.clone())
        .unwrap()
        .run_with_threads(&[vec![1, 2, 3], vec![4, 5, 6]], 0)
        .unwrap();
    assert_eq!(t.value(g.outputs[0].value).unwrap(), &[5, 7, 9]);
}

/// `run_streaming_fresh` checks every length and the bounds of the fresh parts: an element
/// out of bounds inside a fresh part (or in an input given as wholly fresh) is refused, and
/// with valid inputs the outputs and every value are `run_streaming`'s.
#[test]
fn fresh_parts_are_checked() {
    let g = add_graph(3);
    let plan = Plan::for_graph(g).unwrap();
    let good = [vec![127, -128, 0], vec![127, -128, 5]];
    let mut whole = Vec::new();
    let o = plan
        .run_streaming(&good, |_, d| whole.push(d.to_vec()))
        .unwrap();
    let mut part = Vec::new();
    let p = plan
        .run_streaming_fresh(&good, &[Some(0..0), Some(2..3)], |_, d| {
            part.push(d.to_vec());
        })
        .unwrap();
    assert_eq!((o, whole), (p, part));
    let bad = [vec![127, -128, 0], vec![127, -128, 128]];
    for fresh in [
        [None, None],
        [Some(0..0), Some(2..3)],
        [Some(0..0), Some(1..3)],
    ] {
        assert!(
            matches!(
                plan.run_streaming_fresh(&bad, &fresh, |_, _| {}),
                Err(ExecError::Ir(IrError::OutOfBound { index: 2, .. }))
            ),
            "{fresh:?}"
        );
    }
    for (inputs, fresh) in [
        (&good[..], &[Some(0..0)][..]),
        (&good[..], &[Some(0..0), Some(2..4)][..]),
        (
            &[vec![1, 2, 3], vec![1, 2]][..],
            &[Some(0..0), Some(0..0)][..],
        ),
        (&good[..1], &[None][..]),
    ] {
        assert!(
            matches!(
                plan.run_streaming_fresh(inputs, fresh, |_, _| {}),
                Err(ExecError::Ir(IrError::BadInput { .. }))
            ),
            "{inputs:?} {fresh:?}"
        );
    }
}

//! The two LLaMA primitives on the fast path, on hand-picked inputs whose answers are known:
//! `ArgMax` keeps the first maximum (ties, negatives, all-equal rows, either axis) and `ISqrt`
//! is the exact floor root (perfect squares and their neighbours, negatives as 0, the largest
//! radicand). The random cases are in `conformance.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use verinfer_exec::Plan;
use verinfer_ir::{ISqrt, Op, Reduce, ReduceKind};
use verinfer_testing::{assert_matches_reference, requant, GraphBuilder};

fn run(b: GraphBuilder) -> Vec<i32> {
    let case = b.case();
    assert_matches_reference(&case.g, &case.inputs);
    let plan = Plan::for_graph(case.g).unwrap();
    plan.run(&case.inputs)
        .unwrap()
        .values()
        .last()
        .unwrap()
        .clone()
}

fn argmax(shape: &[usize], axes: Vec<usize>, out: &[usize], data: Vec<i32>) -> Vec<i32> {
    let mut b = GraphBuilder::new();
    let x = b.input_with(shape, 32, data);
    let op = Reduce {
        kind: ReduceKind::ArgMax,
        axes,
        keep_dims: false,
        requant: requant(1, 0, 8),
    };
    b.node(Op::Reduce(op), vec![x], out, 8);
    run(b)
}

#[test]
fn argmax_first_maximum_wins_rows() {
    let rows = vec![
        3,
        7,
        7,
        1, // tie: the first 7
        -5,
        -2,
        -9,
        -2, // negatives, tie
        4,
        4,
        4,
        4, // all equal: 0
        i32::MIN,
        i32::MIN,
        i32::MIN,
        i32::MAX, // extremes: the last
    ];
    assert_eq!(argmax(&[4, 4], vec![1], &[4], rows), [1, 1, 0, 3]);
}

#[test]
fn argmax_over_the_leading_axis_and_both_axes() {
    // Columns of [[1, 9], [5, 9], [5, 0]]: first max of (1, 5, 5) is 1, of (9, 9, 0) is 0.
    let data = vec![1, 9, 5, 9, 5, 0];
    assert_eq!(argmax(&[3, 2], vec![0], &[2], data.clone()), [1, 0]);
    // Row-major over both axes: the first 9 is at flat index 1.
    assert_eq!(argmax(&[3, 2], vec![0, 1], &[], data), [1]);
}

#[test]
fn isqrt_floor_roots() {
    let xs = vec![0, 1, 2, 3, 4, 15, 16, 17, 99, 100, -1, i32::MIN, i32::MAX];
    let n = xs.len();
    let mut b = GraphBuilder::new();
    let x = b.input_with(&[n], 32, xs);
    let op = ISqrt {
        shift: 0,
        requant: requant(1, 0, 32),
    };
    b.node(Op::ISqrt(op), vec![x], &[n], 32);
    assert_eq!(run(b), [0, 1, 1, 1, 2, 3, 4, 4, 9, 10, 0, 0, 46_340]);
}

#[test]
fn isqrt_largest_radicand_and_epilogue() {
    // ⌊√((2^31 − 1) · 2^32)⌋ = 3_037_000_499, then a right shift by 2 rounding half up.
    let mut b = GraphBuilder::new();
    let x = b.input_with(&[2], 32, vec![i32::MAX, 9]);
    let op = ISqrt {
        shift: 32,
        requant: requant(1, 2, 32),
    };
    b.node(Op::ISqrt(op), vec![x], &[2], 32);
    // √(9 · 2^32) = 3 · 2^16 = 196_608 → 49_152.
    assert_eq!(run(b), [759_250_125, 49_152]);
}

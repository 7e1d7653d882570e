//! A multi-node graph large enough that every kernel splits its output into many parallel
//! chunks: the trace equals the reference and is identical for 1, 2 and 8 threads and across
//! repeated runs.

use verinfer_exec::Plan;
use verinfer_ir::shape::numel;
use verinfer_ir::{
    Binary, BinaryKind, Div, Gather, Graph, Lookup, Move, Op, ParamKind, Reduce, ReduceKind,
};
use verinfer_testing::maps::{Conv2d, MatMul};
use verinfer_testing::{assert_matches_reference, random_inputs, requant, GraphBuilder, Rng};

fn conv(c: usize, cout: usize, groups: usize, hw: usize, stride: usize) -> Conv2d {
    Conv2d {
        groups,
        stride: [stride; 2],
        ..Conv2d::same(2, c, [hw, hw], cout, [3, 3])
    }
}

/// `max(x, 0)` of 8-bit values.
fn relu() -> Binary {
    Binary {
        kind: BinaryKind::Max,
        a_mult: 1,
        b_mult: 1,
        requant: requant(1, 0, 8),
    }
}

/// conv → relu → lookup → depthwise conv → flatten+concat (Move) → matmul → div → reduce →
/// gather, all of them past the parallel chunk sizes.
fn pipeline() -> Graph {
    let mut rng = Rng::new(42);
    let mut b = GraphBuilder::new();
    let x = b.input(&[2, 3, 48, 48], 8);
    let idx = b.input(&[5], 4);

    let c1 = conv(3, 16, 1, 48, 1);
    let w1 = b.param(&c1.w_shape(), 8, rng.data(numel(&c1.w_shape()), 8));
    let b1 = b.param(&[16], 16, rng.data(16, 16));
    let y = b.node(
        Op::Contract(c1.contract(requant(5, 9, 8), Some(2))),
        vec![x, w1, b1],
        &c1.out_shape(),
        8,
    );

    let zero = b.param(&[], 1, vec![0]);
    let y = b.node(Op::Binary(relu()), vec![y, zero], &c1.out_shape(), 8);

    let table = b.param_id(&[256], 8, ParamKind::Table, rng.data(256, 8));
    let y = b.node(
        Op::Lookup(Lookup { table, lo: -128 }),
        vec![y],
        &c1.out_shape(),
        8,
    );

    let c2 = conv(16, 16, 16, 48, 2);
    let w2 = b.param(&c2.w_shape(), 8, rng.data(numel(&c2.w_shape()), 8));
    let y = b.node(
        Op::Contract(c2.contract(requant(3, 7, 8), None)),
        vec![y, w2],
        &c2.out_shape(),
        8,
    );

    // Flatten each batch row and append it reversed: [2, 2·F] with F = 16·24·24.
    let f = 16 * 24 * 24;
    let map: Vec<i32> = (0..2)
        .flat_map(|n| {
            (0..f)
                .map(move |i| (n * f + i) as i32)
                .chain((0..f).rev().map(move |i| (n * f + i) as i32))
        })
        .collect();
    let map = b.param_id(&[map.len()], 32, ParamKind::IndexMap, map);
    let y = b.node(Op::Move(Move { map, fill: 0 }), vec![y], &[2, 2 * f], 8);

    let mm = MatMul::plain(2, 2 * f, 40);
    let w3 = b.param(&mm.w_shape(), 4, rng.data(numel(&mm.w_shape()), 4));
    let y = b.node(
        Op::Contract(mm.contract(requant(1, 10, 16), None)),
        vec![y, w3],
        &mm.out_shape(),
        16,
    );

    let d = b.param(&[40], 8, rng.data(40, 8));
    let y = b.node(
        Op::Div(Div {
            shift: 8,
            requant: requant(1, 2, 16),
        }),
        vec![y, d],
        &[2, 40],
        16,
    );
    let y = b.node(
        verinfer_testing::graph::reduce_op(ReduceKind::Sum, &[0], requant(1, 1, 16)),
        vec![y],
        &[40],
        16,
    );
    b.node(Op::Gather(Gather { axis: 0 }), vec![y, idx], &[5], 16);
    b.finish()
}

/// Elementwise, reduction and gather kernels over a few hundred thousand elements (general
/// broadcasting, strided reduction, multi-chunk gathers).
fn elementwise() -> Graph {
    let mut rng = Rng::new(43);
    let mut b = GraphBuilder::new();
    let x = b.input(&[4, 1, 100, 100], 12);
    let y = b.input(&[1, 8, 1, 100], 12);
    let idx = b.input(&[700], 12);
    let out = [4, 8, 100, 100];
    let add = Binary {
        kind: BinaryKind::Sub,
        a_mult: 3,
        b_mult: -2,
        requant: requant(5, 3, 14),
    };
    let s = b.node(Op::Binary(add), vec![x, y], &out, 14);
    let d = b.node(
        Op::Div(Div {
            shift: 6,
            requant: requant(1, 0, 16),
        }),
        vec![s, y],
        &out,
        16,
    );
    let r = b.node(Op::Rescale(requant(7, 5, 12)), vec![d], &out, 12);
    let table = b.param_id(&[1000], 12, ParamKind::Table, rng.data(1000, 12));
    let l = b.node(Op::Lookup(Lookup { table, lo: -500 }), vec![r], &out, 12);
    let m = Reduce {
        kind: ReduceKind::Max,
        axes: vec![1, 3],
        keep_dims: true,
        requant: requant(1, 0, 12),
    };
    b.node(Op::Reduce(m), vec![l], &[4, 1, 100, 1], 12);
    // Concat(l, fills, l): three long copy runs crossing the parallel chunk boundaries.
    let n = numel(&out) as i32;
    let map: Vec<i32> = (0..n)
        .chain(std::iter::repeat_n(-1, 100))
        .chain(0..n)
        .collect();
    let len = map.len();
    let map = b.param_id(&[len], 32, ParamKind::IndexMap, map);
    b.node(Op::Move(Move { map, fill: -3 }), vec![l], &[len], 12);
    let sum = verinfer_testing::graph::reduce_op(ReduceKind::Sum, &[1], requant(1, 2, 16));
    let t = b.node(sum, vec![l], &[4, 100, 100], 16);
    b.node(
        Op::Gather(Gather { axis: 1 }),
        vec![t, idx],
        &[4, 700, 100],
        16,
    );
    b.finish()
}

#[test]
fn elementwise_kernels_match_reference_for_any_thread_count() {
    let g = elementwise();
    assert_matches_reference(&g, &random_inputs(&g, 9));
}

#[test]
fn pipeline_matches_reference_for_any_thread_count() {
    let g = pipeline();
    assert_matches_reference(&g, &random_inputs(&g, 7));
}

#[test]
fn repeated_runs_are_identical() {
    let g = pipeline();
    let plan = Plan::for_graph(g.clone()).unwrap();
    let inputs = random_inputs(&g, 8);
    let first = plan.run_with_threads(&inputs, 3).unwrap();
    for threads in [1, 2, 8, 0] {
        for _ in 0..2 {
            assert_eq!(plan.run_with_threads(&inputs, threads).unwrap(), first);
        }
    }
    let outs = plan.outputs(&first).unwrap();
    assert_eq!(outs.len(), 1);
    assert_eq!(outs[0].len(), 5);
    assert_eq!(outs[0], first.values().last().unwrap().as_slice());
}

/// A run into the buffers of an earlier trace equals a fresh run, whatever trace is handed
/// back: this graph's on other inputs (same sizes, stale values), another graph's (other
/// sizes and count), or none.
#[test]
fn runs_reusing_old_buffers_equal_fresh_runs() {
    let g = pipeline();
    let plan = Plan::for_graph(g.clone()).unwrap();
    let (a, b) = (random_inputs(&g, 8), random_inputs(&g, 9));
    let (want_a, want_b) = (plan.run(&a).unwrap(), plan.run(&b).unwrap());
    assert_ne!(want_a, want_b);
    let got = plan.run_reusing(&b, want_a.clone()).unwrap();
    assert_eq!(got, want_b);
    let got = plan.run_reusing(&a, got).unwrap();
    assert_eq!(got, want_a);
    let mut other = verinfer_testing::GraphBuilder::new();
    let x = other.input(&[3, 7], 8);
    let zero = other.param(&[], 1, vec![0]);
    other.node(Op::Binary(relu()), vec![x, zero], &[3, 7], 8);
    let other = other.finish();
    let small = Plan::for_graph(other.clone())
        .unwrap()
        .run(&random_inputs(&other, 1))
        .unwrap();
    assert_eq!(plan.run_reusing(&a, small).unwrap(), want_a);
    assert_eq!(
        plan.run_reusing(&a, verinfer_exec::Trace::default())
            .unwrap(),
        want_a
    );
}

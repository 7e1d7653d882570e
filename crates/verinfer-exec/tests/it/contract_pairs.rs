//! 16-bit contractions whose accumulators need more than 32 bits (the `i16` pair-sum path)
//! equal the reference at the bit bounds: operands at `±2^15`, pair sums of exactly `2^31`
//! (the one value whose `i32` computation wraps), odd and long reductions, several blocks.

use verinfer_ir::shape::numel;
use verinfer_ir::{Graph, Op, Operand};
use verinfer_testing::maps::{Conv2d, MatMul};
use verinfer_testing::{assert_matches_reference, requant, GraphBuilder, Rng};

const MIN: i32 = i16::MIN as i32;
const MAX: i32 = i16::MAX as i32;

/// `x·w` with 16-bit operands (`w` a parameter holding `w_data`, or a second input when `None`),
/// repeated with requant shifts 0 (low bits exact, 32-bit output), 16 and 40.
fn graph(mm: &MatMul, w_data: Option<Vec<i32>>) -> Graph {
    let mut b = GraphBuilder::new();
    let x = b.input(&mm.x_shape(), 16);
    let w = match w_data {
        Some(d) => b.param(&mm.w_shape(), 16, d),
        None => b.input(&mm.w_shape(), 16),
    };
    for shift in [0, 16, 40] {
        b.node(
            Op::Contract(mm.contract(requant(1, shift, 32), None)),
            vec![x, w],
            &mm.out_shape(),
            32,
        );
    }
    b.finish()
}

/// A `k`-long pattern `f(s)` repeated over `rows` rows.
fn rows(rows: usize, k: usize, f: impl Fn(usize) -> i32) -> Vec<i32> {
    (0..rows * k).map(|i| f(i % k)).collect()
}

#[test]
fn all_minimum_operands_in_long_and_odd_reductions() {
    // Every pair sum is 2^31; several shapes of the tail and of the block split.
    for k in [32, 33, 64, 255, 1001, (1 << 16) + 3] {
        let mm = MatMul::plain(1, k, 5);
        let g = graph(&mm, Some(vec![MIN; numel(&mm.w_shape())]));
        assert_matches_reference(&g, &[vec![MIN; numel(&mm.x_shape())]]);
    }
}

#[test]
fn extreme_products_that_cancel_keep_every_low_bit() {
    // Pair sums alternate between 2^31 and -(2^31 - 2^16): outputs small enough for shift 0.
    let k = 1024;
    let mm = MatMul::plain(3, k, 6);
    let w = rows(k, 6, |c| [MIN, MAX, MIN, MAX, MAX, MIN][c]);
    let x = rows(3, k, |s| match (s / 2) % 2 {
        0 => MIN,
        _ => [MIN, MAX, -MAX, MAX][s % 4],
    });
    let g = graph(&mm, Some(w));
    assert_matches_reference(&g, &[x]);
}

#[test]
fn activation_times_activation_at_the_bounds() {
    // Both operands are inputs (packed per run), both can be -2^15.
    for (seed, k) in [(1u64, 32usize), (2, 47), (3, 300)] {
        let mm = MatMul::plain(4, k, 7);
        let g = graph(&mm, None);
        let mut rng = Rng::new(seed);
        let ins = vec![
            rng.data(numel(&mm.x_shape()), 16),
            rng.data(numel(&mm.w_shape()), 16),
        ];
        assert_matches_reference(&g, &ins);
        let extremes = vec![vec![MIN; ins[0].len()], vec![MIN; ins[1].len()]];
        assert_matches_reference(&g, &extremes);
    }
}

#[test]
fn random_extreme_matmuls_and_convolutions() {
    let mut rng = Rng::new(77);
    for case in 0..12 {
        let k = rng.range(32, 400) as usize;
        let mm = MatMul {
            batch_x: vec![2],
            batch_w: if case % 2 == 0 { vec![] } else { vec![2] },
            m: rng.range(1, 6) as usize,
            k,
            n: rng.range(1, 9) as usize,
            trans_x: rng.coin(),
            trans_w: rng.coin(),
        };
        let g = graph(&mm, Some(rng.data(numel(&mm.w_shape()), 16)));
        assert_matches_reference(&g, &[rng.data(numel(&mm.x_shape()), 16)]);
    }
    for groups in [1, 2] {
        // K = (c / groups)·3·3 ≥ 36, padding zeros mixed into the pairs.
        let c = Conv2d {
            groups,
            stride: [1, 2],
            pad_begin: [1, 0],
            pad_end: [1, 1],
            ..Conv2d::plain(1, 8, [6, 5], 4, [3, 3])
        };
        let mut b = GraphBuilder::new();
        let x = b.input(&c.x_shape(), 16);
        let w = b.param(&c.w_shape(), 16, rng.data(numel(&c.w_shape()), 16));
        let bias: Operand = b.param(&[c.cout], 16, rng.data(c.cout, 16));
        for shift in [0, 12, 30] {
            b.node(
                Op::Contract(c.contract(requant(3, shift, 32), Some(5))),
                vec![x, w, bias],
                &c.out_shape(),
                32,
            );
        }
        let g = b.finish();
        for _ in 0..3 {
            let xs = rng.data(numel(&c.x_shape()), 16);
            assert_matches_reference(&g, &[xs]);
        }
    }
}

//! `Move` (random maps with fills over several inputs, plus transpose/concat/pad-like maps) and
//! `Gather` (indices negative and out of range) on the fast path equal the reference.

use proptest::prelude::*;
use verinfer_ir::shape::numel;
use verinfer_ir::{Gather, Move, Op, ParamKind};
use verinfer_testing::{assert_matches_reference, random_inputs, GraphBuilder, Rng};

/// A map over `total` concatenated elements: runs of consecutive sources, single random
/// entries and fills (-1), mixed.
fn random_map(rng: &mut Rng, total: usize, len: usize) -> Vec<i32> {
    let mut m = Vec::with_capacity(len);
    while m.len() < len {
        let left = len - m.len();
        match rng.next() % 4 {
            0 => m.push(-1),
            1 if total > 0 => m.push(rng.range(0, total as i64 - 1) as i32),
            _ if total > 0 => {
                let start = rng.range(0, total as i64 - 1) as usize;
                let run = (rng.range(1, 40) as usize).min(left).min(total - start);
                m.extend((start..start + run).map(|s| s as i32));
            }
            _ => m.push(-1),
        }
    }
    m
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn move_matches_reference(
        shapes in prop::collection::vec(prop::collection::vec(0usize..=6, 0..=3), 0..=3),
        out_len in 0usize..=120, fill in -8i32..=7, params in any::<bool>(), seed in any::<u64>(),
    ) {
        let mut rng = Rng::new(seed);
        let total: usize = shapes.iter().map(|s| numel(s)).sum();
        let mut b = GraphBuilder::new();
        let mut ins = Vec::new();
        for s in &shapes {
            ins.push(if params { b.param(s, 4, rng.data(numel(s), 4)) } else { b.input(s, 4) });
        }
        let map = b.param_id(&[out_len], 32, ParamKind::IndexMap, random_map(&mut rng, total, out_len));
        b.node(Op::Move(Move { map, fill }), ins, &[out_len], 4);
        let g = b.finish();
        assert_matches_reference(&g, &random_inputs(&g, seed));
    }

    #[test]
    fn transpose_matches_reference(d in [1usize..=5, 1usize..=5, 1usize..=5], seed in any::<u64>()) {
        let [a, bb, c] = d;
        let map: Vec<i32> = (0..c).flat_map(|k| (0..a).flat_map(move |i| (0..bb).map(move |j| (i * bb * c + j * c + k) as i32))).collect();
        let mut b = GraphBuilder::new();
        let x = b.input(&[a, bb, c], 12);
        let map = b.param_id(&[map.len()], 32, ParamKind::IndexMap, map);
        b.node(Op::Move(Move { map, fill: 0 }), vec![x], &[c, a, bb], 12);
        let g = b.finish();
        assert_matches_reference(&g, &random_inputs(&g, seed));
    }

    #[test]
    fn gather_matches_reference(
        data in prop::collection::vec(1usize..=5, 1..=3), idx in prop::collection::vec(0usize..=3, 0..=2),
        axis in 0usize..3, idx_const in any::<bool>(), seed in any::<u64>(),
    ) {
        let axis = axis % data.len();
        let n = data[axis] as i64;
        let mut rng = Rng::new(seed);
        let out: Vec<usize> = data[..axis].iter().chain(&idx).chain(&data[axis + 1..]).copied().collect();
        let mut b = GraphBuilder::new();
        let x = b.input(&data, 10);
        let indices: Vec<i32> = (0..numel(&idx)).map(|_| rng.range(-n - 3, n + 3) as i32).collect();
        let i = if idx_const { b.param(&idx, 16, indices) } else { b.input(&idx, 5) };
        b.node(Op::Gather(Gather { axis }), vec![x, i], &out, 12);
        let g = b.finish();
        assert_matches_reference(&g, &random_inputs(&g, seed));
    }
}

//! `ReduceSum` / `ReduceMax` on the fast path equal the reference for random axes and keep_dims.

use proptest::prelude::*;
use verinfer_ir::{Op, Reduce, ReduceKind};
use verinfer_testing::{assert_matches_reference, random_inputs, requant, GraphBuilder};

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn reduce_matches_reference(
        shape in prop::collection::vec(1usize..=5, 0..=4), pick in prop::collection::vec(any::<bool>(), 4),
        max in any::<bool>(), keep_dims in any::<bool>(), in_bits in 1u32..=24, out_bits in 1u32..=32,
        mult in 1i64..=1 << 10, shift in 0u32..=12, seed in any::<u64>(),
    ) {
        let axes: Vec<usize> = (0..shape.len()).filter(|&a| pick[a]).collect();
        let out: Vec<usize> = shape
            .iter()
            .enumerate()
            .filter_map(|(i, &d)| if axes.contains(&i) { keep_dims.then_some(1) } else { Some(d) })
            .collect();
        let kind = if max { ReduceKind::Max } else { ReduceKind::Sum };
        let requant = requant(mult, shift, out_bits);
        let mut b = GraphBuilder::new();
        let x = b.input(&shape, in_bits);
        b.node(Op::Reduce(Reduce { kind, axes, keep_dims, requant }), vec![x], &out, out_bits);
        let g = b.finish();
        assert_matches_reference(&g, &random_inputs(&g, seed));
    }
}

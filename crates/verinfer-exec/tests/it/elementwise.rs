//! `Binary`, `Div`, `Rescale` and `Lookup` on the fast path equal the reference, with random
//! broadcasting shapes, multipliers of either sign and random epilogues.

use proptest::prelude::*;
use verinfer_ir::shape::{broadcast, numel};
use verinfer_ir::{Binary, BinaryKind, Div, Lookup, Op, ParamKind};
use verinfer_testing::{assert_matches_reference, random_inputs, requant, GraphBuilder, Rng};

/// Two shapes that broadcast: `out` with some axes set to 1 or dropped from the front.
fn broadcast_pair() -> impl Strategy<Value = (Vec<usize>, Vec<usize>)> {
    prop::collection::vec(1usize..=4, 0..=4).prop_flat_map(|out| {
        let r = out.len();
        let side = move |out: Vec<usize>| {
            (0..=r, prop::collection::vec(any::<bool>(), r)).prop_map(move |(drop, ones)| {
                out.iter()
                    .zip(&ones)
                    .skip(drop)
                    .map(|(&d, &one)| if one { 1 } else { d })
                    .collect::<Vec<_>>()
            })
        };
        (side(out.clone()), side(out))
    })
}

fn kind() -> impl Strategy<Value = BinaryKind> {
    prop_oneof![
        Just(BinaryKind::Add),
        Just(BinaryKind::Sub),
        Just(BinaryKind::Mul),
        Just(BinaryKind::Max),
        Just(BinaryKind::Min)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 160, ..ProptestConfig::default() })]

    #[test]
    fn binary_matches_reference(
        (sa, sb) in broadcast_pair(), kind in kind(), a_mult in -300i64..=300, b_mult in -300i64..=300,
        bits in (2u32..=16, 2u32..=16, 2u32..=20), mult in 1i64..=1 << 12, shift in 0u32..=30,
        b_const in any::<bool>(), seed in any::<u64>(),
    ) {
        let out = broadcast(&sa, &sb).unwrap();
        let mut b = GraphBuilder::new();
        let x = b.input(&sa, bits.0);
        let y = if b_const { b.param(&sb, bits.1, Rng::new(seed).data(numel(&sb), bits.1)) } else { b.input(&sb, bits.1) };
        let op = Op::Binary(Binary { kind, a_mult, b_mult, requant: requant(mult, shift, bits.2) });
        b.node(op, vec![x, y], &out, bits.2);
        let g = b.finish();
        assert_matches_reference(&g, &random_inputs(&g, seed));
    }

    /// The plain `i32` path: `Add`/`Sub` of unscaled operands with an identity
    /// requantization, at widths up to where `|x| + |y|` reaches `2^31` (and one past, which
    /// takes the general path), saturating into narrower outputs.
    #[test]
    fn unscaled_add_sub_match_reference(
        (sa, sb) in broadcast_pair(), sub in any::<bool>(), bits in (2u32..=32, 2u32..=32, 2u32..=32),
        seed in any::<u64>(),
    ) {
        let out = broadcast(&sa, &sb).unwrap();
        let mut b = GraphBuilder::new();
        let x = b.input(&sa, bits.0);
        let y = b.input(&sb, bits.1);
        let kind = if sub { BinaryKind::Sub } else { BinaryKind::Add };
        let op = Op::Binary(Binary { kind, a_mult: 1, b_mult: 1, requant: requant(1, 0, bits.2) });
        b.node(op, vec![x, y], &out, bits.2);
        let g = b.finish();
        assert_matches_reference(&g, &random_inputs(&g, seed));
    }

    /// `Mul` with rows of zeros skipped: a cache append (one-hot `[C, 1, 1]` column times a
    /// `[H, d]` row, and the same with the operands swapped or as scalars), any requantization.
    #[test]
    fn mul_with_zero_rows_matches_reference(
        c in 1usize..=9, h in 1usize..=3, d in 1usize..=9, hot in 0usize..=9, swap in any::<bool>(),
        scalar in any::<bool>(), mult in 1i64..=1 << 12, shift in 0u32..=30, seed in any::<u64>(),
    ) {
        let (col, row) = if scalar { (vec![1usize], vec![c, h, d]) } else { (vec![c, 1, 1], vec![h, d]) };
        let out = broadcast(&col, &row).unwrap();
        let mut b = GraphBuilder::new();
        let x = b.input(&col, 20);
        let y = b.input(&row, 20);
        let ins = if swap { vec![y, x] } else { vec![x, y] };
        let op = Op::Binary(Binary { kind: BinaryKind::Mul, a_mult: 1, b_mult: -3, requant: requant(mult, shift, 16) });
        b.node(op, ins, &out, 16);
        let g = b.finish();
        let mut inputs = random_inputs(&g, seed);
        // One-hot (or all-zero when `hot` is past the end) column: the append's shape.
        inputs[0] = (0..numel(&col)).map(|i| i32::from(i == hot) * 3).collect();
        assert_matches_reference(&g, &inputs);
    }

    #[test]
    fn div_matches_reference(
        (sa, sb) in broadcast_pair(), shift in 0u32..=20, bits in (2u32..=16, 2u32..=16, 2u32..=24),
        mult in 1i64..=1 << 8, rshift in 0u32..=8, seed in any::<u64>(),
    ) {
        let out = broadcast(&sa, &sb).unwrap();
        let mut b = GraphBuilder::new();
        let x = b.input(&sa, bits.0);
        let y = b.input(&sb, bits.1);
        b.node(Op::Div(Div { shift, requant: requant(mult, rshift, bits.2) }), vec![x, y], &out, bits.2);
        let g = b.finish();
        assert_matches_reference(&g, &random_inputs(&g, seed));
    }

    #[test]
    fn rescale_matches_reference(
        shape in prop::collection::vec(0usize..=6, 0..=3), in_bits in 1u32..=32, out_bits in 1u32..=32,
        mult in 1i64..=1 << 30, shift in 0u32..=62, seed in any::<u64>(),
    ) {
        let mut b = GraphBuilder::new();
        let x = b.input(&shape, in_bits);
        b.node(Op::Rescale(requant(mult, shift, out_bits)), vec![x], &shape, out_bits);
        let g = b.finish();
        assert_matches_reference(&g, &random_inputs(&g, seed));
    }

    #[test]
    fn lookup_matches_reference(
        shape in prop::collection::vec(1usize..=6, 0..=3), in_bits in 1u32..=12, len in 1usize..=300,
        lo in -300i32..=300, seed in any::<u64>(),
    ) {
        let mut b = GraphBuilder::new();
        let x = b.input(&shape, in_bits);
        let table = b.param_id(&[len], 9, ParamKind::Table, Rng::new(seed).data(len, 9));
        b.node(Op::Lookup(Lookup { table, lo }), vec![x], &shape, 10);
        let g = b.finish();
        assert_matches_reference(&g, &random_inputs(&g, seed));
    }
}

//! `Contract` on the fast path equals the reference: conv2d (stride, padding, dilation, groups,
//! depthwise), batched/broadcast/transposed matmul between constants and activations, and
//! arbitrary random affine maps (the generic path).

use proptest::prelude::*;
use verinfer_ir::shape::numel;
use verinfer_ir::{Contract, Op, Operand};
use verinfer_testing::blocks::block_scaled_matmul;
use verinfer_testing::maps::{Conv2d, MatMul};
use verinfer_testing::{assert_matches_reference, random_inputs, requant, GraphBuilder, Rng};

/// `b` finished with one `op` node over `ins` (shape `out`, `bits` wide), checked against the
/// reference on random inputs drawn from `seed`.
fn check_last(
    mut b: GraphBuilder,
    op: Contract,
    ins: Vec<Operand>,
    out: &[usize],
    bits: u32,
    seed: u64,
) {
    b.node(Op::Contract(op), ins, out, bits);
    let g = b.finish();
    assert_matches_reference(&g, &random_inputs(&g, seed));
}

/// Epilogue and data widths shared by the strategies.
#[derive(Clone, Debug)]
struct Widths {
    x_bits: u32,
    w_bits: u32,
    out_bits: u32,
    mult: i64,
    shift: u32,
}

fn widths() -> impl Strategy<Value = Widths> {
    (2u32..=20, 2u32..=16, 4u32..=16, 1i64..=1 << 15, 0u32..=24).prop_map(
        |(x_bits, w_bits, out_bits, mult, shift)| Widths {
            x_bits,
            w_bits,
            out_bits,
            mult,
            shift,
        },
    )
}

fn conv() -> impl Strategy<Value = Conv2d> {
    let kind = prop_oneof![Just(0usize), Just(1), Just(2)]; // regular, grouped, depthwise
    (
        kind,
        1usize..=2,
        1usize..=3,
        1usize..=3,
        1usize..=3,
        [1usize..=7, 1usize..=7],
        [1usize..=4, 1usize..=4],
    )
        .prop_flat_map(|(kind, n, groups, cg, og, hw, kernel)| {
            let (groups, cg, og) = match kind {
                0 => (1, cg, og),
                1 => (groups + 1, cg, og),
                _ => (groups + 1, 1, 1),
            };
            (
                [1usize..=3, 1usize..=3],
                [0usize..=2, 0usize..=2],
                [0usize..=2, 0usize..=2],
                [1usize..=2, 1usize..=2],
            )
                .prop_map(move |(stride, pad_begin, pad_end, dilation)| Conv2d {
                    n,
                    c: groups * cg,
                    hw,
                    cout: groups * og,
                    groups,
                    kernel,
                    stride,
                    pad_begin,
                    pad_end,
                    dilation,
                })
        })
        .prop_filter("kernel must fit the padded input", |c| c.out_hw().is_some())
}

fn batch() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(prop_oneof![Just(1usize), 2usize..=3], 0..=2)
}

fn matmul() -> impl Strategy<Value = MatMul> {
    (
        batch(),
        batch(),
        1usize..=6,
        1usize..=7,
        1usize..=6,
        any::<bool>(),
        any::<bool>(),
    )
        .prop_filter_map(
            "batch axes must broadcast",
            |(batch_x, batch_w, m, k, n, trans_x, trans_w)| {
                verinfer_ir::shape::broadcast(&batch_x, &batch_w)?;
                Some(MatMul {
                    batch_x,
                    batch_w,
                    m,
                    k,
                    n,
                    trans_x,
                    trans_w,
                })
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn conv2d_matches_reference(c in conv(), wd in widths(), w_const in prop::bool::weighted(0.8), bias in prop::option::of(0u32..=6), seed in any::<u64>()) {
        let mut rng = Rng::new(seed);
        let mut b = GraphBuilder::new();
        let x = b.input(&c.x_shape(), wd.x_bits);
        let w = if w_const {
            b.param(&c.w_shape(), wd.w_bits, rng.data(numel(&c.w_shape()), wd.w_bits))
        } else {
            b.input(&c.w_shape(), wd.w_bits)
        };
        let mut ins = vec![x, w];
        if bias.is_some() {
            ins.push(b.param(&[c.cout], 12, rng.data(c.cout, 12)));
        }
        let op = c.contract(requant(wd.mult, wd.shift, wd.out_bits), bias);
        check_last(b, op, ins, &c.out_shape(), wd.out_bits, seed);
    }

    #[test]
    fn matmul_matches_reference(mm in matmul(), wd in widths(), consts in 0u8..4, bias in prop::option::of(0u32..=6), seed in any::<u64>()) {
        // consts: 0 = w constant, 1 = both activations, 2 = x constant, 3 = both constant.
        let mut rng = Rng::new(seed);
        let mut b = GraphBuilder::new();
        let x = if consts & 2 == 0 { Some(b.input(&mm.x_shape(), wd.x_bits)) } else { None };
        let w = if consts == 1 { Some(b.input(&mm.w_shape(), wd.w_bits)) } else { None };
        let x = x.unwrap_or_else(|| b.param(&mm.x_shape(), wd.x_bits, rng.data(numel(&mm.x_shape()), wd.x_bits)));
        let w = w.unwrap_or_else(|| b.param(&mm.w_shape(), wd.w_bits, rng.data(numel(&mm.w_shape()), wd.w_bits)));
        let mut ins = vec![x, w];
        if bias.is_some() {
            ins.push(b.param(&[mm.n], 10, rng.data(mm.n, 10)));
        }
        let op = mm.contract(requant(wd.mult, wd.shift, wd.out_bits), bias);
        check_last(b, op, ins, &mm.out_shape(), wd.out_bits, seed);
    }

    /// The shared random contraction generator (coefficients and offsets of either sign,
    /// rows that leave the operands on both sides, a bias of either kind), many more seeds
    /// than the conformance run's.
    #[test]
    fn random_affine_contract_matches_reference(seed in any::<u64>()) {
        let case = verinfer_testing::ops::affine(&mut Rng::new(seed));
        assert_matches_reference(&case.g, &case.inputs);
    }
}

#[test]
fn conv_3x3_pad1_stride1() {
    let c = Conv2d::same(1, 3, [8, 8], 4, [3, 3]);
    let mut rng = Rng::new(1);
    let mut b = GraphBuilder::new();
    let x = b.input(&c.x_shape(), 8);
    let w = b.param(&c.w_shape(), 8, rng.data(numel(&c.w_shape()), 8));
    let bias = b.param(&[4], 16, rng.data(4, 16));
    check_last(
        b,
        c.contract(requant(3, 6, 8), Some(4)),
        vec![x, w, bias],
        &c.out_shape(),
        8,
        2,
    );
}

#[test]
fn empty_reduction_is_bias_only() {
    let mm = MatMul::plain(2, 0, 3);
    let mut b = GraphBuilder::new();
    let x = b.input(&mm.x_shape(), 8);
    let w = b.input(&mm.w_shape(), 8);
    let bias = b.param(&[3], 8, vec![5, -7, 100]);
    check_last(
        b,
        mm.contract(requant(1, 1, 8), Some(2)),
        vec![x, w, bias],
        &mm.out_shape(),
        8,
        3,
    );
}

#[test]
fn empty_output() {
    let mm = MatMul {
        batch_x: vec![0],
        ..MatMul::plain(2, 3, 3)
    };
    let mut b = GraphBuilder::new();
    let x = b.input(&mm.x_shape(), 8);
    let w = b.param(&mm.w_shape(), 8, vec![1; 9]);
    check_last(
        b,
        mm.contract(requant(1, 1, 8), None),
        vec![x, w],
        &mm.out_shape(),
        8,
        3,
    );
}

#[test]
fn wide_accumulator_16_bit() {
    // 16-bit by 16-bit over K = 64 needs more than 32 bits: the i64 dot path.
    let mm = MatMul {
        batch_x: vec![2],
        ..MatMul::plain(5, 64, 7)
    };
    let mut rng = Rng::new(9);
    let mut b = GraphBuilder::new();
    let x = b.input(&mm.x_shape(), 16);
    let w = b.param(&mm.w_shape(), 16, rng.data(numel(&mm.w_shape()), 16));
    check_last(
        b,
        mm.contract(requant(1, 20, 16), None),
        vec![x, w],
        &mm.out_shape(),
        16,
        4,
    );
}

/// An `i8`-stored constant against 20-bit activations (a language model's block-quantized
/// weights): the narrow-weight kernel reads the weights in place, summing in `i32` chunks;
/// with `K` beyond one chunk and extreme values it must still equal the reference. Also an
/// `i16`-stored constant.
#[test]
fn narrow_weights_against_wide_activations() {
    for (w_bits, k) in [(8u32, 4096usize), (8, 33), (16, 300)] {
        let mm = MatMul {
            trans_w: true,
            ..MatMul::plain(1, k, 5)
        };
        let mut rng = Rng::new(u64::from(w_bits) + k as u64);
        let mut b = GraphBuilder::new();
        let x = b.input(&mm.x_shape(), 20);
        let mut wd = rng.data(numel(&mm.w_shape()), w_bits);
        // The extremes, so every chunk bound is met with equality somewhere.
        wd[0] = -(1 << (w_bits - 1));
        wd[1] = (1 << (w_bits - 1)) - 1;
        let w = b.param(&mm.w_shape(), w_bits, wd);
        b.node(
            Op::Contract(mm.contract(requant(1, 20, 20), None)),
            vec![x, w],
            &mm.out_shape(),
            20,
        );
        let g = b.finish();
        let width = match g.params[0].data.view() {
            verinfer_ir::ParamView::I8(_) => 8,
            verinfer_ir::ParamView::I16(_) => 16,
            verinfer_ir::ParamView::I32(_) | verinfer_ir::ParamView::Blocks(_) => 32,
        };
        assert_eq!(width, w_bits, "stored at its width");
        for seed in 0..4 {
            assert_matches_reference(&g, &random_inputs(&g, seed));
        }
    }
}

/// A block-scaled constant (`q·d` per block of 32, an exactly imported `Q8_0` matrix) against
/// 20-bit activations: the narrow-weight kernel sums each block's quants in `i32`, scales and
/// adds in `i64`; with extreme quants and scales, several token rows (the batched prefill
/// path), `K` one block, many blocks, and 4096, it must equal the reference, which reads the
/// values `q·d`.
#[test]
fn block_scaled_weights_against_wide_activations() {
    for (m, k, n) in [
        (1usize, 4096usize, 5usize),
        (3, 64, 7),
        (1, 32, 9),
        (2, 96, 33),
    ] {
        let mm = MatMul {
            trans_w: true,
            ..MatMul::plain(m, k, n)
        };
        let mut rng = Rng::new((m * k + n) as u64);
        let len = numel(&mm.w_shape());
        let mut q: Vec<i8> = rng.data(len, 8).iter().map(|&v| v as i8).collect();
        q[0] = i8::MIN;
        q[1] = i8::MAX;
        let mut d = rng.data(len / 32, 16);
        d[0] = -(1 << 15);
        let g = block_scaled_matmul(&mm, q, d, requant(1, 28, 20));
        for seed in 0..4 {
            assert_matches_reference(&g, &random_inputs(&g, seed));
        }
    }
}

/// Register tiles whose bound the plan cannot prove (16-bit operands, `K` = 256: up to
/// `2^38`) check each batch's row norms at run time: one accumulator where every block's
/// sums fit `i32` (small values on either side), the byte split where they may not (full
/// range, and all `32767`, where a wrapped `i32` would be far off). A constant weight, and
/// a product of two activations whose batches differ (one small, one full range).
#[test]
fn tiles_check_the_bound_at_run_time() {
    let mm = MatMul::plain(16, 256, 32);
    let mut rng = Rng::new(5);
    let full = |rng: &mut Rng, n: usize| rng.data(n, 16);
    let small = |rng: &mut Rng, n: usize| rng.data(n, 7);
    let (xn, wn) = (numel(&mm.x_shape()), numel(&mm.w_shape()));
    let weights = [
        full(&mut rng, wn),
        small(&mut rng, wn),
        vec![32767; wn],
        vec![-32768; wn],
    ];
    for w_data in weights {
        let mut b = GraphBuilder::new();
        let x = b.input(&mm.x_shape(), 16);
        let w = b.param(&mm.w_shape(), 16, w_data);
        b.node(
            Op::Contract(mm.contract(requant(1, 16, 24), None)),
            vec![x, w],
            &mm.out_shape(),
            24,
        );
        let g = b.finish();
        for x_data in [
            full(&mut rng, xn),
            small(&mut rng, xn),
            vec![32767; xn],
            vec![-32768; xn],
        ] {
            assert_matches_reference(&g, &[x_data]);
        }
    }
    let mm = MatMul {
        batch_x: vec![2],
        batch_w: vec![2],
        ..MatMul::plain(16, 64, 16)
    };
    let mut b = GraphBuilder::new();
    let x = b.input(&mm.x_shape(), 16);
    let w = b.input(&mm.w_shape(), 16);
    b.node(
        Op::Contract(mm.contract(requant(1, 14, 24), None)),
        vec![x, w],
        &mm.out_shape(),
        24,
    );
    let g = b.finish();
    let (xn, wn) = (numel(&mm.x_shape()) / 2, numel(&mm.w_shape()) / 2);
    let mut xs = small(&mut rng, xn);
    xs.extend(full(&mut rng, xn));
    let mut ws = vec![32767; wn];
    ws.extend(full(&mut rng, wn));
    assert_matches_reference(&g, &[xs.clone(), ws.clone()]);
    xs.reverse();
    assert_matches_reference(&g, &[xs, ws]);
}

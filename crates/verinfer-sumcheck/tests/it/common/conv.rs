//! Small convolutions for the layered proof's tests: a graph of one convolution (and a ReLU)
//! and the cases every backend test runs (stride 2, dilation 2, padding, groups 2, batch 2,
//! depthwise, all at once).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use verinfer_ir::{Binary, BinaryKind, Graph, Op, Operand, ParamKind};
use verinfer_testing::maps::Conv2d;

/// `conv` (8-bit input and weights, a bias, 16-bit output) then a ReLU when `relu`.
pub fn conv_graph(conv: &Conv2d, relu: bool) -> Graph {
    let mut rng = verinfer_testing::Rng::new(23);
    let mut b = verinfer_testing::GraphBuilder::named("conv");
    let x = b.input(&conv.x_shape(), 8);
    let wn = conv.w_shape().iter().product();
    let w = b.param(&conv.w_shape(), 8, rng.data(wn, 8));
    let bias = b.param_id(&[conv.cout], 8, ParamKind::Bias, rng.data(conv.cout, 8));
    let out = conv.out_shape();
    let c = conv.contract(verinfer_testing::requant(3, 9, 16), Some(4));
    let y = b.node(Op::Contract(c), vec![x, w, Operand::Param(bias)], &out, 16);
    if relu {
        let zero = b.param(&[1], 2, vec![0]);
        let op = Op::Binary(Binary {
            kind: BinaryKind::Max,
            a_mult: 1,
            b_mult: 1,
            requant: verinfer_ir::Requant::clamp_only(verinfer_ir::Bits::new(16).unwrap()),
        });
        b.node(op, vec![y, zero], &out, 16);
    }
    b.finish()
}

/// The convolutions of the conformance cases: stride 2, dilation 2, padding, groups 2,
/// batch 2, depthwise, and all of them at once.
pub fn cases() -> Vec<(&'static str, Conv2d)> {
    let base = Conv2d::plain(1, 2, [5, 5], 3, [3, 3]);
    vec![
        (
            "stride 2",
            Conv2d {
                stride: [2, 2],
                ..base.clone()
            },
        ),
        (
            "dilation 2",
            Conv2d {
                dilation: [2, 2],
                ..base.clone()
            },
        ),
        ("padding", Conv2d::same(1, 2, [5, 4], 3, [3, 3])),
        (
            "groups 2",
            Conv2d {
                groups: 2,
                ..Conv2d::plain(1, 4, [4, 4], 6, [3, 3])
            },
        ),
        ("batch 2", Conv2d::plain(2, 2, [4, 4], 3, [3, 3])),
        (
            "depthwise",
            Conv2d {
                groups: 3,
                ..Conv2d::same(1, 3, [4, 4], 3, [3, 3])
            },
        ),
        (
            "all",
            Conv2d {
                groups: 2,
                stride: [2, 1],
                pad_begin: [1, 0],
                pad_end: [0, 2],
                dilation: [1, 2],
                ..Conv2d::plain(2, 4, [6, 5], 4, [3, 2])
            },
        ),
    ]
}

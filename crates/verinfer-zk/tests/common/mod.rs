//! Shared fixtures: the digits MLP with a real quantized input, and a small graph using every
//! supported primitive.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use verinfer_exec::Plan;
use verinfer_ir::{
    Binary, BinaryKind, Bits, Graph, InputSpec, Move, Node, Op, Operand, OutputSpec, Param,
    ParamId, ParamKind, Requant, Scale, Shape, TensorInfo, ValueId,
};

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The digits MLP and its full execution trace on testdata's input.
pub fn digits_mlp() -> (Graph, Vec<Vec<i32>>) {
    let g =
        verinfer_ir::vmodel::load(&repo().join("testdata/golden/v1/digits_mlp.vmodel")).unwrap();
    let data =
        verinfer_onnx::data::read_data(&repo().join("testdata/models/digits_mlp/input.json"))
            .unwrap();
    let names: Vec<String> = g.inputs.iter().map(|i| i.name.clone()).collect();
    let numels: Vec<usize> = g.inputs.iter().map(|i| i.info.shape.numel()).collect();
    let samples = data.samples(&names, &numels).unwrap();
    let q = verinfer_onnx::compile::quantize_inputs(&g, &samples[0]).unwrap();
    let trace = Plan::new(&g).unwrap().run(&q).unwrap().into_values();
    (g, trace)
}

fn info(dims: &[usize], bits: u32) -> TensorInfo {
    TensorInfo {
        shape: Shape(dims.to_vec()),
        scale: Scale::new(0).unwrap(),
        bits: Bits::new(bits).unwrap(),
    }
}

fn rq(mult: i64, shift: u32, bits: u32) -> Requant {
    Requant {
        mult,
        shift,
        bits: Bits::new(bits).unwrap(),
    }
}

/// Two 8-bit inputs `a`, `b` of shape [2, 3] and `c` of shape [3] (broadcast); one node per
/// Binary kind with saturating epilogues, a Rescale with a multiplier, and a Move.
pub fn mixed() -> Graph {
    let v = |i: u32| Operand::Value(ValueId(i));
    let bin = |kind, am, bm, r: Requant, a, b, name: &str| Node {
        name: name.into(),
        origin: "test".into(),
        op: Op::Binary(Binary {
            kind,
            a_mult: am,
            b_mult: bm,
            requant: r,
        }),
        inputs: vec![a, b],
        out: info(&[2, 3], r.bits.get()),
    };
    let nodes = vec![
        bin(BinaryKind::Add, 3, 1, rq(1, 1, 8), v(0), v(2), "add"), // v3
        bin(BinaryKind::Sub, 1, 2, rq(1, 0, 8), v(0), v(1), "sub"), // v4
        bin(BinaryKind::Mul, 1, 1, rq(1, 4, 8), v(3), v(4), "mul"), // v5
        bin(BinaryKind::Max, 1, -1, rq(1, 0, 8), v(5), v(1), "max"), // v6
        bin(
            BinaryKind::Min,
            2,
            1,
            rq(1, 0, 6),
            v(6),
            Operand::Param(ParamId(1)),
            "min",
        ), // v7
        Node {
            name: "rescale".into(),
            origin: "test".into(),
            op: Op::Rescale(rq(3, 2, 5)),
            inputs: vec![v(5)],
            out: info(&[2, 3], 5),
        }, // v8
        Node {
            name: "move".into(),
            origin: "test".into(),
            op: Op::Move(Move {
                map: ParamId(0),
                fill: -7,
            }),
            inputs: vec![v(8), v(7)],
            out: info(&[5], 8),
        }, // v9
    ];
    Graph {
        name: "mixed".into(),
        inputs: vec![
            InputSpec {
                name: "a".into(),
                info: info(&[2, 3], 8),
            },
            InputSpec {
                name: "b".into(),
                info: info(&[2, 3], 8),
            },
            InputSpec {
                name: "c".into(),
                info: info(&[3], 8),
            },
        ],
        params: vec![
            Param {
                name: "map".into(),
                kind: ParamKind::IndexMap,
                info: info(&[5], 32),
                data: vec![11, -1, 0, 5, 6],
            },
            Param {
                name: "k".into(),
                kind: ParamKind::Weight,
                info: info(&[1], 8),
                data: vec![-5],
            },
        ],
        nodes,
        outputs: vec![
            OutputSpec {
                name: "moved".into(),
                value: ValueId(9),
            },
            OutputSpec {
                name: "min".into(),
                value: ValueId(7),
            },
        ],
    }
}

/// Deterministic pseudo-random 8-bit inputs for `mixed`, with the extremes mixed in.
pub fn mixed_inputs(seed: u64) -> Vec<Vec<i32>> {
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut next = || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let v = ((s >> 33) % 256) as i32 - 128;
        if v % 7 == 0 {
            if v > 0 {
                127
            } else {
                -128
            }
        } else {
            v
        }
    };
    vec![
        (0..6).map(|_| next()).collect(),
        (0..6).map(|_| next()).collect(),
        (0..3).map(|_| next()).collect(),
    ]
}

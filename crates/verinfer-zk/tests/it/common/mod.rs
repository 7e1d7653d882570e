//! Shared fixtures: the digits MLP with a real quantized input, and a small graph using every
//! supported primitive.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use verinfer_ir::{
    Binary, BinaryKind, Graph, InputSpec, Move, Node, Op, Operand, OutputSpec, Param, ParamId,
    ParamKind, Requant, ValueId,
};
use verinfer_testing::{info, requant as rq, Lcg};

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
                data: vec![11, -1, 0, 5, 6].into(),
            },
            Param {
                name: "k".into(),
                kind: ParamKind::Weight,
                info: info(&[1], 8),
                data: vec![-5].into(),
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
    let mut r = Lcg::new(seed);
    r.next();
    let mut next = || {
        let v = (r.next() % 256) as i32 - 128;
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

/// `x` [2, 3, 4] and `d` [4] (8-bit inputs), parameter `k` = [2, −3, 0, 7]; Reduce Sum/Max over
/// several axes (keep_dims both ways, clamping and non-clamping epilogues) and Div by a value
/// (with a zero), by a constant (with a zero) and with a broadcast numerator. Every node is an
/// output.
pub fn reduce_div() -> Graph {
    use verinfer_ir::{Div, Reduce, ReduceKind};
    let v = |i: u32| Operand::Value(ValueId(i));
    let red = |kind, axes: &[usize], keep_dims, r: Requant, out: &[usize], name: &str| Node {
        name: name.into(),
        origin: "test".into(),
        op: Op::Reduce(Reduce {
            kind,
            axes: axes.to_vec(),
            keep_dims,
            requant: r,
        }),
        inputs: vec![v(0)],
        out: info(out, r.bits.get()),
    };
    let div = |shift, r: Requant, a, b, out: &[usize], name: &str| Node {
        name: name.into(),
        origin: "test".into(),
        op: Op::Div(Div { shift, requant: r }),
        inputs: vec![a, b],
        out: info(out, r.bits.get()),
    };
    let nodes = vec![
        red(ReduceKind::Sum, &[1], false, rq(1, 1, 8), &[2, 4], "sum_1"), // v2
        red(
            ReduceKind::Sum,
            &[0, 2],
            true,
            rq(3, 2, 6),
            &[1, 3, 1],
            "sum_02",
        ), // v3
        red(ReduceKind::Max, &[2], false, rq(1, 0, 8), &[2, 3], "max_2"), // v4
        red(
            ReduceKind::Max,
            &[0, 1, 2],
            true,
            rq(1, 0, 4),
            &[1, 1, 1],
            "max_all",
        ), // v5
        red(
            ReduceKind::Max,
            &[0],
            true,
            rq(5, 3, 8),
            &[1, 3, 4],
            "max_0",
        ), // v6
        div(3, rq(1, 0, 8), v(0), v(1), &[2, 3, 4], "div_xd"),            // v7
        div(
            1,
            rq(1, 1, 8),
            v(2),
            Operand::Param(ParamId(0)),
            &[2, 4],
            "div_k",
        ), // v8
        div(0, rq(1, 0, 8), v(1), v(0), &[2, 3, 4], "div_dx"),            // v9
    ];
    Graph {
        name: "reduce_div".into(),
        inputs: vec![
            InputSpec {
                name: "x".into(),
                info: info(&[2, 3, 4], 8),
            },
            InputSpec {
                name: "d".into(),
                info: info(&[4], 8),
            },
        ],
        params: vec![Param {
            name: "k".into(),
            kind: ParamKind::Weight,
            info: info(&[4], 8),
            data: vec![2, -3, 0, 7].into(),
        }],
        nodes,
        outputs: (2..10)
            .map(|i| OutputSpec {
                name: format!("o{i}"),
                value: ValueId(i),
            })
            .collect(),
    }
}

/// Inputs for `reduce_div`: hand-made cases first (exact .5 ties of both signs, zero divisors,
/// the extremes), then pseudo-random ones with a zero divisor mixed in.
pub fn reduce_div_inputs(seed: u64) -> Vec<Vec<i32>> {
    match seed {
        // x·8 / ±16 = ±0.5 ties; d / x = ±16 / ±1.
        0 => vec![
            (0..24).map(|i| if i % 2 == 0 { 1 } else { -1 }).collect(),
            vec![16, -16, 0, -1],
        ],
        1 => vec![vec![-128; 24], vec![-128, 127, 0, 1]],
        2 => vec![vec![127; 24], vec![-128, -1, 1, 0]],
        // d / x ties: 3 / ±2, −5 / ±2, ±(2k+1)/2.
        3 => vec![
            (0..24).map(|i| [2, -2, 6, -6, 0, 10][i % 6]).collect(),
            vec![3, -5, 0, 15],
        ],
        _ => {
            let mut m = mixed_inputs(seed);
            let mut x = m.remove(0);
            x.extend(m.remove(0));
            x.extend(mixed_inputs(seed + 1000).remove(0));
            x.extend(mixed_inputs(seed + 2000).remove(0));
            let mut d = mixed_inputs(seed + 3000).remove(1);
            d.truncate(4);
            if seed.is_multiple_of(3) {
                d[(seed % 4) as usize] = 0;
            }
            vec![x, d]
        }
    }
}

/// Whether `vk`'s generic verifier, deployed on a fresh in-process chain, accepts `proof` for
/// each of `publics`.
pub fn evm_accepts(
    vk: &verinfer_zk::groth16::VerifyingKey,
    proof: &verinfer_zk::groth16::Proof,
    publics: &[&verinfer_zk::PublicValues],
) -> Vec<bool> {
    use verinfer_chain::Chain;
    use verinfer_zk::Bn254Values;
    let mut chain = verinfer_chain::RevmChain::new().unwrap();
    let from = chain.accounts()[0];
    let (at, _) = verinfer_zk::evm::deploy_verifier(&mut chain, from, vk).unwrap();
    publics
        .iter()
        .map(|p| {
            let x = p.to_field_elements().unwrap();
            verinfer_zk::evm::verify_on_chain(&mut chain, from, at, proof, &x)
                .unwrap()
                .accepted
        })
        .collect()
}

/// Groth16 setup, prove and verify of `g` on `trace` (randomness from `seed`), each timed: for
/// the ignored timing reports.
pub fn timed_groth16(g: &Graph, trace: Vec<Vec<i32>>, seed: u64) -> [std::time::Duration; 3] {
    use ark_std::rand::{rngs::StdRng, SeedableRng};
    use std::time::Instant;
    use verinfer_zk::{Groth16, ProofSystem};
    let mut rng = StdRng::seed_from_u64(seed);
    let t = Instant::now();
    let (pk, vk) = Groth16::setup(g, &mut rng).unwrap();
    let setup = t.elapsed();
    let t = Instant::now();
    let (proof, public) = Groth16::prove(&pk, g, trace, &mut rng).unwrap();
    let prove = t.elapsed();
    let t = Instant::now();
    Groth16::verify(&vk, &public, &proof).unwrap();
    [setup, prove, t.elapsed()]
}

/// Groth16's verdict on `proof` for `public` altered by `alter` (a statement the proof was not
/// made for).
pub fn verify_altered(
    vk: &verinfer_zk::groth16::VerifyingKey,
    public: &verinfer_zk::PublicValues,
    proof: &verinfer_zk::groth16::Proof,
    alter: impl FnOnce(&mut verinfer_zk::PublicValues),
) -> Result<(), verinfer_zk::VerifyError> {
    use verinfer_zk::{Groth16, ProofSystem};
    let mut altered = public.clone();
    alter(&mut altered);
    Groth16::verify(vk, &altered, proof)
}

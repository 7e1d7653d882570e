//! `Lookup` and `Gather` circuits: they accept exactly the reference interpreter's (and the
//! executor's) trace, on inputs inside and outside the table domain, negative and
//! out-of-range indices, constant and run-time data; and the bundled transformer block.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;
use ark_bn254::Fr;
use ark_relations::gr1cs::ConstraintSystem;
use verinfer_exec::Plan;
use verinfer_ir::{
    Binary, BinaryKind, Bits, Gather, Graph, InputSpec, Lookup, Node, Op, Operand, OutputSpec,
    Param, ParamId, ParamKind, Requant, ValueId,
};
use verinfer_testing::models::{bundled, trace};
use verinfer_testing::{info, value as v, Lcg};
use verinfer_zk::{check_witness, constraint_counts, GraphCircuit, ZkError};

/// A table of `len` 16-bit entries: pseudo-random with saturated stretches (equal entries) at
/// both ends, like a sigmoid's.
fn table(len: usize, seed: u64) -> Vec<i32> {
    let mut r = Lcg::new(seed);
    let flat = len / 5;
    (0..len)
        .map(|k| {
            if k < flat {
                -30_000
            } else if k >= len - flat {
                32_767
            } else {
                r.int(-32_768, 32_767)
            }
        })
        .collect()
}

fn lookup(table: u32, lo: i32, x: Operand, n: usize, name: &str) -> Node {
    Node {
        name: name.into(),
        origin: "test".into(),
        op: Op::Lookup(Lookup {
            table: ParamId(table),
            lo,
        }),
        inputs: vec![x],
        out: info(&[n], 16),
    }
}

/// Lookup nodes covering every clamp case of the circuit, `(table length, lo)`:
/// x8 = 8-bit input [24], x14 = 14-bit input [24].
const LOOKUPS: [(usize, i32, bool, &str); 10] = [
    (16, -8, false, "pow2_both_sides"),      // x − lo ∈ [−120, 135]
    (256, -128, false, "pow2_inside"),       // [0, 255]: no clamp
    (256, -100, false, "pow2_lower_only"),   // [−28, 227]
    (64, -128, false, "pow2_upper_only"),    // [0, 255]
    (100, -50, false, "odd_both_sides"),     // non-power-of-two, [−78, 177]
    (300, -100, false, "odd_lower_only"),    // [−28, 227] into 300
    (100, -128, false, "odd_upper_only"),    // [0, 255] into 100
    (4096, -2000, true, "t4096_both_sides"), // 14-bit: [−6192, 10191]
    (4096, -2048, false, "t4096_narrow"),    // [1920, 2175]: 256 reachable entries
    (1000, -8000, true, "t1000_14bit"),      // [−192, 16191] into 1000
];

/// Inputs x8 [24] (8 bits) and x14 [24] (14 bits); one Lookup per `LOOKUPS` row (values
/// v2…v11), then `sum = v2 + x8` (v12) so that an internal lookup feeds another op. Outputs:
/// every odd-numbered lookup and `sum`.
fn lookup_graph() -> Graph {
    let mut params = Vec::new();
    let mut nodes = Vec::new();
    for (k, &(len, lo, wide, name)) in LOOKUPS.iter().enumerate() {
        params.push(Param {
            name: format!("table_{name}"),
            kind: ParamKind::Table,
            info: info(&[len], 16),
            data: table(len, k as u64 + 1).into(),
        });
        nodes.push(lookup(k as u32, lo, v(u32::from(wide)), 24, name));
    }
    nodes.push(Node {
        name: "sum".into(),
        origin: "test".into(),
        op: Op::Binary(Binary {
            kind: BinaryKind::Add,
            a_mult: 1,
            b_mult: 1,
            requant: Requant {
                mult: 1,
                shift: 0,
                bits: Bits::new(16).unwrap(),
            },
        }),
        inputs: vec![v(2), v(0)],
        out: info(&[24], 16),
    });
    let mut outputs: Vec<OutputSpec> = (0..LOOKUPS.len() as u32)
        .filter(|k| k % 2 == 1)
        .map(|k| OutputSpec {
            name: LOOKUPS[k as usize].3.into(),
            value: ValueId(2 + k),
        })
        .collect();
    outputs.push(OutputSpec {
        name: "sum".into(),
        value: ValueId(2 + LOOKUPS.len() as u32),
    });
    Graph {
        name: "lookups".into(),
        inputs: vec![
            InputSpec {
                name: "x8".into(),
                info: info(&[24], 8),
            },
            InputSpec {
                name: "x14".into(),
                info: info(&[24], 14),
            },
        ],
        params,
        nodes,
        outputs,
    }
}

fn lookup_inputs(seed: u64) -> Vec<Vec<i32>> {
    let mut r = Lcg(seed * 7 + 3);
    vec![
        (0..24).map(|_| r.int(-128, 127)).collect(),
        (0..24).map(|_| r.int(-8192, 8191)).collect(),
    ]
}

/// The executor and the reference agree; the circuit accepts the trace.
fn honest(g: &Graph, inputs: &[Vec<i32>]) -> Vec<Vec<i32>> {
    let trace = verinfer_ir::reference::run(g, inputs).unwrap();
    let fast = Plan::for_graph(g.clone())
        .unwrap()
        .run(inputs)
        .unwrap()
        .into_values();
    assert_eq!(trace, fast, "reference and executor disagree");
    trace
}

/// Whether the constraint system (not only the trace comparison) rejects `trace`.
fn unsatisfied(g: &Graph, trace: Vec<Vec<i32>>) -> bool {
    let cs = ConstraintSystem::<Fr>::new_ref();
    GraphCircuit::new(g, trace)
        .unwrap()
        .synthesize(&cs)
        .unwrap();
    !cs.is_satisfied().unwrap()
}

#[test]
fn lookups_match_reference() {
    let g = lookup_graph();
    verinfer_ir::validate::validate(&g).unwrap();
    // Per node: elements below, inside and above the domain.
    let mut seen = vec![[0usize; 3]; LOOKUPS.len()];
    for seed in 0..30 {
        let inputs = lookup_inputs(seed);
        for (k, &(len, lo, wide, _)) in LOOKUPS.iter().enumerate() {
            for &x in &inputs[usize::from(wide)] {
                let d = i64::from(x) - i64::from(lo);
                seen[k][usize::from(d >= 0) + usize::from(d >= len as i64)] += 1;
            }
        }
        let trace = honest(&g, &inputs);
        check_witness(&GraphCircuit::new(&g, trace).unwrap())
            .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
    }
    for (k, &(len, lo, wide, name)) in LOOKUPS.iter().enumerate() {
        let (xlo, xhi) = if wide { (-8192, 8191) } else { (-128, 127) };
        let (can_below, can_above) = (xlo - lo < 0, xhi - lo >= len as i32);
        assert!(seen[k][1] > 20, "{name}: {:?}", seen[k]);
        assert_eq!(seen[k][0] > 0, can_below, "{name}: {:?}", seen[k]);
        assert_eq!(seen[k][2] > 0, can_above, "{name}: {:?}", seen[k]);
    }
}

/// One deviating element of a Lookup output is refused: by the constraint system itself for
/// a graph output (checked on clamped elements, below and above the domain), by the trace
/// comparison for an internal value.
#[test]
fn lookup_deviation_refused() {
    let g = lookup_graph();
    let inputs = lookup_inputs(0);
    let trace = honest(&g, &inputs);
    for (k, &(len, lo, wide, name)) in LOOKUPS.iter().enumerate() {
        let value = 2 + k;
        let public = k % 2 == 1;
        let offset = |j: usize| i64::from(inputs[usize::from(wide)][j]) - i64::from(lo);
        // The first element below, inside and above the domain, where there is one.
        let picks = [
            (0..24).find(|&j| offset(j) < 0),
            (0..24).find(|&j| (0..len as i64).contains(&offset(j))),
            (0..24).find(|&j| offset(j) >= len as i64),
        ];
        for j in picks.into_iter().flatten() {
            for delta in [-1, 1] {
                let mut bad = trace.clone();
                bad[value][j] = bad[value][j].saturating_add(delta);
                let r = check_witness(&GraphCircuit::new(&g, bad.clone()).unwrap());
                if public {
                    assert!(
                        matches!(r, Err(ZkError::Unsatisfied(_))),
                        "{name}[{j}] {delta:+}: {r:?}"
                    );
                    assert!(unsatisfied(&g, bad), "{name}[{j}]");
                } else {
                    assert!(
                        matches!(r, Err(ZkError::TraceMismatch { .. })),
                        "{name}[{j}] {delta:+}: {r:?}"
                    );
                }
            }
        }
    }
}

#[test]
fn lookup_constraint_counts() {
    // One Lookup node of 24 elements per graph; constraints per element.
    let per_element = |len: usize, lo: i32, bits: u32| {
        let g = Graph {
            name: "one".into(),
            inputs: vec![InputSpec {
                name: "x".into(),
                info: info(&[24], bits),
            }],
            params: vec![Param {
                name: "t".into(),
                kind: ParamKind::Table,
                info: info(&[len], 16),
                data: (0..len as i32)
                    .map(|k| k * 7 % 65_536 - 32_768)
                    .collect::<Vec<i32>>()
                    .into(),
            }],
            nodes: vec![lookup(0, lo, v(0), 24, "lut")],
            outputs: vec![OutputSpec {
                name: "y".into(),
                value: ValueId(1),
            }],
        };
        let c = constraint_counts(&g).unwrap()["Lookup"].constraints;
        assert_eq!(c % 24, 0);
        c / 24
    };
    let t256 = per_element(256, -128, 8);
    let t4096 = per_element(4096, -2048, 12);
    let t4096_clamped = per_element(4096, -2048, 14);
    let t256_clamped = per_element(256, -128, 14);
    eprintln!(
        "constraints per Lookup element: 256 entries {t256} (14-bit input, clamped: \
         {t256_clamped}); 4096 entries {t4096} (14-bit input, clamped: {t4096_clamped})"
    );
    assert_eq!(t256, 47);
    assert_eq!(t4096, 183);
    // The clamp of a 14-bit input (x − lo of width Q = 14): Q + 6.
    assert_eq!(t4096_clamped, 183 + 14 + 6);
    assert_eq!(t256_clamped, 47 + 14 + 6);
}

/// Inputs ids8 [2, 3] (8 bits), ids32 [4] (32 bits), xd [16, 3] (8 bits, run-time data);
/// params E10 [10, 4], E3 [2, 12, 3] (8-bit constants), zero [1], minus1 [1].
/// Nodes (values v3…):
/// - v3 `const_data`: E10 by ids8 (both signs, clamp both sides, n = 10)
/// - v4 `wire_data`: xd by ids8 (run-time data, n = 16)
/// - v5 `axis1_ids32`: E3 by ids32 along axis 1 (token ids, 32 bits)
/// - v6 `relu`: max(ids8, 0); v7 `nonneg_idx`: E10 by v6 (upper clamp only)
/// - v8 `neg`: min(ids8, −1); v9 `neg_idx`: xd by v8 (negatives only)
fn gather_graph() -> Graph {
    let gather = |axis, data, idx, out: &[usize], name: &str| Node {
        name: name.into(),
        origin: "test".into(),
        op: Op::Gather(Gather { axis }),
        inputs: vec![data, idx],
        out: info(out, 8),
    };
    let bin = |kind, k: u32, name: &str| Node {
        name: name.into(),
        origin: "test".into(),
        op: Op::Binary(Binary {
            kind,
            a_mult: 1,
            b_mult: 1,
            requant: Requant {
                mult: 1,
                shift: 0,
                bits: Bits::new(8).unwrap(),
            },
        }),
        inputs: vec![v(0), Operand::Param(ParamId(k))],
        out: info(&[2, 3], 8),
    };
    let mut r = Lcg(99);
    let mut data = |n: usize| (0..n).map(|_| r.int(-128, 127)).collect::<Vec<_>>();
    let p = |name: &str, dims: &[usize], data: Vec<i32>| Param {
        name: name.into(),
        kind: ParamKind::Weight,
        info: info(dims, 8),
        data: data.into(),
    };
    Graph {
        name: "gathers".into(),
        inputs: vec![
            InputSpec {
                name: "ids8".into(),
                info: info(&[2, 3], 8),
            },
            InputSpec {
                name: "ids32".into(),
                info: info(&[4], 32),
            },
            InputSpec {
                name: "xd".into(),
                info: info(&[16, 3], 8),
            },
        ],
        params: vec![
            p("E10", &[10, 4], data(40)),
            p("E3", &[2, 12, 3], data(72)),
            p("zero", &[1], vec![0]),
            p("minus1", &[1], vec![-1]),
        ],
        nodes: vec![
            gather(
                0,
                Operand::Param(ParamId(0)),
                v(0),
                &[2, 3, 4],
                "const_data",
            ),
            gather(0, v(2), v(0), &[2, 3, 3], "wire_data"),
            gather(
                1,
                Operand::Param(ParamId(1)),
                v(1),
                &[2, 4, 3],
                "axis1_ids32",
            ),
            bin(BinaryKind::Max, 2, "relu"),
            gather(
                0,
                Operand::Param(ParamId(0)),
                v(6),
                &[2, 3, 4],
                "nonneg_idx",
            ),
            bin(BinaryKind::Min, 3, "neg"),
            gather(0, v(2), v(8), &[2, 3, 3], "neg_idx"),
        ],
        outputs: vec![
            OutputSpec {
                name: "const_data".into(),
                value: ValueId(3),
            },
            OutputSpec {
                name: "axis1_ids32".into(),
                value: ValueId(5),
            },
            OutputSpec {
                name: "neg_idx".into(),
                value: ValueId(9),
            },
        ],
    }
}

/// Index values around the rows (negatives, past the end) and extremes.
fn gather_inputs(seed: u64) -> Vec<Vec<i32>> {
    let mut r = Lcg(seed * 13 + 5);
    let ids8 = (0..6)
        .map(|_| {
            if r.next().is_multiple_of(2) {
                r.int(-20, 20)
            } else {
                r.int(-128, 127)
            }
        })
        .collect();
    let ids32 = (0..4)
        .map(|_| match r.next() % 4 {
            0 => r.int(-14, 14),
            1 => r.int(i64::from(i32::MIN), i64::from(i32::MAX)),
            _ => r.int(-30, 30),
        })
        .collect();
    let xd = (0..48).map(|_| r.int(-128, 127)).collect();
    vec![ids8, ids32, xd]
}

#[test]
fn gathers_match_reference() {
    let g = gather_graph();
    verinfer_ir::validate::validate(&g).unwrap();
    let (mut neg, mut past, mut wrapped_out) = (0, 0, 0);
    for seed in 0..80 {
        let inputs = gather_inputs(seed);
        for &i in inputs[0].iter().chain(&inputs[1]) {
            neg += usize::from(i < 0);
            past += usize::from(i >= 16);
            wrapped_out += usize::from(i < -16);
        }
        let trace = honest(&g, &inputs);
        check_witness(&GraphCircuit::new(&g, trace).unwrap())
            .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
    }
    assert!(
        neg > 50 && past > 50 && wrapped_out > 50,
        "{neg} {past} {wrapped_out}"
    );
}

/// One deviating element of a Gather output is refused: by the constraint system itself for
/// a graph output, by the trace comparison for an internal value.
#[test]
fn gather_deviation_refused() {
    let g = gather_graph();
    let outputs: Vec<usize> = g.outputs.iter().map(|o| o.value.index()).collect();
    for seed in [0u64, 1] {
        let trace = honest(&g, &gather_inputs(seed));
        for value in [3usize, 4, 5, 7, 9] {
            for j in (seed as usize..trace[value].len()).step_by(3) {
                let mut bad = trace.clone();
                bad[value][j] = if bad[value][j] == 127 {
                    126
                } else {
                    bad[value][j] + 1
                };
                let r = check_witness(&GraphCircuit::new(&g, bad.clone()).unwrap());
                if outputs.contains(&value) {
                    assert!(
                        matches!(r, Err(ZkError::Unsatisfied(_))),
                        "seed {seed} v{value}[{j}]: {r:?}"
                    );
                    assert!(unsatisfied(&g, bad), "v{value}[{j}]");
                } else {
                    assert!(
                        matches!(
                            r,
                            Err(ZkError::TraceMismatch { .. } | ZkError::Unsatisfied(_))
                        ),
                        "seed {seed} v{value}[{j}]: {r:?}"
                    );
                }
            }
        }
    }
}

#[test]
fn gather_constraint_counts() {
    let counts = constraint_counts(&gather_graph()).unwrap();
    for (op, c) in &counts {
        eprintln!(
            "{op:>10}: {:>3} nodes {:>7} constraints",
            c.nodes, c.constraints
        );
    }
    assert_eq!(counts["Gather"].nodes, 5);
}

/// The transformer block compiled from ONNX with its calibration data, and its `input.json`
/// quantized: the honest trace satisfies the circuit, and the model's Lookups now have one.
fn transformer_block() -> (Graph, Vec<Vec<i32>>) {
    let (g, q) = bundled("transformer_block");
    let trace = trace(&g, &q);
    (g, trace)
}

#[test]
fn transformer_block_circuit() {
    let (g, trace) = transformer_block();
    let counts = constraint_counts(&g).unwrap();
    let total: usize = counts.values().map(|c| c.constraints).sum();
    for (op, c) in &counts {
        eprintln!(
            "{op:>10}: {:>3} nodes {:>9} constraints",
            c.nodes, c.constraints
        );
    }
    eprintln!("transformer_block: {total} constraints");
    assert_eq!(counts["Lookup"].nodes, 4);
    check_witness(&GraphCircuit::new(&g, trace).unwrap()).unwrap();
}

/// Groth16 setup, prove and verify of the transformer block.
#[test]
#[ignore = "slow: 2.6 M constraints, setup ~220 s and prove ~100 s on 2 cores (docs/zk.md)"]
fn transformer_block_prove_verify() {
    let (g, trace) = transformer_block();
    let [setup, prove, verify] = common::timed_groth16(&g, trace, 3);
    eprintln!("transformer_block: setup {setup:?}, prove {prove:?}, verify {verify:?}");
}

//! The two LLaMA primitives in the Groth16 circuit: `ISqrt` and `ArgMax` accept exactly the
//! reference's trace (random one-node cases of every width, shift and epilogue, ties and
//! all-equal rows included), a graph `x → ISqrt → ArgMax` proves and verifies, and a wrong
//! root or a wrong index (a later maximum among ties) leaves the system unsatisfied.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;
use ark_std::rand::{rngs::StdRng, SeedableRng};
use verinfer_ir::{Graph, ISqrt, Op, ReduceKind};
use verinfer_testing::{ops, requant, GraphBuilder, Rng};
use verinfer_zk::{check_witness, GraphCircuit, Groth16, ProofSystem, VerifyError, ZkError};

/// The generators draw epilogues of every size; those the exact circuit cannot hold (a
/// multiplier and shift past its 120-bit wires) are refused by name, never mis-proven.
#[test]
fn random_cases_accept_the_reference_trace() {
    for (name, gen) in [("isqrt", ops::isqrt as ops::Gen), ("argmax", ops::argmax)] {
        let mut checked = 0;
        for seed in 0..128 {
            let case = gen(&mut Rng::new(seed));
            let trace = verinfer_ir::reference::run(&case.g, &case.inputs).unwrap();
            match check_witness(&GraphCircuit::new(&case.g, trace).unwrap()) {
                Ok(()) => checked += 1,
                Err(ZkError::TooWide { .. }) => {}
                Err(e) => panic!("{name} seed {seed}: {e}"),
            }
        }
        assert!(
            checked >= 96,
            "{name}: only {checked} of 128 cases fit the circuit"
        );
    }
}

/// `x [2, 6] → ISqrt (shift 4) → ArgMax over the last axis`, both outputs.
fn graph() -> (Graph, Vec<Vec<i32>>) {
    let mut b = GraphBuilder::new();
    let x = b.input_with(
        &[2, 6],
        10,
        // Row 0: roots 8, 12, 12, 4, 0, 12 (first maximum at 1, ties later);
        // row 1: negatives count as 0, an all-equal row of roots but for the last.
        vec![4, 9, 9, 1, -7, 9, -1, -300, 0, -5, -2, 2],
    );
    let root = b.node(
        Op::ISqrt(ISqrt {
            shift: 4,
            requant: requant(1, 0, 10),
        }),
        vec![x],
        &[2, 6],
        10,
    );
    let idx = b.node(
        verinfer_testing::graph::reduce_op(ReduceKind::ArgMax, &[1], requant(1, 0, 4)),
        vec![root],
        &[2],
        4,
    );
    b.output("root", root);
    b.output("index", idx);
    let case = b.case();
    (case.g, case.inputs)
}

#[test]
fn isqrt_argmax_prove_verify_and_refuse_wrong_values() {
    let (g, inputs) = graph();
    let trace = verinfer_ir::reference::run(&g, &inputs).unwrap();
    assert_eq!(trace[1], [8, 12, 12, 4, 0, 12, 0, 0, 0, 0, 0, 5]);
    assert_eq!(trace[2], [1, 5]);
    let mut rng = StdRng::seed_from_u64(12);
    let (pk, vk) = Groth16::setup(&g, &mut rng).unwrap();
    let (proof, public) = Groth16::prove(&pk, &g, trace.clone(), &mut rng).unwrap();
    Groth16::verify(&vk, &public, &proof).unwrap();
    // A wrong index in the public values (a later tie) is rejected.
    assert!(matches!(
        common::verify_altered(&vk, &public, &proof, |p| p.outputs[1][0] = 2),
        Err(VerifyError::Rejected)
    ));
    // A wrong root (y + 1, y − 1) or index cannot be proven.
    for (value, element, delta) in [(1, 1, 1), (1, 3, -1), (1, 6, 1), (2, 0, 1), (2, 1, -1)] {
        let mut bad = trace.clone();
        bad[value][element] += delta;
        let r = Groth16::prove(&pk, &g, bad, &mut rng);
        assert!(
            matches!(r, Err(ZkError::Unsatisfied(_))),
            "v{value}[{element}] {delta:+}: {:?}",
            r.err()
        );
    }
}

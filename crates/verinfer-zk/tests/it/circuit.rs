//! The circuit accepts exactly the executor's trace: satisfied on honest traces, unsatisfied
//! when one element deviates.

use crate::common;
use ark_bn254::Fr;
use ark_relations::gr1cs::ConstraintSystem;
use verinfer_ir::{Lookup, Op, ParamId};
use verinfer_zk::{
    check_supported, check_witness, constraint_counts, constraint_counts_with, GraphCircuit,
    ZkError,
};

#[test]
fn digits_mlp_trace_satisfies() {
    let (g, trace) = verinfer_testing::models::golden_mlp_trace();
    let c = GraphCircuit::new(&g, trace).unwrap();
    check_witness(&c).unwrap();
}

#[test]
fn digits_mlp_deviating_element_refused() {
    let (g, trace) = verinfer_testing::models::golden_mlp_trace();
    for value in 1..g.num_values() {
        for j in [0usize, 7, 9] {
            let mut bad = trace.clone();
            bad[value][j] += 1;
            let r = check_witness(&GraphCircuit::new(&g, bad).unwrap());
            assert!(
                matches!(
                    r,
                    Err(ZkError::Unsatisfied(_) | ZkError::TraceMismatch { .. })
                ),
                "v{value}[{j}]: {r:?}"
            );
        }
    }
}

/// A clamped output (fc0) and a public output are witnesses: deviating in one element leaves
/// the constraint system itself unsatisfied.
#[test]
fn digits_mlp_deviating_witness_unsatisfies_constraints() {
    let (g, trace) = verinfer_testing::models::golden_mlp_trace();
    let out = g.outputs[0].value.index();
    for (value, j) in [(1usize, 3usize), (1, 63), (out, 0), (out, 9)] {
        for delta in [-1, 1] {
            let mut bad = trace.clone();
            bad[value][j] += delta;
            let cs = ConstraintSystem::<Fr>::new_ref();
            GraphCircuit::new(&g, bad).unwrap().synthesize(&cs).unwrap();
            assert!(!cs.is_satisfied().unwrap(), "v{value}[{j}] {delta:+}");
        }
    }
    let cs = ConstraintSystem::<Fr>::new_ref();
    GraphCircuit::new(&g, trace)
        .unwrap()
        .synthesize(&cs)
        .unwrap();
    assert!(cs.is_satisfied().unwrap());
}

#[test]
fn mixed_ops_match_reference() {
    let g = common::mixed();
    verinfer_ir::validate::validate(&g).unwrap();
    for seed in 0..40 {
        let inputs = common::mixed_inputs(seed);
        let trace = verinfer_ir::reference::run(&g, &inputs).unwrap();
        check_witness(&GraphCircuit::new(&g, trace.clone()).unwrap())
            .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        // A deviating public output is refused.
        for o in &g.outputs {
            for j in 0..trace[o.value.index()].len() {
                let mut bad = trace.clone();
                bad[o.value.index()][j] -= 1;
                let r = check_witness(&GraphCircuit::new(&g, bad).unwrap());
                assert!(
                    matches!(r, Err(ZkError::Unsatisfied(_))),
                    "seed {seed} {}[{j}]",
                    o.name
                );
            }
        }
        // A deviating clamped node output is refused.
        for v in [5usize, 8] {
            let mut bad = trace.clone();
            bad[v][1] += 1;
            let r = check_witness(&GraphCircuit::new(&g, bad).unwrap());
            assert!(
                matches!(r, Err(ZkError::Unsatisfied(_))),
                "seed {seed} v{v}"
            );
        }
    }
}

/// Every primitive has a circuit; a malformed node (a Lookup without its table) is a typed
/// error naming the node, never a panic.
#[test]
fn every_op_supported_malformed_node_named() {
    let (mut g, _) = verinfer_testing::models::golden_mlp_trace();
    check_supported(&g).unwrap();
    g.nodes[1].op = Op::Lookup(Lookup {
        table: ParamId(999),
        lo: 0,
    });
    check_supported(&g).unwrap();
    let name = g.nodes[1].name.clone();
    match constraint_counts(&g) {
        Err(ZkError::BadWitness(m)) => {
            assert!(m.contains("node 1") && m.contains(&name), "{m}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn digits_mlp_constraint_counts() {
    let (g, _) = verinfer_testing::models::golden_mlp_trace();
    let counts = constraint_counts(&g).unwrap();
    for (op, c) in &counts {
        eprintln!(
            "{op:>10}: {:>3} nodes {:>7} constraints",
            c.nodes, c.constraints
        );
    }
    // Public weights: the contractions cost only their epilogues.
    assert!(counts["Contract"].constraints > 0);
    // 64 16-bit inputs: 16 range bits each.
    assert_eq!(counts["input"].constraints, 64 * 16);
    // Ten 16-bit outputs: their bounds need no range check.
    assert_eq!(counts["output"].constraints, 0);
    // The packed statement: inputs packed 15 per public element (5 elements), the ten outputs
    // in one; the context word is a public input no constraint reads.
    assert_eq!(counts["statement"].constraints, 5 + 1);

    // The digest statement hashes those six elements and the context instead: what one
    // public input costs the prover.
    let digest = constraint_counts_with(&g, "statement=digest".parse().unwrap()).unwrap();
    eprintln!(
        "digest statement: {} constraints",
        digest["statement"].constraints
    );
    assert!(digest["statement"].constraints > 100_000);
    assert_eq!(digest["input"], counts["input"]);
}

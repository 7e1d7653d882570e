//! Reduce and Div circuits accept exactly the reference interpreter's trace.

use crate::common;
use verinfer_zk::{check_witness, constraint_counts, GraphCircuit, ZkError};

#[test]
fn reduce_div_match_reference() {
    let g = common::reduce_div();
    verinfer_ir::validate::validate(&g).unwrap();
    let mut ties = 0;
    let mut zero_div = 0;
    for seed in 0..60 {
        let inputs = common::reduce_div_inputs(seed);
        assert_eq!(inputs[0].len(), 24);
        assert_eq!(inputs[1].len(), 4);
        for (j, &a) in inputs[0].iter().enumerate() {
            let b = inputs[1][j % 4];
            zero_div += usize::from(b == 0);
            ties += usize::from(
                b != 0
                    && (2 * i64::from(a) * 8) % i64::from(b) == 0
                    && (i64::from(a) * 8) % i64::from(b) != 0,
            );
        }
        let trace = verinfer_ir::reference::run(&g, &inputs).unwrap();
        check_witness(&GraphCircuit::new(&g, trace).unwrap())
            .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
    }
    assert!(ties > 10, "{ties} ties");
    assert!(zero_div > 10, "{zero_div} zero divisors");
}

#[test]
fn reduce_div_deviation_refused() {
    let g = common::reduce_div();
    for seed in [0u64, 3, 6] {
        let trace = verinfer_ir::reference::run(&g, &common::reduce_div_inputs(seed)).unwrap();
        for o in &g.outputs {
            for j in 0..trace[o.value.index()].len() {
                for delta in [-1, 1] {
                    let mut bad = trace.clone();
                    bad[o.value.index()][j] += delta;
                    let r = check_witness(&GraphCircuit::new(&g, bad).unwrap());
                    assert!(
                        matches!(r, Err(ZkError::Unsatisfied(_))),
                        "seed {seed} {}[{j}] {delta:+}: {r:?}",
                        o.name
                    );
                }
            }
        }
    }
}

#[test]
fn reduce_div_constraint_counts() {
    let g = common::reduce_div();
    let counts = constraint_counts(&g).unwrap();
    for (op, c) in &counts {
        eprintln!(
            "{op:>10}: {:>3} nodes {:>7} constraints",
            c.nodes, c.constraints
        );
    }
    assert_eq!(counts["ReduceSum"].nodes + counts["ReduceMax"].nodes, 5);
    assert_eq!(counts["Div"].nodes, 3);
    // No range check on the outputs (every output's bounds already fit the packing width);
    // 86 output values packed 31 per public element (8-bit bounds) and the input elements
    // make the statement's bindings.
    assert_eq!(counts["output"].constraints, 0);
    let outputs = 8 + 3 + 6 + 1 + 12 + 24 + 8 + 24;
    let input_elements =
        counts["statement"].constraints - verinfer_zk::packing::element_count(outputs, 8);
    assert!((1..=2).contains(&input_elements), "{input_elements}");
}

//! The circuit witness as an interpretation of the op semantics: every generator of
//! `verinfer_testing::ops` (the convolution with stride, padding, dilation and groups
//! included) builds the circuit from the scalar reference's trace; its constraint system is
//! satisfied and every element the gadgets compute equals the reference's
//! ([`check_witness`]) — or the case is refused as too wide for an exact circuit (a typed
//! error, for at most a quarter of the cases); the executor's trace (what a prover is given)
//! is accepted too; a deviating output element is refused.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use verinfer_testing::check::{Interpretation, Verdict};
use verinfer_testing::{Case, Rng};
use verinfer_zk::{check_witness, GraphCircuit, ZkError};

/// The Groth16 gadgets over one case.
struct Circuit;

impl Interpretation for Circuit {
    fn check(&mut self, case: &Case, rng: &mut Rng) -> Verdict {
        let g = &case.g;
        let trace = verinfer_ir::reference::run(g, &case.inputs).expect("reference run");
        let circuit = GraphCircuit::new(g, trace.clone()).expect("circuit");
        match check_witness(&circuit) {
            Ok(()) => {}
            // Bounds past the exact-circuit width: a typed refusal, which `supports` reports.
            Err(ZkError::TooWide { .. }) => return Verdict::Refuses,
            Err(e) => panic!("reference witness refused: {e}"),
        }
        // The prover is given the executor's trace: the circuit accepts it too (whatever the
        // gadgets share with the reference, they still answer to the executor's own kernels).
        let plan = verinfer_exec::Plan::for_graph(g.clone()).expect("plan");
        let fast = plan.run(&case.inputs).expect("fast run").into_values();
        check_witness(&GraphCircuit::new(g, fast).expect("circuit"))
            .unwrap_or_else(|e| panic!("executor witness refused: {e}"));
        // The node is the graph's output: one element off is a deviating public output.
        let out = g.outputs[0].value.index();
        if let Some(n) = trace[out].len().checked_sub(1) {
            let j = rng.size(0, n);
            let mut bad = trace;
            bad[out][j] ^= 1;
            let r = check_witness(&GraphCircuit::new(g, bad).expect("circuit"));
            assert!(
                matches!(r, Err(ZkError::Unsatisfied(_))),
                "output element {j} off by one: {r:?}"
            );
        }
        Verdict::Agrees
    }
}

verinfer_testing::op_conformance!(Circuit, 32);

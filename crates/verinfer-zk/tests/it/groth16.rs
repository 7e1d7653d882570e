//! Groth16 end to end on the digits MLP: honest proofs verify, tampered ones do not.

use crate::common;
use ark_std::rand::{rngs::StdRng, SeedableRng};
use verinfer_prove::StatementError;
use verinfer_zk::{Groth16, ProofSystem, VerifyError, ZkError};

#[test]
fn digits_mlp_prove_verify() {
    let (g, trace) = verinfer_testing::models::golden_mlp_trace();
    let mut rng = StdRng::seed_from_u64(5);
    let (pk, vk) = Groth16::setup(&g, &mut rng).unwrap();
    let (proof, public) = Groth16::prove(&pk, &g, trace.clone(), &mut rng).unwrap();
    // The attested outputs are the executor's.
    assert_eq!(
        public.outputs,
        vec![trace[g.outputs[0].value.index()].clone()]
    );
    assert_eq!(public.inputs, vec![trace[0].clone()]);
    Groth16::verify(&vk, &public, &proof).unwrap();

    assert!(matches!(
        common::verify_altered(&vk, &public, &proof, |p| p.outputs[0][3] += 1),
        Err(VerifyError::Rejected)
    ));
    assert!(matches!(
        common::verify_altered(&vk, &public, &proof, |p| p.inputs[0][20] ^= 1),
        Err(VerifyError::Rejected)
    ));
    // One output fewer is not the model's output tensor: refused before packing.
    assert!(matches!(
        common::verify_altered(&vk, &public, &proof, |p| {
            p.outputs[0].pop();
        }),
        Err(VerifyError::Statement(StatementError::TensorLength {
            class: "output",
            index: 0,
            found: 9,
            expected: 10,
            ..
        }))
    ));
    // A value outside its packing width is refused before the pairing.
    assert!(matches!(
        common::verify_altered(&vk, &public, &proof, |p| p.outputs[0][0] = 1 << 20),
        Err(VerifyError::Statement(StatementError::BadValue(_)))
    ));
    // Sixteen extra inputs: not the model's input tensor.
    assert!(matches!(
        common::verify_altered(&vk, &public, &proof, |p| p.inputs[0].extend([0; 16])),
        Err(VerifyError::Statement(StatementError::TensorLength {
            class: "input",
            ..
        }))
    ));

    // A deviating witness cannot produce a proof.
    let mut bad = trace;
    bad[1][5] += 1;
    assert!(matches!(
        Groth16::prove(&pk, &g, bad, &mut rng),
        Err(ZkError::Unsatisfied(_))
    ));
}

#[test]
fn mixed_ops_prove_verify() {
    let g = common::mixed();
    let mut rng = StdRng::seed_from_u64(9);
    let (pk, vk) = Groth16::setup(&g, &mut rng).unwrap();
    for seed in 0..3 {
        let trace = verinfer_ir::reference::run(&g, &common::mixed_inputs(seed)).unwrap();
        let (proof, public) = Groth16::prove(&pk, &g, trace, &mut rng).unwrap();
        Groth16::verify(&vk, &public, &proof).unwrap();
    }
}

/// Timing of the digits MLP (run with `--ignored --nocapture`).
#[test]
#[ignore = "timing report, not a check"]
fn digits_mlp_timing() {
    let (g, trace) = verinfer_testing::models::golden_mlp_trace();
    let [setup, prove, verify] = common::timed_groth16(&g, trace, 5);
    let counts = verinfer_zk::constraint_counts(&g).unwrap();
    let total: usize = counts.values().map(|c| c.constraints).sum();
    eprintln!(
        "digits_mlp: {total} constraints; setup {setup:?}, prove {prove:?}, verify {verify:?}"
    );
}

/// Weights are circuit constants: keys of a model with one weight changed reject the proof.
#[test]
fn other_models_keys_reject() {
    let (g, trace) = verinfer_testing::models::golden_mlp_trace();
    let mut other = g.clone();
    let mut vals = other.params[0].data.to_vec();
    vals[0] += 1;
    other.params[0].data = vals.into();
    let mut rng = StdRng::seed_from_u64(7);
    let (pk, _) = Groth16::setup(&g, &mut rng).unwrap();
    let (_, other_vk) = Groth16::setup(&other, &mut rng).unwrap();
    let (proof, public) = Groth16::prove(&pk, &g, trace, &mut rng).unwrap();
    assert!(matches!(
        Groth16::verify(&other_vk, &public, &proof),
        Err(VerifyError::Rejected)
    ));
}

#[test]
fn reduce_div_prove_verify() {
    let g = common::reduce_div();
    let mut rng = StdRng::seed_from_u64(11);
    let (pk, vk) = Groth16::setup(&g, &mut rng).unwrap();
    let trace = verinfer_ir::reference::run(&g, &common::reduce_div_inputs(0)).unwrap();
    let (proof, public) = Groth16::prove(&pk, &g, trace, &mut rng).unwrap();
    Groth16::verify(&vk, &public, &proof).unwrap();
    assert!(matches!(
        common::verify_altered(&vk, &public, &proof, |p| p.outputs[5][0] += 1),
        Err(VerifyError::Rejected)
    ));
}

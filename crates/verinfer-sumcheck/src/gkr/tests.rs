use ark_std::rand::{rngs::StdRng, SeedableRng};
use verinfer_ir::Graph;

use super::*;
use crate::pcs::Srs;

fn digits_mlp() -> Graph {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/golden/v1/digits_mlp.vmodel"
    );
    verinfer_ir::vmodel::load(std::path::Path::new(path)).unwrap()
}

/// The bundled digit (`testdata/models/digits_mlp/input.json`) quantized at the input's
/// scale, rotated by `seed` pixels (other digits-like inputs).
fn input(g: &Graph, seed: i64) -> Vec<i32> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/models/digits_mlp/input.json"
    );
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    let scale = f64::from(g.inputs[0].info.scale.exponent()).exp2();
    let mut x: Vec<i32> = v["input_data"][0]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p.as_f64().unwrap() * scale).round() as i32)
        .collect();
    x.rotate_left(usize::try_from(seed).unwrap() * 5);
    x
}

struct Fixture {
    spec: ChainSpec,
    srs: Srs,
    weights: Vec<Vec<i32>>,
    commitments: Vec<Commitment>,
    trace: Vec<Vec<i32>>,
}

fn fixture(g: &Graph, seed: i64) -> Fixture {
    fixture_with(g, input(g, seed))
}

/// The fixture of `g` on the input `x`.
fn fixture_with(g: &Graph, x: Vec<i32>) -> Fixture {
    let spec = ChainSpec::recognise(g).unwrap();
    let srs = Srs::insecure_local_setup_for_tests(srs_vars(&spec), &mut StdRng::seed_from_u64(7));
    let weights = weight_data(g, &spec).unwrap();
    let commitments = commit_weights(&srs.commit_key, &spec, &weights).unwrap();
    let trace = verinfer_ir::reference::run(g, &[x]).unwrap();
    Fixture {
        spec,
        srs,
        weights,
        commitments,
        trace,
    }
}

const STATEMENT: [u8; 32] = [9; 32];

impl Fixture {
    fn prove(&self) -> ModelProof {
        prove_model(
            &self.srs.commit_key,
            Some(&STATEMENT),
            &self.spec,
            &self.weights,
            &self.commitments,
            &self.trace,
        )
        .unwrap()
    }

    fn verify(&self, y: &[i32], proof: &ModelProof) -> Result<(), GkrError> {
        verify_model(
            &self.srs.verifier_key,
            Some(&STATEMENT),
            &self.spec,
            &self.commitments,
            &self.trace[0],
            y,
            proof,
        )
    }

    /// Prove the (possibly tampered) trace without the prover's own check: a cheating prover.
    fn prove_unchecked(&self) -> Result<ModelProof, GkrError> {
        prove::prove_checked(
            &self.srs.commit_key,
            Some(&STATEMENT),
            &self.spec,
            &self.weights,
            &self.commitments,
            &self.trace,
            false,
        )
    }

    fn output(&self) -> &[i32] {
        self.trace.last().unwrap()
    }

    /// The honest prover refuses this (tampered) trace at `node`.
    fn assert_refused_at(&self, node: usize) {
        let r = prove_model(
            &self.srs.commit_key,
            None,
            &self.spec,
            &self.weights,
            &self.commitments,
            &self.trace,
        );
        assert!(
            matches!(r, Err(GkrError::TraceMismatch { node: n, .. }) if n == node),
            "{r:?}"
        );
    }
}

#[test]
fn digits_mlp_is_recognised_as_contract_clip_chain() {
    let g = digits_mlp();
    let spec = ChainSpec::recognise(&g).unwrap();
    let kinds: Vec<&str> = spec
        .layers
        .iter()
        .map(|l| match l.kind {
            LayerKind::Matmul { .. } => "matmul",
            LayerKind::Clip { .. } => "clip",
            LayerKind::Move { .. } => "move",
            LayerKind::ReduceMax => "max",
            LayerKind::Binary { .. } => "binary",
            LayerKind::ReduceSum { .. } => "sum",
            LayerKind::Lookup { .. } => "lookup",
            LayerKind::Product { .. } => "product",
            LayerKind::Div { .. } => "div",
        })
        .collect();
    assert_eq!(kinds, ["matmul", "clip", "matmul", "clip", "matmul"]);
    assert_eq!(ChainSpec::from_bytes(&spec.to_bytes()).unwrap(), spec);
}

#[test]
fn honest_digits_mlp_proofs_verify() {
    let g = digits_mlp();
    for seed in 0..3 {
        let f = fixture(&g, seed);
        let proof = f.prove();
        f.verify(f.output(), &proof).unwrap();
    }
}

#[test]
fn a_wrong_output_input_statement_or_weight_commitment_is_rejected() {
    let g = digits_mlp();
    let f = fixture(&g, 1);
    let proof = f.prove();
    let mut y = f.output().to_vec();
    y[3] += 1;
    assert!(f.verify(&y, &proof).unwrap_err().is_rejection());
    let mut x = f.trace[0].clone();
    x[5] -= 1;
    let r = verify_model(
        &f.srs.verifier_key,
        Some(&STATEMENT),
        &f.spec,
        &f.commitments,
        &x,
        f.output(),
        &proof,
    );
    assert!(r.unwrap_err().is_rejection());
    let r = verify_model(
        &f.srs.verifier_key,
        Some(&[8; 32]),
        &f.spec,
        &f.commitments,
        &f.trace[0],
        f.output(),
        &proof,
    );
    assert!(r.unwrap_err().is_rejection());
    for j in 0..f.commitments.len() {
        let mut cs = f.commitments.clone();
        cs[j] = cs[(j + 1) % cs.len()];
        let r = verify_model(
            &f.srs.verifier_key,
            Some(&STATEMENT),
            &f.spec,
            &cs,
            &f.trace[0],
            f.output(),
            &proof,
        );
        assert!(r.unwrap_err().is_rejection(), "weight commitment {j}");
    }
}

#[test]
fn every_proof_word_changed_is_refused_or_rejected() {
    let g = digits_mlp();
    let f = fixture(&g, 2);
    let proof = f.prove();
    let w = words::model_words(&proof);
    assert_eq!(words::model_from_words(&f.spec, &w).unwrap(), proof);
    for i in 0..w.len() {
        let mut bad = w.clone();
        bad[i][31] ^= 1;
        if let Ok(p) = words::model_from_words(&f.spec, &bad) {
            assert!(
                f.verify(f.output(), &p).is_err(),
                "word {i} of {} changed, accepted",
                w.len()
            );
        }
    }
    assert!(words::model_from_words(&f.spec, &w[..w.len() - 1]).is_err());
    let mut longer = w.clone();
    longer.push([0; 32]);
    assert!(words::model_from_words(&f.spec, &longer).is_err());
}

#[test]
fn a_deviating_trace_has_no_proof() {
    let g = digits_mlp();
    let mut f = fixture(&g, 0);
    f.trace[2][0] += 1;
    f.assert_refused_at(1);
}

/// The first `n` nodes of `g`, the last of them the output.
fn prefix(g: &Graph, n: usize) -> Graph {
    let mut g = g.clone();
    g.nodes.truncate(n);
    g.outputs[0].value = verinfer_ir::ValueId(u32::try_from(n).unwrap());
    g
}

#[test]
fn a_cheating_relu_is_rejected() {
    // A "ReLU" output above max(x, 0) passes both range checks (y − x ≥ 0, y ≥ 0); only the
    // zero-check (y − x)·(y − 0) = 0 catches it. The prover skips its own trace check.
    let g = prefix(&digits_mlp(), 2);
    let mut f = fixture(&g, 0);
    let j = f.trace[1]
        .iter()
        .position(|&v| v > 0)
        .expect("a positive pre-activation");
    f.trace[2][j] += 2;
    let p = f.prove_unchecked().unwrap();
    let err = f.verify(f.output(), &p).unwrap_err();
    assert!(err.is_rejection(), "{err}");
}

/// Layer `i` (a one-row matrix product) of `f` on `x` by the reference semantics.
fn matmul_ref(f: &Fixture, i: usize, x: &[i32]) -> Vec<i32> {
    let w = &f.weights;
    let LayerKind::Matmul { node, w: wi, bias } = f.spec.layers[i].kind else {
        panic!("layer {i} is not a matrix product")
    };
    let (_, k, n) = node.dims();
    let rq = node.requant();
    (0..n)
        .map(|c| {
            let mut acc: i64 = (0..k)
                .map(|l| i64::from(x[l]) * i64::from(w[wi][l * n + c]))
                .sum();
            if let (Some(b), Some(t)) = (bias, node.bias_shift()) {
                acc += i64::from(w[b][c]) << t;
            }
            rq.apply(acc)
        })
        .collect()
}

#[test]
fn a_cheating_requantization_is_rejected() {
    // A hidden matrix-product output off by one, the remainders of the true one: the relation
    // at ρ fails (the next layers' view of the forged value is consistent).
    let g = prefix(&digits_mlp(), 3);
    let mut f = fixture(&g, 1);
    let j = f.trace[1]
        .iter()
        .position(|&v| v > 0)
        .expect("a positive value");
    f.trace[1][j] += 1;
    f.trace[2][j] += 1;
    // Recompute the last layer from the forged ReLU output by the reference semantics.
    f.trace[3] = matmul_ref(&f, 2, &f.trace[2]);
    let p = f.prove_unchecked().unwrap();
    let err = f.verify(f.output(), &p).unwrap_err();
    assert!(err.is_rejection(), "{err}");
}

#[test]
fn unsupported_models_name_the_first_unsupported_node() {
    let mut g = digits_mlp();
    g.nodes[1].op = verinfer_ir::Op::Reduce(verinfer_ir::Reduce {
        kind: verinfer_ir::ReduceKind::ArgMax,
        axes: vec![1],
        keep_dims: false,
        requant: verinfer_ir::Requant::clamp_only(g.nodes[1].out.bits),
    });
    g.nodes[1].inputs.truncate(1);
    let name = g.nodes[1].op.name();
    match ChainSpec::recognise(&g) {
        Err(GkrError::Unsupported {
            node: Some(1),
            reason,
        }) => {
            assert!(reason.contains(name), "{reason}");
        }
        other => panic!("{other:?}"),
    }
}

#[path = "tests_move.rs"]
mod moves;

#[path = "tests_conv.rs"]
mod conv;

#[path = "tests_arith.rs"]
mod arith_layers;

#[path = "tests_bcast.rs"]
mod bcast;
#[path = "tests_limbs.rs"]
mod limbs;
#[path = "tests_lookup.rs"]
mod lookups;

#[path = "tests_attn.rs"]
mod attn_layers;

#[path = "tests_div.rs"]
mod div_layers;

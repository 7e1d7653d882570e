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
    fixture_inputs(g, vec![x])
}

/// The fixture of `g` on the inputs `xs` (one list per graph input).
fn fixture_inputs(g: &Graph, xs: Vec<Vec<i32>>) -> Fixture {
    let spec = ChainSpec::recognise(g).unwrap();
    let srs = test_srs(srs_vars(&spec));
    let weights = weight_data(g, &spec).unwrap();
    let commitments = commit_weights(&srs.commit_key, &spec, &weights).unwrap();
    let trace = verinfer_ir::reference::run(g, &xs).unwrap();
    Fixture {
        spec,
        srs,
        weights,
        commitments,
        trace,
    }
}

/// The insecure test SRS (seed 7) with `vars` variables. Every fixture's SRS has the same `τ`
/// (the seed's first draw), so a smaller one is a prefix of a larger: one SRS per test process,
/// grown to the largest size asked for and truncated — generating `2^17` powers takes seconds
/// and a test builds many fixtures. The keys, commitments and proofs are those of a fresh
/// `insecure_local_setup_for_tests(vars, seed 7)` (`the_cached_srs_is_a_fresh_ones_prefix`).
fn test_srs(vars: usize) -> Srs {
    static CACHE: std::sync::Mutex<Option<Srs>> = std::sync::Mutex::new(None);
    let mut cache = CACHE
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let big = match cache.take() {
        Some(s) if s.commit_key.max_num_vars() >= vars => s,
        _ => Srs::insecure_local_setup_for_tests(vars, &mut StdRng::seed_from_u64(7)),
    };
    let srs = Srs {
        commit_key: big.commit_key.truncated(vars).unwrap(),
        verifier_key: big.verifier_key,
    };
    *cache = Some(big);
    srs
}

#[test]
fn the_cached_srs_is_a_fresh_ones_prefix() {
    let _ = test_srs(6);
    let small = test_srs(4);
    let fresh = Srs::insecure_local_setup_for_tests(4, &mut StdRng::seed_from_u64(7));
    assert_eq!(small.commit_key.powers(), fresh.commit_key.powers());
    assert_eq!(small.verifier_key, fresh.verifier_key);
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
        self.verify_io(&self.trace[..self.spec.inputs.len()].concat(), y, proof)
    }

    /// Verify against the inputs `x` and outputs `y` (each concatenated in graph order).
    fn verify_io(&self, x: &[i32], y: &[i32], proof: &ModelProof) -> Result<(), GkrError> {
        verify_model(
            &self.srs.verifier_key,
            Some(&STATEMENT),
            &self.spec,
            &self.commitments,
            x,
            y,
            proof,
        )
    }

    /// Prove the (possibly tampered) trace without the prover's own check: a cheating prover.
    fn prove_unchecked(&self) -> Result<ModelProof, GkrError> {
        self.prove_layers(&self.trace)
    }

    /// Prove `layers` (a layer trace, possibly tampered) without the prover's own check.
    fn prove_layers(&self, layers: &[Vec<i32>]) -> Result<ModelProof, GkrError> {
        self.prove_tampered(layers, false, &|_| Ok(()))
    }

    /// Prove `layers` with `edit` applied to the witness (`check`: the prover's own check).
    fn prove_tampered(
        &self,
        layers: &[Vec<i32>],
        check: bool,
        edit: &dyn Fn(&mut prove::Witness) -> Result<(), GkrError>,
    ) -> Result<ModelProof, GkrError> {
        prove::prove_tampered(
            &self.srs.commit_key,
            Some(&STATEMENT),
            &self.spec,
            &self.weights,
            &self.commitments,
            layers,
            check,
            edit,
        )
    }

    /// The honest prover, without a statement, on the fixture's trace.
    fn prove_honest(&self) -> Result<ModelProof, GkrError> {
        prove_model(
            &self.srs.commit_key,
            None,
            &self.spec,
            &self.weights,
            &self.commitments,
            &self.trace,
        )
    }

    fn output(&self) -> &[i32] {
        self.trace.last().unwrap()
    }

    /// The honest prover refuses this (tampered) trace at `node`.
    fn assert_refused_at(&self, node: usize) {
        let r = self.prove_honest();
        assert!(
            matches!(r, Err(GkrError::TraceMismatch { node: n, .. }) if n == node),
            "{r:?}"
        );
    }

    /// The honest proof verifies, and the spec's bytes and the proof's words (as many as the
    /// layered backend counts) decode to what they encode.
    fn assert_proves_and_round_trips(&self, name: &str) -> ModelProof {
        let spec = ChainSpec::from_bytes(&self.spec.to_bytes()).unwrap();
        assert_eq!(spec, self.spec, "{name}");
        let proof = self.prove();
        self.verify(self.output(), &proof)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let w = words::model_words(&proof);
        let decoded = words::model_from_words(&self.spec, &w).unwrap();
        assert_eq!(decoded, proof, "{name}");
        let n = crate::backend::layered::proof_words(&self.spec);
        assert_eq!(w.len(), n, "{name}");
        proof
    }

    /// The output elements at `at`, each changed by one, are rejected.
    fn assert_outputs_rejected(&self, proof: &ModelProof, at: &[usize], name: &str) {
        for &j in at {
            let mut y = self.output().to_vec();
            y[j] += 1;
            let err = self.verify(&y, proof).unwrap_err();
            assert!(err.is_rejection(), "{name} output {j}: {err}");
        }
    }

    /// The first, middle and last output elements, each changed by one, are rejected.
    fn assert_ends_rejected(&self, proof: &ModelProof, name: &str) {
        let n = self.output().len();
        self.assert_outputs_rejected(proof, &[0, n / 2, n - 1], name);
    }

    /// Every value layer `i` states (its evaluations, its sumcheck's final values), each
    /// changed by one, is rejected.
    fn assert_layer_message_rejected(&self, proof: &ModelProof, i: usize, name: &str) {
        let k = self.spec.layers.len() - 1 - i;
        for j in 0..proof.layers[k].evals.len() {
            let mut bad = proof.clone();
            bad.layers[k].evals[j] += ark_bn254::Fr::from(1u64);
            let err = self.verify(self.output(), &bad).unwrap_err();
            assert!(err.is_rejection(), "{name} layer {i} eval {j}: {err}");
        }
        for j in 0..proof.layers[k].sumcheck.final_evals.len() {
            let mut bad = proof.clone();
            bad.layers[k].sumcheck.final_evals[j] += ark_bn254::Fr::from(1u64);
            let err = self.verify(self.output(), &bad).unwrap_err();
            assert!(err.is_rejection(), "{name} layer {i} final {j}: {err}");
        }
    }

    /// Every word of `proof` with its last bit flipped is refused by the decoder or rejected.
    fn assert_every_word_checked(&self, proof: &ModelProof) {
        let w = words::model_words(proof);
        for i in 0..w.len() {
            let mut bad = w.clone();
            bad[i][31] ^= 1;
            if let Ok(p) = words::model_from_words(&self.spec, &bad) {
                let n = w.len();
                assert!(
                    self.verify(self.output(), &p).is_err(),
                    "word {i} of {n} accepted"
                );
            }
        }
    }

    /// The honest proof with `edit` applied to the witness (the prover's own check on).
    fn prove_edited(&self, edit: &dyn Fn(&mut prove::Witness)) -> ModelProof {
        self.prove_tampered(&self.trace, true, &|w| {
            edit(w);
            Ok(())
        })
        .unwrap()
    }

    /// Every round message of layer `i`'s sumcheck, changed by one, is rejected.
    fn assert_rounds_rejected(&self, proof: &ModelProof, i: usize, name: &str) {
        let k = self.spec.layers.len() - 1 - i;
        for j in 0..proof.layers[k].sumcheck.rounds.len() {
            let mut bad = proof.clone();
            bad.layers[k].sumcheck.rounds[j].0[1] += ark_bn254::Fr::from(1u64);
            let err = self.verify(self.output(), &bad).unwrap_err();
            assert!(err.is_rejection(), "{name} round {j}: {err}");
        }
    }

    /// The proof's words with one word more or one fewer are refused by the decoder.
    fn assert_word_count_exact(&self, proof: &ModelProof) {
        let w = words::model_words(proof);
        let mut long = w.clone();
        long.push([0; 32]);
        assert!(words::model_from_words(&self.spec, &long).is_err());
        assert!(words::model_from_words(&self.spec, &w[..w.len() - 1]).is_err());
    }

    /// A cheating prover's proof of this (tampered) trace is rejected.
    fn assert_cheat_rejected(&self) {
        let p = self.prove_unchecked().unwrap();
        let err = self.verify(self.output(), &p).unwrap_err();
        assert!(err.is_rejection(), "{err}");
    }

    /// A cheating prover of this (tampered) trace is stopped by a range check (a remainder
    /// out of range) or its proof is rejected.
    fn assert_cheat_stopped(&self, name: &str) {
        self.assert_stopped(self.prove_unchecked(), name);
    }

    /// A cheating prover's result `r` is a range check's refusal (a value out of range) or a
    /// proof that is rejected.
    fn assert_stopped(&self, r: Result<ModelProof, GkrError>, name: &str) {
        match r {
            Err(GkrError::Logup(crate::error::LogupError::OutOfRange { .. })) => {}
            Err(e) => panic!("{name}: {e}"),
            Ok(p) => {
                let err = self.verify(self.output(), &p).unwrap_err();
                assert!(err.is_rejection(), "{name}: {err}");
            }
        }
    }
}

/// Each graph's honest proofs on two inputs from `input` verify, round-trip, and reject
/// their first, middle and last output elements changed.
fn assert_graphs_prove(graphs: &[(String, Graph)], input: fn(&Graph, u64) -> Vec<i32>) {
    for (name, g) in graphs {
        for seed in 0..2 {
            let f = fixture_with(g, input(g, seed));
            let proof = f.assert_proves_and_round_trips(name);
            f.assert_ends_rejected(&proof, name);
        }
    }
}

/// Each graph (the `k`-th on inputs seeded `k`, one list per graph input) proves, its words
/// round-trip, and its first, middle and last outputs changed are rejected.
fn assert_graphs_prove_inputs(
    graphs: Vec<(String, Graph)>,
    inputs: fn(&Graph, u64) -> Vec<Vec<i32>>,
) {
    for (k, (name, g)) in graphs.into_iter().enumerate() {
        let f = fixture_inputs(&g, inputs(&g, k as u64));
        let proof = f.assert_proves_and_round_trips(&name);
        f.assert_ends_rejected(&proof, &name);
    }
}

/// Shared tamper tests of one layer kind: in each graph's honest proof (input seed 7), every
/// value layer `layer(spec)` states and every round message of its sumcheck changed by one is
/// rejected; in a proof of `words_graph` (seed 8) every word flipped is refused or rejected
/// and a word missing or extra refused.
fn assert_layer_tampers_rejected(
    graphs: &[(String, Graph)],
    input: fn(&Graph, u64) -> Vec<i32>,
    layer: fn(&ChainSpec) -> usize,
    words_graph: &Graph,
) {
    for (name, g) in graphs {
        let f = fixture_with(g, input(g, 7));
        let proof = f.prove();
        let i = layer(&f.spec);
        f.assert_layer_message_rejected(&proof, i, name);
        f.assert_rounds_rejected(&proof, i, name);
    }
    let f = fixture_with(words_graph, input(words_graph, 8));
    let proof = f.prove();
    f.assert_every_word_checked(&proof);
    f.assert_word_count_exact(&proof);
}

/// In each graph's honest witness (input seed 4), layer `layer(spec)`'s remainder moved by
/// each `(element, by)` (the prover's own check on) gives a proof that is rejected.
fn assert_remainder_bumps_rejected(
    graphs: &[(String, Graph)],
    input: fn(&Graph, u64) -> Vec<i32>,
    layer: fn(&ChainSpec) -> usize,
    bumps: &[(usize, ark_bn254::Fr)],
) {
    for (name, g) in graphs {
        let f = fixture_with(g, input(g, 4));
        let i = layer(&f.spec);
        for &(e, by) in bumps {
            let p = f.prove_edited(&|w| bump(w, columns::Poly::Rem(i), e, by));
            let err = f.verify(f.output(), &p).unwrap_err();
            assert!(err.is_rejection(), "{name}: {err}");
        }
    }
}

/// Witness table `p` with entry `e` moved by `by`.
fn bump(w: &mut prove::Witness, p: columns::Poly, e: usize, by: ark_bn254::Fr) {
    let m = w.get_mut(&p).unwrap();
    let mut t = m.evals().to_vec();
    t[e] += by;
    *m = crate::mle::DenseMle::new(t).unwrap();
}

/// `max(x, 0)` clamped to `bits` (the second operand is the zero parameter).
fn relu(bits: u32) -> verinfer_ir::Op {
    verinfer_ir::Op::Binary(verinfer_ir::Binary {
        kind: verinfer_ir::BinaryKind::Max,
        a_mult: 1,
        b_mult: 1,
        requant: verinfer_ir::Requant::clamp_only(verinfer_ir::Bits::new(bits).unwrap()),
    })
}

/// `g` twice: without its last node (the node before it the public output) and whole.
fn public_and_hidden(label: &str, g: Graph) -> [(String, Graph); 2] {
    let public = prefix(&g, g.nodes.len() - 1);
    [
        (format!("{label} public"), public),
        (format!("{label} hidden"), g),
    ]
}

/// The first layer of `spec` whose kind `is` holds for.
fn first_layer(spec: &ChainSpec, is: fn(&LayerKind) -> bool) -> usize {
    spec.layers.iter().position(|l| is(&l.kind)).unwrap()
}

/// `len(g's input)` seeded draws from `range` (the graph's input).
fn random_input(g: &Graph, seed: u64, range: std::ops::Range<i32>) -> Vec<i32> {
    use ark_std::rand::Rng;
    let mut rng = StdRng::seed_from_u64(seed);
    let n = g.inputs[0].info.shape.dims().iter().product();
    (0..n).map(|_| rng.gen_range(range.clone())).collect()
}

/// A layer kind's short name.
fn kind_name(kind: &LayerKind) -> &'static str {
    match kind {
        LayerKind::Matmul { .. } => "matmul",
        LayerKind::Clip { .. } => "clip",
        LayerKind::Move { .. } => "move",
        LayerKind::ReduceMax => "max",
        LayerKind::Binary { .. } => "binary",
        LayerKind::ReduceSum { .. } => "sum",
        LayerKind::Lookup { .. } => "lookup",
        LayerKind::Product { .. } => "product",
        LayerKind::Div { .. } => "div",
        LayerKind::ISqrt { .. } => "isqrt",
        LayerKind::Gather { .. } => "gather",
        LayerKind::ArgMax => "argmax",
        LayerKind::Outer { .. } => "outer",
    }
}

#[test]
fn digits_mlp_is_recognised_as_contract_clip_chain() {
    let g = digits_mlp();
    let spec = ChainSpec::recognise(&g).unwrap();
    let kinds: Vec<&str> = spec.layers.iter().map(|l| kind_name(&l.kind)).collect();
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
    f.assert_every_word_checked(&proof);
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
    g.outputs[0].value = verinfer_ir::ValueId(u32::try_from(g.inputs.len() + n - 1).unwrap());
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
    f.assert_cheat_rejected();
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
    f.assert_cheat_rejected();
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

#[path = "tests_div_signed.rs"]
mod div_signed;

#[path = "tests_isqrt.rs"]
mod isqrt_layers;

#[path = "tests_gather.rs"]
mod gather_layers;

#[path = "tests_argmax.rs"]
mod argmax_layers;

#[path = "tests_wide.rs"]
mod wide_outputs;

#[path = "tests_io.rs"]
mod io_layers;

#[path = "tests_outer.rs"]
mod outer_layers;

#[path = "tests_gqa.rs"]
mod gqa_layers;

#[path = "tests_clamp.rs"]
mod clamp_layers;

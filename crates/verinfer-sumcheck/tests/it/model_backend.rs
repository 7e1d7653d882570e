//! The sumcheck backend on whole models (the layered proof, `verinfer_sumcheck::gkr`):
//! `proof_system_conformance!` on a small MLP shaped like the bundled digits MLP (every law,
//! every proof and key byte flipped), then the bundled digits MLP itself through the dynamic
//! seam (honest proofs, flipped public values, flipped trace elements), what a layered
//! model refuses by name, and an LLM step's embedding rows and RMSNorm root at toy size.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::digits;

use digits::digits_mlp;
use verinfer_ir::Model;
use verinfer_prove::{DynBackend, Statement, Vis, Visibility};
use verinfer_sumcheck::backend::{Sumcheck, NAME};
use verinfer_testing::proof::{Subject, SMALL_MLP};

verinfer_testing::proof_system_conformance!(Sumcheck::default(), SMALL_MLP);

const DIGEST: [Visibility; 1] = [Visibility {
    input: Vis::Public,
    params: Vis::Public,
    output: Vis::Public,
    statement: Statement::Digest,
}];

const DIGITS: Subject = Subject {
    model: digits_mlp,
    visibilities: &DIGEST,
};

#[test]
fn digits_mlp_honest_proofs_verify() {
    verinfer_testing::proof::honest_proofs_verify_of(&Sumcheck::default(), DIGITS);
}

#[test]
fn digits_mlp_flipped_public_rejected() {
    verinfer_testing::proof::flipped_public_rejected_of(&Sumcheck::default(), DIGITS);
}

#[test]
fn digits_mlp_flipped_witness_rejected() {
    verinfer_testing::proof::flipped_witness_rejected_of(&Sumcheck::default(), DIGITS);
}

#[test]
fn a_layered_model_names_its_first_unsupported_node() {
    let (mut g, _) = digits_mlp();
    // Node 3 (the second ReLU) doubles its input before the max: a Max that is no clip,
    // which has no layered argument.
    match &mut g.nodes[3].op {
        verinfer_ir::Op::Binary(b) => b.a_mult = 2,
        op => panic!("node 3 is {}", op.name()),
    }
    let m = Model::new(g).unwrap();
    let e = DynBackend::supports(&Sumcheck::default(), &m, DIGEST[0]).unwrap_err();
    assert_eq!(e.backend, NAME);
    assert_eq!(e.node, Some(3), "{e}");
    assert!(e.reason.contains("Max"), "{e}");
}

#[test]
fn layered_keys_export_the_model_verifier() {
    let (g, _) = digits_mlp();
    let m = Model::new(g).unwrap();
    let b = Sumcheck::default();
    let keys = DynBackend::setup(&b, &m, DIGEST[0], &mut verinfer_prove::os_rng()).unwrap();
    let src = verinfer_prove::DynBackend::solidity_verifier(&b, &keys.verifying).unwrap();
    assert!(src.contains("contract ModelVerifier"), "{src}");
    assert!(src.contains("contract VerifierPlan0"), "{src}");
    assert!(
        src.contains("new ModelVerifier(verifierChunks(p0)"),
        "{src}"
    );
}

/// [`DynBackend::prove`] of `trace` with the digest statement and the tests' model context:
/// the one call every seam test here makes.
fn prove_seam(
    b: &Sumcheck,
    pk: &verinfer_prove::AnyKey,
    m: &Model,
    trace: Vec<Vec<i32>>,
) -> Result<verinfer_prove::Proved, verinfer_prove::ProveError> {
    let ctx = verinfer_prove::Context::of_model(alloy_primitives::B256::repeat_byte(5));
    DynBackend::prove(
        b,
        pk,
        m,
        DIGEST[0],
        &ctx,
        trace,
        &mut verinfer_prove::os_rng(),
    )
}

/// The bundled MNIST CNN (compiled with its calibration data) and its trace on the bundled
/// digit: convolutions lowered to patches → product → transpose, ReLUs, pools, `Gemm`s.
fn mnist_cnn() -> (verinfer_ir::Graph, Vec<Vec<i32>>) {
    let (g, x) = verinfer_testing::models::bundled("mnist_cnn");
    let trace = verinfer_ir::reference::run(&g, &x).unwrap();
    (g, trace)
}

const CNN: Subject = Subject {
    model: mnist_cnn,
    visibilities: &DIGEST,
};

#[test]
fn mnist_cnn_honest_proofs_verify() {
    verinfer_testing::proof::honest_proofs_verify_of(&Sumcheck::default(), CNN);
}

#[test]
fn mnist_cnn_tampered_words_outputs_and_weight_commitments_are_rejected() {
    use verinfer_prove::ProofBackend;
    use verinfer_sumcheck::backend::ModelKey;
    let b = Sumcheck::default();
    let (g, trace) = mnist_cnn();
    let m = Model::new(g).unwrap();
    let vis = DIGEST[0];
    let (pk, vk) = ProofBackend::setup(&b, &m, vis, &mut verinfer_prove::os_rng()).unwrap();
    let ctx = verinfer_prove::Context::of_model(alloy_primitives::B256::repeat_byte(4));
    let (proof, public) =
        ProofBackend::prove(&b, &pk, &m, vis, &ctx, trace, &mut verinfer_prove::os_rng()).unwrap();
    ProofBackend::verify(&b, &vk, &public, &proof).unwrap();
    // A proof word changed (spread over the proof: commitments, layers, ranges, opening).
    let n = proof.words.len();
    for i in (0..n).step_by(n / 24 + 1).chain([n - 1]) {
        let mut bad = proof.clone();
        bad.words[i][31] ^= 1;
        assert!(
            ProofBackend::verify(&b, &vk, &public, &bad).is_err(),
            "word {i} of {n} changed, accepted"
        );
    }
    // Every output element changed.
    for j in 0..public.outputs[0].len() {
        let mut other = public.clone();
        other.outputs[0][j] ^= 1;
        let mut p = proof.clone();
        p.y.clone_from(&other.outputs[0]);
        assert!(
            ProofBackend::verify(&b, &vk, &other, &p).is_err(),
            "output {j}"
        );
    }
    // Every weight commitment (the convolutions' rearranged kernels included) swapped.
    let ModelKey::Chain { commitments, .. } = &vk.model else {
        panic!("the CNN is a layered model")
    };
    for j in 0..commitments.len() {
        let mut other = vk.clone();
        let ModelKey::Chain {
            commitments: cs, ..
        } = &mut other.model
        else {
            unreachable!()
        };
        cs[j] = cs[(j + 1) % cs.len()];
        assert!(
            ProofBackend::verify(&b, &other, &public, &proof).is_err(),
            "weight commitment {j}"
        );
    }
}

use crate::common::conv;

#[test]
fn strided_dilated_padded_grouped_and_batched_convolutions_prove_natively() {
    let b = Sumcheck::default();
    for (name, c) in conv::cases() {
        let g = conv::conv_graph(&c, true);
        let inputs = verinfer_testing::random_inputs(&g, 9);
        let trace = verinfer_ir::reference::run(&g, &inputs).unwrap();
        let m = Model::new(g).unwrap();
        let keys = DynBackend::setup(&b, &m, DIGEST[0], &mut verinfer_prove::os_rng())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let p = prove_seam(&b, &keys.proving, &m, trace.clone())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        DynBackend::verify(&b, &keys.verifying, &p.public, &p.proof)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let y = &p.public.outputs[0];
        for j in [0, y.len() / 2, y.len() - 1] {
            let mut other = p.public.clone();
            other.outputs[0][j] += 1;
            assert!(
                DynBackend::verify(&b, &keys.verifying, &other, &p.proof).is_err(),
                "{name}: output {j} changed, accepted"
            );
        }
        // A prover handed a wrong convolution output refuses it.
        let mut bad = trace;
        bad[1][0] += 1;
        let r = prove_seam(&b, &keys.proving, &m, bad);
        assert!(
            matches!(r, Err(verinfer_prove::ProveError::Witness(_))),
            "{name}: {r:?}"
        );
    }
}

/// A key read for many proofs (what the node holds: `read_proving_key_for_many` builds the
/// commitment key's fixed-base table) proves the MNIST CNN to the same bytes as the key read
/// for one, and the proof verifies: the table changes the prover's work, never its output.
#[test]
fn a_key_prepared_for_many_proofs_gives_the_same_proof_bytes() {
    let b = Sumcheck::default();
    let (g, trace) = mnist_cnn();
    let m = Model::new(g).unwrap();
    let keys = DynBackend::setup(&b, &m, DIGEST[0], &mut verinfer_prove::os_rng()).unwrap();
    let bytes = DynBackend::write_proving_key(&b, &keys.proving).unwrap();
    let once = DynBackend::read_proving_key(&b, &bytes).unwrap();
    let many = DynBackend::read_proving_key_for_many(&b, &bytes).unwrap();
    let table = many
        .downcast::<verinfer_sumcheck::backend::ProvingKey>(NAME)
        .unwrap();
    assert!(
        table.commit_key.table().is_some(),
        "no fixed-base table built"
    );
    let prove = |pk| prove_seam(&b, pk, &m, trace.clone()).unwrap();
    let (p1, p2) = (prove(&once), prove(&many));
    assert_eq!(p1.proof, p2.proof);
    DynBackend::verify(&b, &keys.verifying, &p2.public, &p2.proof).unwrap();
}

/// An LLM step's first layers at toy size: two tokens' embedding rows (a `Gather` by the
/// public input), RMSNorm's shape on them (`a = max(x, 0)`, `s = Σa/4 + 1` per row,
/// `q = ⌊√(s·2^8)⌋`, `round_div(a·2^8, q)`).
fn embed_norm() -> verinfer_ir::Graph {
    use verinfer_ir::{Binary, BinaryKind, Op, ReduceKind, Requant};
    use verinfer_testing::requant;
    let bits16 = verinfer_ir::Bits::new(16).unwrap();
    let bin = |kind| {
        Op::Binary(Binary {
            kind,
            a_mult: 1,
            b_mult: 1,
            requant: Requant::clamp_only(bits16),
        })
    };
    let mut b = verinfer_testing::GraphBuilder::named("embed-norm");
    let idx = b.input(&[2], 8);
    let table = (0..16 * 8).map(|e| (e * 7919) % 4001 - 2000).collect();
    let t = b.param(&[16, 8], 12, table);
    let x = b.node(
        Op::Gather(verinfer_ir::Gather { axis: 0 }),
        vec![t, idx],
        &[2, 8],
        16,
    );
    let zero = b.param(&[1], 4, vec![0]);
    let a = b.node(bin(BinaryKind::Max), vec![x, zero], &[2, 8], 16);
    let sum = Op::Reduce(verinfer_ir::Reduce {
        kind: ReduceKind::Sum,
        axes: vec![1],
        keep_dims: true,
        requant: requant(1, 2, 16),
    });
    let s = b.node(sum, vec![a], &[2, 1], 16);
    let one = b.param(&[1], 4, vec![1]);
    let s = b.node(bin(BinaryKind::Add), vec![s, one], &[2, 1], 16);
    let isqrt = Op::ISqrt(verinfer_ir::ISqrt {
        shift: 8,
        requant: Requant::clamp_only(bits16),
    });
    let q = b.node(isqrt, vec![s], &[2, 1], 16);
    let div = Op::Div(verinfer_ir::Div {
        shift: 8,
        requant: Requant::clamp_only(bits16),
    });
    b.node(div, vec![a, q], &[2, 8], 16);
    b.finish()
}

/// Through the dynamic seam, several public inputs and outputs (`token`, `pos`, a cache in;
/// four tensors out): honest proofs verify; another position, a changed cache element, two
/// outputs swapped and a tensor moved between lists are rejected; the Solidity export refuses
/// by name.
#[test]
fn several_inputs_and_outputs_prove_through_the_seam() {
    let b = Sumcheck::default();
    let m = Model::new(verinfer_testing::graph::kv_step(4)).unwrap();
    let keys = DynBackend::setup(&b, &m, DIGEST[0], &mut verinfer_prove::os_rng()).unwrap();
    let cache: Vec<i32> = (0..32).map(|e| (e * 1543) % 6001 - 3000).collect();
    for (token, pos) in [(3, 1), (-2, 3)] {
        let inputs = vec![vec![token], vec![pos], cache.clone()];
        let trace = verinfer_ir::reference::run(m.graph(), &inputs).unwrap();
        let p = prove_seam(&b, &keys.proving, &m, trace).unwrap();
        assert_eq!(p.public.inputs, inputs);
        assert_eq!(p.public.outputs.len(), 4);
        DynBackend::verify(&b, &keys.verifying, &p.public, &p.proof).unwrap();
        let rejected = |edit: &dyn Fn(&mut verinfer_prove::PublicValues)| {
            let mut other = p.public.clone();
            edit(&mut other);
            assert!(DynBackend::verify(&b, &keys.verifying, &other, &p.proof).is_err());
        };
        rejected(&|v| v.inputs[1][0] = (pos + 1) % 4);
        rejected(&|v| v.inputs[2][7] += 1);
        rejected(&|v| v.outputs.swap(0, 2));
        rejected(&|v| v.outputs[3][0] -= 1);
        rejected(&|v| {
            let c = v.inputs.pop().unwrap();
            v.outputs.push(c);
        });
    }
    let e = DynBackend::solidity_verifier(&b, &keys.verifying).unwrap_err();
    assert!(e.to_string().contains("not verifiable on chain yet"), "{e}");
}

/// Through the dynamic seam: the embedding rows and the root prove and verify, another token
/// or a changed output is rejected, and the Solidity export says the layers are not on chain
/// yet (an error, not a panic).
#[test]
fn an_embedding_and_a_norm_prove_through_the_seam() {
    let b = Sumcheck::default();
    let m = Model::new(embed_norm()).unwrap();
    let keys = DynBackend::setup(&b, &m, DIGEST[0], &mut verinfer_prove::os_rng()).unwrap();
    for tokens in [vec![3, 11], vec![-1, 40]] {
        let trace = verinfer_ir::reference::run(m.graph(), std::slice::from_ref(&tokens)).unwrap();
        let p = prove_seam(&b, &keys.proving, &m, trace).unwrap();
        DynBackend::verify(&b, &keys.verifying, &p.public, &p.proof).unwrap();
        let mut other = p.public.clone();
        other.inputs[0][1] = (tokens[1] + 5) % 16;
        assert!(DynBackend::verify(&b, &keys.verifying, &other, &p.proof).is_err());
        let mut other = p.public.clone();
        other.outputs[0][9] += 1;
        assert!(DynBackend::verify(&b, &keys.verifying, &other, &p.proof).is_err());
    }
    let e = DynBackend::solidity_verifier(&b, &keys.verifying).unwrap_err();
    assert!(e.to_string().contains("not verifiable on chain yet"), "{e}");
}

/// Through the dynamic seam: one token's RMSNorm with 31-bit statistics (`x·x`, its sum,
/// `Rescale`, `+ ε` checked as limbs) proves and verifies on two inputs, a changed output is
/// rejected, and the Solidity export refuses the one-element broadcast by name.
#[test]
fn a_31_bit_rms_norm_proves_through_the_seam() {
    let b = Sumcheck::default();
    // `q` and the quotient at 17 bits: the LLM's 20 take a `2^20` range table, and the SRS for
    // it, to the setup and each proof.
    let m = Model::new(verinfer_testing::graph::rms_norm_wide_17(8)).unwrap();
    let keys = DynBackend::setup(&b, &m, DIGEST[0], &mut verinfer_prove::os_rng()).unwrap();
    for x in [
        vec![30_000, -29_000, 123, -7, 16_000, 0, -32_000, 5],
        vec![-1, 2, -3, 4, -5, 6, -7, 8],
    ] {
        let trace = verinfer_ir::reference::run(m.graph(), std::slice::from_ref(&x)).unwrap();
        assert!(trace[1].iter().any(|&v| v > 1 << 24) || x[0] == -1);
        let p = prove_seam(&b, &keys.proving, &m, trace).unwrap();
        DynBackend::verify(&b, &keys.verifying, &p.public, &p.proof).unwrap();
        let mut other = p.public.clone();
        other.outputs[0][7] += 1;
        assert!(DynBackend::verify(&b, &keys.verifying, &other, &p.proof).is_err());
    }
    let e = DynBackend::solidity_verifier(&b, &keys.verifying).unwrap_err();
    assert!(e.to_string().contains("one-element"), "{e}");
}

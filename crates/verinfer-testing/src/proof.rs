//! The proof-system conformance suite: what every proof backend behind
//! `verinfer_prove::DynBackend` must do, run by [`proof_system_conformance!`] once per backend.
//!
//! On [`small_cnn`] (inputs, weights and outputs public, then inputs and weights hashed):
//! honest proofs verify; a prover given any flipped trace element (an input, an intermediate
//! value or an output) fails to prove or makes a proof that does not verify for the honest
//! statement; a flipped public value, verifying-key byte or proof byte is rejected.
//! Every rejection is an error, never a panic (a panic fails the test that caught it).
//!
//! [`proof_system_conformance!`]: crate::proof_system_conformance

use alloy_primitives::{B256, U256};
use verinfer_ir::{Binary, BinaryKind, Graph, Model, Op, ReduceKind};
use verinfer_prove::{
    os_rng, Context, DynBackend, KeyPair, Proved, PublicValues, Statement, Vis, Visibility,
};

/// The statements the suite proves: everything public, then hashed inputs and weights.
pub const VISIBILITIES: [Visibility; 2] = [
    public_output(Vis::Public, Statement::Packed),
    public_output(Vis::Hashed, Statement::Packed),
];

/// Inputs and weights `vis`, the outputs public, the statement encoded as `statement`.
const fn public_output(vis: Vis, statement: Statement) -> Visibility {
    Visibility {
        input: vis,
        params: vis,
        output: Vis::Public,
        statement,
    }
}

/// A small CNN whose proofs take milliseconds: a grouped, strided, padded, dilated
/// convolution with a bias (8-bit input `[1, 4, 6, 6]`), a ReLU (`Max` with a zero weight) and
/// a sum over the spatial axes; and its trace on a random input.
pub fn small_cnn() -> (Graph, Vec<Vec<i32>>) {
    let mut rng = crate::Rng::new(11);
    let conv = crate::maps::Conv2d {
        groups: 2,
        stride: [2, 2],
        pad_begin: [1, 1],
        pad_end: [0, 1],
        dilation: [1, 2],
        ..crate::maps::Conv2d::plain(1, 4, [6, 6], 4, [3, 3])
    };
    let mut b = crate::GraphBuilder::named("small_cnn");
    let x = b.input(&conv.x_shape(), 8);
    let wn = conv.w_shape().iter().product();
    let w = b.param(&conv.w_shape(), 8, rng.data(wn, 8));
    let bias = b.param_id(&[4], 12, verinfer_ir::ParamKind::Bias, rng.data(4, 12));
    let out = conv.out_shape();
    let y = b.node(
        Op::Contract(conv.contract(crate::requant(3, 6, 8), Some(2))),
        vec![x, w, verinfer_ir::Operand::Param(bias)],
        &out,
        8,
    );
    let zero = b.param(&[1], 2, vec![0]);
    let relu = Op::Binary(Binary {
        kind: BinaryKind::Max,
        a_mult: 1,
        b_mult: 1,
        requant: crate::requant(1, 0, 8),
    });
    let r = b.node(relu, vec![y, zero], &out, 8);
    let sum = crate::graph::reduce_op(ReduceKind::Sum, &[2, 3], crate::requant(1, 2, 10));
    b.node(sum, vec![r], &out[..2], 10);
    let g = b.finish();
    let inputs = crate::random_inputs(&g, 5);
    let trace = verinfer_ir::reference::run(&g, &inputs).expect("reference run");
    (g, trace)
}

/// A small MLP shaped like the bundled digits MLP (`Gemm → ReLU → Gemm → ReLU → Gemm`, each
/// `Gemm` a matrix-product `Contract` with a bias and a requantization, each ReLU a `Max`
/// with a zero weight), small enough that flipping every proof byte stays fast: 8-bit input
/// `[1, 8]`, widths 8 → 6 → 4 → 3, hidden activations 8-bit, a 10-bit output, shifts chosen
/// so no output saturates on any input.
pub fn small_mlp() -> (Graph, Vec<Vec<i32>>) {
    let mut rng = crate::Rng::new(17);
    let mut b = crate::GraphBuilder::named("small_mlp");
    let mut x = b.input(&[1, 8], 8);
    let layers = [(8, 6, 11, 8), (6, 4, 9, 8), (4, 3, 8, 10)];
    for (i, &(k, n, shift, bits)) in layers.iter().enumerate() {
        let w = b.param(&[k, n], 8, rng.data(k * n, 8));
        let bias = b.param_id(&[n], 12, verinfer_ir::ParamKind::Bias, rng.data(n, 12));
        let mm = crate::maps::MatMul::plain(1, k, n);
        let c = mm.contract(crate::requant(1, shift, bits), Some(2));
        x = b.node(
            Op::Contract(c),
            vec![x, w, verinfer_ir::Operand::Param(bias)],
            &[1, n],
            bits,
        );
        if i + 1 < layers.len() {
            let zero = b.param(&[1], 2, vec![0]);
            let relu = Op::Binary(Binary {
                kind: BinaryKind::Max,
                a_mult: 1,
                b_mult: 1,
                requant: crate::requant(1, 0, bits),
            });
            x = b.node(relu, vec![x, zero], &[1, n], bits);
        }
    }
    let g = b.finish();
    let inputs = crate::random_inputs(&g, 5);
    let trace = verinfer_ir::reference::run(&g, &inputs).expect("reference run");
    (g, trace)
}

/// Every class public, the statement packed and as one digest (backends that do not prove
/// hashed classes yet).
pub const PUBLIC_VISIBILITIES: [Visibility; 2] = [
    public_output(Vis::Public, Statement::Packed),
    public_output(Vis::Public, Statement::Digest),
];

/// [`small_mlp`] under [`PUBLIC_VISIBILITIES`].
pub const SMALL_MLP: Subject = Subject {
    model: small_mlp,
    visibilities: &PUBLIC_VISIBILITIES,
};

/// What a conformance run proves: a model with an honest trace, under some visibilities.
/// [`SMALL_CNN`] is the default; a backend that proves fewer graphs names its own (with a
/// reason in its test) through `proof_system_conformance!(backend, subject)`.
#[derive(Clone, Copy)]
pub struct Subject {
    /// The graph and its honest trace.
    pub model: fn() -> (Graph, Vec<Vec<i32>>),
    /// The statements to prove it under (the first one also for the key and proof bytes).
    pub visibilities: &'static [Visibility],
}

/// [`small_cnn`] under [`VISIBILITIES`].
pub const SMALL_CNN: Subject = Subject {
    model: small_cnn,
    visibilities: &VISIBILITIES,
};

/// A model with keys, its honest trace and an honest proof of it, under one visibility.
pub struct Fixture<'b> {
    /// The backend under test.
    pub backend: &'b dyn DynBackend,
    /// The subject's model ([`small_cnn`] by default).
    pub model: Model,
    /// The statement's visibility.
    pub vis: Visibility,
    /// The context the proofs are bound to.
    pub ctx: Context,
    /// Keys for `model` under `vis`.
    pub keys: KeyPair,
    /// Every value of the honest run, inputs first.
    pub trace: Vec<Vec<i32>>,
    /// An honest proof of `trace` and the public values it states.
    pub honest: Proved,
}

impl<'b> Fixture<'b> {
    /// Keys and an honest proof for [`small_cnn`] under `vis`.
    pub fn new(backend: &'b dyn DynBackend, vis: Visibility) -> Self {
        Self::of(backend, SMALL_CNN, vis)
    }

    /// Keys and an honest proof for `subject`'s model under `vis`.
    pub fn of(backend: &'b dyn DynBackend, subject: Subject, vis: Visibility) -> Self {
        let (g, trace) = (subject.model)();
        let model = Model::new(g).expect("the subject's model validates");
        backend
            .supports(&model, vis)
            .unwrap_or_else(|e| panic!("{}: {e}", backend.name()));
        let keys = backend.setup(&model, vis, &mut os_rng()).expect("setup");
        let mut ctx = Context::of_model(B256::repeat_byte(3));
        ctx.tag = U256::from(7u8);
        let honest = backend
            .prove(
                &keys.proving,
                &model,
                vis,
                &ctx,
                trace.clone(),
                &mut os_rng(),
            )
            .expect("honest proof");
        Self {
            backend,
            model,
            vis,
            ctx,
            keys,
            trace,
            honest,
        }
    }

    /// Whether `proof` verifies for `public` (any error is a rejection).
    pub fn accepts(&self, public: &PublicValues, proof: &[u8]) -> bool {
        self.backend
            .verify(&self.keys.verifying, public, proof)
            .is_ok()
    }

    /// The honest statement with one public value changed, each way the statement can change:
    /// an input, an output, a hash, a length, the context.
    pub fn flipped_publics(&self) -> Vec<(String, PublicValues)> {
        let p = &self.honest.public;
        let mut out = Vec::new();
        let mut push = |what: String, f: &dyn Fn(&mut PublicValues)| {
            let mut q = p.clone();
            f(&mut q);
            out.push((what, q));
        };
        for (k, t) in p.inputs.iter().enumerate() {
            for j in [0, t.len().saturating_sub(1)]
                .into_iter()
                .filter(|&j| j < t.len())
            {
                push(format!("input {k}[{j}]"), &|q| q.inputs[k][j] ^= 1);
            }
        }
        for (k, t) in p.outputs.iter().enumerate() {
            for j in 0..t.len() {
                push(format!("output {k}[{j}]"), &|q| q.outputs[k][j] ^= 1);
            }
        }
        let flip = |h: &mut Option<B256>| {
            if let Some(h) = h {
                h.0[31] ^= 1;
            }
        };
        if p.input_hash.is_some() {
            push("input hash".into(), &|q| flip(&mut q.input_hash));
        }
        if p.param_hash.is_some() {
            push("parameter hash".into(), &|q| flip(&mut q.param_hash));
        }
        if p.output_hash.is_some() {
            push("output hash".into(), &|q| flip(&mut q.output_hash));
        }
        push("context model".into(), &|q| q.context.model_id.0[0] ^= 1);
        push("context tag".into(), &|q| q.context.tag += U256::from(1));
        push("context answerer".into(), &|q| {
            q.context.answerer.0[19] ^= 1
        });
        out
    }
}

/// Honest proofs verify, under every visibility, also after the keys and the proof went
/// through their byte forms.
///
/// On `subject` ([`SMALL_CNN`] when the conformance macro is given none).
pub fn honest_proofs_verify_of(backend: &dyn DynBackend, subject: Subject) {
    for &vis in subject.visibilities {
        let f = Fixture::of(backend, subject, vis);
        assert!(
            f.accepts(&f.honest.public, &f.honest.proof),
            "{vis:?}: honest proof rejected"
        );
        let vk_bytes = backend
            .write_verifying_key(&f.keys.verifying)
            .expect("vk bytes");
        let vk = backend.read_verifying_key(&vk_bytes).expect("vk back");
        backend
            .verify(&vk, &f.honest.public, &f.honest.proof)
            .unwrap_or_else(|e| panic!("{vis:?}: with the key read back: {e}"));
        let pk_bytes = backend
            .write_proving_key(&f.keys.proving)
            .expect("pk bytes");
        let pk = backend.read_proving_key(&pk_bytes).expect("pk back");
        let again = backend
            .prove(&pk, &f.model, vis, &f.ctx, f.trace.clone(), &mut os_rng())
            .expect("prove with the key read back");
        assert_eq!(again.public, f.honest.public, "{vis:?}: public values");
        assert!(
            f.accepts(&again.public, &again.proof),
            "{vis:?}: second proof"
        );
    }
}

/// A trace with any one element flipped (the first, middle and last element of every value:
/// inputs, intermediates, outputs): proving fails, or the proof does not verify for the
/// honest statement.
///
/// On `subject` ([`SMALL_CNN`] when the conformance macro is given none).
pub fn flipped_witness_rejected_of(backend: &dyn DynBackend, subject: Subject) {
    for &vis in subject.visibilities {
        let f = Fixture::of(backend, subject, vis);
        for (v, values) in f.trace.iter().enumerate() {
            let n = values.len();
            let mut js = vec![0, n / 2, n.saturating_sub(1)];
            js.dedup();
            for j in js.into_iter().filter(|&j| j < n) {
                let mut bad = f.trace.clone();
                bad[v][j] ^= 1;
                let r = backend.prove(&f.keys.proving, &f.model, vis, &f.ctx, bad, &mut os_rng());
                if let Ok(p) = r {
                    assert!(
                        !f.accepts(&f.honest.public, &p.proof),
                        "{vis:?}: value {v}[{j}] flipped, the proof verifies the honest statement"
                    );
                }
            }
        }
    }
}

/// The honest proof against a statement with one public value changed is rejected.
///
/// On `subject` ([`SMALL_CNN`] when the conformance macro is given none).
pub fn flipped_public_rejected_of(backend: &dyn DynBackend, subject: Subject) {
    for &vis in subject.visibilities {
        let f = Fixture::of(backend, subject, vis);
        for (what, public) in f.flipped_publics() {
            assert!(
                !f.accepts(&public, &f.honest.proof),
                "{vis:?}: {what} flipped, still accepted"
            );
        }
    }
}

/// Every byte of the verifying key flipped in turn: the key does not decode, or the honest
/// proof does not verify under it.
///
/// On `subject` ([`SMALL_CNN`] when the conformance macro is given none).
pub fn flipped_key_byte_rejected_of(backend: &dyn DynBackend, subject: Subject) {
    let f = Fixture::of(backend, subject, subject.visibilities[0]);
    let bytes = backend
        .write_verifying_key(&f.keys.verifying)
        .expect("vk bytes");
    for i in 0..bytes.len() {
        let mut bad = bytes.clone();
        bad[i] ^= 1;
        if let Ok(vk) = backend.read_verifying_key(&bad) {
            assert!(
                backend
                    .verify(&vk, &f.honest.public, &f.honest.proof)
                    .is_err(),
                "verifying-key byte {i} of {} flipped, still accepted",
                bytes.len()
            );
        }
    }
}

/// Every byte of the proof flipped in turn is rejected, as are the proof cut short and
/// extended.
///
/// On `subject` ([`SMALL_CNN`] when the conformance macro is given none).
pub fn flipped_proof_byte_rejected_of(backend: &dyn DynBackend, subject: Subject) {
    let f = Fixture::of(backend, subject, subject.visibilities[0]);
    let proof = &f.honest.proof;
    for i in 0..proof.len() {
        let mut bad = proof.clone();
        bad[i] ^= 1;
        assert!(
            !f.accepts(&f.honest.public, &bad),
            "proof byte {i} of {} flipped, still accepted",
            proof.len()
        );
    }
    assert!(!f.accepts(&f.honest.public, &proof[..proof.len() - 1]));
    let mut longer = proof.clone();
    longer.push(0);
    assert!(!f.accepts(&f.honest.public, &longer));
    assert!(!f.accepts(&f.honest.public, &[]));
}

/// The proof-system conformance suite as one test per law, for the backend `$backend` (an
/// expression of a type implementing `verinfer_prove::DynBackend`). A second backend adds one
/// invocation in its own crate's tests:
///
/// ```ignore
/// verinfer_testing::proof_system_conformance!(verinfer_zk::Groth16);
/// ```
///
/// A backend that proves fewer graphs than [`small_cnn`] passes its own [`proof::Subject`]
/// (an expression) as a second argument; the laws are the same.
///
/// [`proof::Subject`]: crate::proof::Subject
#[macro_export]
macro_rules! proof_system_conformance {
    ($backend:expr) => {
        $crate::proof_system_conformance!($backend, $crate::proof::SMALL_CNN);
    };
    ($backend:expr, $subject:expr) => {
        $crate::proof_system_conformance!(@of $backend, $subject;
            honest_proofs_verify = honest_proofs_verify_of,
            flipped_witness_rejected = flipped_witness_rejected_of,
            flipped_public_rejected = flipped_public_rejected_of,
            flipped_key_byte_rejected = flipped_key_byte_rejected_of,
            flipped_proof_byte_rejected = flipped_proof_byte_rejected_of);
    };
    (@of $backend:expr, $subject:expr; $($test:ident = $law:ident),*) => {
        $(
            #[test]
            fn $test() {
                $crate::proof::$law(&$backend, $subject);
            }
        )*
    };
}

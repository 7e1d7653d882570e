//! Visibility of inputs, weights and outputs: each combination proves and verifies, the public
//! values are exactly what the class's visibility says, and hidden weights are bound by their
//! Poseidon hash. The proofs are of the digits MLP's shape in small
//! (`verinfer_testing::models::small_mlp_trace`: hashing the golden MLP's 6 572 weights made
//! each setup and proof take a minute on CI's two cores).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use ark_bn254::Fr;
use ark_std::rand::{rngs::StdRng, SeedableRng};
use verinfer_exec::Plan;
use verinfer_zk::{
    check_witness, constraint_counts_with, param_hash, Bn254Values, Context, GraphCircuit, Groth16,
    ProofSystem, VerifyError, Vis, Visibility, ZkError,
};

fn vis(s: &str) -> Visibility {
    s.parse().unwrap()
}

/// `public` with the named hash replaced.
fn public_with(public: &verinfer_zk::PublicValues, what: &str) -> verinfer_zk::PublicValues {
    let mut b = public.clone();
    let seven = Some(Fr::from(7u8));
    match what {
        "input hash" => b.input_hash = seven,
        "param hash" => b.param_hash = seven,
        _ => b.output_hash = seven,
    }
    b
}

/// `ctx` with each of its five words changed in turn.
/// Groth16 rejects `proof` for each of `variants` (statements it was not made for).
fn assert_each_rejected(
    vk: &verinfer_zk::groth16::VerifyingKey,
    proof: &verinfer_zk::groth16::Proof,
    variants: Vec<(&str, verinfer_zk::PublicValues)>,
    label: &str,
) {
    for (what, bad) in variants {
        assert!(
            matches!(Groth16::verify(vk, &bad, proof), Err(VerifyError::Rejected)),
            "{label}: {what}"
        );
    }
}

fn context_variants(ctx: &Context) -> Vec<(&'static str, Context)> {
    use alloy_primitives::{Address, B256, U256};
    vec![
        (
            "model id",
            Context {
                model_id: B256::repeat_byte(1),
                ..*ctx
            },
        ),
        (
            "chain id",
            Context {
                chain_id: U256::from(1),
                ..*ctx
            },
        ),
        (
            "contract",
            Context {
                contract: Address::repeat_byte(2),
                ..*ctx
            },
        ),
        (
            "tag",
            Context {
                tag: U256::from(3),
                ..*ctx
            },
        ),
        (
            "answerer",
            Context {
                answerer: Address::repeat_byte(4),
                ..*ctx
            },
        ),
    ]
}

#[test]
fn every_visibility_proves_and_verifies() {
    let (g, trace) = verinfer_testing::models::small_mlp_trace();
    let out = trace[g.outputs[0].value.index()].clone();
    let mut rng = StdRng::seed_from_u64(11);
    for v in [
        "input=public,params=hashed,output=public",
        "input=private,params=public,output=public",
        "input=hashed,params=private,output=hashed",
        "input=public,params=public,output=private",
    ] {
        let v = vis(v);
        let (pk, vk) = Groth16::setup_with(&g, v, &mut rng).unwrap();
        let (proof, public) =
            Groth16::prove_with(&pk, &g, v, &Context::default(), trace.clone(), &mut rng).unwrap();
        assert_eq!(public.visibility, v);
        assert_eq!(public.inputs.is_empty(), v.input != Vis::Public, "{v}");
        assert_eq!(public.input_hash.is_some(), v.input == Vis::Hashed, "{v}");
        assert_eq!(public.param_hash.is_some(), v.params == Vis::Hashed, "{v}");
        assert_eq!(public.output_hash.is_some(), v.output == Vis::Hashed, "{v}");
        if v.output == Vis::Public {
            assert_eq!(public.outputs, vec![out.clone()]);
        }
        Groth16::verify(&vk, &public, &proof).unwrap();
        // Every stated value and every context word matters: change each in turn.
        let mut variants: Vec<(&str, verinfer_zk::PublicValues)> = Vec::new();
        let mut bad = public.clone();
        if !bad.outputs.is_empty() {
            bad.outputs[0][3] ^= 1;
            variants.push(("an output", bad.clone()));
        }
        bad = public.clone();
        if !bad.inputs.is_empty() {
            bad.inputs[0][17] ^= 1;
            variants.push(("an input", bad.clone()));
        }
        for (what, present) in [
            ("input hash", public.input_hash.is_some()),
            ("param hash", public.param_hash.is_some()),
            ("output hash", public.output_hash.is_some()),
        ] {
            if present {
                variants.push((what, public_with(&public, what)));
            }
        }
        for (what, ctx) in context_variants(&public.context) {
            let mut b = public.clone();
            b.context = ctx;
            variants.push((what, b));
        }
        assert!(variants.len() >= 6, "{v}");
        assert_each_rejected(&vk, &proof, variants, &v.to_string());
    }
}

#[test]
fn hashed_params_bind_the_weights() {
    let (g, trace) = verinfer_testing::models::small_mlp_trace();
    let v = Visibility::hashed_params();
    let mut rng = StdRng::seed_from_u64(12);
    let (pk, vk) = Groth16::setup_with(&g, v, &mut rng).unwrap();
    let (proof, public) =
        Groth16::prove_with(&pk, &g, v, &Context::default(), trace.clone(), &mut rng).unwrap();
    assert_eq!(public.param_hash, Some(param_hash(&g).unwrap()));

    // Other weights, same architecture: the same keys prove them, under another hash — so a
    // verifier must compare the stated hash with the model's registered one.
    let mut g2 = g.clone();
    let w = g2
        .params
        .iter_mut()
        .find(|p| p.kind == verinfer_ir::ParamKind::Weight)
        .unwrap();
    let mut vals = w.data.to_vec();
    vals[0] = if vals[0] == 1 { 2 } else { 1 };
    w.data = vals.into();
    let q: Vec<Vec<i32>> = trace[..g.inputs.len()].to_vec();
    let trace2 = Plan::for_graph(g2.clone())
        .unwrap()
        .run(&q)
        .unwrap()
        .into_values();
    let (proof2, public2) =
        Groth16::prove_with(&pk, &g2, v, &Context::default(), trace2, &mut rng).unwrap();
    Groth16::verify(&vk, &public2, &proof2).unwrap();
    assert_ne!(public2.param_hash, public.param_hash);
    // The first proof does not verify under the second model's hash.
    let mut swapped = public.clone();
    swapped.param_hash = public2.param_hash;
    assert!(matches!(
        Groth16::verify(&vk, &swapped, &proof),
        Err(VerifyError::Rejected)
    ));

    // A trace of the second model cannot be proven as the first (hidden weights still
    // constrain every product).
    let mut bad = trace;
    let last = bad.len() - 1;
    bad[last][0] += 1;
    let c = GraphCircuit::with_visibility(&g, v, bad).unwrap();
    assert!(matches!(
        check_witness(&c),
        Err(ZkError::Unsatisfied(_) | ZkError::TraceMismatch { .. })
    ));
}

#[test]
fn hidden_weights_cost_their_products() {
    let (g, _) = verinfer_testing::models::golden_mlp_trace();
    let public = constraint_counts_with(&g, Visibility::default()).unwrap();
    let hashed = constraint_counts_with(&g, Visibility::hashed_params()).unwrap();
    let total = |c: &std::collections::BTreeMap<&str, verinfer_zk::OpCount>| {
        c.values().map(|x| x.constraints).sum::<usize>()
    };
    for (op, c) in &hashed {
        eprintln!(
            "{op:>10}: {:>3} nodes {:>7} constraints",
            c.nodes, c.constraints
        );
    }
    eprintln!(
        "public weights {} constraints, hashed {}",
        total(&public),
        total(&hashed)
    );
    // 64·64 + 64·32 + 32·10 multiply-accumulates appear with hidden weights.
    assert!(hashed["Contract"].constraints >= public["Contract"].constraints + 6464);
    assert!(hashed["params"].constraints > 0);
    assert!(!public.contains_key("params"));
}

#[test]
fn digest_statement_is_one_public_input_binding_data_and_context() {
    use alloy_primitives::{Address, B256, U256};
    let (g, trace) = verinfer_testing::models::small_mlp_trace();
    let v = vis("input=public,params=hashed,output=public,statement=digest");
    let mut rng = StdRng::seed_from_u64(13);
    let (pk, vk) = Groth16::setup_with(&g, v, &mut rng).unwrap();
    assert_eq!(vk.gamma_abc_g1.len(), 2, "one public input");
    let ctx = Context {
        model_id: B256::repeat_byte(0x11),
        chain_id: U256::from(31337),
        contract: Address::repeat_byte(0x22),
        tag: U256::from(9),
        answerer: Address::repeat_byte(0x33),
    };
    let (proof, public) = Groth16::prove_with(&pk, &g, v, &ctx, trace, &mut rng).unwrap();
    assert_eq!(public.context, ctx);
    assert_eq!(
        public.to_field_elements().unwrap(),
        vec![public.digest().unwrap()]
    );
    Groth16::verify(&vk, &public, &proof).unwrap();
    let mut variants: Vec<(&str, verinfer_zk::PublicValues)> = Vec::new();
    let mut bad = public.clone();
    bad.outputs[0][9] ^= 1;
    variants.push(("an output", bad));
    let mut bad = public.clone();
    bad.inputs[0][63] ^= 1;
    variants.push(("an input", bad));
    variants.push(("param hash", public_with(&public, "param hash")));
    for (what, c) in context_variants(&ctx) {
        let mut b = public.clone();
        b.context = c;
        variants.push((what, b));
    }
    assert_each_rejected(&vk, &proof, variants, "digest");
}

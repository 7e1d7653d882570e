//! Broadcast and parameter operands of `Add`/`Sub`/`Mul` (a layer norm's shape): `x − mean`
//! and `d·mean` with a `[.., 1]` activation, `·γ` and `+ β` with a committed `[C]` parameter,
//! `+ c` and `·c` with a public scalar — on a `3 × 6` input (neither axis a power of two, so
//! the masks' factors are not 1) and a `4 × 8` one. Honest proofs verify (every prefix, so
//! each kind is once the public output), bytes and words round-trip, the layers equal the IR
//! reference on seeded random inputs, and a wrong output, a wrong element with its remainder,
//! a changed message or word, or another parameter's commitment is rejected.

use verinfer_ir::{BinaryKind, Graph, ReduceKind};
use verinfer_testing::graph::{binary_op as bin, reduce_op};
use verinfer_testing::{requant, GraphBuilder};

use super::*;

fn norm_like(r: usize, c: usize) -> Graph {
    verinfer_testing::graph::norm_like(r, c, false)
}

fn random_input(g: &Graph, seed: u64) -> Vec<i32> {
    super::random_input(g, seed, -512..512)
}

/// Every prefix of both sizes from the first broadcast on (each layer kind once the output).
fn graphs() -> Vec<(String, Graph)> {
    let mut v = vec![];
    for (r, c) in [(3, 6), (4, 8)] {
        let g = norm_like(r, c);
        for n in 2..=g.nodes.len() {
            v.push((format!("{r}x{c} prefix {n}"), prefix(&g, n)));
        }
    }
    v
}

#[test]
fn the_operands_are_recognised_as_broadcasts_parameters_and_scalars() {
    let spec = ChainSpec::recognise(&norm_like(3, 6)).unwrap();
    let args: Vec<Arg> = spec
        .layers
        .iter()
        .filter_map(|l| match l.kind {
            LayerKind::Binary { b, .. } => Some(b),
            _ => None,
        })
        .collect();
    assert_eq!(
        args,
        [
            Arg::Act(Src::Layer(0)),
            Arg::Act(Src::Layer(0)),
            Arg::Weight(0),
            Arg::Weight(1),
            Arg::Const(5),
            Arg::Const(-3),
            Arg::Act(Src::Input(0)),
        ]
    );
    assert_eq!(spec.weights[0].layout, Layout { rows: 1, cols: 6 });
    assert_eq!(ChainSpec::from_bytes(&spec.to_bytes()).unwrap(), spec);
}

#[test]
fn broadcast_layers_prove_and_round_trip() {
    for (name, g) in graphs() {
        let f = fixture_with(&g, random_input(&g, 1));
        let proof = f.assert_proves_and_round_trips(&name);
        f.assert_outputs_rejected(&proof, &[f.output().len() - 1], &name);
    }
}

#[test]
fn the_layers_equal_the_ir_reference_on_random_inputs() {
    for (r, c) in [(3, 6), (4, 8)] {
        let g = norm_like(r, c);
        let spec = ChainSpec::recognise(&g).unwrap();
        let weights = weight_data(&g, &spec).unwrap();
        for seed in 0..12 {
            let trace = verinfer_ir::reference::run(&g, &[random_input(&g, seed)]).unwrap();
            for (i, l) in spec.layers.iter().enumerate() {
                if !matches!(l.kind, LayerKind::Binary { .. }) {
                    continue;
                }
                arith::witness(&spec, i, &trace, &weights, true)
                    .unwrap_or_else(|e| panic!("{r}x{c} seed {seed} layer {i}: {e}"));
                let mut bad = trace.clone();
                bad[i + 1][c + 1] += 1;
                assert!(matches!(
                    arith::witness(&spec, i, &bad, &weights, true),
                    Err(GkrError::TraceMismatch { node, index, .. }) if node == i && index == c + 1
                ));
            }
        }
    }
}

#[test]
fn a_wrong_element_with_its_remainder_is_rejected() {
    for (name, g) in graphs() {
        let mut f = fixture_with(&g, random_input(&g, 2));
        let last = f.trace.len() - 1;
        // An element of the second row: it reads the broadcast operand's second entry.
        let j = f.spec.output().cols + 2;
        f.trace[last][j] += 1;
        f.assert_cheat_stopped(&name);
        f.assert_refused_at(f.spec.layers.len() - 1);
    }
}

#[test]
fn a_wrong_broadcast_operand_is_rejected() {
    // The mean forged (hidden), `x − mean` as public output computed from the forged mean:
    // the broadcast layer is consistent, only the sum's epilogue stands in the way.
    let g = prefix(&norm_like(3, 6), 2);
    let mut f = fixture_with(&g, random_input(&g, 3));
    f.trace[1][1] += 1;
    let c = 6;
    for k in 0..c {
        f.trace[2][c + k] -= 1;
    }
    // The sum's remainder the forged mean implies leaves its range (shift 2).
    f.assert_cheat_stopped("mean forged");
    f.assert_refused_at(0);
}

#[test]
fn a_changed_layer_message_or_parameter_commitment_is_rejected() {
    for (r, c) in [(3, 6), (4, 8)] {
        let f = fixture_with(&norm_like(r, c), random_input(&norm_like(r, c), 4));
        let proof = f.prove();
        for i in 0..f.spec.layers.len() {
            if matches!(f.spec.layers[i].kind, LayerKind::Binary { .. }) {
                f.assert_layer_message_rejected(&proof, i, &format!("{r}x{c}"));
            }
        }
        // γ or β committed with one element changed: the proof is for other parameters.
        for j in 0..f.spec.weights.len() {
            let mut w = f.weights.clone();
            w[j][1] += 1;
            let other = commit_weights(&f.srs.commit_key, &f.spec, &w).unwrap();
            let err = verify_model(
                &f.srs.verifier_key,
                Some(&STATEMENT),
                &f.spec,
                &other,
                &f.trace[0],
                f.output(),
                &proof,
            )
            .unwrap_err();
            assert!(err.is_rejection(), "weight {j}: {err}");
        }
    }
}

#[test]
fn every_proof_word_changed_is_refused_or_rejected() {
    let g = norm_like(3, 6);
    let f = fixture_with(&g, random_input(&g, 5));
    f.assert_every_word_checked(&f.prove());
}

#[test]
fn unsupported_broadcasts_are_refused_by_name() {
    // `[r, 1]` against `[1, r, c]` reads the rows as the leading axis: fine; `[c]` against
    // the rows (`[1, 1, r]` with `r ≠ c`) does not broadcast in the IR; a `[1, 1, 1]`
    // activation spread over everything is refused.
    let mut b = GraphBuilder::named("scalar-act");
    let x = b.input(&[1, 3, 6], 10);
    let s = b.node(
        reduce_op(ReduceKind::Sum, &[1, 2], requant(1, 4, 16)),
        vec![x],
        &[1, 1, 1],
        16,
    );
    b.node(bin(BinaryKind::Sub, 1, 1, 1, 0), vec![x, s], &[1, 3, 6], 16);
    match ChainSpec::recognise(&b.finish()) {
        Err(GkrError::Unsupported {
            node: Some(n),
            reason,
        }) => {
            assert!(n <= 1, "{reason}");
        }
        other => panic!("{other:?}"),
    }
}

/// One token (`1 × 8`): the mean is one element, spread with zero variables. Every prefix
/// proves and round-trips, a changed last output, every binary layer's stated values (the
/// operand at the empty point included) and every word are rejected, and the on-chain plan
/// refuses the one-element broadcast by name.
#[test]
fn one_token_broadcasts_prove_at_zero_variables() {
    let g = norm_like(1, 8);
    for n in 2..=g.nodes.len() {
        let name = format!("1x8 prefix {n}");
        let p = prefix(&g, n);
        let f = fixture_with(&p, random_input(&p, 1));
        let proof = f.assert_proves_and_round_trips(&name);
        f.assert_outputs_rejected(&proof, &[f.output().len() - 1], &name);
    }
    let f = fixture_with(&g, random_input(&g, 4));
    let proof = f.prove();
    let mut spread = 0;
    for (i, l) in f.spec.layers.iter().enumerate() {
        if let LayerKind::Binary { b, .. } = l.kind {
            if broadcast::zero_vars(&f.spec, l.out, b) {
                f.assert_layer_message_rejected(&proof, i, "1x8");
                spread += 1;
            }
        }
    }
    assert_eq!(spread, 2, "x − mean and d·mean");
    f.assert_every_word_checked(&proof);
    let err = crate::backend::layered::model_plan(&f.spec, &f.commitments, &f.srs.verifier_key)
        .unwrap_err();
    assert!(
        err.to_string().contains("one-element activation broadcast"),
        "{err}"
    );
}

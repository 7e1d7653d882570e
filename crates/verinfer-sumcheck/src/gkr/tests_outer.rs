//! Outer-product `Mul`s ([`LayerKind::Outer`]): `[4, 1, 1]·[2, 8]`, `[5, 1, 1]·[4, 6]` (no
//! power of two but the second operand's rows) and a one-hot column gathered by a position
//! times `[2, 8]` (an LLM step's cache append), each once the public output and once hidden.
//! Honest proofs verify, bytes and words round-trip, the layer equals the IR on seeded random
//! inputs, and every stated value changed, every word flipped, an output changed or a wrong
//! element with its remainder is rejected; the forms the layer does not cover are refused by
//! name.

use verinfer_ir::Graph;
use verinfer_testing::graph::{binary_op, outer_product, random_inputs};
use verinfer_testing::GraphBuilder;

use super::*;

/// The graphs: each shape with the product as the public output and hidden.
fn graphs() -> Vec<(String, Graph)> {
    let mut v = vec![];
    for (r, lo, onehot) in [
        (4, &[2, 8][..], false),
        (5, &[4, 6][..], false),
        (8, &[2, 8][..], true),
    ] {
        let label = format!("{r}x{lo:?} onehot {onehot}");
        v.extend(public_and_hidden(&label, outer_product(r, lo, onehot)));
    }
    v
}

/// Seeded inputs of `g` (a one-hot graph's position inside its table).
fn inputs(g: &Graph, seed: u64) -> Vec<Vec<i32>> {
    let mut xs = random_inputs(g, seed);
    if g.inputs[0].info.shape.dims() == [1] {
        xs[0] = vec![i32::try_from(seed % 8).unwrap()];
    }
    xs
}

fn outer_layer(spec: &ChainSpec) -> usize {
    first_layer(spec, |k| matches!(k, LayerKind::Outer { .. }))
}

#[test]
fn outer_products_are_recognised_and_round_trip() {
    for (name, g) in graphs() {
        let spec = ChainSpec::recognise(&g).unwrap();
        let i = outer_layer(&spec);
        let LayerKind::Outer { b, mult, shift, .. } = spec.layers[i].kind else {
            unreachable!()
        };
        assert_eq!((b, mult, shift), (Src::Layer(i - 1), 3, 2), "{name}");
        assert_eq!(
            ChainSpec::from_bytes(&spec.to_bytes()).unwrap(),
            spec,
            "{name}"
        );
    }
}

#[test]
fn honest_outer_products_prove_and_reject_changed_outputs() {
    assert_graphs_prove_inputs(graphs(), inputs);
}

#[test]
fn the_layer_equals_the_ir_reference_on_random_inputs() {
    for (name, g) in graphs() {
        let spec = ChainSpec::recognise(&g).unwrap();
        let i = outer_layer(&spec);
        let rule = kind::rule(&spec.layers[i].kind).unwrap();
        let at = kind::At::new(&spec, i, &spec.layers[i], &[]);
        for seed in 0..6 {
            let trace = verinfer_ir::reference::run(&g, &inputs(&g, seed)).unwrap();
            let n = spec.inputs.len();
            rule.witness(at, &trace, &[], true)
                .unwrap_or_else(|e| panic!("{name} seed {seed}: {e}"));
            // An element of the second row block (it reads the first operand's second entry).
            let j = trace[n + i].len() / 2 + 1;
            let mut bad = trace.clone();
            bad[n + i][j] += 1;
            assert!(
                matches!(
                    rule.witness(at, &bad, &[], true),
                    Err(GkrError::TraceMismatch { node, index, .. }) if node == i && index == j
                ),
                "{name} seed {seed}"
            );
        }
    }
}

#[test]
fn every_stated_value_changed_is_rejected() {
    let graphs = graphs();
    for (name, g) in &graphs {
        let f = fixture_inputs(g, inputs(g, 7));
        let proof = f.prove();
        f.assert_layer_message_rejected(&proof, outer_layer(&f.spec), name);
    }
}

#[test]
fn every_word_of_a_cache_append_proof_flipped_is_refused_or_rejected() {
    let g = outer_product(8, &[2, 8], true);
    let f = fixture_inputs(&g, inputs(&g, 3));
    let proof = f.prove();
    f.assert_every_word_checked(&proof);
    f.assert_word_count_exact(&proof);
}

#[test]
fn a_wrong_product_element_is_rejected() {
    for (name, g) in graphs() {
        let mut f = fixture_inputs(&g, inputs(&g, 2));
        let i = outer_layer(&f.spec);
        let n = f.spec.inputs.len();
        let j = f.trace[n + i].len() - 1;
        f.trace[n + i][j] += 1;
        if i + 1 < f.spec.layers.len() {
            // The clip after it follows the forged product.
            let y = &f.trace[n + i];
            let clipped: Vec<i32> = y.iter().map(|&v| v.max(0)).collect();
            f.trace[n + i + 1] = clipped;
        }
        f.assert_cheat_stopped(&name);
        f.assert_refused_at(i);
    }
}

#[test]
fn a_remainder_moved_by_one_is_rejected() {
    for (name, g) in graphs() {
        let f = fixture_inputs(&g, inputs(&g, 4));
        let i = outer_layer(&f.spec);
        let moved = f.prove_tampered(&f.trace, true, &|w| {
            bump(w, columns::Poly::Rem(i), 1, ark_bn254::Fr::from(1u64));
            Ok(())
        });
        f.assert_stopped(moved, &name);
    }
}

#[test]
fn unproven_outer_products_are_refused_by_name() {
    // The second operand's rows not a power of two: padding would interleave the rows.
    let err = ChainSpec::recognise(&outer_product(5, &[3, 6], false)).unwrap_err();
    assert!(err.to_string().contains("outer product"), "{err}");
    // The first operand over the trailing axes.
    let mut b = GraphBuilder::named("swapped");
    let k = b.input(&[2, 8], 8);
    let a = b.input(&[4, 1, 1], 8);
    b.node(
        binary_op(verinfer_ir::BinaryKind::Mul, 1, 1, 3, 2),
        vec![k, a],
        &[4, 2, 8],
        16,
    );
    let err = ChainSpec::recognise(&b.finish()).unwrap_err();
    assert!(err.to_string().contains("outer product"), "{err}");
    // No on-chain layer yet: the plan export names the layer (one input: `b` a move of it).
    let mut b = GraphBuilder::named("one input");
    let x = b.input(&[4, 1, 1], 8);
    let map: Vec<i32> = (0..16).map(|j| j % 4).collect();
    let map = b.param_id(&[16], 16, verinfer_ir::ParamKind::IndexMap, map);
    let k = b.node(
        verinfer_ir::Op::Move(verinfer_ir::Move { map, fill: 0 }),
        vec![x],
        &[2, 8],
        8,
    );
    b.node(
        binary_op(verinfer_ir::BinaryKind::Mul, 1, 1, 3, 2),
        vec![x, k],
        &[4, 2, 8],
        16,
    );
    let g = b.finish();
    let f = fixture_inputs(&g, vec![vec![3, -1, 7, 0]]);
    let err = crate::backend::layered::model_plan(&f.spec, &f.commitments, &f.srs.verifier_key)
        .unwrap_err();
    assert!(
        err.to_string().contains("Outer") && err.to_string().contains("not verifiable on chain"),
        "{err}"
    );
}

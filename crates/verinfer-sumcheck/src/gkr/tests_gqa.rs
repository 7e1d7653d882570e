//! Grouped-query attention's contracts (an LLM step's `scores = q·keysᵀ` and `att = p·vals`,
//! iterated `[h_kv, g, ·]` with `keys`, `vals` `[c, h_kv, d]`): they lower to
//! [`LayerKind::Product`] over the kv heads as batch (the group's heads as rows), with the
//! moves that bring `keys` and `vals` into `[h_kv·k, n]` — 4 heads on 2 kv heads, context 8,
//! head dim 4, and 6 heads on 3 (the group's rows padded), the scores once the public output
//! and once hidden. Honest proofs verify, bytes and words round-trip, the products equal the
//! IR, and a changed output, stated value or word is rejected.

use verinfer_ir::Graph;
use verinfer_testing::graph::{gqa_attention, random_inputs};

use super::*;

fn graphs() -> Vec<(String, Graph)> {
    let mut v = vec![];
    for (h, h_kv) in [(4, 2), (6, 3)] {
        v.extend(public_and_hidden(
            &format!("{h} heads on {h_kv}"),
            gqa_attention(h, h_kv, 8, 4),
        ));
    }
    v
}

fn product_layer(spec: &ChainSpec) -> usize {
    first_layer(spec, |k| matches!(k, LayerKind::Product { .. }))
}

#[test]
fn grouped_query_contracts_lower_to_products_over_the_kv_heads() {
    for (name, g) in graphs() {
        let spec = ChainSpec::recognise(&g).unwrap();
        for l in &spec.layers {
            if let LayerKind::Product { batch, .. } = l.kind {
                assert_eq!(batch, g.inputs[1].info.shape.dims()[1], "{name}");
            }
        }
        assert_eq!(
            ChainSpec::from_bytes(&spec.to_bytes()).unwrap(),
            spec,
            "{name}"
        );
    }
}

#[test]
fn honest_grouped_query_attention_proves() {
    assert_graphs_prove_inputs(graphs(), random_inputs);
}

#[test]
fn grouped_query_messages_changed_are_rejected() {
    // The hidden scores (both products proven from claims on hidden tensors).
    for (name, g) in graphs().into_iter().skip(1).step_by(2) {
        let f = fixture_inputs(&g, random_inputs(&g, 7));
        let proof = f.prove();
        let i = product_layer(&f.spec);
        f.assert_layer_message_rejected(&proof, i, &name);
        f.assert_rounds_rejected(&proof, i, &name);
    }
}

#[test]
fn every_word_of_a_grouped_query_proof_flipped_is_refused_or_rejected() {
    let g = &graphs()[1].1;
    let f = fixture_inputs(g, random_inputs(g, 8));
    let proof = f.prove();
    f.assert_every_word_checked(&proof);
    f.assert_word_count_exact(&proof);
}

#[test]
fn a_wrong_score_is_refused_and_its_cheat_rejected() {
    // The scores public (no move after the product): the forged element's remainder follows
    // it, so the relation holds and the remainder's range check stands in the way.
    let g = &graphs()[0].1;
    let mut f = fixture_inputs(g, random_inputs(g, 2));
    let last = f.trace.len() - 1;
    f.trace[last][5] += 1;
    let i = product_layer(&f.spec);
    assert_eq!(i, f.spec.layers.len() - 1);
    f.assert_refused_at(f.spec.node_of(i));
    f.trace = lower::layer_trace(&f.spec, &f.weights, &f.trace).unwrap();
    f.assert_cheat_stopped("scores");
}

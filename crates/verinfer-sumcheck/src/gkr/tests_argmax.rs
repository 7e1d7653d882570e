//! `ArgMax` layers (an LLM step's next token): the first maximum of each row over the last
//! axis of `3 × 6` (padded), `4 × 8` and `1 × 20` (one row: the index a one-element
//! output) inputs, read public or hidden (a clip `max(x, −500)` before it), the index public
//! or hidden (a ReLU after it). Honest proofs verify on rows with ties and negative values; a
//! later tied index, a smaller element's index and an index past the row are rejected; every
//! stated value, round message and word changed is rejected; a rescaling epilogue, another
//! axis and the on-chain plan are refused by name.

use ark_bn254::Fr;
use verinfer_ir::{Graph, Op, ReduceKind};
use verinfer_testing::graph::reduce_op;
use verinfer_testing::{requant, GraphBuilder};

use super::*;

fn argmax_op(axis: usize, rq: verinfer_ir::Requant) -> Op {
    reduce_op(ReduceKind::ArgMax, &[axis], rq)
}

/// `x` `[r, c]` (10 bits) → (`max(x, −500)`, the identity on the inputs, when `hidden_x`) →
/// the index of each row's first maximum (8 bits) → a ReLU (the identity on indices).
fn argmax(r: usize, c: usize, hidden_x: bool) -> Graph {
    let mut b = GraphBuilder::named("argmax");
    let mut x = b.input(&[r, c], 10);
    if hidden_x {
        let floor = b.param(&[1], 12, vec![-500]);
        x = b.node(relu(10), vec![x, floor], &[r, c], 10);
    }
    let y = b.node(argmax_op(1, requant(1, 0, 8)), vec![x], &[r], 8);
    let zero = b.param(&[1], 4, vec![0]);
    b.node(relu(8), vec![y, zero], &[r], 8);
    b.finish()
}

/// Draws from `-4..4`: rows with several equal maxima and negative values.
fn tied_input(g: &Graph, seed: u64) -> Vec<i32> {
    super::random_input(g, seed, -4..4)
}

/// Each size with the input public and hidden, the index public and hidden.
fn graphs() -> Vec<(String, Graph)> {
    let mut v = vec![];
    for (r, c) in [(3, 6), (4, 8), (1, 20)] {
        for hidden_x in [false, true] {
            let label = format!("{r}x{c} hidden x {hidden_x}");
            v.extend(public_and_hidden(&label, argmax(r, c, hidden_x)));
        }
    }
    v
}

fn argmax_layer(spec: &ChainSpec) -> usize {
    first_layer(spec, |k| *k == LayerKind::ArgMax)
}

/// `3 × 6` rows: the maximum three times, three equal negative maxima, all equal.
const TIES: [i32; 18] = [
    1, 5, 3, 5, 5, 0, //
    -7, -3, -9, -3, -8, -3, //
    4, 4, 4, 4, 4, 4,
];

#[test]
fn the_argmax_is_recognised_and_its_bytes_round_trip() {
    let spec = ChainSpec::recognise(&argmax(3, 6, true)).unwrap();
    let i = argmax_layer(&spec);
    assert_eq!(i, 1);
    assert_eq!(spec.layers[i].input, Src::Layer(0));
    assert_eq!(ChainSpec::from_bytes(&spec.to_bytes()).unwrap(), spec);
    // Output bits that cannot hold the last index (5): refused on decoding.
    let mut bad = spec.clone();
    bad.layers[i].bits = verinfer_ir::Bits::new(3).unwrap();
    assert!(ChainSpec::from_bytes(&bad.to_bytes()).is_err());
    // Another row length: refused on decoding.
    let mut bad = spec.clone();
    bad.layers[i].out = Layout { rows: 1, cols: 2 };
    assert!(ChainSpec::from_bytes(&bad.to_bytes()).is_err());
}

#[test]
fn argmax_layers_prove_and_round_trip() {
    assert_graphs_prove(&graphs(), tied_input);
}

#[test]
fn ties_go_to_the_first_maximum_and_prove() {
    for hidden_x in [false, true] {
        let g = argmax(3, 6, hidden_x);
        let f = fixture_with(&g, TIES.to_vec());
        let i = argmax_layer(&f.spec);
        assert_eq!(f.trace[i + 1], [1, 1, 0], "hidden x {hidden_x}");
        let proof = f.assert_proves_and_round_trips("ties");
        f.assert_ends_rejected(&proof, "ties");
    }
    // The reference's index is the first maximum on random rows.
    let g = argmax(4, 8, false);
    for seed in 0..12 {
        let x = tied_input(&g, 100 + seed);
        let trace = verinfer_ir::reference::run(&g, std::slice::from_ref(&x)).unwrap();
        let want: Vec<i32> = x
            .chunks(8)
            .map(|row| i32::try_from(argmax::first_max(row)).unwrap())
            .collect();
        assert_eq!(trace[1], want);
    }
}

#[test]
fn a_wrong_index_is_rejected() {
    for hidden_x in [false, true] {
        let g = argmax(3, 6, hidden_x);
        let f0 = fixture_with(&g, TIES.to_vec());
        let i = argmax_layer(&f0.spec);
        // A later tied index (row 0's maximum is at 1, 3 and 4; row 2's everywhere), a
        // smaller element's index, an index past the row and a negative one.
        for (row, index) in [(0, 3), (0, 4), (2, 5), (1, 0), (0, 6), (1, -1)] {
            let mut f = fixture_with(&g, TIES.to_vec());
            f.trace[i + 1][row] = index;
            f.trace[i + 2][row] = index.max(0);
            let name = format!("hidden x {hidden_x}: row {row} index {index}");
            f.assert_cheat_stopped(&name);
            f.assert_refused_at(i);
            // The index public: the prefix graph.
            let mut p = fixture_with(&prefix(&g, i + 1), TIES.to_vec());
            p.trace[i + 1][row] = index;
            p.assert_cheat_stopped(&format!("{name} public"));
        }
    }
}

#[test]
fn every_argmax_message_word_and_committed_entry_changed_is_rejected() {
    let words_graph = argmax(3, 6, true);
    assert_layer_tampers_rejected(&graphs(), tied_input, argmax_layer, &words_graph);
    // Each committed table (selector, prefix, maximum) moved at a real and a padded entry.
    let f = fixture_with(&words_graph, TIES.to_vec());
    let i = argmax_layer(&f.spec);
    // (A selector entry on the padding selects nothing the verifier reads: not a change of
    // the statement, so only real entries of it.)
    for (p, at) in [
        (columns::Poly::Sel(i), [0, 9]),
        (columns::Poly::Prefix(i), [0, 7]),
        (columns::Poly::Bcast(i), [0, 7]),
    ] {
        for e in at {
            let proof = f.prove_edited(&|w| bump(w, p, e, Fr::from(1u64)));
            let err = f.verify(f.output(), &proof).unwrap_err();
            assert!(err.is_rejection(), "{p:?} entry {e}: {err}");
        }
    }
}

#[test]
fn unproven_argmaxes_are_refused_by_name() {
    // A rescaling epilogue.
    let mut b = GraphBuilder::named("rescaled");
    let x = b.input(&[2, 6], 10);
    b.node(argmax_op(1, requant(3, 1, 8)), vec![x], &[2], 8);
    let err = ChainSpec::recognise(&b.finish()).unwrap_err();
    assert!(err.to_string().contains("rescaling epilogue"), "{err}");
    // Another axis than the last.
    let mut b = GraphBuilder::named("axis 0");
    let x = b.input(&[2, 6], 10);
    b.node(argmax_op(0, requant(1, 0, 8)), vec![x], &[6], 8);
    let err = ChainSpec::recognise(&b.finish()).unwrap_err();
    assert!(err.to_string().contains("last axis"), "{err}");
    // No on-chain layer yet: the plan export names the layer.
    let f = fixture_with(&prefix(&argmax(3, 6, false), 1), TIES.to_vec());
    let err = crate::backend::layered::model_plan(&f.spec, &f.commitments, &f.srs.verifier_key)
        .unwrap_err();
    assert!(
        err.to_string().contains("ArgMax") && err.to_string().contains("not verifiable on chain"),
        "{err}"
    );
}

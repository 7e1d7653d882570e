//! `Move` layers: honest proofs verify (hidden and public outputs, fill entries), a wrong
//! gathered value is rejected, the spec's bytes round-trip.

use verinfer_ir::Graph;

use super::*;

#[path = "../../tests/it/common/graph_edit.rs"]
mod graph_edit;
pub(super) use graph_edit::with_move_to;

/// `g` with a `Move` (`map`, `fill`) inserted after node `after`, reading its output, with
/// the same shape (later nodes read the move instead).
fn with_move(g: &Graph, after: usize, map: Vec<i32>, fill: i32) -> Graph {
    let dims = g.nodes[after].out.shape.dims().to_vec();
    with_move_to(g, after, map, fill, dims)
}

/// A permutation of `n` (reversed, rotated) with two entries the fill.
fn shuffle(n: usize) -> Vec<i32> {
    let mut m: Vec<i32> = (0..i32::try_from(n).unwrap()).rev().collect();
    m.rotate_left(3);
    m[1] = -1;
    m[n / 2] = -1;
    m
}

pub(super) fn hidden_width(g: &Graph) -> usize {
    g.nodes[1].out.shape.dims().iter().product()
}

#[test]
fn a_hidden_move_proves_and_round_trips() {
    let base = digits_mlp();
    let g = with_move(&base, 1, shuffle(hidden_width(&base)), 3);
    let f = fixture(&g, 1);
    assert!(matches!(
        f.spec.layers[2].kind,
        LayerKind::Move { map: 0, fill: 3 }
    ));
    assert_eq!(ChainSpec::from_bytes(&f.spec.to_bytes()).unwrap(), f.spec);
    // A spec without moves keeps its bytes; a trailing empty maps section is not canonical.
    let plain = ChainSpec::recognise(&base).unwrap();
    let mut b = plain.to_bytes();
    assert_eq!(ChainSpec::from_bytes(&b).unwrap(), plain);
    b.extend_from_slice(&0u64.to_le_bytes());
    assert!(ChainSpec::from_bytes(&b).is_err());

    let proof = f.assert_proves_and_round_trips("hidden move");
    f.assert_outputs_rejected(&proof, &[0], "hidden move");
}

#[test]
fn a_move_as_the_output_proves() {
    let base = prefix(&digits_mlp(), 2);
    let g = with_move(&base, 1, shuffle(hidden_width(&base)), 0);
    let f = fixture(&g, 2);
    let proof = f.prove();
    f.verify(f.output(), &proof).unwrap();
}

/// Prove `f`'s (tampered) trace without the prover's own check.
pub(super) fn forge(f: &Fixture) -> ModelProof {
    f.prove_unchecked().unwrap()
}

#[test]
fn a_wrong_gathered_value_is_rejected() {
    // Public output: the move's output states a value its map does not gather.
    let base = prefix(&digits_mlp(), 2);
    let g = with_move(&base, 1, shuffle(hidden_width(&base)), 0);
    let mut f = fixture(&g, 0);
    f.trace[3][5] += 1;
    let err = f.verify(f.output(), &forge(&f)).unwrap_err();
    assert!(err.is_rejection(), "{err}");
    // A fill entry with another value.
    let mut f = fixture(&g, 0);
    f.trace[3][1] = 7;
    let err = f.verify(f.output(), &forge(&f)).unwrap_err();
    assert!(err.is_rejection(), "{err}");

    // Hidden: the move's output forged, the next matrix product consistent with the forgery.
    let base = prefix(&digits_mlp(), 3);
    let g = with_move(&base, 1, shuffle(hidden_width(&base)), 0);
    let mut f = fixture(&g, 1);
    f.trace[3][4] += 2;
    f.trace[4] = matmul_ref(&f, 3, &f.trace[3]);
    let err = f.verify(f.output(), &forge(&f)).unwrap_err();
    assert!(err.is_rejection(), "{err}");
    // The honest prover refuses the forged trace.
    f.assert_refused_at(2);
}

#[path = "tests_max.rs"]
mod max;

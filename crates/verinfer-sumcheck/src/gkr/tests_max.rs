//! `ReduceMax` layers (after a reshaping move, as max-pooling lowers): honest proofs verify
//! (public and hidden output), a wrong maximum (above or below the true one) is rejected.

use verinfer_ir::Graph;

use super::super::*;
use super::graph_edit::{insert_window_max, with_move_to};
use super::{forge, hidden_width};

/// The digits MLP's first two layers, the ReLU output reshaped to `[n/4, 4]` and max-reduced
/// over the last axis; with `relu_after`, a copy of the ReLU applied to the maxima.
fn pooled(relu_after: bool) -> Graph {
    let base = prefix(&digits_mlp(), 2);
    let n = hidden_width(&base);
    let map: Vec<i32> = (0..i32::try_from(n).unwrap()).collect();
    let mut g = with_move_to(&base, 1, map, 0, vec![n / 4, 4]);
    insert_window_max(&mut g, 2, relu_after.then_some(1));
    g
}

#[test]
fn reduce_max_proves_public_and_hidden() {
    for relu_after in [false, true] {
        let g = pooled(relu_after);
        let f = fixture(&g, 1);
        assert_eq!(f.spec.layers[3].kind, LayerKind::ReduceMax);
        f.assert_proves_and_round_trips(&format!("relu after {relu_after}"));
    }
}

#[test]
fn a_wrong_max_is_rejected() {
    let g = pooled(false);
    let f0 = fixture(&g, 2);
    // A row whose elements differ, so "below the max" is still one of them.
    let x = &f0.trace[3];
    let r = (0..x.len() / 4)
        .find(|r| x[4 * r..4 * r + 4].iter().min() != x[4 * r..4 * r + 4].iter().max())
        .expect("a row with distinct values");
    let row = &x[4 * r..4 * r + 4];
    let below = *row.iter().min().unwrap();
    // Above the true maximum: in range, one of no elements (the selector catches it).
    let mut f = fixture(&g, 2);
    f.trace[4][r] += 1;
    let err = f.verify(f.output(), &forge(&f)).unwrap_err();
    assert!(err.is_rejection(), "{err}");
    // Below it: `B − X` leaves the range, which the logUp prover cannot prove (its soundness
    // is the logUp argument's, tested in `logup/tests.rs`).
    let mut f = fixture(&g, 2);
    f.trace[4][r] = below;
    let r2 = f.prove_unchecked();
    match r2 {
        Err(GkrError::Logup(crate::error::LogupError::OutOfRange { .. })) => {}
        Err(e) => panic!("{e}"),
        Ok(p) => assert!(f.verify(f.output(), &p).unwrap_err().is_rejection()),
    }
    // Hidden: the maximum raised by one, the ReLU after it consistent with the forgery.
    let g = pooled(true);
    let mut f = fixture(&g, 2);
    f.trace[4][r] += 1;
    f.trace[5][r] = f.trace[4][r].max(0);
    let err = f.verify(f.output(), &forge(&f)).unwrap_err();
    assert!(err.is_rejection(), "{err}");
    f.assert_refused_at(3);
}

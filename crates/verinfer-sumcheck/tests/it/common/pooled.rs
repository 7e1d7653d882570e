//! A pooling model built from the digits MLP for the on-chain `Move`/`ReduceMax` tests: its
//! first matrix product and ReLU (64 activations), read as an 8×8 image and gathered into
//! 2×2 windows (`[16, 4]`, the `Move` a max-pool lowers to), max-reduced over each window,
//! a ReLU, and flattened to `[1, 16]` by a second `Move` (the public output).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use verinfer_ir::{Graph, ValueId};

use super::graph_edit::{insert_window_max, with_move_to};

/// The 2×2 windows of an 8×8 image, window-major: entry `4·w + d` is pixel
/// `(2·(w/4) + d/2, 2·(w%4) + d%2)`.
pub fn pool_map() -> Vec<i32> {
    (0..64)
        .map(|e| {
            let (w, d) = (e / 4, e % 4);
            (2 * (w / 4) + d / 2) * 8 + 2 * (w % 4) + d % 2
        })
        .collect()
}

/// The pooling model (module docs) and its reference trace on the bundled digit.
pub fn pooled_mlp() -> (Graph, Vec<Vec<i32>>) {
    let (base, x) = super::digits::digits_graph();
    let mut g = base.clone();
    g.nodes.truncate(2);
    g.outputs[0].value = ValueId(2);
    let mut g = with_move_to(&g, 1, pool_map(), 0, vec![16, 4]);
    insert_window_max(&mut g, 2, Some(1));
    let g = with_move_to(&g, 4, (0..16).collect(), 0, vec![1, 16]);
    let trace = verinfer_ir::reference::run(&g, &[x]).unwrap();
    (g, trace)
}

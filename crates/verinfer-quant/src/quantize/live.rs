//! The nodes that reach a graph output: the only ones quantized.

use crate::fgraph::{FGraph, FRef};

/// Per node: whether some graph output depends on it.
#[must_use]
pub(crate) fn live_nodes(fg: &FGraph) -> Vec<bool> {
    let mut live = vec![false; fg.nodes.len()];
    let mut stack: Vec<usize> = fg
        .outputs
        .iter()
        .filter_map(|(_, r)| {
            if let FRef::Node(i) = r {
                Some(*i)
            } else {
                None
            }
        })
        .collect();
    while let Some(i) = stack.pop() {
        if live[i] {
            continue;
        }
        live[i] = true;
        for r in &fg.nodes[i].inputs {
            if let FRef::Node(j) = r {
                stack.push(*j);
            }
        }
    }
    live
}

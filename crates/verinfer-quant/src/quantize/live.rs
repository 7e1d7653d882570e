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

/// Per node: the live nodes that read it, in node order (a node read twice is listed twice).
#[must_use]
pub(crate) fn live_consumers(fg: &FGraph, live: &[bool]) -> Vec<Vec<usize>> {
    let mut consumers: Vec<Vec<usize>> = vec![Vec::new(); fg.nodes.len()];
    for (j, node) in fg.nodes.iter().enumerate() {
        if !live.get(j).copied().unwrap_or(false) {
            continue;
        }
        for r in &node.inputs {
            if let FRef::Node(i) = r {
                if let Some(c) = consumers.get_mut(*i) {
                    c.push(j);
                }
            }
        }
    }
    consumers
}

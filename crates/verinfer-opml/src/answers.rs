//! Answers both parties compute from their own execution: reveals of the trace tree and of a
//! value's tensor tree, accumulation checkpoints, the node's operand roots. The honest party and
//! a lying one run the same code over different executions.

use alloy_primitives::{B256, I256, U256};
use verinfer_commit::encode::{graph_tree, node_words};
use verinfer_ir::Operand;

use crate::convert::{b256, b256s, words};
use crate::error::{OpmlError, Result};
use crate::execution::Execution;

fn tree_err(e: impl std::fmt::Display) -> OpmlError {
    OpmlError::Protocol(format!("tree: {e}"))
}

/// How many levels a reveal at `level` descends: min(d, level).
pub fn reveal_levels(level: u64, d: u8) -> usize {
    level.min(u64::from(d)) as usize
}

impl Execution {
    /// The children the submitter reveals under trace-tree node (`level`, `pos`).
    ///
    /// # Errors
    /// A node outside the tree.
    pub fn trace_reveal(&self, level: u64, pos: usize, d: u8) -> Result<Vec<B256>> {
        let k = reveal_levels(level, d);
        let nodes = self
            .trace()
            .roots_tree()
            .reveal(level as usize, pos as u64, k)
            .map_err(tree_err)?;
        Ok(b256s(&nodes))
    }

    /// The children under node (`level`, `pos`) of value `v`'s tensor tree.
    ///
    /// # Errors
    /// No such value or node.
    pub fn value_reveal(&self, v: usize, level: u64, pos: usize, d: u8) -> Result<Vec<B256>> {
        let k = reveal_levels(level, d);
        let tree = self
            .trace()
            .value_tree(v as u64)
            .ok_or_else(|| OpmlError::Protocol(format!("no value {v}")))?;
        let nodes = tree
            .tree()
            .reveal(level as usize, pos as u64, k)
            .map_err(tree_err)?;
        Ok(b256s(&nodes))
    }

    /// The raw leaf `leaf` of value `v`'s tensor tree (zero past the end).
    ///
    /// # Errors
    /// No such value.
    pub fn value_leaf(&self, v: usize, leaf: usize) -> Result<B256> {
        let tree = self
            .trace()
            .value_tree(v as u64)
            .ok_or_else(|| OpmlError::Protocol(format!("no value {v}")))?;
        Ok(tree
            .tree()
            .node(0, leaf as u64)
            .map(b256)
            .unwrap_or(B256::ZERO))
    }

    /// The node index of value `v`, if it is a node output.
    pub fn node_of_value(&self, v: usize) -> Option<usize> {
        let inputs = self.graph().inputs.len();
        (v >= inputs && v < self.graph().num_values()).then(|| v - inputs)
    }

    /// The node whose output game `g` disputes (its `valueId`): what both parties open and
    /// step through once the bisection has reached a node.
    ///
    /// # Errors
    /// A value id out of range or not a node output.
    pub fn disputed_node(
        &self,
        g: &verinfer_chain::bindings::InferenceGame::Game,
    ) -> Result<usize> {
        let v = crate::convert::usize_of(g.valueId, "value id")?;
        self.node_of_value(v)
            .ok_or_else(|| OpmlError::Protocol(format!("value {v} is not a node output")))
    }

    /// Node `n`'s canonical words and their path in the graph-digest tree.
    ///
    /// # Errors
    /// No such node.
    pub fn node_words_opening(&self, n: usize) -> Result<(Vec<I256>, Vec<B256>)> {
        let node = self
            .graph()
            .nodes
            .get(n)
            .ok_or_else(|| OpmlError::Protocol(format!("no node {n}")))?;
        let path = graph_tree(self.graph())
            .path(1 + n as u64)
            .map_err(tree_err)?;
        Ok((words(&node_words(self.graph(), node)), b256s(&path)))
    }

    /// The value ids of node `n`'s value operands, in operand order.
    ///
    /// # Errors
    /// No such node.
    pub fn value_operands(&self, n: usize) -> Result<Vec<usize>> {
        let node = self
            .graph()
            .nodes
            .get(n)
            .ok_or_else(|| OpmlError::Protocol(format!("no node {n}")))?;
        Ok(node
            .inputs
            .iter()
            .filter_map(|o| match o {
                Operand::Value(v) => Some(v.index()),
                Operand::Param(_) => None,
            })
            .collect())
    }

    /// `openInputs` arguments for node `n`: operand ids, their roots, their trace paths.
    ///
    /// # Errors
    /// No such node.
    #[allow(clippy::type_complexity)]
    pub fn operand_openings(&self, n: usize) -> Result<(Vec<U256>, Vec<B256>, Vec<Vec<B256>>)> {
        let ids = self.value_operands(n)?;
        let roots = self.trace().value_roots();
        let mut paths = Vec::with_capacity(ids.len());
        for &v in &ids {
            paths.push(b256s(&self.trace().value_path(v as u64).map_err(tree_err)?));
        }
        Ok((
            ids.iter().map(|&v| U256::from(v)).collect(),
            ids.iter().map(|&v| b256(roots[v])).collect(),
            paths,
        ))
    }

    /// Accumulators at the interior boundaries `a + (b − a)·i / m`, i = 1..m−1, of element `j` of
    /// node `n`, with m = min(2^d, b − a) — exactly the contract's boundaries.
    ///
    /// # Errors
    /// A node without accumulation.
    pub fn checkpoints(&self, n: usize, j: usize, a: usize, b: usize, d: u8) -> Result<Vec<i64>> {
        let segs = segments(a, b, d);
        (1..segs)
            .map(|i| self.accumulator(n, j, boundary(a, b, i, segs)))
            .collect()
    }
}

/// Segment count of a bisection round over [a, b): min(2^d, b − a).
pub fn segments(a: usize, b: usize, d: u8) -> usize {
    (b - a).min(1usize << d)
}

/// Boundary i of a round: a + (b − a)·i / segments (integer division, as on chain).
pub fn boundary(a: usize, b: usize, i: usize, segs: usize) -> usize {
    a + (b - a) * i / segs
}

//! The trace commitment: `traceRoot`, the Merkle root over the root of every value of a run
//! (graph inputs first, then each node's output, in value order).
//!
//! A claim carries the trace root; in a dispute the submitter opens value roots against it
//! (the node phase), reveals nodes of one value's tree (the element phase) and opens elements.
//! [`TraceCommitment`] keeps every value's whole tree so each of those answers is a lookup.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::TraceOpeningError;
use crate::hash::{root_newtype, Hash32};
use crate::tensor::{tensor_root, verify_element, ElementOpening, TensorTree};
use crate::tree::{depth_for, root_of, verify_path, MerkleTree};

root_newtype!(
    /// The commitment to one execution trace.
    ///
    /// A distinct type from [`crate::ModelId`], so the two roots cannot be swapped by mistake.
    TraceRoot,
    "Wrap a root read from a claim (the caller vouches it is a trace root)."
);

/// The trace root of `values` without keeping any tree (each value's root computed in
/// parallel, without storing its levels).
pub fn trace_root_of(values: &[Vec<i32>]) -> TraceRoot {
    let roots: Vec<Hash32> = values.par_iter().map(|v| tensor_root(v)).collect();
    TraceRoot(root_of(&roots))
}

/// The trace root of values handed over one at a time, in value order, each dropped once
/// hashed: what a streaming run (`verinfer_exec::Plan::run_streaming`) commits with, keeping
/// one 32-byte root per value instead of the values.
#[derive(Clone, Debug, Default)]
pub struct TraceRootBuilder {
    roots: Vec<Hash32>,
}

impl TraceRootBuilder {
    /// An empty trace.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Commits the next value.
    pub fn push(&mut self, data: &[i32]) {
        self.roots.push(tensor_root(data));
    }

    /// Each value's root so far, in value order.
    pub fn value_roots(&self) -> &[Hash32] {
        &self.roots
    }

    /// The trace root of every value pushed ([`trace_root_of`] of the same values).
    pub fn finish(&self) -> TraceRoot {
        TraceRoot(root_of(&self.roots))
    }
}

/// Every value's tree and the tree of value roots.
#[derive(Clone, Debug)]
pub struct TraceCommitment {
    values: Vec<TensorTree>,
    roots: MerkleTree,
}

impl TraceCommitment {
    /// Commit to every value of a run (in value order), building all trees in parallel.
    pub fn new(values: &[Vec<i32>]) -> Self {
        let trees: Vec<TensorTree> = values.par_iter().map(|v| TensorTree::new(v)).collect();
        let roots = MerkleTree::from_leaves(trees.iter().map(TensorTree::root).collect());
        Self {
            values: trees,
            roots,
        }
    }

    /// The trace root.
    pub fn root(&self) -> TraceRoot {
        TraceRoot(self.roots.root())
    }

    /// Number of values.
    #[must_use]
    pub fn num_values(&self) -> usize {
        self.values.len()
    }

    /// Root of every value, in value order.
    pub fn value_roots(&self) -> &[Hash32] {
        if self.values.is_empty() {
            return &[];
        }
        self.roots.leaves()
    }

    /// One value's tree.
    #[must_use]
    pub fn value_tree(&self, value: u64) -> Option<&TensorTree> {
        self.values.get(usize::try_from(value).ok()?)
    }

    /// The tree of value roots.
    #[must_use]
    pub fn roots_tree(&self) -> &MerkleTree {
        &self.roots
    }

    fn out_of_range(&self, value: u64) -> TraceOpeningError {
        TraceOpeningError::ValueOutOfRange {
            value,
            values: self.values.len() as u64,
        }
    }

    /// Path of value `value`'s root inside the trace tree.
    ///
    /// # Errors
    /// No such value.
    pub fn value_path(&self, value: u64) -> Result<Vec<Hash32>, TraceOpeningError> {
        if value >= self.values.len() as u64 {
            return Err(self.out_of_range(value));
        }
        self.roots.path(value).map_err(|_| self.out_of_range(value))
    }

    /// Open element `index` of value `value`, together with the value root's path to the trace
    /// root.
    ///
    /// # Errors
    /// No such value or element.
    pub fn open(&self, value: u64, index: u64) -> Result<TraceOpening, TraceOpeningError> {
        let tree = self.value_tree(value).ok_or(self.out_of_range(value))?;
        let element = tree
            .open(index)
            .map_err(|source| TraceOpeningError::Element { value, source })?;
        Ok(TraceOpening {
            value_id: value,
            element,
            value_root: tree.root(),
            trace_siblings: self.value_path(value)?,
        })
    }
}

/// Proof that element `index` of value `value_id` of a committed trace is `value`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TraceOpening {
    /// Value id (graph inputs first, then node outputs).
    pub value_id: u64,
    /// The element and its path inside the value's tree.
    #[serde(flatten)]
    pub element: ElementOpening,
    /// Root of the value's tree.
    pub value_root: Hash32,
    /// Path of `value_root` inside the trace tree, leaf level first.
    pub trace_siblings: Vec<Hash32>,
}

/// Verify a trace opening against a trace root, given the number of values and the value's
/// length (both fixed by the model, never taken from the prover).
///
/// # Errors
/// Any failing check, naming which.
pub fn verify_trace_opening(
    root: TraceRoot,
    num_values: u64,
    value_len: u64,
    o: &TraceOpening,
) -> Result<(), TraceOpeningError> {
    let value = o.value_id;
    if value >= num_values {
        return Err(TraceOpeningError::ValueOutOfRange {
            value,
            values: num_values,
        });
    }
    let expected = depth_for(num_values);
    if o.trace_siblings.len() != expected {
        return Err(TraceOpeningError::PathLength {
            expected,
            got: o.trace_siblings.len(),
        });
    }
    verify_element(o.value_root, value_len, &o.element)
        .map_err(|source| TraceOpeningError::Element { value, source })?;
    verify_path(root.hash(), o.value_root, value, &o.trace_siblings)
        .map_err(|source| TraceOpeningError::ValueRoot { value, source })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values() -> Vec<Vec<i32>> {
        (0..11)
            .map(|v| (0..(v * 13 % 40)).map(|i| i * 31 - v * 7).collect())
            .collect()
    }

    #[test]
    fn streaming_root_equals_stored_trees_and_openings_verify() {
        let vals = values();
        let c = TraceCommitment::new(&vals);
        assert_eq!(c.root(), trace_root_of(&vals));
        assert_eq!(c.value_roots().len(), vals.len());
        for (v, data) in vals.iter().enumerate() {
            let len = data.len() as u64;
            for j in 0..len {
                let o = c.open(v as u64, j).unwrap();
                assert_eq!(o.element.value, data[j as usize]);
                verify_trace_opening(c.root(), vals.len() as u64, len, &o).unwrap();
                let mut wrong = o.clone();
                wrong.value_id = (wrong.value_id + 1) % vals.len() as u64;
                assert!(verify_trace_opening(c.root(), vals.len() as u64, len, &wrong).is_err());
            }
            assert!(matches!(
                c.open(v as u64, len),
                Err(TraceOpeningError::Element { .. })
            ));
        }
        assert!(matches!(
            c.open(11, 0),
            Err(TraceOpeningError::ValueOutOfRange {
                value: 11,
                values: 11
            })
        ));
        let json = serde_json::to_value(c.open(3, 2).unwrap()).unwrap();
        for k in [
            "value_id",
            "index",
            "value",
            "leaf",
            "siblings",
            "value_root",
            "trace_siblings",
        ] {
            assert!(json.get(k).is_some(), "{k}");
        }
    }

    #[test]
    fn trace_root_depends_on_order_and_every_element() {
        let vals = values();
        let r = trace_root_of(&vals);
        let mut swapped = vals.clone();
        swapped.swap(1, 2);
        assert_ne!(trace_root_of(&swapped), r);
        let mut one = vals.clone();
        one[5][3] += 1;
        assert_ne!(trace_root_of(&one), r);
    }
}

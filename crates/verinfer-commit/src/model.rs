//! The model commitment: `modelId`, registered on chain once, before any claim.
//!
//! `modelId` is the Merkle root (the rule of [`crate::tree`]) over
//! `[graph digest, root of params[0], root of params[1], …]` — weights, biases, lookup tables
//! and index maps alike, in the graph's parameter order. Any change to an op, an attribute, a
//! shape, a scale, a bound or one parameter element changes it.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use verinfer_ir::Graph;

use crate::encode::graph_digest;
use crate::error::TreeError;
use crate::hash::{root_newtype, Hash32};
use crate::tensor::param_root;
use crate::tree::{root_of, MerkleTree};

root_newtype!(
    /// The commitment to a compiled model (its graph and every parameter).
    ///
    /// A distinct type from [`crate::TraceRoot`] and plain hashes, so that a model id can never be
    /// passed where a trace root is expected.
    ModelId,
    "Wrap a root read from a file or a chain (the caller vouches it is a model id)."
);

/// Everything the model id is made of, for openings against it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelCommitment {
    /// Root of the graph-digest tree ([`crate::encode`]).
    pub graph_digest: Hash32,
    /// Root of every parameter tensor, in the graph's order.
    pub param_roots: Vec<Hash32>,
    /// Root over `[graph_digest, param_roots…]`.
    pub model_id: ModelId,
}

impl ModelCommitment {
    /// Commit to `graph`: parameters in parallel, each without storing its tree.
    pub fn new(graph: &Graph) -> Self {
        let (graph_digest, param_roots) = rayon::join(
            || graph_digest(graph),
            || {
                graph
                    .params
                    .par_iter()
                    .map(|p| param_root(&p.data))
                    .collect::<Vec<_>>()
            },
        );
        let model_id = ModelId(root_of(&Self::leaves_of(graph_digest, &param_roots)));
        Self {
            graph_digest,
            param_roots,
            model_id,
        }
    }

    fn leaves_of(graph_digest: Hash32, param_roots: &[Hash32]) -> Vec<Hash32> {
        let mut leaves = Vec::with_capacity(1 + param_roots.len());
        leaves.push(graph_digest);
        leaves.extend_from_slice(param_roots);
        leaves
    }

    /// The model tree (leaf 0 the graph digest, leaf `1 + p` parameter `p`'s root).
    pub fn tree(&self) -> MerkleTree {
        MerkleTree::from_leaves(Self::leaves_of(self.graph_digest, &self.param_roots))
    }

    /// Path of parameter `p`'s root inside the model tree (leaf index `1 + p`).
    ///
    /// # Errors
    /// No such parameter.
    pub fn param_path(&self, p: usize) -> Result<Vec<Hash32>, TreeError> {
        self.tree().path(1 + p as u64)
    }

    /// Path of the graph digest inside the model tree (leaf index 0).
    pub fn graph_digest_path(&self) -> Vec<Hash32> {
        self.tree().path(0).unwrap_or_default()
    }
}

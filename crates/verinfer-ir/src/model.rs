//! A validated graph as an owned, shareable value.
//!
//! Validation is what makes a graph safe to interpret (every interpreter computes every
//! element, no accumulator overflows), and it is not free on large models; a [`Model`] is the
//! proof that it ran. It is the only way to hold a graph that executors, plans and nodes may
//! run without validating again, and cloning it shares the graph (weights included) instead of
//! copying it: a node answering thousands of requests, or an LLM session running one step
//! graph per token, holds one copy of the weights.

use std::ops::Deref;
use std::sync::Arc;

use crate::error::IrError;
use crate::graph::Graph;
use crate::validate::validate;

/// A graph that passed [`validate`], shared by reference count.
#[derive(Clone, Debug)]
pub struct Model(Arc<Graph>);

impl Model {
    /// Validates `graph` and takes it.
    ///
    /// # Errors
    /// The validator's first finding.
    pub fn new(graph: Graph) -> Result<Self, IrError> {
        validate(&graph)?;
        Ok(Self(Arc::new(graph)))
    }

    /// Validates a graph that is already shared.
    ///
    /// # Errors
    /// The validator's first finding.
    pub fn from_shared(graph: Arc<Graph>) -> Result<Self, IrError> {
        validate(&graph)?;
        Ok(Self(graph))
    }

    /// The graph.
    #[must_use]
    pub fn graph(&self) -> &Graph {
        &self.0
    }

    /// Another handle on the same graph (no copy).
    #[must_use]
    pub fn shared(&self) -> Arc<Graph> {
        Arc::clone(&self.0)
    }

    /// Whether two handles share one graph (a cheap identity, not an equality test).
    #[must_use]
    pub fn same(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Deref for Model {
    type Target = Graph;

    fn deref(&self) -> &Graph {
        &self.0
    }
}

impl AsRef<Graph> for Model {
    fn as_ref(&self) -> &Graph {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::graph::OutputSpec;
    use crate::types::ValueId;

    fn empty() -> Graph {
        Graph {
            name: "empty".into(),
            inputs: Vec::new(),
            params: Vec::new(),
            nodes: Vec::new(),
            outputs: Vec::new(),
        }
    }

    #[test]
    fn clones_share_the_graph() {
        let m = Model::new(empty()).unwrap();
        let n = m.clone();
        assert!(m.same(&n));
        assert_eq!(Arc::strong_count(&m.shared()), 3);
    }

    #[test]
    fn only_valid_graphs_become_models() {
        let mut g = empty();
        g.outputs.push(OutputSpec {
            name: "y".into(),
            value: ValueId(3),
        });
        assert!(Model::new(g.clone()).is_err(), "an output naming no value");
        assert!(Model::from_shared(Arc::new(g)).is_err());
    }
}

//! Errors of the executor.

use thiserror::Error;
use verinfer_ir::IrError;

/// What can go wrong when planning or running a graph.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ExecError {
    /// The graph is invalid or the inputs do not fit it.
    #[error(transparent)]
    Ir(#[from] IrError),
    /// A node the fast path cannot plan (index arithmetic or tables beyond what it supports).
    #[error("node {node} ({name}): cannot plan: {what}")]
    Unsupported {
        /// Node index.
        node: usize,
        /// Node name.
        name: String,
        /// What is out of range.
        what: String,
    },
    /// A node operand that is not available when the node runs (a broken plan/graph pairing).
    #[error("node {node}: operand {operand} is not available")]
    MissingOperand {
        /// Node index.
        node: usize,
        /// Operand position.
        operand: usize,
    },
    /// A trace that does not belong to this plan's graph.
    #[error("the trace holds {got} values but the graph has {expected}")]
    TraceMismatch {
        /// Values of the graph.
        expected: usize,
        /// Values in the trace.
        got: usize,
    },
    /// The dedicated thread pool could not be started.
    #[error("cannot start a pool of {threads} threads")]
    ThreadPool {
        /// Requested threads.
        threads: usize,
        /// Cause.
        #[source]
        source: rayon::ThreadPoolBuildError,
    },
}

//! Errors of the IR: malformed graphs, broken invariants and bad run-time inputs.

use thiserror::Error;

/// What can go wrong when building, validating, loading or interpreting a compiled graph.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum IrError {
    /// A scale exponent outside the supported range.
    #[error("scale exponent {0} is out of range (|s| <= 60)")]
    ScaleOutOfRange(i32),
    /// A bit bound outside 1..=32.
    #[error("bit bound {0} is out of range (1..=32)")]
    BitsOutOfRange(u32),
    /// A node refers to a value or parameter that does not exist (or comes later).
    #[error("node {node} ({name}): {what}")]
    BadReference {
        /// Node index.
        node: usize,
        /// Node name.
        name: String,
        /// What is wrong.
        what: String,
    },
    /// A shape that does not agree with what the op needs.
    #[error("node {node} ({name}): shape mismatch: expected {expected:?}, got {got:?}")]
    ShapeMismatch {
        /// Node index.
        node: usize,
        /// Node name.
        name: String,
        /// Shape the op requires.
        expected: Vec<usize>,
        /// Shape found.
        got: Vec<usize>,
    },
    /// A structural attribute of an op is invalid.
    #[error("node {node} ({name}): invalid attribute: {what}")]
    BadAttribute {
        /// Node index.
        node: usize,
        /// Node name.
        name: String,
        /// What is wrong.
        what: String,
    },
    /// The bound analysis cannot rule out an `i64` accumulator overflow.
    #[error("node {node} ({name}): accumulator could overflow i64 (worst case needs {bound_bits} bits); lower --bits or split the reduction")]
    AccumulatorOverflow {
        /// Node index.
        node: usize,
        /// Node name.
        name: String,
        /// Bit length of the worst-case magnitude.
        bound_bits: u32,
    },
    /// A parameter or input element outside its declared bit bound.
    #[error("{what}: element {index} = {value} is outside the {bits}-bit bound")]
    OutOfBound {
        /// Which tensor.
        what: String,
        /// Flat element index.
        index: usize,
        /// The value.
        value: i64,
        /// The bound.
        bits: u32,
    },
    /// Wrong number or shape of run-time inputs.
    #[error("input {index} ({name}): {what}")]
    BadInput {
        /// Input position.
        index: usize,
        /// Input name.
        name: String,
        /// What is wrong.
        what: String,
    },
    /// Arithmetic overflow during interpretation (the validator should have excluded it).
    #[error("node {node}: arithmetic overflow at output element {element}")]
    Overflow {
        /// Node index.
        node: usize,
        /// Output element.
        element: usize,
    },
    /// A block-scaled parameter whose parts do not fit together.
    #[error("block-scaled parameter: {0}")]
    BadBlocks(String),
    /// A `.vmodel` file that cannot be read.
    #[error("not a verinfer compiled model: {0}")]
    BadFile(String),
    /// A `.vmodel` file written by another format version.
    #[error("compiled model format version {found} is not supported (this build reads version {supported}); recompile the model")]
    VersionMismatch {
        /// Version in the file.
        found: u32,
        /// Version this build reads.
        supported: u32,
    },
    /// I/O failure while reading or writing a file.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
}

/// How a trace does not fit its graph ([`crate::Graph::check_trace`]).
#[derive(Clone, Copy, Debug, Error, PartialEq, Eq)]
pub enum TraceMisfit {
    /// Another number of values than the graph's inputs and nodes.
    #[error("{got} values for a graph of {expected}")]
    Count {
        /// Values of the graph.
        expected: usize,
        /// Values in the trace.
        got: usize,
    },
    /// A value with another element count than its shape.
    #[error("value v{value} has {got} elements, the graph says {expected}")]
    Length {
        /// The value's index.
        value: usize,
        /// Elements by the graph's shape.
        expected: usize,
        /// Elements in the trace.
        got: usize,
    },
}

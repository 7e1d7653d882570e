//! Errors of building, calibrating and quantizing a float graph.

use thiserror::Error;
use verinfer_ir::IrError;

/// What can go wrong between a float graph (or its data) and a compiled integer graph.
///
/// A model format's own error type wraps this one (`#[from]`), e.g.
/// `verinfer_onnx::OnnxError::Quant`.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum QuantError {
    /// An op (or one of its attributes or cases) the lowering cannot express.
    #[error("unsupported op {op_type} at node '{node}'{}", if .detail.is_empty() { String::new() } else { format!(": {}", .detail) })]
    UnsupportedOp {
        /// Op type in the source format (e.g. ONNX `Conv`).
        op_type: String,
        /// Node name.
        node: String,
        /// Which attribute or case is unsupported, if the op itself is.
        detail: String,
    },
    /// A node whose inputs or attributes are inconsistent.
    #[error("node '{node}' ({op_type}): {what}")]
    BadNode {
        /// Node name.
        node: String,
        /// Op type in the source format.
        op_type: String,
        /// What is wrong.
        what: String,
    },
    /// Calibration or input data, or quantization options, that cannot be used.
    #[error("{0}")]
    BadData(String),
    /// An IR invariant failed (e.g. possible accumulator overflow).
    #[error(transparent)]
    Ir(#[from] IrError),
    /// A failing run of an integer graph by the fast executor (while measuring its error).
    #[error(transparent)]
    Exec(#[from] verinfer_exec::ExecError),
    /// I/O.
    #[error("{path}: {source}")]
    Io {
        /// File.
        path: String,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
}

//! Errors of import, calibration and quantization.

use thiserror::Error;
use verinfer_ir::IrError;

/// What can go wrong between an ONNX file and a compiled model.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum OnnxError {
    /// The file is not a decodable ONNX model.
    #[error("malformed ONNX model {path}: {reason}")]
    Malformed {
        /// File.
        path: String,
        /// Decoder's complaint.
        reason: String,
    },
    /// An op type verinfer cannot lower.
    #[error("unsupported op {op_type} at node '{node}'{}", if .detail.is_empty() { String::new() } else { format!(": {}", .detail) })]
    UnsupportedOp {
        /// ONNX op type.
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
        /// ONNX op type.
        op_type: String,
        /// What is wrong.
        what: String,
    },
    /// An input with a symbolic dimension nobody resolved.
    #[error("input '{input}' has symbolic dimension '{dim}': pass --input-shape to fix it (e.g. --input-shape {input}=1,3,224,224)")]
    SymbolicDim {
        /// Input name.
        input: String,
        /// Symbol.
        dim: String,
    },
    /// Calibration or input data that cannot be used.
    #[error("{0}")]
    BadData(String),
    /// The float reference runtime failed.
    #[error("float reference (tract): {0}")]
    Tract(String),
    /// An IR invariant failed (e.g. possible accumulator overflow).
    #[error(transparent)]
    Ir(#[from] IrError),
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

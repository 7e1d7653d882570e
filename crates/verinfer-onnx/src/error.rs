//! Errors of ONNX import (lowering, calibration and quantization errors come wrapped from
//! `verinfer-quant`).

use thiserror::Error;
use verinfer_quant::QuantError;

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
    /// An input with a symbolic dimension nobody resolved.
    #[error("input '{input}' has symbolic dimension '{dim}': pass --input-shape to fix it (e.g. --input-shape {input}=1,3,224,224)")]
    SymbolicDim {
        /// Input name.
        input: String,
        /// Symbol.
        dim: String,
    },
    /// A model input or import option that cannot be used (e.g. an `--input-shape` that does
    /// not fit the model).
    #[error("{0}")]
    BadData(String),
    /// The float reference runtime failed.
    #[error("float reference (tract): {0}")]
    Tract(String),
    /// Lowering (the float-graph builder), calibration or quantization failed: unsupported ops
    /// and inconsistent nodes ([`QuantError::UnsupportedOp`], [`QuantError::BadNode`]), bad
    /// calibration data, graphs the IR validator rejects.
    #[error(transparent)]
    Quant(#[from] QuantError),
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

//! ONNX import: decode an ONNX model and lower it, node by node, into `verinfer-quant`'s float
//! graph; plus the ONNX compile pipeline and tract's float reference.
//!
//! The only crate of verinfer that sees tract. Calibration and quantization are format-neutral
//! and live in `verinfer-quant`, which this crate feeds (docs/adding-a-format.md).
#![deny(missing_docs)]

/// `return Err(b.err(format!(...)).into())`: refuse the node being lowered (builder `b`),
/// naming why.
macro_rules! refuse {
    ($b:ident, $($why:tt)+) => {
        return Err($b.err(format!($($why)+)).into())
    };
}

pub mod attrs;
mod branch;
pub mod compile;
pub mod error;
pub mod import;
pub mod lower;
mod scan;
pub mod tract_ref;

pub use error::OnnxError;
pub use import::{import, ImportOptions};

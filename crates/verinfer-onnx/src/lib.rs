//! ONNX import, float lowering, calibration and quantization.
//!
//! The only crate of verinfer that sees tract or floating point: it turns an ONNX model and
//! calibration data into a [`verinfer_ir::Graph`] whose integer semantics everything else
//! shares.
#![deny(missing_docs)]

pub mod attrs;
pub mod builder;
pub mod calibrate;
pub mod compile;
pub mod data;
pub mod error;
pub mod feval;
pub mod fgraph;
mod fixed_point;
pub mod frun;
pub mod func;
pub mod import;
pub mod lower;
pub mod quantize;
pub mod tract_ref;

pub use error::OnnxError;
pub use fgraph::{FGraph, FOp, FRef};
pub use import::{import, ImportOptions};

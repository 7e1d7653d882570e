//! Format-neutral quantization: the float graph, its builder, calibration and quantization into
//! a [`verinfer_ir::Graph`].
//!
//! This crate exists so that a model format can enter verinfer without depending on tract or
//! on anything ONNX: `verinfer-onnx` is one client of it, and GGUF or safetensors importers are
//! meant to be others. It is, with the format crates, where real numbers live; everything after
//! it sees only the integer graph.
//!
//! What a new format must do (docs/adding-a-format.md walks through it):
//!
//! 1. Build a float graph with [`builder::Builder`]: [`Builder::add_input`] for run-time
//!    inputs, [`Builder::typed_constant`] for weights, then per source node
//!    [`Builder::begin_node`] and the primitive methods (`contract`, `binary`, `func`, `reduce`,
//!    `move_map`, `gather`, …), [`Builder::bind`]ing each output name; finally push the graph
//!    outputs onto [`FGraph::outputs`]. Report what cannot be lowered with
//!    [`Builder::unsupported`] and [`Builder::err`].
//! 2. Calibrate and quantize it with [`pipeline::calibrate_and_quantize`] (calibration data
//!    parsed by [`data::read_data`], or synthetic samples), which returns a
//!    [`pipeline::Compiled`] holding the integer graph.
//! 3. Optionally compare the quantized graph with a float reference: [`report::evaluate`],
//!    against [`report::lowered_outputs`] or the format's own runtime.
//!
//! The format's error type wraps [`QuantError`] with `#[from]`.
//!
//! [`Builder::add_input`]: builder::Builder::add_input
//! [`Builder::typed_constant`]: builder::Builder::typed_constant
//! [`Builder::begin_node`]: builder::Builder::begin_node
//! [`Builder::bind`]: builder::Builder::bind
//! [`Builder::unsupported`]: builder::Builder::unsupported
//! [`Builder::err`]: builder::Builder::err
#![deny(missing_docs)]

pub mod builder;
pub mod calibrate;
pub mod data;
pub mod error;
pub mod feval;
pub mod fgraph;
mod fixed_point;
pub mod frun;
pub mod func;
pub mod mask;
pub mod pipeline;
pub mod quantize;
pub mod report;
pub mod tolerance;
pub mod widen;

pub use error::QuantError;
pub use fgraph::{FGraph, FOp, FRef};

//! The compiled-model IR of verinfer and the scalar reference semantics of its primitives.
//!
//! Everything downstream (the fast executor, the zk circuits, the Solidity arbiter) computes
//! the integers defined here. This crate is float-free by construction: real numbers exist
//! only at the edges (import, calibration, display), never in the semantics.
#![deny(missing_docs)]
#![deny(clippy::float_arithmetic)]

pub mod affine;
pub mod atomic;
pub mod error;
pub mod graph;
pub mod model;
pub mod op;
pub mod ops;
pub mod param_data;
pub mod reference;
pub mod requant;
pub mod shape;
pub mod types;
pub mod validate;
pub mod vmodel;

pub use affine::{AffineMap, AffineRow};
pub use error::{IrError, TraceMisfit};
pub use graph::{Graph, InputSpec, Node, Operand, OutputSpec, Param, ParamKind, TensorInfo};
pub use model::Model;
pub use op::{
    Binary, BinaryKind, Contract, Div, Gather, ISqrt, Lookup, Move, Op, Reduce, ReduceKind,
    ISQRT_MAX_SHIFT,
};
pub use param_data::{BlockView, ParamData, ParamView};
pub use requant::{round_shift, Requant};
pub use shape::Shape;
pub use types::{Bits, ParamId, Scale, ValueId};

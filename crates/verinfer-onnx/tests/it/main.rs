//! Every integration test of this crate, one module a former test binary, linked once
//! (one link instead of one per file: the largest part of a clean test build).

mod holdout;
mod hostile;
mod model_shapes;
mod ops_vs_onnxruntime;
mod realmodels;
mod width_rules;

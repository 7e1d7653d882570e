//! Every integration test of this crate, one module a former test binary, linked once
//! (one link instead of one per file: the largest part of a clean test build).

mod backend;
mod ceremony;
mod circuit;
mod common;
mod conformance;
mod evm;
mod files;
mod groth16;
mod isqrt_argmax;
mod lookup_gather;
mod ptau;
mod reduce_div;
mod visibility;

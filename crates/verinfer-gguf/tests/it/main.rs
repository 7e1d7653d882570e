//! Every integration test of this crate, one module a former test binary, linked once
//! (one link instead of one per file: the largest part of a clean test build).

mod common;
mod conformance;
mod llama;
mod tokenizer;

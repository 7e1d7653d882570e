//! Every integration test of this crate, one module a former test binary, linked once
//! (one link instead of one per file: the largest part of a clean test build).

mod batch;
mod conformance;
mod contract;
mod contract_pairs;
mod elementwise;
mod errors;
mod llm_prims;
mod movement;
mod reduce;
mod threads;

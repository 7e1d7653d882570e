//! Every integration test of this crate, one module a former test binary, linked once
//! (one link instead of one per file: the largest part of a clean test build).

mod anvil_e2e;
mod arbiter_differential;
mod common;
mod encoding_differential;
mod log_paging_anvil;
mod merkle_differential;
mod registry_revm;

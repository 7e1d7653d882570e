//! Every integration test of this crate, one module a former test binary, linked once
//! (one link instead of one per file: the largest part of a clean test build).

mod common;
mod node_anvil_reorg;
mod node_gen_anvil;
mod node_gen_revm;
mod node_liveness;
mod node_revm;

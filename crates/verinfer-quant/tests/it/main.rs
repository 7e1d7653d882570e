//! Every integration test of this crate, one module a former test binary, linked once
//! (one link instead of one per file: the largest part of a clean test build).

mod exact_ints;
mod tolerance_and_exact;
mod wide_inputs;
mod without_a_format;

//! Every integration test of this crate, one module a former test binary, linked once
//! (one link instead of one per file: the largest part of a clean test build).

mod affine_wiring;
mod backend;
mod common;
mod evm_affine_wiring;
mod evm_export;
mod evm_model_verifier;
mod evm_verifier;
mod golden;
mod model_backend;
mod oracle;
mod proof_bytes;
mod ptau_srs;

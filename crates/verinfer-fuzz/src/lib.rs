//! Fuzz target bodies for every parser of verinfer that reads bytes someone else wrote: ONNX
//! models and input data, `.vmodel` files, trace files, graph-digest words, zk key and proof
//! files, powers-of-tau (`.ptau`) files, GGUF model files, ABI calldata, revert data and event logs, and the JSON state files of the chain,
//! the deployments record and the node.
//!
//! Each body feeds bytes to a parser through the same entry point the product uses and
//! asserts only that it returns (a value or a typed error) without panicking; where a format
//! round-trips exactly, a decoded value must re-encode to what was read. The same bodies serve
//! the coverage-guided fuzzer (`fuzz/`, libFuzzer) and the corpus-replay test of this crate,
//! which runs in CI. See `docs/fuzzing.md`.
//!
//! Checksummed formats (`.vmodel`, trace files) are fuzzed with their checksum fixed up: an
//! attacker can compute a keccak, so the decoder behind the checksum is attack surface too.
#![deny(missing_docs)]

mod abi;
mod files;
mod formats;
pub mod mutate;
mod scratch;

pub use scratch::clean_scratch;

/// A fuzz target body: must return for every input, never panic.
pub type Target = fn(&[u8]);

/// Every target by name (the name of its corpus folder `testdata/fuzz/<name>/` and of its
/// libFuzzer binary in `fuzz/`).
pub const TARGETS: &[(&str, Target)] = &[
    ("onnx_import", formats::onnx_import),
    ("onnx_data", formats::onnx_data),
    ("vmodel", formats::vmodel),
    ("trace_file", formats::trace_file),
    ("graph_words", formats::graph_words),
    ("zk_verifying_key", files::zk_verifying_key),
    ("zk_proving_key", files::zk_proving_key),
    ("zk_manifest", files::zk_manifest),
    ("zk_proof_file", files::zk_proof_file),
    ("zk_proof_words", abi::zk_proof_words),
    ("abi_calldata", abi::abi_calldata),
    ("abi_revert", abi::abi_revert),
    ("abi_tensors", abi::abi_tensors),
    ("event_log", abi::event_log),
    ("chain_state", files::chain_state),
    ("deployments", files::deployments),
    ("node_state", files::node_state),
    ("zk_ptau", files::zk_ptau),
    ("gguf", formats::gguf),
];

/// The body of target `name`.
#[must_use]
pub fn target(name: &str) -> Option<Target> {
    TARGETS.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
}

/// Bodies by name, for the libFuzzer binaries (one function per target keeps each binary's
/// entry point a plain path).
pub mod targets {
    pub use crate::abi::{abi_calldata, abi_revert, abi_tensors, event_log, zk_proof_words};
    pub use crate::files::{
        chain_state, deployments, node_state, zk_manifest, zk_proof_file, zk_proving_key, zk_ptau,
        zk_verifying_key,
    };
    pub use crate::formats::{gguf, graph_words, onnx_data, onnx_import, trace_file, vmodel};
}

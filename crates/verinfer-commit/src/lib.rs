//! Keccak-256 Merkle commitments of verinfer models, tensors and execution traces.
//!
//! Everything here is byte-for-byte what the Solidity side computes (`keccak256`, `bytes32`,
//! `int256` words), so a root computed off chain is the root a contract checks:
//!
//! - a **tensor** commits as the Merkle root of its `i32` elements packed eight to a leaf
//!   ([`tensor`]);
//! - a **model** commits as [`ModelId`], the root over its graph digest (one leaf per node, each
//!   the keccak of the node's canonical words, [`encode`]) and every parameter's root
//!   ([`model`]);
//! - a **run** commits as [`TraceRoot`], the root over every value's root in value order
//!   ([`trace`]), and is kept on disk in a checksummed [`trace_file`] so openings and k-ary
//!   reveals can be answered after a restart.
//!
//! All trees share one rule ([`tree`]): zero-subtree padding to a power of two, depth fixed by
//! the length the model declares. If a verifier took a depth from the prover instead, an inner
//! node could pass for a leaf; every `verify_*` here takes lengths from the model for that
//! reason. The layout is specified in `docs/commitments.md`.
#![deny(missing_docs)]
// Lossy casts are errors waiting for a large enough input: each remaining `as` says why it
// cannot truncate, wrap or lose a sign (docs/architecture.md, "Lossy casts"; tests exempt).
#![cfg_attr(
    not(test),
    warn(clippy::cast_possible_truncation, clippy::cast_sign_loss)
)]
#![cfg_attr(not(test), warn(clippy::cast_possible_wrap, clippy::cast_lossless))]

pub mod decode;
pub mod encode;
pub mod error;
pub mod hash;
pub mod incremental;
pub mod keccak_x8;
pub mod model;
pub mod pipeline;
pub mod tensor;
pub mod trace;
pub mod trace_file;
pub mod tree;

pub use error::{
    HexError, OpeningError, PathError, PipelineError, RevealError, TraceFileError,
    TraceOpeningError, TreeError,
};
pub use hash::{keccak256, keccak_pair, zero_hash, Hash32};
pub use incremental::{IncrementalStats, IncrementalTrace, DEFAULT_TREE_BUDGET};
pub use model::{ModelCommitment, ModelId};
pub use pipeline::TraceHasher;
pub use tensor::{param_root, tensor_root, verify_element, ElementOpening, TensorTree};
pub use trace::{
    trace_root_of, verify_trace_opening, TraceCommitment, TraceOpening, TraceRoot, TraceRootBuilder,
};
pub use trace_file::TraceFile;
pub use tree::{root_of, verify_path, verify_reveal, MerkleTree};

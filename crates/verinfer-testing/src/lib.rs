//! Dev-only test support shared by the verinfer crates' tests (never a normal dependency):
//!
//! - [`rng`]: the deterministic random streams test data and structures are drawn from, and
//!   the proptest runner the differential tests drive;
//! - [`check`]: interpretations of the op semantics against the scalar reference, and
//!   `op_conformance!` running every generator of [`ops`] through one;
//! - [`proof`]: `proof_system_conformance!`, the laws every proof backend obeys;
//! - [`files`]: what every checksummed file reader must refuse (flipped bytes, cut files);
//! - [`graph`]: a graph builder (inputs, parameters, nodes) and one-node [`graph::Case`]s;
//! - [`maps`]: the affine maps of NCHW conv2d and numpy matmul as `Contract`s;
//! - [`ops`]: one random one-node case generator per primitive (the convolution with stride,
//!   padding, dilation and groups included);
//! - [`models`]: the bundled models of `testdata/models` compiled and their inputs quantized,
//!   the golden digits MLP;
//! - [`tmp`]: temporary directories that remove themselves ([`TestDir`]);
//! - [`chain`] (feature `chain`): a fresh in-process chain with a harness or (feature `opml`)
//!   the game deployed;
//! - [`oracle`] (feature `oracle`): the oracle over the game, a consumer, a model registered;
//! - [`reverts`] (feature `oracle`): the oracle contracts' custom errors of a failed call;
//! - [`game`] (feature `opml`): one tensor claim played out between a submitter and a
//!   challenger;
//! - [`generation`] (feature `generation`): a GGUF step graph compiled, a submitter and a
//!   challenger of one generation with the generation game deployed;
//! - [`llm`] (feature `llm`): the tiny LLaMA compiled, the generation game and the text
//!   oracle deployed beside the game with the model registered and learned.
//!
//! See docs/testing.md.
// Test support: failing loudly at the first surprise is the point (as in tests themselves).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

pub mod blocks;
#[cfg(feature = "chain")]
pub mod chain;
pub mod check;
pub mod files;
#[cfg(feature = "opml")]
pub mod game;
#[cfg(feature = "generation")]
pub mod generation;
pub mod graph;
mod layout;
#[cfg(feature = "llm")]
pub mod llm;
pub mod maps;
pub mod models;
pub mod ops;
#[cfg(feature = "oracle")]
pub mod oracle;
pub mod proof;
#[cfg(feature = "oracle")]
pub mod reverts;
pub mod rng;
pub mod tmp;

pub use check::assert_matches_reference;
pub use graph::{info, info_at, random_inputs, requant, value, Case, GraphBuilder};
pub use rng::{Lcg, Rng};
pub use tmp::TestDir;

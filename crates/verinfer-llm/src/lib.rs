//! LLaMA-family language models in verinfer's integer semantics.
//!
//! A model file (GGUF today) becomes a **step graph** ([`step`]): one token and its position
//! in, the greedy next token and the new key/value cache rows out, the cache itself an
//! explicit input. [`compile`] calibrates it on whole float sessions and quantizes it with
//! `verinfer-quant`, like any other model; [`session`] runs a prompt and then one step per new
//! token over that one graph, on the integer executor or, for comparison, on the float graph
//! it came from. Nothing here is a new arithmetic: every integer is computed by the same
//! primitives the executor, the dispute game's arbiter and the circuits already interpret.
#![deny(missing_docs)]

pub mod blockwise;
pub mod compile;
pub mod error;
pub mod eval;
pub mod hf;
pub mod layout;
pub mod noise;
pub mod session;
pub mod step;
pub mod weights;

pub use compile::{compile, CompileOptions, Compiled};
pub use error::LlmError;
pub use hf::HfWeights;
pub use layout::Layout;
pub use session::{generate, FloatEngine, Fresh, IntEngine, Session, StepEngine};
pub use weights::{BlockTensor, GgufWeights, WeightSource};

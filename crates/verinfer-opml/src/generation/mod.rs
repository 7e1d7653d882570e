//! Optimistic LLM generations: one claim (prompt, generated tokens, G = the root over every
//! step's trace root) per generation, and the two roles of `contracts/src/GenerationGame.sol`
//! (docs/protocol.md, "The step level").
//!
//! - [`GenExecution`] runs the step graph token by token, keeping only each step's trace root,
//!   and rebuilds one step's full [`crate::Execution`] when a dispute reaches it.
//! - [`GenSubmitter`] / [`GenChallenger`] play the step descent, the derivation of a step's
//!   inputs and the binding of posted tokens; a step whose inputs agree is handed to the
//!   single-step game as an ordinary claim, played by [`crate::Submitter`] and
//!   [`crate::Challenger`].
//! - [`simulate_generation`] plays a claim and its dispute end to end; [`GenLie`] lists the
//!   dishonest submitters.

pub mod bindings;
pub mod challenger;
pub mod client;
pub mod execution;
pub mod lies;
pub mod simulate;
pub mod step_inputs;
pub mod submitter;

pub use challenger::{GenChallenger, GenChallengerStrategy, Mode};
pub use client::{GenClient, GenConfig, GenPhase};
pub use execution::{GenExecution, GenModel};
pub use lies::GenLie;
pub use simulate::{contest, prepare_generation, simulate_generation, GenContracts, GenReport};
pub use submitter::GenSubmitter;

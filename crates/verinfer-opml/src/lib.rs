//! Optimistic inference (opML) for verinfer: the two roles of the dispute game of
//! `contracts/src/InferenceGame.sol` (docs/protocol.md) as engines over the chain trait.
//!
//! - [`Submitter`] posts a claim from its [`Execution`] (model, trace, commitments) and answers
//!   every move against it by lookup, recomputing only the accumulator checkpoints a step
//!   phase asks for.
//! - [`Challenger`] re-executes, opens a game when the trace root is not the honest one, and
//!   drives the descent: the leftmost differing value, a differing element, the first
//!   differing checkpoint, then the one-step proof ([`proof`]).
//! - [`generation`] extends the game to whole LLM generations (`GenerationGame.sol`).
//! - [`simulate`] plays a whole claim and game between the two on one chain, moving time on
//!   when a party stalls; strategies and [`lies`] make the dishonest variants the tests need.
#![deny(missing_docs)]

pub mod answers;
pub mod challenger;
pub mod client;
pub mod convert;
pub mod deploy;
pub mod driver;
pub mod error;
pub mod execution;
pub mod facts;
pub mod generation;
pub mod lies;
pub mod party;
pub mod proof;
pub mod simulate;
pub mod submitter;

pub use challenger::{Challenger, ChallengerStrategy};
pub use client::{ClaimStatus, GameClient, GameConfig, Phase};
pub use deploy::{ensure_opml, find_opml, GameParams, OpmlContracts};
pub use error::{OpmlError, Result};
pub use execution::{Execution, ServedModel};
pub use lies::{lying_execution, TraceLie};
pub use party::{Party, Turn};
pub use simulate::{play_out, simulate, SimReport};
pub use submitter::{Submitter, SubmitterStrategy};

//! `verinfer node`: a long-running node that serves the inference oracle and polices other
//! people's claims (docs/node.md).
//!
//! Each [`Node::tick`] reads the new logs of the `InferenceOracle` and its `InferenceGame`
//! (from the last block processed, persisted), then:
//!
//! - answers open requests on the models it holds — optimistically (a claim in the game with
//!   its outputs posted, then `answerWithClaim`) or with a Groth16 proof (`answerWithProof`,
//!   final at once) when it has the model's keys and the oracle a verifier; reopened requests
//!   are answered again;
//! - re-executes every claim on a model it holds (from the posted input, or the input of the
//!   request with the same input roots) and challenges a wrong one, playing the game to its
//!   end with the opML [`verinfer_opml::Challenger`];
//! - defends its own claims from their saved traces, settles the requests they answered once
//!   final, reopens requests whose claim was rejected, and withdraws what it is owed.
//!
//! Everything it must not forget — its claims and their trace files, its games, its verdicts,
//! the last block read — is in `<state-dir>/state.json`, written atomically before and after
//! every transaction, so a node killed at any point and restarted carries on (see
//! [`state`]). The core is generic over `&mut dyn Chain`: tests drive ticks on the in-process
//! chain; the CLI loops ([`run`]) against a JSON-RPC node and serves [`http`] status pages.
#![deny(missing_docs)]
// Lossy casts are errors waiting for a large enough input: each remaining `as` says why it
// cannot truncate, wrap or lose a sign (docs/architecture.md, "Lossy casts"; tests exempt).
#![cfg_attr(
    not(test),
    warn(clippy::cast_possible_truncation, clippy::cast_sign_loss)
)]
#![cfg_attr(not(test), warn(clippy::cast_possible_wrap, clippy::cast_lossless))]

pub mod backends;
pub mod behaviour;
pub mod contracts;
pub mod error;
pub mod gen_state;
pub mod http;
pub mod ledger;
pub mod models;
pub mod node;
pub mod policy;
pub mod state;
pub mod status;

pub use behaviour::{Behaviour, Honest};
pub use contracts::{Contracts, TextContracts};
pub use error::{NodeError, Result};
pub use http::{serve, SharedStatus};
pub use models::{model_id_of, HeldGenModel, HeldModel, ModelStore};
pub use node::{run, Mode, Node, NodeConfig, RunOptions, TickReport};
pub use policy::Policy;
pub use state::NodeState;
pub use status::NodeStatus;

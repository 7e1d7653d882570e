//! The node's core: one [`Node::tick`] reads the contracts' new logs, then answers requests,
//! checks claims, plays games, defends claims, settles, answers again where an answer was
//! rejected, and withdraws — each step against `&mut dyn Chain`, so tests drive it on the
//! in-process chain without threads and the CLI drives it against a JSON-RPC node in a loop
//! ([`run`]). One concern a file: `config`, `open` (loading the state, checking it is this
//! chain's), `sync` (logs), `answer` (requests), `police` (other claims, our games), `own` (our
//! claims, settlement, withdrawals), `reorg`, `views` (the status), `run` (the tick and the
//! loop); this file holds the node's fields and the helpers the steps share.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use alloy_primitives::{keccak256, Address, B256, U256};
use alloy_sol_types::{SolEventInterface, SolValue};
use verinfer_chain::bindings::InferenceGame::{self, InferenceGameEvents};
use verinfer_chain::bindings_oracle::InferenceOracle::{self, InferenceOracleEvents};
use verinfer_chain::{BlockInfo, Chain, ChainError, ChainLog, LogPager, Receipt};
use verinfer_commit::trace_file;
use verinfer_opml::convert::b256;
use verinfer_opml::driver::{defend, play};
use verinfer_opml::{
    Challenger, ChallengerStrategy, ClaimStatus, Execution, GameConfig, Phase, Submitter,
    SubmitterStrategy,
};
use verinfer_oracle::RequestStatus;

use crate::behaviour::{Behaviour, Honest};
use crate::contracts::{Contracts, TextContracts};
use crate::error::{NodeError, Result};
use crate::gen_state::{
    CheckedGenClaim, GenClaimed, GenIntent, OwnGenClaim, TextRequestRec, TextRequestState,
};
use crate::http::SharedStatus;
use crate::models::ModelStore;
use crate::policy::{Offer, Policy};
use crate::state::{
    Answers, Check, CheckedClaim, ClaimIntent, GameStanding, NodeState, OwnClaim, OwnClaimStatus,
    OwnGame, RequestRec, RequestState, Verdict,
};
use crate::status::{CheckView, ClaimView, GameView, ModelView, NodeStatus, RequestView};
use verinfer_opml::generation::{GenChallenger, GenExecution, GenPhase, GenSubmitter};

mod answer;
mod config;
mod gen_answer;
mod gen_own;
mod gen_police;
mod gen_sync;
mod open;
mod own;
mod police;
mod reorg;
mod run;
mod sync;
mod views;

pub use config::{Mode, NodeConfig};
use run::{ids_where, Item};
pub use run::{run, RunOptions, TickReport, REORG_DEPTH};
use sync::decoded;

/// A node: its models, the contracts, its persisted state and the engines rebuilt from it.
pub struct Node {
    cfg: NodeConfig,
    models: ModelStore,
    contracts: Contracts,
    game_cfg: GameConfig,
    state: NodeState,
    submitters: HashMap<u64, Submitter>,
    challengers: HashMap<u64, Challenger>,
    /// Claims and games whose engine could not be rebuilt (logged once).
    unloadable: HashSet<u64>,
    ticks: u64,
    sent: usize,
    withdraw_due: bool,
    last_error: Option<String>,
    last_balance: U256,
    last_owed: (U256, U256),
    pager: LogPager,
    /// The oracle owner's cut of each fee (immutable in the oracle), for the policy.
    owner_share_bps: u16,
    /// The text oracle and the games below it, when the node serves generations.
    text: Option<TextContracts>,
    /// Our generation for a text request, run once and kept until it is claimed.
    gen_plans: HashMap<u64, GenExecution>,
    /// Defenders of our generation claims, by claim.
    gen_submitters: HashMap<u64, GenSubmitter>,
    /// Defenders of the single-step claims our generation defenders posted, by step claim.
    step_submitters: HashMap<u64, Submitter>,
    /// Our challengers in generation games, by game.
    gen_challengers: HashMap<u64, GenChallenger>,
    /// Generation claims whose defender could not be rebuilt (logged once).
    gen_unloadable: HashSet<u64>,
}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node")
            .field("account", &self.cfg.account)
            .field("state_dir", &self.cfg.state_dir)
            .field("ticks", &self.ticks)
            .finish_non_exhaustive()
    }
}

fn u64_of(v: U256, what: &str) -> Result<u64> {
    u64::try_from(v).map_err(|_| {
        NodeError::Chain(ChainError::Decode {
            what: what.to_string(),
            message: format!("{v} does not fit 64 bits"),
        })
    })
}

fn roots_hash(roots: &[B256]) -> B256 {
    keccak256(roots.to_vec().abi_encode())
}

/// The model's outputs in `e`, in output order.
fn outputs_of(e: &Execution) -> Vec<Vec<i32>> {
    e.graph()
        .outputs
        .iter()
        .map(|o| e.values().get(o.value.index()).cloned().unwrap_or_default())
        .collect()
}

/// Logs a transaction and counts it.
fn record_tx(state: &mut NodeState, sent: &mut usize, r: &Receipt) {
    tracing::info!(
        tx = %r.label,
        gas = r.gas_used,
        block = r.block_number,
        hash = %r.tx_hash,
        "transaction"
    );
    state.gas_used = state.gas_used.saturating_add(r.gas_used);
    state.transactions += 1;
    *sent += 1;
}

impl Node {
    /// Records a transaction the node sent ([`record_tx`] on its state and counter).
    fn record(&mut self, r: &Receipt) {
        record_tx(&mut self.state, &mut self.sent, r);
    }

    fn halt(&mut self, why: String) {
        tracing::error!(
            state_dir = %self.cfg.state_dir.display(),
            "{why}; the node keeps its state and refuses to act (move the state directory \
             aside to start afresh on this chain)"
        );
        self.state.halted = Some(why);
    }

    /// The persisted state.
    pub fn state(&self) -> &NodeState {
        &self.state
    }

    /// The contracts served.
    pub fn contracts(&self) -> &Contracts {
        &self.contracts
    }

    /// The configuration.
    pub fn config(&self) -> &NodeConfig {
        &self.cfg
    }

    /// Writes the state.
    ///
    /// # Errors
    /// [`NodeError::State`] on I/O failure.
    pub fn save(&self) -> Result<()> {
        self.state.save(&self.cfg.state_dir)
    }

    fn traces_dir(&self) -> PathBuf {
        self.cfg.state_dir.join("traces")
    }
}

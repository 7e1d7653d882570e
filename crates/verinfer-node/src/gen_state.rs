//! What a node remembers about generations (text requests, generation claims and their games)
//! across restarts: the `generation` part of `state.json`, written with the rest of the state.
//!
//! A generation is deterministic, so nothing of its execution is stored: a claim is defended
//! after a restart by running the generation of its recorded prompt, seed and temperature
//! again (and checking it reaches the recorded root G), a game is played again by re-running
//! the honest generation of the claim's prompt and sampling; the games' positions are read
//! from the chain.

use std::collections::BTreeSet;

use alloy_primitives::{Address, B256};
use serde::{Deserialize, Serialize};

use crate::ledger::{derefs_to_ledger, Ledger};
use crate::state::{Answers, Check, OwnClaimStatus};

/// Where a text request stands, as far as this node is concerned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum TextRequestState {
    /// Open, or answered by claims none of which carries our generation: to answer.
    Todo,
    /// Fulfilled (paid and called back).
    Fulfilled {
        /// Whether our claim fulfilled it.
        ours: bool,
    },
    /// Cancelled by its requester.
    Cancelled,
    /// Not answerable by this node (a prompt the model cannot take): see `note`.
    Skipped,
}

/// A text request on a language model this node holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextRequestRec {
    /// The step graph.
    pub model: B256,
    /// The prompt's token ids.
    pub prompt: Vec<u32>,
    /// Tokens to generate.
    pub max_new_tokens: u32,
    /// Sampling seed as the oracle stored it (0: greedy).
    #[serde(default)]
    pub seed: u64,
    /// Temperature T·2^16 (0 when greedy).
    #[serde(default)]
    pub temp: u32,
    /// Where it stands.
    #[serde(flatten)]
    pub state: TextRequestState,
    /// The claims that answered it (from `Answered`), and ours.
    #[serde(flatten)]
    pub answers: Answers,
}

/// A generation claim this node posted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnGenClaim {
    /// The step graph.
    pub model: B256,
    /// What it claims (the tokens posted are what a settlement hands the oracle; G is checked
    /// against a re-run after a restart).
    #[serde(flatten)]
    pub claimed: GenClaimed,
    /// The request it answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<u64>,
    /// Whether the oracle recorded it as an answer (`Answered`).
    #[serde(default)]
    pub answered: bool,
    /// Whether its request was settled (by us or anyone).
    #[serde(default)]
    pub settled: bool,
    /// Where it stands.
    pub status: OwnClaimStatus,
    /// Whether it was posted as a lie.
    #[serde(default)]
    pub lie: bool,
}

/// A generation claim about to be posted (saved before the transaction): its
/// `GenerationClaimed` log from our address with this root is adopted for this request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenIntent {
    /// G of the generation.
    pub root: B256,
    /// The request it answers.
    pub request: u64,
    /// Whether it is a lie.
    pub lie: bool,
}

/// Someone else's generation claim on a language model we hold.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckedGenClaim {
    /// The step graph.
    pub model: B256,
    /// Its submitter.
    pub submitter: Address,
    /// What it claims (seed and temperature read from the claim when it is checked).
    #[serde(flatten)]
    pub claimed: GenClaimed,
    /// What we concluded and did about it.
    #[serde(flatten)]
    pub check: Check,
}

/// What a generation claim states, ours or someone else's: the middle fields of its record in
/// `state.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenClaimed {
    /// The prompt.
    pub prompt: Vec<u32>,
    /// The tokens posted.
    pub tokens: Vec<u32>,
    /// Sampling seed (0: greedy).
    #[serde(default)]
    pub seed: u64,
    /// Temperature T·2^16 (0 when greedy).
    #[serde(default)]
    pub temp: u32,
    /// G, the root over the step roots.
    pub root: B256,
    /// The block of its `GenerationClaimed` log: its games are looked for from there.
    pub block: u64,
}

/// A generation game this node plays as challenger.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnGenGame {
    /// The claim challenged.
    pub claim: u64,
    /// The block it was opened in (its moves are read from there).
    pub block: u64,
    /// The last phase seen (`GenPhase` by name).
    pub phase: String,
    /// Whether it is over.
    pub over: bool,
    /// Our challenge of the disputed step's sub-claim in the single-step game.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sub_game: Option<u64>,
}

/// The generation side's [`Ledger`].
pub type GenLedger = Ledger<TextRequestRec, OwnGenClaim, GenIntent, CheckedGenClaim, OwnGenGame>;

/// Everything about generations, `state.json`'s `generation` object.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenState {
    /// The `GenerationOracle` served (a state made for another one is refused).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oracle: Option<Address>,
    /// The next block whose generation logs are read.
    #[serde(default)]
    pub next_block: u64,
    /// Text requests, our generation claims, claims about to be posted, others' generation
    /// claims checked and our generation games (read through `Deref`: `gen.claims`).
    #[serde(flatten)]
    pub ledger: GenLedger,
    /// Single-step claims (in the tensor game) that are steps of a disputed generation: the
    /// generation side plays them, the tensor side leaves them alone.
    #[serde(default)]
    pub step_claims: BTreeSet<u64>,
    /// Step claims nothing is left to do about: decided, or someone else's.
    #[serde(default)]
    pub step_claims_done: BTreeSet<u64>,
}

derefs_to_ledger!(GenState, GenLedger);

impl GenState {
    /// Records our game `game` against `claim`, opened in `block` (a game already recorded is
    /// kept as it is), and that the claim's check now has its game.
    pub fn our_game_opened(&mut self, game: u64, claim: u64, block: u64) {
        self.games.entry(game).or_insert_with(|| OwnGenGame {
            claim,
            block,
            phase: format!("{:?}", verinfer_opml::generation::GenPhase::StepReveal),
            over: false,
            sub_game: None,
        });
        if let Some(c) = self.checked.get_mut(&claim) {
            c.check.game = Some(game);
            c.check.challenging = false;
        }
    }

    /// Our pending generation claims.
    pub fn pending_claims(&self) -> Vec<u64> {
        self.claims
            .iter()
            .filter(|(_, c)| c.status == OwnClaimStatus::Pending)
            .map(|(id, _)| *id)
            .collect()
    }

    /// Our generation games not over.
    pub fn open_games(&self) -> Vec<u64> {
        self.games
            .iter()
            .filter(|(_, g)| !g.over)
            .map(|(id, _)| *id)
            .collect()
    }

    /// Whether nothing about generations was recorded (the field is then left out).
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

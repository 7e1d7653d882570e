//! What a node remembers across restarts: `<state-dir>/state.json`, written atomically
//! (temporary file, fsync, rename) after every change that a crash must not lose, and the
//! traces of its claims in `<state-dir>/traces/<trace root>.trace`.
//!
//! The chain is the source of truth; the state is what the node cannot read back from it
//! cheaply (which claims are ours and where their traces are, which games we play, what we
//! concluded about other people's claims) plus the block up to which the contracts' logs
//! have been read. Every record is keyed by an on-chain id, and every handler that fills it
//! from a log is idempotent, so replaying logs after a crash changes nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use alloy_primitives::{Address, B256};
use serde::{Deserialize, Serialize};
use verinfer_opml::Phase;

use crate::error::{NodeError, Result};
use crate::gen_state::GenState;
use crate::ledger::{derefs_to_ledger, Ledger};

/// Format tag of `state.json`.
pub const STATE_FORMAT: &str = "verinfer-node-state/1";

/// Most recent problems kept for the status page.
const MAX_PROBLEMS: usize = 50;

/// Where a request stands, as far as this node is concerned.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum RequestState {
    /// Open (or reopened): to answer.
    Todo,
    /// Answered by a claim (ours or someone else's) that is not final yet.
    Claimed {
        /// The claim.
        claim: u64,
        /// Whether the claim is ours.
        ours: bool,
    },
    /// Fulfilled (paid and called back).
    Fulfilled {
        /// Through a zk proof (else through a claim).
        via_proof: bool,
        /// Whether we answered it.
        ours: bool,
    },
    /// Cancelled by its requester.
    Cancelled,
    /// Not answerable by this node (malformed input, …): see `note`.
    Skipped,
}

/// A request on a model this node holds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestRec {
    /// The model.
    pub model: B256,
    /// `keccak256(abi.encode(inputRoots))`: how a claim without posted inputs is matched to
    /// the request whose input it is about.
    pub inputs_hash: B256,
    /// Where it stands.
    #[serde(flatten)]
    pub state: RequestState,
    /// The claims that answered it (from `AnsweredWithClaim`), and ours.
    #[serde(flatten)]
    pub answers: Answers,
}

/// The answers to a request (tensor or text) as this node saw them: the last fields of its
/// record in `state.json`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answers {
    /// Every claim that answered it, oldest first.
    #[serde(default)]
    pub claims: Vec<u64>,
    /// Whether this node (with `--lie`) already answered it once with a lie: a lying node lies
    /// once per request, so the honest answer after a reopen is not raced forever.
    #[serde(default)]
    pub lied: bool,
    /// Why it was skipped, or the last problem answering it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// Status of one of our claims.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OwnClaimStatus {
    /// In its window or under dispute.
    Pending,
    /// Final: its requests can be settled.
    Finalized,
    /// Lost a game.
    Rejected,
    /// Gone in a reorganisation (the chain's claim of that id is not ours any more): kept for
    /// the record, never defended; its requests are answered again.
    Vanished,
}

/// A claim this node posted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnClaim {
    /// The model.
    pub model: B256,
    /// Its trace root.
    pub trace_root: B256,
    /// Where its trace is kept (what it is defended from after a restart).
    pub trace_file: PathBuf,
    /// The block of its `ClaimSubmitted` log: games on it are looked for from there.
    #[serde(default)]
    pub block: u64,
    /// The requests it answered.
    #[serde(default)]
    pub requests: BTreeSet<u64>,
    /// Requests settled (fulfilled) through it.
    #[serde(default)]
    pub settled: BTreeSet<u64>,
    /// Where it stands.
    pub status: OwnClaimStatus,
    /// Whether it was posted as a lie (`--lie`).
    #[serde(default)]
    pub lie: bool,
}

/// A claim about to be posted: recorded (with its trace saved) before the transaction is sent,
/// so that a crash between sending and recording the claim id cannot lose the claim: on the
/// next start the `ClaimSubmitted` log from our address with this trace root is adopted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimIntent {
    /// The model.
    pub model: B256,
    /// The trace root the claim will commit to.
    pub trace_root: B256,
    /// The saved trace.
    pub trace_file: PathBuf,
    /// The request it is meant to answer.
    pub request: u64,
    /// Whether it is a lie.
    pub lie: bool,
}

/// Our verdict on someone else's claim.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Not looked at yet.
    Unchecked,
    /// No input to re-execute from yet (none posted, no request with its input roots).
    AwaitingInput,
    /// Its trace root is the honest one.
    Correct,
    /// Its trace root is not the honest one.
    Wrong,
    /// Could not be checked (its input does not run, the claim is gone, …): see `note`.
    Skipped,
}

impl Verdict {
    /// The name `GET /status` shows (the state file's spelling): `unchecked`,
    /// `awaiting_input`, `correct`, `wrong`, `skipped`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Unchecked => "unchecked",
            Verdict::AwaitingInput => "awaiting_input",
            Verdict::Correct => "correct",
            Verdict::Wrong => "wrong",
            Verdict::Skipped => "skipped",
        }
    }
}

/// Someone else's claim on a model we hold.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckedClaim {
    /// The model.
    pub model: B256,
    /// Its submitter.
    pub submitter: Address,
    /// The block of its `ClaimSubmitted` log (read back from there, never from block 0).
    pub block: u64,
    /// `keccak256(abi.encode(inputRoots))`.
    pub inputs_hash: B256,
    /// Whether it posted its input data.
    pub posted_inputs: bool,
    /// The request whose input it was checked against (when it posted none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_request: Option<u64>,
    /// What we concluded and did about it.
    #[serde(flatten)]
    pub check: Check,
}

/// What this node concluded and did about someone else's claim (tensor or generation):
/// the last fields of its record in `state.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Check {
    /// The verdict.
    pub verdict: Verdict,
    /// The game we opened against it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub game: Option<u64>,
    /// Set (and saved) right before the challenge is sent; the `GameOpened` log clears it.
    #[serde(default)]
    pub challenging: bool,
    /// Why it was skipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

impl Check {
    /// A claim just seen: not checked yet, nothing done about it.
    pub fn unchecked() -> Self {
        Self {
            verdict: Verdict::Unchecked,
            game: None,
            challenging: false,
            note: None,
        }
    }

    /// A wrong claim whose challenge was sent (or about to be) but whose game is not seen yet:
    /// the challenge is due again.
    pub fn challenge_unconfirmed(&self) -> bool {
        self.verdict == Verdict::Wrong && self.game.is_none() && self.challenging
    }
}

/// A game this node plays as challenger.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "OwnGameRecord", into = "OwnGameRecord")]
pub struct OwnGame {
    /// The claim challenged.
    pub claim: u64,
    /// Where it stands.
    pub standing: GameStanding,
}

impl OwnGame {
    /// A game just opened on `claim`.
    pub fn opened(claim: u64) -> Self {
        Self {
            claim,
            standing: GameStanding::Playing(Phase::NodeReveal),
        }
    }

    /// Whether it is over (ended, or vanished in a reorganisation): never played again.
    pub fn is_over(&self) -> bool {
        !matches!(self.standing, GameStanding::Playing(_))
    }
}

/// Where one of our games stands: the game's own [`Phase`] while it is played and once it
/// ended, or gone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GameStanding {
    /// In play; the phase last seen.
    Playing(Phase),
    /// Ended; the final phase names the winner (`SubmitterWon`, `ChallengerWon`, `Moot`).
    Over(Phase),
    /// Gone in a reorganisation (the chain's game of that id is not ours any more): kept for
    /// the record, never played.
    Vanished,
}

impl GameStanding {
    /// The standing after the game was seen at `phase`.
    pub fn at(phase: Phase) -> Self {
        if phase.is_over() {
            GameStanding::Over(phase)
        } else {
            GameStanding::Playing(phase)
        }
    }

    /// The phase's name (`NodeReveal`, …, `ChallengerWon`), or `Vanished`: what `state.json`
    /// and the status page show.
    pub fn name(&self) -> String {
        match self {
            GameStanding::Playing(p) | GameStanding::Over(p) => format!("{p:?}"),
            GameStanding::Vanished => VANISHED.into(),
        }
    }
}

const VANISHED: &str = "Vanished";

/// `OwnGame` as `state.json` has always written it: the phase by name and whether it is over.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct OwnGameRecord {
    claim: u64,
    phase: String,
    over: bool,
}

impl From<OwnGame> for OwnGameRecord {
    fn from(g: OwnGame) -> Self {
        Self {
            claim: g.claim,
            phase: g.standing.name(),
            over: g.is_over(),
        }
    }
}

impl TryFrom<OwnGameRecord> for OwnGame {
    type Error = String;

    fn try_from(r: OwnGameRecord) -> std::result::Result<Self, String> {
        let standing = if r.phase == VANISHED {
            GameStanding::Vanished
        } else {
            let phase = (0..=u8::MAX)
                .map_while(|n| Phase::from_u8(n).ok())
                .find(|p| format!("{p:?}") == r.phase)
                .ok_or_else(|| format!("game on claim {}: unknown phase {:?}", r.claim, r.phase))?;
            if r.over {
                GameStanding::Over(phase)
            } else {
                GameStanding::Playing(phase)
            }
        };
        Ok(Self {
            claim: r.claim,
            standing,
        })
    }
}

/// Something that went wrong, for the status page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// The block head when it happened.
    pub block: u64,
    /// What was being done.
    pub what: String,
    /// The error.
    pub error: String,
}

/// A block the node read logs up to, with its hash: seeing another hash at that number later
/// means the logs read were (partly) replaced by a reorganisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncedBlock {
    /// Block number.
    pub number: u64,
    /// Its hash when read.
    pub hash: B256,
}

/// The tensor side's [`Ledger`]: requests, claims, intents, checked claims, games.
pub type TensorLedger = Ledger<RequestRec, OwnClaim, ClaimIntent, CheckedClaim, OwnGame>;

/// Everything in `state.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NodeState {
    /// [`STATE_FORMAT`].
    pub format: String,
    /// The chain the state belongs to.
    pub chain_id: u64,
    /// Our account.
    pub account: Address,
    /// The oracle.
    pub oracle: Address,
    /// The game (the oracle's).
    pub game: Address,
    /// The first block whose logs are (re)read next tick.
    pub next_block: u64,
    /// The highest block number seen: a lower one later means the chain was restarted.
    pub last_head: u64,
    /// The last block whose logs were read, with its hash (chains that report hashes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub synced: Option<SyncedBlock>,
    /// Set when the chain is found not to be the one this state was made on; the node then
    /// refuses to act (the state is kept as it was).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub halted: Option<String>,
    /// Requests, our claims, claims being posted, others' claims checked and our games (read
    /// through `Deref`: `state.claims`).
    #[serde(flatten)]
    pub ledger: TensorLedger,
    /// Requests answered by each claim we watch (from `AnsweredWithClaim`): reopened when the
    /// claim is rejected.
    #[serde(default)]
    pub claim_requests: BTreeMap<u64, BTreeSet<u64>>,
    /// Requests whose claim was rejected and that are still to reopen.
    #[serde(default)]
    pub reopen: BTreeSet<u64>,
    /// Gas of every transaction this node sent.
    #[serde(default)]
    pub gas_used: u64,
    /// Transactions sent.
    #[serde(default)]
    pub transactions: u64,
    /// The most recent problems.
    #[serde(default)]
    pub problems: Vec<Problem>,
    /// Text requests, generation claims and their games (left out while there are none).
    #[serde(default, skip_serializing_if = "GenState::is_empty")]
    pub generation: GenState,
}

derefs_to_ledger!(NodeState, TensorLedger);

impl NodeState {
    /// Our pending claims (in their window or under dispute): id and trace root.
    pub fn pending_claims(&self) -> Vec<(u64, B256)> {
        self.claims
            .iter()
            .filter(|(_, c)| c.status == OwnClaimStatus::Pending)
            .map(|(id, c)| (*id, c.trace_root))
            .collect()
    }

    /// Our games still in play: game id and the claim challenged.
    pub fn open_games(&self) -> Vec<(u64, u64)> {
        self.games
            .iter()
            .filter(|(_, g)| !g.is_over())
            .map(|(id, g)| (*id, g.claim))
            .collect()
    }

    /// A fresh state for `account` on `chain_id`, reading logs from `from_block`.
    pub fn new(chain_id: u64, account: Address, oracle: Address, game: Address) -> Self {
        Self {
            format: STATE_FORMAT.into(),
            chain_id,
            account,
            oracle,
            game,
            next_block: 0,
            last_head: 0,
            synced: None,
            halted: None,
            ledger: Ledger::default(),
            claim_requests: BTreeMap::new(),
            reopen: BTreeSet::new(),
            gas_used: 0,
            transactions: 0,
            problems: Vec::new(),
            generation: GenState::default(),
        }
    }

    /// Path of the state file in `dir`.
    pub fn path_in(dir: &Path) -> PathBuf {
        dir.join("state.json")
    }

    /// Loads `dir/state.json`, or `None` when there is none.
    ///
    /// # Errors
    /// [`NodeError::State`] for an unreadable, malformed or other-format file (never
    /// overwritten: the node refuses to start rather than forget its claims).
    pub fn load(dir: &Path) -> Result<Option<Self>> {
        let path = Self::path_in(dir);
        if !path.exists() {
            return Ok(None);
        }
        let err = |message: String| NodeError::State {
            path: path.clone(),
            message,
        };
        let text = std::fs::read_to_string(&path).map_err(|e| err(e.to_string()))?;
        let s: Self =
            serde_json::from_str(&text).map_err(|e| err(format!("not a node state file: {e}")))?;
        if s.format != STATE_FORMAT {
            return Err(err(format!(
                "state format {:?}, this build reads {STATE_FORMAT:?}",
                s.format
            )));
        }
        Ok(Some(s))
    }

    /// Writes `dir/state.json` atomically ([`verinfer_ir::atomic`]): a crash leaves either the
    /// old or the new state, never a torn one; an unchanged state is not rewritten (the node
    /// saves after every step).
    ///
    /// # Errors
    /// [`NodeError::State`] on I/O failure.
    pub fn save(&self, dir: &Path) -> Result<()> {
        let path = Self::path_in(dir);
        let err = |message: String| NodeError::State {
            path: path.clone(),
            message,
        };
        let mut text = serde_json::to_vec_pretty(self).map_err(|e| err(e.to_string()))?;
        text.push(b'\n');
        verinfer_ir::atomic::write_atomic(&path, &text).map_err(|e| err(e.to_string()))?;
        Ok(())
    }

    /// Records a problem (keeping the most recent ones).
    pub fn problem(&mut self, block: u64, what: &str, error: &str) {
        self.problems.push(Problem {
            block,
            what: what.to_string(),
            error: error.to_string(),
        });
        if self.problems.len() > MAX_PROBLEMS {
            let cut = self.problems.len() - MAX_PROBLEMS;
            self.problems.drain(..cut);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_game_reads_and_writes_as_state_json_always_had_it() {
        for (json, standing) in [
            (
                r#"{"claim":3,"phase":"StepPick","over":false}"#,
                GameStanding::Playing(Phase::StepPick),
            ),
            (
                r#"{"claim":3,"phase":"ChallengerWon","over":true}"#,
                GameStanding::Over(Phase::ChallengerWon),
            ),
            (
                r#"{"claim":3,"phase":"Vanished","over":true}"#,
                GameStanding::Vanished,
            ),
        ] {
            let g: OwnGame = serde_json::from_str(json).unwrap();
            assert_eq!(g, OwnGame { claim: 3, standing });
            assert_eq!(serde_json::to_string(&g).unwrap(), json);
        }
        let e = serde_json::from_str::<OwnGame>(r#"{"claim":3,"phase":"Won","over":true}"#)
            .unwrap_err();
        assert!(e.to_string().contains("unknown phase \"Won\""), "{e}");
    }

    /// A state with every kind of record, tensor and generation side.
    fn every_record() -> NodeState {
        use crate::gen_state::{
            CheckedGenClaim, GenClaimed, GenIntent, OwnGenClaim, OwnGenGame, TextRequestRec,
            TextRequestState,
        };
        let (m, r) = (B256::repeat_byte(1), B256::repeat_byte(2));
        let a = Address::repeat_byte(3);
        let mut s = NodeState::new(31337, a, Address::repeat_byte(4), Address::repeat_byte(5));
        s.next_block = 12;
        s.last_head = 13;
        s.synced = Some(SyncedBlock {
            number: 11,
            hash: r,
        });
        s.halted = Some("another chain".into());
        s.requests.insert(
            7,
            RequestRec {
                model: m,
                inputs_hash: r,
                state: RequestState::Claimed {
                    claim: 2,
                    ours: true,
                },
                answers: Answers {
                    claims: vec![2],
                    lied: true,
                    note: Some("slow".into()),
                },
            },
        );
        s.claims.insert(
            2,
            OwnClaim {
                model: m,
                trace_root: r,
                trace_file: "traces/x.trace".into(),
                block: 9,
                requests: [7].into(),
                settled: [7].into(),
                status: OwnClaimStatus::Finalized,
                lie: false,
            },
        );
        s.intents.push(ClaimIntent {
            model: m,
            trace_root: r,
            trace_file: "traces/y.trace".into(),
            request: 8,
            lie: true,
        });
        s.checked.insert(
            3,
            CheckedClaim {
                model: m,
                submitter: a,
                block: 10,
                inputs_hash: r,
                posted_inputs: false,
                input_request: Some(7),
                check: Check {
                    verdict: Verdict::Wrong,
                    game: Some(1),
                    challenging: false,
                    note: None,
                },
            },
        );
        s.games.insert(1, OwnGame::opened(3));
        s.claim_requests.insert(3, [7].into());
        s.reopen.insert(7);
        s.gas_used = 100;
        s.transactions = 2;
        s.problem(12, "answer", "no gas");
        let g = &mut s.generation;
        g.oracle = Some(Address::repeat_byte(6));
        g.next_block = 14;
        g.requests.insert(
            4,
            TextRequestRec {
                model: m,
                prompt: vec![1, 2],
                max_new_tokens: 3,
                seed: 5,
                temp: 65536,
                state: TextRequestState::Fulfilled { ours: true },
                answers: Answers {
                    claims: vec![6],
                    lied: false,
                    note: None,
                },
            },
        );
        g.claims.insert(
            6,
            OwnGenClaim {
                model: m,
                claimed: GenClaimed {
                    prompt: vec![1, 2],
                    tokens: vec![3, 4, 5],
                    seed: 5,
                    temp: 65536,
                    root: r,
                    block: 15,
                },
                request: Some(4),
                answered: true,
                settled: false,
                status: OwnClaimStatus::Pending,
                lie: false,
            },
        );
        g.intents.push(GenIntent {
            root: r,
            request: 4,
            lie: false,
        });
        g.checked.insert(
            8,
            CheckedGenClaim {
                model: m,
                submitter: a,
                claimed: GenClaimed {
                    prompt: vec![1],
                    tokens: vec![2],
                    seed: 0,
                    temp: 0,
                    root: r,
                    block: 16,
                },
                check: Check {
                    verdict: Verdict::Skipped,
                    game: None,
                    challenging: true,
                    note: Some("no model".into()),
                },
            },
        );
        g.games.insert(
            9,
            OwnGenGame {
                claim: 8,
                block: 17,
                phase: "Bisect".into(),
                over: false,
                sub_game: Some(2),
            },
        );
        g.step_claims.insert(20);
        g.step_claims_done.insert(21);
        s
    }

    /// `state.json` as this format has always been written: a state with every kind of record
    /// writes these bytes, and reading them back and writing again gives the same bytes (a
    /// node restarted on an older file loads it and does not rewrite it differently).
    #[test]
    fn a_state_file_keeps_its_bytes() {
        let golden = include_str!("../testdata/state-v1.json");
        let mut written = serde_json::to_string_pretty(&every_record()).unwrap();
        written.push('\n');
        if std::env::var_os("PRINT_STATE").is_some() {
            print!("{written}");
        }
        assert_eq!(written, golden);
        let read: NodeState = serde_json::from_str(golden).unwrap();
        assert_eq!(read, every_record());
        let mut again = serde_json::to_string_pretty(&read).unwrap();
        again.push('\n');
        assert_eq!(again, golden);
    }

    #[test]
    fn the_game_standing_follows_the_phase() {
        assert_eq!(
            GameStanding::at(Phase::NodeReveal),
            GameStanding::Playing(Phase::NodeReveal)
        );
        assert_eq!(
            GameStanding::at(Phase::SubmitterWon),
            GameStanding::Over(Phase::SubmitterWon)
        );
        assert!(!OwnGame::opened(1).is_over());
    }
}

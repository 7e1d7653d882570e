//! The node's core: one [`Node::tick`] reads the contracts' new logs, then answers requests,
//! checks claims, plays games, defends claims, settles, answers again where an answer was
//! rejected, and withdraws — each step against `&mut dyn Chain`, so tests drive it on the
//! in-process chain without threads and the CLI drives it against a JSON-RPC node in a loop
//! ([`run`]). One concern a file: `sync` (logs), `answer` (requests), `police` (other
//! claims, our games), `own` (our claims, settlement, withdrawals), `reorg`; this file holds
//! the node's state, its tick and its status.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::PathBuf;
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
    lying_execution, Challenger, ChallengerStrategy, ClaimStatus, Execution, GameConfig, Phase,
    Submitter, SubmitterStrategy, TraceLie,
};
use verinfer_oracle::RequestStatus;

use crate::contracts::Contracts;
use crate::error::{NodeError, Result};
use crate::http::SharedStatus;
use crate::models::ModelStore;
use crate::policy::{Offer, Policy};
use crate::state::{
    CheckedClaim, ClaimIntent, NodeState, OwnClaim, OwnClaimStatus, OwnGame, RequestRec,
    RequestState, Verdict,
};
use crate::status::{
    CheckView, ClaimView, GameView, ModelView, NodeStatus, ProblemView, RequestView,
};

mod answer;
mod own;
mod police;
mod reorg;
mod sync;

/// The deepest reorganisation the node rides out (re-reading the logs of the replaced
/// blocks); a block number that goes back further means a restarted chain, and the node halts.
pub const REORG_DEPTH: u64 = 12;

/// How requests are answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// A claim in the dispute game, settled after its window.
    Optimistic,
    /// A Groth16 proof, final at once (per model: only with usable keys and a verifier
    /// registered in the oracle; otherwise optimistic, logged).
    Zk,
}

impl Mode {
    /// `optimistic` / `zk`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Optimistic => "optimistic",
            Mode::Zk => "zk",
        }
    }
}

/// How a node behaves.
#[derive(Clone, Debug)]
pub struct NodeConfig {
    /// The account it sends from (its key must be held by the chain).
    pub account: Address,
    /// Where `state.json` and `traces/` live.
    pub state_dir: PathBuf,
    /// Optimistic or zk answers.
    pub mode: Mode,
    /// Answer requests with a wrong output (tests and demos of a dishonest node). A lying node
    /// lies once per request and otherwise behaves like an honest one (it checks and
    /// challenges others' claims honestly).
    pub lie: bool,
    /// Answer a request only once it has been open this many seconds of chain time (lets
    /// another node answer first: tests and demos use it to make the liar go first).
    pub answer_delay_secs: u64,
    /// Check owed funds and withdraw them every this many ticks (and after every settlement
    /// or game end).
    pub withdraw_every: u64,
    /// Act only on logs at least this many blocks below the head (0: at once, for dev chains
    /// and the in-process one). A log in a block that a reorganisation may still replace is
    /// not yet something to spend gas on.
    pub confirmations: u64,
    /// The first block a fresh state reads logs from (the oracle's deployment block when
    /// known): no log of the contracts is older.
    pub start_block: u64,
    /// Blocks per log query (a provider's cap; narrowed further when a query is refused).
    pub log_range: u64,
    /// Which requests are worth answering.
    pub policy: Policy,
}

impl NodeConfig {
    /// Defaults: optimistic, honest, no delay, withdraw every 20 ticks.
    pub fn new(account: Address, state_dir: PathBuf) -> Self {
        Self {
            account,
            state_dir,
            mode: Mode::Optimistic,
            lie: false,
            answer_delay_secs: 0,
            withdraw_every: 20,
            confirmations: 0,
            start_block: 0,
            log_range: verinfer_chain::DEFAULT_LOG_RANGE,
            policy: Policy::default(),
        }
    }
}

/// What one tick did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TickReport {
    /// Transactions sent.
    pub transactions: usize,
    /// The head block seen.
    pub head: u64,
}

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

/// The lie a `--lie` node tells: element 0 of the first output, plus one, left inconsistent
/// (the submitter then defends it from its own trace, as `game simulate`'s wrong-output).
fn the_lie(graph: &verinfer_ir::Graph) -> TraceLie {
    let node = graph
        .outputs
        .first()
        .map(|o| o.value.index())
        .and_then(|v| v.checked_sub(graph.inputs.len()))
        .unwrap_or_else(|| graph.nodes.len().saturating_sub(1));
    TraceLie {
        node,
        element: 0,
        delta: 1,
        propagate: false,
    }
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
    /// Opens the node: loads its state from `cfg.state_dir` (or starts one), checks that it
    /// belongs to this chain, account and oracle, and that the claims it records as pending
    /// are ours on this chain (else the node is halted: the chain is not the one the state was
    /// made on).
    ///
    /// # Errors
    /// [`NodeError::State`] for a state of another chain, account or oracle, or a state file
    /// that does not load; transport errors.
    pub fn open(
        chain: &mut dyn Chain,
        cfg: NodeConfig,
        models: ModelStore,
        contracts: Contracts,
    ) -> Result<Self> {
        let dir = cfg.state_dir.clone();
        let chain_id = chain.chain_id();
        let state = match NodeState::load(&dir)? {
            Some(s) => {
                let mismatch = |what: &str, theirs: String, ours: String| NodeError::State {
                    path: NodeState::path_in(&dir),
                    message: format!(
                        "this state belongs to {what} {theirs}, not {ours}: use another \
                         --state-dir (or move this one aside)"
                    ),
                };
                if s.chain_id != chain_id {
                    return Err(mismatch(
                        "chain",
                        s.chain_id.to_string(),
                        chain_id.to_string(),
                    ));
                }
                if s.account != cfg.account {
                    return Err(mismatch(
                        "account",
                        s.account.to_string(),
                        cfg.account.to_string(),
                    ));
                }
                if s.oracle != contracts.oracle.address {
                    return Err(mismatch(
                        "oracle",
                        s.oracle.to_string(),
                        contracts.oracle.address.to_string(),
                    ));
                }
                s
            }
            None => {
                let mut s = NodeState::new(
                    chain_id,
                    cfg.account,
                    contracts.oracle.address,
                    contracts.game.address,
                );
                s.next_block = cfg.start_block;
                s
            }
        };
        let game_cfg = contracts.game.config(chain)?;
        let owner_share_bps = contracts.oracle.params(chain)?.owner_share_bps;
        let pager = LogPager::new(cfg.log_range);
        let mut node = Self {
            cfg,
            models,
            contracts,
            game_cfg,
            state,
            submitters: HashMap::new(),
            challengers: HashMap::new(),
            unloadable: HashSet::new(),
            ticks: 0,
            sent: 0,
            withdraw_due: true,
            last_error: None,
            last_balance: U256::ZERO,
            last_owed: (U256::ZERO, U256::ZERO),
            pager,
            owner_share_bps,
        };
        node.verify_claims(chain)?;
        node.save()?;
        tracing::info!(
            account = %node.cfg.account,
            oracle = %node.contracts.oracle.address,
            game = %node.contracts.game.address,
            models = node.models.len(),
            claims = node.state.claims.len(),
            games = node.state.games.len(),
            next_block = node.state.next_block,
            "node opened"
        );
        Ok(node)
    }

    /// Why the state does not match the chain, if it does not: a claim it records as ours
    /// and pending is not ours there (or does not exist), or a game it records as ours is
    /// someone else's. `None`: the state fits this chain.
    fn mismatch(&mut self, chain: &mut dyn Chain) -> Result<Option<String>> {
        let me = self.cfg.account;
        let pending: Vec<(u64, B256)> = self
            .state
            .claims
            .iter()
            .filter(|(_, c)| c.status == OwnClaimStatus::Pending)
            .map(|(id, c)| (*id, c.trace_root))
            .collect();
        for (id, root) in pending {
            match self.contracts.game.claim_info(chain, id) {
                Ok(info) if info.submitter == me && info.traceRoot == root => {}
                Ok(info) => {
                    return Ok(Some(format!(
                        "claim {id} of the state is not ours on this chain (submitter {}, \
                         trace root {})",
                        info.submitter, info.traceRoot
                    )))
                }
                Err(e) => {
                    let e = NodeError::from(e);
                    if e.is_transient() {
                        return Err(e);
                    }
                    return Ok(Some(format!(
                        "claim {id} of the state does not exist on this chain ({e})"
                    )));
                }
            }
        }
        let open: Vec<u64> = self
            .state
            .games
            .iter()
            .filter(|(_, g)| !g.over)
            .map(|(id, _)| *id)
            .collect();
        for id in open {
            match self.contracts.game.game(chain, id) {
                Ok(g) if g.challenger == me => {}
                Ok(g) => {
                    return Ok(Some(format!(
                        "game {id} of the state is not ours on this chain (challenger {})",
                        g.challenger
                    )))
                }
                Err(e) => {
                    let e = NodeError::from(e);
                    if e.is_transient() {
                        return Err(e);
                    }
                    return Ok(Some(format!(
                        "game {id} of the state does not exist on this chain ({e})"
                    )));
                }
            }
        }
        Ok(None)
    }

    /// At start: halts the node when its state does not fit the chain.
    fn verify_claims(&mut self, chain: &mut dyn Chain) -> Result<()> {
        if self.state.halted.is_some() {
            return Ok(());
        }
        if let Some(why) = self.mismatch(chain)? {
            self.halt(format!("{why}: the chain was restarted or replaced"));
        }
        Ok(())
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

    /// One round of work. A transport failure aborts the tick (the caller retries with
    /// backoff); a refused transaction or an unusable request, claim or game is logged,
    /// recorded and skipped. The state is saved after every transaction and at the end.
    ///
    /// # Errors
    /// Transport errors, [`NodeError::Halted`] when the chain is not the state's, contracts
    /// gone ([`NodeError::Missing`]), state I/O.
    pub fn tick(&mut self, chain: &mut dyn Chain) -> Result<TickReport> {
        self.ticks += 1;
        self.sent = 0;
        let r = self.tick_inner(chain);
        self.last_error = r.as_ref().err().map(ToString::to_string);
        let saved = self.save();
        let head = r?;
        saved?;
        Ok(TickReport {
            transactions: self.sent,
            head,
        })
    }

    fn tick_inner(&mut self, chain: &mut dyn Chain) -> Result<u64> {
        if let Some(h) = &self.state.halted {
            return Err(NodeError::Halted(h.clone()));
        }
        if chain.chain_id() != self.state.chain_id {
            let why = format!(
                "the endpoint now serves chain {}, the state is of chain {}",
                chain.chain_id(),
                self.state.chain_id
            );
            self.halt(why.clone());
            return Err(NodeError::Halted(why));
        }
        let head = chain.block()?;
        if head.number < self.state.last_head {
            let back = self.state.last_head - head.number;
            let went = format!(
                "the chain's block number went backwards ({} → {})",
                self.state.last_head, head.number
            );
            let why = match self.mismatch(chain)? {
                Some(m) => Some(format!(
                    "{went} and {m}: the chain was restarted or replaced"
                )),
                None if back > REORG_DEPTH => Some(format!(
                    "{went}, by more than a reorganisation ({REORG_DEPTH} blocks): the chain \
                     was restarted"
                )),
                None => None,
            };
            if let Some(why) = why {
                self.halt(why.clone());
                return Err(NodeError::Halted(why));
            }
            // A shallow reorganisation: our claims and games still stand; read the logs of
            // the replaced blocks again (every handler is idempotent).
            tracing::warn!(back, "{went}: a reorganisation; reading its logs again");
            self.state.next_block = self
                .state
                .next_block
                .min(head.number.saturating_sub(REORG_DEPTH));
            self.state.last_head = head.number;
        }
        if !self.contracts.present(chain)? {
            return Err(NodeError::Missing(format!(
                "the oracle {} or its game {} has no code at block {}: waiting until it is back \
                 (a dev chain restarted? then the node halts once the block number is known \
                 to have gone backwards)",
                self.contracts.oracle.address, self.contracts.game.address, head.number
            )));
        }
        self.state.last_head = head.number;
        self.detect_reorg(chain)?;
        self.sync(chain, head)?;
        self.save()?;
        self.answer_requests(chain, head)?;
        self.check_claims(chain, head)?;
        self.play_games(chain, head)?;
        self.defend_claims(chain, head)?;
        self.reopen_requests(chain, head)?;
        self.maybe_withdraw(chain, head)?;
        Ok(head.number)
    }

    /// A failure about one item: transport failures abort the tick, anything else is logged
    /// and recorded.
    fn soft(&mut self, head: BlockInfo, what: &str, e: NodeError) -> Result<()> {
        if e.is_transient() || matches!(e, NodeError::State { .. }) {
            return Err(e);
        }
        tracing::warn!(what, error = %e, "skipped for now");
        self.state.problem(head.number, what, &e.to_string());
        Ok(())
    }

    // ------------------------------------------------------------------ status

    /// The status snapshot. With a chain, balance and owed amounts are read fresh (a failure
    /// keeps the last values); without one (the chain is down), the last values are shown.
    pub fn status(&mut self, chain: Option<&mut dyn Chain>) -> NodeStatus {
        let me = self.cfg.account;
        if let Some(chain) = chain {
            if let Ok(b) = chain.balance(me) {
                self.last_balance = b;
            }
            if let Ok(g) = self.contracts.game.owed(chain, me) {
                self.last_owed.0 = g;
            }
            if let Ok(o) = self.contracts.oracle.owed(chain, me) {
                self.last_owed.1 = o;
            }
        }
        let s = &self.state;
        NodeStatus {
            address: me.to_string(),
            chain_id: s.chain_id,
            mode: self.cfg.mode.as_str().into(),
            lie: self.cfg.lie,
            balance_wei: self.last_balance.to_string(),
            owed_game_wei: self.last_owed.0.to_string(),
            owed_oracle_wei: self.last_owed.1.to_string(),
            oracle: self.contracts.oracle.address.to_string(),
            game: self.contracts.game.address.to_string(),
            last_block: s.last_head,
            next_block: s.next_block,
            ticks: self.ticks,
            transactions: s.transactions,
            gas_used: s.gas_used,
            halted: s.halted.clone(),
            last_error: self.last_error.clone(),
            models: self
                .models
                .iter()
                .map(|m| ModelView {
                    id: m.id.to_string(),
                    name: m.name(),
                    zk: self.cfg.mode == Mode::Zk
                        && m.keys.as_ref().is_some_and(|k| k.oracle_compatible()),
                })
                .collect(),
            claims: s
                .claims
                .iter()
                .map(|(id, c)| ClaimView {
                    claim: *id,
                    model: c.model.to_string(),
                    status: format!("{:?}", c.status).to_lowercase(),
                    requests: c.requests.iter().copied().collect(),
                    settled: c.settled.iter().copied().collect(),
                    lie: c.lie,
                    trace_file: c.trace_file.display().to_string(),
                })
                .collect(),
            games: s
                .games
                .iter()
                .map(|(id, g)| GameView {
                    game: *id,
                    claim: g.claim,
                    phase: g.phase.clone(),
                    over: g.over,
                })
                .collect(),
            requests: s
                .requests
                .iter()
                .map(|(id, r)| {
                    let (state, claim, ours, via_proof) = match &r.state {
                        RequestState::Todo => ("todo", None, false, false),
                        RequestState::Claimed { claim, ours } => {
                            ("claimed", Some(*claim), *ours, false)
                        }
                        RequestState::Fulfilled { via_proof, ours } => {
                            ("fulfilled", r.claims.last().copied(), *ours, *via_proof)
                        }
                        RequestState::Cancelled => ("cancelled", None, false, false),
                        RequestState::Skipped => ("skipped", None, false, false),
                    };
                    RequestView {
                        request: *id,
                        model: r.model.to_string(),
                        state: state.into(),
                        claim,
                        ours,
                        via_proof,
                        note: r.note.clone(),
                    }
                })
                .collect(),
            checked: s
                .checked
                .iter()
                .map(|(id, c)| CheckView {
                    claim: *id,
                    submitter: c.submitter.to_string(),
                    verdict: c.verdict.as_str().into(),
                    game: c.game,
                    note: c.note.clone(),
                })
                .collect(),
            problems: s
                .problems
                .iter()
                .map(|p| ProblemView {
                    block: p.block,
                    what: p.what.clone(),
                    error: p.error.clone(),
                })
                .collect(),
        }
    }
}

/// How [`run`] loops.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Pause between ticks.
    pub poll: Duration,
    /// Longest pause after repeated failures (the pause doubles per failure up to this).
    pub max_backoff: Duration,
    /// Stop after this many ticks (tests, one-shot runs); `None` runs forever.
    pub max_ticks: Option<u64>,
}

/// Runs `node` against `chain`: a tick, publish the status, sleep; failures are logged and
/// retried with exponential backoff (the node never exits because the chain is unreachable,
/// slow, or answers garbage). Returns only after `max_ticks`, or on a state-file failure
/// (continuing could lose a claim).
///
/// # Errors
/// [`NodeError::State`] when the state cannot be written.
pub fn run(
    node: &mut Node,
    chain: &mut dyn Chain,
    opts: &RunOptions,
    status: Option<&SharedStatus>,
) -> Result<()> {
    let mut failures: u32 = 0;
    let mut ticks = 0u64;
    loop {
        let chain_ok = match node.tick(chain) {
            Ok(_) => {
                failures = 0;
                true
            }
            Err(e @ NodeError::State { .. }) => {
                tracing::error!(error = %e, "cannot write the node state: stopping");
                return Err(e);
            }
            Err(e) => {
                failures = failures.saturating_add(1);
                // Log the first failure of a streak, then every 20th (a halted node or a down
                // endpoint would otherwise flood the log).
                if failures == 1 || failures.is_multiple_of(20) {
                    tracing::warn!(error = %e, failures, "tick failed; retrying");
                }
                !e.is_transient()
            }
        };
        if let Some(s) = status {
            let snapshot = if chain_ok {
                node.status(Some(chain))
            } else {
                node.status(None)
            };
            s.publish(snapshot);
        }
        ticks += 1;
        if opts.max_ticks.is_some_and(|m| ticks >= m) {
            return Ok(());
        }
        let factor = 1u32 << failures.min(6);
        let pause = opts
            .poll
            .saturating_mul(factor)
            .min(opts.max_backoff.max(opts.poll));
        std::thread::sleep(pause);
    }
}

//! The node's core: one [`Node::tick`] reads the contracts' new logs, then answers requests,
//! checks claims, plays games, defends claims, settles, reopens and withdraws — each step
//! against `&mut dyn Chain`, so tests drive it on the in-process chain without threads and the
//! CLI drives it against a JSON-RPC node in a loop ([`run`]).

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
use verinfer_opml::facts::model_opening;
use verinfer_opml::{
    lying_execution, Challenger, ChallengerStrategy, ClaimStatus, Execution, GameConfig, Phase,
    Submitter, SubmitterStrategy, TraceLie,
};
use verinfer_oracle::RequestStatus;
use verinfer_zk::evm::{check_on_chain, proof_words};
use verinfer_zk::groth16::os_rng;
use verinfer_zk::{Groth16, ProofSystem};

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

mod reorg;

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

    // ------------------------------------------------------------------ logs

    /// Reads the logs of the game and the oracle from `next_block` up to the last confirmed
    /// block, in bounded pages, and records what they say (every handler is idempotent: a
    /// block read twice changes nothing). The hash of the last block read is kept to notice
    /// a reorganisation; a block replaced while its logs were being read is read again.
    fn sync(&mut self, chain: &mut dyn Chain, head: BlockInfo) -> Result<()> {
        let from = self.state.next_block;
        let Some(to) = head.number.checked_sub(self.cfg.confirmations) else {
            return Ok(());
        };
        if from > to {
            return Ok(());
        }
        let before = chain.block_hash(to)?;
        let game_logs = self.read_logs(chain, self.contracts.game.address, from, to)?;
        let oracle_logs = self.read_logs(chain, self.contracts.oracle.address, from, to)?;
        if chain.block_hash(to)? != before {
            tracing::warn!(
                block = to,
                "block replaced while its logs were read: reading again"
            );
            return Ok(());
        }
        // Game first: an answer names a claim that must already be known.
        for l in &game_logs {
            if let Ok(ev) = InferenceGameEvents::decode_log(&l.log) {
                self.on_game_event(ev.data, l.block_number);
            }
        }
        for l in &oracle_logs {
            if let Ok(ev) = InferenceOracleEvents::decode_log(&l.log) {
                self.on_oracle_event(ev.data);
            }
        }
        // Block `to` is read again next tick: on the in-process chain the head block still
        // takes transactions (every handler is idempotent, so twice changes nothing).
        self.state.next_block = self.state.next_block.max(to);
        self.remember_synced(chain, to)
    }

    fn read_logs(
        &mut self,
        chain: &mut dyn Chain,
        address: alloy_primitives::Address,
        from: u64,
        to: u64,
    ) -> Result<Vec<ChainLog>> {
        Ok(self.pager.read(chain, address, from, to)?)
    }

    fn on_game_event(&mut self, ev: InferenceGameEvents, block: u64) {
        let me = self.cfg.account;
        match ev {
            InferenceGameEvents::ClaimSubmitted(e) => {
                let Ok(id) = u64::try_from(e.claimId) else {
                    return;
                };
                if e.submitter == me {
                    self.adopt_claim(id, e.modelId, e.traceRoot, block);
                } else if self.models.holds(&e.modelId) && !self.state.checked.contains_key(&id) {
                    tracing::info!(claim = id, submitter = %e.submitter, model = %e.modelId, "claim to check");
                    self.state.checked.insert(
                        id,
                        CheckedClaim {
                            model: e.modelId,
                            submitter: e.submitter,
                            block,
                            inputs_hash: roots_hash(&e.inputRoots),
                            posted_inputs: !e.inputs.is_empty(),
                            input_request: None,
                            verdict: Verdict::Unchecked,
                            game: None,
                            challenging: false,
                            note: None,
                        },
                    );
                }
            }
            InferenceGameEvents::GameOpened(e) => {
                let (Ok(game), Ok(claim)) = (u64::try_from(e.gameId), u64::try_from(e.claimId))
                else {
                    return;
                };
                if e.challenger == me {
                    self.state.games.entry(game).or_insert_with(|| OwnGame {
                        claim,
                        phase: "NodeReveal".into(),
                        over: false,
                    });
                    if let Some(c) = self.state.checked.get_mut(&claim) {
                        c.game = Some(game);
                        c.challenging = false;
                    }
                } else if self.state.claims.contains_key(&claim) {
                    tracing::warn!(game, claim, challenger = %e.challenger, "our claim is challenged");
                }
            }
            InferenceGameEvents::ClaimRejected(e) => {
                let Ok(claim) = u64::try_from(e.claimId) else {
                    return;
                };
                if let Some(c) = self.state.claims.get_mut(&claim) {
                    c.status = OwnClaimStatus::Rejected;
                }
                if let Some(reqs) = self.state.claim_requests.get(&claim) {
                    self.state.reopen.extend(reqs.iter().copied());
                }
            }
            InferenceGameEvents::ClaimFinalized(e) => {
                let Ok(claim) = u64::try_from(e.claimId) else {
                    return;
                };
                if let Some(c) = self.state.claims.get_mut(&claim) {
                    c.status = OwnClaimStatus::Finalized;
                }
            }
            _ => {}
        }
    }

    /// Records a claim posted from our address (idempotent): its trace is the one the intent
    /// saved, or the file named by its trace root.
    fn adopt_claim(&mut self, id: u64, model: B256, trace_root: B256, block: u64) {
        if self
            .state
            .claims
            .get(&id)
            .is_some_and(|c| c.status != OwnClaimStatus::Vanished)
        {
            return;
        }
        let intent = self
            .state
            .intents
            .iter()
            .find(|i| i.trace_root == trace_root)
            .cloned();
        let (trace_file, lie) = match intent {
            Some(i) => (i.trace_file, i.lie),
            None => (self.traces_dir().join(format!("{trace_root}.trace")), false),
        };
        if !trace_file.exists() {
            tracing::error!(
                claim = id,
                %trace_root,
                "a claim from our address whose trace is not kept here: it cannot be defended"
            );
        } else {
            tracing::info!(claim = id, %trace_root, "claim recorded");
        }
        self.state.intents.retain(|i| i.trace_root != trace_root);
        self.state.claims.insert(
            id,
            OwnClaim {
                model,
                trace_root,
                trace_file,
                block,
                requests: BTreeSet::new(),
                settled: BTreeSet::new(),
                status: OwnClaimStatus::Pending,
                lie,
            },
        );
    }

    fn on_oracle_event(&mut self, ev: InferenceOracleEvents) {
        let me = self.cfg.account;
        let id = |v: U256| u64::try_from(v).ok();
        match ev {
            InferenceOracleEvents::Requested(e) => {
                let Some(req) = id(e.requestId) else { return };
                if !self.models.holds(&e.modelId) {
                    tracing::debug!(request = req, model = %e.modelId, "request on a model we do not hold");
                    return;
                }
                self.state.requests.entry(req).or_insert_with(|| {
                    tracing::info!(request = req, model = %e.modelId, requester = %e.requester, "request");
                    RequestRec {
                        model: e.modelId,
                        inputs_hash: roots_hash(&e.inputRoots),
                        state: RequestState::Todo,
                        claims: Vec::new(),
                        lied: false,
                        note: None,
                    }
                });
            }
            InferenceOracleEvents::AnsweredWithClaim(e) => {
                let (Some(req), Some(claim)) = (id(e.requestId), id(e.claimId)) else {
                    return;
                };
                let ours = e.answerer == me;
                if let Some(rec) = self.state.requests.get_mut(&req) {
                    if !rec.claims.contains(&claim) {
                        rec.claims.push(claim);
                    }
                    rec.state = RequestState::Claimed { claim, ours };
                    self.state
                        .claim_requests
                        .entry(claim)
                        .or_default()
                        .insert(req);
                }
                if ours {
                    if let Some(c) = self.state.claims.get_mut(&claim) {
                        c.requests.insert(req);
                    }
                }
            }
            InferenceOracleEvents::AnsweredWithProof(e) => {
                let Some(req) = id(e.requestId) else { return };
                if let Some(rec) = self.state.requests.get_mut(&req) {
                    rec.state = RequestState::Fulfilled {
                        via_proof: true,
                        ours: e.answerer == me,
                    };
                }
            }
            InferenceOracleEvents::Fulfilled(e) => {
                let Some(req) = id(e.requestId) else { return };
                let ours = e.answerer == me;
                if let Some(rec) = self.state.requests.get_mut(&req) {
                    let via_proof = matches!(
                        rec.state,
                        RequestState::Fulfilled {
                            via_proof: true,
                            ..
                        }
                    );
                    if !via_proof {
                        if let Some(claim) = rec.claims.last() {
                            if let Some(c) = self.state.claims.get_mut(claim) {
                                c.settled.insert(req);
                            }
                        }
                    }
                    rec.state = RequestState::Fulfilled { via_proof, ours };
                }
            }
            InferenceOracleEvents::Cancelled(e) => {
                let Some(req) = id(e.requestId) else { return };
                if let Some(rec) = self.state.requests.get_mut(&req) {
                    rec.state = RequestState::Cancelled;
                }
            }
            _ => {}
        }
    }

    // ------------------------------------------------------------------ answering

    fn answer_requests(&mut self, chain: &mut dyn Chain, head: BlockInfo) -> Result<()> {
        let todo: Vec<u64> = self
            .state
            .requests
            .iter()
            .filter(|(_, r)| r.state == RequestState::Todo)
            .map(|(id, _)| *id)
            .collect();
        for id in todo {
            if let Err(e) = self.answer(chain, head, id) {
                if let Some(rec) = self.state.requests.get_mut(&id) {
                    rec.note = Some(e.to_string());
                }
                self.soft(head, &format!("answering request {id}"), e)?;
            }
        }
        Ok(())
    }

    fn answer(&mut self, chain: &mut dyn Chain, head: BlockInfo, id: u64) -> Result<()> {
        let me = self.cfg.account;
        let oracle = self.contracts.oracle;
        let r = oracle.get_request(chain, id)?;
        let Some(rec) = self.state.requests.get(&id).cloned() else {
            return Ok(());
        };
        match RequestStatus::from_u8(r.status)? {
            RequestStatus::Open => {}
            RequestStatus::Claimed => {
                // Answers stand side by side: answer again only once the latest was rejected.
                let claim = u64_of(r.claimId, "claim id")?;
                if self.contracts.game.status(chain, claim)? != ClaimStatus::Rejected {
                    let ours = self.state.claims.contains_key(&claim);
                    self.set_request(id, RequestState::Claimed { claim, ours });
                    return Ok(());
                }
            }
            RequestStatus::Fulfilled => {
                self.set_request(
                    id,
                    RequestState::Fulfilled {
                        via_proof: r.viaProof,
                        ours: r.answerer == me,
                    },
                );
                return Ok(());
            }
            RequestStatus::Cancelled => {
                self.set_request(id, RequestState::Cancelled);
                return Ok(());
            }
            RequestStatus::None => {
                self.skip_request(head, id, "the oracle has no such request".into());
                return Ok(());
            }
        }
        if r.modelId != rec.model || r.inputsHash != rec.inputs_hash {
            // The request of this id is not the one its log described: the log was replaced
            // by a reorganisation. Forget the record; the logs read again bring the new one.
            tracing::warn!(
                request = id,
                "the oracle's request is not the one its log said (a reorganisation?): \
                 forgetting it"
            );
            self.state.requests.remove(&id);
            return Ok(());
        }
        if self.cfg.lie && rec.lied {
            return Ok(());
        }
        if head.timestamp < r.createdAt.saturating_add(self.cfg.answer_delay_secs) {
            return Ok(());
        }
        if let Err(why) = self.worth_answering(chain, &r)? {
            if rec.note.as_deref() != Some(why.as_str()) {
                tracing::info!(request = id, fee_wei = %r.fee, "request not answered: {why}");
                if let Some(rec) = self.state.requests.get_mut(&id) {
                    rec.note = Some(why);
                }
            }
            return Ok(());
        }
        let input = oracle.input_of(chain, id)?;
        let Some(held) = self.models.get(&rec.model) else {
            return Ok(());
        };
        let graph = held.graph.clone();
        let exec = if self.cfg.lie {
            lying_execution(graph.clone(), &input, the_lie(&graph))
        } else {
            Execution::run(graph, &input)
        };
        let exec = match exec {
            Ok(e) => e,
            Err(e) => {
                self.skip_request(
                    head,
                    id,
                    format!("its input does not run on model {}: {e}", rec.model),
                );
                return Ok(());
            }
        };
        if self.cfg.mode == Mode::Zk && !self.cfg.lie {
            match self.try_zk(chain, id, &r, &input, &exec) {
                Ok(true) => return Ok(()),
                Ok(false) => {}
                // Only a failure of the proof itself (the prover, or a verifier that rejects
                // it) is a reason to answer optimistically; a chain that did not answer is
                // retried (the tick aborts and backs off), anything else is this request's
                // problem for now.
                Err(e) if !e.is_permanent_zk() => return Err(e),
                Err(e) => {
                    tracing::warn!(request = id, error = %e, "zk answer failed: answering optimistically");
                    self.state.problem(
                        head.number,
                        &format!("zk answer of request {id}"),
                        &e.to_string(),
                    );
                }
            }
        }
        if self.cfg.lie {
            if let Some(rec) = self.state.requests.get_mut(&id) {
                rec.lied = true;
            }
            self.save()?;
        }
        let claim = self.claim_for(chain, exec, id)?;
        tracing::info!(
            request = id,
            claim,
            lie = self.cfg.lie,
            "answered with a claim"
        );
        if let Some(c) = self.state.claims.get_mut(&claim) {
            c.requests.insert(id);
        }
        self.state
            .claim_requests
            .entry(claim)
            .or_default()
            .insert(id);
        if let Some(rec) = self.state.requests.get_mut(&id) {
            if !rec.claims.contains(&claim) {
                rec.claims.push(claim);
            }
            rec.state = RequestState::Claimed { claim, ours: true };
            rec.note = None;
        }
        self.save()
    }

    /// Whether answering `r` pays (the policy); `Ok(Err(why))` when it does not.
    fn worth_answering(
        &mut self,
        chain: &mut dyn Chain,
        r: &InferenceOracle::Request,
    ) -> Result<std::result::Result<(), String>> {
        let zk = self.cfg.mode == Mode::Zk
            && !self.cfg.lie
            && self
                .models
                .get(&r.modelId)
                .and_then(|m| m.keys.as_ref())
                .is_some_and(|k| k.oracle_compatible());
        let offer = Offer {
            fee: r.fee,
            owner_share_bps: self.owner_share_bps,
            callback_gas: if r.callback.is_zero() {
                0
            } else {
                r.callbackGasLimit
            },
            gas_price: chain.gas_price()?,
            zk,
        };
        Ok(self.cfg.policy.judge(&offer))
    }

    fn set_request(&mut self, id: u64, s: RequestState) {
        if let Some(rec) = self.state.requests.get_mut(&id) {
            rec.state = s;
        }
    }

    fn skip_request(&mut self, head: BlockInfo, id: u64, why: String) {
        tracing::warn!(request = id, "request skipped: {why}");
        self.state
            .problem(head.number, &format!("request {id}"), &why);
        if let Some(rec) = self.state.requests.get_mut(&id) {
            rec.state = RequestState::Skipped;
            rec.note = Some(why);
        }
    }

    /// Answers `id` with a Groth16 proof if this model can be (keys, a verifier registered at
    /// the request's configuration version, a proof the verifier accepts in a free call).
    /// `Ok(false)`: not possible, answer optimistically.
    fn try_zk(
        &mut self,
        chain: &mut dyn Chain,
        id: u64,
        r: &InferenceOracle::Request,
        input: &[Vec<i32>],
        exec: &Execution,
    ) -> Result<bool> {
        let me = self.cfg.account;
        let oracle = self.contracts.oracle;
        let model = r.modelId;
        let Some(held) = self.models.get_mut(&model) else {
            return Ok(false);
        };
        let Some(keys) = held.keys.as_mut() else {
            tracing::info!(request = id, %model, "no zk keys for this model: answering optimistically");
            return Ok(false);
        };
        if !keys.oracle_compatible() {
            return Ok(false);
        }
        if r.zkVersion == 0 {
            tracing::info!(
                request = id,
                "the request accepts no zk answer: answering optimistically"
            );
            return Ok(false);
        }
        let Some((settings, version)) = oracle.zk_config_at(chain, model, r.zkVersion)? else {
            tracing::info!(request = id, %model, "the request's zk configuration is unknown: answering optimistically");
            return Ok(false);
        };
        let vis = keys.visibility;
        let started = std::time::Instant::now();
        let pk = keys.proving_key()?;
        let (proof, public) =
            Groth16::prove_with(pk, &held.graph, vis, exec.values().to_vec(), &mut os_rng())?;
        let outputs = outputs_of(exec);
        if public.outputs != outputs {
            return Err(NodeError::Zk(
                "the proof states other outputs than the execution".into(),
            ));
        }
        let words = proof_words(&proof);
        let inputs = oracle.zk_public_inputs(chain, model, version, input, &outputs)?;
        if !check_on_chain(chain, me, settings.verifier, &words, &inputs)? {
            return Err(NodeError::Zk(format!(
                "the registered verifier {} rejects our proof (keys from another setup?)",
                settings.verifier
            )));
        }
        let s = oracle.answer_with_proof(chain, me, id, &outputs, words)?;
        record_tx(&mut self.state, &mut self.sent, &s.receipt);
        tracing::info!(
            request = id,
            prove_ms = started.elapsed().as_millis() as u64,
            callback = ?s.callback,
            "answered with a proof (fulfilled)"
        );
        self.set_request(
            id,
            RequestState::Fulfilled {
                via_proof: true,
                ours: true,
            },
        );
        self.withdraw_due = true;
        Ok(true)
    }

    /// A pending claim of ours on this trace, or a new one. A new claim is posted in the order
    /// that survives a crash anywhere: trace saved, intent recorded (saved), claim sent, claim
    /// recorded (saved).
    fn claim_for(&mut self, chain: &mut dyn Chain, exec: Execution, request: u64) -> Result<u64> {
        let me = self.cfg.account;
        let game = self.contracts.game;
        let root = b256(exec.trace().root().hash());
        let model = b256(exec.model().model_id.hash());
        if !game.knows_model(chain, model)? {
            let opening = model_opening(exec.graph(), exec.model())?;
            let r = game.learn_model(chain, me, model, opening)?;
            record_tx(&mut self.state, &mut self.sent, &r);
        }
        let dir = self.traces_dir();
        let trace_path = dir.join(format!("{root}.trace"));
        std::fs::create_dir_all(&dir).map_err(|e| NodeError::State {
            path: dir.clone(),
            message: e.to_string(),
        })?;
        trace_file::save(&trace_path, exec.model().model_id, exec.values()).map_err(|e| {
            NodeError::State {
                path: trace_path.clone(),
                message: e.to_string(),
            }
        })?;
        self.state.intents.retain(|i| i.trace_root != root);
        self.state.intents.push(ClaimIntent {
            model,
            trace_root: root,
            trace_file: trace_path.clone(),
            request,
            lie: self.cfg.lie,
        });
        self.save()?;
        let mut submitter = Submitter::new(exec, me, SubmitterStrategy::Honest);
        // The claim answers the request in the same call (`claimAndCall`), bound to us.
        let listener = self.contracts.oracle.address;
        let (id, receipt) =
            match submitter.claim_and_call(chain, &game, &self.game_cfg, listener, request) {
                Ok(x) => x,
                Err(e) => {
                    let e = NodeError::from(e);
                    if e.is_refusal() {
                        // Nothing was posted: forget the intent.
                        self.state.intents.retain(|i| i.trace_root != root);
                    }
                    return Err(e);
                }
            };
        record_tx(&mut self.state, &mut self.sent, &receipt);
        self.adopt_claim(id, model, root, receipt.block_number);
        self.save()?;
        submitter.logs_from = receipt.block_number;
        self.submitters.insert(id, submitter);
        Ok(id)
    }

    // ------------------------------------------------------------------ policing

    fn check_claims(&mut self, chain: &mut dyn Chain, head: BlockInfo) -> Result<()> {
        let ids: Vec<u64> = self
            .state
            .checked
            .iter()
            .filter(|(_, c)| {
                matches!(c.verdict, Verdict::Unchecked | Verdict::AwaitingInput)
                    || (c.verdict == Verdict::Wrong && c.game.is_none() && c.challenging)
            })
            .map(|(id, _)| *id)
            .collect();
        for id in ids {
            if let Err(e) = self.check(chain, head, id) {
                if let Some(c) = self.state.checked.get_mut(&id) {
                    c.note = Some(e.to_string());
                }
                self.soft(head, &format!("checking claim {id}"), e)?;
            }
        }
        Ok(())
    }

    /// The input a claim is about: posted with it, or the input of the request with the same
    /// input roots. `None`: not known (yet).
    fn claim_input(
        &mut self,
        chain: &mut dyn Chain,
        id: u64,
    ) -> Result<Option<(Vec<Vec<i32>>, InferenceGame::ClaimSubmitted)>> {
        let Some(c) = self.state.checked.get(&id).cloned() else {
            return Ok(None);
        };
        let ev = chain
            .logs(self.contracts.game.address, c.block)?
            .iter()
            .filter_map(|l| InferenceGameEvents::decode_log(&l.log).ok())
            .find_map(|e| match e.data {
                InferenceGameEvents::ClaimSubmitted(s) if s.claimId == U256::from(id) => Some(s),
                _ => None,
            })
            .ok_or_else(|| {
                NodeError::Chain(ChainError::Decode {
                    what: format!("claim {id}"),
                    message: format!("no ClaimSubmitted log at block {} or later", c.block),
                })
            })?;
        if !ev.inputs.is_empty() {
            return Ok(Some((ev.inputs.clone(), ev)));
        }
        let req = match c.input_request {
            Some(r) => Some(r),
            None => self
                .state
                .requests
                .iter()
                .find(|(_, r)| r.inputs_hash == c.inputs_hash && r.model == c.model)
                .map(|(id, _)| *id),
        };
        let Some(req) = req else {
            return Ok(None);
        };
        if let Some(cc) = self.state.checked.get_mut(&id) {
            cc.input_request = Some(req);
        }
        let input = self.contracts.oracle.input_of(chain, req)?;
        Ok(Some((input, ev)))
    }

    fn check(&mut self, chain: &mut dyn Chain, head: BlockInfo, id: u64) -> Result<()> {
        let me = self.cfg.account;
        let game = self.contracts.game;
        let Some(c) = self.state.checked.get(&id).cloned() else {
            return Ok(());
        };
        let set = |s: &mut NodeState, v: Verdict, note: Option<String>| {
            if let Some(c) = s.checked.get_mut(&id) {
                c.verdict = v;
                c.note = note;
            }
        };
        let status = game.status(chain, id)?;
        if status != ClaimStatus::Pending {
            let v = if c.verdict == Verdict::Wrong {
                Verdict::Wrong
            } else {
                Verdict::Skipped
            };
            set(
                &mut self.state,
                v,
                Some(format!("{status:?} before we could check it")),
            );
            if let Some(cc) = self.state.checked.get_mut(&id) {
                cc.challenging = false;
            }
            return Ok(());
        }
        let Some((input, ev)) = self.claim_input(chain, id)? else {
            if c.verdict != Verdict::AwaitingInput {
                tracing::info!(
                    claim = id,
                    "claim posted no input and no request has its input roots: waiting"
                );
            }
            set(&mut self.state, Verdict::AwaitingInput, None);
            return Ok(());
        };
        let Some(held) = self.models.get(&c.model) else {
            return Ok(());
        };
        let exec = match Execution::run(held.graph.clone(), &input) {
            Ok(e) => e,
            Err(e) => {
                let why = format!("its input does not run on the model: {e}");
                tracing::warn!(claim = id, "claim not checked: {why}");
                set(&mut self.state, Verdict::Skipped, Some(why));
                return Ok(());
            }
        };
        let ours = exec.trace().value_roots();
        let inputs_match = ev.inputRoots.len() <= ours.len()
            && ev
                .inputRoots
                .iter()
                .zip(ours)
                .all(|(theirs, o)| theirs.0 == o.to_bytes());
        if !inputs_match {
            let why = "the input found does not have the claim's input roots".to_string();
            tracing::warn!(claim = id, "claim not checked: {why}");
            set(&mut self.state, Verdict::Skipped, Some(why));
            return Ok(());
        }
        if ev.traceRoot == b256(exec.trace().root().hash()) {
            tracing::info!(claim = id, submitter = %c.submitter, "claim checked: correct");
            set(&mut self.state, Verdict::Correct, None);
            return Ok(());
        }
        let info = game.claim_info(chain, id)?;
        let as_logged = info.submitter == ev.submitter
            && info.modelId == ev.modelId
            && info.traceRoot == ev.traceRoot
            && c.submitter == ev.submitter
            && c.model == ev.modelId
            && c.inputs_hash == info.inputsHash;
        if !as_logged {
            // The claim of this id is not the one we recorded (its log was replaced by a
            // reorganisation): challenging it would put our bond on someone else's claim.
            tracing::warn!(
                claim = id,
                "the game's claim is not the one its log said (a reorganisation?): forgetting it"
            );
            self.state.checked.remove(&id);
            return Ok(());
        }
        if head.timestamp > info.windowEnd {
            tracing::warn!(claim = id, "claim is wrong but its window has closed");
            set(
                &mut self.state,
                Verdict::Wrong,
                Some("its window closed before we could challenge".into()),
            );
            if let Some(cc) = self.state.checked.get_mut(&id) {
                cc.challenging = false;
            }
            return Ok(());
        }
        tracing::warn!(claim = id, submitter = %c.submitter, "claim is WRONG: challenging");
        if let Some(cc) = self.state.checked.get_mut(&id) {
            cc.verdict = Verdict::Wrong;
            cc.challenging = true;
            cc.note = None;
        }
        self.save()?;
        let bond = self.game_cfg.challenger_bond;
        let (game_id, receipt) = match game.challenge(chain, me, bond, id) {
            Ok(x) => x,
            Err(e) => {
                let e = NodeError::from(e);
                if e.is_refusal() {
                    if let Some(cc) = self.state.checked.get_mut(&id) {
                        cc.challenging = false;
                    }
                }
                return Err(e);
            }
        };
        record_tx(&mut self.state, &mut self.sent, &receipt);
        tracing::info!(game = game_id, claim = id, "game opened");
        self.state.games.entry(game_id).or_insert_with(|| OwnGame {
            claim: id,
            phase: "NodeReveal".into(),
            over: false,
        });
        if let Some(cc) = self.state.checked.get_mut(&id) {
            cc.game = Some(game_id);
            cc.challenging = false;
        }
        self.save()?;
        self.challengers.insert(
            game_id,
            Challenger::new(exec, me, ChallengerStrategy::Honest)
                .with_logs_from(receipt.block_number),
        );
        Ok(())
    }

    /// The challenger of `game_id`, rebuilt by re-executing the claim's input if needed.
    fn ensure_challenger(&mut self, chain: &mut dyn Chain, game_id: u64) -> Result<bool> {
        if self.challengers.contains_key(&game_id) {
            return Ok(true);
        }
        let Some(g) = self.state.games.get(&game_id).cloned() else {
            return Ok(false);
        };
        let Some(c) = self.state.checked.get(&g.claim).cloned() else {
            return Err(NodeError::Missing(format!(
                "game {game_id} is on claim {}, which this node has no record of",
                g.claim
            )));
        };
        let Some((input, _)) = self.claim_input(chain, g.claim)? else {
            return Err(NodeError::Missing(format!(
                "the input of claim {} is not known any more",
                g.claim
            )));
        };
        let Some(held) = self.models.get(&c.model) else {
            return Err(NodeError::Missing(format!(
                "model {} of claim {} is not held any more",
                c.model, g.claim
            )));
        };
        let exec = Execution::run(held.graph.clone(), &input)?;
        tracing::info!(game = game_id, claim = g.claim, "challenger rebuilt");
        // The game was opened after the claim: its logs start at the claim's block or later.
        self.challengers.insert(
            game_id,
            Challenger::new(exec, self.cfg.account, ChallengerStrategy::Honest)
                .with_logs_from(c.block),
        );
        Ok(true)
    }

    fn play_games(&mut self, chain: &mut dyn Chain, head: BlockInfo) -> Result<()> {
        let open: Vec<u64> = self
            .state
            .games
            .iter()
            .filter(|(_, g)| !g.over)
            .map(|(id, _)| *id)
            .collect();
        for id in open {
            if let Err(e) = self.play_one(chain, id) {
                self.soft(head, &format!("playing game {id}"), e)?;
            }
        }
        Ok(())
    }

    fn play_one(&mut self, chain: &mut dyn Chain, id: u64) -> Result<()> {
        if !self.ensure_challenger(chain, id)? {
            return Ok(());
        }
        let game = self.contracts.game;
        let Node {
            challengers,
            state,
            sent,
            ..
        } = self;
        let Some(ch) = challengers.get_mut(&id) else {
            return Ok(());
        };
        let phase = play(chain, &game, ch, id, None, &mut |r| {
            record_tx(state, sent, r)
        })?;
        let Some(g) = self.state.games.get_mut(&id) else {
            return Ok(());
        };
        g.phase = format!("{phase:?}");
        if phase.is_over() {
            g.over = true;
            let claim = g.claim;
            tracing::info!(game = id, claim, outcome = ?phase, "game over");
            self.withdraw_due = true;
            self.challengers.remove(&id);
            if phase == Phase::ChallengerWon {
                if let Some(reqs) = self.state.claim_requests.get(&claim) {
                    self.state.reopen.extend(reqs.iter().copied());
                }
            }
        }
        self.save()
    }

    // ------------------------------------------------------------------ our claims

    fn ensure_submitter(&mut self, id: u64) -> Result<bool> {
        if self.submitters.contains_key(&id) {
            return Ok(true);
        }
        if self.unloadable.contains(&id) {
            return Ok(false);
        }
        let Some(c) = self.state.claims.get(&id).cloned() else {
            return Ok(false);
        };
        let load = || -> Result<Execution> {
            let held = self.models.get(&c.model).ok_or_else(|| {
                NodeError::Missing(format!("model {} is not held any more", c.model))
            })?;
            let model_id = verinfer_commit::ModelCommitment::new(&held.graph).model_id;
            let t = trace_file::load_for(&c.trace_file, &held.graph, model_id).map_err(|e| {
                NodeError::State {
                    path: c.trace_file.clone(),
                    message: e.to_string(),
                }
            })?;
            let exec = Execution::from_values(held.graph.clone(), t.values)?;
            if b256(exec.trace().root().hash()) != c.trace_root {
                return Err(NodeError::Missing(format!(
                    "{} is not the trace of claim {id}",
                    c.trace_file.display()
                )));
            }
            Ok(exec)
        };
        match load() {
            Ok(exec) => {
                tracing::info!(claim = id, trace = %c.trace_file.display(), "submitter rebuilt from the trace file");
                let mut sub = Submitter::new(exec, self.cfg.account, SubmitterStrategy::Honest);
                sub.logs_from = c.block;
                self.submitters.insert(id, sub);
                Ok(true)
            }
            Err(e) => {
                self.unloadable.insert(id);
                tracing::error!(claim = id, error = %e, "cannot defend our claim");
                Err(NodeError::Missing(format!("cannot defend claim {id}: {e}")))
            }
        }
    }

    fn defend_claims(&mut self, chain: &mut dyn Chain, head: BlockInfo) -> Result<()> {
        let pending: Vec<u64> = self
            .state
            .claims
            .iter()
            .filter(|(_, c)| c.status == OwnClaimStatus::Pending)
            .map(|(id, _)| *id)
            .collect();
        for id in pending {
            if let Err(e) = self.defend_one(chain, id) {
                self.soft(head, &format!("defending claim {id}"), e)?;
            }
        }
        let to_settle: Vec<u64> = self
            .state
            .claims
            .iter()
            .filter(|(_, c)| {
                c.status == OwnClaimStatus::Finalized
                    && c.requests.difference(&c.settled).count() > 0
            })
            .map(|(id, _)| *id)
            .collect();
        for id in to_settle {
            if let Err(e) = self.settle_claim(chain, id) {
                self.soft(head, &format!("settling the requests of claim {id}"), e)?;
            }
        }
        Ok(())
    }

    fn defend_one(&mut self, chain: &mut dyn Chain, id: u64) -> Result<()> {
        if !self.ensure_submitter(id)? {
            return Ok(());
        }
        let game = self.contracts.game;
        let Node {
            submitters,
            state,
            sent,
            ..
        } = self;
        let Some(sub) = submitters.get_mut(&id) else {
            return Ok(());
        };
        let status = defend(chain, &game, sub, id, None, &mut |r| {
            record_tx(state, sent, r)
        })?;
        let new = match status {
            ClaimStatus::Finalized => OwnClaimStatus::Finalized,
            ClaimStatus::Rejected => OwnClaimStatus::Rejected,
            _ => return Ok(()),
        };
        if let Some(c) = self.state.claims.get_mut(&id) {
            c.status = new;
            if new == OwnClaimStatus::Rejected {
                tracing::warn!(claim = id, lie = c.lie, "our claim was rejected");
                let reqs: Vec<u64> = c.requests.iter().copied().collect();
                self.state.reopen.extend(reqs);
            } else {
                tracing::info!(claim = id, "our claim is final");
            }
        }
        self.submitters.remove(&id);
        self.withdraw_due = true;
        self.save()
    }

    fn settle_claim(&mut self, chain: &mut dyn Chain, id: u64) -> Result<()> {
        let me = self.cfg.account;
        let oracle = self.contracts.oracle;
        let Some(c) = self.state.claims.get(&id).cloned() else {
            return Ok(());
        };
        for req in c.requests.difference(&c.settled) {
            let r = oracle.get_request(chain, *req)?;
            let status = RequestStatus::from_u8(r.status)?;
            let answers = oracle.claims_of(chain, *req)?.contains(&id);
            match status {
                RequestStatus::Claimed if answers => {
                    let outputs = self.contracts.game.claim_event(chain, id, c.block)?.outputs;
                    let s = oracle.settle(chain, me, *req, &outputs)?;
                    record_tx(&mut self.state, &mut self.sent, &s.receipt);
                    tracing::info!(
                        request = req,
                        claim = id,
                        paid_wei = %s.answerer_share,
                        callback = ?s.callback,
                        "request settled"
                    );
                    if let Some(cc) = self.state.claims.get_mut(&id) {
                        cc.settled.insert(*req);
                    }
                    self.set_request(
                        *req,
                        RequestState::Fulfilled {
                            via_proof: false,
                            ours: true,
                        },
                    );
                    self.withdraw_due = true;
                    self.save()?;
                }
                RequestStatus::Fulfilled if answers && r.claimId == U256::from(id) => {
                    if let Some(cc) = self.state.claims.get_mut(&id) {
                        cc.settled.insert(*req);
                    }
                }
                _ => {
                    // The request is no longer answered by this claim (another answer won the
                    // race): nothing to settle through it.
                    if let Some(cc) = self.state.claims.get_mut(&id) {
                        cc.requests.remove(req);
                    }
                }
            }
        }
        Ok(())
    }

    /// Requests whose answering claim was rejected go back to the answer queue (the oracle
    /// takes further answers while an answer stands; nothing to send to reopen them).
    fn reopen_requests(&mut self, chain: &mut dyn Chain, head: BlockInfo) -> Result<()> {
        let oracle = self.contracts.oracle;
        let game = self.contracts.game;
        let due: Vec<u64> = self.state.reopen.iter().copied().collect();
        for req in due {
            let go = (|| -> Result<bool> {
                let r = oracle.get_request(chain, req)?;
                if RequestStatus::from_u8(r.status)? != RequestStatus::Claimed {
                    return Ok(false);
                }
                let claim = u64_of(r.claimId, "claim id")?;
                Ok(game.status(chain, claim)? == ClaimStatus::Rejected)
            })();
            match go {
                Ok(again) => {
                    self.state.reopen.remove(&req);
                    if again {
                        tracing::info!(request = req, "its answer was rejected: answering again");
                        self.set_request(req, RequestState::Todo);
                    }
                    self.save()?;
                }
                Err(e) => self.soft(head, &format!("re-answering request {req}"), e)?,
            }
        }
        Ok(())
    }

    fn maybe_withdraw(&mut self, chain: &mut dyn Chain, head: BlockInfo) -> Result<()> {
        let every = self.cfg.withdraw_every.max(1);
        if !self.withdraw_due && !self.ticks.is_multiple_of(every) {
            return Ok(());
        }
        let me = self.cfg.account;
        let game = self.contracts.game;
        let oracle = self.contracts.oracle;
        let owed_game = game.owed(chain, me)?;
        if owed_game > U256::ZERO {
            match game.withdraw(chain, me) {
                Ok(r) => {
                    record_tx(&mut self.state, &mut self.sent, &r);
                    tracing::info!(amount_wei = %owed_game, "withdrew from the game");
                }
                Err(e) => self.soft(head, "withdrawing from the game", e.into())?,
            }
        }
        let owed_oracle = oracle.owed(chain, me)?;
        if owed_oracle > U256::ZERO {
            match oracle.withdraw(chain, me) {
                Ok(r) => {
                    record_tx(&mut self.state, &mut self.sent, &r);
                    tracing::info!(amount_wei = %owed_oracle, "withdrew from the oracle");
                }
                Err(e) => self.soft(head, "withdrawing from the oracle", e.into())?,
            }
        }
        self.withdraw_due = false;
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
                    verdict: format!("{:?}", c.verdict).to_lowercase(),
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

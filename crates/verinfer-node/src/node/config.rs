//! How a node is configured: its answer mode and everything the CLI's flags set.

use super::*;

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
    /// The execution it claims for a request: [`Honest`] unless a demo or a test plugs in a
    /// dishonest one. A dishonest node lies once per request and otherwise behaves like an
    /// honest one (it checks and challenges others' claims honestly).
    pub behaviour: Arc<dyn Behaviour>,
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
    /// The `GenerationOracle` whose text requests the node answers with the language models
    /// it holds (and whose generation claims it checks); `None`: tensor requests only.
    pub text_oracle: Option<Address>,
}

impl NodeConfig {
    /// Defaults: optimistic, honest, no delay, withdraw every 20 ticks.
    pub fn new(account: Address, state_dir: PathBuf) -> Self {
        Self {
            account,
            state_dir,
            mode: Mode::Optimistic,
            behaviour: Arc::new(Honest),
            answer_delay_secs: 0,
            withdraw_every: 20,
            confirmations: 0,
            start_block: 0,
            log_range: verinfer_chain::DEFAULT_LOG_RANGE,
            policy: Policy::default(),
            text_oracle: None,
        }
    }
}

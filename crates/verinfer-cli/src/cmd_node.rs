//! `verinfer node`: serve the inference oracle and police everyone's claims, until killed
//! (docs/node.md). The work is in `verinfer-node`; this file turns flags into a node, retries
//! the start while the endpoint is unreachable, and runs the loop.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use verinfer_chain::ChainError;
use verinfer_node::{
    run, serve, Behaviour, Contracts, HeldModel, Mode, ModelStore, Node, NodeConfig, NodeError,
    RunOptions, SharedStatus,
};
use verinfer_opml::generation::GenLie;
use verinfer_opml::{lying_execution, Execution, OpmlError, TraceLie};

use crate::chain_args::ChainArgs;

/// How requests are answered.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ModeArg {
    /// A claim in the dispute game, settled after its challenge window.
    Optimistic,
    /// A Groth16 proof (models with a `<name>.keys/` directory and a verifier registered in
    /// the oracle; the others are answered optimistically).
    Zk,
}

/// The dishonest node of `--lie` (tests and demos; the node crate itself only answers
/// honestly): element 0 of the first output raised by one, left inconsistent with the rest of
/// the trace (the node then defends it from its own trace, as `game simulate`'s wrong-output).
#[derive(Debug)]
struct WrongOutput;

impl Behaviour for WrongOutput {
    fn execution(&self, model: &HeldModel, input: &[Vec<i32>]) -> Result<Execution, OpmlError> {
        let graph = model.graph();
        let node = graph
            .outputs
            .first()
            .map(|o| o.value.index())
            .and_then(|v| v.checked_sub(graph.inputs.len()))
            .unwrap_or_else(|| graph.nodes.len().saturating_sub(1));
        let lie = TraceLie {
            node,
            element: 0,
            delta: 1,
            propagate: false,
        };
        lying_execution(graph.clone(), input, lie)
    }

    /// A generation whose first generated token is read back wrong at the next step (the
    /// rest of the generation continues from it): a wrong token the game pins on one step's
    /// derivation. A single-token generation lies inside its last step instead.
    fn generation_lie(&self, prompt: &[u32], new_tokens: usize) -> Option<GenLie> {
        Some(if new_tokens >= 2 {
            GenLie::WrongToken { step: prompt.len() }
        } else {
            GenLie::WrongNode {
                step: prompt.len().saturating_sub(1),
            }
        })
    }

    fn is_honest(&self) -> bool {
        false
    }
}

/// Arguments of `node`.
#[derive(clap::Args)]
pub struct NodeArgs {
    /// Directory of compiled models (`*.vmodel`, with `<name>.keys/` beside a model for zk).
    #[arg(long)]
    pub models: PathBuf,
    /// Serve `GET /status` (JSON) and `GET /` (HTML) on this address, e.g. 127.0.0.1:8080.
    #[arg(long)]
    pub serve: Option<SocketAddr>,
    /// Where the node keeps its state (state.json) and its claims' traces (traces/).
    #[arg(long, default_value = ".verinfer/node")]
    pub state_dir: PathBuf,
    /// How requests are answered.
    #[arg(long, value_enum, default_value = "optimistic")]
    pub mode: ModeArg,
    /// Pause between ticks, milliseconds.
    #[arg(long, default_value_t = 500)]
    pub poll_ms: u64,
    /// Answer requests with a wrong output (a dishonest node, for tests and demos): an
    /// honest node will challenge it and win.
    #[arg(long)]
    pub lie: bool,
    /// Answer a request only once it has been open this many seconds of chain time (lets
    /// another node answer first).
    #[arg(long, default_value_t = 0)]
    pub answer_delay_secs: u64,
    /// Check owed funds and withdraw every this many ticks (and after every settlement).
    #[arg(long, default_value_t = 20)]
    pub withdraw_every: u64,
    /// Act only on logs this many blocks below the head (a reorganisation deeper than this
    /// is noticed and undone, at the cost of re-checking; 0 on dev chains).
    #[arg(long, default_value_t = 0)]
    pub confirmations: u64,
    /// First block to read the contracts' logs from on a fresh state (default: the oracle's
    /// deployment block from the deployments file, else 0).
    #[arg(long)]
    pub from_block: Option<u64>,
    /// Smallest request fee answered, wei.
    #[arg(long, default_value_t = 0)]
    pub min_fee_wei: u128,
    /// Margin the answerer's share of the fee must leave over the gas of answering (the
    /// answer's own and the callback's, at the current gas price), basis points of the cost.
    #[arg(long, default_value_t = 2_000)]
    pub margin_bps: u32,
    /// Gas of an optimistic answer (claim, answer, settlement) without its callback, as
    /// priced by the policy.
    #[arg(long, default_value_t = verinfer_node::policy::DEFAULT_CLAIM_ANSWER_GAS)]
    pub answer_gas: u64,
    /// Gas of a zk answer without its callback, as priced by the policy.
    #[arg(long, default_value_t = verinfer_node::policy::DEFAULT_ZK_ANSWER_GAS)]
    pub zk_answer_gas: u64,
    /// The `GenerationOracle` whose text requests the node answers with the language models
    /// in --models (step graphs compiled from GGUF). Default: the one recorded in the
    /// deployments file, if any and if a language model is held.
    #[arg(long)]
    pub text_oracle: Option<verinfer_chain::Address>,
    /// Stop after this many ticks (default: run until killed).
    #[arg(long)]
    pub ticks: Option<u64>,
    /// Tests only: run on the in-process chain (with --state; nothing else can happen on it
    /// while the node runs, so this is only good for checking the node itself).
    #[arg(long, hide = true)]
    pub in_process: bool,
    /// JSON lines on stdout: one object per event the node logs (`{"event", "level",
    /// "target", …fields}`), and a last `{"event": "stopped", "status"}`; the text log stays
    /// on stderr.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub chain: ChainArgs,
}

/// A failure at start that is worth retrying: the endpoint did not answer.
fn transient(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<ChainError>()
            .is_some_and(|c| matches!(c, ChainError::Rpc { .. } | ChainError::Timeout { .. }))
            || c.downcast_ref::<NodeError>()
                .is_some_and(NodeError::is_transient)
    })
}

/// Runs `f` until it succeeds or fails for a reason other than an unreachable endpoint.
fn retrying<T>(what: &str, mut f: impl FnMut() -> Result<T>) -> Result<T> {
    let mut pause = Duration::from_millis(250);
    let mut tries = 0u32;
    loop {
        match f() {
            Ok(x) => return Ok(x),
            Err(e) if transient(&e) => {
                tries += 1;
                if tries == 1 || tries.is_multiple_of(10) {
                    tracing::warn!(error = %format!("{e:#}"), "{what}: retrying");
                    eprintln!("{what}: {e:#} (retrying)");
                }
                std::thread::sleep(pause);
                pause = (pause * 2).min(Duration::from_secs(10));
            }
            Err(e) => return Err(e),
        }
    }
}

pub fn run_node(a: &NodeArgs) -> Result<()> {
    if a.chain.rpc_url.is_none() && !a.in_process {
        bail!(
            "`verinfer node` serves a chain that others use: pass --rpc-url URL (the \
             in-process chain exists only inside one process)"
        );
    }
    let models = ModelStore::load_dir(&a.models)?;
    let mut open = retrying("connecting", || a.chain.open_to_play())?;
    let account = open.sender()?;
    let deployments_path = a.chain.deployments.display().to_string();
    let contracts = retrying("finding the contracts", || {
        let (chain, deployments) = open.parts();
        Contracts::find(chain, deployments)
            .with_context(|| format!("deployments file {deployments_path}"))
    })?;
    let mut cfg = NodeConfig::new(account, a.state_dir.clone());
    cfg.mode = match a.mode {
        ModeArg::Optimistic => Mode::Optimistic,
        ModeArg::Zk => Mode::Zk,
    };
    if a.lie {
        cfg.behaviour = Arc::new(WrongOutput);
    }
    cfg.answer_delay_secs = a.answer_delay_secs;
    cfg.withdraw_every = a.withdraw_every;
    cfg.confirmations = a.confirmations;
    cfg.log_range = a.chain.log_range;
    cfg.start_block = match a.from_block {
        Some(b) => b,
        None => {
            let (chain, deployments) = open.parts();
            deployments
                .deployed_block(chain.chain_id(), verinfer_oracle::OracleClient::NAME)
                .unwrap_or(0)
        }
    };
    let gen_models = models.gen_iter().count();
    cfg.text_oracle = match a.text_oracle {
        Some(t) => Some(t),
        None if gen_models > 0 => {
            let (chain, deployments) = open.parts();
            deployments.get(chain.chain_id(), verinfer_oracle::TextOracleClient::NAME)
        }
        None => None,
    };
    if let Some(t) = cfg.text_oracle {
        let (chain, deployments) = open.parts();
        let deployed =
            deployments.deployed_block(chain.chain_id(), verinfer_oracle::TextOracleClient::NAME);
        if let (None, Some(b)) = (a.from_block, deployed) {
            cfg.start_block = cfg.start_block.min(b);
        }
        eprintln!("text requests of GenerationOracle {t}: {gen_models} language model(s)");
    } else if gen_models > 0 {
        eprintln!(
            "{gen_models} language model(s) held but no GenerationOracle (--text-oracle, or one \
             recorded in the deployments file): generations are not served"
        );
    }
    cfg.policy = verinfer_node::Policy {
        min_fee: verinfer_chain::U256::from(a.min_fee_wei),
        margin_bps: a.margin_bps,
        claim_answer_gas: a.answer_gas,
        zk_answer_gas: a.zk_answer_gas,
    };
    if cfg.mode == Mode::Zk {
        for m in models.iter() {
            match &m.keys {
                Some(k) if k.oracle_compatible() => {
                    eprintln!("{}: zk keys in {}", m.name(), k.dir.display())
                }
                _ => eprintln!(
                    "{}: no usable {}.keys/ directory (`verinfer setup`): answered optimistically",
                    m.name(),
                    m.name()
                ),
            }
        }
    }
    let model_count = models.len();
    let mut models = Some(models);
    let mut node = retrying("opening the node state", || {
        // A retry after a transient failure loads the models again (the node took them).
        let m = match models.take() {
            Some(m) => m,
            None => ModelStore::load_dir(&a.models)?,
        };
        Node::open(open.chain(), cfg.clone(), m, contracts).map_err(anyhow::Error::from)
    })?;
    let status = SharedStatus::default();
    {
        let chain = open.chain();
        status.publish(node.status(Some(chain)));
    }
    eprintln!(
        "verinfer node {account} on {} — oracle {}, game {}, {} model(s), mode {}{}, state in {}",
        open.chain().describe(),
        contracts.oracle.address,
        contracts.game.address,
        model_count,
        cfg.mode.as_str(),
        if a.lie { ", LYING" } else { "" },
        a.state_dir.display()
    );
    if let Some(addr) = a.serve {
        let bound = serve(addr, status.clone())?;
        eprintln!("serving http://{bound}/ and http://{bound}/status");
    }
    eprintln!("(set VERINFER_LOG=info to see every transaction with its gas)");
    let opts = RunOptions {
        poll: Duration::from_millis(a.poll_ms.max(1)),
        max_backoff: Duration::from_secs(30),
        max_ticks: a.ticks,
    };
    run(&mut node, open.chain(), &opts, Some(&status))?;
    let s = node.status(Some(open.chain()));
    if a.json {
        println!("{}", serde_json::json!({"event": "stopped", "status": s}));
    } else {
        println!("{}", serde_json::to_string_pretty(&s)?);
    }
    open.persist()?;
    Ok(())
}

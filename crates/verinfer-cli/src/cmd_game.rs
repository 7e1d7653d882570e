//! The opML commands: `claim`, `challenge`, `game status`, `game simulate`.

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use serde::Serialize;
use verinfer_chain::{Chain, Receipt, RevmChain, U256};
use verinfer_opml::driver::{defend, games_of, play};
use verinfer_opml::{
    ensure_opml, find_opml, lying_execution, simulate, Challenger, ChallengerStrategy, Execution,
    GameParams, Phase, Submitter, SubmitterStrategy, TraceLie,
};

use crate::chain_args::{ChainArgs, OnChain, Poll};
use crate::cmd_run::load_input;
use verinfer_commit::trace_file;

/// Game parameters used when this command deploys the game (ignored when a recorded game with
/// the same parameters exists).
#[derive(clap::Args, Clone, Debug)]
pub struct ParamArgs {
    /// Challenge window, seconds.
    #[arg(long, default_value_t = 3600)]
    pub window: u64,
    /// Chess clock of each party per game, seconds.
    #[arg(long, default_value_t = 600)]
    pub clock: u64,
    /// Submitter and challenger bond, in milli-ether.
    #[arg(long, default_value_t = 1000)]
    pub bond_milli_eth: u64,
    /// Burned share of a forfeited bond, basis points.
    #[arg(long, default_value_t = 2000)]
    pub burn_bps: u16,
    /// d: each reveal shows 2^d nodes.
    #[arg(long, default_value_t = 4)]
    pub reveal_depth: u8,
    /// Longest accumulation segment re-executed in the one-step.
    #[arg(long, default_value_t = 8)]
    pub max_segment: u64,
}

impl ParamArgs {
    pub(crate) fn params(&self) -> GameParams {
        let bond = U256::from(self.bond_milli_eth) * U256::from(10u64).pow(U256::from(15u64));
        GameParams {
            submitter_bond: bond,
            challenger_bond: bond,
            window: self.window,
            clock: self.clock,
            burn_bps: self.burn_bps,
            reveal_depth: self.reveal_depth,
            max_segment: self.max_segment,
        }
    }
}

/// Prints a transaction's label, gas and block.
pub(crate) fn print_tx(r: &Receipt) {
    eprintln!(
        "tx: {:<28} gas {:>9}  block {}",
        r.label, r.gas_used, r.block_number
    );
}

/// Arguments of `claim`.
#[derive(clap::Args)]
pub struct ClaimArgs {
    /// Compiled model; for a generation claim (--prompt or --prompt-ids) a compiled LLM step
    /// graph or a GGUF file.
    pub model: PathBuf,
    /// Input (EZKL input.json, one sample); an inference claim.
    #[arg(long, required_unless_present_any = ["prompt", "prompt_ids"], conflicts_with_all = ["prompt", "prompt_ids"])]
    pub input: Option<PathBuf>,
    /// Keep running: answer every game against the claim until it is final or rejected.
    #[arg(long)]
    pub defend: bool,
    /// Post the (quantized) input data with the claim, so that anyone can re-execute from
    /// the chain alone (~1.1k gas per element); otherwise only its root is posted.
    #[arg(long)]
    pub publish_input: bool,
    /// Where the claim's trace is kept (`claim-<id>.trace`), so that `verinfer defend` can
    /// answer games later, after this process is gone.
    #[arg(long, default_value = ".verinfer/traces")]
    pub trace_dir: PathBuf,
    #[command(flatten)]
    pub gen: crate::cmd_game_gen::GenArgs,
    #[command(flatten)]
    pub params: ParamArgs,
    #[command(flatten)]
    pub poll: Poll,
    #[command(flatten)]
    pub on: OnChain,
}

pub fn claim(a: &ClaimArgs) -> Result<()> {
    let Some(input) = &a.input else {
        if a.on.json {
            bail!("--json: generation claims print text only for now; claim an inference (--input) or drop --json");
        }
        return crate::cmd_game_gen_chain::claim(a);
    };
    let graph =
        verinfer_ir::vmodel::load(&a.model).with_context(|| a.model.display().to_string())?;
    let inputs = load_input(&graph, input)?;
    let exec = Execution::run(graph, &inputs)?;
    let mut open = a.on.chain.open()?;
    let from = open.sender()?;
    let (chain, deployments) = open.parts();
    let (c, receipts) = ensure_opml(chain, deployments, from, &a.params.params())?;
    receipts.iter().for_each(print_tx);
    open.record_deployments()?;
    let chain = open.chain();
    let mut submitter = Submitter::new(exec, from, SubmitterStrategy::Honest);
    submitter.publish_inputs = a.publish_input;
    for r in verinfer_opml::simulate::prepare_model(chain, &c.registry, &c.game, &submitter)? {
        print_tx(&r);
    }
    let cfg = c.game.config(chain)?;
    let (claim, r) = submitter.claim(chain, &c.game, &cfg)?;
    submitter.logs_from = r.block_number;
    print_tx(&r);
    // The claim is posted (and its bond paid) whatever happens to the trace file: say so
    // first, so a failure below cannot read as a failed claim.
    let root = submitter.exec.trace().root().to_string();
    if !a.on.json {
        println!(
            "claim {claim} on game {} (trace root {root})",
            c.game.address
        );
    }
    let trace_path = a.trace_dir.join(format!("claim-{claim}.trace"));
    trace_file::save(
        &trace_path,
        submitter.exec.model().model_id,
        submitter.exec.values(),
    )
    .with_context(|| format!("claim {claim} is posted, but keeping its trace failed"))?;
    eprintln!("trace kept in {}", trace_path.display());
    open.persist()?;
    if a.defend {
        let chain = open.chain();
        let poll = a.poll.on(&a.on.chain);
        let status = defend(chain, &c.game, &mut submitter, claim, poll, &mut print_tx)?;
        open.persist()?;
        if a.on.json {
            return print_claim_json(claim, c.game.address, &root, &trace_path, Some(status));
        }
        println!("claim {claim}: {status:?}");
    }
    if a.on.json {
        return print_claim_json(claim, c.game.address, &root, &trace_path, None);
    }
    Ok(())
}

/// Arguments of `defend`.
#[derive(clap::Args)]
pub struct DefendArgs {
    /// The claim to defend.
    pub claim: u64,
    /// The compiled model.
    #[arg(long)]
    pub model: PathBuf,
    /// The claim's trace (written by `verinfer claim`; default .verinfer/traces/claim-<id>.trace,
    /// for --generation .verinfer/traces/gen-claim-<id>.steps.json).
    #[arg(long)]
    pub trace: Option<PathBuf>,
    /// The claim is a generation claim (`GenerationGame`): answered from its kept step roots,
    /// the disputed step replayed; the model is its compiled step graph or GGUF file.
    #[arg(long)]
    pub generation: bool,
    #[command(flatten)]
    pub poll: Poll,
    #[command(flatten)]
    pub on: OnChain,
}

/// Answers every game against a claim from its saved trace, until the claim is final or
/// rejected (on a node) or nothing is left to answer now (in process).
pub fn defend_cmd(a: &DefendArgs) -> Result<()> {
    if a.generation {
        return crate::cmd_game_gen_defend::defend_cmd(a);
    }
    let graph =
        verinfer_ir::vmodel::load(&a.model).with_context(|| a.model.display().to_string())?;
    let model_id = verinfer_commit::ModelCommitment::new(&graph).model_id;
    let path = a
        .trace
        .clone()
        .unwrap_or_else(|| PathBuf::from(format!(".verinfer/traces/claim-{}.trace", a.claim)));
    let trace = trace_file::load_for(&path, &graph, model_id)
        .with_context(|| format!("loading the trace {}", path.display()))?;
    let exec = Execution::from_values(graph, trace.values)?;
    let mut open = a.on.chain.open_to_play()?;
    let from = open.sender()?;
    let (chain, deployments) = open.parts();
    let c = find_opml(chain, deployments)?;
    let chain = open.chain();
    let info = c.game.claim_info(chain, a.claim)?;
    if info.traceRoot.0 != exec.trace().root().hash().to_bytes() {
        bail!(
            "{} is not the trace of claim {}: its root is {}, the claim's {}",
            path.display(),
            a.claim,
            exec.trace().root(),
            info.traceRoot
        );
    }
    if info.submitter != from {
        bail!(
            "claim {} was posted by {}, not by this key ({from})",
            a.claim,
            info.submitter
        );
    }
    let mut submitter = Submitter::new(exec, from, SubmitterStrategy::Honest);
    let poll = a.poll.on(&a.on.chain);
    let status = defend(chain, &c.game, &mut submitter, a.claim, poll, &mut print_tx)?;
    open.persist()?;
    if a.on.json {
        println!(
            "{}",
            serde_json::json!({"claim_id": a.claim, "status": snake(&format!("{status:?}"))})
        );
        return Ok(());
    }
    println!("claim {}: {status:?}", a.claim);
    Ok(())
}

/// Arguments of `challenge`.
#[derive(clap::Args)]
pub struct ChallengeArgs {
    /// The claim to challenge.
    pub claim: u64,
    /// The compiled model the claim is about.
    #[arg(long)]
    pub model: PathBuf,
    /// The claim's input (EZKL input.json), to re-execute; not needed when the claim posted
    /// its input data.
    #[arg(long)]
    pub input: Option<PathBuf>,
    /// Challenge even if the trace root is the honest one (for testing a submitter; on a
    /// generation claim: bisection to the middle step, then its sub-claim challenged at
    /// random).
    #[arg(long)]
    pub force: bool,
    /// The claim is a generation claim (`GenerationGame`): its prompt and length are read
    /// from the chain, the model is a compiled LLM step graph or a GGUF file.
    #[arg(long)]
    pub generation: bool,
    /// Continue this game (opened earlier by this key) instead of opening a new one.
    #[arg(long)]
    pub game: Option<u64>,
    #[command(flatten)]
    pub poll: Poll,
    #[command(flatten)]
    pub on: OnChain,
}

pub fn challenge(a: &ChallengeArgs) -> Result<()> {
    if a.generation {
        if a.on.json {
            bail!("--json: generation challenges print text only for now; drop --json");
        }
        return crate::cmd_game_gen_chain::challenge(a);
    }
    let graph =
        verinfer_ir::vmodel::load(&a.model).with_context(|| a.model.display().to_string())?;
    let mut open = a.on.chain.open_to_play()?;
    let from = open.sender()?;
    let (chain, deployments) = open.parts();
    let c = find_opml(chain, deployments)?;
    // No log of the game is older than its deployment (0 when the record predates blocks).
    let since = deployments
        .deployed_block(chain.chain_id(), "InferenceGame")
        .unwrap_or(0);
    let chain = open.chain();
    let event = c.game.claim_event(chain, a.claim, since)?;
    let inputs = match &a.input {
        Some(p) => load_input(&graph, p)?,
        None if !event.inputs.is_empty() => event.inputs.clone(),
        None => bail!(
            "claim {} posted only its input roots: pass the input with --input",
            a.claim
        ),
    };
    let exec = Execution::run(graph, &inputs)?;
    // The input must be the one claimed: otherwise re-execution proves nothing about it.
    for (i, root) in event.inputRoots.iter().enumerate() {
        let ours = exec.trace().value_roots()[i];
        if root.0 != ours.to_bytes() {
            bail!(
                "input {i} does not match claim {}: its root is {root}, this input's is {ours}",
                a.claim
            );
        }
    }
    let mut challenger =
        Challenger::new(exec, from, ChallengerStrategy::Honest).with_logs_from(since);
    let game_id = match a.game {
        Some(id) => {
            let g = c.game.game(chain, id)?;
            if g.challenger != from || g.claimId != verinfer_chain::U256::from(a.claim) {
                bail!("game {id} is not this key's game on claim {}", a.claim);
            }
            id
        }
        None => {
            if !a.force && !challenger.disputes(chain, &c.game, a.claim)? {
                if a.on.json {
                    return print_challenge_json(a.claim, None, None);
                }
                println!(
                    "claim {} matches the honest execution: nothing to challenge",
                    a.claim
                );
                return Ok(());
            }
            let cfg = c.game.config(chain)?;
            let (id, r) = c
                .game
                .challenge(chain, from, cfg.challenger_bond, a.claim)?;
            print_tx(&r);
            challenger.logs_from = r.block_number;
            if !a.on.json {
                println!("game {id} opened");
            }
            id
        }
    };
    let poll = a.poll.on(&a.on.chain);
    let end = play(
        chain,
        &c.game,
        &mut challenger,
        game_id,
        poll,
        &mut print_tx,
    )?;
    open.persist()?;
    if a.on.json {
        return print_challenge_json(a.claim, Some(game_id), Some(end));
    }
    println!("game {game_id}: {end:?}");
    Ok(())
}

/// `game` subcommands.
#[derive(clap::Subcommand)]
pub enum GameCmd {
    /// Show a claim and its games.
    Status(StatusArgs),
    /// Run a whole claim and dispute on the in-process chain and print JSON figures.
    Simulate(SimulateArgs),
    /// Move a dev chain's clock forward (the in-process chain with --state, or anvil): lets
    /// a challenge window or a chess clock run out.
    Advance(AdvanceArgs),
}

/// Arguments of `game advance`.
#[derive(clap::Args)]
pub struct AdvanceArgs {
    /// Seconds to move forward.
    pub seconds: u64,
    /// Print one JSON object on stdout instead of the text (docs/python.md, "--json").
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub chain: ChainArgs,
}

pub fn advance(a: &AdvanceArgs) -> Result<()> {
    let mut open = a.chain.open()?;
    let chain = open.chain();
    chain.advance_time(a.seconds)?;
    let b = chain.block()?;
    open.persist()?;
    if a.json {
        println!(
            "{}",
            serde_json::json!({"block": b.number, "timestamp": b.timestamp})
        );
        return Ok(());
    }
    println!("block {} at time {}", b.number, b.timestamp);
    Ok(())
}

/// Arguments of `game status`.
#[derive(clap::Args)]
pub struct StatusArgs {
    /// The claim.
    pub claim: u64,
    /// A claim of the recorded `GenerationGame` (a generation), not of the `InferenceGame`.
    #[arg(long)]
    pub generation: bool,
    /// Print the same object on one line (it is JSON already).
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub chain: ChainArgs,
}

#[derive(Serialize)]
struct GameOut {
    game: u64,
    challenger: String,
    phase: String,
    moves: u32,
    submitter_time_left: u64,
    challenger_time_left: u64,
}

#[derive(Serialize)]
struct StatusOut {
    claim: u64,
    model_id: String,
    submitter: String,
    status: String,
    trace_root: String,
    window_end: u64,
    open_games: u32,
    games: Vec<GameOut>,
}

pub fn status(a: &StatusArgs) -> Result<()> {
    if a.generation {
        return crate::cmd_game_gen_chain::status(a);
    }
    let mut open = a.chain.open()?;
    let (chain, deployments) = open.parts();
    let c = find_opml(chain, deployments)?;
    let since = deployments
        .deployed_block(chain.chain_id(), "InferenceGame")
        .unwrap_or(0);
    let chain: &mut dyn Chain = open.chain();
    let info = c.game.claim_info(chain, a.claim)?;
    let mut games = Vec::new();
    for id in games_of(chain, &c.game, a.claim, since)? {
        let g = c.game.game(chain, id)?;
        games.push(GameOut {
            game: id,
            challenger: g.challenger.to_string(),
            phase: format!("{:?}", Phase::from_u8(g.phase)?),
            moves: g.moves,
            submitter_time_left: g.submitterTime,
            challenger_time_left: g.challengerTime,
        });
    }
    let out = StatusOut {
        claim: a.claim,
        model_id: info.modelId.to_string(),
        submitter: info.submitter.to_string(),
        status: format!("{:?}", c.game.status(chain, a.claim)?),
        trace_root: info.traceRoot.to_string(),
        window_end: info.windowEnd,
        open_games: info.openGames,
        games,
    };
    println!("{}", pretty_or_line(&out, a.json)?);
    Ok(())
}

/// Who lies in a simulation.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Liar {
    /// The submitter (the challenger is honest).
    Submitter,
    /// The challenger (the submitter is honest).
    Challenger,
    /// Nobody (an honest claim, no challenge unless forced).
    None,
}

/// Arguments of `game simulate`.
#[derive(clap::Args)]
pub struct SimulateArgs {
    /// Compiled model; for a generation claim (--prompt or --prompt-ids) a compiled LLM step
    /// graph or a GGUF file.
    pub model: PathBuf,
    /// Input (EZKL input.json, one sample); an inference claim.
    #[arg(long, required_unless_present_any = ["prompt", "prompt_ids"], conflicts_with_all = ["prompt", "prompt_ids"])]
    pub input: Option<PathBuf>,
    /// Which side lies.
    #[arg(long, value_enum, default_value = "submitter")]
    pub liar: Liar,
    /// The liar's strategy. Submitter: wrong-output, wrong-node, wrong-element,
    /// wrong-checkpoint, interpolated-checkpoints, wrong-rescale, silent, late.
    /// Challenger: random, silent, garbage-openings, late. Default: wrong-output for a lying
    /// submitter, random for a lying challenger (each role has its own strategies).
    /// Generation claims — submitter: wrong-token (default), wrong-kv-row, wrong-node,
    /// wrong-prompt-binding, silent; challenger: dispute-step (default; alias random),
    /// dispute-input, dispute-token.
    #[arg(long)]
    pub strategy: Option<String>,
    /// Node whose output the lying submitter changes (default: a middle node for wrong-node,
    /// the last node otherwise; in a generation, a node of the step graph at --at-step).
    #[arg(long)]
    pub node: Option<usize>,
    #[command(flatten)]
    pub gen: crate::cmd_game_gen::GenArgs,
    #[command(flatten)]
    pub at: crate::cmd_game_gen::GenLieArgs,
    #[command(flatten)]
    pub params: ParamArgs,
    /// Print the same report on one line (it is JSON already).
    #[arg(long)]
    pub json: bool,
}

/// The JSON these commands always printed, indented; on one line with `--json`.
pub fn pretty_or_line<T: Serialize>(v: &T, json: bool) -> Result<String> {
    Ok(if json {
        serde_json::to_string(v)?
    } else {
        serde_json::to_string_pretty(v)?
    })
}

pub fn simulate_cmd(a: &SimulateArgs) -> Result<()> {
    let Some(input) = &a.input else {
        return crate::cmd_game_gen::simulate_cmd(a);
    };
    let graph =
        verinfer_ir::vmodel::load(&a.model).with_context(|| a.model.display().to_string())?;
    let inputs = load_input(&graph, input)?;
    let mut chain = RevmChain::new()?;
    let accounts = chain.accounts();
    let (sub_acct, cha_acct) = (accounts[0], accounts[1]);
    let mut deployments = verinfer_chain::Deployments::default();
    let (c, _) = ensure_opml(&mut chain, &mut deployments, sub_acct, &a.params.params())?;
    let honest = Execution::run(graph.clone(), &inputs)?;
    let last = graph.nodes.len().saturating_sub(1);
    let lie = |node: usize, propagate: bool| TraceLie {
        node,
        element: 0,
        delta: 1,
        propagate,
    };
    if matches!(a.liar, Liar::None) {
        if let Some(s) = &a.strategy {
            bail!("--strategy {s:?} names a liar's strategy, but --liar none has no liar");
        }
    }
    let (mut submitter, mut challenger, force) = match a.liar {
        Liar::None => (
            Submitter::new(
                Execution::run(graph.clone(), &inputs)?,
                sub_acct,
                SubmitterStrategy::Honest,
            ),
            Challenger::new(honest, cha_acct, ChallengerStrategy::Honest),
            false,
        ),
        Liar::Submitter => {
            let (node, propagate, strategy) = match a.strategy.as_deref().unwrap_or("wrong-output")
            {
                "wrong-output" | "wrong-element" => {
                    (a.node.unwrap_or(last), false, SubmitterStrategy::Honest)
                }
                "wrong-node" => (a.node.unwrap_or(last / 2), true, SubmitterStrategy::Honest),
                "wrong-checkpoint" => (
                    a.node.unwrap_or(last),
                    false,
                    SubmitterStrategy::ShiftedCheckpoints,
                ),
                "interpolated-checkpoints" => (
                    a.node.unwrap_or(last),
                    false,
                    SubmitterStrategy::InterpolatedCheckpoints,
                ),
                "wrong-rescale" => (
                    a.node.unwrap_or(last),
                    false,
                    SubmitterStrategy::HonestAccumulator,
                ),
                "silent" => (a.node.unwrap_or(last), false, SubmitterStrategy::Silent),
                "late" => (
                    a.node.unwrap_or(last),
                    false,
                    SubmitterStrategy::SilentAfter(2),
                ),
                s => bail!("unknown submitter strategy {s:?}"),
            };
            let exec = lying_execution(graph.clone(), &inputs, lie(node, propagate))?;
            (
                Submitter::new(exec, sub_acct, strategy),
                Challenger::new(honest, cha_acct, ChallengerStrategy::Honest),
                false,
            )
        }
        Liar::Challenger => {
            let strategy = match a.strategy.as_deref().unwrap_or("random") {
                "random" => ChallengerStrategy::Random(0x5eed),
                "silent" => ChallengerStrategy::Silent,
                "garbage-openings" => ChallengerStrategy::GarbageOneStep,
                "late" => ChallengerStrategy::SilentAfter(2),
                s => bail!("unknown challenger strategy {s:?}"),
            };
            (
                Submitter::new(
                    Execution::run(graph.clone(), &inputs)?,
                    sub_acct,
                    SubmitterStrategy::Honest,
                ),
                Challenger::new(honest, cha_acct, strategy),
                true,
            )
        }
    };
    let report = simulate(&mut chain, &c, &mut submitter, &mut challenger, force)?;
    println!("{}", pretty_or_line(&report, a.json)?);
    Ok(())
}

// ---------------------------------------------------------------- --json (one object on stdout)

/// A word for JSON: `ChallengerWon` → `challenger_won`.
pub(crate) fn snake(debug: &str) -> String {
    let mut out = String::with_capacity(debug.len() + 4);
    for (i, ch) in debug.chars().enumerate() {
        if ch.is_ascii_uppercase() && i > 0 {
            out.push('_');
        }
        out.push(ch.to_ascii_lowercase());
    }
    out
}

/// `claim --json`: `{"claim_id", "game", "trace_root", "trace", "status"}` (`status`: after
/// `--defend`, `"finalized"` or `"rejected"`; else null).
fn print_claim_json(
    claim: u64,
    game: verinfer_chain::Address,
    root: &str,
    trace: &std::path::Path,
    status: Option<verinfer_opml::ClaimStatus>,
) -> Result<()> {
    let v = serde_json::json!({
        "claim_id": claim,
        "game": game.to_string(),
        "trace_root": root,
        "trace": trace.display().to_string(),
        "status": status.map(|s| snake(&format!("{s:?}"))),
    });
    println!("{v}");
    Ok(())
}

/// `challenge --json`: `{"claim_id", "challenged", "game_id", "phase"}` (`phase`:
/// `"challenger_won"`, `"submitter_won"`, `"moot"`, or the phase the game waits in).
fn print_challenge_json(claim: u64, game: Option<u64>, phase: Option<Phase>) -> Result<()> {
    let v = serde_json::json!({
        "claim_id": claim,
        "challenged": game.is_some(),
        "game_id": game,
        "phase": phase.map(|p| snake(&format!("{p:?}"))),
    });
    println!("{v}");
    Ok(())
}

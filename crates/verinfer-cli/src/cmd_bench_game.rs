//! `verinfer bench-game`: what a dispute costs — moves, rounds, gas (total, largest move, one-step
//! per op type) and wall time — for the bundled MNIST CNN and a synthetic ≥100M-parameter
//! transformer, on the in-process chain or on a real anvil node.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use serde::Serialize;
use verinfer_chain::{dev_signers, Anvil, Chain, Deployments, RevmChain, RpcChain};
use verinfer_ir::Graph;
use verinfer_opml::{
    ensure_opml, lying_execution, simulate, Challenger, ChallengerStrategy, Execution, GameParams,
    Submitter, SubmitterStrategy, TraceLie,
};

use crate::bundled::mnist_cnn_compiled;
use crate::synthetic;

/// Arguments of `bench-game`.
#[derive(clap::Args)]
pub struct Args {
    /// Blocks of the synthetic GPT-2-medium-width model (8 ≈ 100M parameters; 0 skips it).
    #[arg(long, default_value_t = 8)]
    pub blocks: usize,
    /// Run on a real anvil node started from CONTRACTS/node_modules instead of in process.
    #[arg(long)]
    pub anvil: bool,
    /// The contracts folder (for --anvil).
    #[arg(long, default_value = "contracts")]
    pub contracts: PathBuf,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Instead: a generation dispute on a synthetic LLaMA-shaped model of this shape
    /// (bench-llm's: tiny, tiny-32l, small, llama-30m, tinyllama, llama2-7b; seeded Q8_0 weights).
    #[arg(long)]
    pub llm: Option<String>,
    #[command(flatten)]
    pub gen: crate::cmd_bench_game_llm::LlmArgs,
}

#[derive(Serialize)]
struct ModelResult {
    model: String,
    params: usize,
    nodes: usize,
    chain: String,
    disputed_node: String,
    winner: String,
    moves: usize,
    rounds: u32,
    total_gas: u64,
    max_move_gas: u64,
    dispute_wall_ms: u128,
    one_step_gas_by_op: BTreeMap<String, u64>,
}

pub fn open_chain(a: &Args) -> Result<(Box<dyn Chain>, Option<Anvil>)> {
    if a.anvil {
        let anvil = Anvil::spawn(&a.contracts, &[])?;
        let chain = RpcChain::connect(anvil.url(), dev_signers()?)?;
        Ok((Box::new(chain), Some(anvil)))
    } else {
        Ok((Box::new(RevmChain::new()?), None))
    }
}

fn bench_model(
    a: &Args,
    name: &str,
    g: &Graph,
    inputs: &[Vec<i32>],
    all_nodes: bool,
) -> Result<ModelResult> {
    let (mut chain_box, _anvil) = open_chain(a)?;
    let chain: &mut dyn Chain = chain_box.as_mut();
    let acc = chain.accounts();
    let params = GameParams::default();
    let (c, _) = ensure_opml(chain, &mut Deployments::default(), acc[0], &params)?;
    let honest = Execution::run(g.clone(), inputs)?;
    // The dispute: a consistent lie in the longest contraction, challenged honestly.
    let target = (0..g.nodes.len())
        .max_by_key(|&n| honest.steps(n).unwrap_or(0))
        .context("empty graph")?;
    let lie = TraceLie {
        node: target,
        element: 0,
        delta: 1,
        propagate: true,
    };
    let mut liar = Submitter::new(
        lying_execution(g.clone(), inputs, lie)?,
        acc[0],
        SubmitterStrategy::Honest,
    );
    let mut challenger = Challenger::new(honest, acc[1], ChallengerStrategy::Honest);
    let t = Instant::now();
    let r = simulate(chain, &c, &mut liar, &mut challenger, false)?;
    let wall = t.elapsed().as_millis();
    // One-step gas per op type: honest submitter, challenger driven to a node of each type.
    let mut by_op: BTreeMap<String, u64> = BTreeMap::new();
    let mut seen = std::collections::BTreeSet::new();
    let honest = challenger.exec;
    let sub_exec = Execution::from_values(g.clone(), honest.values().to_vec())?;
    let mut submitter = Submitter::new(sub_exec, acc[2], SubmitterStrategy::Honest);
    let mut rogue = Challenger::new(honest, acc[3], ChallengerStrategy::Honest);
    for n in 0..g.nodes.len() {
        let op = g.nodes[n].op.name().to_string();
        if !all_nodes && !seen.insert(op.clone()) {
            continue;
        }
        let len = g.nodes[n].out.shape.numel();
        rogue.strategy = ChallengerStrategy::Target {
            value: g.inputs.len() + n,
            element: len / 2,
        };
        let rr = simulate(chain, &c, &mut submitter, &mut rogue, true)?;
        let gas = rr
            .transactions
            .iter()
            .filter(|(l, _)| l.ends_with("oneStep"))
            .map(|(_, g)| *g)
            .max()
            .unwrap_or(0);
        let e = by_op.entry(op).or_insert(0);
        *e = (*e).max(gas);
    }
    Ok(ModelResult {
        model: name.to_string(),
        params: g.num_param_elements(),
        nodes: g.nodes.len(),
        chain: chain.describe(),
        disputed_node: format!("{target} ({})", g.nodes[target].op.name()),
        winner: r.winner,
        moves: r.moves,
        rounds: r.rounds,
        total_gas: r.total_gas,
        max_move_gas: r.max_step_gas,
        dispute_wall_ms: wall,
        one_step_gas_by_op: by_op,
    })
}

pub fn run(a: &Args) -> Result<()> {
    if let Some(shape) = &a.llm {
        return crate::cmd_bench_game_llm::run(a, shape);
    }
    let mut results = Vec::new();
    let (mnist, q) = mnist_cnn_compiled()?;
    results.push(bench_model(a, "mnist_cnn", &mnist, &q, true)?);
    if a.blocks > 0 {
        let dims = synthetic::Dims {
            blocks: a.blocks,
            ..synthetic::GPT2_MEDIUM_8
        };
        let g = synthetic::build(dims, 7)?;
        let x = synthetic::input(&g, 11);
        results.push(bench_model(
            a,
            &format!("synthetic GPT-2-medium widths, {} blocks", a.blocks),
            &g,
            &x,
            false,
        )?);
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&results)?);
        return Ok(());
    }
    for r in &results {
        println!(
            "{} — {} params, {} nodes, {}",
            r.model, r.params, r.nodes, r.chain
        );
        println!(
            "  dispute on node {}: winner {}, {} moves, {} rounds, {} gas total, largest move {} gas, {} ms",
            r.disputed_node, r.winner, r.moves, r.rounds, r.total_gas, r.max_move_gas, r.dispute_wall_ms
        );
        for (op, gas) in &r.one_step_gas_by_op {
            println!("  one-step {op:<10} {gas:>9} gas");
        }
    }
    Ok(())
}

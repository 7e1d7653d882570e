//! `verinfer bench-game --llm SHAPE`: a generation dispute on a synthetic LLaMA-shaped model
//! (bench-llm's shapes and seeded Q8_0 weights, written to a GGUF file and compiled): moves,
//! rounds, gas (total, largest move), the honest challenger's off-chain work (its re-execution
//! of the whole generation, the disputed step rebuilt in full), the game's wall time and peak
//! RSS, in one run.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Result};
use verinfer_opml::generation::{GenChallengerStrategy, GenExecution, GenLie, GenModel};
use verinfer_opml::GameParams;

use crate::cmd_bench_game::{open_chain, Args};
use crate::cmd_bench_llm::{check_fits, peak_rss_mib, shape, write_and_compile};
use crate::cmd_game::Liar;
use crate::cmd_game_gen::{parties, resolve_liar, simulate_on, GenLiar, GenLieArgs};

/// Arguments of `bench-game --llm`.
#[derive(clap::Args, Clone, Debug)]
pub struct LlmArgs {
    /// With --llm: prompt length (token ids drawn from the vocabulary, BOS first).
    #[arg(long, default_value_t = 8)]
    pub prompt_len: usize,
    /// With --llm: tokens the generation claim covers.
    #[arg(long, default_value_t = 16)]
    pub tokens: usize,
    /// With --llm: which side lies.
    #[arg(long, value_enum, default_value = "submitter")]
    pub liar: Liar,
    /// With --llm: the liar's strategy (as `game simulate` of a generation claim).
    #[arg(long, default_value = "wrong-node")]
    pub strategy: String,
    /// With --llm and wrong-node: the node of the step graph changed.
    #[arg(long)]
    pub node: Option<usize>,
    #[command(flatten)]
    pub at: GenLieArgs,
    /// With --llm: where the synthetic GGUF file is written.
    #[arg(long, default_value = "target/bench-llm")]
    pub dir: PathBuf,
}

fn ms(t: Instant) -> u128 {
    t.elapsed().as_millis()
}

#[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
fn secs_ms(s: f64) -> u64 {
    (s * 1000.0).round() as u64
}

/// `verinfer bench-game --llm SHAPE`.
pub fn run(a: &Args, name: &str) -> Result<()> {
    let l = &a.gen;
    let params = check_fits(name)?;
    let n_ctx = usize::try_from(shape(name)?.6)?;
    if l.prompt_len == 0 || l.tokens == 0 {
        bail!("--prompt-len and --tokens must be at least 1");
    }
    let ctx = l.prompt_len + l.tokens - 1;
    if ctx > n_ctx {
        bail!("a prompt of {} and {} tokens need {ctx} positions; shape {name} has a context of {n_ctx}", l.prompt_len, l.tokens);
    }
    // Calibration only sets scales: one short sampled sequence is enough for a dispute's
    // figures (the weights are random; what is measured is the game, not the text).
    let syn = write_and_compile(&l.dir, name, ctx, (1, ctx.min(8)))?;
    let c = syn.compiled;
    drop(c.fgraph);
    let t = Instant::now();
    let m = Arc::new(GenModel::new(c.graph)?);
    let model_setup_ms = ms(t);
    let vocab = u32::try_from(m.layout().vocab)?;
    let prompt: Vec<u32> = std::iter::once(1)
        .chain((1..l.prompt_len as u32).map(|i| (i * 37 + 11) % vocab))
        .collect();
    let liar = resolve_liar(
        &m,
        (prompt.len(), l.tokens),
        l.liar,
        Some(&l.strategy),
        l.node,
        &l.at,
    )?;
    let t = Instant::now();
    let honest = GenExecution::run(Arc::clone(&m), &prompt, l.tokens, None)?;
    let honest_run_ms = ms(t);
    let steps = honest.num_steps();
    let disputed = match liar {
        GenLiar::Submitter(GenLie::WrongPromptBinding { index }, _)
        | GenLiar::Challenger(GenChallengerStrategy::DisputeToken { index }) => {
            prompt.len() - 1 + index
        }
        _ => l.at.at_step.unwrap_or(steps / 2),
    };
    let (mut chain_box, _anvil) = open_chain(a)?;
    let chain = chain_box.as_mut();
    let acc = chain.accounts();
    let (mut sub, mut cha) = parties(&m, &prompt, l.tokens, liar, (acc[0], acc[1]), honest)?;
    // The disputed step rebuilt in full by the challenger (a replay of the session up to it):
    // kept, so the game below reuses it.
    let t = Instant::now();
    cha.gen.step(disputed)?;
    let step_rebuild_ms = ms(t);
    let r = simulate_on(chain, &GameParams::default(), &mut sub, &mut cha)?;
    let largest = r
        .transactions
        .iter()
        .chain(r.sub.iter().flat_map(|s| &s.transactions))
        .max_by_key(|(_, gas)| *gas)
        .map(|(label, _)| label.clone());
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let j = serde_json::json!({
        "shape": name, "parameters": params, "ctx": ctx, "nodes": m.served().graph().nodes.len(),
        "prompt_tokens": prompt.len(), "new_tokens": l.tokens, "steps": steps,
        "liar": format!("{liar:?}"), "chain": chain.describe(),
        "winner": r.winner, "reason": r.reason, "mode": r.mode, "disputed_step": r.step,
        "moves": r.moves, "rounds": r.rounds, "total_gas": r.total_gas,
        "max_step_gas": r.max_step_gas, "largest_move": largest, "claim_gas": r.claim_gas,
        "game_wall_ms": r.wall_ms, "write_ms": secs_ms(syn.write_s), "compile_ms": secs_ms(syn.compile_s),
        "model_setup_ms": model_setup_ms, "honest_run_ms": honest_run_ms,
        "step_rebuild_ms": step_rebuild_ms, "peak_rss_mib": peak_rss_mib(),
        "loadavg": load.trim(),
    });
    if a.json {
        println!("{j}");
    } else {
        println!("{}", serde_json::to_string_pretty(&j)?);
    }
    Ok(())
}

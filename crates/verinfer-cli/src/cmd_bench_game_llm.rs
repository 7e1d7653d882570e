//! `verinfer bench-game --llm SHAPE`: a generation dispute on a synthetic LLaMA-shaped model
//! (bench-llm's shapes and seeded Q8_0 weights, written to a GGUF file and compiled): moves,
//! rounds, gas (total, largest move), the honest party's off-chain work (the whole generation
//! re-executed, then the disputed step: the replay up to it and its one full recomputation),
//! the game's wall time and peak RSS, in one run. `--layers N` keeps the shape's widths with
//! N layers; `--matrix` plays both liars at the first, middle and last step on one compile.

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
    /// With --llm: the shape's widths with this many layers (shape `NAME-Nl`): figures at
    /// full width when the whole depth does not fit the time.
    #[arg(long)]
    pub layers: Option<u64>,
    /// With --llm: one dispute per liar (submitter: --strategy; challenger: dispute-step) at
    /// the first, the middle and the last step, on one compile and one honest run; one JSON
    /// object a dispute.
    #[arg(long)]
    pub matrix: bool,
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

/// What one compile and honest run of the bench hold for every dispute played on them.
struct Setup {
    name: String,
    params: u64,
    ctx: usize,
    m: Arc<GenModel>,
    prompt: Vec<u32>,
    honest: GenExecution,
    figures: serde_json::Value,
}

/// `verinfer bench-game --llm SHAPE`.
pub fn run(a: &Args, name: &str) -> Result<()> {
    let l = &a.gen;
    let name = match l.layers {
        Some(n) => format!("{name}-{n}l"),
        None => name.to_string(),
    };
    let su = setup(l, &name)?;
    if !l.matrix {
        let liar = resolve_liar(
            &su.m,
            (su.prompt.len(), l.tokens),
            l.liar,
            Some(&l.strategy),
            l.node,
            &l.at,
        )?;
        return dispute(a, &su, liar);
    }
    if l.at.at_step.is_some() || l.node.is_some() {
        bail!("--matrix chooses the steps itself (first, middle, last): drop --at-step and --node");
    }
    let t = su.honest.num_steps();
    for step in [0, t / 2, t - 1] {
        let at = GenLieArgs {
            at_step: Some(step),
            ..l.at.clone()
        };
        for (liar, strategy) in [
            (Liar::Submitter, l.strategy.as_str()),
            (Liar::Challenger, "dispute-step"),
        ] {
            let lie = resolve_liar(
                &su.m,
                (su.prompt.len(), l.tokens),
                liar,
                Some(strategy),
                None,
                &at,
            )?;
            dispute(a, &su, lie)?;
        }
    }
    Ok(())
}

/// Writes and compiles the shape, and runs the honest generation once.
fn setup(l: &crate::cmd_bench_game_llm::LlmArgs, name: &str) -> Result<Setup> {
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
    let t = Instant::now();
    let honest = GenExecution::run(Arc::clone(&m), &prompt, l.tokens, None)?;
    let honest_run_ms = ms(t);
    let figures = serde_json::json!({
        "write_ms": secs_ms(syn.write_s), "compile_ms": secs_ms(syn.compile_s),
        "model_setup_ms": model_setup_ms, "honest_run_ms": honest_run_ms,
    });
    Ok(Setup {
        name: name.to_string(),
        params,
        ctx,
        m,
        prompt,
        honest,
        figures,
    })
}

/// One dispute on the set-up model, printed as one JSON object.
fn dispute(a: &Args, su: &Setup, liar: GenLiar) -> Result<()> {
    let l = &a.gen;
    let steps = su.honest.num_steps();
    // The step the game lands in (the challenger rebuilds it before the game, timed).
    let disputed = match liar {
        GenLiar::Submitter(GenLie::WrongPromptBinding { index }, _)
        | GenLiar::Challenger(GenChallengerStrategy::DisputeToken { index }) => {
            su.prompt.len() - 1 + index
        }
        GenLiar::Submitter(
            GenLie::WrongNode { step }
            | GenLie::WrongValue { step, .. }
            | GenLie::WrongToken { step }
            | GenLie::WrongKvRow { step }
            | GenLie::WrongNoise { step },
            _,
        )
        | GenLiar::Challenger(
            GenChallengerStrategy::DisputeStep { step }
            | GenChallengerStrategy::DisputeInput { step, .. },
        ) => step,
        _ => steps / 2,
    };
    let (mut chain_box, _anvil) = open_chain(a)?;
    let chain = chain_box.as_mut();
    let acc = chain.accounts();
    let t = Instant::now();
    let (mut sub, mut cha) = parties(
        &su.m,
        &su.prompt,
        l.tokens,
        liar,
        (acc[0], acc[1]),
        su.honest.fresh(),
    )?;
    let liar_run_ms = ms(t);
    // The disputed step rebuilt in full by the honest side (a replay of the session up to it,
    // then the one step with every value kept): kept, so the game below reuses it.
    let (exec, replay, recompute) = cha.gen.step_timed(disputed)?;
    cha.gen.keep_step(disputed, exec);
    let r = simulate_on(chain, &GameParams::default(), &mut sub, &mut cha)?;
    let largest = r
        .transactions
        .iter()
        .chain(r.sub.iter().flat_map(|s| &s.transactions))
        .max_by_key(|(_, gas)| *gas)
        .map(|(label, _)| label.clone());
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let mut j = serde_json::json!({
        "shape": su.name, "parameters": su.params, "ctx": su.ctx,
        "layers": su.m.layout().layers(), "nodes": su.m.served().graph().nodes.len(),
        "prompt_tokens": su.prompt.len(), "new_tokens": l.tokens, "steps": steps,
        "liar": format!("{liar:?}"), "chain": chain.describe(),
        "winner": r.winner, "reason": r.reason, "mode": r.mode, "disputed_step": r.step,
        "moves": r.moves, "rounds": r.rounds, "total_gas": r.total_gas,
        "max_step_gas": r.max_step_gas, "largest_move": largest, "claim_gas": r.claim_gas,
        "game_wall_ms": r.wall_ms, "liar_run_ms": liar_run_ms,
        "step_rebuild_ms": (replay + recompute).as_millis(),
        "replay_to_step_ms": replay.as_millis(), "step_recompute_ms": recompute.as_millis(),
        "peak_rss_mib": peak_rss_mib(), "loadavg": load.trim(),
    });
    if let (Some(o), Some(f)) = (j.as_object_mut(), su.figures.as_object()) {
        o.extend(f.clone());
    }
    if a.json {
        println!("{j}");
    } else {
        println!("{}", serde_json::to_string_pretty(&j)?);
    }
    Ok(())
}

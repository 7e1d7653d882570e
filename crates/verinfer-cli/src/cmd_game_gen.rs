//! Generation claims on the command line (`GenerationGame`, docs/protocol.md "The step level"):
//! loading an LLM's step graph for a dispute, choosing the lying side and where it lies, and
//! `game simulate` of a whole generation claim and its dispute on the in-process chain.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use serde::Serialize;
use verinfer_chain::{Address, Chain, Deployments, RevmChain};
use verinfer_gguf::Tokenizer;
use verinfer_llm::noise::Sampling;
use verinfer_llm::{compile, CompileOptions, GgufWeights};
use verinfer_opml::generation::{
    simulate_generation, GenChallenger, GenChallengerStrategy, GenClient, GenContracts,
    GenExecution, GenLie, GenModel, GenReport, GenSubmitter,
};
use verinfer_opml::{ensure_opml, GameParams};

use crate::cmd_game::{Liar, SimulateArgs};
use crate::cmd_llm::{is_gguf, load_tokenizer, PromptArgs, SamplingArgs};

/// What a generation claim covers: the model's prompt and the number of new tokens.
#[derive(clap::Args, Clone, Debug)]
pub struct GenArgs {
    #[command(flatten)]
    pub prompt: PromptArgs,
    /// Number of tokens the generation claim covers (greedy).
    #[arg(long, default_value_t = 16)]
    pub max_new_tokens: usize,
    /// Context of the step graph when the model is a GGUF file (compiled on the fly; default:
    /// prompt + new tokens). A compiled model keeps its own.
    #[arg(long)]
    pub ctx: Option<usize>,
    #[command(flatten)]
    pub sampling: SamplingArgs,
}

impl GenArgs {
    /// The prompt's token ids.
    ///
    /// # Errors
    /// No prompt, or `--prompt` without a tokenizer.
    pub fn prompt_ids(&self, model: &Path) -> Result<Vec<u32>> {
        let p = &self.prompt;
        let tok: Option<Tokenizer> = match (&p.prompt, &p.tokenizer) {
            (Some(_), t) => load_tokenizer(model, t.as_deref())?,
            (None, _) => None,
        };
        p.ids(tok.as_ref(), model)
    }

    /// The sampling of `--seed/--temperature` (`None`: greedy, seed absent or 0).
    ///
    /// # Errors
    /// A temperature that does not parse or is out of range.
    pub fn sampling(&self) -> Result<Option<Sampling>> {
        Ok(self.sampling.sampling()?.filter(|s| s.seed != 0))
    }

    /// The prompt, the sampling and the step graph of `model` a claim of these arguments
    /// covers (`--ctx`, default prompt + new tokens, for a GGUF file compiled on the fly).
    ///
    /// # Errors
    /// As [`Self::prompt_ids`], [`Self::sampling`] and [`load_gen_model_with`].
    pub fn load(&self, model: &Path) -> Result<(Vec<u32>, Option<Sampling>, Arc<GenModel>)> {
        let prompt = self.prompt_ids(model)?;
        let need = (prompt.len() + self.max_new_tokens)
            .saturating_sub(1)
            .max(1);
        let sampling = self.sampling()?;
        let m = load_gen_model_with(model, self.ctx.unwrap_or(need), sampling.is_some())?;
        Ok((prompt, sampling, Arc::new(m)))
    }
}

/// Where a generation liar lies (the strategy itself is `--strategy`).
#[derive(clap::Args, Clone, Debug, Default)]
pub struct GenLieArgs {
    /// Step of the lie: wrong-token, wrong-kv-row (≥ 1), wrong-node, silent, and the lying
    /// challenger's dispute-input, dispute-step (default: the middle step).
    #[arg(long)]
    pub at_step: Option<usize>,
    /// Index among the generated tokens: wrong-prompt-binding, dispute-token (default: the
    /// middle one).
    #[arg(long)]
    pub at_token: Option<usize>,
    /// dispute-input: the step's input disputed (0 token, 1 position, 2 + 2l and 3 + 2l the
    /// key and value cache of layer l).
    #[arg(long, default_value_t = 0)]
    pub disputed_input: usize,
    /// dispute-input: the element of that input disputed.
    #[arg(long, default_value_t = 0)]
    pub element: usize,
}

/// The liar of a generation dispute, resolved against a model and a generation's length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GenLiar {
    /// An honest claim, an honest challenger (no game).
    Nobody,
    /// A lying submitter (`silent`: it never moves), an honest challenger.
    Submitter(GenLie, bool),
    /// An honest submitter, a lying challenger.
    Challenger(GenChallengerStrategy),
}

/// The submitter strategies of generation claims.
pub const SUBMITTER_STRATEGIES: &str =
    "wrong-token, wrong-kv-row, wrong-node, wrong-prompt-binding, wrong-noise, silent";
/// The challenger strategies of generation claims.
pub const CHALLENGER_STRATEGIES: &str = "dispute-input, dispute-step (alias random), dispute-token";

/// Resolves `--liar/--strategy/--node/--at-*` for a generation of `prompt_len` + `new_tokens`
/// on `m`, refusing a place outside the generation or the model.
///
/// # Errors
/// An unknown strategy, a step, token, node, input or element out of range.
pub fn resolve_liar(
    m: &GenModel,
    (prompt_len, new_tokens): (usize, usize),
    liar: Liar,
    strategy: Option<&str>,
    node: Option<usize>,
    at: &GenLieArgs,
) -> Result<GenLiar> {
    let t = (prompt_len + new_tokens).saturating_sub(1);
    let step = at.at_step.unwrap_or(t / 2);
    if step >= t {
        bail!(
            "--at-step {step} is outside the generation: it has {t} steps (0..={})",
            t.saturating_sub(1)
        );
    }
    let token = at.at_token.unwrap_or(new_tokens / 2);
    if token >= new_tokens {
        bail!(
            "--at-token {token} is outside the generation: it posts {new_tokens} tokens (0..={})",
            new_tokens.saturating_sub(1)
        );
    }
    let g = m.served().graph();
    let default = match liar {
        Liar::Submitter => "wrong-token",
        Liar::Challenger => "dispute-step",
        Liar::None => {
            if let Some(s) = strategy {
                bail!("--strategy {s:?} names a liar's strategy, but --liar none has no liar");
            }
            return Ok(GenLiar::Nobody);
        }
    };
    let strategy = strategy.unwrap_or(default);
    if node.is_some() && strategy != "wrong-node" {
        bail!("--node applies to the wrong-node strategy, not {strategy:?}");
    }
    Ok(match (liar, strategy) {
        (Liar::Submitter, "wrong-token") => GenLiar::Submitter(GenLie::WrongToken { step }, false),
        (Liar::Submitter, "silent") => GenLiar::Submitter(GenLie::WrongToken { step }, true),
        (Liar::Submitter, "wrong-kv-row") => {
            if step == 0 {
                bail!("wrong-kv-row needs --at-step ≥ 1: step 0 reads no cache row");
            }
            GenLiar::Submitter(GenLie::WrongKvRow { step }, false)
        }
        (Liar::Submitter, "wrong-node") => match node {
            None => GenLiar::Submitter(GenLie::WrongNode { step }, false),
            Some(n) if n < g.nodes.len() => {
                let value = g.node_value(n).index();
                GenLiar::Submitter(GenLie::WrongValue { step, value }, false)
            }
            Some(n) => bail!(
                "--node {n} is outside the step graph: it has {} nodes",
                g.nodes.len()
            ),
        },
        (Liar::Submitter, "wrong-noise") => {
            if m.layout().noise.is_none() {
                bail!(
                    "wrong-noise needs a sampling step graph (compile with --sampling) and --seed"
                );
            }
            GenLiar::Submitter(GenLie::WrongNoise { step }, false)
        }
        (Liar::Submitter, "wrong-prompt-binding") => {
            GenLiar::Submitter(GenLie::WrongPromptBinding { index: token }, false)
        }
        (Liar::Challenger, "dispute-input") => {
            let input = at.disputed_input;
            let Some(i) = g.inputs.get(input) else {
                bail!(
                    "--disputed-input {input} is outside the step graph: it has {} inputs",
                    g.inputs.len()
                );
            };
            let len = i.info.shape.numel();
            if at.element >= len {
                bail!(
                    "--element {} is outside input {input} ({len} elements)",
                    at.element
                );
            }
            GenLiar::Challenger(GenChallengerStrategy::DisputeInput {
                step,
                input,
                element: at.element,
            })
        }
        (Liar::Challenger, "dispute-step" | "random") => {
            GenLiar::Challenger(GenChallengerStrategy::DisputeStep { step })
        }
        (Liar::Challenger, "dispute-token") => {
            GenLiar::Challenger(GenChallengerStrategy::DisputeToken { index: token })
        }
        (Liar::Submitter, s) => {
            bail!(
                "unknown submitter strategy {s:?} for a generation claim ({SUBMITTER_STRATEGIES})"
            )
        }
        (Liar::Challenger | Liar::None, s) => {
            bail!("unknown challenger strategy {s:?} for a generation claim ({CHALLENGER_STRATEGIES})")
        }
    })
}

/// The step graph of an LLM for generation claims: a compiled step graph (`.vmodel`), or a
/// GGUF file compiled here with a context of `ctx` (calibrated on text the model samples),
/// as a sampling step graph when `sampling`.
///
/// # Errors
/// A file that does not load, or a model that is not an LLM step graph.
pub fn load_gen_model_with(path: &Path, ctx: usize, sampling: bool) -> Result<GenModel> {
    let graph = if is_gguf(path) {
        let w = GgufWeights::open(path).with_context(|| format!("reading {}", path.display()))?;
        let bos = Tokenizer::from_gguf(w.file())
            .ok()
            .and_then(|t| t.bos())
            .unwrap_or(1);
        let opts = CompileOptions {
            ctx,
            sample_len: ctx.min(48),
            bos,
            sampling,
            ..CompileOptions::default()
        };
        let t = Instant::now();
        let c = compile(&w, "llm", &opts, &|| {})
            .with_context(|| format!("compiling {}", path.display()))?;
        eprintln!(
            "compiled {} (context {ctx}) in {:.1} s",
            path.display(),
            t.elapsed().as_secs_f64()
        );
        c.graph
    } else {
        verinfer_ir::vmodel::load(path).with_context(|| path.display().to_string())?
    };
    GenModel::new(graph).with_context(|| {
        format!(
            "{} is not a language model's step graph (generation claims need one: `verinfer compile M.gguf`)",
            path.display()
        )
    })
}

/// The two parties of a dispute over the generation of `prompt` + `new_tokens` on `m`; the
/// challenger holds `honest`, the honest run of that generation (sampled as it is).
///
/// # Errors
/// A request the context cannot hold, or an executor error.
pub fn parties(
    m: &Arc<GenModel>,
    prompt: &[u32],
    new_tokens: usize,
    liar: GenLiar,
    (sub, cha): (Address, Address),
    honest: GenExecution,
) -> Result<(GenSubmitter, GenChallenger)> {
    let lie = match liar {
        GenLiar::Submitter(lie, _) => Some(lie),
        _ => None,
    };
    let strategy = match liar {
        GenLiar::Challenger(s) => s,
        _ => GenChallengerStrategy::Honest,
    };
    // An honest submitter holds the same run as the challenger: not run again.
    let gen = match lie {
        Some(lie) => GenExecution::run_sampled(
            Arc::clone(m),
            prompt,
            new_tokens,
            honest.sampling(),
            Some(lie),
        )?,
        None => honest.fresh(),
    };
    let mut s = GenSubmitter::new(gen, sub);
    s.silent = matches!(liar, GenLiar::Submitter(_, true));
    let c = GenChallenger::new(honest, cha, strategy);
    Ok((s, c))
}

/// Refuses parameters under which a disputed step's sub-claim could finalize before the
/// challenger can dispute it: the single-step game's window must outlast the generation
/// game's clock (both games are deployed with the same parameters here).
///
/// # Errors
/// A window shorter than the clock.
pub fn check_params(p: &GameParams) -> Result<()> {
    if p.window < p.clock {
        bail!(
            "--window {} is shorter than --clock {}: a disputed step's sub-claim (InferenceGame, same window) could finalize before the challenger's clock runs out",
            p.window,
            p.clock
        );
    }
    Ok(())
}

/// Deploys the opML contracts and a generation game over them on `chain`, then plays
/// `sub`'s claim against `cha`.
///
/// # Errors
/// Bad parameters, deployment or game errors.
pub fn simulate_on(
    chain: &mut dyn Chain,
    params: &GameParams,
    sub: &mut GenSubmitter,
    cha: &mut GenChallenger,
) -> Result<GenReport> {
    check_params(params)?;
    let from = sub.account;
    let (c, _) = ensure_opml(chain, &mut Deployments::default(), from, params)?;
    let (game, _) = GenClient::deploy(chain, from, c.game.address, params)?;
    let ctx = GenContracts {
        registry: &c.registry,
        steps: &c.game,
        game: &game,
    };
    Ok(simulate_generation(chain, ctx, sub, cha)?)
}

/// `game simulate`'s JSON for a generation claim: today's keys plus the generation's.
#[derive(Serialize)]
struct GenSimOut {
    #[serde(flatten)]
    report: GenReport,
    model_id: String,
    prompt_tokens: usize,
    new_tokens: usize,
    steps: usize,
    disputed_step: Option<usize>,
    liar: String,
    tokens: Vec<u32>,
    seed: Option<u64>,
    temperature_q16: Option<u32>,
}

/// `verinfer game simulate MODEL --prompt-ids … --max-new-tokens N`.
pub fn simulate_cmd(a: &SimulateArgs) -> Result<()> {
    let (prompt, sampling, m) = a.gen.load(&a.model)?;
    let n = a.gen.max_new_tokens;
    verinfer_llm::session::check_request(m.layout(), &prompt, n)?;
    if n == 0 {
        bail!("--max-new-tokens 0: a generation claim covers at least one token");
    }
    let liar = resolve_liar(
        &m,
        (prompt.len(), n),
        a.liar,
        a.strategy.as_deref(),
        a.node,
        &a.at,
    )?;
    let mut chain = RevmChain::new()?;
    let acc = chain.accounts();
    let honest = GenExecution::run_sampled(Arc::clone(&m), &prompt, n, sampling, None)?;
    let (mut sub, mut cha) = parties(&m, &prompt, n, liar, (acc[0], acc[1]), honest)?;
    let tokens = sub.gen.tokens().to_vec();
    let steps = sub.gen.num_steps();
    let report = simulate_on(&mut chain, &a.params.params(), &mut sub, &mut cha)?;
    let out = GenSimOut {
        model_id: m.served().commitment().model_id.to_string(),
        prompt_tokens: prompt.len(),
        new_tokens: n,
        steps,
        disputed_step: report.step,
        liar: format!("{liar:?}"),
        tokens,
        seed: sampling.map(|s| s.seed),
        temperature_q16: sampling.map(|s| s.temp),
        report,
    };
    println!("{}", crate::cmd_game::pretty_or_line(&out, a.json)?);
    Ok(())
}

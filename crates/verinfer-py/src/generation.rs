//! `verinfer.generation_claim`: a whole LLM generation claimed optimistically
//! (`GenerationGame`, docs/protocol.md "The step level") and watched by an honest node that
//! regenerates and challenges a wrong claim — what `verinfer game simulate --prompt` plays.

use std::sync::Arc;

use pyo3::prelude::*;
use verinfer_opml::ensure_opml;
use verinfer_opml::generation::{
    simulate_generation, GenChallenger, GenChallengerStrategy, GenClient, GenContracts,
    GenExecution, GenLie, GenModel, GenSubmitter,
};

use crate::chain::Chain;
use crate::error::{Error, ResultExt};
use crate::model::Model;
use crate::parties::{game_params, Parties};
use crate::progress::{report, tx_line};

/// The lie of a generation claim at `step`, from its word.
fn parse_lie(word: Option<&str>, step: usize) -> Result<Option<GenLie>, Error> {
    match word {
        None => Ok(None),
        Some("wrong-token") => Ok(Some(GenLie::WrongToken { step })),
        Some("wrong-kv-row") if step == 0 => Err(Error::Invalid(
            "lie \"wrong-kv-row\" needs at_step >= 1 (step 0 reads no earlier row)".into(),
        )),
        Some("wrong-kv-row") => Ok(Some(GenLie::WrongKvRow { step })),
        Some("wrong-node") => Ok(Some(GenLie::WrongNode { step })),
        Some(w) => Err(Error::Invalid(format!(
            "lie {w:?}: expected None, \"wrong-token\", \"wrong-kv-row\" or \"wrong-node\""
        ))),
    }
}

/// Claims the greedy generation of `max_new_tokens` tokens after `prompt` by the language
/// model `model` as one `GenerationGame` claim on `chain`, and lets an honest node watch it:
/// it regenerates, and when the claim differs it bisects the generation down to one step
/// whose single-step claim is played out in the inference game. A claim nobody disputes is
/// finalized after its window (the chain's clock is moved on).
///
/// `prompt`: text (the model's tokenizer) or token ids. `chain`: a `Chain` (default: a fresh
/// in-process EVM; the contracts are deployed on it). `lie`: `None`, `"wrong-token"`,
/// `"wrong-kv-row"` or `"wrong-node"`, at step `at_step` (default: the middle step).
/// `submitter`, `challenger`: account indices or addresses (default 0 and 1). `window` must
/// be at least `clock` (a disputed step's sub-claim must outlive the generation game's clock).
/// `progress(line)`: one line per stage.
///
/// Returns the report as a dict: `winner`, `reason`, `claim_status`, `mode` (`"bisect"`,
/// `"bind"`, `"none"`), `step`, `moves`, `rounds`, `total_gas`, `max_step_gas`, `claim_gas`,
/// `sub` (the single-step game's report or `None`), `transactions`, `wall_ms`, plus
/// `model_id`, `prompt_ids`, `tokens` (the generated tokens the claim states), `text` (their
/// text, `None` without a tokenizer) and `steps`.
///
/// Raises `VerinferError` when the model is not a language model's step graph, the request
/// does not fit its context, or the chain fails.
#[pyfunction]
#[pyo3(signature = (model, prompt, max_new_tokens=16, chain=None, *, lie=None, at_step=None, submitter=None, challenger=None, window=3600, clock=600, progress=None))]
#[allow(clippy::too_many_arguments)]
pub fn generation_claim<'py>(
    py: Python<'py>,
    model: &Model,
    prompt: &Bound<'py, PyAny>,
    max_new_tokens: usize,
    chain: Option<&Chain>,
    lie: Option<&str>,
    at_step: Option<usize>,
    submitter: Option<&Bound<'py, PyAny>>,
    challenger: Option<&Bound<'py, PyAny>>,
    window: u64,
    clock: u64,
    progress: Option<Py<PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let prompt_ids = model.prompt_ids(prompt)?;
    if max_new_tokens == 0 {
        return Err(Error::Invalid(
            "max_new_tokens 0: a generation claim covers at least one token".into(),
        )
        .into());
    }
    if window < clock {
        return Err(Error::Invalid(format!(
            "window {window} is shorter than clock {clock}: a disputed step's sub-claim could finalize before the challenger's clock runs out"
        ))
        .into());
    }
    let steps = prompt_ids.len() + max_new_tokens - 1;
    let step = at_step.unwrap_or(steps / 2);
    if lie.is_some() && step >= steps {
        return Err(Error::Invalid(format!(
            "at_step {step} is outside the generation: it has {steps} steps"
        ))
        .into());
    }
    let lie = parse_lie(lie, step)?;
    let parties = Parties::parse(submitter, challenger)?;
    let params = game_params(window, clock);
    let graph = model.model.graph().clone();
    let progress = progress.as_ref();
    report(
        progress,
        "regenerating: the claimant's and the watcher's runs",
    )?;
    let (m, honest, claimed) = py
        .detach(|| {
            let m = Arc::new(
                GenModel::new(graph)
                    .context(|| "not a language model's step graph (generation claims need one: compile a GGUF model)".into())?,
            );
            let honest =
                GenExecution::run(Arc::clone(&m), &prompt_ids, max_new_tokens, None).lib()?;
            let claimed =
                GenExecution::run(Arc::clone(&m), &prompt_ids, max_new_tokens, lie).lib()?;
            Ok::<_, Error>((m, honest, claimed))
        })
        .map_err(PyErr::from)?;
    let tokens = claimed.tokens().to_vec();
    let model_id = m.served().commitment().model_id.to_string();
    let mut fresh = None;
    let chain = Chain::given_or_fresh(chain, &mut fresh)?;
    report(
        progress,
        "deploying the games; the claim is posted and watched",
    )?;
    let (rep, deploy_lines) = chain.with(py, |s| {
        let (sub_acct, cha_acct) = parties.resolve(s.chain())?;
        let (chain, d) = s.parts();
        let (c, mut receipts) = ensure_opml(chain, d, sub_acct, &params).lib()?;
        let (game, r) = GenClient::deploy(chain, sub_acct, c.game.address, &params).lib()?;
        receipts.push(r);
        let ctx = GenContracts {
            registry: &c.registry,
            steps: &c.game,
            game: &game,
        };
        let mut sub = GenSubmitter::new(claimed, sub_acct);
        let mut cha = GenChallenger::new(honest, cha_acct, GenChallengerStrategy::Honest);
        let rep = simulate_generation(chain, ctx, &mut sub, &mut cha).lib()?;
        Ok((rep, receipts.iter().map(tx_line).collect::<Vec<_>>()))
    })?;
    for l in &deploy_lines {
        report(progress, l)?;
    }
    report(
        progress,
        &format!(
            "generation claim {} (winner: {}, mode {})",
            rep.claim_status, rep.winner, rep.mode
        ),
    )?;
    let text = model.tokenizer().map(|t| t.decode(&tokens));
    let mut v = serde_json::to_value(&rep).lib()?;
    if let Some(o) = v.as_object_mut() {
        o.insert("model_id".into(), model_id.into());
        o.insert("prompt_ids".into(), serde_json::json!(prompt_ids));
        o.insert("tokens".into(), serde_json::json!(tokens));
        o.insert("text".into(), serde_json::json!(text));
        o.insert("steps".into(), steps.into());
    }
    py.import("json")?.call_method1("loads", (v.to_string(),))
}

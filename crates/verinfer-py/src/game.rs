//! Optimistic claims on any chain, one role per call — what `verinfer claim`, `defend`,
//! `challenge` and the node's watcher do: `claim` posts a claim and returns a `Claim` that
//! defends it; `challenge` re-executes a claim by id and plays a game against it; `watch`
//! follows the claims of a model and challenges the wrong ones. On a node the calls block,
//! polling, until their game ends or `timeout` passes; on the in-process EVM two parties in
//! one process play from two threads (each pass over the chain holds it briefly).

use std::collections::BTreeMap;
use std::sync::Mutex;

use pyo3::prelude::*;
use verinfer_chain::bindings::InferenceGame;
use verinfer_chain::{Address, U256};
use verinfer_ir::Graph;
use verinfer_opml::driver::{defend, play};
use verinfer_opml::simulate::prepare_model;
use verinfer_opml::{
    ensure_opml, find_opml, lying_execution, Challenger, ChallengerStrategy, ClaimStatus,
    Execution, GameClient, Phase, Submitter, SubmitterStrategy,
};

use crate::chain::{Chain, SenderArg, State};
use crate::error::{Error, ResultExt};
use crate::inputs;
use crate::model::Model;
use crate::optimistic::Lie;
use crate::progress::{report_all, tx_line, Waiting};

/// A word for Python: `ChallengerWon` → `challenger_won`.
pub(crate) fn snake(debug: &str) -> String {
    let mut out = String::with_capacity(debug.len() + 4);
    for (i, ch) in debug.chars().enumerate() {
        if ch.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(ch.to_ascii_lowercase());
        } else {
            out.push(ch);
        }
    }
    out
}

fn status_word(s: ClaimStatus) -> String {
    snake(&format!("{s:?}"))
}

fn u64_of(v: U256, what: &str) -> Result<u64, Error> {
    u64::try_from(v).map_err(|_| Error::Invalid(format!("{what} {v} does not fit 64 bits")))
}

/// The game recorded on this chain and the block it was deployed in (where its logs start).
fn recorded_game(s: &mut State) -> Result<(GameClient, u64), Error> {
    let (chain, d) = s.parts();
    let c = find_opml(chain, d).lib()?;
    let since = d
        .deployed_block(chain.chain_id(), "InferenceGame")
        .unwrap_or(0);
    Ok((c.game, since))
}

/// An optimistic claim posted by this process, with the execution that answers every game
/// against it (the submitter's side of `verinfer claim --defend`).
#[pyclass(module = "verinfer", frozen)]
pub struct Claim {
    id: u64,
    chain: Py<Chain>,
    game: GameClient,
    submitter: Mutex<Submitter>,
    account: Address,
    model_id: String,
    outputs: Vec<Vec<i32>>,
}

/// Posts an optimistic claim of `model`'s output on `inputs` on `chain` (what `verinfer claim`
/// does): deploys the registry, one-step verifier and game on first use (a `Chain.connect`
/// chain given `Chain.use_deployments` uses the recorded ones), registers the model, teaches
/// it to the game, and posts the claim with its bond. Returns the `Claim`; call
/// `Claim.defend()` to answer games against it and finalize it after its window.
///
/// `sender`: account index or address (default: the chain's first account). `lie`: `None`
/// (honest), `"wrong-output"` or `"wrong-node"` (a claim that loses when challenged, for
/// demonstrations). `publish_input`: post the input data with the claim so that any watcher
/// can re-execute it from the chain alone. `window`, `clock`: the game's parameters when this
/// call deploys it. `progress(line)`: one line per transaction.
///
/// Raises `VerinferError` for inputs that do not fit or a reverted transaction.
#[pyfunction]
#[pyo3(signature = (model, inputs, chain, *, sender=None, lie=None, publish_input=false, window=3600, clock=600, progress=None))]
#[allow(clippy::too_many_arguments)]
pub fn claim(
    py: Python<'_>,
    model: &Model,
    inputs: &Bound<'_, PyAny>,
    chain: &Bound<'_, Chain>,
    sender: Option<&Bound<'_, PyAny>>,
    lie: Option<&str>,
    publish_input: bool,
    window: u64,
    clock: u64,
    progress: Option<Py<PyAny>>,
) -> PyResult<Claim> {
    let src = inputs::source(inputs)?;
    let lie = Lie::parse(lie)?;
    let sender = SenderArg::parse(sender)?;
    let params = crate::parties::game_params(window, clock);
    let graph = model.model.graph().clone();
    let (id, sub, game, lines) = chain.get().with(py, |s| {
        let q = inputs::quantized(&graph, &src)?;
        let from = sender.resolve(s.chain())?;
        let (chain, d) = s.parts();
        let (c, receipts) = ensure_opml(chain, d, from, &params).lib()?;
        let mut lines: Vec<String> = receipts.iter().map(tx_line).collect();
        let exec = match lie {
            None => Execution::run(graph.clone(), &q).lib()?,
            Some(l) => lying_execution(graph.clone(), &q, l.trace_lie(graph.nodes.len())).lib()?,
        };
        let mut sub = Submitter::new(exec, from, SubmitterStrategy::Honest);
        sub.publish_inputs = publish_input;
        let prep = prepare_model(s.chain(), &c.registry, &c.game, &sub).lib()?;
        lines.extend(prep.iter().map(tx_line));
        let cfg = c.game.config(s.chain()).lib()?;
        let (id, r) = sub.claim(s.chain(), &c.game, &cfg).lib()?;
        sub.logs_from = r.block_number;
        lines.push(tx_line(&r));
        lines.push(format!("claim {id} posted on game {}", c.game.address));
        Ok((id, sub, c.game, lines))
    })?;
    report_all(progress.as_ref(), &lines)?;
    Ok(Claim::posted(id, chain.clone().unbind(), game, sub, &graph))
}

impl Claim {
    /// Claim `id` just posted by `sub` on `game` (on `chain`) about `graph`.
    pub(crate) fn posted(
        id: u64,
        chain: Py<Chain>,
        game: GameClient,
        sub: Submitter,
        graph: &Graph,
    ) -> Self {
        let outputs = graph
            .outputs
            .iter()
            .map(|o| sub.exec.values()[o.value.index()].clone())
            .collect();
        Self {
            id,
            chain,
            game,
            account: sub.account,
            model_id: sub.exec.model().model_id.to_string(),
            submitter: Mutex::new(sub),
            outputs,
        }
    }
}

#[pymethods]
impl Claim {
    /// The claim id on the game.
    #[getter]
    fn id(&self) -> u64 {
        self.id
    }

    /// The model id the claim is about.
    #[getter]
    fn model_id(&self) -> &str {
        &self.model_id
    }

    /// The quantized outputs the claim states, per output.
    #[getter]
    fn outputs(&self) -> Vec<Vec<i32>> {
        self.outputs.clone()
    }

    /// The account that posted it.
    #[getter]
    fn submitter(&self) -> String {
        self.account.to_string()
    }

    /// The game contract's address.
    #[getter]
    fn game(&self) -> String {
        self.game.address.to_string()
    }

    /// `"pending"`, `"finalized"` or `"rejected"`, as the chain says now.
    fn status(&self, py: Python<'_>) -> PyResult<String> {
        let game = self.game;
        let id = self.id;
        self.chain
            .get()
            .with(py, |s| game.status(s.chain(), id).lib())
            .map(status_word)
    }

    /// Answers every game against the claim and finalizes it once its window has passed
    /// with no game open (what `verinfer defend` does), polling every `poll` seconds until
    /// the claim is final or rejected, or `timeout` seconds have passed. Returns the status
    /// then (`"pending"` when the time ran out). On the in-process EVM move time on with
    /// `Chain.advance_time` to let the window pass.
    ///
    /// Raises `VerinferError` when an honest move is refused or the chain fails.
    #[pyo3(signature = (*, timeout=None, poll=0.2, progress=None))]
    fn defend(
        &self,
        py: Python<'_>,
        timeout: Option<f64>,
        poll: f64,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<String> {
        let wait = Waiting::new(timeout, poll)?;
        let chain = self.chain.get();
        loop {
            let (status, lines) = chain.with(py, |s| {
                let mut sub = self.submitter.lock().map_err(|_| {
                    Error::Invalid("the claim is poisoned by an earlier panic".into())
                })?;
                let mut lines = Vec::new();
                let st = defend(s.chain(), &self.game, &mut sub, self.id, None, &mut |r| {
                    lines.push(tx_line(r));
                })
                .lib()?;
                Ok((st, lines))
            })?;
            report_all(progress.as_ref(), &lines)?;
            if status != ClaimStatus::Pending || !wait.pause(py)? {
                return Ok(status_word(status));
            }
        }
    }

    fn __repr__(&self) -> String {
        format!(
            "<verinfer.Claim {} on {} by {}>",
            self.id, self.game.address, self.account
        )
    }
}

/// A challenger's honest re-execution of claim `claim_id`: from `src` when given, else from
/// the input data the claim posted; refused when the input is not the one claimed.
fn challenger_for(
    s: &mut State,
    game: &GameClient,
    since: u64,
    graph: &Graph,
    claim_id: u64,
    src: Option<&inputs::Source>,
    from: Address,
) -> Result<Challenger, Error> {
    let event = game.claim_event(s.chain(), claim_id, since).lib()?;
    let q = match src {
        Some(src) => inputs::quantized(graph, src)?,
        None if !event.inputs.is_empty() => event.inputs.clone(),
        None => {
            return Err(Error::Invalid(format!(
                "claim {claim_id} posted only its input roots: pass its inputs"
            )))
        }
    };
    let exec = Execution::run(graph.clone(), &q).lib()?;
    for (i, root) in event.inputRoots.iter().enumerate() {
        let ours = exec.trace().value_roots()[i];
        if root.0 != ours.to_bytes() {
            return Err(Error::Invalid(format!(
                "input {i} does not match claim {claim_id}: its root is {root}, this input's is {ours}"
            )));
        }
    }
    Ok(Challenger::new(exec, from, ChallengerStrategy::Honest).with_logs_from(since))
}

/// One pass of `challenger`'s game `game_id`: its moves (and a timeout claimed) until it is
/// the other side's turn. Returns the phase and the claim's status after it.
fn play_pass(
    py: Python<'_>,
    chain: &Chain,
    game: GameClient,
    challenger: &mut Challenger,
    game_id: u64,
    claim_id: u64,
    progress: Option<&Py<PyAny>>,
) -> PyResult<(Phase, ClaimStatus)> {
    let (phase, status, lines) = chain.with(py, |s| {
        let mut lines = Vec::new();
        let phase = play(s.chain(), &game, challenger, game_id, None, &mut |r| {
            lines.push(tx_line(r));
        })
        .lib()?;
        let status = game.status(s.chain(), claim_id).lib()?;
        Ok((phase, status, lines))
    })?;
    report_all(progress, &lines)?;
    Ok((phase, status))
}

/// Challenges claim `claim_id` on `chain` (what `verinfer challenge` does): re-executes
/// `model` on the claim's input (`inputs`, or the data the claim posted), and when the claim's
/// trace differs from the honest one (or `force`) opens a game with the challenger's bond and
/// plays it — bisection down to one step the chain checks — until it ends or `timeout`
/// seconds pass (polling every `poll` seconds). `game`: continue this game (opened earlier by
/// `sender`) instead of opening one.
///
/// Returns `{"claim_id", "challenged": bool, "game_id": int | None, "phase": str | None,
/// "claim_status": str}`: `phase` `"challenger_won"` / `"submitter_won"` when the game ended,
/// the phase it waits in otherwise.
///
/// Raises `VerinferError` for another model's claim, an input that is not the claimed one,
/// a game that is not `sender`'s, or a chain failure.
#[pyfunction]
#[pyo3(signature = (model, claim_id, chain, inputs=None, *, sender=None, force=false, game=None, timeout=None, poll=0.2, progress=None))]
#[allow(clippy::too_many_arguments)]
pub fn challenge<'py>(
    py: Python<'py>,
    model: &Model,
    claim_id: u64,
    chain: &Chain,
    inputs: Option<&Bound<'py, PyAny>>,
    sender: Option<&Bound<'py, PyAny>>,
    force: bool,
    game: Option<u64>,
    timeout: Option<f64>,
    poll: f64,
    progress: Option<Py<PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let src = inputs.map(inputs::source).transpose()?;
    let sender = SenderArg::parse(sender)?;
    let wait = Waiting::new(timeout, poll)?;
    let graph = model.model.graph().clone();
    let progress = progress.as_ref();
    let (client, mut cha, opened, lines) = chain.with(py, |s| {
        let from = sender.resolve(s.chain())?;
        let (client, since) = recorded_game(s)?;
        let mut cha = challenger_for(s, &client, since, &graph, claim_id, src.as_ref(), from)?;
        let mut lines = Vec::new();
        let opened = match game {
            Some(id) => {
                let g = client.game(s.chain(), id).lib()?;
                if g.challenger != from || g.claimId != U256::from(claim_id) {
                    return Err(Error::Invalid(format!(
                        "game {id} is not {from}'s game on claim {claim_id}"
                    )));
                }
                Some(id)
            }
            None if !force && !cha.disputes(s.chain(), &client, claim_id).lib()? => None,
            None => {
                let cfg = client.config(s.chain()).lib()?;
                let (id, r) = client
                    .challenge(s.chain(), from, cfg.challenger_bond, claim_id)
                    .lib()?;
                cha.logs_from = r.block_number;
                lines.push(tx_line(&r));
                lines.push(format!("game {id} opened on claim {claim_id}"));
                Some(id)
            }
        };
        Ok((client, cha, opened, lines))
    })?;
    report_all(progress, &lines)?;
    let mut out = serde_json::json!({
        "claim_id": claim_id,
        "challenged": opened.is_some(),
        "game_id": opened,
        "phase": null,
    });
    let status = match opened {
        None => chain.with(py, |s| client.status(s.chain(), claim_id).lib())?,
        Some(gid) => loop {
            let (phase, status) = play_pass(py, chain, client, &mut cha, gid, claim_id, progress)?;
            out["phase"] = snake(&format!("{phase:?}")).into();
            if phase.is_over() || !wait.pause(py)? {
                break status;
            }
        },
    };
    out["claim_status"] = status_word(status).into();
    py.import("json")?.call_method1("loads", (out.to_string(),))
}

/// A claim `watch` is playing a game against.
struct Watched {
    record: usize,
    claim_id: u64,
    game_id: u64,
    challenger: Challenger,
}

/// Watches the claims about `model` on `chain` (the node's watcher): every claim from
/// `from_claim` on is re-executed on the input it posted (claims that posted only roots are
/// reported as skipped), and one whose trace differs from the honest execution is challenged
/// and its game played to the end. Runs until `timeout` seconds have passed, or once
/// `max_claims` claims about the model have been seen and their games have ended (`None`:
/// until interrupted), polling every `poll` seconds. `progress(line)` gets one line per claim
/// seen and per transaction.
///
/// Returns one dict per claim seen: `{"claim_id", "submitter", "verdict", "game_id", "phase",
/// "claim_status"}`; `verdict` is `"agrees"`, `"challenged"` or `"skipped"` (then `reason`).
///
/// Raises `VerinferError` when no game is recorded on the chain or the chain fails.
#[pyfunction]
#[pyo3(signature = (model, chain, *, sender=None, from_claim=0, max_claims=None, timeout=None, poll=0.2, progress=None))]
#[allow(clippy::too_many_arguments)]
pub fn watch<'py>(
    py: Python<'py>,
    model: &Model,
    chain: &Chain,
    sender: Option<&Bound<'py, PyAny>>,
    from_claim: u64,
    max_claims: Option<usize>,
    timeout: Option<f64>,
    poll: f64,
    progress: Option<Py<PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let sender = SenderArg::parse(sender)?;
    let wait = Waiting::new(timeout, poll)?;
    let graph = model.model.graph().clone();
    let model_word = verinfer_node::model_id_of(&graph);
    let progress = progress.as_ref();
    let mut records: Vec<serde_json::Value> = Vec::new();
    let mut active: Vec<Watched> = Vec::new();
    let mut next = from_claim;
    loop {
        let lines = chain.with(py, |s| {
            let from = sender.resolve(s.chain())?;
            let (client, since) = recorded_game(s)?;
            let count = verinfer_chain::view_default(
                s.chain(),
                client.address,
                &InferenceGame::claimCountCall {},
                "InferenceGame.claimCount",
            )
            .lib()?;
            let count = u64_of(count, "claim count")?;
            let mut lines = Vec::new();
            while next < count && max_claims.is_none_or(|m| records.len() < m) {
                let id = next;
                next += 1;
                let info = client.claim_info(s.chain(), id).lib()?;
                if info.modelId != model_word {
                    continue;
                }
                let mut rec = BTreeMap::new();
                rec.insert("claim_id", serde_json::json!(id));
                rec.insert("submitter", info.submitter.to_string().into());
                rec.insert("game_id", serde_json::Value::Null);
                rec.insert("phase", serde_json::Value::Null);
                match challenger_for(s, &client, since, &graph, id, None, from) {
                    Err(e) => {
                        lines.push(format!("claim {id}: skipped ({})", e.message()));
                        rec.insert("verdict", "skipped".into());
                        rec.insert("reason", e.message().into());
                    }
                    Ok(cha) if !cha.disputes(s.chain(), &client, id).lib()? => {
                        lines.push(format!("claim {id}: agrees with the honest execution"));
                        rec.insert("verdict", "agrees".into());
                    }
                    Ok(mut cha) => {
                        let cfg = client.config(s.chain()).lib()?;
                        let (gid, r) = client
                            .challenge(s.chain(), from, cfg.challenger_bond, id)
                            .lib()?;
                        cha.logs_from = r.block_number;
                        lines.push(tx_line(&r));
                        lines.push(format!("claim {id}: wrong trace, game {gid} opened"));
                        rec.insert("verdict", "challenged".into());
                        rec.insert("game_id", gid.into());
                        active.push(Watched {
                            record: records.len(),
                            claim_id: id,
                            game_id: gid,
                            challenger: cha,
                        });
                    }
                }
                let status = client.status(s.chain(), id).lib()?;
                rec.insert("claim_status", status_word(status).into());
                records.push(serde_json::json!(rec));
            }
            Ok(lines)
        })?;
        report_all(progress, &lines)?;
        let client = chain.with(py, |s| recorded_game(s).map(|(c, _)| c))?;
        let mut still = Vec::new();
        for mut w in active.drain(..) {
            let (phase, status) = play_pass(
                py,
                chain,
                client,
                &mut w.challenger,
                w.game_id,
                w.claim_id,
                progress,
            )?;
            records[w.record]["phase"] = snake(&format!("{phase:?}")).into();
            records[w.record]["claim_status"] = status_word(status).into();
            if !phase.is_over() {
                still.push(w);
            }
        }
        active = still;
        let done = max_claims.is_some_and(|m| records.len() >= m) && active.is_empty();
        if done || !wait.pause(py)? {
            break;
        }
    }
    let text = serde_json::Value::Array(records).to_string();
    py.import("json")?.call_method1("loads", (text,))
}

//! `verinfer.optimistic_claim`: an optimistic (opML) claim of one inference on a chain, watched
//! by an honest node that re-executes and challenges a wrong claim — the dispute game of
//! `verinfer game simulate`, called at the library level (`verinfer_opml`).

use pyo3::prelude::*;
use verinfer_opml::simulate::prepare_model;
use verinfer_opml::{
    ensure_opml, lying_execution, play_out, Challenger, ChallengerStrategy, Execution, Submitter,
    SubmitterStrategy, TraceLie,
};

use crate::chain::Chain;
use crate::error::{Error, ResultExt};
use crate::inputs;
use crate::model::Model;
use crate::parties::{game_params, Parties};
use crate::progress::report;

/// What the claimant lies about (tests and demonstrations of the game).
#[derive(Clone, Copy)]
pub(crate) enum Lie {
    /// The last node's first element is off by one: a wrong output.
    WrongOutput,
    /// A middle node's first element is off by one, and the lie flows on to the output.
    WrongNode,
}

impl Lie {
    pub(crate) fn parse(word: Option<&str>) -> Result<Option<Self>, Error> {
        match word {
            None => Ok(None),
            Some("wrong-output") => Ok(Some(Self::WrongOutput)),
            Some("wrong-node") => Ok(Some(Self::WrongNode)),
            Some(w) => Err(Error::Invalid(format!(
                "lie {w:?}: expected None, \"wrong-output\" or \"wrong-node\""
            ))),
        }
    }

    pub(crate) fn trace_lie(self, nodes: usize) -> TraceLie {
        let last = nodes.saturating_sub(1);
        let (node, propagate) = match self {
            Self::WrongOutput => (last, false),
            Self::WrongNode => (last / 2, true),
        };
        TraceLie {
            node,
            element: 0,
            delta: 1,
            propagate,
        }
    }
}

/// Claims `model`'s output on `inputs` optimistically on `chain` and lets an honest node watch
/// the claim: it re-executes the model, challenges a claim whose trace differs, and plays the
/// dispute game (bisection down to one step checked on chain) to its end; a claim nobody
/// disputes is finalized once its challenge window has passed (the chain's clock is moved on).
///
/// `chain`: a `Chain` (default: a fresh in-process EVM; the registry, one-step verifier and game
/// are deployed on first use and reused). `lie`: `None` (an honest claim), `"wrong-output"` or
/// `"wrong-node"` to watch the game catch a liar. `submitter` and `challenger`: account
/// indices or addresses (default 0 and 1). `window` and `clock`: the game's challenge window and
/// per-party chess clock in seconds (a game already deployed with other values is not reused).
/// `progress`: a callable given one line per stage.
///
/// Returns the game's report as a dict: `winner` (`"none"` when nobody challenged,
/// `"submitter"`, `"challenger"`), `reason`, `claim_status` (`"finalized"` or `"rejected"`),
/// `moves`, `rounds`, `total_gas`, `max_step_gas`, `claim_gas`, `transactions`, `wall_ms`, plus
/// `claim_id`, `model_id` and `claimed_outputs` (the quantized outputs the claim states).
///
/// Raises `VerinferError` for inputs that do not fit or a chain failure.
#[pyfunction]
#[pyo3(signature = (model, inputs, chain=None, *, lie=None, submitter=None, challenger=None, window=3600, clock=600, progress=None))]
#[allow(clippy::too_many_arguments)]
pub fn optimistic_claim<'py>(
    py: Python<'py>,
    model: &Model,
    inputs: &Bound<'py, PyAny>,
    chain: Option<&Chain>,
    lie: Option<&str>,
    submitter: Option<&Bound<'py, PyAny>>,
    challenger: Option<&Bound<'py, PyAny>>,
    window: u64,
    clock: u64,
    progress: Option<Py<PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    let src = inputs::source(inputs)?;
    let lie = Lie::parse(lie)?;
    let parties = Parties::parse(submitter, challenger)?;
    let params = game_params(window, clock);
    let graph = model.model.graph().clone();
    let mut fresh = None;
    let chain = Chain::given_or_fresh(chain, &mut fresh)?;
    let progress = progress.as_ref();
    let text = chain.with(py, |s| {
        let q = inputs::quantized(&graph, &src)?;
        let (sub_acct, cha_acct) = parties.resolve(s.chain())?;
        report(
            progress,
            "deploying the registry, one-step verifier and game",
        )?;
        let (chain, deployments) = s.parts();
        let (c, _) = ensure_opml(chain, deployments, sub_acct, &params).lib()?;
        let exec = match lie {
            None => Execution::run(graph.clone(), &q).lib()?,
            Some(l) => lying_execution(graph.clone(), &q, l.trace_lie(graph.nodes.len())).lib()?,
        };
        let claimed: Vec<Vec<i32>> = graph
            .outputs
            .iter()
            .map(|o| exec.values()[o.value.index()].clone())
            .collect();
        let model_id = exec.model().model_id.to_string();
        let mut sub = Submitter::new(exec, sub_acct, SubmitterStrategy::Honest);
        let mut cha = Challenger::new(
            Execution::run(graph.clone(), &q).lib()?,
            cha_acct,
            ChallengerStrategy::Honest,
        );
        report(
            progress,
            "registering the model and teaching it to the game",
        )?;
        prepare_model(s.chain(), &c.registry, &c.game, &sub).lib()?;
        let cfg = c.game.config(s.chain()).lib()?;
        let (claim, receipt) = sub.claim(s.chain(), &c.game, &cfg).lib()?;
        report(
            progress,
            &format!(
                "claim {claim} posted ({} gas); the watcher checks it",
                receipt.gas_used
            ),
        )?;
        let rep = play_out(
            s.chain(),
            &c.game,
            &mut sub,
            &mut cha,
            claim,
            receipt.gas_used,
            false,
        )
        .lib()?;
        report(
            progress,
            &format!(
                "claim {claim} {} (winner: {})",
                rep.claim_status, rep.winner
            ),
        )?;
        let mut v = serde_json::to_value(&rep).lib()?;
        if let Some(o) = v.as_object_mut() {
            o.insert("claim_id".into(), claim.into());
            o.insert("model_id".into(), model_id.into());
            o.insert("claimed_outputs".into(), serde_json::json!(claimed));
        }
        serde_json::to_string(&v).lib()
    })?;
    py.import("json")?.call_method1("loads", (text,))
}

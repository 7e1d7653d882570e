//! `verinfer.Oracle`: the inference oracle (`InferenceOracle.sol`) from Python — deploy it,
//! request an inference, answer a request optimistically (a claim bound to the request, what
//! a node does), settle it once the claim is final (the fee is split and the consumer called
//! back). What `verinfer oracle deploy|request|status` and the node's answering do.

use pyo3::prelude::*;
use verinfer_chain::{Address, U256};
use verinfer_commit::ModelCommitment;
use verinfer_opml::{
    ensure_opml, find_opml, ClaimStatus, Execution, GameParams, Submitter, SubmitterStrategy,
};
use verinfer_oracle::{OracleClient, OracleParams, RequestId};

use crate::chain::{Chain, SenderArg, State};
use crate::error::{Error, ResultExt};
use crate::game::{snake, Claim};
use crate::inputs;
use crate::model::Model;
use crate::progress::{report_all, tx_line};

/// An `InferenceOracle` on a chain: requests of registered models, answered by optimistic
/// claims (or proofs) and settled when the answer is final.
#[pyclass(module = "verinfer", frozen)]
pub struct Oracle {
    chain: Py<Chain>,
    client: OracleClient,
}

/// The oracle recorded on the chain, checked against this build's code.
fn recorded(s: &mut State, address: Address) -> Result<OracleClient, Error> {
    OracleClient::at(s.chain(), address).lib()
}

/// The outputs of the first final claim that answered `req` (what `settle` pays for), or
/// the request's recorded answer; none final yet: the oracle's own refusal (`NotFinal`) is
/// left to `settle` with the first claim's outputs.
fn final_answer(s: &mut State, o: &OracleClient, req: RequestId) -> Result<Vec<Vec<i32>>, Error> {
    let recorded = o.outputs_of(s.chain(), req).lib()?;
    if !recorded.is_empty() {
        return Ok(recorded);
    }
    let (chain, d) = s.parts();
    let c = find_opml(chain, d).lib()?;
    let since = d
        .deployed_block(chain.chain_id(), "InferenceGame")
        .unwrap_or(0);
    let claims = o.claims_of(chain, req).lib()?;
    let mut first = None;
    for id in claims {
        let outputs = c.game.claim_event(chain, id, since).lib()?.outputs;
        if c.game.status(chain, id).lib()? == ClaimStatus::Finalized {
            return Ok(outputs);
        }
        first.get_or_insert(outputs);
    }
    first.ok_or_else(|| Error::Invalid(format!("request {req} has no answering claim")))
}

#[pymethods]
impl Oracle {
    /// Deploys the registry, the game and an oracle over them on `chain` (reusing the
    /// registry and game deployed earlier through this `Chain`), as `verinfer oracle deploy`.
    ///
    /// `fee_wei`: the least fee of a request; `owner_share_bps`: the model owner's share of
    /// each fee; `cancel_delay`: seconds before an unanswered request may be cancelled;
    /// `max_callback_gas`: the most callback gas a request may ask for; `window`, `clock`: the
    /// game's when this call deploys it.
    ///
    /// Raises `VerinferError` when a deployment reverts.
    #[staticmethod]
    #[pyo3(signature = (chain, *, fee_wei=10_000_000_000_000_000, owner_share_bps=1000, cancel_delay=86_400, max_callback_gas=2_000_000, window=3600, clock=600, sender=None))]
    #[allow(clippy::too_many_arguments)]
    fn deploy(
        py: Python<'_>,
        chain: &Bound<'_, Chain>,
        fee_wei: u128,
        owner_share_bps: u16,
        cancel_delay: u64,
        max_callback_gas: u64,
        window: u64,
        clock: u64,
        sender: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let sender = SenderArg::parse(sender)?;
        let game = GameParams {
            window,
            clock,
            ..GameParams::default()
        };
        let p = OracleParams {
            fee: U256::from(fee_wei),
            owner_share_bps,
            cancel_delay,
            max_callback_gas,
        };
        let client = chain.get().with(py, |s| {
            let from = sender.resolve(s.chain())?;
            let (chain, d) = s.parts();
            let (c, _) = ensure_opml(chain, d, from, &game).lib()?;
            let (o, r) =
                OracleClient::deploy(chain, from, c.registry.address, c.game.address, &p).lib()?;
            d.set_deployed(
                chain.chain_id(),
                OracleClient::NAME,
                o.address,
                r.block_number,
            );
            Ok(o)
        })?;
        Ok(Self {
            chain: chain.clone().unbind(),
            client,
        })
    }

    /// The oracle at `address` on `chain` (its code checked).
    ///
    /// Raises `VerinferError` when the code there is not this build's oracle.
    #[staticmethod]
    fn at(py: Python<'_>, chain: &Bound<'_, Chain>, address: String) -> PyResult<Self> {
        let a: Address = address
            .parse()
            .map_err(|_| Error::Invalid(format!("address {address:?} is not an address")))?;
        let client = chain.get().with(py, |s| recorded(s, a))?;
        Ok(Self {
            chain: chain.clone().unbind(),
            client,
        })
    }

    /// The contract's address.
    #[getter]
    fn address(&self) -> String {
        self.client.address.to_string()
    }

    /// Registers `model` (its commitment, so that requests for it are accepted) and teaches it
    /// to the game (what a model owner does once); nothing is sent for what is done already.
    /// Returns the number of transactions sent.
    ///
    /// Raises `VerinferError` when a transaction reverts.
    #[pyo3(signature = (model, *, uri="verinfer", sender=None))]
    fn register(
        &self,
        py: Python<'_>,
        model: &Model,
        uri: &str,
        sender: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<usize> {
        let sender = SenderArg::parse(sender)?;
        let g = model.model.graph().clone();
        self.chain.get().with(py, |s| {
            let from = sender.resolve(s.chain())?;
            let (chain, d) = s.parts();
            let c = find_opml(chain, d).lib()?;
            let m = ModelCommitment::new(&g);
            let id = verinfer_node::model_id_of(&g);
            let mut sent = 0;
            if !c.registry.is_registered(chain, id).lib()? {
                c.registry.register(chain, from, id, uri).lib()?;
                sent += 1;
            }
            if c.game.ensure_learned(chain, from, &g, &m).lib()?.is_some() {
                sent += 1;
            }
            Ok(sent)
        })
    }

    /// Requests `model` on `inputs` (one sample; `Model.run`'s forms), paying `fee_wei`
    /// (default: the least the oracle takes with `callback_gas`), with `callback` (an
    /// `IInferenceConsumer` contract's address) called back with the outputs when it settles.
    /// Returns the request id.
    ///
    /// Raises `VerinferError` with the oracle's reason (`UnknownModel`, `FeeTooLow`, …).
    #[pyo3(signature = (model, inputs, *, fee_wei=None, callback=None, callback_gas=500_000, sender=None))]
    #[allow(clippy::too_many_arguments)]
    fn request(
        &self,
        py: Python<'_>,
        model: &Model,
        inputs: &Bound<'_, PyAny>,
        fee_wei: Option<u128>,
        callback: Option<String>,
        callback_gas: u64,
        sender: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<u64> {
        let src = inputs::source(inputs)?;
        let sender = SenderArg::parse(sender)?;
        let callback = match callback {
            Some(c) => c
                .parse::<Address>()
                .map_err(|_| Error::Invalid(format!("callback {c:?} is not an address")))?,
            None => Address::ZERO,
        };
        let g = model.model.graph().clone();
        let o = self.client;
        self.chain.get().with(py, |s| {
            let q = inputs::quantized(&g, &src)?;
            let from = sender.resolve(s.chain())?;
            let fee = match fee_wei {
                Some(f) => U256::from(f),
                None => o.required_fee(s.chain(), callback_gas).lib()?,
            };
            let (id, _) = o
                .request(
                    s.chain(),
                    from,
                    ModelCommitment::new(&g).model_id,
                    &q,
                    callback,
                    callback_gas,
                    fee,
                    0,
                )
                .lib()?;
            Ok(id.index())
        })
    }

    /// Answers request `request_id` optimistically with `model` (what a node does): reads the
    /// request's input from the chain, runs the model, and posts a claim of the outputs bound
    /// to the request (claim and answer are one transaction). Returns the `Claim`: call
    /// `Claim.defend()` to answer challenges and finalize it after its window, then `settle`.
    ///
    /// Raises `VerinferError` when the model is not the requested one, the request is not
    /// open, or a transaction reverts.
    #[pyo3(signature = (model, request_id, *, sender=None, progress=None))]
    fn answer(
        &self,
        py: Python<'_>,
        model: &Model,
        request_id: u64,
        sender: Option<&Bound<'_, PyAny>>,
        progress: Option<Py<PyAny>>,
    ) -> PyResult<Claim> {
        let sender = SenderArg::parse(sender)?;
        let g = model.model.graph().clone();
        let o = self.client;
        let req = RequestId::new(request_id);
        let (id, game, sub, lines) = self.chain.get().with(py, |s| {
            let from = sender.resolve(s.chain())?;
            let (chain, d) = s.parts();
            let c = find_opml(chain, d).lib()?;
            let input = o.input_of(chain, req).lib()?;
            let exec = Execution::run(g.clone(), &input).lib()?;
            let sub = Submitter::new(exec, from, SubmitterStrategy::Honest);
            let cfg = c.game.config(chain).lib()?;
            let (id, r) = o.answer(chain, &c.game, &cfg, &sub, req).lib()?;
            let lines = vec![
                tx_line(&r),
                format!("request {request_id} answered by claim {id}"),
            ];
            Ok((id, c.game, sub, lines))
        })?;
        report_all(progress.as_ref(), &lines)?;
        Ok(Claim::posted(id, self.chain.clone_ref(py), game, sub, &g))
    }

    /// Settles request `request_id` with `outputs` (default: those of its final answering
    /// claim, read from the chain; `Claim.outputs` of the answer works too): the fee is
    /// split between the answerer and the model owner and the consumer is called back.
    /// Returns `{"answerer", "model_owner", "answerer_share", "owner_share", "callback",
    /// "gas_used", "outputs"}` (shares in wei, `callback` `"no_callback"`, `"delivered"` or
    /// `"failed"`).
    ///
    /// Raises `VerinferError` with the oracle's reason (`NotFinal` while the claim's window
    /// is open, …).
    #[pyo3(signature = (request_id, *, outputs=None, sender=None))]
    fn settle<'py>(
        &self,
        py: Python<'py>,
        request_id: u64,
        outputs: Option<Vec<Vec<i32>>>,
        sender: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let sender = SenderArg::parse(sender)?;
        let o = self.client;
        let req = RequestId::new(request_id);
        let v = self.chain.get().with(py, |s| {
            let from = sender.resolve(s.chain())?;
            let outputs = match outputs {
                Some(v) => v,
                None => final_answer(s, &o, req)?,
            };
            let st = o.settle(s.chain(), from, req, &outputs).lib()?;
            Ok(serde_json::json!({
                "answerer": st.answerer.to_string(),
                "model_owner": st.model_owner.to_string(),
                "answerer_share": st.answerer_share.to_string(),
                "owner_share": st.owner_share.to_string(),
                "callback": snake(&format!("{:?}", st.callback)),
                "gas_used": st.receipt.gas_used,
                "outputs": outputs,
            }))
        })?;
        py.import("json")?.call_method1("loads", (v.to_string(),))
    }

    /// The request's status (`"open"`, `"claimed"`, `"fulfilled"`, `"cancelled"`, as the
    /// contract names it).
    ///
    /// Raises `VerinferError` for an unknown request.
    fn status(&self, py: Python<'_>, request_id: u64) -> PyResult<String> {
        let o = self.client;
        self.chain
            .get()
            .with(py, |s| {
                o.status(s.chain(), RequestId::new(request_id)).lib()
            })
            .map(|st| snake(&format!("{st:?}")))
    }

    fn __repr__(&self) -> String {
        format!("<verinfer.Oracle {}>", self.client.address)
    }
}

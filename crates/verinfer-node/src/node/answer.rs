//! Answering requests: the profitability policy, a zk proof when the request pinned a
//! configuration and the node holds keys, otherwise a claim posted through `claimAndCall`
//! (crash-safe: trace saved and intent recorded before it is sent).

use super::*;

impl Node {
    pub(super) fn answer_requests(&mut self, chain: &mut dyn Chain, head: BlockInfo) -> Result<()> {
        for id in ids_where(&self.state.requests, |r| r.state == RequestState::Todo) {
            let r = self.answer(chain, head, id);
            self.soft_on(head, Item::Request(id), r)?;
        }
        Ok(())
    }

    pub(super) fn answer(&mut self, chain: &mut dyn Chain, head: BlockInfo, id: u64) -> Result<()> {
        let me = self.cfg.account;
        let oracle = self.contracts.oracle;
        let r = oracle.get_request(chain, verinfer_oracle::RequestId::new(id))?;
        let Some(rec) = self.state.requests.get(&id).cloned() else {
            return Ok(());
        };
        match RequestStatus::from_u8(r.status)? {
            RequestStatus::Open => {}
            RequestStatus::Claimed => {
                // Answers stand side by side: answer again only once the latest was rejected.
                let claim = u64_of(r.claimId, "claim id")?;
                if self.contracts.game.status(chain, claim)? != ClaimStatus::Rejected {
                    let ours = self.state.claims.contains_key(&claim);
                    self.set_request(id, RequestState::Claimed { claim, ours });
                    return Ok(());
                }
            }
            RequestStatus::Fulfilled => {
                self.set_request(
                    id,
                    RequestState::Fulfilled {
                        via_proof: r.viaProof,
                        ours: r.answerer == me,
                    },
                );
                return Ok(());
            }
            RequestStatus::Cancelled => {
                self.set_request(id, RequestState::Cancelled);
                return Ok(());
            }
            RequestStatus::None => {
                self.skip_request(head, id, "the oracle has no such request".into());
                return Ok(());
            }
        }
        if r.modelId != rec.model || r.inputsHash != rec.inputs_hash {
            // The request of this id is not the one its log described: the log was replaced
            // by a reorganisation. Forget the record; the logs read again bring the new one.
            tracing::warn!(
                request = id,
                "the oracle's request is not the one its log said (a reorganisation?): \
                 forgetting it"
            );
            self.state.requests.remove(&id);
            return Ok(());
        }
        let honest = self.cfg.behaviour.is_honest();
        if !honest && rec.answers.lied {
            return Ok(());
        }
        if head.timestamp < r.createdAt.saturating_add(self.cfg.answer_delay_secs) {
            return Ok(());
        }
        if let Err(why) = self.worth_answering(chain, &r)? {
            if rec.answers.note.as_deref() != Some(why.as_str()) {
                tracing::info!(request = id, fee_wei = %r.fee, "request not answered: {why}");
                if let Some(rec) = self.state.requests.get_mut(&id) {
                    rec.answers.note = Some(why);
                }
            }
            return Ok(());
        }
        let input = oracle.input_of(chain, verinfer_oracle::RequestId::new(id))?;
        let Some(held) = self.models.get(&rec.model) else {
            return Ok(());
        };
        let exec = match self.cfg.behaviour.execution(held, &input) {
            Ok(e) => e,
            Err(e) => {
                self.skip_request(
                    head,
                    id,
                    format!("its input does not run on model {}: {e}", rec.model),
                );
                return Ok(());
            }
        };
        if self.cfg.mode == Mode::Zk && honest {
            match self.try_zk(chain, id, &r, &input, &exec) {
                Ok(true) => return Ok(()),
                Ok(false) => {}
                // Only a failure of the proof itself (the prover, or a verifier that rejects
                // it) is a reason to answer optimistically; a chain that did not answer is
                // retried (the tick aborts and backs off), anything else is this request's
                // problem for now.
                Err(e) if !e.is_permanent_zk() => return Err(e),
                Err(e) => {
                    tracing::warn!(request = id, error = %e, "zk answer failed: answering optimistically");
                    self.state.problem(
                        head.number,
                        &format!("zk answer of request {id}"),
                        &e.to_string(),
                    );
                }
            }
        }
        if !honest {
            if let Some(rec) = self.state.requests.get_mut(&id) {
                rec.answers.lied = true;
            }
            self.save()?;
        }
        let claim = self.claim_for(chain, exec, id)?;
        tracing::info!(request = id, claim, lie = !honest, "answered with a claim");
        if let Some(c) = self.state.claims.get_mut(&claim) {
            c.requests.insert(id);
        }
        self.state
            .claim_requests
            .entry(claim)
            .or_default()
            .insert(id);
        if let Some(rec) = self.state.requests.get_mut(&id) {
            if !rec.answers.claims.contains(&claim) {
                rec.answers.claims.push(claim);
            }
            rec.state = RequestState::Claimed { claim, ours: true };
            rec.answers.note = None;
        }
        self.save()
    }

    /// Whether answering `r` pays (the policy); `Ok(Err(why))` when it does not.
    pub(super) fn worth_answering(
        &mut self,
        chain: &mut dyn Chain,
        r: &InferenceOracle::Request,
    ) -> Result<std::result::Result<(), String>> {
        let zk = self.cfg.mode == Mode::Zk
            && self.cfg.behaviour.is_honest()
            && self
                .models
                .get(&r.modelId)
                .and_then(|m| m.keys.as_ref())
                .is_some_and(|k| k.oracle_compatible());
        let offer = Offer {
            fee: r.fee,
            owner_share_bps: self.owner_share_bps,
            callback_gas: if r.callback.is_zero() {
                0
            } else {
                r.callbackGasLimit
            },
            gas_price: chain.gas_price()?,
            zk,
        };
        Ok(self.cfg.policy.judge(&offer))
    }

    pub(super) fn set_request(&mut self, id: u64, s: RequestState) {
        if let Some(rec) = self.state.requests.get_mut(&id) {
            rec.state = s;
        }
    }

    pub(super) fn skip_request(&mut self, head: BlockInfo, id: u64, why: String) {
        tracing::warn!(request = id, "request skipped: {why}");
        self.state
            .problem(head.number, &format!("request {id}"), &why);
        if let Some(rec) = self.state.requests.get_mut(&id) {
            rec.state = RequestState::Skipped;
            rec.answers.note = Some(why);
        }
    }

    /// Answers `id` with a proof if this model can be (keys of a registered backend, a
    /// verifier registered at the request's configuration version, a proof the verifier
    /// accepts in a free call). The prover is the keys' backend, through
    /// `verinfer_prove::DynBackend`; the oracle's ABI v3 takes Groth16's `uint256[8]`, so the
    /// backend's proof calldata must be that (docs/zk.md, "Proof backends").
    /// `Ok(false)`: not possible, answer optimistically.
    pub(super) fn try_zk(
        &mut self,
        chain: &mut dyn Chain,
        id: u64,
        r: &InferenceOracle::Request,
        input: &[Vec<i32>],
        exec: &Execution,
    ) -> Result<bool> {
        let me = self.cfg.account;
        let oracle = self.contracts.oracle;
        let model = r.modelId;
        let Some(held) = self.models.get_mut(&model) else {
            return Ok(false);
        };
        let served = &held.served;
        let Some(keys) = held.keys.as_mut() else {
            tracing::info!(request = id, %model, "no zk keys for this model: answering optimistically");
            return Ok(false);
        };
        if !keys.oracle_compatible() {
            return Ok(false);
        }
        if r.zkVersion == 0 {
            tracing::info!(
                request = id,
                "the request accepts no zk answer: answering optimistically"
            );
            return Ok(false);
        }
        let model_id = verinfer_oracle::model_id_of(model);
        let Some((settings, version)) = oracle.zk_config_at(chain, model_id, r.zkVersion)? else {
            tracing::info!(request = id, %model, "the request's zk configuration is unknown: answering optimistically");
            return Ok(false);
        };
        let vis = keys.visibility;
        if vis.statement != verinfer_prove::Statement::Digest {
            tracing::info!(request = id, %model, "packed-statement keys: the oracle (ABI v4) verifies digest statements only; answering optimistically");
            return Ok(false);
        }
        let started = std::time::Instant::now();
        let (backend, pk) = keys.proving_key()?;
        // Bound to this oracle, this request and us: nobody else can use the proof.
        let ctx = verinfer_prove::Context {
            model_id: model,
            chain_id: U256::from(chain.chain_id()),
            contract: oracle.address,
            tag: U256::from(id),
            answerer: me,
        };
        let proved = backend.prove(
            pk,
            served.model(),
            vis,
            &ctx,
            exec.values().to_vec(),
            &mut verinfer_prove::os_rng(),
        )?;
        // The backend's own encoding, passed through: the oracle hands it to the
        // configuration's IProofVerifier whatever the backend.
        let proof = alloy_primitives::Bytes::from(backend.proof_calldata(&proved.proof)?);
        let public = proved.public;
        let outputs = outputs_of(exec);
        if public.outputs != outputs {
            return Err(NodeError::Zk(
                "the proof states other outputs than the execution".into(),
            ));
        }
        let statement = oracle.zk_statement(
            chain,
            model_id,
            version,
            oracle.address,
            U256::from(id),
            me,
            input,
            &outputs,
        )?;
        let ours = public
            .digest()
            .map_err(|e| NodeError::Zk(format!("the proof's statement: {e}")))?;
        if ours != statement {
            return Err(NodeError::Zk(
                "the oracle computes another statement than our proof's (zk configuration \
                 widths or weight hash differ from the keys?)"
                    .into(),
            ));
        }
        // A transport failure stays a chain failure (retried, not downgraded); a revert is
        // the proof's or the key's.
        let accepted =
            verinfer_oracle::check_proof(chain, me, settings.verifier, &proof, statement).map_err(
                |e| match e {
                    verinfer_oracle::OracleError::Chain(
                        c @ (ChainError::Rpc { .. } | ChainError::Timeout { .. }),
                    ) => NodeError::Chain(c),
                    other => NodeError::Zk(format!(
                        "the registered verifier refuses our proof: {other}"
                    )),
                },
            )?;
        if !accepted {
            return Err(NodeError::Zk(format!(
                "the registered verifier {} rejects our proof (keys from another setup?)",
                settings.verifier
            )));
        }
        let s = oracle.answer_with_proof(
            chain,
            me,
            verinfer_oracle::RequestId::new(id),
            &outputs,
            proof,
        )?;
        self.record(&s.receipt);
        tracing::info!(
            request = id,
            prove_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
            callback = ?s.callback,
            "answered with a proof (fulfilled)"
        );
        self.set_request(
            id,
            RequestState::Fulfilled {
                via_proof: true,
                ours: true,
            },
        );
        self.withdraw_due = true;
        Ok(true)
    }

    /// A pending claim of ours on this trace, or a new one. A new claim is posted in the order
    /// that survives a crash anywhere: trace saved, intent recorded (saved), claim sent, claim
    /// recorded (saved).
    pub(super) fn claim_for(
        &mut self,
        chain: &mut dyn Chain,
        exec: Execution,
        request: u64,
    ) -> Result<u64> {
        let me = self.cfg.account;
        let game = self.contracts.game;
        let root = b256(exec.trace().root().hash());
        let model = b256(exec.model().model_id.hash());
        if let Some(r) = game.ensure_learned(chain, me, exec.graph(), exec.model())? {
            self.record(&r);
        }
        let dir = self.traces_dir();
        let trace_path = dir.join(format!("{root}.trace"));
        std::fs::create_dir_all(&dir).map_err(|e| NodeError::State {
            path: dir.clone(),
            message: e.to_string(),
        })?;
        trace_file::save(&trace_path, exec.model().model_id, exec.values()).map_err(|e| {
            NodeError::State {
                path: trace_path.clone(),
                message: e.to_string(),
            }
        })?;
        self.state.intents.retain(|i| i.trace_root != root);
        self.state.intents.push(ClaimIntent {
            model,
            trace_root: root,
            trace_file: trace_path.clone(),
            request,
            lie: !self.cfg.behaviour.is_honest(),
        });
        self.save()?;
        let mut submitter = Submitter::new(exec, me, SubmitterStrategy::Honest);
        // The claim answers the request in the same call (`claimAndCall`), bound to us.
        let listener = self.contracts.oracle.address;
        let (id, receipt) =
            match submitter.claim_and_call(chain, &game, &self.game_cfg, listener, request) {
                Ok(x) => x,
                Err(e) => {
                    let e = NodeError::from(e);
                    if e.is_refusal() {
                        // Nothing was posted: forget the intent.
                        self.state.intents.retain(|i| i.trace_root != root);
                    }
                    return Err(e);
                }
            };
        self.record(&receipt);
        self.adopt_claim(id, model, root, receipt.block_number);
        self.save()?;
        submitter.logs_from = receipt.block_number;
        self.submitters.insert(id, submitter);
        Ok(id)
    }
}

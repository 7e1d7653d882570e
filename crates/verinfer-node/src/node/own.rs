//! Our claims: defending them from their traces, settling the requests they answer once
//! final, answering again where an answer was rejected, and withdrawing what we are owed.

use super::*;

impl Node {
    pub(super) fn ensure_submitter(&mut self, id: u64) -> Result<bool> {
        if self.submitters.contains_key(&id) {
            return Ok(true);
        }
        if self.unloadable.contains(&id) {
            return Ok(false);
        }
        let Some(c) = self.state.claims.get(&id).cloned() else {
            return Ok(false);
        };
        let load = || -> Result<Execution> {
            let held = self.models.get(&c.model).ok_or_else(|| {
                NodeError::Missing(format!("model {} is not held any more", c.model))
            })?;
            let model_id = held.served.commitment().model_id;
            let t = trace_file::load_for(&c.trace_file, held.graph(), model_id).map_err(|e| {
                NodeError::State {
                    path: c.trace_file.clone(),
                    message: e.to_string(),
                }
            })?;
            let exec = held.served.execution_of(t.values)?;
            if b256(exec.trace().root().hash()) != c.trace_root {
                return Err(NodeError::Missing(format!(
                    "{} is not the trace of claim {id}",
                    c.trace_file.display()
                )));
            }
            Ok(exec)
        };
        match load() {
            Ok(exec) => {
                tracing::info!(claim = id, trace = %c.trace_file.display(), "submitter rebuilt from the trace file");
                let mut sub = Submitter::new(exec, self.cfg.account, SubmitterStrategy::Honest);
                sub.logs_from = c.block;
                self.submitters.insert(id, sub);
                Ok(true)
            }
            Err(e) => {
                self.unloadable.insert(id);
                tracing::error!(claim = id, error = %e, "cannot defend our claim");
                Err(NodeError::Missing(format!("cannot defend claim {id}: {e}")))
            }
        }
    }

    pub(super) fn defend_claims(&mut self, chain: &mut dyn Chain, head: BlockInfo) -> Result<()> {
        for (id, _) in self.state.pending_claims() {
            if let Err(e) = self.defend_one(chain, id) {
                self.soft(head, &format!("defending claim {id}"), e)?;
            }
        }
        let to_settle: Vec<u64> = self
            .state
            .claims
            .iter()
            .filter(|(_, c)| {
                c.status == OwnClaimStatus::Finalized
                    && c.requests.difference(&c.settled).count() > 0
            })
            .map(|(id, _)| *id)
            .collect();
        for id in to_settle {
            if let Err(e) = self.settle_claim(chain, id) {
                self.soft(head, &format!("settling the requests of claim {id}"), e)?;
            }
        }
        Ok(())
    }

    pub(super) fn defend_one(&mut self, chain: &mut dyn Chain, id: u64) -> Result<()> {
        if !self.ensure_submitter(id)? {
            return Ok(());
        }
        let Some(sub) = self.submitters.get_mut(&id) else {
            return Ok(());
        };
        let record = &mut |r: &Receipt| record_tx(&mut self.state, &mut self.sent, r);
        let status = defend(chain, &self.contracts.game, sub, id, None, record)?;
        let new = match status {
            ClaimStatus::Finalized => OwnClaimStatus::Finalized,
            ClaimStatus::Rejected => OwnClaimStatus::Rejected,
            _ => return Ok(()),
        };
        if let Some(c) = self.state.claims.get_mut(&id) {
            c.status = new;
            if new == OwnClaimStatus::Rejected {
                tracing::warn!(claim = id, lie = c.lie, "our claim was rejected");
                let reqs: Vec<u64> = c.requests.iter().copied().collect();
                self.state.reopen.extend(reqs);
            } else {
                tracing::info!(claim = id, "our claim is final");
            }
        }
        self.submitters.remove(&id);
        self.withdraw_due = true;
        self.save()
    }

    pub(super) fn settle_claim(&mut self, chain: &mut dyn Chain, id: u64) -> Result<()> {
        let me = self.cfg.account;
        let oracle = self.contracts.oracle;
        let Some(c) = self.state.claims.get(&id).cloned() else {
            return Ok(());
        };
        for req in c.requests.difference(&c.settled) {
            let request = verinfer_oracle::RequestId::new(*req);
            let r = oracle.get_request(chain, request)?;
            let status = RequestStatus::from_u8(r.status)?;
            let answers = oracle.claims_of(chain, request)?.contains(&id);
            match status {
                RequestStatus::Claimed if answers => {
                    let outputs = self.contracts.game.claim_event(chain, id, c.block)?.outputs;
                    let s = oracle.settle(chain, me, request, &outputs)?;
                    self.record(&s.receipt);
                    tracing::info!(
                        request = req,
                        claim = id,
                        paid_wei = %s.answerer_share,
                        callback = ?s.callback,
                        "request settled"
                    );
                    if let Some(cc) = self.state.claims.get_mut(&id) {
                        cc.settled.insert(*req);
                    }
                    self.set_request(
                        *req,
                        RequestState::Fulfilled {
                            via_proof: false,
                            ours: true,
                        },
                    );
                    self.withdraw_due = true;
                    self.save()?;
                }
                RequestStatus::Fulfilled if answers && r.claimId == U256::from(id) => {
                    if let Some(cc) = self.state.claims.get_mut(&id) {
                        cc.settled.insert(*req);
                    }
                }
                _ => {
                    // The request is no longer answered by this claim (another answer won the
                    // race): nothing to settle through it.
                    if let Some(cc) = self.state.claims.get_mut(&id) {
                        cc.requests.remove(req);
                    }
                }
            }
        }
        Ok(())
    }

    /// Requests whose answering claim was rejected go back to the answer queue (the oracle
    /// takes further answers while an answer stands; nothing to send to reopen them).
    pub(super) fn reopen_requests(&mut self, chain: &mut dyn Chain, head: BlockInfo) -> Result<()> {
        let oracle = self.contracts.oracle;
        let game = self.contracts.game;
        let due: Vec<u64> = self.state.reopen.iter().copied().collect();
        for req in due {
            let go = (|| -> Result<bool> {
                let r = oracle.get_request(chain, verinfer_oracle::RequestId::new(req))?;
                if RequestStatus::from_u8(r.status)? != RequestStatus::Claimed {
                    return Ok(false);
                }
                let claim = u64_of(r.claimId, "claim id")?;
                Ok(game.status(chain, claim)? == ClaimStatus::Rejected)
            })();
            match go {
                Ok(again) => {
                    self.state.reopen.remove(&req);
                    if again {
                        tracing::info!(request = req, "its answer was rejected: answering again");
                        self.set_request(req, RequestState::Todo);
                    }
                    self.save()?;
                }
                Err(e) => self.soft(head, &format!("re-answering request {req}"), e)?,
            }
        }
        Ok(())
    }

    pub(super) fn maybe_withdraw(&mut self, chain: &mut dyn Chain, head: BlockInfo) -> Result<()> {
        let every = self.cfg.withdraw_every.max(1);
        if !self.withdraw_due && !self.ticks.is_multiple_of(every) {
            return Ok(());
        }
        let me = self.cfg.account;
        let game = self.contracts.game;
        let oracle = self.contracts.oracle;
        let owed_game = game.owed(chain, me)?;
        let sent =
            (owed_game > U256::ZERO).then(|| game.withdraw(chain, me).map_err(NodeError::from));
        self.withdrawn(head, "the game", owed_game, sent)?;
        let owed_oracle = oracle.owed(chain, me)?;
        let sent =
            (owed_oracle > U256::ZERO).then(|| oracle.withdraw(chain, me).map_err(NodeError::from));
        self.withdrawn(head, "the oracle", owed_oracle, sent)?;
        self.gen_withdraw(chain, head)?;
        self.withdraw_due = false;
        Ok(())
    }

    /// Records a withdrawal of `amount` from `from` (`None`: nothing was owed); a failed one
    /// is this tick's problem (see `soft`).
    pub(super) fn withdrawn(
        &mut self,
        head: BlockInfo,
        from: &str,
        amount: U256,
        sent: Option<Result<Receipt>>,
    ) -> Result<()> {
        match sent {
            None => Ok(()),
            Some(Ok(r)) => {
                self.record(&r);
                tracing::info!(amount_wei = %amount, "withdrew from {from}");
                Ok(())
            }
            Some(Err(e)) => self.soft(head, &format!("withdrawing from {from}"), e),
        }
    }
}

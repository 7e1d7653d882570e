//! Reading the chain: logs of the game and the oracle since the last block read, recorded
//! idempotently (requests to answer, claims to check, our claims and games, answers and
//! fulfilments).

use super::*;

impl Node {
    /// Reads the logs of the game and the oracle from `next_block` up to the last confirmed
    /// block, in bounded pages, and records what they say (every handler is idempotent: a
    /// block read twice changes nothing). The hash of the last block read is kept to notice
    /// a reorganisation; a block replaced while its logs were being read is read again.
    pub(super) fn sync(&mut self, chain: &mut dyn Chain, head: BlockInfo) -> Result<()> {
        let from = self.state.next_block;
        let Some(to) = self.confirmed_to(from, head) else {
            return Ok(());
        };
        let before = chain.block_hash(to)?;
        let game_logs = self.read_logs(chain, self.contracts.game.address, from, to)?;
        let oracle_logs = self.read_logs(chain, self.contracts.oracle.address, from, to)?;
        if chain.block_hash(to)? != before {
            tracing::warn!(
                block = to,
                "block replaced while its logs were read: reading again"
            );
            return Ok(());
        }
        // Game first: an answer names a claim that must already be known.
        for (ev, block) in decoded::<InferenceGameEvents>(&game_logs) {
            self.on_game_event(ev, block);
        }
        for (ev, _) in decoded::<InferenceOracleEvents>(&oracle_logs) {
            self.on_oracle_event(ev);
        }
        // Block `to` is read again next tick: on the in-process chain the head block still
        // takes transactions (every handler is idempotent, so twice changes nothing).
        self.state.next_block = self.state.next_block.max(to);
        self.remember_synced(chain, to)
    }

    /// The last confirmed block when logs from `from` on are due; `None` when there are none.
    pub(super) fn confirmed_to(&self, from: u64, head: BlockInfo) -> Option<u64> {
        head.number
            .checked_sub(self.cfg.confirmations)
            .filter(|&to| from <= to)
    }

    pub(super) fn read_logs(
        &mut self,
        chain: &mut dyn Chain,
        address: alloy_primitives::Address,
        from: u64,
        to: u64,
    ) -> Result<Vec<ChainLog>> {
        Ok(self.pager.read(chain, address, from, to)?)
    }

    pub(super) fn on_game_event(&mut self, ev: InferenceGameEvents, block: u64) {
        let me = self.cfg.account;
        match ev {
            InferenceGameEvents::ClaimSubmitted(e) => {
                let Ok(id) = u64::try_from(e.claimId) else {
                    return;
                };
                if self.models.holds_gen(&e.modelId) {
                    // A step of a disputed generation (the generation side plays it).
                    self.state.generation.step_claims.insert(id);
                    return;
                }
                if e.submitter == me {
                    self.adopt_claim(id, e.modelId, e.traceRoot, block);
                } else if self.models.holds(&e.modelId) && !self.state.checked.contains_key(&id) {
                    tracing::info!(claim = id, submitter = %e.submitter, model = %e.modelId, "claim to check");
                    self.state.checked.insert(
                        id,
                        CheckedClaim {
                            model: e.modelId,
                            submitter: e.submitter,
                            block,
                            inputs_hash: roots_hash(&e.inputRoots),
                            posted_inputs: !e.inputs.is_empty(),
                            input_request: None,
                            check: Check::unchecked(),
                        },
                    );
                }
            }
            InferenceGameEvents::TraceClaimed(e) => {
                // A disputed generation step's trace claim (the generation side plays it);
                // one on another model has no inputs to re-execute it from.
                if let (Ok(id), true) =
                    (u64::try_from(e.claimId), self.models.holds_gen(&e.modelId))
                {
                    self.state.generation.step_claims.insert(id);
                }
            }
            InferenceGameEvents::GameOpened(e) => {
                let (Ok(game), Ok(claim)) = (u64::try_from(e.gameId), u64::try_from(e.claimId))
                else {
                    return;
                };
                if self.state.generation.step_claims.contains(&claim) {
                    return;
                }
                if e.challenger == me {
                    self.adopt_game(game, claim);
                } else if self.state.claims.contains_key(&claim) {
                    tracing::warn!(game, claim, challenger = %e.challenger, "our claim is challenged");
                }
            }
            InferenceGameEvents::ClaimRejected(e) => {
                let Ok(claim) = u64::try_from(e.claimId) else {
                    return;
                };
                if let Some(c) = self.state.claims.get_mut(&claim) {
                    c.status = OwnClaimStatus::Rejected;
                }
                if let Some(reqs) = self.state.claim_requests.get(&claim) {
                    self.state.reopen.extend(reqs.iter().copied());
                }
            }
            InferenceGameEvents::ClaimFinalized(e) => {
                let Ok(claim) = u64::try_from(e.claimId) else {
                    return;
                };
                if let Some(c) = self.state.claims.get_mut(&claim) {
                    c.status = OwnClaimStatus::Finalized;
                }
            }
            _ => {}
        }
    }

    /// Records a claim posted from our address (idempotent): its trace is the one the intent
    /// saved, or the file named by its trace root.
    pub(super) fn adopt_claim(&mut self, id: u64, model: B256, trace_root: B256, block: u64) {
        if self
            .state
            .claims
            .get(&id)
            .is_some_and(|c| c.status != OwnClaimStatus::Vanished)
        {
            return;
        }
        let intent = self
            .state
            .intents
            .iter()
            .find(|i| i.trace_root == trace_root)
            .cloned();
        let (trace_file, lie) = match intent {
            Some(i) => (i.trace_file, i.lie),
            None => (self.traces_dir().join(format!("{trace_root}.trace")), false),
        };
        if !trace_file.exists() {
            tracing::error!(
                claim = id,
                %trace_root,
                "a claim from our address whose trace is not kept here: it cannot be defended"
            );
        } else {
            tracing::info!(claim = id, %trace_root, "claim recorded");
        }
        self.state.intents.retain(|i| i.trace_root != trace_root);
        self.state.claims.insert(
            id,
            OwnClaim {
                model,
                trace_root,
                trace_file,
                block,
                requests: BTreeSet::new(),
                settled: BTreeSet::new(),
                status: OwnClaimStatus::Pending,
                lie,
            },
        );
    }

    /// Records a game opened by us on `claim` (idempotent): from our own transaction's
    /// receipt, or from its log after a crash.
    pub(super) fn adopt_game(&mut self, game: u64, claim: u64) {
        self.state
            .games
            .entry(game)
            .or_insert_with(|| OwnGame::opened(claim));
        if let Some(c) = self.state.checked.get_mut(&claim) {
            c.check.game = Some(game);
            c.check.challenging = false;
        }
    }

    pub(super) fn on_oracle_event(&mut self, ev: InferenceOracleEvents) {
        let me = self.cfg.account;
        let id = |v: U256| u64::try_from(v).ok();
        match ev {
            InferenceOracleEvents::Requested(e) => {
                let Some(req) = id(e.requestId) else { return };
                if !self.models.holds(&e.modelId) {
                    tracing::debug!(request = req, model = %e.modelId, "request on a model we do not hold");
                    return;
                }
                self.state.requests.entry(req).or_insert_with(|| {
                    tracing::info!(request = req, model = %e.modelId, requester = %e.requester, "request");
                    RequestRec {
                        model: e.modelId,
                        inputs_hash: roots_hash(&e.inputRoots),
                        state: RequestState::Todo,
                        answers: Answers::default(),
                    }
                });
            }
            InferenceOracleEvents::AnsweredWithClaim(e) => {
                let (Some(req), Some(claim)) = (id(e.requestId), id(e.claimId)) else {
                    return;
                };
                let ours = e.answerer == me;
                if let Some(rec) = self.state.requests.get_mut(&req) {
                    if !rec.answers.claims.contains(&claim) {
                        rec.answers.claims.push(claim);
                    }
                    rec.state = RequestState::Claimed { claim, ours };
                    self.state
                        .claim_requests
                        .entry(claim)
                        .or_default()
                        .insert(req);
                }
                if ours {
                    if let Some(c) = self.state.claims.get_mut(&claim) {
                        c.requests.insert(req);
                    }
                }
            }
            InferenceOracleEvents::AnsweredWithProof(e) => {
                let Some(req) = id(e.requestId) else { return };
                if let Some(rec) = self.state.requests.get_mut(&req) {
                    rec.state = RequestState::Fulfilled {
                        via_proof: true,
                        ours: e.answerer == me,
                    };
                }
            }
            InferenceOracleEvents::Fulfilled(e) => {
                let Some(req) = id(e.requestId) else { return };
                let ours = e.answerer == me;
                if let Some(rec) = self.state.ledger.requests.get_mut(&req) {
                    let via_proof = matches!(
                        rec.state,
                        RequestState::Fulfilled {
                            via_proof: true,
                            ..
                        }
                    );
                    if !via_proof {
                        if let Some(claim) = rec.answers.claims.last() {
                            if let Some(c) = self.state.ledger.claims.get_mut(claim) {
                                c.settled.insert(req);
                            }
                        }
                    }
                    rec.state = RequestState::Fulfilled { via_proof, ours };
                }
            }
            InferenceOracleEvents::Cancelled(e) => {
                let Some(req) = id(e.requestId) else { return };
                if let Some(rec) = self.state.requests.get_mut(&req) {
                    rec.state = RequestState::Cancelled;
                }
            }
            _ => {}
        }
    }
}

/// The logs among `logs` that decode as events of `E`, each with its block, in order (other
/// logs are skipped).
pub(super) fn decoded<E: SolEventInterface>(logs: &[ChainLog]) -> Vec<(E, u64)> {
    logs.iter()
        .filter_map(|l| Some((E::decode_log(&l.log).ok()?.data, l.block_number)))
        .collect()
}

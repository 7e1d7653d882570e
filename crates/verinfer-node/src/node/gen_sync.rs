//! Generations, the tick's second half: reading the logs of the `GenerationGame` and the
//! `GenerationOracle` (text requests on our language models, generation claims to check, our
//! claims and games, answers and fulfilments), recorded idempotently like the tensor logs.

use verinfer_llm::noise::Sampling;
use verinfer_opml::generation::bindings::GenerationGame::GenerationGameEvents;
use verinfer_oracle::bindings_text::GenerationOracle::GenerationOracleEvents;

use super::*;

/// The sampling of a claim or request stating `seed` and `temp` (`None`: greedy, seed 0).
///
/// # Errors
/// A temperature above the largest supported (the contracts refuse it, so a protocol error).
pub(super) fn sampling_of(seed: u64, temp: u32) -> Result<Option<Sampling>> {
    if seed == 0 {
        return Ok(None);
    }
    Sampling::new(seed, temp)
        .map(Some)
        .map_err(|e| NodeError::Missing(format!("sampling of seed {seed}: {e}")))
}

/// Token ids as a contract posted them (`int32[]`); `None` for a negative one.
pub(super) fn ids_of(words: &[i32]) -> Option<Vec<u32>> {
    words.iter().map(|&w| u32::try_from(w).ok()).collect()
}

impl Node {
    /// The generation steps of a tick, when the node serves a text oracle: logs, answers,
    /// checks, our games, our claims (settling them once final); the withdrawals follow with
    /// the tensor side's.
    pub(super) fn gen_tick(&mut self, chain: &mut dyn Chain, head: BlockInfo) -> Result<()> {
        let Some(text) = self.text else {
            return Ok(());
        };
        if !text.present(chain)? {
            return Err(NodeError::ContractsAbsent {
                oracle: text.oracle.address,
                game: text.game.address,
                block: head.number,
            });
        }
        self.gen_sync(chain, &text, head)?;
        self.save()?;
        self.gen_answer_requests(chain, &text, head)?;
        self.gen_check_claims(chain, &text, head)?;
        self.gen_play_games(chain, &text, head)?;
        self.gen_defend_claims(chain, &text, head)?;
        self.gen_settle(chain, &text, head)
    }

    fn gen_sync(
        &mut self,
        chain: &mut dyn Chain,
        text: &TextContracts,
        head: BlockInfo,
    ) -> Result<()> {
        let from = self.state.generation.next_block;
        let Some(to) = self.confirmed_to(from, head) else {
            return Ok(());
        };
        let game_logs = self.read_logs(chain, text.game.address, from, to)?;
        let oracle_logs = self.read_logs(chain, text.oracle.address, from, to)?;
        // Game first: an answer names a claim that must already be known.
        for (ev, block) in decoded::<GenerationGameEvents>(&game_logs) {
            self.on_gen_game_event(ev, block);
        }
        for (ev, _) in decoded::<GenerationOracleEvents>(&oracle_logs) {
            self.on_text_event(ev);
        }
        self.state.generation.next_block = self.state.generation.next_block.max(to);
        Ok(())
    }

    fn on_gen_game_event(&mut self, ev: GenerationGameEvents, block: u64) {
        let me = self.cfg.account;
        let g = &mut self.state.generation;
        match ev {
            GenerationGameEvents::GenerationClaimed(e) => {
                let Ok(id) = u64::try_from(e.claimId) else {
                    return;
                };
                let (Some(prompt), Some(tokens)) = (ids_of(&e.prompt), ids_of(&e.tokens)) else {
                    return;
                };
                if e.submitter == me {
                    if g.claims.contains_key(&id) {
                        return;
                    }
                    let intent = g.intents.iter().find(|i| i.root == e.root).cloned();
                    g.intents.retain(|i| i.root != e.root);
                    // The log has no sampling: a claim made for a request has the request's.
                    let (seed, temp) = intent
                        .as_ref()
                        .and_then(|i| g.requests.get(&i.request))
                        .map_or((0, 0), |r| (r.seed, r.temp));
                    tracing::info!(claim = id, root = %e.root, "generation claim recorded");
                    g.claims.insert(
                        id,
                        OwnGenClaim {
                            model: e.modelId,
                            claimed: GenClaimed {
                                prompt,
                                tokens,
                                seed,
                                temp,
                                root: e.root,
                                block,
                            },
                            request: intent.as_ref().map(|i| i.request),
                            answered: false,
                            settled: false,
                            status: OwnClaimStatus::Pending,
                            lie: intent.is_some_and(|i| i.lie),
                        },
                    );
                } else if self.models.holds_gen(&e.modelId) && !g.checked.contains_key(&id) {
                    tracing::info!(claim = id, submitter = %e.submitter, "generation claim to check");
                    g.checked.insert(
                        id,
                        CheckedGenClaim {
                            model: e.modelId,
                            submitter: e.submitter,
                            claimed: GenClaimed {
                                prompt,
                                tokens,
                                seed: 0,
                                temp: 0,
                                root: e.root,
                                block,
                            },
                            check: Check::unchecked(),
                        },
                    );
                }
            }
            GenerationGameEvents::GameOpened(e) => {
                let (Ok(game), Ok(claim)) = (u64::try_from(e.gameId), u64::try_from(e.claimId))
                else {
                    return;
                };
                if e.challenger == me {
                    g.our_game_opened(game, claim, block);
                } else if g.claims.contains_key(&claim) {
                    tracing::warn!(game, claim, challenger = %e.challenger, "our generation claim is challenged");
                }
            }
            GenerationGameEvents::ClaimRejected(e) => {
                if let Some(c) = u64::try_from(e.claimId)
                    .ok()
                    .and_then(|id| g.claims.get_mut(&id))
                {
                    c.status = OwnClaimStatus::Rejected;
                }
            }
            GenerationGameEvents::ClaimFinalized(e) => {
                if let Some(c) = u64::try_from(e.claimId)
                    .ok()
                    .and_then(|id| g.claims.get_mut(&id))
                {
                    c.status = OwnClaimStatus::Finalized;
                }
            }
            _ => {}
        }
    }

    fn on_text_event(&mut self, ev: GenerationOracleEvents) {
        let me = self.cfg.account;
        let id = |v: U256| u64::try_from(v).ok();
        let holds = |m: &B256| self.models.holds_gen(m);
        let g = &mut self.state.generation;
        match ev {
            GenerationOracleEvents::TextRequested(e) => {
                let Some(req) = id(e.requestId) else { return };
                if !holds(&e.modelId) {
                    return;
                }
                let Some(prompt) = ids_of(&e.prompt) else {
                    return;
                };
                g.requests.entry(req).or_insert_with(|| {
                    tracing::info!(request = req, model = %e.modelId, tokens = e.maxNewTokens, seed = e.seed, temp = e.temp, "text request");
                    TextRequestRec {
                        model: e.modelId,
                        prompt,
                        max_new_tokens: e.maxNewTokens,
                        seed: e.seed,
                        temp: e.temp,
                        state: TextRequestState::Todo,
                        answers: Answers::default(),
                    }
                });
            }
            GenerationOracleEvents::Answered(e) => {
                let (Some(req), Some(claim)) = (id(e.requestId), id(e.claimId)) else {
                    return;
                };
                if let Some(rec) = g.requests.get_mut(&req) {
                    if !rec.answers.claims.contains(&claim) {
                        rec.answers.claims.push(claim);
                    }
                }
                if e.answerer == me {
                    if let Some(c) = g.claims.get_mut(&claim) {
                        c.request = Some(req);
                        c.answered = true;
                    }
                }
            }
            GenerationOracleEvents::AnswerReplaced(e) => {
                let (Some(req), Some(copy), Some(original)) =
                    (id(e.requestId), id(e.copy), id(e.original))
                else {
                    return;
                };
                if let Some(rec) = g.requests.get_mut(&req) {
                    rec.answers.claims.retain(|c| *c != copy);
                    if !rec.answers.claims.contains(&original) {
                        rec.answers.claims.push(original);
                    }
                }
            }
            GenerationOracleEvents::Fulfilled(e) => {
                let Some(req) = id(e.requestId) else { return };
                let ours = e.answerer == me;
                if let Some(rec) = g.requests.get_mut(&req) {
                    rec.state = TextRequestState::Fulfilled { ours };
                }
                for c in g.claims.values_mut().filter(|c| c.request == Some(req)) {
                    c.settled = true;
                }
            }
            GenerationOracleEvents::Cancelled(e) => {
                let Some(req) = id(e.requestId) else { return };
                if let Some(rec) = g.requests.get_mut(&req) {
                    rec.state = TextRequestState::Cancelled;
                }
            }
            _ => {}
        }
    }
}

//! Our generation claims: answering every game on them (the step descent, the disputed
//! step's single-step claim and its game, the derivation openings, timeouts), finalizing them
//! after their window, and withdrawing the bonds and fees the generation contracts owe us.
//!
//! After a restart a claim's defender is rebuilt by running its generation again through the
//! behaviour (deterministic) and checking it reaches the recorded G; the defender of a
//! disputed step's single-step claim is rebuilt from that step's execution. Every position is
//! read from the chain.

use verinfer_opml::generation::bindings::GenerationGame as G;

use super::gen_sync::sampling_of;
use super::*;

/// At most this many rounds of moves per game and tick (a game is over in far fewer; the
/// bound keeps a misbehaving contract from looping the node).
const MAX_ROUNDS: usize = 256;

impl Node {
    fn ensure_gen_submitter(&mut self, id: u64) -> Result<bool> {
        if self.gen_submitters.contains_key(&id) {
            return Ok(true);
        }
        if self.gen_unloadable.contains(&id) {
            return Ok(false);
        }
        let Some(c) = self.state.generation.claims.get(&id).cloned() else {
            return Ok(false);
        };
        let load = || -> Result<GenExecution> {
            let held = self.models.gen(&c.model).ok_or_else(|| {
                NodeError::Missing(format!("language model {} is not held any more", c.model))
            })?;
            let sampling = sampling_of(c.claimed.seed, c.claimed.temp)?;
            let gen = self.cfg.behaviour.generation(
                &held.model,
                &c.claimed.prompt,
                c.claimed.tokens.len(),
                sampling,
            )?;
            if b256(gen.root()) != c.claimed.root {
                return Err(NodeError::Missing(format!(
                    "the generation run again reaches G {}, not the claim's {}",
                    b256(gen.root()),
                    c.claimed.root
                )));
            }
            Ok(gen)
        };
        match load() {
            Ok(gen) => {
                tracing::info!(
                    claim = id,
                    "generation defender rebuilt by running the generation again"
                );
                self.gen_submitters
                    .insert(id, GenSubmitter::new(gen, self.cfg.account));
                Ok(true)
            }
            Err(e) => {
                self.gen_unloadable.insert(id);
                tracing::error!(claim = id, error = %e, "cannot defend our generation claim");
                Err(NodeError::Missing(format!(
                    "cannot defend generation claim {id}: {e}"
                )))
            }
        }
    }

    pub(super) fn gen_defend_claims(
        &mut self,
        chain: &mut dyn Chain,
        text: &TextContracts,
        head: BlockInfo,
    ) -> Result<()> {
        for id in self.state.generation.pending_claims() {
            if let Err(e) = self.gen_defend_one(chain, text, id) {
                self.soft(head, &format!("defending generation claim {id}"), e)?;
            }
        }
        if let Err(e) = self.gen_finalize_steps(chain, text, head) {
            self.soft(head, "finalizing our step claims", e)?;
        }
        Ok(())
    }

    /// Finalizes our single-step claims that outlived their window unchallenged. A generation
    /// game decided on a derived input (or by a timeout) never disputes the step claim its
    /// submitter posted, and nobody but that submitter has a reason to finalize it: without
    /// this its bond would stay locked in the tensor game for good — an honest submitter's
    /// too, when a lying challenger loses an input dispute.
    fn gen_finalize_steps(
        &mut self,
        chain: &mut dyn Chain,
        text: &TextContracts,
        head: BlockInfo,
    ) -> Result<()> {
        let me = self.cfg.account;
        let g = &self.state.generation;
        let open: Vec<u64> = g
            .step_claims
            .difference(&g.step_claims_done)
            .copied()
            .collect();
        for id in open {
            let info = text.steps.claim_info(chain, id)?;
            let status = ClaimStatus::from_u8(info.status)?;
            if status != ClaimStatus::Pending || info.submitter != me {
                self.state.generation.step_claims_done.insert(id);
                self.save()?;
                continue;
            }
            if info.openGames > 0 || head.timestamp <= info.windowEnd {
                continue;
            }
            let r = text.steps.finalize(chain, me, id)?;
            tracing::info!(claim = id, "our step claim is final (its bond comes back)");
            self.record(&r);
            self.state.generation.step_claims_done.insert(id);
            self.step_submitters.remove(&id);
            self.withdraw_due = true;
            self.save()?;
        }
        Ok(())
    }

    fn gen_defend_one(
        &mut self,
        chain: &mut dyn Chain,
        text: &TextContracts,
        id: u64,
    ) -> Result<()> {
        if !self.ensure_gen_submitter(id)? {
            return Ok(());
        }
        let me = self.cfg.account;
        let since = self
            .state
            .generation
            .claims
            .get(&id)
            .map_or(0, |c| c.claimed.block);
        let d = text.game.config(chain)?.reveal_depth;
        let steps_cfg = text.steps.config(chain)?;
        for _ in 0..MAX_ROUNDS {
            let status = text.game.status(chain, id)?;
            if status != ClaimStatus::Pending {
                // Every step claim handed off in its games, read from the chain: a crash
                // between a `handoff` and the save that records its claim must not leave
                // that claim (and its bond) to nobody (`gen_finalize_steps` finalizes them).
                let posted = text.game.step_claims_of(chain, id, since)?;
                self.state.generation.step_claims.extend(posted);
                return self.gen_claim_over(id, status);
            }
            let mut acted = false;
            for gid in text.game.games_of(chain, id, since)? {
                let g = text.game.game(chain, gid)?;
                let phase = GenPhase::from_u8(g.phase)?;
                if phase.is_over() {
                    continue;
                }
                if phase == GenPhase::AwaitStep {
                    let sub_claim = u64_of(g.subClaim, "sub-claim")?;
                    let step = usize::try_from(u64_of(g.step, "step")?).unwrap_or(usize::MAX);
                    acted |=
                        self.gen_defend_step(chain, text, id, (gid, sub_claim, step), since)?;
                    continue;
                }
                let Some(s) = self.gen_submitters.get_mut(&id) else {
                    return Ok(());
                };
                let receipts = s.act(chain, &text.game, (&text.steps, &steps_cfg), d, gid)?;
                // A step posted as a single-step claim: its defender is kept by step claim.
                if let Some((sub_claim, sub)) = s.sub.take() {
                    self.state.generation.step_claims.insert(sub_claim);
                    self.step_submitters.insert(sub_claim, sub);
                }
                for r in &receipts {
                    self.record(r);
                    acted = true;
                }
                if let Some(r) = text.game.timeout_if_due(chain, gid, true, me)? {
                    self.record(&r);
                    acted = true;
                }
                self.save()?;
            }
            let info = text.game.claim_info(chain, id)?;
            if info.openGames == 0 && chain.block()?.timestamp > info.windowEnd {
                let call = G::finalizeCall {
                    claimId: U256::from(id),
                };
                let r = text.game.send(chain, me, &call)?;
                self.record(&r);
                acted = true;
            }
            if !acted {
                return Ok(());
            }
        }
        Ok(())
    }

    /// Defends the single-step claim of game `gid`'s disputed step (rebuilding its defender
    /// from the step's execution after a restart) and settles the game once it is decided.
    fn gen_defend_step(
        &mut self,
        chain: &mut dyn Chain,
        text: &TextContracts,
        claim: u64,
        (gid, sub_claim, step): (u64, u64, usize),
        since: u64,
    ) -> Result<bool> {
        let me = self.cfg.account;
        if !self.step_submitters.contains_key(&sub_claim) {
            let Some(s) = self.gen_submitters.get(&claim) else {
                return Ok(false);
            };
            let mut sub = Submitter::new(s.gen.step_owned(step)?, me, SubmitterStrategy::Honest);
            sub.publish_outputs_up_to = 0;
            sub.logs_from = since;
            tracing::info!(
                claim,
                step,
                sub_claim,
                "step defender rebuilt from the step's execution"
            );
            self.state.generation.step_claims.insert(sub_claim);
            self.step_submitters.insert(sub_claim, sub);
        }
        let Some(sub) = self.step_submitters.get_mut(&sub_claim) else {
            return Ok(false);
        };
        let before = self.sent;
        let record = &mut |r: &Receipt| record_tx(&mut self.state, &mut self.sent, r);
        defend(chain, &text.steps, sub, sub_claim, None, record)?;
        let mut acted = self.sent > before;
        if let Some(r) = text
            .game
            .settle_if_decided(chain, &text.steps, gid, sub_claim, me)?
        {
            self.record(&r);
            self.step_submitters.remove(&sub_claim);
            acted = true;
        }
        self.save()?;
        Ok(acted)
    }

    fn gen_claim_over(&mut self, id: u64, status: ClaimStatus) -> Result<()> {
        let new = match status {
            ClaimStatus::Finalized => OwnClaimStatus::Finalized,
            ClaimStatus::Rejected => OwnClaimStatus::Rejected,
            _ => return Ok(()),
        };
        if let Some(c) = self.state.generation.claims.get_mut(&id) {
            c.status = new;
            if new == OwnClaimStatus::Rejected {
                tracing::warn!(claim = id, lie = c.lie, "our generation claim was rejected");
            } else {
                tracing::info!(claim = id, "our generation claim is final");
            }
        }
        self.gen_submitters.remove(&id);
        self.withdraw_due = true;
        self.save()
    }

    /// Withdraws what the generation game (bonds), the text oracle (fees) and, when it is not
    /// the tensor game the node already withdraws from, the single-step game owe us.
    pub(super) fn gen_withdraw(&mut self, chain: &mut dyn Chain, head: BlockInfo) -> Result<()> {
        let Some(text) = self.text else {
            return Ok(());
        };
        let me = self.cfg.account;
        let owed = text.game.owed(chain, me)?;
        let sent = (owed > U256::ZERO).then(|| {
            text.game
                .send(chain, me, &G::withdrawCall {})
                .map_err(NodeError::from)
        });
        self.withdrawn(head, "the generation game", owed, sent)?;
        let owed = text.oracle.owed(chain, me)?;
        let sent =
            (owed > U256::ZERO).then(|| text.oracle.withdraw(chain, me).map_err(NodeError::from));
        self.withdrawn(head, "the text oracle", owed, sent)?;
        if text.steps.address != self.contracts.game.address {
            let owed = text.steps.owed(chain, me)?;
            let sent = (owed > U256::ZERO)
                .then(|| text.steps.withdraw(chain, me).map_err(NodeError::from));
            self.withdrawn(head, "the single-step game", owed, sent)?;
        }
        Ok(())
    }
}

//! Other people's generation claims: re-running each on our language model (from its posted
//! prompt and length, greedy or sampled with the seed and temperature the claim states), challenging a wrong one (bisection when its G differs,
//! binding when G agrees but a posted token does not) and playing the game to its end as the
//! honest [`GenChallenger`] — the step descent, the disputed step's inputs or its
//! single-step claim (challenged in the single-step game and played by the ordinary
//! [`Challenger`]), timeouts, and the game's settlement.
//!
//! After a restart a challenger is rebuilt by running the honest generation again; a
//! disputed step's challenger from that step's execution; our challenge of the step's claim
//! is found in the single-step game's log (a crash between sending it and recording it).

use verinfer_opml::generation::{GenChallengerStrategy, Mode as GenMode};

use super::gen_sync::sampling_of;
use super::*;

/// At most this many rounds of moves per game and tick.
const MAX_ROUNDS: usize = 256;

impl Node {
    pub(super) fn gen_check_claims(
        &mut self,
        chain: &mut dyn Chain,
        text: &TextContracts,
        head: BlockInfo,
    ) -> Result<()> {
        let due = ids_where(&self.state.generation.checked, |c| {
            // A wrong claim is challenged again only while a challenge is due (not sent, or
            // sent and not mined).
            c.check.verdict == Verdict::Unchecked || c.check.challenge_unconfirmed()
        });
        for id in due {
            let r = self.gen_check_one(chain, text, head, id);
            self.soft_on(head, Item::GenClaim(id), r)?;
        }
        Ok(())
    }

    /// The honest challenger of `c`'s generation (its prompt and length, our model).
    fn honest_challenger(&self, c: &CheckedGenClaim) -> Result<GenChallenger> {
        let held = self.models.gen(&c.model).ok_or_else(|| {
            NodeError::Missing(format!("language model {} is not held any more", c.model))
        })?;
        let sampling = sampling_of(c.claimed.seed, c.claimed.temp)?;
        let gen = GenExecution::run_sampled(
            Arc::clone(&held.model),
            &c.claimed.prompt,
            c.claimed.tokens.len(),
            sampling,
            None,
        )?;
        let mut cha = GenChallenger::new(gen, self.cfg.account, GenChallengerStrategy::Honest);
        cha.logs_from = c.claimed.block;
        Ok(cha)
    }

    fn gen_check_one(
        &mut self,
        chain: &mut dyn Chain,
        text: &TextContracts,
        head: BlockInfo,
        id: u64,
    ) -> Result<()> {
        let Some(c) = self.state.generation.checked.get(&id).cloned() else {
            return Ok(());
        };
        let info = text.game.claim_info(chain, id)?;
        if info.submitter != c.submitter || info.root != c.claimed.root || info.modelId != c.model {
            // A replaced block: the id names another claim now; its log brings it back.
            self.state.generation.checked.remove(&id);
            return Ok(());
        }
        if ClaimStatus::from_u8(info.status)? != ClaimStatus::Pending {
            if let Some(x) = self.state.generation.checked.get_mut(&id) {
                if x.check.verdict == Verdict::Unchecked {
                    x.check.verdict = Verdict::Skipped;
                    x.check.note = Some("no longer pending when checked".into());
                }
                // A wrong claim rejected by someone else's game: nothing left to do.
                x.check.challenging = false;
                if x.check.verdict == Verdict::Wrong {
                    x.check.note = Some("decided without our game".into());
                    x.check.verdict = Verdict::Skipped;
                }
            }
            return Ok(());
        }
        // The claim's sampling is on chain only (not in its log): kept for restarts.
        let mut c = c;
        c.claimed.seed = info.seed;
        c.claimed.temp = info.temp;
        if let Some(x) = self.state.generation.checked.get_mut(&id) {
            x.claimed.seed = info.seed;
            x.claimed.temp = info.temp;
        }
        let mut cha = match self.honest_challenger(&c) {
            Ok(cha) => cha,
            Err(e) if !e.is_transient() => {
                tracing::warn!(claim = id, error = %e, "generation claim not checkable");
                if let Some(x) = self.state.generation.checked.get_mut(&id) {
                    x.check.verdict = Verdict::Skipped;
                    x.check.note = Some(format!("its prompt does not run on the model: {e}"));
                }
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        let Some(mode) = cha.mode(chain, &text.game, id, c.claimed.block)? else {
            tracing::info!(claim = id, "generation claim is correct");
            if let Some(x) = self.state.generation.checked.get_mut(&id) {
                x.check.verdict = Verdict::Correct;
            }
            return Ok(());
        };
        tracing::warn!(claim = id, submitter = %c.submitter, mode = ?mode, "generation claim is wrong");
        if let Some(x) = self.state.generation.checked.get_mut(&id) {
            x.check.verdict = Verdict::Wrong;
            x.check.challenging = true;
        }
        self.save()?;
        if head.timestamp > info.windowEnd {
            let why =
                format!("generation claim {id} is wrong but its window closed before we saw it");
            tracing::warn!("{why}");
            if let Some(x) = self.state.generation.checked.get_mut(&id) {
                x.check.challenging = false;
                x.check.note = Some(why);
            }
            return self.save();
        }
        let token = match mode {
            GenMode::Bisect => None,
            GenMode::Bind(call) => Some(call),
        };
        let me = self.cfg.account;
        let bond = text.game.config(chain)?.challenger_bond;
        let (game, r) = text.game.challenge(chain, me, bond, id, token)?;
        self.record(&r);
        tracing::info!(claim = id, game, "generation game opened");
        cha.logs_from = r.block_number;
        self.state
            .generation
            .our_game_opened(game, id, r.block_number);
        self.gen_challengers.insert(game, cha);
        self.save()
    }

    pub(super) fn gen_play_games(
        &mut self,
        chain: &mut dyn Chain,
        text: &TextContracts,
        head: BlockInfo,
    ) -> Result<()> {
        for id in self.state.generation.open_games() {
            if let Err(e) = self.gen_play_one(chain, text, id) {
                self.soft(head, &format!("playing generation game {id}"), e)?;
            }
        }
        Ok(())
    }

    fn ensure_gen_challenger(&mut self, id: u64) -> Result<()> {
        if self.gen_challengers.contains_key(&id) {
            return Ok(());
        }
        let Some(g) = self.state.generation.games.get(&id).cloned() else {
            return Ok(());
        };
        let c = self
            .state
            .generation
            .checked
            .get(&g.claim)
            .cloned()
            .ok_or_else(|| {
                NodeError::Missing(format!(
                    "generation game {id}: claim {} is not among those checked",
                    g.claim
                ))
            })?;
        let mut cha = self.honest_challenger(&c)?;
        cha.logs_from = g.block;
        tracing::info!(
            game = id,
            "generation challenger rebuilt by running the generation again"
        );
        self.gen_challengers.insert(id, cha);
        Ok(())
    }

    fn gen_play_one(&mut self, chain: &mut dyn Chain, text: &TextContracts, id: u64) -> Result<()> {
        self.ensure_gen_challenger(id)?;
        let me = self.cfg.account;
        let d = text.game.config(chain)?.reveal_depth;
        for _ in 0..MAX_ROUNDS {
            let g = text.game.game(chain, id)?;
            let phase = GenPhase::from_u8(g.phase)?;
            if let Some(rec) = self.state.generation.games.get_mut(&id) {
                rec.phase = format!("{phase:?}");
                rec.over = phase.is_over();
            }
            if phase.is_over() {
                tracing::info!(game = id, phase = ?phase, "generation game over");
                self.gen_challengers.remove(&id);
                self.withdraw_due = true;
                return self.save();
            }
            let mut acted = false;
            if phase == GenPhase::AwaitStep {
                let sub_claim = u64_of(g.subClaim, "sub-claim")?;
                let step = usize::try_from(u64_of(g.step, "step")?).unwrap_or(usize::MAX);
                self.gen_play_step(chain, text, id, sub_claim, step)?;
                if let Some(r) =
                    text.game
                        .settle_if_decided(chain, &text.steps, id, sub_claim, me)?
                {
                    self.record(&r);
                    acted = true;
                }
            } else {
                let Some(cha) = self.gen_challengers.get_mut(&id) else {
                    return Ok(());
                };
                if let Some(r) = cha.act(chain, &text.game, &text.steps, d, id)? {
                    self.record(&r);
                    acted = true;
                }
                if let Some(r) = text.game.timeout_if_due(chain, id, false, me)? {
                    self.record(&r);
                    acted = true;
                }
            }
            self.save()?;
            if !acted {
                return Ok(());
            }
        }
        Ok(())
    }

    /// Our side of the disputed step's single-step claim: challenged once (the challenge is
    /// looked for in the single-step game's log first), then played as far as it goes now.
    fn gen_play_step(
        &mut self,
        chain: &mut dyn Chain,
        text: &TextContracts,
        id: u64,
        sub_claim: u64,
        step: usize,
    ) -> Result<()> {
        let me = self.cfg.account;
        let Some(rec) = self.state.generation.games.get(&id).cloned() else {
            return Ok(());
        };
        self.state.generation.step_claims.insert(sub_claim);
        let Some(cha) = self.gen_challengers.get_mut(&id) else {
            return Ok(());
        };
        if cha.sub.is_none() {
            let exec = cha.gen.step_owned(step)?;
            let mut sub = Challenger::new(exec, me, ChallengerStrategy::Honest);
            sub.logs_from = rec.block;
            tracing::info!(
                game = id,
                step,
                "step challenger rebuilt from the step's execution"
            );
            cha.sub = Some(sub);
        }
        let sub_game = match rec.sub_game {
            Some(x) => x,
            None => {
                let found = self.find_step_game(chain, text, sub_claim, rec.block)?;
                let x = match found {
                    Some(x) => x,
                    None => {
                        let bond = text.steps.config(chain)?.challenger_bond;
                        let (x, r) = text.steps.challenge(chain, me, bond, sub_claim)?;
                        self.record(&r);
                        tracing::info!(
                            game = id,
                            sub_claim,
                            step_game = x,
                            "step claim challenged"
                        );
                        x
                    }
                };
                if let Some(g) = self.state.generation.games.get_mut(&id) {
                    g.sub_game = Some(x);
                }
                self.save()?;
                x
            }
        };
        let Some(sub) = self
            .gen_challengers
            .get_mut(&id)
            .and_then(|c| c.sub.as_mut())
        else {
            return Ok(());
        };
        let record = &mut |r: &Receipt| record_tx(&mut self.state, &mut self.sent, r);
        play(chain, &text.steps, sub, sub_game, None, record)?;
        Ok(())
    }

    /// Our game on step claim `sub_claim` in the single-step game, from its log.
    fn find_step_game(
        &mut self,
        chain: &mut dyn Chain,
        text: &TextContracts,
        sub_claim: u64,
        from: u64,
    ) -> Result<Option<u64>> {
        let to = chain.block()?.number;
        let logs = self.read_logs(chain, text.steps.address, from, to)?;
        Ok(logs
            .iter()
            .filter_map(|l| InferenceGameEvents::decode_log(&l.log).ok())
            .find_map(|ev| match ev.data {
                InferenceGameEvents::GameOpened(e)
                    if e.challenger == self.cfg.account && e.claimId == U256::from(sub_claim) =>
                {
                    u64::try_from(e.gameId).ok()
                }
                _ => None,
            }))
    }
}

//! Policing: re-executing every claim on our models, challenging wrong ones, and playing
//! our games as the honest challenger.

use super::*;

impl Node {
    pub(super) fn check_claims(&mut self, chain: &mut dyn Chain, head: BlockInfo) -> Result<()> {
        let ids = ids_where(&self.state.checked, |c| {
            matches!(c.check.verdict, Verdict::Unchecked | Verdict::AwaitingInput)
                || c.check.challenge_unconfirmed()
        });
        for id in ids {
            let r = self.check(chain, head, id);
            self.soft_on(head, Item::Claim(id), r)?;
        }
        Ok(())
    }

    /// The input a claim is about: posted with it, or the input of the request with the same
    /// input roots. `None`: not known (yet).
    pub(super) fn claim_input(
        &mut self,
        chain: &mut dyn Chain,
        id: u64,
    ) -> Result<Option<(Vec<Vec<i32>>, InferenceGame::ClaimSubmitted)>> {
        let Some(c) = self.state.checked.get(&id).cloned() else {
            return Ok(None);
        };
        let ev = chain
            .logs(self.contracts.game.address, c.block)?
            .iter()
            .filter_map(|l| InferenceGameEvents::decode_log(&l.log).ok())
            .find_map(|e| match e.data {
                InferenceGameEvents::ClaimSubmitted(s) if s.claimId == U256::from(id) => Some(s),
                _ => None,
            })
            .ok_or_else(|| {
                NodeError::Chain(ChainError::Decode {
                    what: format!("claim {id}"),
                    message: format!("no ClaimSubmitted log at block {} or later", c.block),
                })
            })?;
        if !ev.inputs.is_empty() {
            return Ok(Some((ev.inputs.clone(), ev)));
        }
        let req = match c.input_request {
            Some(r) => Some(r),
            None => self
                .state
                .requests
                .iter()
                .find(|(_, r)| r.inputs_hash == c.inputs_hash && r.model == c.model)
                .map(|(id, _)| *id),
        };
        let Some(req) = req else {
            return Ok(None);
        };
        if let Some(cc) = self.state.checked.get_mut(&id) {
            cc.input_request = Some(req);
        }
        let input = self
            .contracts
            .oracle
            .input_of(chain, verinfer_oracle::RequestId::new(req))?;
        Ok(Some((input, ev)))
    }

    pub(super) fn check(&mut self, chain: &mut dyn Chain, head: BlockInfo, id: u64) -> Result<()> {
        let me = self.cfg.account;
        let game = self.contracts.game;
        let Some(c) = self.state.checked.get(&id).cloned() else {
            return Ok(());
        };
        let set = |s: &mut NodeState, v: Verdict, note: Option<String>| {
            if let Some(c) = s.checked.get_mut(&id) {
                c.check.verdict = v;
                c.check.note = note;
            }
        };
        let status = game.status(chain, id)?;
        if status != ClaimStatus::Pending {
            let v = if c.check.verdict == Verdict::Wrong {
                Verdict::Wrong
            } else {
                Verdict::Skipped
            };
            set(
                &mut self.state,
                v,
                Some(format!("{status:?} before we could check it")),
            );
            if let Some(cc) = self.state.checked.get_mut(&id) {
                cc.check.challenging = false;
            }
            return Ok(());
        }
        let Some((input, ev)) = self.claim_input(chain, id)? else {
            if c.check.verdict != Verdict::AwaitingInput {
                tracing::info!(
                    claim = id,
                    "claim posted no input and no request has its input roots: waiting"
                );
            }
            set(&mut self.state, Verdict::AwaitingInput, None);
            return Ok(());
        };
        let Some(held) = self.models.get(&c.model) else {
            return Ok(());
        };
        // Checking needs only the trace root (streamed: no value or tree kept); the whole
        // execution is built once the claim is found wrong.
        let (ours, our_root) = match held.served.trace_root(&input) {
            Ok(r) => r,
            Err(e) => {
                let why = format!("its input does not run on the model: {e}");
                tracing::warn!(claim = id, "claim not checked: {why}");
                set(&mut self.state, Verdict::Skipped, Some(why));
                return Ok(());
            }
        };
        let inputs_match = ev.inputRoots.len() <= ours.len()
            && ev
                .inputRoots
                .iter()
                .zip(ours)
                .all(|(theirs, o)| theirs.0 == o.to_bytes());
        if !inputs_match {
            let why = "the input found does not have the claim's input roots".to_string();
            tracing::warn!(claim = id, "claim not checked: {why}");
            set(&mut self.state, Verdict::Skipped, Some(why));
            return Ok(());
        }
        if ev.traceRoot == b256(our_root.hash()) {
            tracing::info!(claim = id, submitter = %c.submitter, "claim checked: correct");
            set(&mut self.state, Verdict::Correct, None);
            return Ok(());
        }
        let info = game.claim_info(chain, id)?;
        let as_logged = info.submitter == ev.submitter
            && info.modelId == ev.modelId
            && info.traceRoot == ev.traceRoot
            && c.submitter == ev.submitter
            && c.model == ev.modelId
            && c.inputs_hash == info.inputsHash;
        if !as_logged {
            // The claim of this id is not the one we recorded (its log was replaced by a
            // reorganisation): challenging it would put our bond on someone else's claim.
            tracing::warn!(
                claim = id,
                "the game's claim is not the one its log said (a reorganisation?): forgetting it"
            );
            self.state.checked.remove(&id);
            return Ok(());
        }
        if head.timestamp > info.windowEnd {
            tracing::warn!(claim = id, "claim is wrong but its window has closed");
            set(
                &mut self.state,
                Verdict::Wrong,
                Some("its window closed before we could challenge".into()),
            );
            if let Some(cc) = self.state.checked.get_mut(&id) {
                cc.check.challenging = false;
            }
            return Ok(());
        }
        tracing::warn!(claim = id, submitter = %c.submitter, "claim is WRONG: challenging");
        if let Some(cc) = self.state.checked.get_mut(&id) {
            cc.check.verdict = Verdict::Wrong;
            cc.check.challenging = true;
            cc.check.note = None;
        }
        self.save()?;
        let bond = self.game_cfg.challenger_bond;
        let (game_id, receipt) = match game.challenge(chain, me, bond, id) {
            Ok(x) => x,
            Err(e) => {
                let e = NodeError::from(e);
                if e.is_refusal() {
                    if let Some(cc) = self.state.checked.get_mut(&id) {
                        cc.check.challenging = false;
                    }
                }
                return Err(e);
            }
        };
        self.record(&receipt);
        tracing::info!(game = game_id, claim = id, "game opened");
        self.adopt_game(game_id, id);
        self.save()?;
        let exec = self
            .models
            .get(&c.model)
            .ok_or_else(|| NodeError::Missing(format!("model {} is not held any more", c.model)))?
            .served
            .run(&input)?;
        self.challengers.insert(
            game_id,
            Challenger::new(exec, me, ChallengerStrategy::Honest)
                .with_logs_from(receipt.block_number),
        );
        Ok(())
    }

    /// The challenger of `game_id`, rebuilt by re-executing the claim's input if needed.
    pub(super) fn ensure_challenger(
        &mut self,
        chain: &mut dyn Chain,
        game_id: u64,
    ) -> Result<bool> {
        if self.challengers.contains_key(&game_id) {
            return Ok(true);
        }
        let Some(g) = self.state.games.get(&game_id).cloned() else {
            return Ok(false);
        };
        let Some(c) = self.state.checked.get(&g.claim).cloned() else {
            return Err(NodeError::Missing(format!(
                "game {game_id} is on claim {}, which this node has no record of",
                g.claim
            )));
        };
        let Some((input, _)) = self.claim_input(chain, g.claim)? else {
            return Err(NodeError::Missing(format!(
                "the input of claim {} is not known any more",
                g.claim
            )));
        };
        let Some(held) = self.models.get(&c.model) else {
            return Err(NodeError::Missing(format!(
                "model {} of claim {} is not held any more",
                c.model, g.claim
            )));
        };
        let exec = held.served.run(&input)?;
        tracing::info!(game = game_id, claim = g.claim, "challenger rebuilt");
        // The game was opened after the claim: its logs start at the claim's block or later.
        self.challengers.insert(
            game_id,
            Challenger::new(exec, self.cfg.account, ChallengerStrategy::Honest)
                .with_logs_from(c.block),
        );
        Ok(true)
    }

    pub(super) fn play_games(&mut self, chain: &mut dyn Chain, head: BlockInfo) -> Result<()> {
        for (id, _) in self.state.open_games() {
            if let Err(e) = self.play_one(chain, id) {
                self.soft(head, &format!("playing game {id}"), e)?;
            }
        }
        Ok(())
    }

    pub(super) fn play_one(&mut self, chain: &mut dyn Chain, id: u64) -> Result<()> {
        if !self.ensure_challenger(chain, id)? {
            return Ok(());
        }
        let Some(ch) = self.challengers.get_mut(&id) else {
            return Ok(());
        };
        let record = &mut |r: &Receipt| record_tx(&mut self.state, &mut self.sent, r);
        let phase = play(chain, &self.contracts.game, ch, id, None, record)?;
        let Some(g) = self.state.games.get_mut(&id) else {
            return Ok(());
        };
        g.standing = GameStanding::at(phase);
        if g.is_over() {
            let claim = g.claim;
            tracing::info!(game = id, claim, outcome = ?phase, "game over");
            self.withdraw_due = true;
            self.challengers.remove(&id);
            if phase == Phase::ChallengerWon {
                if let Some(reqs) = self.state.claim_requests.get(&claim) {
                    self.state.reopen.extend(reqs.iter().copied());
                }
            }
        }
        self.save()
    }
}

//! Text requests: answering each with a generation claim (greedy or sampled with the request's
//! seed and temperature, the behaviour's generation; a sampled one is posted with
//! `claimSampled`, which the oracle checks against the request),
//! recording the claim as the request's answer, and settling the request with the claim's
//! tokens once the claim is final.
//!
//! An answer is two transactions (`GenerationGame.claim`, then `GenerationOracle.answer`,
//! which checks that the claim is the caller's, made after the request, of its model, prompt
//! and length). The intent is saved before the claim and the claim before the answer, so a
//! crash between them is mended on restart: the `GenerationClaimed` log from our address
//! with the intent's root is adopted for its request, and a claim of ours recorded for a
//! request but not yet its answer is sent as the answer.

use verinfer_opml::generation::prepare_generation;
use verinfer_oracle::bindings_text::GenerationOracle;
use verinfer_oracle::TextRequestId;

use super::gen_sync::sampling_of;
use super::*;

impl Node {
    pub(super) fn gen_answer_requests(
        &mut self,
        chain: &mut dyn Chain,
        text: &TextContracts,
        head: BlockInfo,
    ) -> Result<()> {
        let unanswered: Vec<(u64, u64)> = self
            .state
            .generation
            .claims
            .iter()
            .filter(|(_, c)| c.status == OwnClaimStatus::Pending && !c.answered)
            .filter_map(|(id, c)| c.request.map(|r| (*id, r)))
            .collect();
        for (claim, req) in unanswered {
            if let Err(e) = self.gen_send_answer(chain, text, req, claim) {
                if let Some(c) = self.state.generation.claims.get_mut(&claim) {
                    // Refused for good (the request was fulfilled or cancelled meanwhile):
                    // the claim stays ours and is defended, it just answers nothing.
                    if !e.is_transient() {
                        c.answered = true;
                    }
                }
                self.soft(
                    head,
                    &format!("answering text request {req} with claim {claim}"),
                    e,
                )?;
            }
        }
        let todo = ids_where(&self.state.generation.requests, |r| {
            r.state == TextRequestState::Todo
        });
        for req in todo {
            let r = self.gen_answer_one(chain, text, head, req);
            self.soft_on(head, Item::TextRequest(req), r)?;
        }
        Ok(())
    }

    /// Whether `req` should get an answer from us now; records what the chain says when it
    /// is settled or cancelled.
    fn gen_wants_answer(
        &mut self,
        chain: &mut dyn Chain,
        text: &TextContracts,
        head: BlockInfo,
        req: u64,
    ) -> Result<bool> {
        let me = self.cfg.account;
        let onchain = text.oracle.get_request(chain, TextRequestId::new(req))?;
        let Some(rec) = self.state.generation.requests.get_mut(&req) else {
            return Ok(false);
        };
        match RequestStatus::from_u8(onchain.status)? {
            RequestStatus::Open | RequestStatus::Claimed => {}
            RequestStatus::Fulfilled => {
                rec.state = TextRequestState::Fulfilled {
                    ours: onchain.answerer == me,
                };
                return Ok(false);
            }
            _ => {
                rec.state = TextRequestState::Cancelled;
                return Ok(false);
            }
        }
        if onchain.modelId != rec.model
            || onchain.maxNewTokens != rec.max_new_tokens
            || onchain.seed != rec.seed
            || onchain.temp != rec.temp
        {
            // A replaced block named another request with this id: read its log again.
            self.state.generation.requests.remove(&req);
            return Ok(false);
        }
        if head.timestamp < onchain.createdAt.saturating_add(self.cfg.answer_delay_secs) {
            return Ok(false);
        }
        if !self.cfg.behaviour.is_honest() && rec.answers.lied {
            return Ok(false);
        }
        let standing = self.state.generation.claims.values().any(|c| {
            c.request == Some(req)
                && matches!(
                    c.status,
                    OwnClaimStatus::Pending | OwnClaimStatus::Finalized
                )
        });
        if standing {
            return Ok(false);
        }
        let share = verinfer_chain::view_default(
            chain,
            text.oracle.address,
            &GenerationOracle::ownerShareBpsCall {},
            "GenerationOracle.ownerShareBps",
        )?;
        let offer = Offer {
            fee: onchain.fee,
            owner_share_bps: share,
            callback_gas: if onchain.callback.is_zero() {
                0
            } else {
                onchain.callbackGasLimit
            },
            gas_price: chain.gas_price()?,
            zk: false,
        };
        if let Err(why) = self.cfg.policy.judge(&offer) {
            if let Some(rec) = self.state.generation.requests.get_mut(&req) {
                if rec.answers.note.as_deref() != Some(why.as_str()) {
                    tracing::info!(request = req, "{why}");
                    rec.answers.note = Some(why);
                }
            }
            return Ok(false);
        }
        Ok(true)
    }

    fn gen_answer_one(
        &mut self,
        chain: &mut dyn Chain,
        text: &TextContracts,
        head: BlockInfo,
        req: u64,
    ) -> Result<()> {
        if !self.gen_wants_answer(chain, text, head, req)? {
            return Ok(());
        }
        let Some(rec) = self.state.generation.requests.get(&req).cloned() else {
            return Ok(());
        };
        let Some(held) = self.models.gen(&rec.model).cloned() else {
            return Ok(());
        };
        let me = self.cfg.account;
        let honest = self.cfg.behaviour.is_honest();
        if !self.gen_plans.contains_key(&req) {
            let n = usize::try_from(rec.max_new_tokens).unwrap_or(usize::MAX);
            let run = sampling_of(rec.seed, rec.temp).and_then(|s| {
                Ok(self
                    .cfg
                    .behaviour
                    .generation(&held.model, &rec.prompt, n, s)?)
            });
            match run {
                Ok(g) => {
                    self.gen_plans.insert(req, g);
                }
                Err(e) => {
                    tracing::warn!(request = req, error = %e, "text request skipped");
                    if let Some(r) = self.state.generation.requests.get_mut(&req) {
                        r.state = TextRequestState::Skipped;
                        r.answers.note = Some(format!("the prompt does not run on the model: {e}"));
                    }
                    return Ok(());
                }
            }
        }
        let Some(plan) = self.gen_plans.get(&req) else {
            return Ok(());
        };
        // A standing answer with our tokens: the oracle refuses ours as a duplicate. If it is
        // wrong (same tokens, another trace) our challenge rejects it, then we answer.
        for c in &rec.answers.claims {
            let theirs = self
                .state
                .generation
                .checked
                .get(c)
                .map(|x| &x.claimed.tokens)
                .or_else(|| {
                    self.state
                        .generation
                        .claims
                        .get(c)
                        .map(|x| &x.claimed.tokens)
                });
            if theirs.is_some_and(|t| t.as_slice() == plan.tokens())
                && text.game.status(chain, *c)? != ClaimStatus::Rejected
            {
                return Ok(());
            }
        }
        for r in prepare_generation(chain, text.gen(), me, &held.model)? {
            self.record(&r);
        }
        let Some(plan) = self.gen_plans.remove(&req) else {
            return Ok(());
        };
        let root = b256(plan.root());
        self.state.generation.intents.push(GenIntent {
            root,
            request: req,
            lie: !honest,
        });
        if let Some(r) = self.state.generation.requests.get_mut(&req) {
            r.answers.lied |= !honest;
        }
        self.save()?;
        let sub = GenSubmitter::new(plan, me);
        let bond = text.game.config(chain)?.submitter_bond;
        // `claimSampled` for a sampled plan, `claim` for a greedy one.
        let (claim, r) = sub.post(chain, &text.game, bond)?;
        self.record(&r);
        tracing::info!(request = req, claim, lie = !honest, root = %root, "generation claim posted");
        let g = &mut self.state.generation;
        g.intents.retain(|i| i.root != root);
        g.claims.entry(claim).or_insert_with(|| OwnGenClaim {
            model: rec.model,
            claimed: GenClaimed {
                prompt: rec.prompt.clone(),
                tokens: sub.gen.tokens().to_vec(),
                seed: rec.seed,
                temp: rec.temp,
                root,
                block: r.block_number,
            },
            request: Some(req),
            answered: false,
            settled: false,
            status: OwnClaimStatus::Pending,
            lie: !honest,
        });
        self.gen_submitters.insert(claim, sub);
        self.save()?;
        self.gen_send_answer(chain, text, req, claim)
    }

    fn gen_send_answer(
        &mut self,
        chain: &mut dyn Chain,
        text: &TextContracts,
        req: u64,
        claim: u64,
    ) -> Result<()> {
        let me = self.cfg.account;
        let r = text
            .oracle
            .answer(chain, me, TextRequestId::new(req), claim)?;
        self.record(&r);
        if let Some(c) = self.state.generation.claims.get_mut(&claim) {
            c.answered = true;
        }
        if let Some(rec) = self.state.generation.requests.get_mut(&req) {
            if !rec.answers.claims.contains(&claim) {
                rec.answers.claims.push(claim);
            }
        }
        self.save()
    }

    /// Settles every request a final claim of ours answers (with the claim's tokens: the
    /// oracle checks their root against the claim's) and records what the chain says of
    /// requests someone else settled or that were cancelled.
    pub(super) fn gen_settle(
        &mut self,
        chain: &mut dyn Chain,
        text: &TextContracts,
        head: BlockInfo,
    ) -> Result<()> {
        let me = self.cfg.account;
        let due: Vec<(u64, u64, Vec<u32>)> = self
            .state
            .generation
            .claims
            .iter()
            .filter(|(_, c)| c.status == OwnClaimStatus::Finalized && c.answered && !c.settled)
            .filter_map(|(id, c)| c.request.map(|r| (*id, r, c.claimed.tokens.clone())))
            .collect();
        for (claim, req, tokens) in due {
            let id = TextRequestId::new(req);
            let settled = match text.oracle.status(chain, id)? {
                RequestStatus::Claimed => match text.oracle.settle(chain, me, id, &tokens) {
                    Ok(s) => {
                        self.record(&s.receipt);
                        tracing::info!(request = req, claim, callback = ?s.callback, "text request settled");
                        if let Some(r) = self.state.generation.requests.get_mut(&req) {
                            r.state = TextRequestState::Fulfilled { ours: true };
                        }
                        self.withdraw_due = true;
                        true
                    }
                    Err(e) => {
                        self.soft(head, &format!("settling text request {req}"), e.into())?;
                        false
                    }
                },
                _ => true,
            };
            if let Some(c) = self.state.generation.claims.get_mut(&claim) {
                c.settled = settled;
            }
            self.save()?;
        }
        Ok(())
    }
}

//! The submitter of a generation claim: posts (prompt, tokens, G) and answers every move of
//! `GenerationGame` from its [`GenExecution`], handing a disputed step to the single-step game
//! as an ordinary claim it then defends with the ordinary [`Submitter`].

use alloy_primitives::{Address, B256, U256};
use verinfer_chain::{Chain, Receipt};
use verinfer_commit::TensorTree;

use super::bindings::GenerationGame::{self as G, Game, StepOpening};
use super::client::{GenClient, GenPhase};
use super::execution::GenExecution;
use super::step_inputs::{handoff_call, post_trace_claim, posted_trace_claim};
use crate::client::GameClient;
use crate::convert::{b256, b256s, usize_of};
use crate::error::{OpmlError, Result};
use crate::submitter::{Submitter, SubmitterStrategy};
use crate::GameConfig;

/// Token ids as the contract's `int32[]`.
pub fn token_words(t: &[u32]) -> Vec<i32> {
    t.iter()
        .map(|&x| i32::try_from(x).unwrap_or(i32::MAX))
        .collect()
}

/// The submitter of one generation.
#[derive(Debug)]
pub struct GenSubmitter {
    /// What it claims and answers from.
    pub gen: GenExecution,
    /// Its account.
    pub account: Address,
    /// Never move (loses on time).
    pub silent: bool,
    /// The single-step claim it posted for a disputed step, and its defender.
    pub sub: Option<(u64, Submitter)>,
}

impl GenSubmitter {
    /// A submitter of `gen` playing from `account`.
    pub fn new(gen: GenExecution, account: Address) -> Self {
        Self {
            gen,
            account,
            silent: false,
            sub: None,
        }
    }

    /// What the claim states.
    pub fn claim_call(&self) -> G::claimCall {
        G::claimCall {
            modelId: b256(self.gen.model().served().commitment().model_id.hash()),
            prompt: token_words(self.gen.prompt()),
            tokens: token_words(self.gen.tokens()),
            root: b256(self.gen.root()),
        }
    }

    /// What a sampled claim states (`claimSampled`): the claim and the seed and temperature
    /// (seed 0 for a greedy generation).
    pub fn claim_sampled_call(&self) -> G::claimSampledCall {
        let c = self.claim_call();
        let smp = self.gen.sampling();
        G::claimSampledCall {
            modelId: c.modelId,
            prompt: c.prompt,
            tokens: c.tokens,
            root: c.root,
            seed: smp.map_or(0, |s| s.seed),
            temp: smp.map_or(0, |s| s.temp),
        }
    }

    /// Posts its claim (sampled or greedy) with `bond`; returns the claim id.
    ///
    /// # Errors
    /// A revert or transport error.
    pub fn post(
        &self,
        chain: &mut dyn Chain,
        game: &GenClient,
        bond: U256,
    ) -> Result<(u64, Receipt)> {
        if self.gen.sampling().is_some() {
            game.claim(chain, self.account, bond, self.claim_sampled_call())
        } else {
            game.claim(chain, self.account, bond, self.claim_call())
        }
    }

    /// Makes the submitter's move(s) in `game_id` if it is its turn (posting a step as a
    /// single-step trace claim is two transactions: the claim, then `handoff`).
    ///
    /// # Errors
    /// A revert of its own move or transport error.
    pub fn act(
        &mut self,
        chain: &mut dyn Chain,
        game: &GenClient,
        steps: (&GameClient, &GameConfig),
        d: u8,
        game_id: u64,
    ) -> Result<Vec<Receipt>> {
        if self.silent {
            return Ok(Vec::new());
        }
        let g = game.game(chain, game_id)?;
        let phase = GenPhase::from_u8(g.phase)?;
        let pos = usize_of(g.pos, "pos")?;
        let s = usize_of(g.step, "step")?;
        let a = self.account;
        let id = U256::from(game_id);
        Ok(match phase {
            GenPhase::StepReveal | GenPhase::InputReveal => {
                let children = if phase == GenPhase::StepReveal {
                    self.gen.reveal(g.level, pos, d)?
                } else {
                    let v = usize_of(g.input, "input")?;
                    self.gen.step(s)?.value_reveal(v, g.level, pos, d)?
                };
                let call = G::revealCall {
                    gameId: id,
                    children,
                };
                vec![game.send(chain, a, &call)?]
            }
            GenPhase::PostStep => {
                let exec = self.gen.step_owned(s)?;
                // A trace claim (model and trace root): the generation game binds and judges
                // the step's inputs itself, from the roots `handoff` shows. One posted before
                // a restart (the handoff not sent) is handed off, never posted twice.
                let floor = usize_of(g.subClaimFloor, "sub-claim floor")? as u64;
                let mut sent = Vec::new();
                let sub_claim = match posted_trace_claim(chain, steps.0, a, floor, &exec)? {
                    Some(id) => id,
                    None => {
                        let bond = steps.1.submitter_bond;
                        let (id, r) = post_trace_claim(chain, steps.0, a, bond, &exec)?;
                        sent.push(r);
                        id
                    }
                };
                let call = handoff_call(game_id, sub_claim, &exec)?;
                self.sub = Some((
                    sub_claim,
                    Submitter::new(exec, a, SubmitterStrategy::Honest),
                ));
                sent.push(game.send(chain, a, &call)?);
                sent
            }
            GenPhase::Derive => {
                let o = self.derivation(&g, s)?;
                vec![game.send(chain, a, &G::deriveCall { gameId: id, o })?]
            }
            GenPhase::OpenToken => {
                let next = self.gen.model().output_value(0);
                let o = self.step_opening(s, next, 0)?;
                vec![game.send(chain, a, &G::openTokenCall { gameId: id, o })?]
            }
            _ => Vec::new(),
        })
    }

    /// The defender of single-step claim `sub_claim` (step `s` posted by `PostStep`),
    /// rebuilt from its generation when it does not hold it (after a restart).
    ///
    /// # Errors
    /// A step past the generation, or an executor error.
    pub fn resume_step(&mut self, sub_claim: u64, s: usize) -> Result<()> {
        if self.sub.as_ref().is_some_and(|(c, _)| *c == sub_claim) {
            return Ok(());
        }
        let exec = self.gen.step_owned(s)?;
        self.sub = Some((
            sub_claim,
            Submitter::new(exec, self.account, SubmitterStrategy::Honest),
        ));
        Ok(())
    }

    /// The opening that derives the disputed element of step `s` (see `GenerationGame.derive`).
    fn derivation(&mut self, g: &Game, s: usize) -> Result<StepOpening> {
        let input = usize_of(g.input, "input")?;
        let j = usize_of(g.element, "element")?;
        let p = self.gen.prompt().len();
        if input == 0 && s < p {
            let o = TensorTree::new(&token_words(self.gen.prompt()))
                .open(s as u64)
                .map_err(|e| OpmlError::Protocol(format!("prompt opening: {e}")))?;
            return Ok(StepOpening {
                stepRoot: B256::ZERO,
                stepPath: Vec::new(),
                valueRoot: B256::ZERO,
                valuePath: Vec::new(),
                leaf: b256(o.leaf),
                leafPath: b256s(&o.siblings),
                value: o.value,
            });
        }
        let prev = s
            .checked_sub(1)
            .ok_or_else(|| OpmlError::Protocol("a derivation at step 0".into()))?;
        let m = self.gen.model();
        let row = m.layout().row;
        let (v, index) = if input == 0 {
            (m.output_value(0), 0)
        } else if j / row + 1 == s {
            (m.output_value(input), j % row)
        } else {
            (input, j)
        };
        self.step_opening(prev, v, index)
    }

    /// Element `index` of value `v` of step `s`, opened against G.
    fn step_opening(&mut self, s: usize, v: usize, index: usize) -> Result<StepOpening> {
        let exec = self.gen.step(s)?;
        let o = exec
            .trace()
            .open(v as u64, index as u64)
            .map_err(|e| OpmlError::Protocol(format!("step {s} opening: {e}")))?;
        let tree = self.gen.tree();
        let path = tree
            .path(s as u64)
            .map_err(|e| OpmlError::Protocol(format!("G path: {e}")))?;
        Ok(StepOpening {
            stepRoot: b256(tree.leaves()[s]),
            stepPath: b256s(&path),
            valueRoot: b256(o.value_root),
            valuePath: b256s(&o.trace_siblings),
            leaf: b256(o.element.leaf),
            leafPath: b256s(&o.element.siblings),
            value: o.element.value,
        })
    }
}

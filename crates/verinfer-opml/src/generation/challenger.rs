//! The challenger of a generation claim: re-runs the generation, chooses the mode (bisection
//! when G differs from its own, binding when G agrees but a posted token does not) and plays
//! every move by comparing with its own steps; a step whose inputs agree is disputed through
//! the single-step claim, with the ordinary [`Challenger`].

use alloy_primitives::{Address, B256, U256};
use verinfer_chain::{Chain, Receipt};
use verinfer_commit::tensor::leaf_element;
use verinfer_commit::TensorTree;

use super::bindings::GenerationGame::{self as G, Game};
use super::client::{GenClient, GenPhase};
use super::execution::GenExecution;
use super::step_inputs::input_path;
use super::submitter::token_words;
use crate::challenger::{Challenger, ChallengerStrategy};
use crate::client::GameClient;
use crate::convert::{b256, b256s, hash32, usize_of};
use crate::error::{OpmlError, Result};

/// How the challenger behaves: `Honest`, or a lie that must lose to an honest submitter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GenChallengerStrategy {
    /// Dispute what differs from its own generation.
    Honest,
    /// Bisection down to step `step`, then dispute element `element` of input `input`.
    DisputeInput {
        /// The step.
        step: usize,
        /// The input (0 token, 2.. caches).
        input: usize,
        /// The element.
        element: usize,
    },
    /// Bisection down to step `step`, then dispute the step's trace (sub-claim challenged by
    /// a random challenger).
    DisputeStep {
        /// The step.
        step: usize,
    },
    /// Binding mode on posted token `index`, whatever it is.
    DisputeToken {
        /// Index among the generated tokens.
        index: usize,
    },
}

/// How a challenger opens its game.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Descend G.
    Bisect,
    /// Dispute posted token `index` (its value and opening against the token root).
    Bind(G::challengeTokenCall),
}

/// A challenger holding its own run of the claimed generation.
#[derive(Debug)]
pub struct GenChallenger {
    /// Its run (of the claim's prompt and length).
    pub gen: GenExecution,
    /// Its account.
    pub account: Address,
    /// Its behaviour.
    pub strategy: GenChallengerStrategy,
    /// Where its game's logs start.
    pub logs_from: u64,
    /// Its challenger of a single-step claim, when it disputed a step's trace.
    pub sub: Option<Challenger>,
}

impl GenChallenger {
    /// A challenger holding `gen`.
    pub fn new(gen: GenExecution, account: Address, strategy: GenChallengerStrategy) -> Self {
        Self {
            gen,
            account,
            strategy,
            logs_from: 0,
            sub: None,
        }
    }

    /// The mode it challenges `claim` in, or `None` when the claim is right. The claim's
    /// `GenerationClaimed` log is read from `claim_block` on (its block, or any earlier one):
    /// reading from block 0 for every claim makes each check scan the game's whole history.
    ///
    /// # Errors
    /// A claim of another model or prompt, no claim log from `claim_block` on, or transport
    /// errors.
    pub fn mode(
        &self,
        chain: &mut dyn Chain,
        game: &GenClient,
        claim: u64,
        claim_block: u64,
    ) -> Result<Option<Mode>> {
        let c = game.claim_info(chain, claim)?;
        let at = |e: &G::GenerationClaimed| e.claimId == U256::from(claim);
        let missing = format!("claim {claim}: no event");
        let e = crate::client::required_event(chain, game.address, claim_block, at, &missing)?;
        let smp = self.gen.sampling();
        let same_request = e.prompt == token_words(self.gen.prompt())
            && e.tokens.len() == self.gen.tokens().len()
            && c.seed == smp.map_or(0, |s| s.seed)
            && c.temp == smp.map_or(0, |s| s.temp);
        if !same_request {
            return Err(OpmlError::Mismatch(format!(
                "claim {claim} is not of this challenger's prompt, length and sampling"
            )));
        }
        let bind = |index: usize| -> Result<Mode> {
            let o = TensorTree::new(&e.tokens)
                .open(index as u64)
                .map_err(|x| OpmlError::Protocol(format!("token opening: {x}")))?;
            Ok(Mode::Bind(G::challengeTokenCall {
                claimId: U256::from(claim),
                i: U256::from(index),
                value: o.value,
                leaf: b256(o.leaf),
                path: b256s(&o.siblings),
            }))
        };
        match self.strategy {
            GenChallengerStrategy::DisputeToken { index } => return bind(index).map(Some),
            GenChallengerStrategy::DisputeInput { .. }
            | GenChallengerStrategy::DisputeStep { .. } => return Ok(Some(Mode::Bisect)),
            GenChallengerStrategy::Honest => {}
        }
        if hash32(c.root) != self.gen.root() {
            return Ok(Some(Mode::Bisect));
        }
        let ours = token_words(self.gen.tokens());
        match e.tokens.iter().zip(&ours).position(|(a, b)| a != b) {
            Some(i) => bind(i).map(Some),
            None => Ok(None),
        }
    }

    fn target_step(&self) -> Option<usize> {
        match self.strategy {
            GenChallengerStrategy::DisputeInput { step, .. }
            | GenChallengerStrategy::DisputeStep { step } => Some(step),
            _ => None,
        }
    }

    /// Makes the challenger's move in `game_id` if it is its turn.
    ///
    /// # Errors
    /// A revert of its own move or transport error.
    pub fn act(
        &mut self,
        chain: &mut dyn Chain,
        game: &GenClient,
        _steps: &GameClient,
        d: u8,
        game_id: u64,
    ) -> Result<Option<Receipt>> {
        let g = game.game(chain, game_id)?;
        let phase = GenPhase::from_u8(g.phase)?;
        let pos = usize_of(g.pos, "pos")?;
        let a = self.account;
        let id = U256::from(game_id);
        let aim = |target: usize, g: &Game| {
            let k = crate::answers::reveal_levels(g.level, d);
            let below = g.level as usize - k;
            (target >> below) - (pos << k)
        };
        Ok(Some(match phase {
            GenPhase::Choose => self.choose(chain, game, &g, game_id)?,
            GenPhase::StepPick | GenPhase::InputPick => {
                let children = game.last_reveal(chain, game_id, self.logs_from)?;
                // The step descent heads for the leftmost differing step root, the input
                // descent for a differing leaf; the lying strategies head for their target.
                let (honest, target) = if phase == GenPhase::StepPick {
                    (self.gen.reveal(g.level, pos, d)?, self.target_step())
                } else {
                    let s = usize_of(g.step, "step")?;
                    let v = usize_of(g.input, "input")?;
                    let target = match self.strategy {
                        GenChallengerStrategy::DisputeInput { element, .. } => Some(element / 8),
                        _ => None,
                    };
                    (self.gen.step(s)?.value_reveal(v, g.level, pos, d)?, target)
                };
                let i = target.map_or_else(|| leftmost(&children, &honest), |t| aim(t, &g));
                let index = U256::from(i);
                game.send(
                    chain,
                    a,
                    &G::pickCall {
                        gameId: id,
                        children,
                        index,
                    },
                )?
            }
            GenPhase::InputName => {
                let slot = match self.strategy {
                    GenChallengerStrategy::DisputeInput { element, .. } => element % 8,
                    _ => {
                        let s = usize_of(g.step, "step")?;
                        let v = usize_of(g.input, "input")?;
                        let ours = hash32(self.gen.step(s)?.value_leaf(v, pos)?);
                        let theirs = hash32(g.cur);
                        (0..8)
                            .position(|k| leaf_element(&theirs, k) != leaf_element(&ours, k))
                            .unwrap_or(0)
                    }
                };
                game.send(
                    chain,
                    a,
                    &G::nameElementCall {
                        gameId: id,
                        slot: U256::from(slot),
                    },
                )?
            }
            _ => return Ok(None),
        }))
    }

    /// After the step is posted: dispute the first input whose root differs from the honest
    /// one, else the step's trace itself (then challenged in the single-step game).
    fn choose(
        &mut self,
        chain: &mut dyn Chain,
        game: &GenClient,
        g: &Game,
        game_id: u64,
    ) -> Result<Receipt> {
        let shown = game.posted_step(chain, game_id, self.logs_from)?;
        let roots = shown.inputRoots;
        let s = usize_of(g.step, "step")?;
        let own = self.gen.step(s)?;
        let honest = &own.trace().value_roots()[..roots.len().min(own.graph().inputs.len())];
        let differing = roots.iter().zip(honest).position(|(r, h)| hash32(*r) != *h);
        let input = match self.strategy {
            GenChallengerStrategy::DisputeInput { input, .. } => Some(input),
            GenChallengerStrategy::DisputeStep { .. } => None,
            _ => differing,
        };
        if let Some(i) = input {
            let root = *roots
                .get(i)
                .ok_or_else(|| OpmlError::Protocol(format!("input {i}: not shown")))?;
            let call = G::disputeInputCall {
                gameId: U256::from(game_id),
                input: U256::from(i),
                root,
                path: input_path(&roots, &shown.edge, i)?,
            };
            return game.send(chain, self.account, &call);
        }
        self.resume_step_dispute(s)?;
        let call = G::disputeStepCall {
            gameId: U256::from(game_id),
        };
        game.send(chain, self.account, &call)
    }
}

impl GenChallenger {
    /// Its challenger of step `s`'s single-step claim, rebuilt (the step replayed): what
    /// `disputeStep` made, again after a restart.
    ///
    /// # Errors
    /// A step past the generation, or an executor error.
    pub fn resume_step_dispute(&mut self, s: usize) -> Result<()> {
        let strategy = match self.strategy {
            GenChallengerStrategy::Honest => ChallengerStrategy::Honest,
            _ => ChallengerStrategy::Random(7),
        };
        self.sub = Some(Challenger::new(
            self.gen.step_owned(s)?,
            self.account,
            strategy,
        ));
        Ok(())
    }
}

fn leftmost(children: &[B256], honest: &[B256]) -> usize {
    children
        .iter()
        .zip(honest)
        .position(|(a, b)| a != b)
        .unwrap_or(0)
}

//! The challenger: re-executes a claim, opens a game when the trace root is not the honest
//! one, and plays every move by comparing the submitter's reveals with its own execution.

use alloy_primitives::{Address, B256, I256};
use verinfer_chain::bindings::InferenceGame::Game;
use verinfer_chain::{Chain, Receipt};
use verinfer_commit::tensor::{leaf_count, leaf_element};

use crate::client::{GameClient, Phase};
use crate::convert::{b256, hash32, usize_of};
use crate::error::{OpmlError, Result};
use crate::execution::Execution;
use crate::party::{Party, Turn};

/// How the challenger behaves. `Honest` is what `verinfer challenge` runs; the others exist to
/// show that a lying challenger loses against an honest submitter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChallengerStrategy {
    /// Pick what differs from the honest execution.
    Honest,
    /// Pick pseudo-random children, slots and segments (seeded).
    Random(u64),
    /// Never move (loses on time).
    Silent,
    /// Make `n` moves, then stop.
    SilentAfter(usize),
    /// Play honestly but send a one-step whose openings are garbage (the verifier rejects it,
    /// the move reverts), then stop.
    GarbageOneStep,
    /// Dispute element `element` of value `value` whatever the trace says, and the last
    /// segment of every bisection: drives a game to a one-step on a chosen node (tests every
    /// op's one-step against an honest submitter).
    Target {
        /// The value (a node output) to descend to.
        value: usize,
        /// The element to name.
        element: usize,
    },
}

/// A challenger with its honest execution of the claimed model and input.
#[derive(Debug)]
pub struct Challenger {
    /// The honest execution.
    pub exec: Execution,
    /// Its account.
    pub account: Address,
    /// Its behaviour.
    pub strategy: ChallengerStrategy,
    /// The first block whose logs can belong to its game (the game's opening block, or any
    /// earlier one such as the claim's): where it reads the other side's reveals from.
    pub logs_from: u64,
    moves: usize,
    rng: u64,
}

impl Challenger {
    /// A challenger holding `exec`.
    pub fn new(exec: Execution, account: Address, strategy: ChallengerStrategy) -> Self {
        let rng = match strategy {
            ChallengerStrategy::Random(seed) => seed | 1,
            _ => 1,
        };
        Self {
            exec,
            account,
            strategy,
            logs_from: 0,
            moves: 0,
            rng,
        }
    }

    /// The same challenger reading its game's logs from block `block` on.
    #[must_use]
    pub fn with_logs_from(mut self, block: u64) -> Self {
        self.logs_from = block;
        self
    }

    /// Whether the claim's trace root differs from the honest one (worth a challenge).
    ///
    /// # Errors
    /// Transport errors.
    pub fn disputes(&self, chain: &mut dyn Chain, game: &GameClient, claim: u64) -> Result<bool> {
        let c = game.claim_info(chain, claim)?;
        if c.modelId != b256(self.exec.model().model_id.hash()) {
            return Err(OpmlError::Mismatch(format!(
                "claim {claim} is on model {}, this challenger holds {}",
                c.modelId,
                self.exec.model().model_id
            )));
        }
        Ok(hash32(c.traceRoot) != self.exec.trace().root().hash())
    }

    fn next_random(&mut self, n: usize) -> usize {
        // xorshift64: deterministic and dependency-free; only the lying strategy uses it.
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        (self.rng % n.max(1) as u64) as usize
    }

    fn random(&self) -> bool {
        matches!(self.strategy, ChallengerStrategy::Random(_))
    }
}

impl Party for Challenger {
    const SUBMITTER: bool = false;

    fn silent(&self) -> bool {
        match self.strategy {
            ChallengerStrategy::Silent => true,
            ChallengerStrategy::SilentAfter(n) => self.moves >= n,
            _ => false,
        }
    }

    fn play(&mut self, turn: Turn<'_>) -> Result<Option<Receipt>> {
        let Turn {
            chain,
            game,
            id: game_id,
            g,
            phase,
            depth: d,
            pos,
        } = turn;
        let receipt = match phase {
            Phase::NodePick => {
                let children = game.last_reveal(chain, game_id, self.logs_from)?;
                let honest = self.exec.trace_reveal(g.level, pos, d)?;
                // Leftmost difference: everything left of it agrees, so the leaf reached is the
                // first wrong value and its node's inputs are honest.
                let mut i = self.choose(&children, &honest);
                if self.random() {
                    // A lying challenger that still aims at node outputs (an input loses at
                    // once), so its game reaches a one-step that re-executes honest data.
                    let k = crate::answers::reveal_levels(g.level, d);
                    let below = (g.level as usize) - k;
                    let (lo, hi) = (
                        self.exec.graph().inputs.len(),
                        self.exec.graph().num_values(),
                    );
                    let hits: Vec<usize> = (0..children.len())
                        .filter(|c| {
                            let first = ((pos << k) | c) << below;
                            let end = (((pos << k) | c) + 1) << below;
                            first < hi && end > lo
                        })
                        .collect();
                    if !hits.is_empty() {
                        i = hits[self.next_random(hits.len())];
                    }
                }
                let aim = match self.strategy {
                    ChallengerStrategy::GarbageOneStep => Some(self.exec.graph().num_values() - 1),
                    ChallengerStrategy::Target { value, .. } => Some(value),
                    _ => None,
                };
                if let Some(target) = aim {
                    // Head for the target value (a node output) so the game reaches a one-step.
                    let k = crate::answers::reveal_levels(g.level, d);
                    let below = (g.level as usize) - k;
                    i = (target >> below) - (pos << k);
                }
                game.pick(chain, self.account, game_id, children, i)?
            }
            Phase::ElementPick => {
                let children = game.last_reveal(chain, game_id, self.logs_from)?;
                let v = usize_of(g.valueId, "value id")?;
                let honest = self.exec.value_reveal(v, g.level, pos, d)?;
                let mut i = self.choose(&children, &honest);
                if self.random() {
                    // Stay inside the real leaves, so the game reaches a one-step.
                    let k = crate::answers::reveal_levels(g.level, d);
                    let below = (g.level as usize) - k;
                    let leaves = leaf_count(usize_of(g.outLen, "output length")? as u64) as usize;
                    let hits: Vec<usize> = (0..children.len())
                        .filter(|c| (((pos << k) | c) << below) < leaves)
                        .collect();
                    if !hits.is_empty() {
                        i = hits[self.next_random(hits.len())];
                    }
                }
                if let ChallengerStrategy::Target { element, .. } = self.strategy {
                    let k = crate::answers::reveal_levels(g.level, d);
                    let below = (g.level as usize) - k;
                    i = ((element / 8) >> below) - (pos << k);
                }
                game.pick(chain, self.account, game_id, children, i)?
            }
            Phase::NodeWords => {
                let n = self.exec.disputed_node(&g)?;
                let (words, path) = self.exec.node_words_opening(n)?;
                game.name_node(chain, self.account, game_id, words, path)?
            }
            Phase::ElementName => {
                let slot = self.element_slot(&g)?;
                game.name_element(chain, self.account, game_id, slot)?
            }
            Phase::StepPick => {
                let cps = game.last_checkpoints(chain, game_id, self.logs_from)?;
                let i = self.step_segment(&g, &cps, d)?;
                game.pick_step(chain, self.account, game_id, cps, i)?
            }
            Phase::OneStep => {
                let n = self.exec.disputed_node(&g)?;
                let (words, _) = self.exec.node_words_opening(n)?;
                let (_, roots) = game.opened_inputs(chain, game_id, self.logs_from)?;
                let proof = if self.strategy == ChallengerStrategy::GarbageOneStep {
                    self.moves = usize::MAX / 2;
                    self.strategy = ChallengerStrategy::Silent;
                    vec![0xde; 96]
                } else {
                    crate::proof::one_step_proof(&self.exec, n, &g)?
                };
                game.one_step(chain, self.account, game_id, words, roots, proof)?
            }
            _ => return Ok(None),
        };
        self.moves += 1;
        Ok(Some(receipt))
    }
}

impl Challenger {
    fn choose(&mut self, children: &[B256], honest: &[B256]) -> usize {
        if self.random() {
            return self.next_random(children.len());
        }
        children
            .iter()
            .zip(honest)
            .position(|(a, b)| a != b)
            .unwrap_or(0)
    }

    fn element_slot(&mut self, g: &Game) -> Result<usize> {
        let v = usize_of(g.valueId, "value id")?;
        let leaf = usize_of(g.pos, "leaf")?;
        let out_len = usize_of(g.outLen, "output length")?;
        if self.random() {
            let valid = out_len.saturating_sub(leaf * 8).clamp(1, 8);
            return Ok(self.next_random(valid));
        }
        if let ChallengerStrategy::Target { element, .. } = self.strategy {
            return Ok(element % 8);
        }
        if leaf as u64 >= leaf_count(out_len as u64) {
            return Ok(0);
        }
        let theirs = hash32(g.cur);
        let ours = hash32(self.exec.value_leaf(v, leaf)?);
        Ok((0..8)
            .position(|s| leaf_element(&theirs, s) != leaf_element(&ours, s))
            .unwrap_or(0))
    }

    fn step_segment(&mut self, g: &Game, cps: &[I256], d: u8) -> Result<usize> {
        let segs = crate::answers::segments(usize_of(g.stepA, "a")?, usize_of(g.stepB, "b")?, d);
        if self.random() {
            return Ok(self.next_random(segs));
        }
        if matches!(self.strategy, ChallengerStrategy::Target { .. }) {
            return Ok(segs - 1);
        }
        let n = self.exec.disputed_node(g)?;
        let j = usize_of(g.element, "element")?;
        let honest =
            self.exec
                .checkpoints(n, j, usize_of(g.stepA, "a")?, usize_of(g.stepB, "b")?, d)?;
        // The first checkpoint that differs ends the disputed segment; if all agree, the end
        // of the current segment (the submitter's stated accumulator) is the wrong one.
        Ok(cps
            .iter()
            .zip(&honest)
            .position(|(c, h)| *c != I256::try_from(*h).unwrap_or(I256::ZERO))
            .unwrap_or(segs - 1))
    }
}

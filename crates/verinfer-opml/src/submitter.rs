//! The submitter: posts a claim from its execution and answers every game against it from the
//! same execution (by lookup, recomputing only accumulator checkpoints).

use alloy_primitives::{Address, B256, I256};
use verinfer_chain::bindings::InferenceGame;
use verinfer_chain::{Chain, Receipt};
use verinfer_ir::ops;

use crate::client::{GameClient, GameConfig, Phase};
use crate::convert::{b256, b256s, hash32, i64_of, usize_of};
use crate::error::{OpmlError, Result};
use crate::execution::Execution;
use crate::party::{Party, Turn};

/// How the submitter behaves. `Honest` is what `verinfer claim` runs; the others exist so the
/// tests and `game simulate` can show that every deviation loses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubmitterStrategy {
    /// Answer every move from the execution.
    Honest,
    /// Never move (loses on time).
    Silent,
    /// Make `n` moves, then stop.
    SilentAfter(usize),
    /// In the step phase, state the accumulator the operands really give (whose epilogue is
    /// not the committed element: the contract refuses it, and the submitter runs out of time).
    HonestAccumulator,
    /// In the step phase, reveal checkpoints on the straight line from the first to the stated
    /// final accumulator instead of the execution's own.
    InterpolatedCheckpoints,
    /// In the step phase, reveal the execution's checkpoints shifted by the lie at the end.
    ShiftedCheckpoints,
    /// In the step phase, reveal the execution's checkpoints up to accumulation step `at` and
    /// shifted by the lie after it: the lie enters at one product — inside one block's
    /// partial sum of a block-scaled (`Q8_0`) contraction, whose block sums no trace holds.
    LieFrom(usize),
    /// Reveal children that do not hash to the node (the contract refuses them, and the
    /// submitter runs out of time).
    InconsistentReveal,
}

/// A submitter with its execution (the trace it commits) and account.
#[derive(Debug)]
pub struct Submitter {
    /// What it claims and answers from.
    pub exec: Execution,
    /// Its account.
    pub account: Address,
    /// Its behaviour.
    pub strategy: SubmitterStrategy,
    /// Post the input data with the claim (not only its roots), so anyone can re-execute
    /// from the chain alone; costs ~1.1k gas per element.
    pub publish_inputs: bool,
    /// Post the output data with the claim when it has at most this many elements (consumers
    /// read it on chain); larger outputs are committed by root only.
    pub publish_outputs_up_to: usize,
    /// The first block whose logs can concern its claim (set it to the claim's block once
    /// posted): where [`crate::driver::defend`] looks for games from.
    pub logs_from: u64,
    moves: usize,
    /// The final accumulator stated in each game's step phase, once stated.
    stated: Vec<(u64, i64)>,
}

impl Submitter {
    /// A submitter of `exec` playing from `account`.
    pub fn new(exec: Execution, account: Address, strategy: SubmitterStrategy) -> Self {
        Self {
            exec,
            account,
            strategy,
            publish_inputs: false,
            publish_outputs_up_to: 4096,
            logs_from: 0,
            moves: 0,
            stated: Vec::new(),
        }
    }

    /// Posts the claim: input roots and outputs bound to the trace root. Returns the claim id.
    ///
    /// # Errors
    /// A revert (unknown model, wrong bond) or transport error.
    pub fn claim(
        &self,
        chain: &mut dyn Chain,
        game: &GameClient,
        cfg: &GameConfig,
    ) -> Result<(u64, Receipt)> {
        game.claim(
            chain,
            self.account,
            cfg.submitter_bond,
            self.claim_request()?,
        )
    }

    /// Posts the claim and tells `listener` of it in the same call
    /// (`InferenceGame.claimAndCall`): how an answer to oracle request `tag` is made, bound to
    /// this submitter and that request at once. Returns the claim id.
    ///
    /// # Errors
    /// A revert (the listener's included) or transport error.
    pub fn claim_and_call(
        &self,
        chain: &mut dyn Chain,
        game: &GameClient,
        cfg: &GameConfig,
        listener: Address,
        tag: u64,
    ) -> Result<(u64, Receipt)> {
        game.claim_and_call(
            chain,
            self.account,
            cfg.submitter_bond,
            self.claim_request()?,
            listener,
            tag,
        )
    }

    /// What the claim states: input roots and outputs bound to the trace root, with the
    /// input and output data this submitter publishes.
    ///
    /// # Errors
    /// A trace path that cannot be built.
    pub fn claim_request(&self) -> Result<InferenceGame::ClaimRequest> {
        let g = self.exec.graph();
        let trace = self.exec.trace();
        let roots = trace.value_roots();
        let path = |v: usize| -> Result<Vec<B256>> {
            Ok(b256s(
                &trace
                    .value_path(v as u64)
                    .map_err(|e| OpmlError::Protocol(e.to_string()))?,
            ))
        };
        let inputs = g.inputs.len();
        let values = self.exec.values();
        let outs: Vec<usize> = g.outputs.iter().map(|o| o.value.index()).collect();
        let out_elems: usize = outs.iter().map(|&v| values[v].len()).sum();
        let request = InferenceGame::ClaimRequest {
            modelId: b256(self.exec.model().model_id.hash()),
            inputRoots: (0..inputs).map(|i| b256(roots[i])).collect(),
            inputPaths: (0..inputs).map(path).collect::<Result<Vec<_>>>()?,
            inputs: if self.publish_inputs {
                values[..inputs].to_vec()
            } else {
                Vec::new()
            },
            outputRoots: outs.iter().map(|&v| b256(roots[v])).collect(),
            outputPaths: outs.iter().map(|&v| path(v)).collect::<Result<Vec<_>>>()?,
            outputs: if out_elems <= self.publish_outputs_up_to {
                outs.iter().map(|&v| values[v].clone()).collect()
            } else {
                Vec::new()
            },
            traceRoot: b256(trace.root().hash()),
        };
        Ok(request)
    }
}

impl Party for Submitter {
    const SUBMITTER: bool = true;

    fn play(&mut self, t: Turn<'_>) -> Result<Option<Receipt>> {
        let receipt = match t.phase {
            Phase::NodeReveal => {
                let mut children = self.exec.trace_reveal(t.g.level, t.pos, t.depth)?;
                if self.strategy == SubmitterStrategy::InconsistentReveal {
                    children.reverse();
                    children[0] = B256::repeat_byte(0x5a);
                }
                t.game.reveal(t.chain, self.account, t.id, children)?
            }
            Phase::ElementReveal => {
                let v = usize_of(t.g.valueId, "value id")?;
                let children = self.exec.value_reveal(v, t.g.level, t.pos, t.depth)?;
                t.game.reveal(t.chain, self.account, t.id, children)?
            }
            Phase::OpenInputs => {
                let n = self.exec.disputed_node(&t.g)?;
                let (ids, roots, paths) = self.exec.operand_openings(n)?;
                t.game
                    .open_inputs(t.chain, self.account, t.id, ids, roots, paths)?
            }
            Phase::StateAcc => {
                let n = self.exec.disputed_node(&t.g)?;
                let (words, _) = self.exec.node_words_opening(n)?;
                let acc = self.final_accumulator(n, &t.g)?;
                let r = t.game.state_acc(t.chain, self.account, t.id, words, acc)?;
                self.stated.push((t.id, acc));
                r
            }
            Phase::StepReveal => {
                let n = self.exec.disputed_node(&t.g)?;
                let cps = self.checkpoints(n, &t.g, t.depth, t.id)?;
                t.game.reveal_steps(t.chain, self.account, t.id, cps)?
            }
            _ => return Ok(None),
        };
        self.moves += 1;
        Ok(Some(receipt))
    }

    fn silent(&self) -> bool {
        match self.strategy {
            SubmitterStrategy::Silent => true,
            SubmitterStrategy::SilentAfter(n) => self.moves >= n,
            _ => false,
        }
    }
}

impl Submitter {
    /// The final accumulator to state: one whose epilogue is the committed element.
    fn final_accumulator(
        &self,
        n: usize,
        g: &verinfer_chain::bindings::InferenceGame::Game,
    ) -> Result<i64> {
        let j = usize_of(g.element, "element")?;
        let k = self.exec.steps(n)?;
        let own = self.exec.accumulator(n, j, k)?;
        if self.strategy == SubmitterStrategy::HonestAccumulator {
            return Ok(own);
        }
        let op = &self.exec.graph().nodes[n].op;
        let claimed = i64_of(g.claimed, "claimed element")?;
        if ops::finish(op, own).map(i64::from) == Some(claimed) {
            return Ok(own);
        }
        // The committed element is not what the operands give (a lie made earlier): find an
        // accumulator that produces it, so the lie survives to the bisection.
        let found = match op {
            // ArgMax's epilogue reads only the low word: keep the honest maximum's value and
            // put the claimed index there.
            verinfer_ir::Op::Reduce(r) if r.kind == verinfer_ir::ReduceKind::ArgMax => {
                invert_argmax(r, own, claimed)
            }
            _ => invert_epilogue(op, claimed),
        };
        found.ok_or_else(|| {
            OpmlError::Protocol(format!(
                "no accumulator of node {n} produces element {claimed}"
            ))
        })
    }

    fn checkpoints(
        &self,
        n: usize,
        g: &verinfer_chain::bindings::InferenceGame::Game,
        d: u8,
        game_id: u64,
    ) -> Result<Vec<I256>> {
        let j = usize_of(g.element, "element")?;
        let (a, b) = (usize_of(g.stepA, "stepA")?, usize_of(g.stepB, "stepB")?);
        let own = self.exec.checkpoints(n, j, a, b, d)?;
        let k = self.exec.steps(n)?;
        let honest_end = self.exec.accumulator(n, j, k)?;
        let stated = self
            .stated
            .iter()
            .find(|(id, _)| *id == game_id)
            .map_or(honest_end, |(_, acc)| *acc);
        let lie = stated - honest_end;
        let segs = crate::answers::segments(a, b, d);
        let cps: Vec<i64> = match self.strategy {
            SubmitterStrategy::ShiftedCheckpoints => own.iter().map(|c| c + lie).collect(),
            SubmitterStrategy::LieFrom(at) => own
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let past = crate::answers::boundary(a, b, i + 1, segs) > at;
                    c + if past { lie } else { 0 }
                })
                .collect(),
            SubmitterStrategy::InterpolatedCheckpoints => {
                let start = self.exec.accumulator(n, j, 0)?;
                (1..segs)
                    .map(|i| {
                        let at = crate::answers::boundary(a, b, i, segs);
                        let frac = |x: i64| x.saturating_mul(at as i64) / (k as i64).max(1);
                        start + frac(stated - start)
                    })
                    .collect()
            }
            _ => own,
        };
        Ok(cps
            .into_iter()
            .map(|c| I256::try_from(c).unwrap_or(I256::ZERO))
            .collect())
    }
}

/// An accumulator whose epilogue is `target`, by bisection (the epilogue is monotone).
pub fn invert_epilogue(op: &verinfer_ir::Op, target: i64) -> Option<i64> {
    let (mut lo, mut hi) = (-(1i64 << 61), 1i64 << 61);
    let f = |acc: i64| ops::finish(op, acc).map(i64::from);
    if f(lo)? > target || f(hi)? < target {
        return None;
    }
    // Smallest acc with f(acc) >= target.
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if f(mid)? >= target {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    (f(lo)? == target).then_some(lo)
}

/// An ArgMax accumulator whose epilogue is `target` and whose value word is `own`'s: the
/// smallest index the (monotone) requant maps to `target`, packed as `reduce::argmax_key`.
fn invert_argmax(r: &verinfer_ir::Reduce, own: i64, target: i64) -> Option<i64> {
    let f = |idx: i64| i64::from(r.requant.apply(idx));
    let (mut lo, mut hi) = (0i64, (1i64 << 32) - 1);
    if f(lo) > target || f(hi) < target {
        return None;
    }
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if f(mid) >= target {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    if f(lo) != target {
        return None;
    }
    let value = own >> 32;
    value
        .checked_mul(1 << 32)?
        .checked_add((1i64 << 32) - 1 - lo)
}

/// The trace root a claim on chain commits to, as the commitment crate's type.
pub fn claim_trace_root(
    claim: &verinfer_chain::bindings::InferenceGame::Claim,
) -> verinfer_commit::Hash32 {
    hash32(claim.traceRoot)
}

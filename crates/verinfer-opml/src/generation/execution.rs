//! A generation as one party sees it: the step graph run once per token by a
//! [`verinfer_llm::Session`], each step's trace root streamed (no value kept), the tree G over
//! the step roots, and the full [`Execution`] of one step rebuilt only when a dispute reaches
//! it (by replaying the session up to that step).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use alloy_primitives::B256;
use verinfer_commit::{Hash32, IncrementalTrace, MerkleTree};
use verinfer_exec::Plan;
use verinfer_ir::Graph;
use verinfer_llm::noise::Sampling;
use verinfer_llm::{IntEngine, Layout, Session, StepEngine};

use super::lies::GenLie;
use crate::convert::b256s;
use crate::error::{OpmlError, Result};
use crate::execution::{Execution, ServedModel};

fn exec_err(e: impl std::fmt::Display) -> OpmlError {
    OpmlError::Exec(e.to_string())
}

/// A step graph served for generations: planned and committed once (the single-step game's
/// model), plus the session engine that runs it token by token.
pub struct GenModel {
    served: ServedModel,
    engine: IntEngine,
}

impl std::fmt::Debug for GenModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GenModel")
            .field("model_id", &self.served.commitment().model_id)
            .finish_non_exhaustive()
    }
}

impl GenModel {
    /// Plans, commits and checks `graph`: a step graph whose inputs and outputs are in the
    /// order `GenerationGame` reads them (token, pos, then key and value cache per layer, then
    /// the noise of a sampling graph; next, logits, then key and value row per layer).
    ///
    /// # Errors
    /// [`OpmlError::Exec`] for a graph that does not plan, [`OpmlError::Mismatch`] for one
    /// that is not a step graph in that order.
    pub fn new(graph: Graph) -> Result<Self> {
        let served = ServedModel::new(verinfer_ir::Model::new(graph.clone()).map_err(exec_err)?)?;
        let engine = IntEngine::new(Plan::for_graph(graph).map_err(exec_err)?).map_err(exec_err)?;
        let l = engine.layout();
        let ordered = l.token == 0
            && l.pos == 1
            && l.next == 0
            && l.logits == 1
            && l.caches
                .iter()
                .enumerate()
                .all(|(i, &c)| c == (2 + 2 * i, 3 + 2 * i))
            && l.rows
                .iter()
                .enumerate()
                .all(|(i, &r)| r == (2 + 2 * i, 3 + 2 * i))
            && l.noise.is_none_or(|n| n == 2 + 2 * l.layers())
            && served.graph().inputs.len() == l.inputs()
            && served.graph().outputs.len() == 2 + 2 * l.layers();
        if !ordered {
            return Err(OpmlError::Mismatch(
                "the step graph's inputs and outputs are not in GenerationGame's order".into(),
            ));
        }
        Ok(Self { served, engine })
    }

    /// The model as the single-step game serves it.
    pub fn served(&self) -> &ServedModel {
        &self.served
    }

    /// Roles of the step graph's inputs and outputs.
    pub fn layout(&self) -> &Layout {
        self.engine.layout()
    }

    /// Value id of output `k` (0 = next, 2 + 2l = layer l's key row, …).
    pub fn output_value(&self, k: usize) -> usize {
        self.served.graph().outputs[k].value.index()
    }

    /// The first node output in the middle of the graph that is not a graph output: where
    /// the `WrongNode` liar changes a value.
    pub fn inner_value(&self) -> usize {
        let g = self.served.graph();
        let outs: Vec<usize> = g.outputs.iter().map(|o| o.value.index()).collect();
        let first = g.inputs.len() + g.nodes.len() / 2;
        (first..g.num_values())
            .find(|v| !outs.contains(v))
            .unwrap_or(first)
    }
}

/// What a replay of the first steps produced.
struct Replay {
    roots: Vec<Hash32>,
    nexts: Vec<u32>,
    exec: Option<Execution>,
    /// Time spent streaming the steps before `stop_at` (the rest built its execution).
    prefix: Duration,
}

/// A generation: prompt, posted tokens, the root of every step and G.
#[derive(Debug)]
pub struct GenExecution {
    model: Arc<GenModel>,
    prompt: Vec<u32>,
    tokens: Vec<u32>,
    sampling: Option<Sampling>,
    lie: Option<GenLie>,
    tree: MerkleTree,
    steps: BTreeMap<usize, Arc<Execution>>,
}

impl GenExecution {
    /// Runs `prompt` and `new_tokens` greedy tokens (T = P + N − 1 steps), streaming each
    /// step's trace root; `lie` makes the dishonest variants of the tests.
    ///
    /// # Errors
    /// A request the context cannot hold, or an executor error.
    pub fn run(
        model: Arc<GenModel>,
        prompt: &[u32],
        new_tokens: usize,
        lie: Option<GenLie>,
    ) -> Result<Self> {
        Self::run_sampled(model, prompt, new_tokens, None, lie)
    }

    /// [`Self::run`], sampling with `sampling` (seed 0 or `None`: greedy) on a sampling step
    /// graph.
    ///
    /// # Errors
    /// As [`Self::run`], and a sampled request to a graph that cannot sample.
    pub fn run_sampled(
        model: Arc<GenModel>,
        prompt: &[u32],
        new_tokens: usize,
        sampling: Option<Sampling>,
        lie: Option<GenLie>,
    ) -> Result<Self> {
        let sampling = sampling.filter(|s| s.seed != 0);
        verinfer_llm::session::check_request(model.layout(), prompt, new_tokens)
            .map_err(exec_err)?;
        if new_tokens == 0 {
            return Err(OpmlError::Mismatch("a generation of no tokens".into()));
        }
        let t = prompt.len() + new_tokens - 1;
        let r = replay(&model, prompt, sampling, lie, t, None)?;
        let vocab = u32::try_from(model.layout().vocab).unwrap_or(u32::MAX);
        let mut tokens = r.nexts[prompt.len() - 1..].to_vec();
        if let Some(GenLie::WrongPromptBinding { index }) = lie {
            if let Some(x) = tokens.get_mut(index) {
                *x = (*x + 1) % vocab;
            }
        }
        Ok(Self {
            model,
            prompt: prompt.to_vec(),
            tokens,
            sampling,
            lie,
            tree: MerkleTree::from_leaves(r.roots),
            steps: BTreeMap::new(),
        })
    }

    /// The model.
    pub fn model(&self) -> &GenModel {
        &self.model
    }

    /// The prompt.
    pub fn prompt(&self) -> &[u32] {
        &self.prompt
    }

    /// The sampling parameters (`None`: greedy).
    pub fn sampling(&self) -> Option<Sampling> {
        self.sampling
    }

    /// The generated tokens as posted.
    pub fn tokens(&self) -> &[u32] {
        &self.tokens
    }

    /// Number of steps T.
    pub fn num_steps(&self) -> usize {
        self.prompt.len() + self.tokens.len() - 1
    }

    /// G.
    pub fn root(&self) -> Hash32 {
        self.tree.root()
    }

    /// The tree over the step roots.
    pub fn tree(&self) -> &MerkleTree {
        &self.tree
    }

    /// The children under node (`level`, `pos`) of G.
    ///
    /// # Errors
    /// A node outside the tree.
    pub fn reveal(&self, level: u64, pos: usize, d: u8) -> Result<Vec<B256>> {
        let k = crate::answers::reveal_levels(level, d);
        self.tree
            .reveal(level as usize, pos as u64, k)
            .map(|n| b256s(&n))
            .map_err(|e| OpmlError::Protocol(format!("G: {e}")))
    }

    /// The same generation without the steps rebuilt so far: what another party holding the
    /// same run starts from (no step re-executed).
    pub fn fresh(&self) -> Self {
        Self {
            model: Arc::clone(&self.model),
            prompt: self.prompt.clone(),
            tokens: self.tokens.clone(),
            sampling: self.sampling,
            lie: self.lie,
            tree: self.tree.clone(),
            steps: BTreeMap::new(),
        }
    }

    /// The honest generation of `prompt` and `tokens` from the step roots a run saved,
    /// without running it again: only the step a dispute reaches is replayed, when asked.
    ///
    /// # Errors
    /// A request the model cannot hold, or roots that are not one per step.
    pub fn from_roots(
        model: Arc<GenModel>,
        prompt: &[u32],
        tokens: &[u32],
        sampling: Option<Sampling>,
        roots: Vec<Hash32>,
    ) -> Result<Self> {
        verinfer_llm::session::check_request(model.layout(), prompt, tokens.len())
            .map_err(exec_err)?;
        let t = (prompt.len() + tokens.len()).saturating_sub(1);
        if tokens.is_empty() || roots.len() != t {
            return Err(OpmlError::Mismatch(format!(
                "{} step roots for a generation of {t} steps",
                roots.len()
            )));
        }
        Ok(Self {
            model,
            prompt: prompt.to_vec(),
            tokens: tokens.to_vec(),
            sampling: sampling.filter(|s| s.seed != 0),
            lie: None,
            tree: MerkleTree::from_leaves(roots),
            steps: BTreeMap::new(),
        })
    }

    /// Every step's trace root (G's leaves), in order: what is saved to defend the claim later.
    pub fn step_roots(&self) -> &[Hash32] {
        self.tree.leaves()
    }

    /// The full execution of step `s`, replayed afresh and owned (what a sub-claim's
    /// submitter or challenger holds).
    ///
    /// # Errors
    /// As [`Self::step`].
    pub fn step_owned(&self, s: usize) -> Result<Execution> {
        self.step_timed(s).map(|(e, _, _)| e)
    }

    /// [`Self::step_owned`], with the time the replay of steps 0..s took and the time the
    /// one step's full execution took (a dispute's off-chain cost, split).
    ///
    /// # Errors
    /// As [`Self::step`].
    pub fn step_timed(&self, s: usize) -> Result<(Execution, Duration, Duration)> {
        if s >= self.num_steps() {
            return Err(OpmlError::Protocol(format!(
                "step {s} of a generation of {} steps",
                self.num_steps()
            )));
        }
        let t = Instant::now();
        let r = replay(
            &self.model,
            &self.prompt,
            self.sampling,
            self.lie,
            s + 1,
            Some(s),
        )?;
        let total = t.elapsed();
        let e = r
            .exec
            .ok_or_else(|| OpmlError::Protocol("replay without execution".into()))?;
        Ok((e, r.prefix, total.saturating_sub(r.prefix)))
    }

    /// Keeps `e` as the execution of step `s` (one [`Self::step_timed`] built).
    pub fn keep_step(&mut self, s: usize, e: Execution) {
        self.steps.insert(s, Arc::new(e));
    }

    /// The full execution of step `s` (its inputs derived as this party derives them),
    /// replayed and kept once asked for.
    ///
    /// # Errors
    /// A step past the generation, or an executor error.
    pub fn step(&mut self, s: usize) -> Result<Arc<Execution>> {
        if let Some(e) = self.steps.get(&s) {
            return Ok(Arc::clone(e));
        }
        let e = Arc::new(self.step_owned(s)?);
        self.steps.insert(s, Arc::clone(&e));
        Ok(e)
    }
}

/// Runs `steps` steps of the generation of `prompt` (greedy, or sampled), applying `lie`; at step
/// `stop_at` it builds that step's full execution instead of streaming and stops.
fn replay(
    m: &GenModel,
    prompt: &[u32],
    sampling: Option<Sampling>,
    lie: Option<GenLie>,
    steps: usize,
    stop_at: Option<usize>,
) -> Result<Replay> {
    let l = m.layout();
    let vocab = u32::try_from(l.vocab).unwrap_or(u32::MAX);
    let inner = match lie {
        Some(GenLie::WrongValue { value, .. }) => value,
        _ => m.inner_value(),
    };
    let mut session = match sampling {
        Some(smp) => Session::sampled(&m.engine, smp).map_err(exec_err)?,
        None => Session::new(&m.engine),
    };
    // Value trees kept across steps: each step re-hashes only what changed (a cache row).
    let mut inc = IncrementalTrace::new();
    let start = Instant::now();
    let mut out = Replay {
        roots: Vec::with_capacity(steps),
        nexts: Vec::with_capacity(steps),
        exec: None,
        prefix: Duration::ZERO,
    };
    for s in 0..steps {
        let mut token = match s.checked_sub(prompt.len()) {
            None => prompt[s],
            Some(_) => out.nexts[s - 1],
        };
        if lie == Some(GenLie::WrongToken { step: s }) {
            token = (token + 1) % vocab;
        }
        if lie == Some(GenLie::WrongKvRow { step: s }) && s > 0 {
            let at = (s - 1) * l.row;
            if let Some(x) = session.cache_mut(l.caches[0].0).and_then(|c| c.get_mut(at)) {
                *x += if *x > 0 { -1 } else { 1 };
            }
        }
        let node_lie = match lie {
            Some(GenLie::WrongNode { step } | GenLie::WrongValue { step, .. }) => step == s,
            _ => false,
        };
        let noise_lie = lie == Some(GenLie::WrongNoise { step: s });
        if noise_lie {
            if let Some(n) = l.noise {
                let mut row = session.inputs_for(token).swap_remove(n);
                if let Some(x) = row.first_mut() {
                    *x = x.wrapping_add(1);
                }
                session.override_noise(row);
            }
        }
        if stop_at == Some(s) {
            out.prefix = start.elapsed();
            let mut inputs = session.inputs_for(token);
            if let (true, Some(n)) = (noise_lie, l.noise) {
                if let Some(x) = inputs[n].first_mut() {
                    *x = x.wrapping_add(1);
                }
            }
            let honest = m.served.run(&inputs)?;
            out.exec = Some(if node_lie {
                let mut values = honest.values().to_vec();
                if let Some(x) = values.get_mut(inner).and_then(|v| v.first_mut()) {
                    *x = x.wrapping_add(1);
                }
                m.served.execution_of(values)?
            } else {
                honest
            });
            return Ok(out);
        }
        let step = session
            .step_with(token, &mut |v, d| {
                if node_lie && v.index() == inner && !d.is_empty() {
                    let mut c = d.to_vec();
                    c[0] = c[0].wrapping_add(1);
                    inc.push(&c);
                } else {
                    inc.push(d);
                }
            })
            .map_err(exec_err)?;
        out.roots.push(inc.finish_run().hash());
        out.nexts.push(step.next);
    }
    Ok(out)
}

//! Sessions: a prompt and then one step per new token over the same step graph, the KV cache
//! held as explicit state between steps.
//!
//! The same driver runs the integer graph (what a claim is about) and the float graph it was
//! quantized from (the exact reference of the same weights), so the two are compared step by
//! step on identical inputs.

use std::ops::Range;

use verinfer_exec::Plan;
use verinfer_ir::ValueId;
use verinfer_quant::frun::run_outputs;
use verinfer_quant::FGraph;

use crate::error::LlmError;
use crate::layout::Layout;
use crate::noise::Sampling;

/// The part of a step input changed since the last step ran (`None`: all of it, unchecked).
pub type Fresh = Option<Range<usize>>;

/// One step's outputs, in the graph's order.
pub type StepOutputs<E> = Vec<Vec<E>>;

/// Something that runs one step: inputs in the graph's order, outputs in the graph's order.
pub trait StepEngine {
    /// Element type (`i32` for the integer graph, `f64` for the float one).
    type Elem: Copy + Default + From<i32>;
    /// The roles of its inputs and outputs.
    fn layout(&self) -> &Layout;
    /// Runs one step; `sink` sees every value of the trace in order (integer engines only).
    ///
    /// # Errors
    /// Whatever the executor reports.
    fn run(
        &self,
        inputs: &[Vec<Self::Elem>],
        sink: &mut dyn FnMut(ValueId, &[i32]),
    ) -> Result<Vec<Vec<Self::Elem>>, LlmError>;
    /// [`Self::run`] where `fresh[k]` is the part of input `k` changed since the last step
    /// that ran (`None`: all of it): an engine that checks inputs may check only that part.
    ///
    /// # Errors
    /// As [`Self::run`].
    fn run_fresh(
        &self,
        inputs: &[Vec<Self::Elem>],
        fresh: &[Fresh],
        sink: &mut dyn FnMut(ValueId, &[i32]),
    ) -> Result<Vec<Vec<Self::Elem>>, LlmError> {
        let _ = fresh;
        self.run(inputs, sink)
    }
    /// Runs the steps of `tokens` at positions `pos, pos + 1, …` as one batch, `inputs`
    /// being the first step's (its token and position aside); `sink(t, v, data)` sees every
    /// value of step `t`'s trace once, in no particular order. Returns each step's outputs,
    /// or `None` when the engine runs steps one at a time only (the caller then does).
    ///
    /// # Errors
    /// Whatever the executor reports.
    fn run_batch(
        &self,
        inputs: &[Vec<Self::Elem>],
        tokens: &[u32],
        pos: usize,
        sink: &mut dyn FnMut(usize, ValueId, &[i32]),
    ) -> Result<Option<Vec<StepOutputs<Self::Elem>>>, LlmError> {
        let _ = (inputs, tokens, pos, sink);
        Ok(None)
    }
    /// An element holding a token id or position.
    fn index(v: u32) -> Self::Elem;
    /// The token id an output element holds.
    fn token(v: Self::Elem) -> Option<u32>;
}

/// The integer step graph, run by the fast executor.
pub struct IntEngine {
    plan: Plan,
    layout: Layout,
}

impl IntEngine {
    /// Checks that `plan`'s graph is a step graph.
    ///
    /// # Errors
    /// [`LlmError::NotAStepGraph`].
    pub fn new(plan: Plan) -> Result<Self, LlmError> {
        let layout = Layout::of_graph(plan.graph())?;
        let g = plan.graph();
        for (l, (&(kc, vc), &(kr, vr))) in layout.caches.iter().zip(&layout.rows).enumerate() {
            for (ci, ri) in [(kc, kr), (vc, vr)] {
                let cin = &g.inputs[ci].info;
                let rout = g.value_info(g.outputs[ri].value);
                if rout.is_none_or(|r| r.scale != cin.scale || r.bits > cin.bits) {
                    return Err(LlmError::NotAStepGraph(format!(
                        "layer {l}: a new cache row is not at its cache's scale and width"
                    )));
                }
            }
        }
        Ok(Self { plan, layout })
    }

    /// The plan.
    #[must_use]
    pub fn plan(&self) -> &Plan {
        &self.plan
    }
}

impl StepEngine for IntEngine {
    type Elem = i32;
    fn layout(&self) -> &Layout {
        &self.layout
    }
    fn run(
        &self,
        inputs: &[Vec<i32>],
        sink: &mut dyn FnMut(ValueId, &[i32]),
    ) -> Result<Vec<Vec<i32>>, LlmError> {
        Ok(self.plan.run_streaming(inputs, sink)?)
    }
    fn run_fresh(
        &self,
        inputs: &[Vec<i32>],
        fresh: &[Fresh],
        sink: &mut dyn FnMut(ValueId, &[i32]),
    ) -> Result<Vec<Vec<i32>>, LlmError> {
        Ok(self.plan.run_streaming_fresh(inputs, fresh, sink)?)
    }
    fn run_batch(
        &self,
        inputs: &[Vec<i32>],
        tokens: &[u32],
        pos: usize,
        sink: &mut dyn FnMut(usize, ValueId, &[i32]),
    ) -> Result<Option<Vec<StepOutputs<i32>>>, LlmError> {
        let l = &self.layout;
        let g = self.plan.graph();
        // For each cache input, the output value holding the row a step writes into it.
        let mut row_of: Vec<Option<ValueId>> = vec![None; inputs.len()];
        for (&(kc, vc), &(kr, vr)) in l.caches.iter().zip(&l.rows) {
            for (ci, ri) in [(kc, kr), (vc, vr)] {
                if let (Some(slot), Some(o)) = (row_of.get_mut(ci), g.outputs.get(ri)) {
                    *slot = Some(o.value);
                }
            }
        }
        let index = |v: usize| i32::try_from(v).unwrap_or(i32::MAX);
        // Step t's cache is step t − 1's with that step's row written at its position
        // (what `Session::step_with` does between steps).
        let make = |t: usize, i: usize, held: &verinfer_exec::Held<'_>| -> Option<Vec<i32>> {
            if i == l.token {
                return tokens.get(t).map(|&x| vec![Self::index(x)]);
            }
            if i == l.pos {
                return Some(vec![index(pos + t)]);
            }
            match (t.checked_sub(1), row_of.get(i).copied().flatten()) {
                (Some(prev), Some(rv)) => {
                    let mut c = held.get(prev, ValueId(u32::try_from(i).ok()?))?.to_vec();
                    let row = held.get(prev, rv)?;
                    let at = (pos + prev).checked_mul(l.row)?;
                    if row.len() != l.row {
                        return None;
                    }
                    c.get_mut(at..at + l.row)?.copy_from_slice(row);
                    Some(c)
                }
                _ => inputs.get(i).cloned(),
            }
        };
        Ok(Some(self.plan.run_batch(tokens.len(), make, sink)?))
    }
    fn index(v: u32) -> i32 {
        i32::try_from(v).unwrap_or(i32::MAX)
    }
    fn token(v: i32) -> Option<u32> {
        u32::try_from(v).ok()
    }
}

/// The float step graph, run in `f64`: the exact model of the same weights.
pub struct FloatEngine {
    graph: FGraph,
    layout: Layout,
}

impl FloatEngine {
    /// Checks that `graph` is a step graph.
    ///
    /// # Errors
    /// [`LlmError::NotAStepGraph`].
    pub fn new(graph: FGraph) -> Result<Self, LlmError> {
        let layout = Layout::of_fgraph(&graph)?;
        Ok(Self { graph, layout })
    }

    /// The float graph.
    #[must_use]
    pub fn graph(&self) -> &FGraph {
        &self.graph
    }

    /// Gives the float graph back.
    #[must_use]
    pub fn into_graph(self) -> FGraph {
        self.graph
    }
}

impl StepEngine for FloatEngine {
    type Elem = f64;
    fn layout(&self) -> &Layout {
        &self.layout
    }
    fn run(
        &self,
        inputs: &[Vec<f64>],
        _sink: &mut dyn FnMut(ValueId, &[i32]),
    ) -> Result<Vec<Vec<f64>>, LlmError> {
        Ok(run_outputs(&self.graph, inputs)?)
    }
    fn index(v: u32) -> f64 {
        f64::from(v)
    }
    fn token(v: f64) -> Option<u32> {
        (v >= 0.0 && v.fract() == 0.0 && v <= f64::from(u32::MAX)).then(|| {
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let t = v as u32;
            t
        })
    }
}

/// What one step produced.
#[derive(Clone, Debug, PartialEq)]
pub struct StepOut<E> {
    /// Next token (greedy, or the seeded sample of a sampling session).
    pub next: u32,
    /// Logits.
    pub logits: Vec<E>,
}

/// A generation in progress: the engine, the KV cache and the next position.
pub struct Session<'e, E: StepEngine> {
    engine: &'e E,
    /// Inputs of the next step; the caches are kept in place between steps.
    inputs: Vec<Vec<E::Elem>>,
    pos: usize,
    /// Seeded sampling: each step's `noise` input is `N(seed, T, pos, ·)`.
    sampling: Option<Sampling>,
    /// A noise row the next step reads instead of its derived one (lying test parties).
    noise_override: Option<Vec<E::Elem>>,
    /// Per input, the part changed since the last step ran (`None`: all of it): the caches'
    /// rows written since, so the next step checks those and not the whole cache.
    fresh: Vec<Fresh>,
}

impl<'e, E: StepEngine> Session<'e, E> {
    /// A session at position 0 with an empty cache.
    #[must_use]
    pub fn new(engine: &'e E) -> Self {
        let l = engine.layout();
        let mut inputs = vec![Vec::new(); l.inputs()];
        if let Some(n) = l.noise {
            inputs[n] = vec![E::Elem::default(); l.vocab];
        }
        inputs[l.token] = vec![E::index(0)];
        inputs[l.pos] = vec![E::index(0)];
        for &(kc, vc) in &l.caches {
            inputs[kc] = vec![E::Elem::default(); l.ctx * l.row];
            inputs[vc] = vec![E::Elem::default(); l.ctx * l.row];
        }
        let fresh = vec![None; inputs.len()];
        Self {
            engine,
            inputs,
            pos: 0,
            sampling: None,
            noise_override: None,
            fresh,
        }
    }

    /// A session whose steps sample with `sampling` (Gumbel-max over the graph's `noise`
    /// input); zero temperature is greedy.
    ///
    /// # Errors
    /// [`LlmError::BadRequest`] when the graph was not compiled for sampling.
    pub fn sampled(engine: &'e E, sampling: Sampling) -> Result<Self, LlmError> {
        if engine.layout().noise.is_none() {
            return Err(LlmError::BadRequest(
                "this model cannot sample: compile it with --sampling (its step graph has no 'noise' input)".into(),
            ));
        }
        let mut s = Self::new(engine);
        s.sampling = Some(sampling);
        Ok(s)
    }

    /// The sampling parameters, if any.
    #[must_use]
    pub fn sampling(&self) -> Option<Sampling> {
        self.sampling
    }

    /// Makes the next step read `noise` instead of its derived noise row: how a lying party
    /// in the dispute-game tests (`verinfer-opml`'s generation liars) alters it.
    pub fn override_noise(&mut self, noise: Vec<E::Elem>) {
        self.noise_override = Some(noise);
    }

    /// Writes step `pos`'s noise into the noise input (zeros without sampling).
    fn set_noise(&mut self) {
        let l = self.engine.layout();
        if let (Some(n), Some(o)) = (l.noise, self.noise_override.take()) {
            self.inputs[n] = o;
            return;
        }
        if let (Some(n), Some(smp)) = (l.noise, self.sampling) {
            let row = smp.row(self.pos as u64, l.vocab);
            self.inputs[n] = row.into_iter().map(E::Elem::from).collect();
        }
    }

    /// Position the next step runs at (number of tokens consumed so far).
    #[must_use]
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// Input `i` as the next step would read it (a cache, by its input index).
    #[must_use]
    pub fn cache(&self, i: usize) -> &[E::Elem] {
        self.inputs.get(i).map_or(&[], Vec::as_slice)
    }

    /// Input `i` of the next step, writable: how a lying party in the dispute-game tests
    /// alters a cache row it will be caught on (`verinfer-opml`'s generation liars).
    pub fn cache_mut(&mut self, i: usize) -> Option<&mut [E::Elem]> {
        if let Some(f) = self.fresh.get_mut(i) {
            *f = None;
        }
        self.inputs.get_mut(i).map(Vec::as_mut_slice)
    }

    /// The inputs the next step would run on for `token` (what calibration samples).
    #[must_use]
    pub fn inputs_for(&self, token: u32) -> Vec<Vec<E::Elem>> {
        let mut ins = self.inputs.clone();
        let l = self.engine.layout();
        ins[l.token] = vec![E::index(token)];
        ins[l.pos] = vec![E::index(u32::try_from(self.pos).unwrap_or(u32::MAX))];
        if let (Some(n), Some(smp)) = (l.noise, self.sampling) {
            ins[n] = smp
                .row(self.pos as u64, l.vocab)
                .into_iter()
                .map(E::Elem::from)
                .collect();
        }
        ins
    }

    /// Consumes `token` at the current position; returns the greedy next token and logits.
    ///
    /// # Errors
    /// A full context, a token outside the vocabulary, or an executor error.
    pub fn step(&mut self, token: u32) -> Result<StepOut<E::Elem>, LlmError> {
        self.step_with(token, &mut |_, _| {})
    }

    /// [`Self::step`], handing every value of the step's trace to `sink`.
    ///
    /// # Errors
    /// As [`Self::step`].
    pub fn step_with(
        &mut self,
        token: u32,
        sink: &mut dyn FnMut(ValueId, &[i32]),
    ) -> Result<StepOut<E::Elem>, LlmError> {
        let l = self.engine.layout();
        if self.pos >= l.ctx {
            return Err(LlmError::BadRequest(format!(
                "the context of {} positions is full",
                l.ctx
            )));
        }
        if token as usize >= l.vocab {
            return Err(LlmError::BadRequest(format!(
                "token {token} is outside the vocabulary of {}",
                l.vocab
            )));
        }
        let p = u32::try_from(self.pos).unwrap_or(u32::MAX);
        self.inputs[l.token] = vec![E::index(token)];
        self.inputs[l.pos] = vec![E::index(p)];
        self.set_noise();
        for i in [Some(l.token), Some(l.pos), l.noise].into_iter().flatten() {
            self.fresh[i] = None;
        }
        let outs = self.engine.run_fresh(&self.inputs, &self.fresh, sink)?;
        self.all_checked();
        self.advance(outs)
    }

    /// The bookkeeping after a step ran at the current position, alone or in a batch: write
    /// its new cache rows into the caches at that position, move on one position, read its
    /// next token and logits.
    fn advance(&mut self, mut outs: Vec<Vec<E::Elem>>) -> Result<StepOut<E::Elem>, LlmError> {
        let l = self.engine.layout();
        let at = self.pos * l.row;
        for (&(kc, vc), &(kr, vr)) in l.caches.iter().zip(&l.rows) {
            for (ci, ri) in [(kc, kr), (vc, vr)] {
                let src = outs.get(ri).map_or(&[][..], Vec::as_slice);
                if src.len() != l.row {
                    return Err(LlmError::NotAStepGraph(
                        "cache row of the wrong length".into(),
                    ));
                }
                self.inputs[ci][at..at + l.row].copy_from_slice(src);
                if let Some(Some(r)) = self.fresh.get_mut(ci) {
                    *r = if r.start == r.end {
                        at..at + l.row
                    } else {
                        r.start.min(at)..r.end.max(at + l.row)
                    };
                }
            }
        }
        self.pos += 1;
        let next = outs
            .get(l.next)
            .and_then(|v| v.first().copied())
            .and_then(E::token)
            .ok_or_else(|| {
                LlmError::NotAStepGraph("the next-token output is not a token".into())
            })?;
        let logits = outs
            .get_mut(l.logits)
            .map(std::mem::take)
            .unwrap_or_default();
        Ok(StepOut { next, logits })
    }

    /// After a step ran on the inputs (so they were checked): nothing is fresh.
    fn all_checked(&mut self) {
        for f in &mut self.fresh {
            *f = Some(0..0);
        }
    }

    /// Steps through `tokens` one by one (no batch), step `t`'s trace to `sink(t, ..)`.
    fn step_each(
        &mut self,
        tokens: &[u32],
        sink: &mut dyn FnMut(usize, ValueId, &[i32]),
    ) -> Result<Vec<StepOut<E::Elem>>, LlmError> {
        let mut outs = Vec::with_capacity(tokens.len());
        for (t, &x) in tokens.iter().enumerate() {
            outs.push(self.step_with(x, &mut |v, d| sink(t, v, d))?);
        }
        Ok(outs)
    }
}

impl<E: StepEngine> Session<'_, E> {
    /// Consumes `tokens` (a prompt) at the current position; returns each step's greedy next
    /// token and logits. Where the engine batches ([`StepEngine::run_batch`]), the steps run
    /// as one batch — each weight read once for all of them — with every integer, hence every
    /// step's trace, the next tokens and the caches, what [`Self::step`] one by one gives.
    ///
    /// # Errors
    /// As [`Self::step`], checked for every token before any runs.
    pub fn prefill(&mut self, tokens: &[u32]) -> Result<Vec<StepOut<E::Elem>>, LlmError> {
        self.prefill_with(tokens, &mut |_, _, _| {})
    }

    /// [`Self::prefill`], handing every value of step `t`'s trace (`t` counted from the first
    /// of `tokens`) to `sink(t, value, data)`: each value once, in no particular order (a
    /// batch makes a step's caches when the first node reading them runs).
    ///
    /// # Errors
    /// As [`Self::prefill`].
    pub fn prefill_with(
        &mut self,
        tokens: &[u32],
        sink: &mut dyn FnMut(usize, ValueId, &[i32]),
    ) -> Result<Vec<StepOut<E::Elem>>, LlmError> {
        let l = self.engine.layout();
        if self.pos + tokens.len() > l.ctx {
            return Err(LlmError::BadRequest(format!(
                "{} tokens at position {} do not fit the context of {} positions",
                tokens.len(),
                self.pos,
                l.ctx
            )));
        }
        if let Some(t) = tokens.iter().find(|&&t| t as usize >= l.vocab) {
            return Err(LlmError::BadRequest(format!(
                "token {t} is outside the vocabulary of {}",
                l.vocab
            )));
        }
        // A batch runs every step on the first step's inputs but token, position and cache:
        // sampled steps, whose noise differs by position, run one by one.
        if tokens.len() < 2 || self.sampling.is_some() {
            return self.step_each(tokens, sink);
        }
        let Some(batch) = self
            .engine
            .run_batch(&self.inputs, tokens, self.pos, sink)?
        else {
            return self.step_each(tokens, sink);
        };
        // The batch checked every input it made, the first step's (this session's) included.
        self.all_checked();
        let mut outs = Vec::with_capacity(tokens.len());
        for o in batch {
            outs.push(self.advance(o)?);
        }
        let last = tokens.last().copied().unwrap_or(0);
        self.inputs[l.token] = vec![E::index(last)];
        self.inputs[l.pos] = vec![E::index(u32::try_from(self.pos - 1).unwrap_or(u32::MAX))];
        Ok(outs)
    }
}

/// Checks a request against the context before any step runs.
///
/// # Errors
/// [`LlmError::BadRequest`] for an empty prompt or one that, with the new tokens, does not fit.
pub fn check_request(layout: &Layout, prompt: &[u32], max_new: usize) -> Result<(), LlmError> {
    if prompt.is_empty() {
        return Err(LlmError::BadRequest("the prompt is empty".into()));
    }
    if let Some(t) = prompt.iter().find(|&&t| t as usize >= layout.vocab) {
        return Err(LlmError::BadRequest(format!(
            "prompt token {t} is outside the vocabulary of {}",
            layout.vocab
        )));
    }
    // The last new token is produced by the step at position prompt + max_new − 2.
    let need = prompt.len() + max_new.saturating_sub(1);
    if need > layout.ctx {
        return Err(LlmError::BadRequest(format!(
            "a prompt of {} tokens and {max_new} new tokens needs {need} positions; the model was compiled for a context of {}",
            prompt.len(),
            layout.ctx
        )));
    }
    Ok(())
}

/// Greedy generation: runs the prompt, then appends `max_new` tokens (stopping early after
/// `stop` when given). Returns the new tokens.
///
/// # Errors
/// As [`check_request`] and [`Session::step`].
pub fn generate<E: StepEngine>(
    engine: &E,
    prompt: &[u32],
    max_new: usize,
    stop: Option<u32>,
    on_token: &mut dyn FnMut(u32),
) -> Result<Vec<u32>, LlmError> {
    generate_sampled(engine, prompt, max_new, stop, None, on_token)
}

/// [`generate`], sampling with `sampling` when given (the graph must have a `noise` input).
///
/// # Errors
/// As [`generate`], and [`Session::sampled`]'s.
pub fn generate_sampled<E: StepEngine>(
    engine: &E,
    prompt: &[u32],
    max_new: usize,
    stop: Option<u32>,
    sampling: Option<Sampling>,
    on_token: &mut dyn FnMut(u32),
) -> Result<Vec<u32>, LlmError> {
    check_request(engine.layout(), prompt, max_new)?;
    let mut s = match sampling {
        Some(smp) => Session::sampled(engine, smp)?,
        None => Session::new(engine),
    };
    let next = s.prefill(prompt)?.last().map_or(0, |o| o.next);
    let mut next = next;
    let mut out = Vec::with_capacity(max_new);
    while out.len() < max_new {
        out.push(next);
        on_token(next);
        if Some(next) == stop || out.len() == max_new {
            break;
        }
        next = s.step(next)?.next;
    }
    Ok(out)
}

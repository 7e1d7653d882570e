//! Generation-game tests on a real step graph: a model of `testdata/llm` compiled once per
//! context, a prompt inside its vocabulary, and [`GenDuel`], a submitter and a challenger of
//! one generation with the generation game deployed over a fresh opML game — the setup the
//! generation game's dispute and hand-off tests share.

use std::path::Path;
use std::sync::Arc;

use alloy_primitives::Address;
use verinfer_chain::{Chain, RevmChain};
use verinfer_ir::Graph;
use verinfer_llm::noise::Sampling;
use verinfer_llm::{compile, CompileOptions, GgufWeights};
use verinfer_opml::generation::{
    prepare_generation, simulate_generation, GenChallenger, GenChallengerStrategy, GenClient,
    GenContracts, GenExecution, GenLie, GenModel, GenReport, GenSubmitter,
};
use verinfer_opml::OpmlContracts;

/// The step graph of the GGUF file `testdata/<rel>` at context `ctx` (default options).
pub fn gguf_step_graph(rel: &str, name: &str, ctx: usize) -> Graph {
    gguf_step_graph_with(rel, name, ctx, false)
}

/// [`gguf_step_graph`]; `sampling`: a sampling step graph (the `noise` input).
pub fn gguf_step_graph_with(rel: &str, name: &str, ctx: usize, sampling: bool) -> Graph {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata")
        .join(rel);
    let w = GgufWeights::open(&path).unwrap();
    let opts = CompileOptions {
        ctx,
        sampling,
        ..CompileOptions::default()
    };
    compile(&w, name, &opts, &|| {}).unwrap().graph
}

/// The Shakespeare model (`testdata/llm/shakespeare_q8.gguf`, 4 layers, d = 128) as a
/// generation model at context `ctx`; callers keep it in a `OnceLock` (compiling takes
/// seconds).
pub fn shakespeare_gen_model(ctx: usize) -> Arc<GenModel> {
    let g = gguf_step_graph("llm/shakespeare_q8.gguf", "shakespeare", ctx);
    Arc::new(GenModel::new(g).unwrap())
}

/// A prompt of `len` tokens inside `m`'s vocabulary (`shift` gives others).
pub fn gen_prompt(m: &GenModel, len: usize, shift: u32) -> Vec<u32> {
    let v = m.layout().vocab as u32;
    (0..len as u32).map(|i| (i * 37 + 11 + shift) % v).collect()
}

/// One generation told by a submitter (account 0, lying with `lie`) and checked by a
/// challenger (account 1, honest execution, playing `strategy`), with the generation game
/// deployed over a fresh opML game (window 600 s, clock 300 s). Nothing is claimed yet.
pub struct GenDuel {
    /// The in-process chain.
    pub chain: RevmChain,
    /// The opML contracts (registry, inference game).
    pub c: OpmlContracts,
    /// The generation game.
    pub game: GenClient,
    /// The submitter (account 0).
    pub sub: GenSubmitter,
    /// The challenger (account 1).
    pub cha: GenChallenger,
    /// The chain's accounts.
    pub accounts: Vec<Address>,
}

impl GenDuel {
    /// `n_new` tokens of `m` after `prompt`, as above.
    pub fn new(
        m: &Arc<GenModel>,
        prompt: &[u32],
        n_new: usize,
        lie: Option<GenLie>,
        strategy: GenChallengerStrategy,
    ) -> Self {
        Self::new_sampled(m, prompt, n_new, None, lie, strategy)
    }

    /// [`Self::new`] for a generation sampled with `sampling` (both parties).
    pub fn new_sampled(
        m: &Arc<GenModel>,
        prompt: &[u32],
        n_new: usize,
        sampling: Option<Sampling>,
        lie: Option<GenLie>,
        strategy: GenChallengerStrategy,
    ) -> Self {
        let (mut chain, c) = crate::chain::deployed_opml();
        let a = chain.accounts();
        let params = crate::chain::game_params(600, 300);
        let (game, _) = GenClient::deploy(&mut chain, a[0], c.game.address, &params).unwrap();
        let sub = GenSubmitter::new(
            GenExecution::run_sampled(Arc::clone(m), prompt, n_new, sampling, lie).unwrap(),
            a[0],
        );
        let cha = GenChallenger::new(
            GenExecution::run_sampled(Arc::clone(m), prompt, n_new, sampling, None).unwrap(),
            a[1],
            strategy,
        );
        Self {
            chain,
            c,
            game,
            sub,
            cha,
            accounts: a,
        }
    }

    /// Claims, disputes and plays the whole game out ([`simulate_generation`]).
    pub fn simulate(&mut self) -> GenReport {
        let (registry, steps, game) = (self.c.registry, self.c.game, self.game);
        let ctx = GenContracts {
            registry: &registry,
            steps: &steps,
            game: &game,
        };
        simulate_generation(&mut self.chain, ctx, &mut self.sub, &mut self.cha).unwrap()
    }

    /// Registers `m` and teaches it to both games, from account 0 ([`prepare_generation`]).
    pub fn prepare(&mut self, m: &GenModel) {
        let (registry, steps, game) = (self.c.registry, self.c.game, self.game);
        let ctx = GenContracts {
            registry: &registry,
            steps: &steps,
            game: &game,
        };
        prepare_generation(&mut self.chain, ctx, self.accounts[0], m).unwrap();
    }
}

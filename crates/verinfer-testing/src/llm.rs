//! The tiny LLaMA of `testdata/gguf/llama_tiny.gguf` (llama.cpp's layout, grouped-query
//! attention) compiled to its step graph, and the generation contracts deployed for it: what
//! the generation tests of the node, the oracle and the ERC-7007 collection share, and
//! [`TextEnv`], the in-process chain with all of it deployed that the text oracle's tests
//! drive.

use std::sync::{Arc, OnceLock};

use alloy_primitives::{Address, B256, U256};
use verinfer_chain::{Chain, Receipt, RevmChain};
use verinfer_ir::Graph;
use verinfer_opml::generation::bindings::GenerationGame;
use verinfer_opml::generation::{
    contest, GenChallenger, GenChallengerStrategy, GenClient, GenContracts, GenExecution, GenLie,
    GenModel, GenReport, GenSubmitter,
};
use verinfer_opml::{GameParams, OpmlContracts};
use verinfer_oracle::bindings_text::AIGCText::AIGCTextErrors;
use verinfer_oracle::bindings_text::GenerationConsumerHarness;
use verinfer_oracle::{
    model_id_of, AigcTextClient, OracleError, TextOracleClient, TextPrompt, TextProof, TextRequest,
    TextRequestId,
};

/// The context the text tests compile the tiny LLaMA at: a 4-token prompt and
/// [`TINY_NEW_TOKENS`] new tokens fit (11 steps of 16 cache rows).
pub const TINY_CTX: usize = 16;
/// The new tokens the text tests ask for.
pub const TINY_NEW_TOKENS: u32 = 8;

/// The tiny LLaMA at [`TINY_CTX`], compiled once per test binary (compiling takes seconds).
pub fn tiny_model() -> Arc<GenModel> {
    static M: OnceLock<Arc<GenModel>> = OnceLock::new();
    Arc::clone(M.get_or_init(|| tiny_gen_model(TINY_CTX)))
}

/// The tiny LLaMA at [`TINY_CTX`] compiled as a sampling step graph (`--sampling`: the
/// `noise` input), once per test binary: what sampled text requests run on.
pub fn tiny_sampling_model() -> Arc<GenModel> {
    static M: OnceLock<Arc<GenModel>> = OnceLock::new();
    Arc::clone(M.get_or_init(|| {
        let g = crate::generation::gguf_step_graph_with(
            "gguf/llama_tiny.gguf",
            "llama_tiny",
            TINY_CTX,
            true,
        );
        Arc::new(GenModel::new(g).unwrap())
    }))
}

/// The tiny LLaMA's step graph at context `ctx` (compiled with the default options).
pub fn tiny_llm(ctx: usize) -> Graph {
    crate::generation::gguf_step_graph("gguf/llama_tiny.gguf", "llama_tiny", ctx)
}

/// The tiny LLaMA as a generation model at context `ctx`.
pub fn tiny_gen_model(ctx: usize) -> Arc<GenModel> {
    Arc::new(GenModel::new(tiny_llm(ctx)).unwrap())
}

/// A 4-token prompt inside `m`'s vocabulary (`shift` gives others).
pub fn tiny_prompt(m: &GenModel, shift: u32) -> Vec<u32> {
    crate::generation::gen_prompt(m, 4, shift)
}

/// The honest `n` greedy tokens after `prompt`, as the contracts carry them (`int32`).
pub fn honest_tokens(m: &Arc<GenModel>, prompt: &[u32], n: u32) -> Vec<i32> {
    let g = GenExecution::run(Arc::clone(m), prompt, n as usize, None).unwrap();
    g.tokens().iter().map(|&t| t as i32).collect()
}

/// The generation contracts of one model.
pub struct TextStack {
    /// The generation game (its disputed steps go to the stack's inference game).
    pub game: GenClient,
    /// The text oracle answering through `game`.
    pub text: TextOracleClient,
    /// A `GenerationConsumerHarness` for callbacks.
    pub consumer: Address,
    /// The model's registry word.
    pub word: B256,
    /// Gas of deploying the text oracle.
    pub text_deploy_gas: u64,
}

/// Deploys a generation game over `c`'s inference game, registers `m` and teaches it to both
/// games, then deploys the text oracle (the tests' oracle parameters) and a consumer.
pub fn deploy_text_stack(
    chain: &mut dyn Chain,
    owner: Address,
    c: &OpmlContracts,
    m: &GenModel,
    gp: &GameParams,
) -> TextStack {
    let (game, _) = GenClient::deploy(chain, owner, c.game.address, gp).unwrap();
    let served = m.served();
    let word = verinfer_oracle::model_word(served.commitment().model_id);
    c.registry
        .register(chain, owner, word, "llama_tiny")
        .unwrap();
    c.game
        .ensure_learned(chain, owner, served.graph(), served.commitment())
        .unwrap();
    game.ensure_learned(chain, owner, word).unwrap();
    let (text, r) = TextOracleClient::deploy(
        chain,
        owner,
        c.registry.address,
        game.address,
        &crate::oracle::oracle_params(),
    )
    .unwrap();
    let consumer = crate::chain::deploy_contract(
        chain,
        owner,
        &GenerationConsumerHarness::BYTECODE,
        "deploy GenerationConsumerHarness",
    );
    TextStack {
        game,
        text,
        consumer,
        word,
        text_deploy_gas: r.gas_used,
    }
}

/// The `claim` call that posts `gen` as model `word`'s generation claim (tokens as `int32`).
pub fn claim_call(word: B256, gen: &GenExecution) -> GenerationGame::claimCall {
    GenerationGame::claimCall {
        modelId: word,
        prompt: gen.prompt().iter().map(|&t| t as i32).collect(),
        tokens: gen.tokens().iter().map(|&t| t as i32).collect(),
        root: B256::from(gen.root().to_bytes()),
    }
}

/// `requester` asks `text` for `n` greedy tokens of model `word` after `prompt`, paying
/// exactly the required fee, with `callback` given `callback_gas` (zero address: none).
#[allow(clippy::too_many_arguments)]
pub fn request_text(
    chain: &mut dyn Chain,
    text: &TextOracleClient,
    requester: Address,
    word: B256,
    prompt: &[u32],
    n: u32,
    callback: Address,
    callback_gas: u64,
) -> (TextRequestId, Receipt) {
    let req = TextRequest {
        model: model_id_of(word),
        prompt: prompt.to_vec(),
        max_new_tokens: n,
        seed: 0,
        temp: 0,
        callback,
        callback_gas_limit: callback_gas,
    };
    let fee = text.required_fee(chain, callback_gas).unwrap();
    text.request(chain, requester, &req, fee).unwrap()
}

/// The consumer's call count and the last tokens it received.
pub fn received(chain: &mut dyn Chain, from: Address, consumer: Address) -> (U256, Vec<i32>) {
    use GenerationConsumerHarness as C;
    let calls = verinfer_chain::view(chain, from, consumer, &C::callsCall {}, "calls").unwrap();
    let toks =
        verinfer_chain::view(chain, from, consumer, &C::receivedCall {}, "received").unwrap();
    (calls, toks)
}

/// The opML game and the text stack of [`tiny_model`] on a fresh in-process chain (game
/// window 600 s, clock 300 s), with four named accounts: what the text oracle's and the text
/// collection's tests start from.
pub struct TextEnv {
    /// The in-process chain.
    pub chain: RevmChain,
    /// The opML contracts (registry, inference game).
    pub c: OpmlContracts,
    /// The generation game.
    pub game: GenClient,
    /// The text oracle.
    pub oracle: TextOracleClient,
    /// A `GenerationConsumerHarness` for callbacks.
    pub consumer: Address,
    /// The model's registry word.
    pub model: B256,
    /// Gas of deploying the text oracle.
    pub text_deploy_gas: u64,
    /// Registers the model; deploys.
    pub owner: Address,
    /// Asks.
    pub requester: Address,
    /// Answers honestly and watches.
    pub node: Address,
    /// Answers with lies.
    pub liar: Address,
}

impl TextEnv {
    /// Everything deployed, nothing requested.
    pub fn new() -> Self {
        Self::with_model(&tiny_model())
    }

    /// [`Self::new`] for the generation model `m` (e.g. [`tiny_sampling_model`]).
    pub fn with_model(m: &GenModel) -> Self {
        let (mut chain, c) = crate::chain::deployed_opml();
        let a = chain.accounts();
        let params = crate::chain::game_params(600, 300);
        let TextStack {
            game,
            text,
            consumer,
            word,
            text_deploy_gas,
        } = deploy_text_stack(&mut chain, a[0], &c, m, &params);
        Self {
            chain,
            c,
            game,
            oracle: text,
            consumer,
            model: word,
            text_deploy_gas,
            owner: a[0],
            requester: a[1],
            node: a[2],
            liar: a[3],
        }
    }

    /// `requester` asks for [`TINY_NEW_TOKENS`] after `prompt`, calling `callback` back with
    /// `callback_gas` (zero address: no callback).
    pub fn request(
        &mut self,
        prompt: &[u32],
        callback: Address,
        callback_gas: u64,
    ) -> (TextRequestId, Receipt) {
        let (oracle, requester, model) = (self.oracle, self.requester, self.model);
        request_text(
            &mut self.chain,
            &oracle,
            requester,
            model,
            prompt,
            TINY_NEW_TOKENS,
            callback,
            callback_gas,
        )
    }

    /// `who` posts `gen` as a generation claim with the configured bond.
    pub fn claim(&mut self, who: Address, gen: &GenExecution) -> (u64, Receipt) {
        let bond = self.game.config(&mut self.chain).unwrap().submitter_bond;
        let call = claim_call(self.model, gen);
        self.game.claim(&mut self.chain, who, bond, call).unwrap()
    }

    /// Lets `claim`'s challenge window pass and `node` finalizes it.
    pub fn finalize(&mut self, claim: u64) -> Receipt {
        let w = self.game.config(&mut self.chain).unwrap().window;
        self.chain.advance_time(w + 1).unwrap();
        let call = GenerationGame::finalizeCall {
            claimId: U256::from(claim),
        };
        self.game.send(&mut self.chain, self.node, &call).unwrap()
    }

    /// An honest watcher (`node`) disputes `sub`'s claim `claim`, played out.
    pub fn contest(&mut self, sub: &mut GenSubmitter, claim: u64) -> GenReport {
        let h = honest_generation(sub.gen.prompt());
        let mut cha = GenChallenger::new(h, self.node, GenChallengerStrategy::Honest);
        let (registry, steps, game) = (self.c.registry, self.c.game, self.game);
        let ctx = GenContracts {
            registry: &registry,
            steps: &steps,
            game: &game,
        };
        contest(&mut self.chain, ctx, sub, &mut cha, claim).unwrap()
    }

    /// The consumer's call count and the last tokens it received.
    pub fn received(&mut self) -> (U256, Vec<i32>) {
        received(&mut self.chain, self.owner, self.consumer)
    }

    /// `requester` asks for [`TINY_NEW_TOKENS`] after `prompt`, without a callback.
    pub fn ask(&mut self, prompt: &[u32]) -> TextRequestId {
        self.request(prompt, Address::ZERO, 0).0
    }

    /// `who` posts `gen` as a generation claim and answers `req` with it.
    pub fn answer(&mut self, who: Address, gen: &GenExecution, req: TextRequestId) -> u64 {
        let (id, _) = self.claim(who, gen);
        self.oracle.answer(&mut self.chain, who, req, id).unwrap();
        id
    }

    /// Minting through the text collection `aigc` as `by` (minter, recipient), no uri: the
    /// token and receipt, or the collection's error.
    pub fn mint(
        &mut self,
        aigc: AigcTextClient,
        by: (Address, Address),
        p: &TextPrompt,
        text: &[u8],
        proof: &TextProof,
    ) -> Result<(U256, Receipt), AIGCTextErrors> {
        aigc.mint(&mut self.chain, by, p, text, "", proof)
            .map_err(aigc_err)
    }

    /// Whether the text collection `aigc` verifies `text` for `p` with `proof`.
    pub fn verifies(
        &mut self,
        aigc: AigcTextClient,
        p: &TextPrompt,
        text: &[u8],
        proof: &TextProof,
    ) -> bool {
        aigc.verify(&mut self.chain, p, text, proof).unwrap()
    }
}

/// The text collection's own error inside `e` (panics on any other error).
pub fn aigc_err(e: OracleError) -> AIGCTextErrors {
    match e {
        OracleError::AigcText { error, .. } => *error,
        other => panic!("expected an AIGCText error, got {other}"),
    }
}

impl Default for TextEnv {
    fn default() -> Self {
        Self::new()
    }
}

/// [`tiny_model`]'s [`TINY_NEW_TOKENS`] tokens after `prompt`, told with `lie`.
pub fn lying_generation(prompt: &[u32], lie: GenLie) -> GenExecution {
    GenExecution::run(tiny_model(), prompt, TINY_NEW_TOKENS as usize, Some(lie)).unwrap()
}

/// The lie that changes the token generated halfway through `prompt`'s steps.
pub fn midway_lie(prompt: &[u32]) -> GenLie {
    let steps = prompt.len() + TINY_NEW_TOKENS as usize - 1;
    GenLie::WrongToken { step: steps / 2 }
}

/// [`tiny_model`]'s honest [`TINY_NEW_TOKENS`] greedy tokens after `prompt`.
pub fn honest_generation(prompt: &[u32]) -> GenExecution {
    GenExecution::run(tiny_model(), prompt, TINY_NEW_TOKENS as usize, None).unwrap()
}

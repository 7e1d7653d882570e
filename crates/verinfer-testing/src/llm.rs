//! The tiny LLaMA of `testdata/gguf/llama_tiny.gguf` (llama.cpp's layout, grouped-query
//! attention) compiled to its step graph, and the generation contracts deployed for it: what
//! the generation tests of the node, the oracle and the ERC-7007 collection share.

use std::path::Path;
use std::sync::Arc;

use alloy_primitives::{Address, B256};
use verinfer_chain::Chain;
use verinfer_ir::Graph;
use verinfer_llm::{compile, CompileOptions, GgufWeights};
use verinfer_opml::generation::{GenClient, GenExecution, GenModel};
use verinfer_opml::{GameParams, OpmlContracts};
use verinfer_oracle::bindings_text::GenerationConsumerHarness;
use verinfer_oracle::TextOracleClient;

/// The tiny LLaMA's step graph at context `ctx` (compiled with the default options).
pub fn tiny_llm(ctx: usize) -> Graph {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/gguf/llama_tiny.gguf");
    let w = GgufWeights::open(&path).unwrap();
    let opts = CompileOptions {
        ctx,
        ..CompileOptions::default()
    };
    compile(&w, "llama_tiny", &opts, &|| {}).unwrap().graph
}

/// The tiny LLaMA as a generation model at context `ctx`.
pub fn tiny_gen_model(ctx: usize) -> Arc<GenModel> {
    Arc::new(GenModel::new(tiny_llm(ctx)).unwrap())
}

/// A 4-token prompt inside `m`'s vocabulary (`shift` gives others).
pub fn tiny_prompt(m: &GenModel, shift: u32) -> Vec<u32> {
    let v = m.layout().vocab as u32;
    (0..4u32).map(|i| (i * 37 + 11 + shift) % v).collect()
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

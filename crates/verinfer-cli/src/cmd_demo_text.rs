//! `verinfer demo`'s text part, on the same in-process chain as the ONNX part: the bundled
//! Shakespeare LLM compiled to a step graph, a text request through `GenerationOracle`
//! answered first by a lying node (whose pending claim already minted an ERC-7007 token of
//! its text), the lie challenged and lost, the honest answer settled, and the token's text
//! replaced by the settled generation through the Updatable path and verified.

use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use verinfer_chain::{Address, Chain, RevmChain, Tx};
use verinfer_gguf::{GgufFile, Tokenizer};
use verinfer_llm::{compile, CompileOptions, GgufWeights};
use verinfer_opml::generation::{
    contest, prepare_generation, GenChallenger, GenChallengerStrategy, GenClient, GenContracts,
    GenExecution, GenLie, GenModel, GenSubmitter,
};
use verinfer_opml::{GameParams, OpmlContracts};
use verinfer_oracle::bindings_text::GenerationConsumerHarness as Consumer;
use verinfer_oracle::{
    AigcTextClient, OracleParams, TextOracleClient, TextPrompt, TextProof, TextRequest, TextVocab,
};

use crate::cmd_demo::{dispute, say, took, tx};

/// The trained Shakespeare model (0.9 MB, Q8_0; docs/llm.md section 6).
const SHAKESPEARE: &[u8] = include_bytes!("../../../testdata/llm/shakespeare_q8.gguf");
const PROMPT: &str = "ROMEO:";
const NEW_TOKENS: usize = 24;

/// The parties of the demo: the model owner, the requester, an honest node, a lying node.
pub struct Parties {
    pub owner: Address,
    pub requester: Address,
    pub honest: Address,
    pub liar: Address,
}

/// The collection's vocabulary: each token id's bytes in the text.
pub fn vocab_of(tok: &Tokenizer, vocab: usize) -> Result<TextVocab> {
    let ids = 0..u32::try_from(vocab).context("vocabulary size")?;
    Ok(TextVocab::new(ids.map(|i| tok.piece_bytes(i)).collect())?)
}

/// The step graph of the bundled model with a context of `ctx`, and its tokenizer.
fn shakespeare(ctx: usize) -> Result<(GenModel, Tokenizer)> {
    let file = GgufFile::from_bytes(SHAKESPEARE.to_vec()).context("the bundled LLM")?;
    let tok = Tokenizer::from_gguf(&file).context("the bundled LLM's tokenizer")?;
    let w = GgufWeights::new(file).context("the bundled LLM's weights")?;
    let opts = CompileOptions {
        ctx,
        sample_len: ctx.min(48),
        bos: tok.bos().unwrap_or(1),
        ..CompileOptions::default()
    };
    let c = compile(&w, "shakespeare", &opts, &|| {}).context("compiling the bundled LLM")?;
    Ok((GenModel::new(c.graph)?, tok))
}

/// Runs the text part from step `first`; returns the next step number.
pub fn run(
    chain: &mut RevmChain,
    c: &OpmlContracts,
    who: &Parties,
    params: &GameParams,
    first: usize,
) -> Result<usize> {
    let n = first;
    // ---------------------------------------------------------------- model
    let t = Instant::now();
    let probe = GgufFile::from_bytes(SHAKESPEARE.to_vec()).context("the bundled LLM")?;
    let tok = Tokenizer::from_gguf(&probe).context("the bundled LLM's tokenizer")?;
    let mut ids: Vec<u32> = tok.bos().filter(|_| tok.adds_bos()).into_iter().collect();
    ids.extend(tok.encode(PROMPT)?);
    let ctx = ids.len() + NEW_TOKENS - 1;
    let (m, tok) = shakespeare(ctx)?;
    let m = Arc::new(m);
    let g = m.served().graph();
    say!(
        "{n}. text: the bundled Shakespeare LLM ({} KB, vocabulary {}) compiled to a step graph \
         of {} integer nodes, context {ctx} ({})",
        SHAKESPEARE.len() / 1024,
        m.layout().vocab,
        g.nodes.len(),
        took(t)
    );

    // ---------------------------------------------------------------- contracts
    let t = Instant::now();
    let (game, r) = GenClient::deploy(chain, who.owner, c.game.address, params)?;
    tx(&r);
    let gc = GenContracts {
        registry: &c.registry,
        steps: &c.game,
        game: &game,
    };
    prepare_generation(chain, gc, who.owner, &m)?
        .iter()
        .for_each(tx);
    let model = m.served().commitment().model_id;
    let oparams = OracleParams::default();
    let (oracle, r) =
        TextOracleClient::deploy(chain, who.owner, c.registry.address, game.address, &oparams)?;
    tx(&r);
    let vocab = vocab_of(&tok, m.layout().vocab)?;
    let (aigc, r) = AigcTextClient::deploy(
        chain,
        who.owner,
        ("verinfer Shakespeare", "VSHK"),
        model,
        oracle.address,
        &vocab,
    )?;
    tx(&r);
    let consumer = chain
        .send(Tx::deploy(
            who.requester,
            Consumer::BYTECODE.clone(),
            "deploy requester contract",
        ))?
        .contract_address
        .context("no consumer address")?;
    say!(
        "{}. deployed the generation game, the text oracle and an ERC-7007 text collection \
         (its vocabulary table on chain); the model is registered and learned ({})",
        n + 1,
        took(t)
    );

    // ---------------------------------------------------------------- request
    let callback_gas = 500_000;
    let req = TextRequest {
        model,
        prompt: ids.clone(),
        max_new_tokens: u32::try_from(NEW_TOKENS)?,
        seed: 0,
        temp: 0,
        callback: consumer,
        callback_gas_limit: callback_gas,
    };
    let fee = oracle.required_fee(chain, callback_gas)?;
    let (request, r) = oracle.request(chain, who.requester, &req, fee)?;
    tx(&r);
    say!(
        "{}. a contract requests {NEW_TOKENS} tokens after {PROMPT:?} ({} prompt tokens; \
         request {request})",
        n + 2,
        ids.len()
    );

    // ---------------------------------------------------------------- the lie
    let t = Instant::now();
    let step = ids.len() - 1 + NEW_TOKENS / 2;
    let lie = GenExecution::run(
        Arc::clone(&m),
        &ids,
        NEW_TOKENS,
        Some(GenLie::WrongToken { step }),
    )?;
    let mut liar = GenSubmitter::new(lie, who.liar);
    let cfg = game.config(chain)?;
    let (bad, r) = game.claim(chain, who.liar, cfg.submitter_bond, liar.claim_call())?;
    tx(&r);
    tx(&oracle.answer(chain, who.liar, request, bad)?);
    let prompt = TextPrompt {
        ids: ids.clone(),
        max_new_tokens: req.max_new_tokens,
    };
    let lie_text = vocab.text(liar.gen.tokens())?;
    let lie_proof = TextProof::Claim {
        claim: bad,
        tokens: liar.gen.tokens().to_vec(),
    };
    let (token, r) = aigc.mint(
        chain,
        (who.liar, who.liar),
        &prompt,
        &lie_text,
        "demo://text",
        &lie_proof,
    )?;
    tx(&r);
    say!(
        "{}. a lying node answers first (claim {bad}, token {} of the generation changed) and \
         mints the ERC-7007 token of its text at once: {:?}; verified = {} ({})",
        n + 3,
        NEW_TOKENS / 2,
        String::from_utf8_lossy(&lie_text),
        aigc.is_verified(chain, token)?,
        took(t)
    );

    // ---------------------------------------------------------------- the dispute
    let t = Instant::now();
    let watcher = GenExecution::run(Arc::clone(&m), &ids, NEW_TOKENS, None)?;
    let mut cha = GenChallenger::new(watcher, who.honest, GenChallengerStrategy::Honest);
    let rep = contest(chain, gc, &mut liar, &mut cha, bad)?;
    say!(
        "{}. an honest node re-executes the generation, challenges and wins: {} mode, step {}, {}",
        n + 4,
        rep.mode,
        rep.step.map_or("-".into(), |s| s.to_string()),
        dispute!(line rep, t)
    );
    let mut figures = dispute!(json rep);
    figures["step"] = serde_json::json!(rep.step);
    crate::cmd_demo::record("text_dispute", figures);
    if rep.winner != "challenger" {
        bail!("the lying generation survived the dispute: {rep:?}");
    }

    // ---------------------------------------------------------------- the honest answer
    let t = Instant::now();
    let gen = GenExecution::run(Arc::clone(&m), &ids, NEW_TOKENS, None)?;
    let honest = GenSubmitter::new(gen, who.honest);
    let (good, r) = game.claim(chain, who.honest, cfg.submitter_bond, honest.claim_call())?;
    tx(&r);
    tx(&oracle.answer(chain, who.honest, request, good)?);
    chain.advance_time(cfg.window + 1)?;
    let call = verinfer_opml::generation::bindings::GenerationGame::finalizeCall {
        claimId: verinfer_chain::U256::from(good),
    };
    tx(&game.send(chain, who.honest, &call)?);
    let s = oracle.settle(chain, who.honest, request, honest.gen.tokens())?;
    tx(&s.receipt);
    let received: Vec<i32> = verinfer_chain::view(
        chain,
        who.requester,
        consumer,
        &Consumer::receivedCall {},
        "GenerationConsumerHarness.received",
    )?;
    if verinfer_oracle::token_ids(&received)? != honest.gen.tokens() {
        bail!("the requester contract did not receive the honest generation");
    }
    let text = vocab.text(honest.gen.tokens())?;
    say!(
        "{}. the honest node answers (claim {good}): its window passes, the request settles and \
         the requester contract receives {} tokens: {PROMPT}{} ({})",
        n + 5,
        received.len(),
        String::from_utf8_lossy(&text),
        took(t)
    );

    // ---------------------------------------------------------------- ERC-7007 update
    let t = Instant::now();
    let proof = TextProof::Request(request);
    let r = aigc.replace(chain, who.requester, &prompt, &text, &proof)?;
    tx(&r);
    let verified = aigc.is_verified(chain, token)? && aigc.verify(chain, &prompt, &text, &proof)?;
    let lie_verifies = aigc.verify(chain, &prompt, &lie_text, &proof)?
        || aigc.verify(chain, &prompt, &lie_text, &lie_proof)?;
    let owner = aigc.owner_of(chain, token)?;
    say!(
        "{}. ERC-7007 update: the lost claim's token {token:#x} takes the settled text \
         (owner kept: {}), verified = {verified}; the lie's text verifies: {lie_verifies} ({})",
        n + 6,
        owner == who.liar,
        took(t)
    );
    if !verified || lie_verifies {
        bail!("the text token did not verify the settled generation alone");
    }
    Ok(n + 7)
}

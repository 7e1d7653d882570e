//! Text requests on the command line (`GenerationOracle`, docs/oracle.md "Text requests"):
//! `verinfer oracle text-request|text-answer|text-settle|text-status`, and `verinfer
//! mint-text`, an ERC-7007 token of generated text (`AIGCText`).

use std::path::PathBuf;

use anyhow::{bail, Context, Result};
use verinfer_chain::{Address, Chain, Deployments, B256, U256};
use verinfer_gguf::Tokenizer;
use verinfer_opml::client::newest_event;
use verinfer_opml::generation::bindings::GenerationGame as G;
use verinfer_opml::generation::{prepare_generation, GenClient, GenContracts};
use verinfer_opml::{ensure_opml, ClaimStatus};
use verinfer_oracle::{
    model_id_of, token_ids, AigcTextClient, OracleParams, RequestStatus, TextOracleClient,
    TextPrompt, TextProof, TextRequest, TextRequestId, TextVocab,
};

use crate::chain_args::OnChain;
use crate::cmd_game::{print_tx, ParamArgs};
use crate::cmd_game_gen::{load_gen_model_with, GenArgs};
use crate::cmd_game_gen_chain::{ensure_generation, find_generation};
use crate::cmd_llm::load_tokenizer;
use crate::emit::Emit;
use crate::oracle_args::{MintTo, PayArgs};

/// The recorded text oracle when it runs over `game`; otherwise a new one (default fees).
fn ensure_text_oracle(
    chain: &mut dyn Chain,
    d: &mut Deployments,
    from: Address,
    registry: Address,
    game: Address,
) -> Result<TextOracleClient> {
    let id = chain.chain_id();
    if let Some(address) = d.get(id, TextOracleClient::NAME) {
        let o = TextOracleClient { address };
        if !chain.code_at(address)?.is_empty() && o.registry_and_game(chain)?.1 == game {
            return Ok(o);
        }
    }
    let (o, r) = TextOracleClient::deploy(chain, from, registry, game, &OracleParams::default())?;
    print_tx(&r);
    d.set_deployed(id, TextOracleClient::NAME, o.address, r.block_number);
    Ok(o)
}

/// The recorded text oracle (its code checked).
fn find_text_oracle(chain: &mut dyn Chain, d: &Deployments) -> Result<TextOracleClient> {
    let id = chain.chain_id();
    let Some(address) = d.get(id, TextOracleClient::NAME) else {
        bail!("no GenerationOracle recorded for chain {id}: make a text request first (`verinfer oracle text-request M --prompt-ids …`)");
    };
    if chain.code_at(address)?.is_empty() {
        bail!("the recorded GenerationOracle {address} has no code on chain {id}");
    }
    Ok(TextOracleClient { address })
}

/// The prompt and tokens generation claim `claim` posted (its `GenerationClaimed` event).
fn posted(
    chain: &mut dyn Chain,
    game: &GenClient,
    since: u64,
    claim: u64,
) -> Result<(Vec<u32>, Vec<u32>)> {
    let e = newest_event::<G::GenerationClaimed>(chain, game.address, since, |e| {
        e.claimId == U256::from(claim)
    })?
    .with_context(|| format!("no GenerationClaimed event of claim {claim}"))?;
    Ok((token_ids(&e.prompt)?, token_ids(&e.tokens)?))
}

/// Arguments of `oracle text-request`.
#[derive(clap::Args)]
pub struct TextRequestArgs {
    /// The LLM: a GGUF file (compiled here with a context of prompt + new tokens, or --ctx)
    /// or a compiled step graph (`.vmodel`).
    pub model: PathBuf,
    #[command(flatten)]
    pub gen: GenArgs,
    #[command(flatten)]
    pub pay: PayArgs,
    #[command(flatten)]
    pub params: ParamArgs,
    #[command(flatten)]
    pub on: OnChain,
}

/// `verinfer oracle text-request MODEL --prompt TEXT|--prompt-ids … --max-new-tokens N`.
pub fn text_request(a: &TextRequestArgs) -> Result<()> {
    let prompt = a.gen.prompt_ids(&a.model)?;
    let n = a.gen.max_new_tokens;
    if n == 0 {
        bail!("--max-new-tokens 0: a text request asks for at least one token");
    }
    // Temperature 0 is greedy whatever the seed (the oracle stores it as seed 0).
    let sampling = a.gen.sampling()?.filter(|s| s.temp != 0);
    let need = (prompt.len() + n).saturating_sub(1).max(1);
    let m = load_gen_model_with(&a.model, a.gen.ctx.unwrap_or(need), sampling.is_some())?;
    if sampling.is_some() && m.layout().noise.is_none() {
        bail!("--seed: {} is a greedy step graph (no noise input); compile it with `verinfer compile --sampling` for a sampled request", a.model.display());
    }
    verinfer_llm::session::check_request(m.layout(), &prompt, n)?;
    let params = a.params.params();
    let callback = a.pay.callback()?;
    let mut open = a.on.chain.open()?;
    let from = open.sender()?;
    let (chain, d) = open.parts();
    let (c, receipts) = ensure_opml(chain, d, from, &params)?;
    receipts.iter().for_each(print_tx);
    let game = ensure_generation(chain, d, from, c.game.address, &params)?;
    let oracle = ensure_text_oracle(chain, d, from, c.registry.address, game.address)?;
    open.record_deployments()?;
    let chain = open.chain();
    let gc = GenContracts {
        registry: &c.registry,
        steps: &c.game,
        game: &game,
    };
    prepare_generation(chain, gc, from, &m)?
        .iter()
        .for_each(print_tx);
    let fee = a.pay.fee(|gas| Ok(oracle.required_fee(chain, gas)?))?;
    let model = m.served().commitment().model_id;
    let req = TextRequest {
        model,
        prompt: prompt.clone(),
        max_new_tokens: u32::try_from(n).context("--max-new-tokens")?,
        seed: sampling.map_or(0, |s| s.seed),
        temp: sampling.map_or(0, |s| s.temp),
        callback,
        callback_gas_limit: a.pay.callback_gas,
    };
    let (id, r) = oracle.request(chain, from, &req, fee)?;
    print_tx(&r);
    let out = Emit::new(a.on.json);
    out.line(format!(
        "text request {} (model {}, prompt {prompt:?}, {n} new tokens, fee {fee} wei) on {}",
        id.index(),
        verinfer_oracle::model_word(model),
        oracle.address
    ));
    out.object(&serde_json::json!({
        "request_id": id.index(),
        "model_id": verinfer_oracle::model_word(model).to_string(),
        "prompt_ids": prompt,
        "max_new_tokens": n,
        "seed": sampling.map_or(0, |s| s.seed),
        "temperature_q16": sampling.map_or(0, |s| s.temp),
        "fee_wei": fee.to_string(),
        "oracle": oracle.address.to_string(),
    }));
    open.persist()?;
    Ok(())
}

/// Arguments of `oracle text-answer`.
#[derive(clap::Args)]
pub struct TextAnswerArgs {
    /// Text request id.
    pub request: u64,
    /// The sender's generation claim (`verinfer claim M --prompt-ids … --max-new-tokens N`,
    /// posted after the request).
    #[arg(long)]
    pub claim: u64,
    #[command(flatten)]
    pub on: OnChain,
}

pub fn text_answer(a: &TextAnswerArgs) -> Result<()> {
    let mut open = a.on.chain.open()?;
    let from = open.sender()?;
    let (chain, d) = open.parts();
    let oracle = find_text_oracle(chain, d)?;
    let r = oracle.answer(chain, from, TextRequestId::new(a.request), a.claim)?;
    print_tx(&r);
    let out = Emit::new(a.on.json);
    out.line(format!(
        "text request {}: answered by generation claim {}",
        a.request, a.claim
    ));
    out.object(&serde_json::json!({"request_id": a.request, "claim_id": a.claim}));
    open.persist()?;
    Ok(())
}

/// Arguments of `oracle text-settle`.
#[derive(clap::Args)]
pub struct TextSettleArgs {
    /// Text request id.
    pub request: u64,
    #[command(flatten)]
    pub on: OnChain,
}

/// Finalizes an answering claim whose window passed with no game open, then settles the
/// request with the tokens of a finalized one (read from its `GenerationClaimed` event).
pub fn text_settle(a: &TextSettleArgs) -> Result<()> {
    let mut open = a.on.chain.open()?;
    let from = open.sender()?;
    let (chain, d) = open.parts();
    let oracle = find_text_oracle(chain, d)?;
    let (game, since) = find_generation(chain, d)?;
    let request = TextRequestId::new(a.request);
    let claims = oracle.claims_of(chain, request)?;
    let now = chain.block()?.timestamp;
    let mut states = Vec::new();
    for &claim in &claims {
        let mut status = game.status(chain, claim)?;
        let info = game.claim_info(chain, claim)?;
        if status == ClaimStatus::Pending && info.openGames == 0 && now > info.windowEnd {
            let call = G::finalizeCall {
                claimId: U256::from(claim),
            };
            print_tx(&game.send(chain, from, &call)?);
            status = ClaimStatus::Finalized;
        }
        if status == ClaimStatus::Finalized {
            let (_, tokens) = posted(chain, &game, since, claim)?;
            let s = oracle.settle(chain, from, request, &tokens)?;
            print_tx(&s.receipt);
            let out = Emit::new(a.on.json);
            out.line(format!(
                "text request {}: fulfilled by claim {claim} ({} tokens {tokens:?}); {} wei to \
                 the node, {} to the model owner; callback {:?}",
                a.request,
                tokens.len(),
                s.answerer_share,
                s.owner_share,
                s.callback
            ));
            out.object(&serde_json::json!({
                "request_id": a.request,
                "claim_id": claim,
                "tokens": tokens,
                "answerer_share_wei": s.answerer_share.to_string(),
                "owner_share_wei": s.owner_share.to_string(),
                "callback": format!("{:?}", s.callback),
            }));
            open.persist()?;
            return Ok(());
        }
        states.push(format!("claim {claim}: {status:?}"));
    }
    bail!(
        "no answer of text request {} is final yet ({}); a claim finalizes once its window has passed with no game open",
        a.request,
        if states.is_empty() {
            "no answers".to_string()
        } else {
            states.join(", ")
        }
    )
}

/// Arguments of `oracle text-status`.
#[derive(clap::Args)]
pub struct TextStatusArgs {
    /// Text request id.
    pub request: u64,
    /// A tokenizer (GGUF file or `.tokenizer.json`) to print the prompt and tokens as text.
    #[arg(long)]
    pub tokenizer: Option<PathBuf>,
    #[command(flatten)]
    pub on: OnChain,
}

pub fn text_status(a: &TextStatusArgs) -> Result<()> {
    let mut open = a.on.chain.open()?;
    let (chain, d) = open.parts();
    let oracle = find_text_oracle(chain, d)?;
    let request = TextRequestId::new(a.request);
    if a.request >= oracle.request_count(chain)? {
        bail!("no text request {} on oracle {}", a.request, oracle.address);
    }
    let st = oracle.status(chain, request)?;
    let r = oracle.get_request(chain, request)?;
    let posted = oracle
        .requests_since(chain, 0)?
        .into_iter()
        .find(|p| p.id == request);
    let tok = match &a.tokenizer {
        Some(p) => load_tokenizer(p, None)?,
        None => None,
    };
    let out = Emit::new(a.on.json);
    out.line(format!("text request {}: {st:?}", a.request));
    out.line(format!("  model:          {}", r.modelId));
    out.line(format!("  requester:      {}", r.requester));
    out.line(format!("  answerer:       {}", r.answerer));
    out.line(format!("  max new tokens: {}", r.maxNewTokens));
    let mut prompt_text = None;
    if let Some(p) = &posted {
        out.line(format!("  prompt:         {:?}", p.prompt));
        if let Some(t) = &tok {
            let text = t.decode(&p.prompt);
            out.line(format!("  prompt text:    {text:?}"));
            prompt_text = Some(text);
        }
    }
    let claims = oracle.claims_of(chain, request)?;
    out.line(format!("  claims:         {claims:?}"));
    let (mut tokens_out, mut text_out) = (None, None);
    if st == RequestStatus::Fulfilled {
        let tokens = oracle.tokens_of(chain, request)?;
        out.line(format!("  tokens:         {tokens:?}"));
        if let Some(t) = &tok {
            let text: Vec<u8> = tokens.iter().flat_map(|&i| t.piece_bytes(i)).collect();
            let text = String::from_utf8_lossy(&text).into_owned();
            out.line(format!("  text:           {text:?}"));
            text_out = Some(text);
        }
        tokens_out = Some(tokens);
    }
    out.object(&serde_json::json!({
        "request_id": a.request,
        "status": crate::cmd_game::snake(&format!("{st:?}")),
        "model_id": r.modelId.to_string(),
        "requester": r.requester.to_string(),
        "answerer": r.answerer.to_string(),
        "max_new_tokens": r.maxNewTokens,
        "prompt_ids": posted.as_ref().map(|p| p.prompt.clone()),
        "prompt_text": prompt_text,
        "claims": claims,
        "tokens": tokens_out,
        "text": text_out,
    }));
    Ok(())
}

/// Arguments of `mint-text`.
#[derive(clap::Args)]
pub struct MintTextArgs {
    /// The LLM whose tokenizer turns the tokens into the token's text (a GGUF file, or a
    /// compiled model with its `.tokenizer.json` beside it).
    pub model: PathBuf,
    /// Mint on a fulfilled text request the sender made: verified at once.
    #[arg(long, conflicts_with = "claim")]
    pub request: Option<u64>,
    /// Mint on a generation claim of the sender's (pending or final): verify() turns true
    /// once the claim is final.
    #[arg(long)]
    pub claim: Option<u64>,
    /// Tokenizer (GGUF file or `.tokenizer.json`); default: the model's.
    #[arg(long)]
    pub tokenizer: Option<PathBuf>,
    #[command(flatten)]
    pub mint: MintTo,
    #[command(flatten)]
    pub on: OnChain,
}

/// The model's text collection (recorded as `AIGCText:<model id>`), deployed if missing with
/// the vocabulary of `tok` (as many tokens as the model's logits).
fn ensure_text_collection(
    chain: &mut dyn Chain,
    d: &mut Deployments,
    from: Address,
    (oracle, game): (&TextOracleClient, &GenClient),
    model: B256,
    tok: &Tokenizer,
    out: Emit,
) -> Result<(AigcTextClient, TextVocab)> {
    let key = format!("{}:{model}", AigcTextClient::NAME);
    let id = chain.chain_id();
    let info = verinfer_chain::view(
        chain,
        from,
        game.address,
        &G::genModelsCall(model),
        "GenerationGame.genModels",
    )?;
    if !info.known {
        bail!("model {model} is not learned by the generation game");
    }
    let vocab = crate::cmd_demo_text::vocab_of(tok, usize::try_from(info.vocab)?)?;
    if let Some(address) = d.get(id, &key) {
        if !chain.code_at(address)?.is_empty() {
            return Ok((AigcTextClient { address }, vocab));
        }
    }
    let (c, r) = AigcTextClient::deploy(
        chain,
        from,
        ("verinfer text", "VTEXT"),
        model_id_of(model),
        oracle.address,
        &vocab,
    )?;
    print_tx(&r);
    out.line(format!("text collection {} deployed", c.address));
    d.set(id, &key, c.address);
    Ok((c, vocab))
}

pub fn mint_text(a: &MintTextArgs) -> Result<()> {
    let out = Emit::new(a.on.json);
    let Some(tok) = load_tokenizer(&a.model, a.tokenizer.as_deref())? else {
        bail!(
            "no tokenizer for {}: pass --tokenizer M.gguf (the token's text is the tokens' pieces)",
            a.model.display()
        );
    };
    let mut open = a.on.chain.open()?;
    let from = open.sender()?;
    let to = a.mint.owner(from)?;
    let (chain, d) = open.parts();
    let oracle = find_text_oracle(chain, d)?;
    let (game, since) = find_generation(chain, d)?;
    let (model, prompt, n, tokens, proof) = match (a.request, a.claim) {
        (Some(req), None) => {
            let id = TextRequestId::new(req);
            if req >= oracle.request_count(chain)? {
                bail!("no text request {req} on oracle {}", oracle.address);
            }
            let r = oracle.get_request(chain, id)?;
            let p = oracle
                .requests_since(chain, 0)?
                .into_iter()
                .find(|p| p.id == id)
                .with_context(|| format!("no TextRequested event of request {req}"))?;
            let tokens = oracle.tokens_of(chain, id)?;
            let n = r.maxNewTokens;
            (r.modelId, p.prompt, n, tokens, TextProof::Request(id))
        }
        (None, Some(claim)) => {
            let info = game.claim_info(chain, claim)?;
            let (prompt, tokens) = posted(chain, &game, since, claim)?;
            let proof = TextProof::Claim {
                claim,
                tokens: tokens.clone(),
            };
            let n = u32::try_from(tokens.len())?;
            (info.modelId, prompt, n, tokens, proof)
        }
        _ => bail!("choose the evidence: --request ID (fulfilled) or --claim ID (yours)"),
    };
    let (collection, vocab) =
        ensure_text_collection(chain, d, from, (&oracle, &game), model, &tok, out)?;
    let text = vocab.text(&tokens)?;
    let prompt = TextPrompt {
        ids: prompt,
        max_new_tokens: n,
    };
    let (token, r) = collection.mint(chain, (from, to), &prompt, &text, &a.mint.uri, &proof)?;
    print_tx(&r);
    let verified = collection.is_verified(chain, token)?;
    out.line(format!("collection {}", collection.address));
    out.line(format!(
        "token {token:#x} minted to {to}: {:?}; verify() = {verified}",
        String::from_utf8_lossy(&text)
    ));
    out.object(&serde_json::json!({
        "collection": collection.address.to_string(),
        "token": format!("{token:#x}"),
        "to": to.to_string(),
        "text": String::from_utf8_lossy(&text),
        "verified": verified,
        "request_id": a.request,
        "claim_id": a.claim,
    }));
    open.record_deployments()?;
    open.persist()?;
    Ok(())
}

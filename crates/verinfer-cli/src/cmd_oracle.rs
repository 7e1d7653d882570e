//! `verinfer oracle …` (deploy, request, status, set-zk) and `verinfer mint` (ERC-7007).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use verinfer_chain::bindings_oracle::InferenceOracle::InferenceOracleEvents;
use verinfer_chain::{Address, Chain, Deployments, Receipt, B256, U256};
use verinfer_commit::ModelCommitment;
use verinfer_ir::Graph;
use verinfer_opml::{
    ensure_opml, find_opml, Execution, OpmlContracts, Submitter, SubmitterStrategy,
};
use verinfer_oracle::{
    AigcClient, AigcProof, OracleClient, OracleParams, RequestStatus, ZkSettings,
};
use verinfer_zk::files::{self, KeyManifest};

use crate::chain_args::OnChain;
use crate::cmd_game::{print_tx, ParamArgs};
use crate::cmd_run::load_input;
use crate::oracle_args::{MintTo, PayArgs};

/// The model id of `g` as the contracts spell it.
pub fn model_b256(g: &Graph) -> B256 {
    verinfer_node::model_id_of(g)
}

fn load_model(p: &Path) -> Result<Graph> {
    verinfer_ir::vmodel::load(p).with_context(|| p.display().to_string())
}

/// The recorded oracle on this chain (its code, and its game's, checked): the node's lookup.
pub fn find_oracle(chain: &mut dyn Chain, d: &Deployments) -> Result<OracleClient> {
    Ok(verinfer_node::Contracts::find(chain, d)?.oracle)
}

/// `oracle` subcommands.
#[derive(clap::Subcommand)]
pub enum OracleCmd {
    /// Deploy the registry, game and oracle (reusing recorded ones with the same code).
    Deploy(DeployArgs),
    /// Request an inference of a registered model (pays the fee).
    Request(RequestArgs),
    /// Show a request: status, claims, outputs.
    Status(StatusArgs),
    /// Model owner: deploy a Groth16 verifier for a key directory and register it for the
    /// model, so nodes may answer with proofs (final at once).
    SetZk(SetZkArgs),
    /// Request text from an LLM (prompt ids or text, N new tokens; greedy) through the text
    /// oracle, deploying it and the generation game where missing.
    TextRequest(crate::cmd_oracle_text::TextRequestArgs),
    /// Answer a text request with the sender's generation claim.
    TextAnswer(crate::cmd_oracle_text::TextAnswerArgs),
    /// Finalize an answering claim whose window passed and settle the text request.
    TextSettle(crate::cmd_oracle_text::TextSettleArgs),
    /// Show a text request: status, prompt, claims, tokens (and text, with --tokenizer).
    TextStatus(crate::cmd_oracle_text::TextStatusArgs),
}

/// Arguments of `oracle deploy`.
#[derive(clap::Args)]
pub struct DeployArgs {
    /// Minimum request fee, wei.
    #[arg(long, default_value_t = 10_000_000_000_000_000)]
    pub fee_wei: u128,
    /// Share of each fee paid to the model owner, basis points.
    #[arg(long, default_value_t = 1000)]
    pub owner_share_bps: u16,
    /// Seconds before an unanswered request may be cancelled.
    #[arg(long, default_value_t = 86_400)]
    pub cancel_delay: u64,
    /// Largest callback gas a request may ask for.
    #[arg(long, default_value_t = 2_000_000)]
    pub max_callback_gas: u64,
    #[command(flatten)]
    pub params: ParamArgs,
    #[command(flatten)]
    pub on: OnChain,
}

/// Deploys (or finds) the oPML contracts and the oracle; returns them.
pub fn ensure_oracle(
    chain: &mut dyn Chain,
    d: &mut Deployments,
    from: Address,
    game: &verinfer_opml::GameParams,
    p: &OracleParams,
) -> Result<(OpmlContracts, OracleClient, Vec<Receipt>)> {
    let (c, mut receipts) = ensure_opml(chain, d, from, game)?;
    let id = chain.chain_id();
    let recorded = d
        .get(id, OracleClient::NAME)
        .and_then(|a| OracleClient::at(chain, a).ok());
    // A recorded oracle is reused only over this game (its immutables).
    let reuse = match recorded {
        Some(o) => (o.registry_and_game(chain)?.1 == c.game.address).then_some(o),
        None => None,
    };
    let oracle = match reuse {
        Some(o) => o,
        None => {
            let (o, r) = OracleClient::deploy(chain, from, c.registry.address, c.game.address, p)?;
            d.set_deployed(id, OracleClient::NAME, o.address, r.block_number);
            receipts.push(r);
            o
        }
    };
    Ok((c, oracle, receipts))
}

pub fn deploy(a: &DeployArgs) -> Result<()> {
    let mut open = a.on.chain.open()?;
    let from = open.sender()?;
    let (chain, d) = open.parts();
    let p = OracleParams {
        fee: U256::from(a.fee_wei),
        owner_share_bps: a.owner_share_bps,
        cancel_delay: a.cancel_delay,
        max_callback_gas: a.max_callback_gas,
    };
    let (c, o, receipts) = ensure_oracle(chain, d, from, &a.params.params(), &p)?;
    receipts.iter().for_each(print_tx);
    if a.on.json {
        json_out::deployed(c.registry.address, c.game.address, o.address);
    } else {
        print_deployed(&c, &o);
    }
    open.record_deployments()?;
    open.persist()?;
    Ok(())
}

fn print_deployed(c: &OpmlContracts, o: &OracleClient) {
    println!("registry: {}", c.registry.address);
    println!("game:     {}", c.game.address);
    println!("oracle:   {}", o.address);
}

/// Arguments of `oracle request`.
#[derive(clap::Args)]
pub struct RequestArgs {
    /// The compiled model (its id is requested; it must be registered).
    #[arg(long)]
    pub model: PathBuf,
    /// Input data (EZKL input.json, one sample).
    #[arg(long)]
    pub input: PathBuf,
    #[command(flatten)]
    pub pay: PayArgs,
    /// The model's zk configuration (`oracle set-zk` prints its version) whose proofs may
    /// answer this request; 0 (the default): answers by optimistic claims only.
    #[arg(long, default_value_t = 0)]
    pub zk_version: u32,
    #[command(flatten)]
    pub on: OnChain,
}

pub fn request(a: &RequestArgs) -> Result<()> {
    let g = load_model(&a.model)?;
    let input = load_input(&g, &a.input)?;
    let mut open = a.on.chain.open()?;
    let from = open.sender()?;
    let (chain, d) = open.parts();
    let oracle = find_oracle(chain, d)?;
    // The oracle checks inputs against what the game learned of the model: teach it first
    // (permissionless, once per model).
    let c = find_opml(chain, d)?;
    let id = model_b256(&g);
    if c.registry.is_registered(chain, id)? {
        let m = verinfer_commit::ModelCommitment::new(&g);
        if let Some(r) = c.game.ensure_learned(chain, from, &g, &m)? {
            if !a.on.json {
                println!("the game learned model {id}");
            }
            print_tx(&r);
        }
    }
    let fee = a.pay.fee(|gas| Ok(oracle.required_fee(chain, gas)?))?;
    let callback = a.pay.callback()?;
    let (id, r) = oracle.request(
        chain,
        from,
        ModelCommitment::new(&g).model_id,
        &input,
        callback,
        a.pay.callback_gas,
        fee,
        a.zk_version,
    )?;
    print_tx(&r);
    if a.on.json {
        json_out::requested(id.index(), model_b256(&g), fee);
        open.persist()?;
        return Ok(());
    }
    println!("request {id} (model {}, fee {fee} wei)", model_b256(&g));
    open.persist()?;
    Ok(())
}

/// Arguments of `oracle status`.
#[derive(clap::Args)]
pub struct StatusArgs {
    /// Request id.
    pub request: u64,
    #[command(flatten)]
    pub on: OnChain,
}

pub fn status(a: &StatusArgs) -> Result<()> {
    let mut open = a.on.chain.open()?;
    let (chain, d) = open.parts();
    let oracle = find_oracle(chain, d)?;
    let request = verinfer_oracle::RequestId::new(a.request);
    let st = oracle.status(chain, request)?;
    if st == RequestStatus::None {
        bail!("no request {} on oracle {}", a.request, oracle.address);
    }
    let r = oracle.get_request(chain, request)?;
    if a.on.json {
        let claims = oracle.claims_of(chain, request)?;
        let outputs = match st {
            RequestStatus::Fulfilled => Some(oracle.outputs_of(chain, request)?),
            _ => None,
        };
        json_out::status(a.request, st, &r, &claims, outputs);
        return Ok(());
    }
    println!("request {}: {st:?}", a.request);
    println!("  model:     {}", r.modelId);
    println!("  requester: {}", r.requester);
    println!("  answerer:  {}", r.answerer);
    println!("  via proof: {}", r.viaProof);
    println!("  claims:    {:?}", oracle.claims_of(chain, request)?);
    if st == RequestStatus::Fulfilled {
        println!("  outputs:   {:?}", oracle.outputs_of(chain, request)?);
    }
    Ok(())
}

/// Arguments of `oracle set-zk`.
#[derive(clap::Args)]
pub struct SetZkArgs {
    /// The compiled model.
    #[arg(long)]
    pub model: PathBuf,
    /// Its key directory (`verinfer setup`, any backend: inputs and outputs public, the
    /// digest statement).
    #[arg(long)]
    pub keys: PathBuf,
    #[command(flatten)]
    pub on: OnChain,
}

/// The oracle's zk settings for a key directory, after deploying its backend's
/// `IProofVerifier` (`EvmVerifiable::deploy_adapter`: whatever contracts that backend needs).
fn zk_settings(
    chain: &mut dyn Chain,
    from: Address,
    dir: &Path,
    m: &KeyManifest,
) -> Result<ZkSettings> {
    let vis = m.visibility().map_err(|e| anyhow::anyhow!(e))?;
    if vis.input != verinfer_zk::Vis::Public || vis.output != verinfer_zk::Vis::Public {
        bail!("the oracle needs public inputs and outputs; these keys are for {vis}");
    }
    if vis.statement != verinfer_zk::Statement::Digest {
        bail!(
            "the oracle (ABI v4) verifies the digest statement through IProofVerifier; these \
             keys are for {vis}: set up again with statement=digest"
        );
    }
    let backend = crate::cmd_zk::backend_of(m)?;
    let vk = backend.read_verifying_key(&files::read_verifying_key_bytes(dir)?)?;
    let (verifier, receipts) = verinfer_oracle::deploy_adapter(chain, from, backend.as_ref(), &vk)?;
    receipts.iter().for_each(print_tx);
    let param_hash = match &m.param_hash {
        Some(h) => Some(U256::from_be_slice(
            &files::parse_hex(h).map_err(|e| anyhow::anyhow!("param hash: {e}"))?,
        )),
        None => None,
    };
    let bits = |w: u32| u8::try_from(w).context("packing width");
    Ok(ZkSettings {
        verifier,
        input_bits: bits(m.input_width)?,
        output_bits: bits(m.output_width)?,
        param_hash,
    })
}

pub fn set_zk(a: &SetZkArgs) -> Result<()> {
    let g = load_model(&a.model)?;
    let m = files::load_manifest(&a.keys)?;
    let id = ModelCommitment::new(&g).model_id.to_string();
    if m.model_id != id {
        bail!("the keys are for model {}, not {id}", m.model_id);
    }
    let mut open = a.on.chain.open()?;
    let from = open.sender()?;
    let (chain, d) = open.parts();
    let oracle = find_oracle(chain, d)?;
    let s = zk_settings(chain, from, &a.keys, &m)?;
    let r = oracle.set_zk_verifier(chain, from, ModelCommitment::new(&g).model_id, &s)?;
    print_tx(&r);
    // The version requests pin (`oracle request --zk-version N`), as the receipt's event says.
    let version = oracle
        .receipt_events(&r)
        .into_iter()
        .find_map(|e| match e {
            InferenceOracleEvents::ZkVerifierSet(ev) => Some(ev.version),
            _ => None,
        })
        .context("the InferenceOracle.setZkVerifier receipt carries no ZkVerifierSet event")?;
    let out = crate::emit::Emit::new(a.on.json);
    out.line(format!(
        "model {id}: zk configuration version {version}: zk answers verified by {}",
        s.verifier
    ));
    out.object(&serde_json::json!({
        "model_id": id,
        "version": version,
        "verifier": s.verifier.to_string(),
        "input_bits": s.input_bits,
        "output_bits": s.output_bits,
    }));
    open.persist()?;
    Ok(())
}

/// Arguments of `mint`.
#[derive(clap::Args)]
pub struct MintArgs {
    /// The prompt: model input (EZKL input.json, one sample).
    #[arg(long)]
    pub prompt: PathBuf,
    /// The compiled model.
    #[arg(long)]
    pub model: PathBuf,
    /// Mint on an oracle request the sender made, fulfilled (by a final claim or a zk proof)
    /// with the model's output on the prompt: verified at once.
    #[arg(long, conflicts_with = "op")]
    pub request: Option<u64>,
    /// Refused with an explanation: a zk proof names no minter (anyone who saw it could mint
    /// with it), so zk answers are minted through their oracle request (`--request`).
    #[arg(long, conflicts_with_all = ["op", "request"])]
    pub zk: bool,
    /// Mint on an optimistic claim of the sender's that posted the prompt: verify() turns
    /// true once the claim is final.
    #[arg(long)]
    pub op: bool,
    /// With --op: an existing claim on this prompt (default: post one now).
    #[arg(long, requires = "op")]
    pub claim: Option<u64>,
    #[command(flatten)]
    pub mint: MintTo,
    #[command(flatten)]
    pub on: OnChain,
}

/// The model's AIGC collection (recorded as `AIGC:<model id>`), deployed if missing.
pub fn ensure_collection(
    chain: &mut dyn Chain,
    d: &mut Deployments,
    from: Address,
    oracle: &OracleClient,
    g: &Graph,
    out: crate::emit::Emit,
) -> Result<(AigcClient, Option<Receipt>)> {
    let key = format!("AIGC:{}", model_b256(g));
    let id = chain.chain_id();
    if let Some(addr) = d.get(id, &key) {
        if !chain.code_at(addr)?.is_empty() {
            return Ok((AigcClient { address: addr }, None));
        }
    }
    // The collection trusts the model's zk configuration published now (none: 0).
    let zk_version = oracle
        .zk_config(chain, ModelCommitment::new(g).model_id)?
        .map_or(0, |(_, v)| v);
    let ins: Vec<usize> = g.inputs.iter().map(|s| s.info.shape.numel()).collect();
    let outs: Vec<usize> = g
        .outputs
        .iter()
        .map(|o| g.value_info(o.value).map_or(0, |i| i.shape.numel()))
        .collect();
    let (c, r) = AigcClient::deploy(
        chain,
        from,
        &format!("verinfer {}", g.name),
        "VAIGC",
        ModelCommitment::new(g).model_id,
        oracle.address,
        &ins,
        &outs,
        zk_version,
    )?;
    out.line(format!(
        "collection {} deployed (zk configuration trusted by verify(): {})",
        c.address,
        if zk_version == 0 {
            "none".to_string()
        } else {
            format!("version {zk_version}")
        }
    ));
    d.set(id, &key, c.address);
    Ok((c, Some(r)))
}

pub fn mint(a: &MintArgs) -> Result<()> {
    if a.zk {
        bail!(
            "a zk proof names no minter, so anyone who saw it could mint with it: request the \
             inference through the oracle (`verinfer oracle request --zk-version N`) and mint \
             with `--request ID` once it is fulfilled"
        );
    }
    if a.request.is_none() && !a.op {
        bail!("choose how the output is verified: --request ID or --op");
    }
    let out = crate::emit::Emit::new(a.on.json);
    let g = load_model(&a.model)?;
    let input = load_input(&g, &a.prompt)?;
    let exec = Execution::run(g.clone(), &input)?;
    let outputs: Vec<Vec<i32>> = g
        .outputs
        .iter()
        .map(|o| exec.values()[o.value.index()].clone())
        .collect();
    let mut open = a.on.chain.open()?;
    let from = open.sender()?;
    let to = a.mint.owner(from)?;
    let (chain, d) = open.parts();
    let oracle = find_oracle(chain, d)?;
    let (collection, r) = ensure_collection(chain, d, from, &oracle, &g, out)?;
    r.iter().for_each(print_tx);
    let proof = if let Some(req) = a.request {
        AigcProof::Request(verinfer_oracle::RequestId::new(req))
    } else {
        let claim = match a.claim {
            Some(c) => c,
            None => {
                let c = find_opml(chain, d)?;
                let mut s = Submitter::new(exec, from, SubmitterStrategy::Honest);
                s.publish_inputs = true;
                for r in verinfer_opml::simulate::prepare_model(chain, &c.registry, &c.game, &s)? {
                    print_tx(&r);
                }
                let cfg = c.game.config(chain)?;
                let (claim, r) = s.claim(chain, &c.game, &cfg)?;
                print_tx(&r);
                out.line(format!("claim {claim} posted"));
                // Keep the trace: without it the claim could not be defended. The claim is
                // posted (and its bond paid) whatever happens to the file.
                let path = Path::new(".verinfer/traces").join(format!("claim-{claim}.trace"));
                verinfer_commit::trace_file::save(&path, s.exec.model().model_id, s.exec.values())
                    .with_context(|| {
                        format!("claim {claim} is posted, but keeping its trace failed")
                    })?;
                out.line(format!(
                    "trace kept in {} (`verinfer defend --claim {claim}` answers games)",
                    path.display()
                ));
                claim
            }
        };
        AigcProof::Opml(claim)
    };
    let (token, r) = collection.mint(chain, from, to, &input, &outputs, &a.mint.uri, &proof)?;
    print_tx(&r);
    let verified = collection.is_verified(chain, token)?;
    out.line(format!("collection {}", collection.address));
    out.line(format!(
        "token {token:#x} minted to {to}; verify() = {verified}"
    ));
    let claim = match &proof {
        AigcProof::Opml(c) => Some(*c),
        _ => None,
    };
    out.object(&serde_json::json!({
        "collection": collection.address.to_string(),
        "token": format!("{token:#x}"),
        "to": to.to_string(),
        "verified": verified,
        "request_id": a.request,
        "claim_id": claim,
    }));
    open.record_deployments()?;
    open.persist()?;
    Ok(())
}

/// `--json` of `oracle deploy|request|status`: one object on stdout.
mod json_out {
    use verinfer_chain::bindings_oracle::InferenceOracle::Request;
    use verinfer_chain::{Address, B256, U256};
    use verinfer_oracle::RequestStatus;

    use crate::cmd_game::snake;

    /// `oracle deploy --json`: `{"registry", "game", "oracle"}`.
    pub fn deployed(registry: Address, game: Address, oracle: Address) {
        let v = serde_json::json!({
            "registry": registry.to_string(),
            "game": game.to_string(),
            "oracle": oracle.to_string(),
        });
        println!("{v}");
    }

    /// `oracle request --json`: `{"request_id", "model_id", "fee_wei"}` (fee as a decimal
    /// string: wei overflow JSON numbers).
    pub fn requested(id: u64, model: B256, fee: U256) {
        let v = serde_json::json!({
            "request_id": id,
            "model_id": model.to_string(),
            "fee_wei": fee.to_string(),
        });
        println!("{v}");
    }

    /// `oracle status --json`: `{"request_id", "status", "model_id", "requester", "answerer",
    /// "via_proof", "claims", "outputs"}` (`outputs`: when fulfilled, else null).
    pub fn status(
        id: u64,
        st: RequestStatus,
        r: &Request,
        claims: &[u64],
        outputs: Option<Vec<Vec<i32>>>,
    ) {
        let v = serde_json::json!({
            "request_id": id,
            "status": snake(&format!("{st:?}")),
            "model_id": r.modelId.to_string(),
            "requester": r.requester.to_string(),
            "answerer": r.answerer.to_string(),
            "via_proof": r.viaProof,
            "claims": claims,
            "outputs": outputs,
        });
        println!("{v}");
    }
}

//! `verinfer register`: put a compiled model's id into the on-chain `ModelRegistry`,
//! deploying the registry first if this chain has none.

use std::path::PathBuf;

use anyhow::{Context, Result};
use serde::Serialize;
use verinfer_chain::{register_model, Address, Receipt, B256};

use crate::chain_args::OnChain;

/// Arguments of `register`.
#[derive(clap::Args)]
pub struct Args {
    /// Compiled model.
    pub model: PathBuf,
    /// Where others can fetch the model (default: a file:// URL of MODEL).
    #[arg(long)]
    pub uri: Option<String>,
    /// Use the registry at this address instead of the recorded (or a fresh) one.
    #[arg(long)]
    pub registry: Option<Address>,
    #[command(flatten)]
    pub on: OnChain,
}

#[derive(Serialize)]
struct TxOut {
    label: String,
    tx_hash: B256,
    gas_used: u64,
    block: u64,
}

impl From<&Receipt> for TxOut {
    fn from(r: &Receipt) -> Self {
        Self {
            label: r.label.clone(),
            tx_hash: r.tx_hash,
            gas_used: r.gas_used,
            block: r.block_number,
        }
    }
}

#[derive(Serialize)]
struct Out {
    chain: String,
    registry: Address,
    model_id: B256,
    already_registered: bool,
    owner: Address,
    registered_at: u64,
    uri: String,
    transactions: Vec<TxOut>,
}

pub fn run(a: &Args) -> Result<()> {
    let graph = verinfer_ir::vmodel::load(&a.model)
        .with_context(|| format!("loading {}", a.model.display()))?;
    let model_id = verinfer_node::model_id_of(&graph);
    let uri = match &a.uri {
        Some(u) => u.clone(),
        None => {
            let abs = std::fs::canonicalize(&a.model)?;
            format!("file://{}", abs.display())
        }
    };
    let mut open = a.on.chain.open()?;
    let from = open.sender()?;
    let (chain, deployments) = open.parts();
    let reg = register_model(chain, deployments, from, a.registry, model_id, &uri);
    // A registry deployed before a failed registration is recorded all the same.
    open.record_deployments()?;
    let reg = reg?;
    let describe = open.chain().describe();
    open.persist()?;
    let already = reg.already_registered;
    let record = reg.record;

    let out = Out {
        chain: describe,
        registry: reg.registry.address,
        model_id,
        already_registered: already,
        owner: record.owner,
        registered_at: record.registered_at,
        uri: record.uri,
        transactions: reg.receipts.iter().map(TxOut::from).collect(),
    };
    if a.on.json {
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    println!("chain:      {}", out.chain);
    println!("registry:   {}", out.registry);
    for t in &out.transactions {
        println!(
            "tx:         {} — gas {} (block {}, {})",
            t.label, t.gas_used, t.block, t.tx_hash
        );
    }
    println!("model id:   {}", out.model_id);
    if already {
        println!("status:     already registered (nothing sent)");
    } else {
        println!("status:     registered");
    }
    println!("owner:      {}", out.owner);
    println!("registered: block time {}", out.registered_at);
    println!("uri:        {}", out.uri);
    Ok(())
}

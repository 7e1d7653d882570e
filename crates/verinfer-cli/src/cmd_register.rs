//! `verinfer register`: put a compiled model's id into the on-chain `ModelRegistry`,
//! deploying the registry first if this chain has none.

use std::path::PathBuf;

use anyhow::{Context, Result};
use serde::Serialize;
use verinfer_chain::bindings::ModelRegistry;
use verinfer_chain::{ensure_deployed, Address, Receipt, Registry, B256};

use crate::chain_args::ChainArgs;

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
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub chain: ChainArgs,
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
    let mut open = a.chain.open()?;
    let from = open.sender()?;
    let mut txs = Vec::new();
    let registry = match a.registry {
        Some(addr) => Registry::at(open.chain(), addr)?,
        None => {
            let (chain, deployments) = open.parts();
            let (address, receipt) = ensure_deployed(
                chain,
                deployments,
                Registry::NAME,
                &ModelRegistry::BYTECODE,
                &ModelRegistry::DEPLOYED_BYTECODE,
                from,
            )?;
            txs.extend(receipt.as_ref().map(TxOut::from));
            open.record_deployments()?;
            Registry { address }
        }
    };
    let chain = open.chain();
    let describe = chain.describe();
    let already = registry.is_registered(chain, model_id)?;
    if !already {
        let r = registry.register(chain, from, model_id, &uri)?;
        txs.push(TxOut::from(&r));
    }
    let record = registry.model(chain, model_id)?;
    open.persist()?;

    let out = Out {
        chain: describe,
        registry: registry.address,
        model_id,
        already_registered: already,
        owner: record.owner,
        registered_at: record.registered_at,
        uri: record.uri,
        transactions: txs,
    };
    if a.json {
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

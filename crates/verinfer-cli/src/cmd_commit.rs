//! `verinfer commit`: the model id of a compiled model.

use std::path::PathBuf;

use anyhow::Result;
use serde::Serialize;
use verinfer_commit::{Hash32, ModelCommitment, ModelId};
use verinfer_ir::ParamKind;

/// Arguments of `commit`.
#[derive(clap::Args)]
pub struct Args {
    /// Compiled model.
    pub model: PathBuf,
    /// Print the graph digest and every parameter's root as JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Serialize)]
struct ParamOut<'a> {
    name: &'a str,
    kind: ParamKind,
    len: usize,
    root: Hash32,
}

#[derive(Serialize)]
struct Out<'a> {
    model_id: ModelId,
    graph_digest: Hash32,
    params: Vec<ParamOut<'a>>,
}

pub fn run(a: &Args) -> Result<()> {
    let g = verinfer_ir::vmodel::load(&a.model)?;
    let m = ModelCommitment::new(&g);
    if !a.json {
        println!("{}", m.model_id);
        return Ok(());
    }
    let out = Out {
        model_id: m.model_id,
        graph_digest: m.graph_digest,
        params: g
            .params
            .iter()
            .zip(&m.param_roots)
            .map(|(p, &root)| ParamOut {
                name: &p.name,
                kind: p.kind,
                len: p.data.len(),
                root,
            })
            .collect(),
    };
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}

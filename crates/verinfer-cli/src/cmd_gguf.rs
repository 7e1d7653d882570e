//! `verinfer gguf`: what a llama.cpp model file holds (`info`) and its tokenizer
//! (`tokenize`, `detokenize`), read by verinfer's own GGUF reader.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use verinfer_gguf::{GgufFile, LlamaConfig, Tokenizer, Value};

/// `verinfer gguf …`.
#[derive(clap::Subcommand)]
pub enum GgufCmd {
    /// Header, metadata, hyper-parameters (for `llama` models, checked against every tensor's
    /// shape) and the tensor directory.
    Info {
        /// The GGUF file.
        model: PathBuf,
        /// Also list every tensor (name, type, shape innermost first, bytes).
        #[arg(long)]
        tensors: bool,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Token ids of a text, by the file's own tokenizer.
    Tokenize {
        /// The GGUF file.
        model: PathBuf,
        /// The text.
        text: String,
        /// Put the BOS token first when the model asks for it.
        #[arg(long)]
        bos: bool,
        /// Print `{"ids": [...]}`.
        #[arg(long)]
        json: bool,
    },
    /// The text of token ids.
    Detokenize {
        /// The GGUF file.
        model: PathBuf,
        /// Token ids.
        #[arg(required = true, num_args = 1..)]
        ids: Vec<u32>,
        /// Print `{"text": ...}`.
        #[arg(long)]
        json: bool,
    },
}

fn open(p: &Path) -> Result<GgufFile> {
    GgufFile::open(p).with_context(|| format!("reading {}", p.display()))
}

fn short(v: &Value) -> String {
    match v {
        Value::Array(a) => format!(
            "[{} {}]",
            a.len(),
            a.first().map_or("values", Value::type_name)
        ),
        Value::String(s) if s.len() > 60 => format!("{:?}…", &s[..s.floor_char_boundary(60)]),
        Value::String(s) => format!("{s:?}"),
        other => format!("{other:?}")
            .split_once('(')
            .map_or(String::new(), |(_, x)| x.trim_end_matches(')').to_string()),
    }
}

/// `gguf info --json`: the same facts as the text, as one object.
fn info_json(f: &GgufFile, tensors: bool) -> Result<serde_json::Value> {
    let d = f.directory();
    let llama = if f.architecture().ok() == Some("llama") {
        let c = LlamaConfig::from_gguf(f)?;
        serde_json::json!({
            "layers": c.n_layer, "width": c.n_embd, "heads": c.n_head,
            "kv_heads": c.n_head_kv, "head_width": c.head_dim(), "feed_forward": c.n_ff,
            "vocabulary": c.n_vocab, "context": c.n_ctx, "tied_output": c.tied_output,
        })
    } else {
        serde_json::Value::Null
    };
    let metadata: serde_json::Map<String, serde_json::Value> = d
        .metadata
        .iter()
        .map(|(k, v)| (k.clone(), short(v).into()))
        .collect();
    let mut j = serde_json::json!({
        "version": d.version,
        "metadata": metadata,
        "tensor_count": d.tensors.len(),
        "data_start": d.data_start,
        "alignment": d.alignment,
        "llama": llama,
        "parameters": d.tensors.iter().map(verinfer_gguf::TensorInfo::numel).sum::<u64>(),
        "tensor_bytes": d.tensors.iter().map(|t| t.len).sum::<usize>(),
    });
    if let (true, Some(o)) = (tensors, j.as_object_mut()) {
        let list: Vec<_> = d
            .tensors
            .iter()
            .map(|t| {
                serde_json::json!({
                    "name": t.name, "type": t.ty.to_string(), "dims": t.dims, "bytes": t.len,
                })
            })
            .collect();
        o.insert("tensors".into(), list.into());
    }
    Ok(j)
}

/// Runs a `gguf` subcommand.
pub fn run(cmd: &GgufCmd) -> Result<()> {
    match cmd {
        GgufCmd::Info {
            model,
            tensors,
            json: true,
        } => {
            let j = info_json(&open(model)?, *tensors)?;
            println!("{}", serde_json::to_string_pretty(&j)?);
        }
        GgufCmd::Info { model, tensors, .. } => {
            let f = open(model)?;
            let d = f.directory();
            println!(
                "GGUF v{}: {} metadata entries, {} tensors, data at byte {} (alignment {})",
                d.version,
                d.metadata.len(),
                d.tensors.len(),
                d.data_start,
                d.alignment
            );
            for (k, v) in &d.metadata {
                println!("  {k} = {}", short(v));
            }
            if f.architecture().ok() == Some("llama") {
                let c = LlamaConfig::from_gguf(&f)?;
                println!(
                    "llama: {} layers, width {}, {} heads ({} key/value, head width {}), feed-forward {}, vocabulary {}, context {}{}",
                    c.n_layer,
                    c.n_embd,
                    c.n_head,
                    c.n_head_kv,
                    c.head_dim(),
                    c.n_ff,
                    c.n_vocab,
                    c.n_ctx,
                    if c.tied_output { ", output tied to the embedding" } else { "" }
                );
                println!("  every tensor present with the shape the hyper-parameters give");
            }
            let params: u64 = d.tensors.iter().map(verinfer_gguf::TensorInfo::numel).sum();
            let bytes: usize = d.tensors.iter().map(|t| t.len).sum();
            println!("{params} parameters in {bytes} bytes of tensor data");
            if *tensors {
                for t in &d.tensors {
                    println!(
                        "  {:<32} {:>6} {:?} {} bytes",
                        t.name,
                        t.ty.to_string(),
                        t.dims,
                        t.len
                    );
                }
            }
        }
        GgufCmd::Tokenize {
            model,
            text,
            bos,
            json,
        } => {
            let t = Tokenizer::from_gguf(&open(model)?)?;
            let mut ids = Vec::new();
            if *bos && t.adds_bos() {
                ids.extend(t.bos());
            }
            ids.extend(t.encode(text)?);
            if *json {
                println!("{}", serde_json::json!({ "ids": ids }));
                return Ok(());
            }
            println!(
                "{}",
                ids.iter().map(u32::to_string).collect::<Vec<_>>().join(" ")
            );
        }
        GgufCmd::Detokenize { model, ids, json } => {
            let t = Tokenizer::from_gguf(&open(model)?)?;
            if let Some(bad) = ids.iter().find(|&&i| i as usize >= t.len()) {
                anyhow::bail!(
                    "token id {bad} is not in the vocabulary of {} tokens",
                    t.len()
                );
            }
            let text = t.decode(ids);
            if *json {
                println!("{}", serde_json::json!({ "text": text }));
            } else {
                println!("{text}");
            }
        }
    }
    Ok(())
}

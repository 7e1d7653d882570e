//! Hugging Face LLaMA checkpoints: `config.json` and `*.safetensors` (one file, or shards
//! listed by `model.safetensors.index.json`), in f32, f16 or bf16, memory-mapped.
//!
//! Hugging Face and llama.cpp disagree on one convention: Hugging Face's RoPE rotates the two
//! halves of a head (`rotate_half`), llama.cpp's rotates adjacent pairs, and llama.cpp's
//! converter permutes the rows of Q and K so that the two agree. verinfer's step graph uses
//! llama.cpp's convention, so this importer applies the same permutation to `q_proj` (over the
//! query heads) and `k_proj` (over the key/value heads): head row `half·(d/2) + i` becomes row
//! `2i + half`. Everything else is a renaming.

use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use memmap2::Mmap;
use safetensors::{Dtype, SafeTensors};
use serde::Deserialize;
use verinfer_gguf::LlamaConfig;

use crate::error::LlmError;
use crate::weights::{RealTensor, WeightSource};

/// The keys of a `LlamaForCausalLM` `config.json` the step graph needs.
#[derive(Clone, Debug, Deserialize)]
struct HfConfig {
    #[serde(default)]
    architectures: Vec<String>,
    #[serde(default)]
    model_type: Option<String>,
    vocab_size: u64,
    hidden_size: u64,
    intermediate_size: u64,
    num_hidden_layers: u64,
    num_attention_heads: u64,
    num_key_value_heads: Option<u64>,
    #[serde(default = "default_ctx")]
    max_position_embeddings: u64,
    #[serde(default = "default_eps")]
    rms_norm_eps: f64,
    #[serde(default = "default_theta")]
    rope_theta: f64,
    #[serde(default)]
    tie_word_embeddings: bool,
    #[serde(default)]
    rope_scaling: Option<serde_json::Value>,
    #[serde(default)]
    head_dim: Option<u64>,
}

fn default_ctx() -> u64 {
    2048
}
fn default_eps() -> f64 {
    1e-6
}
fn default_theta() -> f64 {
    10_000.0
}

fn bad(why: impl Into<String>) -> LlmError {
    LlmError::BadModel(why.into())
}

impl HfConfig {
    fn to_llama(&self) -> Result<LlamaConfig, LlmError> {
        let arch_ok = self
            .model_type
            .as_deref()
            .is_none_or(|t| t == "llama" || t == "mistral")
            && self
                .architectures
                .iter()
                .all(|a| a == "LlamaForCausalLM" || a == "MistralForCausalLM");
        if !arch_ok {
            return Err(bad(format!(
                "config.json: model_type {:?} / architectures {:?} are not a LLaMA-family causal LM",
                self.model_type, self.architectures
            )));
        }
        if self.rope_scaling.as_ref().is_some_and(|v| !v.is_null()) {
            return Err(bad("config.json: rope_scaling is not supported"));
        }
        let (e, h) = (self.hidden_size, self.num_attention_heads);
        if h == 0 || e == 0 || e % h != 0 {
            return Err(bad(format!(
                "config.json: {h} attention heads do not divide hidden_size {e}"
            )));
        }
        if self.head_dim.is_some_and(|d| d != e / h) {
            return Err(bad(
                "config.json: a head_dim other than hidden_size / heads is not supported",
            ));
        }
        let kv = self.num_key_value_heads.unwrap_or(h);
        if kv == 0 || h % kv != 0 {
            return Err(bad(format!(
                "config.json: {kv} key/value heads do not divide {h} heads"
            )));
        }
        if !(self.rms_norm_eps > 0.0 && self.rms_norm_eps < 1.0) {
            return Err(bad(format!(
                "config.json: rms_norm_eps {}",
                self.rms_norm_eps
            )));
        }
        if !(self.rope_theta > 1.0 && self.rope_theta.is_finite()) {
            return Err(bad(format!("config.json: rope_theta {}", self.rope_theta)));
        }
        Ok(LlamaConfig {
            n_vocab: self.vocab_size,
            n_ctx: self.max_position_embeddings,
            n_embd: e,
            n_layer: self.num_hidden_layers,
            n_ff: self.intermediate_size,
            n_head: h,
            n_head_kv: kv,
            n_rot: e / h,
            rms_eps: self.rms_norm_eps,
            rope_base: self.rope_theta,
            tied_output: self.tie_word_embeddings,
        })
    }
}

/// A Hugging Face checkpoint directory, memory-mapped.
pub struct HfWeights {
    config: LlamaConfig,
    maps: Vec<Mmap>,
    /// Tensor name → index of the file holding it.
    index: HashMap<String, usize>,
}

fn io(p: &Path) -> impl FnOnce(std::io::Error) -> LlmError + '_ {
    move |e| bad(format!("{}: {e}", p.display()))
}

impl HfWeights {
    /// Opens `dir` (`config.json` and the safetensors files) and checks every tensor the
    /// configuration implies is present with its shape and a float type.
    ///
    /// # Errors
    /// [`LlmError::BadModel`] naming the file, key or tensor.
    pub fn open(dir: &Path) -> Result<Self, LlmError> {
        let cp = dir.join("config.json");
        let text = std::fs::read_to_string(&cp).map_err(io(&cp))?;
        let hc: HfConfig =
            serde_json::from_str(&text).map_err(|e| bad(format!("{}: {e}", cp.display())))?;
        let config = hc.to_llama()?;
        let ip = dir.join("model.safetensors.index.json");
        let files: Vec<PathBuf> = if ip.exists() {
            let t = std::fs::read_to_string(&ip).map_err(io(&ip))?;
            let v: serde_json::Value =
                serde_json::from_str(&t).map_err(|e| bad(format!("{}: {e}", ip.display())))?;
            let map = v
                .get("weight_map")
                .and_then(serde_json::Value::as_object)
                .ok_or_else(|| bad(format!("{}: no weight_map", ip.display())))?;
            let mut f: Vec<String> = map
                .values()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect();
            f.sort();
            f.dedup();
            if f.iter().any(|n| n.contains('/') || n.contains("..")) {
                return Err(bad(format!(
                    "{}: a shard name leaves the directory",
                    ip.display()
                )));
            }
            f.into_iter().map(|n| dir.join(n)).collect()
        } else {
            vec![dir.join("model.safetensors")]
        };
        let mut maps = Vec::with_capacity(files.len());
        let mut index = HashMap::new();
        for (i, p) in files.iter().enumerate() {
            let file = File::open(p).map_err(io(p))?;
            let m = verinfer_gguf::mmap::map(&file).map_err(io(p))?;
            let st =
                SafeTensors::deserialize(&m).map_err(|e| bad(format!("{}: {e}", p.display())))?;
            for name in st.names() {
                index.insert(name.to_string(), i);
            }
            maps.push(m);
        }
        let w = Self {
            config,
            maps,
            index,
        };
        for (name, shape) in w.expected() {
            let t = w.raw(&name)?;
            if t.0 != shape {
                return Err(bad(format!(
                    "tensor {name} has shape {:?}, config.json implies {shape:?}",
                    t.0
                )));
            }
        }
        Ok(w)
    }

    fn expected(&self) -> Vec<(String, Vec<usize>)> {
        let c = &self.config;
        let u = |v: u64| usize::try_from(v).unwrap_or(usize::MAX);
        let (e, kv, ff, v) = (u(c.n_embd), u(c.n_embd_kv()), u(c.n_ff), u(c.n_vocab));
        let mut t = vec![("model.embed_tokens.weight".to_string(), vec![v, e])];
        for l in 0..c.n_layer {
            let p = |s: &str| format!("model.layers.{l}.{s}.weight");
            t.extend([
                (p("input_layernorm"), vec![e]),
                (p("self_attn.q_proj"), vec![e, e]),
                (p("self_attn.k_proj"), vec![kv, e]),
                (p("self_attn.v_proj"), vec![kv, e]),
                (p("self_attn.o_proj"), vec![e, e]),
                (p("post_attention_layernorm"), vec![e]),
                (p("mlp.gate_proj"), vec![ff, e]),
                (p("mlp.up_proj"), vec![ff, e]),
                (p("mlp.down_proj"), vec![e, ff]),
            ]);
        }
        t.push(("model.norm.weight".to_string(), vec![e]));
        if !c.tied_output {
            t.push(("lm_head.weight".to_string(), vec![v, e]));
        }
        t
    }

    /// Shape and values of a tensor by its Hugging Face name.
    fn raw(&self, name: &str) -> Result<(Vec<usize>, Vec<f64>), LlmError> {
        let i = *self
            .index
            .get(name)
            .ok_or_else(|| bad(format!("tensor {name} is missing")))?;
        let st =
            SafeTensors::deserialize(&self.maps[i]).map_err(|e| bad(format!("{name}: {e}")))?;
        let t = st.tensor(name).map_err(|e| bad(format!("{name}: {e}")))?;
        let d = t.data();
        let vals: Vec<f64> = match t.dtype() {
            Dtype::F32 => d
                .chunks_exact(4)
                .map(|b| f64::from(f32::from_le_bytes([b[0], b[1], b[2], b[3]])))
                .collect(),
            Dtype::F16 => d
                .chunks_exact(2)
                .map(|b| f64::from(half::f16::from_le_bytes([b[0], b[1]])))
                .collect(),
            Dtype::BF16 => d
                .chunks_exact(2)
                .map(|b| f64::from(half::bf16::from_le_bytes([b[0], b[1]])))
                .collect(),
            other => {
                return Err(bad(format!(
                    "tensor {name} is {other:?}; f32, f16 and bf16 are supported"
                )))
            }
        };
        Ok((t.shape().to_vec(), vals))
    }
}

/// llama.cpp's Q/K row permutation for `heads` heads: head row `half·(d/2) + i` → `2i + half`.
#[must_use]
pub fn permute_rope_rows(w: &[f64], heads: usize, cols: usize) -> Vec<f64> {
    let rows = w.len() / cols.max(1);
    let hd = rows / heads.max(1);
    let mut out = vec![0.0; w.len()];
    for h in 0..heads {
        for half in 0..2 {
            for i in 0..hd / 2 {
                let src = h * hd + half * (hd / 2) + i;
                let dst = h * hd + 2 * i + half;
                out[dst * cols..(dst + 1) * cols].copy_from_slice(&w[src * cols..(src + 1) * cols]);
            }
        }
    }
    out
}

impl WeightSource for HfWeights {
    fn config(&self) -> &LlamaConfig {
        &self.config
    }

    fn tensor(&self, name: &str) -> Result<RealTensor, LlmError> {
        let c = &self.config;
        let u = |v: u64| usize::try_from(v).unwrap_or(usize::MAX);
        let hf = match name {
            "token_embd.weight" => "model.embed_tokens.weight".to_string(),
            "output_norm.weight" => "model.norm.weight".to_string(),
            "output.weight" => "lm_head.weight".to_string(),
            other => {
                let rest = other
                    .strip_prefix("blk.")
                    .and_then(|r| r.split_once('.'))
                    .ok_or_else(|| bad(format!("no Hugging Face tensor for {other}")))?;
                let part = match rest.1 {
                    "attn_norm.weight" => "input_layernorm",
                    "attn_q.weight" => "self_attn.q_proj",
                    "attn_k.weight" => "self_attn.k_proj",
                    "attn_v.weight" => "self_attn.v_proj",
                    "attn_output.weight" => "self_attn.o_proj",
                    "ffn_norm.weight" => "post_attention_layernorm",
                    "ffn_gate.weight" => "mlp.gate_proj",
                    "ffn_up.weight" => "mlp.up_proj",
                    "ffn_down.weight" => "mlp.down_proj",
                    _ => return Err(bad(format!("no Hugging Face tensor for {other}"))),
                };
                format!("model.layers.{}.{part}.weight", rest.0)
            }
        };
        let (shape, mut data) = self.raw(&hf)?;
        let cols = shape.get(1).copied().unwrap_or(1);
        if name.ends_with("attn_q.weight") {
            data = permute_rope_rows(&data, u(c.n_head), cols);
        } else if name.ends_with("attn_k.weight") {
            data = permute_rope_rows(&data, u(c.n_head_kv), cols);
        }
        Ok(RealTensor { shape, data })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hugging Face's RoPE (`rotate_half`) on un-permuted rows gives the same attention scores
    /// as llama.cpp's adjacent-pair RoPE on rows permuted by [`permute_rope_rows`].
    #[test]
    fn permuted_rows_make_adjacent_pair_rope_equal_rotate_half() {
        let (heads, hd, cols) = (3usize, 8usize, 5usize);
        let mut s = 0x1234_5678_u64;
        let mut r = || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            #[allow(clippy::cast_precision_loss)]
            let v = (s % 2001) as f64 / 1000.0 - 1.0;
            v
        };
        let wq: Vec<f64> = (0..heads * hd * cols).map(|_| r()).collect();
        let wk: Vec<f64> = (0..heads * hd * cols).map(|_| r()).collect();
        let x: Vec<f64> = (0..cols).map(|_| r()).collect();
        let y: Vec<f64> = (0..cols).map(|_| r()).collect();
        let mv = |w: &[f64], v: &[f64]| -> Vec<f64> {
            w.chunks(cols)
                .map(|row| row.iter().zip(v).map(|(a, b)| a * b).sum())
                .collect()
        };
        let theta = |i: usize, pos: f64| crate::step::rope_theta(10_000.0, i, hd) * pos;
        let hf_rope = |q: &[f64], pos: f64| -> Vec<f64> {
            let mut o = q.to_vec();
            for h in 0..heads {
                for i in 0..hd / 2 {
                    let (a, b) = (q[h * hd + i], q[h * hd + i + hd / 2]);
                    let (sn, cs) = theta(i, pos).sin_cos();
                    o[h * hd + i] = a * cs - b * sn;
                    o[h * hd + i + hd / 2] = b * cs + a * sn;
                }
            }
            o
        };
        let gg_rope = |q: &[f64], pos: f64| -> Vec<f64> {
            let mut o = q.to_vec();
            for h in 0..heads {
                for i in 0..hd / 2 {
                    let (a, b) = (q[h * hd + 2 * i], q[h * hd + 2 * i + 1]);
                    let (sn, cs) = theta(i, pos).sin_cos();
                    o[h * hd + 2 * i] = a * cs - b * sn;
                    o[h * hd + 2 * i + 1] = b * cs + a * sn;
                }
            }
            o
        };
        let score = |q: &[f64], k: &[f64], h: usize| -> f64 {
            (0..hd).map(|e| q[h * hd + e] * k[h * hd + e]).sum()
        };
        // Query at position 7, key at position 3: scores depend on the relative rotation.
        let (qh, kh) = (hf_rope(&mv(&wq, &x), 7.0), hf_rope(&mv(&wk, &y), 3.0));
        let pq = permute_rope_rows(&wq, heads, cols);
        let pk = permute_rope_rows(&wk, heads, cols);
        let (qg, kg) = (gg_rope(&mv(&pq, &x), 7.0), gg_rope(&mv(&pk, &y), 3.0));
        for h in 0..heads {
            let (a, b) = (score(&qh, &kh, h), score(&qg, &kg, h));
            assert!((a - b).abs() < 1e-12, "head {h}: {a} vs {b}");
        }
        // Without the permutation the conventions disagree (the test can fail).
        let (qn, kn) = (gg_rope(&mv(&wq, &x), 7.0), gg_rope(&mv(&wk, &y), 3.0));
        assert!((0..heads).any(|h| (score(&qh, &kh, h) - score(&qn, &kn, h)).abs() > 1e-6));
    }
}

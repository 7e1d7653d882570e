//! The `llama` architecture as a GGUF file states it: hyper-parameters from `llama.*` metadata
//! and the tensors of every block, each checked for presence and shape before an importer
//! touches a weight. Covers LLaMA-2/3, TinyLlama and Mistral-shaped models (grouped-query
//! attention when `head_count_kv < head_count`; `output.weight` absent means the output
//! projection is tied to `token_embd.weight`).

use crate::error::GgufError;
use crate::parse::TensorInfo;
use crate::GgufFile;

/// Hyper-parameters of a LLaMA-family model.
#[derive(Clone, Debug, PartialEq)]
pub struct LlamaConfig {
    /// Vocabulary size (rows of the token embedding).
    pub n_vocab: u64,
    /// Longest context the model was trained for.
    pub n_ctx: u64,
    /// Width of the residual stream.
    pub n_embd: u64,
    /// Blocks.
    pub n_layer: u64,
    /// Width of the feed-forward hidden layer.
    pub n_ff: u64,
    /// Query heads.
    pub n_head: u64,
    /// Key/value heads (`n_head` without grouped-query attention).
    pub n_head_kv: u64,
    /// Dimensions rotated by RoPE in each head.
    pub n_rot: u64,
    /// RMSNorm's epsilon.
    pub rms_eps: f64,
    /// RoPE's frequency base.
    pub rope_base: f64,
    /// Whether the output projection is the token embedding (no `output.weight`).
    pub tied_output: bool,
}

impl LlamaConfig {
    /// Width of one head.
    #[must_use]
    pub fn head_dim(&self) -> u64 {
        self.n_embd / self.n_head
    }

    /// Width of the key and value projections.
    #[must_use]
    pub fn n_embd_kv(&self) -> u64 {
        self.head_dim() * self.n_head_kv
    }

    /// Reads and checks the hyper-parameters and every tensor's shape of `f`.
    ///
    /// # Errors
    /// [`GgufError::Metadata`] for another architecture or an absent or inconsistent
    /// hyper-parameter; [`GgufError::Tensor`] for a missing tensor or one of the wrong shape.
    pub fn from_gguf(f: &GgufFile) -> Result<Self, GgufError> {
        let arch = f.architecture()?;
        if arch != "llama" {
            return Err(GgufError::Metadata {
                key: "general.architecture".into(),
                why: format!("{arch:?} is not supported (\"llama\" is)"),
            });
        }
        let n_embd = f.uint("llama.embedding_length")?;
        let n_head = f.uint("llama.attention.head_count")?;
        let n_head_kv = match f.get("llama.attention.head_count_kv") {
            None => n_head,
            Some(_) => f.uint("llama.attention.head_count_kv")?,
        };
        let bad = |key: &str, why: String| GgufError::Metadata {
            key: key.to_string(),
            why,
        };
        if n_head == 0 || n_embd == 0 || n_embd % n_head != 0 {
            return Err(bad(
                "llama.attention.head_count",
                format!("{n_head} heads do not divide the embedding width {n_embd}"),
            ));
        }
        if n_head_kv == 0 || n_head % n_head_kv != 0 {
            return Err(bad(
                "llama.attention.head_count_kv",
                format!("{n_head_kv} key/value heads do not divide {n_head} query heads"),
            ));
        }
        let head_dim = n_embd / n_head;
        let n_rot = match f.get("llama.rope.dimension_count") {
            None => head_dim,
            Some(_) => f.uint("llama.rope.dimension_count")?,
        };
        if n_rot == 0 || n_rot > head_dim || n_rot % 2 != 0 {
            return Err(bad(
                "llama.rope.dimension_count",
                format!("{n_rot} is not an even width up to the head width {head_dim}"),
            ));
        }
        let rms_eps = f.float("llama.attention.layer_norm_rms_epsilon")?;
        if !(rms_eps > 0.0 && rms_eps < 1.0) {
            return Err(bad(
                "llama.attention.layer_norm_rms_epsilon",
                format!("{rms_eps} is not in (0, 1)"),
            ));
        }
        let rope_base = match f.get("llama.rope.freq_base") {
            None => 10_000.0,
            Some(_) => f.float("llama.rope.freq_base")?,
        };
        if !(rope_base > 1.0 && rope_base.is_finite()) {
            return Err(bad("llama.rope.freq_base", format!("{rope_base}")));
        }
        let embd = f.tensor("token_embd.weight")?;
        let n_vocab = embd.dims.get(1).copied().unwrap_or(0);
        let c = Self {
            n_vocab,
            n_ctx: f.uint("llama.context_length")?,
            n_embd,
            n_layer: f.uint("llama.block_count")?,
            n_ff: f.uint("llama.feed_forward_length")?,
            n_head,
            n_head_kv,
            n_rot,
            rms_eps,
            rope_base,
            tied_output: f.tensor("output.weight").is_err(),
        };
        c.check_tensors(f)?;
        Ok(c)
    }

    /// Every tensor the architecture needs, with its shape (ggml order, innermost first).
    #[must_use]
    pub fn expected_tensors(&self) -> Vec<(String, Vec<u64>)> {
        let (e, kv, ff, v) = (self.n_embd, self.n_embd_kv(), self.n_ff, self.n_vocab);
        let mut t = vec![("token_embd.weight".to_string(), vec![e, v])];
        for i in 0..self.n_layer {
            let b = |s: &str| format!("blk.{i}.{s}.weight");
            t.extend([
                (b("attn_norm"), vec![e]),
                (b("attn_q"), vec![e, e]),
                (b("attn_k"), vec![e, kv]),
                (b("attn_v"), vec![e, kv]),
                (b("attn_output"), vec![e, e]),
                (b("ffn_norm"), vec![e]),
                (b("ffn_gate"), vec![e, ff]),
                (b("ffn_up"), vec![e, ff]),
                (b("ffn_down"), vec![ff, e]),
            ]);
        }
        t.push(("output_norm.weight".to_string(), vec![e]));
        if !self.tied_output {
            t.push(("output.weight".to_string(), vec![e, v]));
        }
        t
    }

    fn check_tensors(&self, f: &GgufFile) -> Result<(), GgufError> {
        for (name, dims) in self.expected_tensors() {
            let t: &TensorInfo = f.tensor(&name)?;
            if t.dims != dims {
                return Err(GgufError::Tensor {
                    name,
                    why: format!(
                        "shape {:?}, the hyper-parameters say {dims:?} (innermost first)",
                        t.dims
                    ),
                });
            }
        }
        Ok(())
    }
}

//! The step graph of a LLaMA-family model: one token in, the next token out, the KV cache as
//! explicit inputs, built as a float graph of verinfer's primitives.
//!
//! One step at position `p` (0-based) with a fixed context of `C` positions:
//!
//! | inputs | shape | |
//! |---|---|---|
//! | `token` | `[1]` | token id at position `p` |
//! | `pos` | `[1]` | `p` |
//! | `k_cache.L`, `v_cache.L` | `[C, H_kv, d_head]` | rows `< p` hold earlier steps' `k_row.L` / `v_row.L`, the others are zero |
//! | `noise` (sampling graphs only, last) | `[1, V]` | `N(seed, T, p, j)` of [`crate::noise`], integers in `Q.16` |
//!
//! | outputs | shape | |
//! |---|---|---|
//! | `next` | `[1]` | next token: the first maximum of the logits (`ArgMax`); in a sampling graph of `logits·2^16 + noise`, an exact integer sum |
//! | `logits` | `[1, V]` | |
//! | `k_row.L`, `v_row.L` | `[H_kv, d_head]` | this position's key (after RoPE) and value, the rows the session writes at `p` |
//!
//! Each block: RMSNorm (`ISqrt` of the mean square, then `Div`), Q/K/V projections, RoPE as
//! `q·cos[p] + swap(q)·sin[p]` with the cos/sin rows `Gather`ed by the run-time position
//! (llama.cpp's adjacent-pair convention), the new key/value placed at row `p` of the cache by
//! a one-hot row gathered by `p`, grouped-query attention as two `Contract`s whose index maps
//! share each KV head among its query heads, the causal mask as a `-∞` row gathered by `p`,
//! softmax as max-subtract, `exp` table, sum and `Div`, then SwiGLU (`SiLU` table times the up
//! projection). See docs/llm.md for the integer semantics and their error.

use verinfer_gguf::decode::BLOCK;
use verinfer_gguf::LlamaConfig;
use verinfer_ir::{AffineMap, AffineRow, BinaryKind, ReduceKind};
use verinfer_quant::builder::Builder;
use verinfer_quant::fgraph::ContractSpec;
use verinfer_quant::func::Func;
use verinfer_quant::{FGraph, FRef};

use crate::blockwise;
use crate::error::LlmError;
use crate::weights::{RealTensor, WeightSource};

/// Input names.
pub const TOKEN: &str = "token";
/// Input name of the position.
pub const POS: &str = "pos";
/// Output name of the greedy next token.
pub const NEXT: &str = "next";
/// Output name of the logits.
pub const LOGITS: &str = "logits";
/// Input name of the sampling noise (sampling step graphs only).
pub const NOISE: &str = "noise";

/// Name of layer `l`'s key-cache input.
#[must_use]
pub fn k_cache(l: usize) -> String {
    format!("k_cache.{l}")
}
/// Name of layer `l`'s value-cache input.
#[must_use]
pub fn v_cache(l: usize) -> String {
    format!("v_cache.{l}")
}
/// Name of layer `l`'s new key row output.
#[must_use]
pub fn k_row(l: usize) -> String {
    format!("k_row.{l}")
}
/// Name of layer `l`'s new value row output.
#[must_use]
pub fn v_row(l: usize) -> String {
    format!("v_row.{l}")
}

/// Dimensions of a step graph, in `usize`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dims {
    /// Vocabulary.
    pub vocab: usize,
    /// Model width.
    pub embd: usize,
    /// Blocks.
    pub layers: usize,
    /// Feed-forward width.
    pub ff: usize,
    /// Query heads.
    pub heads: usize,
    /// Key/value heads.
    pub kv_heads: usize,
    /// Width of a head.
    pub head_dim: usize,
    /// Dimensions of a head that RoPE rotates (even, ≤ `head_dim`).
    pub rot: usize,
    /// Context the step graph is built for.
    pub ctx: usize,
}

impl Dims {
    /// From a checked configuration and a context length.
    ///
    /// # Errors
    /// A context of 0 or beyond the model's trained context, or dimensions that do not fit.
    pub fn new(c: &LlamaConfig, ctx: usize) -> Result<Self, LlmError> {
        let u = |v: u64, what: &str| {
            usize::try_from(v).map_err(|_| LlmError::BadOptions(format!("{what} {v} too large")))
        };
        let d = Self {
            vocab: u(c.n_vocab, "vocabulary")?,
            embd: u(c.n_embd, "embedding length")?,
            layers: u(c.n_layer, "block count")?,
            ff: u(c.n_ff, "feed-forward length")?,
            heads: u(c.n_head, "head count")?,
            kv_heads: u(c.n_head_kv, "KV head count")?,
            head_dim: u(c.head_dim(), "head width")?,
            rot: u(c.n_rot, "RoPE dimension count")?,
            ctx,
        };
        let n_ctx = u(c.n_ctx, "context length")?;
        if ctx == 0 || ctx > n_ctx {
            return Err(LlmError::BadOptions(format!(
                "context {ctx} is outside 1..={n_ctx} (the model's context length)"
            )));
        }
        if !d.rot.is_multiple_of(2) || d.rot > d.head_dim {
            return Err(LlmError::BadOptions(format!(
                "RoPE dimension count {} must be even and at most the head width {}",
                d.rot, d.head_dim
            )));
        }
        Ok(d)
    }

    /// Query heads per KV head.
    #[must_use]
    pub fn group(&self) -> usize {
        self.heads / self.kv_heads
    }

    /// Width of a key or value row.
    #[must_use]
    pub fn kv_width(&self) -> usize {
        self.kv_heads * self.head_dim
    }
}

/// An affine map row with zero offset.
pub(crate) fn row(out: &[i64], red: &[i64]) -> AffineRow {
    AffineRow {
        out: out.to_vec(),
        red: red.to_vec(),
        offset: 0,
    }
}

fn i(v: usize) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// A grouped-query attention contraction of `x` (one row per query head) with a cache
/// `[positions, h_kv, hd]` (one head per group), iterated as `[h_kv, g, n]` and reducing cache
/// axis `red_axis` (of length `red`); the cache's other axis is the iterated `n`. `x` is read
/// at `[h_kv·g + g_i, r]`.
fn grouped_spec(iter: [usize; 3], red: usize, red_axis: usize) -> ContractSpec {
    let cache_row = |axis: usize| match axis {
        1 => row(&[1, 0, 0], &[0]),
        a if a == red_axis => row(&[0, 0, 0], &[1]),
        _ => row(&[0, 0, 1], &[0]),
    };
    ContractSpec {
        out_iter: iter.to_vec(),
        red: vec![red],
        x_map: AffineMap {
            rows: vec![row(&[i(iter[1]), 1, 0], &[0]), row(&[0, 0, 0], &[1])],
        },
        w_map: AffineMap {
            rows: (0..3).map(cache_row).collect(),
        },
        bias_map: None,
    }
}

/// `y[1, O] = x[1, I] · W[O, I]ᵀ`.
pub(crate) fn linear_spec(o: usize, i: usize) -> ContractSpec {
    ContractSpec {
        out_iter: vec![o],
        red: vec![i],
        x_map: AffineMap {
            rows: vec![row(&[0], &[0]), row(&[0], &[1])],
        },
        w_map: AffineMap {
            rows: vec![row(&[1], &[0]), row(&[0], &[1])],
        },
        bias_map: None,
    }
}

struct StepBuilder<'w> {
    b: Builder,
    w: &'w dyn WeightSource,
    d: Dims,
}

impl StepBuilder<'_> {
    fn weight(&mut self, name: &str, shape: &[usize]) -> Result<FRef, LlmError> {
        let RealTensor { shape: s, data } = self.w.tensor(name)?;
        let numel: usize = shape.iter().product();
        if data.len() != numel || s.iter().product::<usize>() != numel {
            return Err(LlmError::NotAStepGraph(format!(
                "tensor {name} has shape {s:?}, the configuration implies {shape:?}"
            )));
        }
        Ok(self.b.typed_constant(name, shape.to_vec(), data, false))
    }

    fn linear(&mut self, x: FRef, wname: &str, o: usize, i: usize) -> Result<FRef, LlmError> {
        self.project(x, wname, o, i, vec![1, o])
    }

    /// `x[1, i] · W[o, i]ᵀ` shaped `out_shape`: block-quantized weights imported exactly
    /// (see [`crate::blockwise`]), others as one contraction with real weights.
    fn project(
        &mut self,
        x: FRef,
        wname: &str,
        o: usize,
        i: usize,
        out_shape: Vec<usize>,
    ) -> Result<FRef, LlmError> {
        if i.is_multiple_of(BLOCK) {
            if let Some(t) = self.w.blocks(wname)? {
                return blockwise::linear(&mut self.b, x, wname, &t, (o, i), out_shape);
            }
        }
        let w = self.weight(wname, &[o, i])?;
        Ok(self.b.contract(x, w, None, linear_spec(o, i), out_shape)?)
    }

    /// `x / √(mean(x²) + ε) · g`.
    fn rms_norm(&mut self, x: FRef, gname: &str, eps: f64) -> Result<FRef, LlmError> {
        let n = self.d.embd;
        let g = self.weight(gname, &[1, n])?;
        let sq = self.b.binary(BinaryKind::Mul, x, x)?;
        let ss = self.b.reduce(sq, ReduceKind::Sum, &[1], true)?;
        #[allow(clippy::cast_precision_loss)]
        let ms = self.b.scale(ss, 1.0 / n as f64);
        let e = self.b.scalar(eps);
        let mse = self.b.binary(BinaryKind::Add, ms, e)?;
        let r = self.b.sqrt(mse);
        let xg = self.b.binary(BinaryKind::Mul, x, g)?;
        Ok(self.b.div(xg, r)?)
    }

    /// RoPE of `x` shaped `[heads, head_dim]` at the run-time position.
    fn rope(&mut self, x: FRef, heads: usize, cos: FRef, sin: FRef) -> Result<FRef, LlmError> {
        let (hd, rot) = (self.d.head_dim, self.d.rot);
        let map: Vec<i64> = (0..heads * hd)
            .map(|j| {
                let e = j % hd;
                let partner = if e < rot { j ^ 1 } else { j };
                i(partner)
            })
            .collect();
        let sw = self.b.move_map(vec![x], vec![heads, hd], map, 0.0);
        let a = self.b.binary(BinaryKind::Mul, x, cos)?;
        let s = self.b.binary(BinaryKind::Mul, sw, sin)?;
        Ok(self.b.binary(BinaryKind::Add, a, s)?)
    }

    #[allow(clippy::too_many_lines)]
    fn block(
        &mut self,
        l: usize,
        x: FRef,
        pos: FRef,
        tables: &Tables,
        eps: f64,
    ) -> Result<FRef, LlmError> {
        let d = self.d;
        let (e, hd, kvw, h, hkv, g, c) = (
            d.embd,
            d.head_dim,
            d.kv_width(),
            d.heads,
            d.kv_heads,
            d.group(),
            d.ctx,
        );
        let blk = |s: &str| format!("blk.{l}.{s}.weight");
        let kc = self.b.add_input(&k_cache(l), vec![c, hkv, hd], false);
        let vc = self.b.add_input(&v_cache(l), vec![c, hkv, hd], false);

        self.b.begin_node(&format!("blk.{l}.attn_norm"), "RMSNorm");
        let xn = self.rms_norm(x, &blk("attn_norm"), eps)?;
        self.b.begin_node(&format!("blk.{l}.attn_q"), "MatMul");
        let q = self.project(xn, &blk("attn_q"), h * hd, e, vec![h, hd])?;
        self.b.begin_node(&format!("blk.{l}.attn_k"), "MatMul");
        let k = self.project(xn, &blk("attn_k"), kvw, e, vec![hkv, hd])?;
        self.b.begin_node(&format!("blk.{l}.attn_v"), "MatMul");
        let v = self.project(xn, &blk("attn_v"), kvw, e, vec![hkv, hd])?;

        self.b.begin_node(&format!("blk.{l}.rope"), "RoPE");
        let cos = self.b.gather(tables.cos, pos, 0)?;
        let sin = self.b.gather(tables.sin, pos, 0)?;
        let q = self.rope(q, h, cos, sin)?;
        let k = self.rope(k, hkv, cos, sin)?;

        self.b
            .begin_node(&format!("blk.{l}.kv_append"), "CacheAppend");
        let onehot = self.b.gather(tables.onehot, pos, 1)?;
        let kn = self.b.binary(BinaryKind::Mul, onehot, k)?;
        let keys = self.b.binary(BinaryKind::Add, kc, kn)?;
        let vn = self.b.binary(BinaryKind::Mul, onehot, v)?;
        let vals = self.b.binary(BinaryKind::Add, vc, vn)?;

        self.b.begin_node(&format!("blk.{l}.attn"), "Attention");
        // scores[h, j] = Σ_e q[h, e]·keys[j, h / g, e], iterated as [h_kv, g, j].
        let spec = grouped_spec([hkv, g, c], hd, 2);
        let scores = self.b.contract(q, keys, None, spec, vec![h, c])?;
        #[allow(clippy::cast_precision_loss)]
        let scores = self.b.scale(scores, 1.0 / (hd as f64).sqrt());
        // The mask is added twice: before the row maximum (so that it is the maximum of the
        // visible scores) and after subtracting it (so that a masked entry saturates to the
        // bottom of the exp table, whose first entry is exp(−∞) = 0, whatever the maximum).
        let mask = self.b.gather(tables.mask, pos, 0)?;
        let masked = self.b.binary(BinaryKind::Add, scores, mask)?;
        let m = self.b.reduce(masked, ReduceKind::Max, &[1], true)?;
        let z = self.b.binary(BinaryKind::Sub, masked, m)?;
        let z = self.b.binary(BinaryKind::Add, z, mask)?;
        let ez = self.b.func(z, Func::Exp);
        let sum = self.b.reduce(ez, ReduceKind::Sum, &[1], true)?;
        let p = self.b.div(ez, sum)?;
        // out[h, e] = Σ_j p[h, j]·vals[j, h / g, e], iterated as [h_kv, g, e].
        let spec = grouped_spec([hkv, g, hd], c, 0);
        let att = self.b.contract(p, vals, None, spec, vec![1, h * hd])?;
        self.b.begin_node(&format!("blk.{l}.attn_output"), "MatMul");
        let o = self.linear(att, &blk("attn_output"), e, h * hd)?;
        self.b.begin_node(&format!("blk.{l}.attn_residual"), "Add");
        let x = self.b.binary(BinaryKind::Add, x, o)?;

        self.b.begin_node(&format!("blk.{l}.ffn_norm"), "RMSNorm");
        let xn = self.rms_norm(x, &blk("ffn_norm"), eps)?;
        self.b.begin_node(&format!("blk.{l}.ffn_gate"), "MatMul");
        let gt = self.linear(xn, &blk("ffn_gate"), d.ff, e)?;
        self.b.begin_node(&format!("blk.{l}.ffn_up"), "MatMul");
        let up = self.linear(xn, &blk("ffn_up"), d.ff, e)?;
        self.b.begin_node(&format!("blk.{l}.swiglu"), "SwiGLU");
        let sg = self.b.func(gt, Func::Silu);
        let a = self.b.binary(BinaryKind::Mul, sg, up)?;
        self.b.begin_node(&format!("blk.{l}.ffn_down"), "MatMul");
        let dn = self.linear(a, &blk("ffn_down"), e, d.ff)?;
        self.b.begin_node(&format!("blk.{l}.ffn_residual"), "Add");
        let x = self.b.binary(BinaryKind::Add, x, dn)?;

        self.b.g.outputs.push((k_row(l), k));
        self.b.g.outputs.push((v_row(l), v));
        Ok(x)
    }
}

struct Tables {
    cos: FRef,
    sin: FRef,
    onehot: FRef,
    mask: FRef,
}

/// RoPE frequency of pair `i` (dims `2i`, `2i+1`) of a head: `base^(−2i/rot)`.
#[must_use]
pub fn rope_theta(base: f64, i: usize, rot: usize) -> f64 {
    #[allow(clippy::cast_precision_loss)]
    let e = -2.0 * i as f64 / rot as f64;
    base.powf(e)
}

fn tables(b: &mut Builder, d: Dims, base: f64) -> Tables {
    let (c, hd, rot) = (d.ctx, d.head_dim, d.rot);
    let mut cos = vec![1.0; c * hd];
    let mut sin = vec![0.0; c * hd];
    for p in 0..c {
        for pair in 0..rot / 2 {
            #[allow(clippy::cast_precision_loss)]
            let a = p as f64 * rope_theta(base, pair, rot);
            let (s, co) = a.sin_cos();
            cos[p * hd + 2 * pair] = co;
            cos[p * hd + 2 * pair + 1] = co;
            // rotated[2i] = x[2i]·cos − x[2i+1]·sin; rotated[2i+1] = x[2i+1]·cos + x[2i]·sin.
            sin[p * hd + 2 * pair] = -s;
            sin[p * hd + 2 * pair + 1] = s;
        }
    }
    let mut onehot = vec![0.0; c * c];
    let mut mask = vec![0.0; c * c];
    for p in 0..c {
        onehot[p * c + p] = 1.0;
        for j in p + 1..c {
            mask[p * c + j] = f64::NEG_INFINITY;
        }
    }
    Tables {
        cos: b.typed_constant("rope.cos", vec![c, hd], cos, false),
        sin: b.typed_constant("rope.sin", vec![c, hd], sin, false),
        onehot: b.typed_constant("kv.onehot", vec![c, c, 1], onehot, false),
        mask: b.typed_constant("attn.causal_mask", vec![c, c], mask, false),
    }
}

/// Build the float step graph of `w` for a context of `ctx` positions (greedy).
///
/// # Errors
/// Bad dimensions, missing or mis-shaped tensors.
pub fn build(w: &dyn WeightSource, ctx: usize, name: &str) -> Result<FGraph, LlmError> {
    build_with(w, ctx, name, false)
}

/// Width of the sampling sum `logits·2^16 + noise`, held as an exact integer.
pub const SAMPLE_SUM_BITS: u32 = 31;

/// [`build`]; `sampling`: the graph also takes the `noise` input and its `next` is the first
/// maximum of `logits·2^16 + noise` (Gumbel-max sampling, see [`crate::noise`]). The sum is
/// pinned as an exact integer at scale 0, so with zero noise it is the logits themselves
/// (scaled by a power of two whenever their scale is at most 16 fractional bits): greedy.
///
/// # Errors
/// As [`build`].
pub fn build_with(
    w: &dyn WeightSource,
    ctx: usize,
    name: &str,
    sampling: bool,
) -> Result<FGraph, LlmError> {
    let c = w.config().clone();
    let d = Dims::new(&c, ctx)?;
    let mut sb = StepBuilder {
        b: Builder::new(name),
        w,
        d,
    };
    let token = sb.b.add_input(TOKEN, vec![1], true);
    let pos = sb.b.add_input(POS, vec![1], true);
    let t = tables(&mut sb.b, d, c.rope_base);
    sb.b.begin_node("token_embd", "Gather");
    let emb = sb.weight("token_embd.weight", &[d.vocab, d.embd])?;
    let mut x = sb.b.gather(emb, token, 0)?;
    for l in 0..d.layers {
        x = sb.block(l, x, pos, &t, c.rms_eps)?;
    }
    sb.b.begin_node("output_norm", "RMSNorm");
    let xn = sb.rms_norm(x, "output_norm.weight", c.rms_eps)?;
    sb.b.begin_node("output", "MatMul");
    let out_name = if c.tied_output {
        "token_embd.weight"
    } else {
        "output.weight"
    };
    let logits = sb.linear(xn, out_name, d.vocab, d.embd)?;
    let scores = if sampling {
        let noise = sb.b.add_input(NOISE, vec![1, d.vocab], true);
        sb.b.set_input_bits(noise, crate::noise::NOISE_BITS);
        sb.b.begin_node("sample", "GumbelNoise");
        let unit = f64::from(1u32 << crate::noise::NOISE_FRAC);
        let sum = sb.b.binary_f(BinaryKind::Add, logits, unit, noise, 1.0)?;
        sb.b.pin_integer(sum, SAMPLE_SUM_BITS);
        sum
    } else {
        logits
    };
    sb.b.begin_node("argmax", "ArgMax");
    let next = sb.b.reduce(scores, ReduceKind::ArgMax, &[1], false)?;
    let mut g = sb.b.g;
    let mut outs = vec![(NEXT.to_string(), next), (LOGITS.to_string(), logits)];
    outs.append(&mut g.outputs);
    g.outputs = outs;
    Ok(g)
}

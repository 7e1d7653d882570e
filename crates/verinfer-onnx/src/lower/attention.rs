//! The fused `Attention` op (opset 23+), lowered to the primitives of its expanded form.
//!
//! `softmax(Q·Kᵀ·scale + bias) · V` per head, with the key/value cache (`past_key` /
//! `past_value` → `present_*`), grouped-query heads (a `Move` repeating each key/value head),
//! `softcap`, and the `qk_matmul_output` modes. Masking is multiplicative, not additive:
//! fixed point has no `−∞`, so every "may attend" condition (a boolean `attn_mask`, causal
//! masking, `nonpad_kv_seqlen`, the sliding window, the `−∞` entries of a constant float mask)
//! becomes a 0/1 factor `M` on the exponentials: `P = e·M / (Σ e·M + (1 − any M))`. That is the
//! same softmax over the allowed keys, and a row with no allowed key gives `P = 0`, as ONNX
//! specifies. A float `attn_mask` is added to the scores; its large negative entries (`−1e4`,
//! `finfo.min`) join the factor too (`verinfer_quant::mask`). `RotaryEmbedding` is in
//! [`rotary`].

mod rotary;

use tract_onnx::pb::NodeProto;
use verinfer_ir::shape::numel;
use verinfer_ir::{BinaryKind, ReduceKind};
use verinfer_quant::builder::Builder;
use verinfer_quant::fgraph::FRef;
use verinfer_quant::func::Func;

use super::elementwise::{add, is_integer, mul, sub};
use super::linear::matmul;
use super::movement::{broadcast_flat, flat, move_by};
use crate::attrs::{const_ints, input, opt_input, Attrs};
use crate::error::OnnxError;
use crate::lower::Lowered;

/// Op types lowered here.
pub const OPS: &[&str] = &["Attention", "RotaryEmbedding"];

/// Lower `node` if this file owns its op type.
pub fn lower(b: &mut Builder, node: &NodeProto, _opset: i64) -> Lowered {
    match node.op_type.as_str() {
        "Attention" => Some(attention(b, node)),
        "RotaryEmbedding" => Some(rotary::rotary_embedding(b, node).map(|y| vec![y])),
        _ => None,
    }
}

/// `[B, S, H·D]` → `[B, H, S, D]`.
fn split_heads(b: &mut Builder, x: FRef, heads: usize, what: &str) -> Result<FRef, OnnxError> {
    let s = b.shape(x);
    if heads == 0 || s.len() != 3 || !s[2].is_multiple_of(heads) {
        refuse!(
            b,
            "3-D {what} of shape {s:?} does not split into {heads} heads"
        );
    }
    let r = b.reshape(x, vec![s[0], s[1], heads, s[2] / heads])?;
    Ok(b.transpose(r, &[0, 2, 1, 3])?)
}

/// Concatenate two rank-4 tensors along axis 2.
fn concat2(b: &mut Builder, x: FRef, y: FRef) -> Result<FRef, OnnxError> {
    let (sx, sy) = (b.shape(x), b.shape(y));
    if sx.len() != 4 || sy.len() != 4 || sx[..2] != sy[..2] || sx[3] != sy[3] {
        refuse!(b, "past {sx:?} and new {sy:?} do not concatenate on axis 2");
    }
    let mut out = sx.clone();
    out[2] += sy[2];
    let nx = numel(&sx);
    let mut idx = [0usize; 4];
    move_by(b, vec![x, y], out, 0.0, |o| {
        idx.copy_from_slice(o);
        if o[2] < sx[2] {
            Some(flat(&sx, &idx))
        } else {
            idx[2] -= sx[2];
            Some(nx + flat(&sy, &idx))
        }
    })
}

/// The masks of one attention: a 0/1 factor on the exponentials and an additive float bias.
struct Masks {
    /// Run-time 0/1 factor (a boolean `attn_mask` fed at run time).
    run_time: Option<FRef>,
    /// Constant 0/1 factor (shape, values), broadcasting to `[B, Hq, Sq, T]`; `None` when
    /// every key is allowed.
    constant: Option<(Vec<usize>, Vec<f64>)>,
    /// Float `attn_mask`, added to the scores.
    bias: Option<FRef>,
}

fn to_i64(v: usize) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// Allowed keys and additive bias from `attn_mask`, causal masking, `nonpad_kv_seqlen` and the
/// sliding window (the reference's `attn_bias`, with `−∞` written as a 0 factor).
fn masks(
    b: &mut Builder,
    node: &NodeProto,
    batch: usize,
    sq: usize,
    total: usize,
    past: usize,
) -> Result<Masks, OnnxError> {
    let at = Attrs(node);
    let nonpad = match opt_input(b, node, 6)? {
        Some(r) => {
            let v = const_ints(b, r, "nonpad_kv_seqlen")?;
            if v.len() != batch {
                refuse!(
                    b,
                    "nonpad_kv_seqlen has {} entries for batch {batch}",
                    v.len()
                );
            }
            Some(v)
        }
        None => None,
    };
    let causal = at.int_or("is_causal", 0) != 0;
    let left = at.int_or("left_window_size", -1);
    let right = at.int_or("right_window_size", -1);
    // Causal frontier: key j is visible to query i iff j ≤ i + offset.
    let offset = |bi: usize| match &nonpad {
        Some(v) if past == 0 => v[bi] - to_i64(sq),
        _ => to_i64(past),
    };
    let allowed = |bi: usize, i: usize, j: usize| {
        let diff = to_i64(i) + offset(bi) - to_i64(j);
        let masked = (causal && diff < 0)
            || (left >= 0 && diff > left)
            || (right >= 0 && -diff > right)
            || nonpad.as_ref().is_some_and(|v| to_i64(j) >= v[bi]);
        !masked
    };
    let Some(m) = opt_input(b, node, 3)? else {
        let base: Vec<f64> = (0..batch * sq * total)
            .map(|k| {
                f64::from(u8::from(allowed(
                    k / (sq * total),
                    k / total % sq,
                    k % total,
                )))
            })
            .collect();
        return Ok(Masks {
            run_time: None,
            constant: base
                .contains(&0.0)
                .then(|| (vec![batch, 1, sq, total], base)),
            bias: None,
        });
    };
    let sm = b.shape(m);
    let last = *sm.last().ok_or_else(|| b.err("attn_mask is a scalar"))?;
    if last > total || sm.len() > 4 {
        refuse!(b, "attn_mask of shape {sm:?} for {total} keys");
    }
    let boolean = is_integer(b, m) || b.is_integer_const(m);
    // The mask broadcasts (right-aligned) to [B, Hm, Sq, T]; Hm is its head axis, if any.
    let heads = match sm.len() {
        4 => sm[1],
        3 => sm[0],
        _ => 1,
    };
    let full = vec![batch, heads, sq, total];
    let mut padded = sm.clone();
    if let Some(l) = padded.last_mut() {
        *l = total;
    }
    let mut o = [0usize; 4];
    if let Some(data) = b.const_data(m).map(<[f64]>::to_vec) {
        // A constant mask: its False / −∞ entries join the constant factor.
        let n = numel(&full);
        let (mut factor, mut bias) = (vec![0.0; n], vec![0.0; n]);
        for k in 0..n {
            verinfer_ir::shape::unravel_into(k, &full, &mut o);
            let v = if o[3] < last {
                data.get(broadcast_flat(&sm, &o)).copied().unwrap_or(0.0)
            } else if boolean {
                0.0
            } else {
                f64::NEG_INFINITY
            };
            let ok = if boolean {
                v != 0.0
            } else {
                v > f64::NEG_INFINITY
            };
            if ok && allowed(o[0], o[2], o[3]) {
                factor[k] = 1.0;
                if !boolean {
                    bias[k] = v;
                }
            }
        }
        let bias = if bias.iter().any(|&v| v != 0.0) {
            let name = format!("{}_mask_bias", b.node_name());
            Some(b.constant(&name, full.clone(), bias))
        } else {
            None
        };
        return Ok(Masks {
            run_time: None,
            constant: factor.contains(&0.0).then_some((full, factor)),
            bias,
        });
    }
    // A run-time mask, padded on the key axis with 0 (False, or no bias on a masked key).
    let padded_m = if last == total {
        m
    } else {
        let sm2 = sm.clone();
        move_by(b, vec![m], padded, 0.0, move |o| {
            (o.last().copied().unwrap_or(0) < last).then(|| flat(&sm2, o))
        })?
    };
    let base: Vec<f64> = (0..batch * sq * total)
        .map(|k| {
            let (j, i, bi) = (k % total, k / total % sq, k / (sq * total));
            f64::from(u8::from(allowed(bi, i, j) && (boolean || j < last)))
        })
        .collect();
    Ok(Masks {
        run_time: boolean.then_some(padded_m),
        constant: base
            .contains(&0.0)
            .then(|| (vec![batch, 1, sq, total], base)),
        bias: (!boolean).then_some(padded_m),
    })
}

fn attention(b: &mut Builder, node: &NodeProto) -> Result<Vec<FRef>, OnnxError> {
    let at = Attrs(node);
    let (mut q, mut k, mut v) = (input(b, node, 0)?, input(b, node, 1)?, input(b, node, 2)?);
    let rank = b.shape(q).len();
    if rank == 3 {
        let qh = at.int("q_num_heads").and_then(|h| usize::try_from(h).ok());
        let kh = at.int("kv_num_heads").and_then(|h| usize::try_from(h).ok());
        let (Some(qh), Some(kh)) = (qh, kh) else {
            return Err(b.err("3-D inputs need q_num_heads and kv_num_heads").into());
        };
        q = split_heads(b, q, qh, "Q")?;
        k = split_heads(b, k, kh, "K")?;
        v = split_heads(b, v, kh, "V")?;
    } else if rank != 4 {
        refuse!(b, "Q must have rank 3 or 4, got {:?}", b.shape(q));
    }
    let past_k = opt_input(b, node, 4)?;
    let past_v = opt_input(b, node, 5)?;
    let past = match (past_k, past_v) {
        (Some(pk), Some(pv)) => {
            k = concat2(b, pk, k)?;
            v = concat2(b, pv, v)?;
            b.shape(pk).get(2).copied().unwrap_or(0)
        }
        (None, None) => 0,
        _ => return Err(b.err("past_key and past_value must come together").into()),
    };
    let (present_k, present_v) = (k, v);
    let (sq_, sk, sv) = (b.shape(q), b.shape(k), b.shape(v));
    let (batch, hq, sq, d) = (sq_[0], sq_[1], sq_[2], sq_[3]);
    let (hk, total) = (sk[1], sk[2]);
    if sk.len() != 4 || sv.len() != 4 || sk[0] != batch || sk[3] != d || sv[..3] != sk[..3] {
        refuse!(b, "Q {sq_:?}, K {sk:?}, V {sv:?} do not fit together");
    }
    if hk == 0 || hq % hk != 0 {
        refuse!(b, "{hq} query heads do not group over {hk} key/value heads");
    }
    // Grouped-query attention: query head h reads key/value head h / (hq / hk).
    let (k, v) = if hk == hq {
        (k, v)
    } else {
        let reps = hq / hk;
        let mut kv = Vec::with_capacity(2);
        for t in [k, v] {
            let st = b.shape(t);
            let mut out = st.clone();
            out[1] = hq;
            let mut idx = [0usize; 4];
            kv.push(move_by(b, vec![t], out, 0.0, |o| {
                idx.copy_from_slice(o);
                idx[1] /= reps;
                Some(flat(&st, &idx))
            })?);
        }
        (kv[0], kv[1])
    };
    #[allow(clippy::cast_precision_loss)]
    let scale = at.float("scale").unwrap_or(1.0 / (d as f64).sqrt());
    let qs = b.scale(q, scale);
    let kt = b.transpose(k, &[0, 1, 3, 2])?;
    let mut s = matmul(b, qs, kt)?;
    let softcap = at.float_or("softcap", 0.0);
    if softcap > 0.0 {
        let x = b.scale(s, 1.0 / softcap);
        let t = b.func(x, Func::Tanh);
        s = b.scale(t, softcap);
    }
    let capped = s;
    let m = masks(b, node, batch, sq, total, past)?;
    let mode = at.int_or("qk_matmul_output_mode", 0);
    // Large negative entries of a float mask (`−1e4`, `finfo.min`) are split off the scores as
    // a softmax's are (`verinfer_quant::mask`), except where the masked scores are an output.
    let mut split_keep = None;
    if let Some(bias) = m.bias {
        s = add(b, s, bias)?;
        if mode != 2 {
            if let Some(split) = b.additive_mask(s, &[3])? {
                s = split.scores;
                split_keep = split.keep;
            }
        }
    }
    let max = b.reduce(s, ReduceKind::Max, &[3], true)?;
    let shifted = b.binary(BinaryKind::Sub, s, max)?;
    let mut e = b.func(shifted, Func::Exp);
    let mut factor = None;
    if let Some((shape, data)) = &m.constant {
        let name = format!("{}_mask", b.node_name());
        factor = Some(b.constant(&name, shape.clone(), data.clone()));
    }
    for r in [m.run_time, split_keep].into_iter().flatten() {
        factor = Some(match factor {
            Some(c) => mul(b, r, c)?,
            None => r,
        });
    }
    let sum_e;
    if let Some(f) = factor {
        e = mul(b, e, f)?;
        let sum = b.reduce(e, ReduceKind::Sum, &[3], true)?;
        // A row with no allowed key: its sum is 0; adding 1 there makes P = 0/1 = 0.
        let any = b.reduce(f, ReduceKind::Max, &[-1], true)?;
        let one = b.scalar(1.0);
        let none = sub(b, one, any)?;
        sum_e = if b
            .const_data(none)
            .is_some_and(|v| v.iter().all(|&x| x == 0.0))
        {
            sum
        } else {
            add(b, sum, none)?
        };
    } else {
        sum_e = b.reduce(e, ReduceKind::Sum, &[3], true)?;
    }
    let p = b.div(e, sum_e)?;
    let y = matmul(b, p, v)?;
    let y = if rank == 3 {
        let t = b.transpose(y, &[0, 2, 1, 3])?;
        let dv = sv[3];
        b.reshape(t, vec![batch, sq, hq * dv])?
    } else {
        y
    };
    let qk_out = match mode {
        0 | 1 => capped,
        2 if m.constant.is_none() && m.run_time.is_none() => s,
        2 => {
            return Err(b
                .unsupported("qk_matmul_output mode 2 with masked keys (its −∞ entries)")
                .into())
        }
        3 => p,
        other => return Err(b.err(format!("qk_matmul_output_mode {other}")).into()),
    };
    Ok(vec![y, present_k, present_v, qk_out])
}

//! `TopK` with a constant `K`, as ranks computed by comparison (no sorting primitive).
//!
//! Along the axis (moved last, the rest flattened to `P` rows of `n`), element `i`'s rank is
//! the number of elements that come before it in ONNX's order — larger first, ties by lower
//! index (`largest = 0` ranks `−x`, which is exact): `rank_i = Σ_{j > i} [x_j > x_i] +
//! Σ_{j < i} (1 − [x_i > x_j])`. Output position `k` is the element whose rank is `k`:
//! `S[i, k] = [rank_i = k]`, `values_k = Σ_i x_i·S[i, k]`, `indices_k = Σ_i i·S[i, k]`.
//!
//! Every comparison is one `Step` of the difference `x_j − x_i` (as `Greater`), and a pair's
//! two elements read the same step (`[x_i > x_j]` is the transposed entry): of any two
//! elements exactly one comes first, whatever the difference rounds to, so the ranks are
//! `0..n` and each output position picks one element. (An `Equal` table for the ties, as
//! first written, could call two values 1–2 steps apart both equal and ordered: two elements
//! then shared a rank, an output position summed their indices and another picked none — a
//! nearest-neighbour model read training row 332 of 309.) Two values closer than the
//! difference's quantization step count as a tie (then the lower index comes first). The
//! outputs are always sorted, which `sorted = 0` allows. Cost: `P·n²` comparisons, refused
//! beyond [`MAX_PAIRS`].

use tract_onnx::pb::NodeProto;
use verinfer_ir::shape::numel;
use verinfer_ir::{BinaryKind, ReduceKind};
use verinfer_quant::builder::Builder;
use verinfer_quant::fgraph::FRef;
use verinfer_quant::func::Func;

use crate::attrs::{input, Attrs};
use crate::error::OnnxError;
use crate::lower::elementwise::new_const;

/// Most pairwise comparisons one `TopK` may emit (`P·n²`).
pub const MAX_PAIRS: usize = 1 << 22;

/// Lower `TopK`; returns `[values, indices]`.
pub(super) fn topk(b: &mut Builder, node: &NodeProto, opset: i64) -> Result<Vec<FRef>, OnnxError> {
    let at = Attrs(node);
    let x = input(b, node, 0)?;
    let shape = b.shape(x);
    if shape.is_empty() {
        return Err(b.err("needs a tensor of rank ≥ 1, got a scalar").into());
    }
    let k = if opset < 10 {
        at.int("k").ok_or_else(|| b.err("missing attribute k"))?
    } else {
        let kr = input(b, node, 1)?;
        let kd = b.require_const(kr, "K")?;
        match kd.as_slice() {
            // K is a whole number by ONNX's type (int64).
            #[allow(clippy::cast_possible_truncation)]
            [v] => *v as i64,
            other => {
                return Err(b
                    .err(format!("K must hold one value, got {}", other.len()))
                    .into())
            }
        }
    };
    let axis = b.axis(at.int_or("axis", -1), shape.len())?;
    let largest = at.int_or("largest", 1) != 0;
    let n = shape[axis];
    let k = usize::try_from(k)
        .ok()
        .filter(|&k| k >= 1 && k <= n)
        .ok_or_else(|| {
            b.err(format!(
                "K = {k} is outside 1..={n} (axis {axis} of {shape:?})"
            ))
        })?;
    let p = numel(&shape) / n.max(1);
    if p.saturating_mul(n).saturating_mul(n.max(k)) > MAX_PAIRS {
        return Err(b
            .unsupported(format!(
                "TopK over {n} elements in {p} rows needs {p}·{n}² comparisons (limit {MAX_PAIRS})"
            ))
            .into());
    }
    // Axis last, the others flattened: [P, n].
    let mut perm: Vec<usize> = (0..shape.len()).filter(|&d| d != axis).collect();
    perm.push(axis);
    let xt = b.transpose(x, &perm)?;
    let key = if largest { xt } else { b.scale(xt, -1.0) };
    let xi = b.reshape(xt, vec![p, n, 1])?;
    let ki = b.reshape(key, vec![p, n, 1])?;
    let kj = b.reshape(key, vec![p, 1, n])?;
    let d = b.binary(BinaryKind::Sub, kj, ki)?;
    // greater[i, j] = [x_j > x_i]; its transpose [x_i > x_j].
    let greater = b.func(d, Func::Step);
    let not_after = b.transpose(greater, &[0, 2, 1])?;
    let pattern = |b: &mut Builder, below: bool| {
        let m = (0..n * n)
            .map(|f| {
                let (i, j) = (f / n, f % n);
                if (j < i) == below && i != j {
                    1.0
                } else {
                    0.0
                }
            })
            .collect();
        new_const(b, vec![1, n, n], m)
    };
    let (lower, upper) = (pattern(b, true), pattern(b, false));
    // j beats i: `[x_j > x_i]` for j > i, `1 − [x_i > x_j]` for j < i.
    let after = b.binary(BinaryKind::Mul, greater, upper)?;
    let before = b.binary(BinaryKind::Mul, not_after, lower)?;
    let before = b.binary(BinaryKind::Sub, lower, before)?;
    let beats = b.binary(BinaryKind::Add, after, before)?;
    let rank = b.reduce(beats, ReduceKind::Sum, &[2], true)?;
    b.pin_integer(rank, bits_for(n));
    #[allow(clippy::cast_precision_loss)]
    let ks = new_const(b, vec![1, 1, k], (0..k).map(|v| v as f64).collect());
    b.mark_integer(ks);
    let off = b.binary(BinaryKind::Sub, rank, ks)?;
    b.pin_integer(off, bits_for(n) + 1);
    let sel = b.func(off, Func::IsZero);
    let picked = b.binary(BinaryKind::Mul, xi, sel)?;
    let values = b.reduce(picked, ReduceKind::Sum, &[1], false)?;
    #[allow(clippy::cast_precision_loss)]
    let iota = new_const(b, vec![1, n, 1], (0..n).map(|v| v as f64).collect());
    b.mark_integer(iota);
    let at_idx = b.binary(BinaryKind::Mul, iota, sel)?;
    let indices = b.reduce(at_idx, ReduceKind::Sum, &[1], false)?;
    b.pin_integer(indices, bits_for(n));
    // Back to the input's layout with K at the axis.
    let mut kshape: Vec<usize> = perm.iter().map(|&d| shape[d]).collect();
    if let Some(last) = kshape.last_mut() {
        *last = k;
    }
    let mut inv = vec![0usize; perm.len()];
    for (i, &pd) in perm.iter().enumerate() {
        inv[pd] = i;
    }
    let mut outs = Vec::with_capacity(2);
    for r in [values, indices] {
        let r = b.reshape(r, kshape.clone())?;
        outs.push(b.transpose(r, &inv)?);
    }
    Ok(outs)
}

/// Signed bits that hold `0..=n`.
fn bits_for(n: usize) -> u32 {
    let mut bits = 2u32;
    while bits < 32 && (1usize << (bits - 1)) <= n {
        bits += 1;
    }
    bits
}

#[cfg(test)]
mod tests {
    use crate::lower::movement::testutil::int;
    use crate::lower::qtest::{float_outputs, graph, node, quantized_outputs, Const, In};

    /// ONNX's order: larger (or smaller) first, ties by lower index; `(values, indices)`.
    fn reference(x: &[f64], k: usize, largest: bool) -> (Vec<f64>, Vec<f64>) {
        let mut idx: Vec<usize> = (0..x.len()).collect();
        idx.sort_by(|&i, &j| {
            let o = x[i].total_cmp(&x[j]);
            (if largest { o.reverse() } else { o }).then(i.cmp(&j))
        });
        idx.truncate(k);
        #[allow(clippy::cast_precision_loss)]
        (
            idx.iter().map(|&i| x[i]).collect(),
            idx.iter().map(|&i| i as f64).collect(),
        )
    }

    /// Logits-like rows of 100 on a 1/8 grid, with ties.
    #[allow(clippy::cast_precision_loss)]
    fn row(seed: u64) -> Vec<f64> {
        let mut s = seed;
        (0..100)
            .map(|_| {
                s = s
                    .wrapping_mul(6_364_136_223_846_793_005)
                    .wrapping_add(1_442_695_040_888_963_407);
                ((s >> 33) % 64) as f64 / 8.0 - 4.0
            })
            .collect()
    }

    /// `TopK(k = 5, largest)` over one run-time row `[1, width]`.
    fn top5_of_row(largest: i64, width: usize) -> verinfer_quant::fgraph::FGraph {
        let n = node(
            "TopK",
            &["x", "k"],
            &["v", "i"],
            vec![int("largest", largest)],
        );
        graph(
            &n,
            11,
            &[In("x", vec![1, width], None)],
            &[Const("k", vec![1], vec![5.0], true)],
        )
    }

    #[test]
    fn topk_over_the_last_axis_of_logits() {
        for largest in [1, 0] {
            let g = top5_of_row(largest, 100);
            let samples: Vec<Vec<Vec<f64>>> = (1..=4).map(|s| vec![row(s)]).collect();
            for s in &samples {
                let (v, i) = reference(&s[0], 5, largest == 1);
                assert_eq!(float_outputs(&g, s), vec![v, i], "f64, largest={largest}");
            }
            let q = quantized_outputs(g, &samples);
            for (s, got) in samples.iter().zip(q) {
                let (v, i) = reference(&s[0], 5, largest == 1);
                assert_eq!(got, vec![v, i], "quantized, largest={largest}");
            }
        }
    }

    /// Values closer than the quantization step (nearest-neighbour distances: a cluster of
    /// near-ties under a wide range): each output position still picks one element, so the
    /// indices are distinct and in range, and the values are the best ones up to a step.
    #[test]
    #[allow(clippy::cast_precision_loss)]
    fn topk_of_near_ties_picks_distinct_elements() {
        let row = |seed: usize| -> Vec<f64> {
            (0..60)
                .map(|i| {
                    let h = (i * 7919 + seed * 104_729) % 997;
                    if i % 3 == 0 {
                        0.2 + 0.8 * h as f64 / 997.0
                    } else {
                        0.07 + 2e-6 * (h % 40) as f64
                    }
                })
                .collect()
        };
        let g = top5_of_row(0, 60);
        let samples: Vec<Vec<Vec<f64>>> = (1..=6).map(|s| vec![row(s)]).collect();
        let q = quantized_outputs(g, &samples);
        for (s, got) in samples.iter().zip(q) {
            let mut idx: Vec<usize> = got[1].iter().map(|&v| v as usize).collect();
            let (want, _) = reference(&s[0], 5, false);
            for (&i, w) in idx.iter().zip(&want) {
                assert!(
                    i < 60 && (s[0][i] - w).abs() < 1e-4,
                    "{:?} vs {want:?}",
                    got[1]
                );
            }
            idx.sort_unstable();
            idx.dedup();
            assert_eq!(idx.len(), 5, "indices {:?} repeat", got[1]);
        }
    }

    #[test]
    fn topk_on_a_middle_axis_keeps_the_layout() {
        // [2, 3, 2], axis 1, k 2.
        let x = vec![1.0, 6.0, 3.0, 5.0, 2.0, 4.0, 0.5, 0.5, 0.25, 1.0, 0.5, 0.75];
        let n = node("TopK", &["x", "k"], &["v", "i"], vec![int("axis", 1)]);
        let g = graph(
            &n,
            11,
            &[In("x", vec![2, 3, 2], None)],
            &[Const("k", vec![1], vec![2.0], true)],
        );
        let out = float_outputs(&g, &[x]);
        assert_eq!(out[0], vec![3.0, 6.0, 2.0, 5.0, 0.5, 1.0, 0.5, 0.75]);
        assert_eq!(out[1], vec![1.0, 0.0, 2.0, 1.0, 0.0, 1.0, 2.0, 2.0]);
    }

    #[test]
    fn topk_refuses_a_k_beyond_the_axis() {
        let n = node("TopK", &["x", "k"], &["v", "i"], vec![]);
        let mut b = verinfer_quant::builder::Builder::new("t");
        b.add_input("x", vec![1, 4], false);
        let k = b.typed_constant("k", vec![1], vec![5.0], true);
        b.bind("k", k);
        b.begin_node("TopK_0", "TopK");
        let e = crate::lower::lower_node(&mut b, &n, 11).unwrap_err();
        assert!(e.to_string().contains("K = 5"), "{e}");
    }
}

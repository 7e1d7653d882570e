//! `RotaryEmbedding` (opset 23), lowered to the primitives of its expanded form.
//!
//! In the layout `[B, S, heads, D]` (a 4-D input `[B, heads, S, D]` is read through its
//! transpose, a 3-D `[B, S, heads·D]` through a reshape), the first `R = rotary_embedding_dim`
//! (default `D`) channels split into `x1`, `x2` — halves, or even/odd channels when
//! `interleaved` — and rotate by the cached angle of each position:
//! `real = cos·x1 − sin·x2`, `imag = sin·x1 + cos·x2`; channels from `R` on pass through.
//! `cos`/`sin` are the caches' rows at `position_ids` (a constant: a data movement) or, without
//! `position_ids`, the caches as given (`[B, S, ≥ R/2]`). Every selection and the final
//! interleave are one `Move` each; the arithmetic is four products and two sums.

use tract_onnx::pb::NodeProto;
use verinfer_ir::BinaryKind;
use verinfer_quant::builder::Builder;
use verinfer_quant::fgraph::FRef;

use crate::attrs::{input, opt_input, Attrs};
use crate::error::OnnxError;
use crate::lower::movement::move_by;

/// Geometry of the input in the reference layout `[B, S, heads, D]`.
struct Layout {
    shape: Vec<usize>,
    b: usize,
    s: usize,
    heads: usize,
    d: usize,
    four_d: bool,
}

impl Layout {
    /// Flat index into the input of element `(b, s, h, c)` of the reference layout.
    fn flat(&self, b: usize, s: usize, h: usize, c: usize) -> usize {
        if self.four_d {
            ((b * self.heads + h) * self.s + s) * self.d + c
        } else {
            (b * self.s + s) * self.heads * self.d + h * self.d + c
        }
    }

    /// `(b, s, h, c)` of the input's own multi-index `o`.
    fn split(&self, o: &[usize]) -> (usize, usize, usize, usize) {
        if self.four_d {
            (o[0], o[2], o[1], o[3])
        } else {
            (o[0], o[1], o[2] / self.d, o[2] % self.d)
        }
    }
}

fn layout(b: &Builder, x: FRef, num_heads: i64) -> Result<Layout, OnnxError> {
    let shape = b.shape(x);
    match shape.as_slice() {
        &[bb, heads, s, d] => Ok(Layout {
            shape,
            b: bb,
            s,
            heads,
            d,
            four_d: true,
        }),
        &[bb, s, hidden] => {
            let heads = usize::try_from(num_heads)
                .ok()
                .filter(|&h| h > 0 && hidden.is_multiple_of(h))
                .ok_or_else(|| {
                    b.err(format!(
                        "a 3-D input of hidden size {hidden} needs num_heads dividing it, got {num_heads}"
                    ))
                })?;
            Ok(Layout {
                shape,
                b: bb,
                s,
                heads,
                d: hidden / heads,
                four_d: false,
            })
        }
        other => Err(b
            .err(format!("input must be 3-D or 4-D, got shape {other:?}"))
            .into()),
    }
}

/// The cache rows for every `(b, s)`, first `half` channels: `[B, S, 1, half]`.
fn angles(
    b: &mut Builder,
    cache: FRef,
    pos: Option<&[f64]>,
    l: &Layout,
    half: usize,
) -> Result<FRef, OnnxError> {
    let cs = b.shape(cache);
    let out = vec![l.b, l.s, 1, half];
    match pos {
        Some(p) => {
            let [rows, width] = cs[..] else {
                refuse!(b, "with position_ids a cache must be 2-D, got {cs:?}");
            };
            if width < half || p.len() != l.b * l.s {
                refuse!(b, "cache {cs:?} or position_ids ({} values) do not fit {} positions of {half} angles", p.len(), l.b * l.s);
            }
            let mut rows_of = Vec::with_capacity(p.len());
            for &v in p {
                // Positions are int64 in ONNX: whole numbers.
                #[allow(clippy::cast_possible_truncation)]
                let r = usize::try_from(v as i64)
                    .ok()
                    .filter(|&r| r < rows)
                    .ok_or_else(|| {
                        b.err(format!("position id {v} outside the cache's {rows} rows"))
                    })?;
                rows_of.push(r);
            }
            move_by(b, vec![cache], out, 0.0, |o| {
                Some(rows_of[o[0] * l.s + o[1]] * width + o[3])
            })
        }
        None => {
            if cs.len() != 3 || cs[0] != l.b || cs[1] != l.s || cs[2] < half {
                refuse!(
                    b,
                    "without position_ids a cache must be [{}, {}, ≥ {half}], got {cs:?}",
                    l.b,
                    l.s
                );
            }
            let w = cs[2];
            move_by(b, vec![cache], out, 0.0, |o| {
                Some((o[0] * l.s + o[1]) * w + o[3])
            })
        }
    }
}

/// Lower `RotaryEmbedding`.
pub(super) fn rotary_embedding(b: &mut Builder, node: &NodeProto) -> Result<FRef, OnnxError> {
    let at = Attrs(node);
    let x = input(b, node, 0)?;
    let cos_cache = input(b, node, 1)?;
    let sin_cache = input(b, node, 2)?;
    let pos = match opt_input(b, node, 3)? {
        Some(p) => Some(b.require_const(p, "position_ids")?),
        None => None,
    };
    let interleaved = at.int_or("interleaved", 0) != 0;
    let l = layout(b, x, at.int_or("num_heads", 0))?;
    let rot = match at.int_or("rotary_embedding_dim", 0) {
        0 => l.d,
        r => usize::try_from(r)
            .ok()
            .filter(|&r| r <= l.d && r % 2 == 0)
            .ok_or_else(|| {
                b.err(format!(
                    "rotary_embedding_dim {r} must be even and at most the head size {}",
                    l.d
                ))
            })?,
    };
    if rot == 0 || rot % 2 != 0 {
        refuse!(b, "head size {} must be even to rotate", l.d);
    }
    let half = rot / 2;
    let cos = angles(b, cos_cache, pos.as_deref(), &l, half)?;
    let sin = angles(b, sin_cache, pos.as_deref(), &l, half)?;
    let part_shape = vec![l.b, l.s, l.heads, half];
    let mut parts = Vec::with_capacity(2);
    for second in [false, true] {
        parts.push(move_by(b, vec![x], part_shape.clone(), 0.0, |o| {
            let c = match (interleaved, second) {
                (true, false) => 2 * o[3],
                (true, true) => 2 * o[3] + 1,
                (false, false) => o[3],
                (false, true) => half + o[3],
            };
            Some(l.flat(o[0], o[1], o[2], c))
        })?);
    }
    let (x1, x2) = (parts[0], parts[1]);
    let cx1 = b.binary(BinaryKind::Mul, cos, x1)?;
    let sx2 = b.binary(BinaryKind::Mul, sin, x2)?;
    let sx1 = b.binary(BinaryKind::Mul, sin, x1)?;
    let cx2 = b.binary(BinaryKind::Mul, cos, x2)?;
    let real = b.binary(BinaryKind::Sub, cx1, sx2)?;
    let imag = b.binary(BinaryKind::Add, sx1, cx2)?;
    let np = l.b * l.s * l.heads * half;
    let part_at =
        |bb: usize, s: usize, h: usize, j: usize| ((bb * l.s + s) * l.heads + h) * half + j;
    let out_shape = l.shape.clone();
    move_by(b, vec![real, imag, x], out_shape, 0.0, |o| {
        let (bb, s, h, c) = l.split(o);
        Some(if c >= rot {
            2 * np + l.flat(bb, s, h, c)
        } else if interleaved {
            (c % 2) * np + part_at(bb, s, h, c / 2)
        } else if c < half {
            part_at(bb, s, h, c)
        } else {
            np + part_at(bb, s, h, c - half)
        })
    })
}

#[cfg(test)]
mod tests {
    use crate::lower::movement::testutil::int;
    use crate::lower::qtest::{float_outputs, graph, node, quantized_outputs, Const, In};

    /// ONNX's reference, on `[B, S, H, D]` (`x` given in that layout), caches `[P, D/2]`.
    #[allow(clippy::too_many_arguments)]
    fn reference(
        x: &[f64],
        (bn, s, h, d): (usize, usize, usize, usize),
        cos: &[f64],
        sin: &[f64],
        pos: &[usize],
        rot: usize,
        interleaved: bool,
    ) -> Vec<f64> {
        let half = rot / 2;
        let w = cos.len() / 8;
        let mut out = x.to_vec();
        for b in 0..bn {
            for t in 0..s {
                let p = pos[b * s + t];
                for hh in 0..h {
                    let base = ((b * s + t) * h + hh) * d;
                    for j in 0..half {
                        let (i1, i2) = if interleaved {
                            (2 * j, 2 * j + 1)
                        } else {
                            (j, half + j)
                        };
                        let (x1, x2) = (x[base + i1], x[base + i2]);
                        let (c, sn) = (cos[p * w + j], sin[p * w + j]);
                        out[base + i1] = c * x1 - sn * x2;
                        out[base + i2] = sn * x1 + c * x2;
                    }
                }
            }
        }
        out
    }

    #[allow(clippy::cast_precision_loss)]
    fn caches(w: usize) -> (Vec<f64>, Vec<f64>) {
        let ang: Vec<f64> = (0..8 * w)
            .map(|k| (k / w) as f64 / 10f64.powf((k % w) as f64 / w as f64))
            .collect();
        (
            ang.iter().map(|a| a.cos()).collect(),
            ang.iter().map(|a| a.sin()).collect(),
        )
    }

    /// A 3-D `[B, S, H·D]` input (heads 2, head size 8), every mode, partial rotation.
    #[test]
    #[allow(clippy::cast_precision_loss)]
    fn rotary_matches_the_reference() {
        let (bn, s, h, d) = (1usize, 3usize, 2usize, 8usize);
        let x: Vec<f64> = (0..bn * s * h * d)
            .map(|i| ((i * 7) % 11) as f64 / 4.0 - 1.0)
            .collect();
        let pos = [5usize, 0, 7];
        for (interleaved, rot) in [(0, 0i64), (1, 0), (0, 4), (1, 4)] {
            let rd = if rot == 0 {
                d
            } else {
                usize::try_from(rot).unwrap()
            };
            let (cos, sin) = caches(4);
            let n = node(
                "RotaryEmbedding",
                &["x", "cos", "sin", "pos"],
                &["y"],
                vec![
                    int("interleaved", interleaved),
                    int("num_heads", 2),
                    int("rotary_embedding_dim", rot),
                ],
            );
            let consts = [
                Const("cos", vec![8, 4], cos.clone(), false),
                Const("sin", vec![8, 4], sin.clone(), false),
                Const(
                    "pos",
                    vec![1, 3],
                    pos.iter().map(|&p| p as f64).collect(),
                    true,
                ),
            ];
            let g = graph(&n, 23, &[In("x", vec![bn, s, h * d], None)], &consts);
            let want = reference(&x, (bn, s, h, d), &cos, &sin, &pos, rd, interleaved == 1);
            let got = float_outputs(&g, std::slice::from_ref(&x));
            for (a, e) in got[0].iter().zip(&want) {
                assert!((a - e).abs() < 1e-12, "f64 {interleaved} {rot}: {a} vs {e}");
            }
            let q = quantized_outputs(g, &[vec![x.clone()]]);
            for (a, e) in q[0][0].iter().zip(&want) {
                assert!(
                    (a - e).abs() < 2e-3,
                    "quantized {interleaved} {rot}: {a} vs {e}"
                );
            }
        }
    }
}

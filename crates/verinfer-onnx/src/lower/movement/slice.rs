//! `Slice`, `Split` and `Pad`: windows of one tensor, as index maps.

use tract_onnx::pb::NodeProto;
use verinfer_ir::shape::{numel, strides};
use verinfer_quant::builder::Builder;
use verinfer_quant::fgraph::FRef;

use super::{axes_of, divides, ints_attr_or_input, move_by, to_dim, to_i64};
use crate::attrs::{const_ints, input, opt_input, Attrs};
use crate::error::OnnxError;

/// Largest magnitude kept from a start/end/step (ONNX uses ±2^63−1 for "to the end").
const CLAMP: i64 = 1 << 62;

/// One axis of a slice: `len` elements from `start` by `step` (ONNX clamping applied).
fn slice_axis(start: i64, end: i64, step: i64, dim: usize) -> (i64, i64, usize) {
    if dim == 0 {
        return (0, step, 0);
    }
    let d = to_i64(dim);
    let (start, end) = (start.clamp(-CLAMP, CLAMP), end.clamp(-CLAMP, CLAMP));
    let start = if start < 0 { start + d } else { start };
    let end = if end < 0 { end + d } else { end };
    let (start, len) = if step > 0 {
        let (s, e) = (start.clamp(0, d), end.clamp(0, d));
        (s, if e > s { (e - s + step - 1) / step } else { 0 })
    } else {
        let (s, e) = (start.clamp(0, d - 1), end.clamp(-1, d - 1));
        (
            s,
            if s > e {
                (s - e - step - 1) / (-step)
            } else {
                0
            },
        )
    };
    (start, step, usize::try_from(len).unwrap_or(0))
}

/// Read `x` at `start[a] + o[a]·step[a]` along every axis.
fn strided(
    b: &mut Builder,
    x: FRef,
    start: &[i64],
    step: &[i64],
    out: Vec<usize>,
) -> Result<FRef, OnnxError> {
    let st = strides(&b.shape(x));
    move_by(b, vec![x], out, 0.0, |o| {
        let mut f = 0i64;
        for (a, &i) in o.iter().enumerate() {
            f += (start[a] + to_i64(i) * step[a]) * to_i64(st[a]);
        }
        usize::try_from(f).ok()
    })
}

pub(super) fn slice(b: &mut Builder, node: &NodeProto) -> Result<FRef, OnnxError> {
    let x = input(b, node, 0)?;
    let sx = b.shape(x);
    let starts =
        ints_attr_or_input(b, node, "starts", 1)?.ok_or_else(|| b.err("missing starts"))?;
    let ends = ints_attr_or_input(b, node, "ends", 2)?.ok_or_else(|| b.err("missing ends"))?;
    let axes = ints_attr_or_input(b, node, "axes", 3)?
        .unwrap_or_else(|| (0..to_i64(starts.len())).collect());
    let steps = ints_attr_or_input(b, node, "steps", 4)?.unwrap_or_else(|| vec![1; starts.len()]);
    if ends.len() != starts.len() || axes.len() != starts.len() || steps.len() != starts.len() {
        refuse!(
            b,
            "starts {starts:?}, ends {ends:?}, axes {axes:?}, steps {steps:?} differ in length"
        );
    }
    let axes = axes_of(b, &axes, sx.len())?;
    let mut start = vec![0i64; sx.len()];
    let mut step = vec![1i64; sx.len()];
    let mut out = sx.clone();
    let mut seen = vec![false; sx.len()];
    for (i, &a) in axes.iter().enumerate() {
        if std::mem::replace(&mut seen[a], true) {
            return Err(b.err(format!("axis {a} sliced twice")).into());
        }
        if steps[i] == 0 {
            return Err(b.err("step 0").into());
        }
        let (s, t, n) = slice_axis(starts[i], ends[i], steps[i].clamp(-CLAMP, CLAMP), sx[a]);
        (start[a], step[a], out[a]) = (s, t, n);
    }
    strided(b, x, &start, &step, out)
}

pub(super) fn split(b: &mut Builder, node: &NodeProto) -> Result<Vec<FRef>, OnnxError> {
    let x = input(b, node, 0)?;
    let sx = b.shape(x);
    let at = Attrs(node);
    let axis = b.axis(at.int_or("axis", 0), sx.len())?;
    let d = *sx.get(axis).ok_or_else(|| b.err("cannot split a scalar"))?;
    let n = node.output.len();
    if n == 0 {
        return Err(b.err("no outputs").into());
    }
    let sizes: Vec<usize> = if let Some(v) = ints_attr_or_input(b, node, "split", 1)? {
        v.iter()
            .map(|&s| to_dim(b, s, "split size"))
            .collect::<Result<_, _>>()?
    } else if let Some(k) = at.int("num_outputs") {
        if usize::try_from(k).ok() != Some(n) {
            refuse!(b, "num_outputs {k} but the node has {n} outputs");
        }
        let chunk = d.div_ceil(n);
        let last = d
            .checked_sub(chunk * (n - 1))
            .ok_or_else(|| b.err(format!("cannot split {d} into {n} chunks of {chunk}")))?;
        let mut v = vec![chunk; n - 1];
        v.push(last);
        v
    } else {
        if !divides(d, n) {
            refuse!(b, "axis of size {d} does not split into {n} equal parts");
        }
        vec![d / n; n]
    };
    if sizes.len() != n || sizes.iter().sum::<usize>() != d {
        refuse!(
            b,
            "split sizes {sizes:?} for {n} outputs and an axis of size {d}"
        );
    }
    let mut outs = Vec::with_capacity(n);
    let mut offset = 0i64;
    let step = vec![1i64; sx.len()];
    for &len in &sizes {
        let mut start = vec![0i64; sx.len()];
        start[axis] = offset;
        let mut out = sx.clone();
        out[axis] = len;
        outs.push(strided(b, x, &start, &step, out)?);
        offset += to_i64(len);
    }
    Ok(outs)
}

/// How `Pad` fills positions outside the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PadMode {
    Constant,
    Reflect,
    Edge,
    Wrap,
}

impl PadMode {
    /// Source index along an axis of size `d` for (unpadded) coordinate `i`.
    fn source(self, i: i64, d: i64) -> Option<i64> {
        if (0..d).contains(&i) {
            return Some(i);
        }
        match self {
            PadMode::Constant => None,
            _ if d <= 0 => None,
            PadMode::Edge => Some(i.clamp(0, d - 1)),
            PadMode::Wrap => Some(i.rem_euclid(d)),
            PadMode::Reflect if d == 1 => Some(0),
            PadMode::Reflect => {
                let period = 2 * (d - 1);
                let m = i.rem_euclid(period);
                Some(if m >= d { period - m } else { m })
            }
        }
    }
}

pub(super) fn pad(b: &mut Builder, node: &NodeProto) -> Result<FRef, OnnxError> {
    let x = input(b, node, 0)?;
    let sx = b.shape(x);
    let at = Attrs(node);
    let mode = match at.string("mode").as_deref().unwrap_or("constant") {
        "constant" => PadMode::Constant,
        "reflect" => PadMode::Reflect,
        "edge" => PadMode::Edge,
        "wrap" => PadMode::Wrap,
        other => return Err(b.unsupported(format!("mode '{other}'")).into()),
    };
    let pads = match at.ints("paddings") {
        Some(p) => p,
        None => ints_attr_or_input(b, node, "pads", 1)?.ok_or_else(|| b.err("missing pads"))?,
    };
    let value = if let Some(v) = at.float("value") {
        v
    } else {
        match opt_input(b, node, 2)? {
            Some(r) => match b.require_const(r, "constant_value")?[..] {
                [v] => v,
                _ => return Err(b.err("constant_value must hold one value").into()),
            },
            None => 0.0,
        }
    };
    let axes = match opt_input(b, node, 3)? {
        Some(r) => axes_of(b, &const_ints(b, r, "axes")?, sx.len())?,
        None => (0..sx.len()).collect(),
    };
    if pads.len() != 2 * axes.len() {
        refuse!(b, "{} pads for {} axes", pads.len(), axes.len());
    }
    let rank = sx.len();
    let mut begin = vec![0i64; rank];
    let mut out = sx.clone();
    let mut seen = vec![false; rank];
    for (i, &a) in axes.iter().enumerate() {
        if std::mem::replace(&mut seen[a], true) {
            return Err(b.err(format!("axis {a} padded twice")).into());
        }
        let (pb, pe) = (
            pads[i].clamp(-CLAMP, CLAMP),
            pads[i + axes.len()].clamp(-CLAMP, CLAMP),
        );
        let n = to_i64(sx[a]).saturating_add(pb).saturating_add(pe);
        out[a] = to_dim(b, n, "padded dimension")?;
        if mode != PadMode::Constant && sx[a] == 0 && n > 0 {
            refuse!(b, "cannot pad an empty axis {a} in this mode");
        }
        begin[a] = pb;
    }
    let st = strides(&sx);
    move_by(b, vec![x], out, value, |o| {
        let mut f = 0i64;
        for a in 0..rank {
            f += mode.source(to_i64(o[a]) - begin[a], to_i64(sx[a]))? * to_i64(st[a]);
        }
        usize::try_from(f).ok()
    })
}

/// `Trilu`: keep the upper (`upper = 1`, default) or lower triangle of the last two axes,
/// from diagonal `k` (a constant input, default 0), zero elsewhere — a `Move` whose map drops
/// the other elements to the fill 0, exact for any input and free in every interpretation.
pub(super) fn trilu(b: &mut Builder, node: &NodeProto) -> Result<FRef, OnnxError> {
    let x = input(b, node, 0)?;
    let shape = b.shape(x);
    if shape.len() < 2 {
        refuse!(b, "Trilu needs at least 2 dimensions, not {shape:?}");
    }
    let k = match opt_input(b, node, 1)? {
        Some(r) => match const_ints(b, r, "k")?.as_slice() {
            [k] => *k,
            other => {
                return Err(b
                    .err(format!("k must be one integer, not {other:?}"))
                    .into())
            }
        },
        None => 0,
    };
    let upper = Attrs(node).int("upper").unwrap_or(1) != 0;
    let (n, m) = (shape[shape.len() - 2], shape[shape.len() - 1]);
    let total = numel(&shape);
    let map: Vec<i64> = (0..total)
        .map(|f| {
            let (i, j) = (((f / m) % n) as i64, (f % m) as i64);
            let keep = if upper { j - i >= k } else { j - i <= k };
            if keep {
                f as i64
            } else {
                -1
            }
        })
        .collect();
    Ok(b.move_map(vec![x], shape, map, 0.0))
}

//! Data movement, shape arithmetic and constants.
//!
//! Every op that only moves elements lowers to one `Move` (an index map over the
//! concatenated inputs, `-1` = fill) or to nothing at all (`Identity`, a `Reshape` of a
//! constant). Ops that compute shapes (`Shape`, `Size`, `ConstantOfShape`, `Range`) produce
//! constants, so the shape arithmetic of exported models folds away during lowering.
//!
//! `ScatterElements`/`ScatterND` with constant indices are in [`scatter`].
//!
//! `Resize`/`Upsample` (in [`resize`]) are a `Move` (nearest) or one constant `Contract` per
//! axis (linear, cubic).
//!
//! Attributes that later opsets moved to inputs (Reshape's shape, Slice's starts/ends,
//! Squeeze's axes, Pad's pads, Split's sizes…) are read from the attribute when present and
//! from the (constant) input otherwise, so both forms work at every opset.

mod constants;
mod gather;
mod onehot;
mod resize;
#[cfg(test)]
mod resize_tests;
mod scatter;
mod slice;
#[cfg(test)]
mod tests;
#[cfg(test)]
pub(crate) mod testutil;

use tract_onnx::pb::NodeProto;
use verinfer_ir::shape::{broadcast, numel, strides, unravel_into};
use verinfer_quant::builder::Builder;
use verinfer_quant::fgraph::FRef;

use crate::attrs::{const_ints, input, opt_input, Attrs};
use crate::error::OnnxError;
use crate::lower::Lowered;

/// Op types lowered here.
pub const OPS: &[&str] = &[
    "Cast",
    "Concat",
    "Constant",
    "ConstantOfShape",
    "DepthToSpace",
    "Dropout",
    "Expand",
    "Flatten",
    "Gather",
    "GatherElements",
    "GatherND",
    "Identity",
    "OneHot",
    "Pad",
    "Range",
    "Reshape",
    "Resize",
    "Scatter",
    "ScatterElements",
    "ScatterND",
    "Shape",
    "Size",
    "Slice",
    "SpaceToDepth",
    "Split",
    "Squeeze",
    "Tile",
    "Transpose",
    "Trilu",
    "Unsqueeze",
    "Upsample",
    "Where",
];

/// Largest tensor (elements) a movement or constant op may produce.
pub const MAX_ELEMS: usize = 1 << 28;

/// Lower `node` if this file owns its op type.
pub fn lower(b: &mut Builder, node: &NodeProto, opset: i64) -> Lowered {
    let one = |r: Result<FRef, OnnxError>| Some(r.map(|r| vec![r]));
    match node.op_type.as_str() {
        "Reshape" => one(reshape(b, node)),
        "Flatten" => one(flatten(b, node)),
        "Transpose" => one(transpose(b, node)),
        "Squeeze" => one(squeeze(b, node)),
        "Unsqueeze" => one(unsqueeze(b, node)),
        "Concat" => one(concat(b, node)),
        "Expand" => one(expand(b, node)),
        "Tile" => one(tile(b, node)),
        "Slice" => one(slice::slice(b, node)),
        "Split" => Some(slice::split(b, node)),
        "Pad" => one(slice::pad(b, node)),
        "Trilu" => one(slice::trilu(b, node)),
        "Gather" => one(gather::gather(b, node)),
        "GatherElements" => one(gather::gather_elements(b, node)),
        "GatherND" => one(gather::gather_nd(b, node)),
        "Scatter" | "ScatterElements" => one(scatter::scatter_elements(b, node)),
        "ScatterND" => one(scatter::scatter_nd(b, node)),
        "OneHot" => one(onehot::one_hot(b, node)),
        "Where" => one(gather::where_op(b, node)),
        "DepthToSpace" => one(gather::depth_to_space(b, node)),
        "SpaceToDepth" => one(gather::space_to_depth(b, node)),
        "Shape" => one(constants::shape(b, node)),
        "Size" => one(constants::size(b, node)),
        "ConstantOfShape" => one(constants::constant_of_shape(b, node)),
        "Range" => one(constants::range(b, node)),
        "Constant" => one(constants::constant(b, node)),
        "Cast" => one(constants::cast(b, node)),
        "Identity" => one(input(b, node, 0)),
        "Dropout" => one(constants::dropout(b, node)),
        "Resize" => one(resize::resize(b, node, opset)),
        "Upsample" => one(resize::upsample(b, node)),
        _ => None,
    }
}

/// Integers from attribute `attr` when present, else from constant input `k` (`None` when
/// neither is given).
///
/// # Errors
/// When the input is computed at run time.
pub(crate) fn ints_attr_or_input(
    b: &Builder,
    node: &NodeProto,
    attr: &str,
    k: usize,
) -> Result<Option<Vec<i64>>, OnnxError> {
    if let Some(v) = Attrs(node).ints(attr) {
        return Ok(Some(v));
    }
    match opt_input(b, node, k)? {
        Some(r) => const_ints(b, r, attr).map(Some),
        None => Ok(None),
    }
}

/// `i64` view of a size (sizes never exceed `i64::MAX` on supported targets).
pub(crate) fn to_i64(v: usize) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// A dimension from a (checked non-negative) integer.
///
/// # Errors
/// Negative or absurd values.
pub(crate) fn to_dim(b: &Builder, v: i64, what: &str) -> Result<usize, OnnxError> {
    Ok(usize::try_from(v)
        .ok()
        .filter(|&d| d <= MAX_ELEMS)
        .ok_or_else(|| b.err(format!("{what} {v} is not a valid dimension")))?)
}

/// Check that a tensor of `shape` is small enough to build.
///
/// # Errors
/// When it has more than [`MAX_ELEMS`] elements.
pub(crate) fn check_size(b: &Builder, shape: &[usize]) -> Result<usize, OnnxError> {
    let n = numel(shape);
    if n > MAX_ELEMS || shape.iter().any(|&d| d > MAX_ELEMS) {
        return Err(b
            .unsupported(format!(
                "output of shape {shape:?} is too large (limit {MAX_ELEMS} elements)"
            ))
            .into());
    }
    Ok(n)
}

/// A `Move` producing `out` where output multi-index `o` reads `src(o)` (a flat index into the
/// concatenated `inputs`) or `fill` for `None`. A map that copies its single input unchanged
/// becomes a reshape (or nothing).
///
/// # Errors
/// When the output is too large.
pub(crate) fn move_by(
    b: &mut Builder,
    inputs: Vec<FRef>,
    out: Vec<usize>,
    fill: f64,
    mut src: impl FnMut(&[usize]) -> Option<usize>,
) -> Result<FRef, OnnxError> {
    let n = check_size(b, &out)?;
    let mut idx = vec![0usize; out.len()];
    let mut map = Vec::with_capacity(n);
    for j in 0..n {
        unravel_into(j, &out, &mut idx);
        map.push(src(&idx).map_or(-1, to_i64));
    }
    if let [x] = inputs[..] {
        let copies =
            numel(&b.shape(x)) == n && map.iter().enumerate().all(|(j, &m)| m == to_i64(j));
        if copies {
            return Ok(b.reshape(x, out)?);
        }
    }
    Ok(b.move_map(inputs, out, map, fill))
}

/// Flat index into a tensor of shape `src` broadcast (numpy rules) to output index `o`.
pub(crate) fn broadcast_flat(src: &[usize], o: &[usize]) -> usize {
    let off = o.len().saturating_sub(src.len());
    let st = strides(src);
    src.iter()
        .enumerate()
        .map(|(i, &d)| {
            if d == 1 {
                0
            } else {
                o.get(i + off).copied().unwrap_or(0) * st[i]
            }
        })
        .sum()
}

/// Axes (possibly negative) of a rank-`rank` tensor, each in `0..rank`.
///
/// # Errors
/// Axes out of range (every axis is, for a scalar).
pub(crate) fn axes_of(b: &Builder, axes: &[i64], rank: usize) -> Result<Vec<usize>, OnnxError> {
    let v = b.axes(axes, rank)?;
    if v.iter().any(|&a| a >= rank) {
        refuse!(b, "axes {axes:?} out of range for rank {rank}");
    }
    Ok(v)
}

/// Whether `d` is non-zero and divides `n`.
pub(crate) fn divides(n: usize, d: usize) -> bool {
    n.checked_rem(d) == Some(0)
}

/// Flat index of multi-index `o` in `shape`.
pub(crate) fn flat(shape: &[usize], o: &[usize]) -> usize {
    shape
        .iter()
        .zip(o)
        .fold(0usize, |acc, (&d, &i)| acc * d + i)
}

fn reshape(b: &mut Builder, node: &NodeProto) -> Result<FRef, OnnxError> {
    let x = input(b, node, 0)?;
    let sx = b.shape(x);
    let spec = ints_attr_or_input(b, node, "shape", 1)?
        .ok_or_else(|| b.err("missing the target shape"))?;
    let allowzero = Attrs(node).int_or("allowzero", 0) != 0;
    if allowzero && spec.contains(&0) && spec.contains(&-1) {
        refuse!(b, "shape {spec:?} has both 0 and -1 with allowzero");
    }
    let mut out = Vec::with_capacity(spec.len());
    let mut infer = None;
    for (i, &v) in spec.iter().enumerate() {
        match v {
            0 if !allowzero => out.push(*sx.get(i).ok_or_else(|| {
                b.err(format!(
                    "shape {spec:?} copies dim {i} of a rank-{} input",
                    sx.len()
                ))
            })?),
            -1 if infer.is_none() => {
                infer = Some(i);
                out.push(1);
            }
            v => out.push(to_dim(b, v, "target dimension")?),
        }
    }
    if let Some(i) = infer {
        let rest = numel(&out);
        let total = numel(&sx);
        if !divides(total, rest) {
            refuse!(
                b,
                "cannot infer the -1 in {spec:?} for an input of shape {sx:?}"
            );
        }
        out[i] = total / rest;
    }
    Ok(b.reshape(x, out)?)
}

fn flatten(b: &mut Builder, node: &NodeProto) -> Result<FRef, OnnxError> {
    let x = input(b, node, 0)?;
    let sx = b.shape(x);
    let r = to_i64(sx.len());
    let a = Attrs(node).int_or("axis", 1);
    let a = if a < 0 { a + r } else { a };
    let a = usize::try_from(a)
        .ok()
        .filter(|&a| a <= sx.len())
        .ok_or_else(|| b.err(format!("axis {a} out of range for rank {r}")))?;
    Ok(b.reshape(x, vec![numel(&sx[..a]), numel(&sx[a..])])?)
}

fn transpose(b: &mut Builder, node: &NodeProto) -> Result<FRef, OnnxError> {
    let x = input(b, node, 0)?;
    let r = b.shape(x).len();
    let perm = match Attrs(node).ints("perm") {
        Some(p) => p
            .iter()
            .map(|&p| usize::try_from(p).map_err(|_| b.err(format!("perm entry {p} is negative"))))
            .collect::<Result<Vec<_>, _>>()?,
        None => (0..r).rev().collect(),
    };
    Ok(b.transpose(x, &perm)?)
}

fn squeeze(b: &mut Builder, node: &NodeProto) -> Result<FRef, OnnxError> {
    let x = input(b, node, 0)?;
    let sx = b.shape(x);
    let out: Vec<usize> = match ints_attr_or_input(b, node, "axes", 1)? {
        None => sx.iter().copied().filter(|&d| d != 1).collect(),
        Some(axes) => {
            let axes = axes_of(b, &axes, sx.len())?;
            if let Some(&a) = axes.iter().find(|&&a| sx[a] != 1) {
                refuse!(
                    b,
                    "cannot squeeze axis {a} of size {} (shape {sx:?})",
                    sx[a]
                );
            }
            sx.iter()
                .enumerate()
                .filter(|(i, _)| !axes.contains(i))
                .map(|(_, &d)| d)
                .collect()
        }
    };
    Ok(b.reshape(x, out)?)
}

fn unsqueeze(b: &mut Builder, node: &NodeProto) -> Result<FRef, OnnxError> {
    let x = input(b, node, 0)?;
    let sx = b.shape(x);
    let axes = ints_attr_or_input(b, node, "axes", 1)?.ok_or_else(|| b.err("missing axes"))?;
    let rank = sx.len() + axes.len();
    let mut axes = axes_of(b, &axes, rank)?;
    axes.sort_unstable();
    if axes.windows(2).any(|w| w[0] == w[1]) {
        return Err(b.err("repeated axis").into());
    }
    let mut dims = sx.iter();
    let out: Vec<usize> = (0..rank)
        .map(|i| {
            if axes.contains(&i) {
                1
            } else {
                dims.next().copied().unwrap_or(1)
            }
        })
        .collect();
    Ok(b.reshape(x, out)?)
}

fn concat(b: &mut Builder, node: &NodeProto) -> Result<FRef, OnnxError> {
    let ins: Vec<FRef> = node
        .input
        .iter()
        .filter(|n| !n.is_empty())
        .map(|n| b.get(n))
        .collect::<Result<_, _>>()?;
    let first = *ins.first().ok_or_else(|| b.err("no inputs"))?;
    if ins.len() == 1 {
        return Ok(first);
    }
    let s0 = b.shape(first);
    if s0.is_empty() {
        return Err(b.err("cannot concatenate scalars").into());
    }
    let at = Attrs(node);
    let axis = b.axis(
        at.int("axis").ok_or_else(|| b.err("missing axis"))?,
        s0.len(),
    )?;
    let shapes: Vec<Vec<usize>> = ins.iter().map(|&r| b.shape(r)).collect();
    let mut out = s0.clone();
    out[axis] = 0;
    // Per input: (start along axis, flat offset in the concatenation).
    let mut starts = Vec::with_capacity(ins.len());
    let mut offset = 0usize;
    for s in &shapes {
        let compatible = s.len() == s0.len()
            && s.iter()
                .zip(&s0)
                .enumerate()
                .all(|(i, (a, c))| i == axis || a == c);
        if !compatible {
            refuse!(b, "cannot concatenate shapes {shapes:?} along axis {axis}");
        }
        starts.push((out[axis], offset));
        out[axis] += s[axis];
        offset += numel(s);
    }
    let mut local = vec![0usize; out.len()];
    move_by(b, ins, out, 0.0, |o| {
        // The last non-empty input starting at or before `o` along the axis holds it.
        let k = (0..starts.len())
            .rev()
            .find(|&k| shapes[k][axis] > 0 && o[axis] >= starts[k].0)?;
        local.copy_from_slice(o);
        local[axis] -= starts[k].0;
        Some(starts[k].1 + flat(&shapes[k], &local))
    })
}

fn expand(b: &mut Builder, node: &NodeProto) -> Result<FRef, OnnxError> {
    let x = input(b, node, 0)?;
    let sx = b.shape(x);
    let target = ints_attr_or_input(b, node, "shape", 1)?.ok_or_else(|| b.err("missing shape"))?;
    let target: Vec<usize> = target
        .iter()
        .map(|&v| to_dim(b, v, "shape entry"))
        .collect::<Result<_, _>>()?;
    let out = broadcast(&sx, &target)
        .ok_or_else(|| b.err(format!("shape {sx:?} does not broadcast to {target:?}")))?;
    move_by(b, vec![x], out, 0.0, |o| Some(broadcast_flat(&sx, o)))
}

fn tile(b: &mut Builder, node: &NodeProto) -> Result<FRef, OnnxError> {
    let x = input(b, node, 0)?;
    let sx = b.shape(x);
    let reps =
        ints_attr_or_input(b, node, "repeats", 1)?.ok_or_else(|| b.err("missing repeats"))?;
    if reps.len() != sx.len() {
        refuse!(b, "{} repeats for a rank-{} input", reps.len(), sx.len());
    }
    let mut out = Vec::with_capacity(sx.len());
    for (&d, &r) in sx.iter().zip(&reps) {
        out.push(d.saturating_mul(to_dim(b, r, "repeat")?));
    }
    move_by(b, vec![x], out, 0.0, |o| {
        Some(
            sx.iter()
                .zip(o)
                .fold(0usize, |acc, (&d, &i)| acc * d + i % d.max(1)),
        )
    })
}

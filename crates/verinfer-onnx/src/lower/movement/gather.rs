//! `Gather`, `GatherElements`, `Where` and the block rearrangements `DepthToSpace` /
//! `SpaceToDepth`: reads at positions known when lowering, as index maps.

use tract_onnx::pb::NodeProto;
use verinfer_ir::shape::{broadcast, numel};
use verinfer_ir::BinaryKind;
use verinfer_quant::builder::Builder;
use verinfer_quant::fgraph::FRef;

use super::{broadcast_flat, check_size, divides, flat, move_by, to_i64};
use crate::attrs::{input, Attrs};
use crate::error::OnnxError;

/// Resolve constant indices against an axis of size `n` (negative counts from the end).
pub(super) fn resolve_indices(
    b: &Builder,
    values: &[f64],
    n: usize,
) -> Result<Vec<usize>, OnnxError> {
    let ni = to_i64(n);
    values
        .iter()
        .map(|&v| {
            #[allow(clippy::cast_possible_truncation)]
            let i = v.round() as i64;
            let j = if i < 0 { i + ni } else { i };
            usize::try_from(j).ok().filter(|&j| j < n).ok_or_else(|| {
                b.err(format!("index {i} out of range for an axis of size {n}"))
                    .into()
            })
        })
        .collect()
}

pub(super) fn gather(b: &mut Builder, node: &NodeProto) -> Result<FRef, OnnxError> {
    let data = input(b, node, 0)?;
    let idx = input(b, node, 1)?;
    let (sd, si) = (b.shape(data), b.shape(idx));
    if sd.is_empty() {
        return Err(b.err("cannot gather from a scalar").into());
    }
    let axis = b.axis(Attrs(node).int_or("axis", 0), sd.len())?;
    let Some(values) = b.const_data(idx).map(<[f64]>::to_vec) else {
        return Ok(b.gather(data, idx, axis)?);
    };
    let rows = resolve_indices(b, &values, sd[axis])?;
    let ri = si.len();
    let out = verinfer_ir::ops::gather::output_shape(
        &verinfer_ir::Gather { axis },
        &[sd.as_slice(), si.as_slice()],
    )
    .map_err(|e| b.err(e))?;
    let mut src = vec![0usize; sd.len()];
    move_by(b, vec![data], out, 0.0, |o| {
        src[..axis].copy_from_slice(&o[..axis]);
        src[axis] = rows[flat(&si, &o[axis..axis + ri])];
        src[axis + 1..].copy_from_slice(&o[axis + ri..]);
        Some(flat(&sd, &src))
    })
}

pub(super) fn gather_elements(b: &mut Builder, node: &NodeProto) -> Result<FRef, OnnxError> {
    let data = input(b, node, 0)?;
    let idx = input(b, node, 1)?;
    let (sd, si) = (b.shape(data), b.shape(idx));
    if sd.is_empty() || si.len() != sd.len() {
        refuse!(
            b,
            "data {sd:?} and indices {si:?} must have the same rank ≥ 1"
        );
    }
    let axis = b.axis(Attrs(node).int_or("axis", 0), sd.len())?;
    if si
        .iter()
        .zip(&sd)
        .enumerate()
        .any(|(a, (i, d))| a != axis && i > d)
    {
        refuse!(b, "indices {si:?} exceed data {sd:?} off the gathered axis");
    }
    let Some(values) = b.const_data(idx).map(<[f64]>::to_vec) else {
        return gather_elements_dynamic(b, data, idx, axis);
    };
    let rows = resolve_indices(b, &values, sd[axis])?;
    let mut src = vec![0usize; sd.len()];
    move_by(b, vec![data], si.clone(), 0.0, |o| {
        src.copy_from_slice(o);
        src[axis] = rows[flat(&si, o)];
        Some(flat(&sd, &src))
    })
}

/// `GatherElements` with run-time indices: a `Gather` of whole rows at every index (flattened),
/// then a `Move` keeping, for each index, the row element at the index's own position.
fn gather_elements_dynamic(
    b: &mut Builder,
    data: FRef,
    idx: FRef,
    axis: usize,
) -> Result<FRef, OnnxError> {
    let (sd, si) = (b.shape(data), b.shape(idx));
    let m = numel(&si);
    let rows_shape: Vec<usize> = sd[..axis]
        .iter()
        .chain(&[m])
        .chain(&sd[axis + 1..])
        .copied()
        .collect();
    check_size(b, &rows_shape)?;
    let flat_idx = b.reshape(idx, vec![m])?;
    let rows = b.gather(data, flat_idx, axis)?;
    let mut src = vec![0usize; sd.len()];
    move_by(b, vec![rows], si.clone(), 0.0, |o| {
        src.copy_from_slice(o);
        src[axis] = flat(&si, o);
        Some(flat(&rows_shape, &src))
    })
}

pub(super) fn where_op(b: &mut Builder, node: &NodeProto) -> Result<FRef, OnnxError> {
    let cond = input(b, node, 0)?;
    let x = input(b, node, 1)?;
    let y = input(b, node, 2)?;
    let (sc, sx, sy) = (b.shape(cond), b.shape(x), b.shape(y));
    let Some(c) = b.const_data(cond).map(<[f64]>::to_vec) else {
        // A run-time condition (0 or 1) selects arithmetically: y + c·(x − y). That is wrong
        // for an infinite branch (an attention mask built at run time: 0·∞ and ∞ − ∞), and
        // fixed point has no ∞ to carry through it: refuse rather than compute wrong values.
        for (r, which) in [(x, "X"), (y, "Y")] {
            if b.const_data(r)
                .is_some_and(|d| d.iter().any(|v| !v.is_finite()))
            {
                return Err(b
                    .unsupported(format!(
                        "a run-time condition selecting an infinite {which} (an attention mask built at run time)"
                    ))
                    .into());
            }
        }
        let diff = b.binary(BinaryKind::Sub, x, y)?;
        let pick = b.binary(BinaryKind::Mul, cond, diff)?;
        return Ok(b.binary(BinaryKind::Add, y, pick)?);
    };
    let out = broadcast(&sc, &sx)
        .and_then(|s| broadcast(&s, &sy))
        .ok_or_else(|| b.err(format!("shapes {sc:?}, {sx:?} and {sy:?} do not broadcast")))?;
    let nx = numel(&sx);
    move_by(b, vec![x, y], out, 0.0, |o| {
        Some(if c[broadcast_flat(&sc, o)] != 0.0 {
            broadcast_flat(&sx, o)
        } else {
            nx + broadcast_flat(&sy, o)
        })
    })
}

/// `[N, C, H, W]` input of a block rearrangement, its block size and whether the mode is CRD.
fn block_args(
    b: &Builder,
    node: &NodeProto,
    x: FRef,
) -> Result<([usize; 4], usize, bool), OnnxError> {
    let at = Attrs(node);
    let s: [usize; 4] = b
        .shape(x)
        .try_into()
        .map_err(|s| b.err(format!("needs a rank-4 input, got {s:?}")))?;
    let bs = at
        .int("blocksize")
        .ok_or_else(|| b.err("missing blocksize"))?;
    let bs = usize::try_from(bs)
        .ok()
        .filter(|v| (1..=1 << 16).contains(v))
        .ok_or_else(|| b.err(format!("blocksize {bs} is invalid")))?;
    let crd = match at.string("mode").as_deref().unwrap_or("DCR") {
        "DCR" => false,
        "CRD" => true,
        other => return Err(b.unsupported(format!("mode '{other}'")).into()),
    };
    Ok((s, bs, crd))
}

pub(super) fn depth_to_space(b: &mut Builder, node: &NodeProto) -> Result<FRef, OnnxError> {
    let x = input(b, node, 0)?;
    let ([n, c, h, w], bs, crd) = block_args(b, node, x)?;
    if !divides(c, bs * bs) {
        refuse!(
            b,
            "{c} channels are not divisible by blocksize² = {}",
            bs * bs
        );
    }
    let oc = c / (bs * bs);
    let sx = [n, c, h, w];
    move_by(b, vec![x], vec![n, oc, h * bs, w * bs], 0.0, |o| {
        let (ch, y, xx) = (o[1], o[2], o[3]);
        let (i, j) = (y % bs, xx % bs);
        let ic = if crd {
            (ch * bs + i) * bs + j
        } else {
            (i * bs + j) * oc + ch
        };
        Some(flat(&sx, &[o[0], ic, y / bs, xx / bs]))
    })
}

pub(super) fn space_to_depth(b: &mut Builder, node: &NodeProto) -> Result<FRef, OnnxError> {
    let x = input(b, node, 0)?;
    let ([n, c, h, w], bs, crd) = block_args(b, node, x)?;
    if !divides(h, bs) || !divides(w, bs) {
        refuse!(
            b,
            "spatial dims {h}×{w} are not divisible by blocksize {bs}"
        );
    }
    let sx = [n, c, h, w];
    move_by(b, vec![x], vec![n, c * bs * bs, h / bs, w / bs], 0.0, |o| {
        let (ch, q) = if crd {
            (o[1] / (bs * bs), o[1] % (bs * bs))
        } else {
            (o[1] % c, o[1] / c)
        };
        Some(flat(
            &sx,
            &[o[0], ch, o[2] * bs + q / bs, o[3] * bs + q % bs],
        ))
    })
}

/// `GatherND` with constant indices (as exporters emit them): one index map. Output
/// `[indices[..q−1], data[batch_dims + k..]]` reads `data[batch, indices[.., 0..k], rest]`.
pub(super) fn gather_nd(b: &mut Builder, node: &NodeProto) -> Result<FRef, OnnxError> {
    let data = input(b, node, 0)?;
    let idx = input(b, node, 1)?;
    let (sd, si) = (b.shape(data), b.shape(idx));
    let bd = usize::try_from(Attrs(node).int_or("batch_dims", 0))
        .map_err(|_| b.err("batch_dims must be ≥ 0"))?;
    let Some(&k) = si.last() else {
        return Err(b.err("indices must have rank ≥ 1").into());
    };
    let q = si.len();
    if sd.is_empty() || bd >= q || bd + k > sd.len() || si[..bd] != sd[..bd] {
        refuse!(
            b,
            "data {sd:?} and indices {si:?} do not fit batch_dims {bd}"
        );
    }
    let Some(values) = b.const_data(idx).map(<[f64]>::to_vec) else {
        return Err(b
            .unsupported("indices computed at run time (only constant indices are lowered)")
            .into());
    };
    // Resolve each index column against its data axis.
    let tuples = values.len() / k.max(1);
    let mut resolved = vec![0usize; values.len()];
    for j in 0..k {
        let col: Vec<f64> = (0..tuples).map(|t| values[t * k + j]).collect();
        for (t, r) in resolve_indices(b, &col, sd[bd + j])?
            .into_iter()
            .enumerate()
        {
            resolved[t * k + j] = r;
        }
    }
    let out: Vec<usize> = si[..q - 1].iter().chain(&sd[bd + k..]).copied().collect();
    check_size(b, &out)?;
    let mut src = vec![0usize; sd.len()];
    move_by(b, vec![data], out, 0.0, |o| {
        let t = flat(&si[..q - 1], &o[..q - 1]);
        src[..bd].copy_from_slice(&o[..bd]);
        src[bd..bd + k].copy_from_slice(&resolved[t * k..t * k + k]);
        src[bd + k..].copy_from_slice(&o[q - 1..]);
        Some(flat(&sd, &src))
    })
}

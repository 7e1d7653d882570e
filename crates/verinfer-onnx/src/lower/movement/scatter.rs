//! `ScatterElements` (and the deprecated `Scatter`) and `ScatterND` with constant indices.
//!
//! With the indices known when lowering, every update lands at a known flat position of
//! `data`: reduction `none` is one `Move` over `data` and `updates` (a later update to the same
//! position wins, as in ONNX's reference); `add` adds the updates moved into place, or, when
//! several updates share a position, a `Contract` of the updates with a constant 0/1 matrix,
//! which sums them exactly. The other reductions (`mul`, `max`, `min`) are refused by name.

use tract_onnx::pb::NodeProto;
use verinfer_ir::shape::{numel, strides, unravel_into};
use verinfer_ir::{AffineMap, BinaryKind};
use verinfer_quant::builder::Builder;
use verinfer_quant::fgraph::{ContractSpec, FRef};

use super::gather::resolve_indices;
use super::move_by;
use crate::attrs::{input, Attrs};
use crate::error::OnnxError;
use crate::lower::linear::row;

/// `ScatterElements` / `Scatter`.
///
/// # Errors
/// Run-time indices, shape mismatches, out-of-range indices, unsupported reductions.
pub(super) fn scatter_elements(b: &mut Builder, node: &NodeProto) -> Result<FRef, OnnxError> {
    let (data, idx, upd) = (input(b, node, 0)?, input(b, node, 1)?, input(b, node, 2)?);
    let (sd, si) = (b.shape(data), b.shape(idx));
    if si != b.shape(upd) || si.len() != sd.len() || sd.is_empty() {
        refuse!(
            b,
            "indices {si:?} and updates {:?} must have the shape and rank of data {sd:?}",
            b.shape(upd)
        );
    }
    let axis = b.axis(Attrs(node).int_or("axis", 0), sd.len())?;
    let values = b.require_const(idx, "indices")?;
    let at = resolve_indices(b, &values, sd[axis])?;
    let st = strides(&sd);
    let mut o = vec![0usize; si.len()];
    let dest = (0..numel(&si))
        .map(|u| {
            unravel_into(u, &si, &mut o);
            o[axis] = at[u];
            o.iter().zip(&st).map(|(i, s)| i * s).sum()
        })
        .collect();
    scatter(b, node, data, upd, dest)
}

/// `ScatterND`: `indices[…, k]` address the first `k` axes of `data`.
///
/// # Errors
/// As [`scatter_elements`].
pub(super) fn scatter_nd(b: &mut Builder, node: &NodeProto) -> Result<FRef, OnnxError> {
    let (data, idx, upd) = (input(b, node, 0)?, input(b, node, 1)?, input(b, node, 2)?);
    let (sd, si, su) = (b.shape(data), b.shape(idx), b.shape(upd));
    let k = si.last().copied().unwrap_or(0);
    let batch = &si[..si.len().saturating_sub(1)];
    let want: Vec<usize> = batch
        .iter()
        .chain(sd.get(k..).unwrap_or(&[]))
        .copied()
        .collect();
    if si.is_empty() || k == 0 || k > sd.len() || su != want {
        refuse!(
            b,
            "indices {si:?} and updates {su:?} do not fit data {sd:?} (updates must be {want:?})"
        );
    }
    let values = b.require_const(idx, "indices")?;
    let st = strides(&sd);
    let inner = numel(&sd[k..]);
    let mut dest = Vec::with_capacity(numel(&su));
    for tuple in values.chunks(k) {
        let mut base = 0;
        for (a, &v) in tuple.iter().enumerate() {
            base += resolve_indices(b, &[v], sd[a])?[0] * st[a];
        }
        dest.extend((0..inner).map(|j| base + j));
    }
    scatter(b, node, data, upd, dest)
}

/// Write (or add) update `u` at flat position `dest[u]` of `data`.
fn scatter(
    b: &mut Builder,
    node: &NodeProto,
    data: FRef,
    upd: FRef,
    dest: Vec<usize>,
) -> Result<FRef, OnnxError> {
    let sd = b.shape(data);
    let n = numel(&sd);
    let reduction = Attrs(node)
        .string("reduction")
        .unwrap_or_else(|| "none".into());
    // Last update written to each position.
    let mut last = vec![None; n];
    let mut shared = false;
    for (u, &j) in dest.iter().enumerate() {
        shared |= last[j].is_some();
        last[j] = Some(u);
    }
    match reduction.as_str() {
        "none" => move_by(b, vec![data, upd], sd.clone(), 0.0, |o| {
            let j = super::flat(&sd, o);
            Some(last[j].map_or(j, |u| n + u))
        }),
        "add" if !shared => {
            let placed = move_by(b, vec![upd], sd.clone(), 0.0, |o| last[super::flat(&sd, o)])?;
            Ok(b.binary(BinaryKind::Add, data, placed)?)
        }
        "add" => {
            let nu = dest.len();
            let mut m = vec![0.0; n * nu];
            for (u, &j) in dest.iter().enumerate() {
                m[j * nu + u] = 1.0;
            }
            super::check_size(b, &[n, nu])?;
            let name = format!("{}_scatter", b.node_name());
            let w = b.constant(&name, vec![n, nu], m);
            let flat_upd = b.reshape(upd, vec![nu])?;
            let spec = ContractSpec {
                out_iter: vec![n],
                red: vec![nu],
                x_map: AffineMap {
                    rows: vec![row(1, 1, None, Some(0))],
                },
                w_map: AffineMap {
                    rows: vec![row(1, 1, Some(0), None), row(1, 1, None, Some(0))],
                },
                bias_map: None,
            };
            let sums = b.contract(flat_upd, w, None, spec, vec![n])?;
            let sums = b.reshape(sums, sd)?;
            Ok(b.binary(BinaryKind::Add, data, sums)?)
        }
        other => Err(b.unsupported(format!("scatter reduction '{other}'")).into()),
    }
}

//! Additive masks before a softmax, written as large negative constants.
//!
//! Exporters mask attention scores by adding a constant: `−1e4` (BERT), `−1e9`,
//! `finfo(float32).min`, `−∞`, or by `Where(mask, scores, that constant)`. Held in fixed point,
//! the sum's one scale must cover `−1e4` (or saturate at `finfo.min`), so the scores keep no
//! fraction and the softmax is wrong. The float semantics need none of that range: `exp` of a
//! score pushed that far below its row's best is 0 (in float32 it underflows below −104).
//!
//! So the softmax input `x` is split as `x = r + k`: `r` the run-time part, `k` the constant
//! offsets, found by following `x` back through sums, differences, constant factors and data
//! movement to the constants they add or select. Entries of `k` at least [`MASK_GAP`] below
//! their row's largest offset are masked. The softmax is then taken of `r + k'`, where `k'` is
//! `k` shifted so that each row's largest offset is 0 (softmax is unchanged by a per-row
//! shift) with the masked entries `−∞` (saturating, so that they never win the row maximum),
//! and its exponentials are multiplied by a 0/1 `keep` factor, which makes a masked weight
//! exactly 0 whatever the `exp` table reads at the saturated input. The calibrated range of
//! `r + k'` is that of the unmasked scores alone.

use verinfer_ir::shape::{broadcast_strides, numel, strides, unravel_into};
use verinfer_ir::BinaryKind;

use crate::builder::Builder;
use crate::error::QuantError;
use crate::fgraph::{FOp, FRef};

/// How far below its row's largest constant offset an entry counts as masked. A trained
/// model's scores within a row span far less (float32's own `exp` is 0 below −104), and every
/// mask exporters write (`−1e4` and beyond) is past it.
pub const MASK_GAP: f64 = 1e3;

/// How many additive nodes are followed back from the softmax input.
const MAX_DEPTH: usize = 8;

/// A softmax input split at its additive mask.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AdditiveMask {
    /// `r + k'`: the scores with each row's offsets shifted to a maximum of 0 and the masked
    /// entries `−∞`.
    pub scores: FRef,
    /// 0 at masked entries, 1 elsewhere (broadcasting to the input's shape); `None` when no
    /// entry is masked (the rows were only shifted).
    pub keep: Option<FRef>,
}

/// A sum or difference `f(a·a_factor, b·b_factor)`: its kind and factors.
fn sum_of(op: &FOp) -> Option<(BinaryKind, f64, f64)> {
    match op {
        FOp::Binary {
            kind: kind @ (BinaryKind::Add | BinaryKind::Sub),
            a_factor,
            b_factor,
        } => Some((*kind, *a_factor, *b_factor)),
        _ => None,
    }
}

/// Flat indices into `src` broadcast to `out`, one per element of `out`.
fn broadcast_index(src: &[usize], out: &[usize]) -> Vec<usize> {
    let st = broadcast_strides(src, out);
    let mut o = vec![0usize; out.len()];
    (0..numel(out))
        .map(|j| {
            unravel_into(j, out, &mut o);
            o.iter().zip(&st).map(|(a, b)| a * b).sum()
        })
        .collect()
}

impl Builder {
    /// The constant offsets `k` of `t = r + k` (`None`: all 0), following sums, differences,
    /// constant factors and data movement back at most `depth` nodes.
    fn offsets(&self, t: FRef, depth: usize) -> Option<Vec<f64>> {
        let FRef::Node(i) = t else {
            return self.const_data(t).map(<[f64]>::to_vec);
        };
        if depth == 0 {
            return None;
        }
        let node = &self.g.nodes[i];
        let out = &node.shape;
        let of = |r: FRef| self.offsets(r, depth - 1);
        if let Some((kind, af, bf)) = sum_of(&node.op) {
            let (a, b) = (node.inputs[0], node.inputs[1]);
            let (ka, kb) = (of(a), of(b));
            if ka.is_none() && kb.is_none() {
                return None;
            }
            let bf = if kind == BinaryKind::Sub { -bf } else { bf };
            let (ia, ib) = (
                broadcast_index(self.g.shape(a), out),
                broadcast_index(self.g.shape(b), out),
            );
            let term = |k: &Option<Vec<f64>>, idx: usize, f: f64| {
                k.as_ref()
                    .map_or(0.0, |k| if f == 0.0 { 0.0 } else { f * k[idx] })
            };
            return Some(
                ia.iter()
                    .zip(&ib)
                    .map(|(&x, &y)| term(&ka, x, af) + term(&kb, y, bf))
                    .collect(),
            );
        }
        match &node.op {
            FOp::Scale(f) => of(node.inputs[0]).map(|k| k.iter().map(|v| v * f).collect()),
            FOp::Move { map, fill } => {
                let parts: Vec<Option<Vec<f64>>> = node.inputs.iter().map(|&r| of(r)).collect();
                if *fill == 0.0 && parts.iter().all(Option::is_none) {
                    return None;
                }
                let cat: Vec<f64> = node
                    .inputs
                    .iter()
                    .zip(parts)
                    .flat_map(|(&r, k)| k.unwrap_or_else(|| vec![0.0; numel(self.g.shape(r))]))
                    .collect();
                Some(
                    map.iter()
                        .map(|&m| usize::try_from(m).map_or(*fill, |m| cat[m]))
                        .collect(),
                )
            }
            _ => None,
        }
    }

    /// The run-time part `r` of `t = r + k` (`None`: 0), rebuilt along the nodes
    /// [`Builder::offsets`] follows, with every constant read as 0.
    fn runtime_part(&mut self, t: FRef, depth: usize) -> Result<Option<FRef>, QuantError> {
        let FRef::Node(i) = t else {
            return Ok(if self.const_data(t).is_some() {
                None
            } else {
                Some(t)
            });
        };
        if depth == 0 || self.offsets(t, depth).is_none() {
            return Ok(Some(t));
        }
        let node = self.g.nodes[i].clone();
        if let Some((kind, af, bf)) = sum_of(&node.op) {
            let ra = self.runtime_part(node.inputs[0], depth - 1)?;
            let rb = self.runtime_part(node.inputs[1], depth - 1)?;
            let neg = if kind == BinaryKind::Sub { -1.0 } else { 1.0 };
            return Ok(match (ra, rb) {
                (None, None) => None,
                (Some(a), None) => Some(self.scale(a, af)),
                (None, Some(b)) => Some(self.scale(b, neg * bf)),
                (Some(a), Some(b)) => Some(self.binary_f(kind, a, af, b, bf)?),
            });
        }
        match &node.op {
            FOp::Scale(f) => Ok(self
                .runtime_part(node.inputs[0], depth - 1)?
                .map(|r| self.scale(r, *f))),
            FOp::Move { map, .. } => {
                let mut ins = Vec::with_capacity(node.inputs.len());
                let mut any = false;
                for &r in &node.inputs {
                    let part = self.runtime_part(r, depth - 1)?;
                    any |= part.is_some();
                    ins.push(part.unwrap_or_else(|| {
                        let shape = self.shape(r);
                        let zeros = vec![0.0; numel(&shape)];
                        let name = format!("{}/zeros{}", self.node_name(), self.g.consts.len());
                        self.constant(&name, shape, zeros)
                    }));
                }
                Ok(any.then(|| self.move_map(ins, node.shape.clone(), map.clone(), 0.0)))
            }
            _ => Ok(Some(t)),
        }
    }

    /// Split the softmax input `x` (reduced over `axes`, normalized) at an additive mask
    /// (module docs); `None` when no entry is masked and no row's offsets are `MASK_GAP` or
    /// more from 0 (a row masked whole with `−1e4` is only shifted), when a whole row is `−∞`,
    /// or when `x` has no run-time part.
    ///
    /// # Errors
    /// When rebuilding the run-time part fails (shapes that do not broadcast).
    pub fn additive_mask(
        &mut self,
        x: FRef,
        axes: &[usize],
    ) -> Result<Option<AdditiveMask>, QuantError> {
        let Some(k) = self.offsets(x, MAX_DEPTH) else {
            return Ok(None);
        };
        if k.iter().any(|v| v.is_nan()) {
            return Ok(None);
        }
        let shape = self.shape(x);
        // Row of each element: its index with the softmax axes dropped.
        let row_dims: Vec<usize> = shape
            .iter()
            .enumerate()
            .map(|(d, &n)| if axes.contains(&d) { 1 } else { n })
            .collect();
        let row_of = broadcast_index(&row_dims, &shape);
        let mut row_max = vec![f64::NEG_INFINITY; numel(&row_dims)];
        for (&v, &r) in k.iter().zip(&row_of) {
            row_max[r] = row_max[r].max(v);
        }
        if row_max.iter().any(|m| !m.is_finite()) {
            return Ok(None);
        }
        let masked: Vec<bool> = k
            .iter()
            .zip(&row_of)
            .map(|(&v, &r)| v <= row_max[r] - MASK_GAP)
            .collect();
        let any_masked = masked.contains(&true);
        if !any_masked && row_max.iter().all(|m| m.abs() < MASK_GAP) {
            return Ok(None);
        }
        let Some(r) = self.runtime_part(x, MAX_DEPTH)? else {
            return Ok(None);
        };
        let shifted: Vec<f64> = k
            .iter()
            .zip(&row_of)
            .zip(&masked)
            .map(|((&v, &r), &m)| if m { f64::NEG_INFINITY } else { v - row_max[r] })
            .collect();
        let keep: Vec<f64> = masked.iter().map(|&m| if m { 0.0 } else { 1.0 }).collect();
        let (small, [shifted, keep]) = collapse(&shape, [shifted, keep]);
        let node = self.node_name().to_string();
        let offsets = self.constant(&format!("{node}/mask_offsets"), small.clone(), shifted);
        let keep = any_masked.then(|| self.constant(&format!("{node}/mask_keep"), small, keep));
        let scores = self.binary(BinaryKind::Add, r, offsets)?;
        Ok(Some(AdditiveMask { scores, keep }))
    }
}

/// `shape` with every axis along which all of `ts` are constant reduced to 1, and `ts` on it.
fn collapse<const N: usize>(shape: &[usize], ts: [Vec<f64>; N]) -> (Vec<usize>, [Vec<f64>; N]) {
    let mut shape = shape.to_vec();
    let mut ts = ts;
    for d in 0..shape.len() {
        if shape[d] <= 1 {
            continue;
        }
        let st = strides(&shape);
        let mut o = vec![0usize; shape.len()];
        let constant = (0..numel(&shape)).all(|j| {
            unravel_into(j, &shape, &mut o);
            let base = j - o[d] * st[d];
            ts.iter().all(|t| t[j].to_bits() == t[base].to_bits())
        });
        if constant {
            let mut small = shape.clone();
            small[d] = 1;
            let idx = broadcast_index(&shape, &small);
            // `idx` reads the full tensor at coordinate 0 of `d` for each element of `small`.
            ts = ts.map(|t| idx.iter().map(|&j| t[j]).collect());
            shape = small;
        }
    }
    (shape, ts)
}

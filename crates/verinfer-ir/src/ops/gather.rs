//! `Gather` with run-time indices (embedding lookup).

use super::TensorRef;
use crate::op::Gather;
use crate::shape::{strides, unravel_into};

/// Output shape `data[..axis] ++ indices ++ data[axis+1..]`.
///
/// # Errors
/// When the axis is out of range, the axis is empty or the arity is not 2.
pub fn output_shape(g: &Gather, ins: &[&[usize]]) -> Result<Vec<usize>, String> {
    let [d, i] = ins else {
        return Err(format!("expects 2 inputs, got {}", ins.len()));
    };
    if g.axis >= d.len() || d[g.axis] == 0 {
        return Err(format!("axis {} invalid for data shape {d:?}", g.axis));
    }
    Ok(d[..g.axis]
        .iter()
        .chain(i.iter())
        .chain(&d[g.axis + 1..])
        .copied()
        .collect())
}

/// Effective row for index value `v` on an axis of length `n`: negatives count from the end,
/// then clamped into `[0, n)`.
#[must_use]
pub fn resolve(v: i32, n: usize) -> usize {
    let n = i64::try_from(n).unwrap_or(i64::MAX);
    let v = i64::from(v);
    let v = if v < 0 { v + n } else { v };
    // Clamped into [0, n - 1].
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let r = v.clamp(0, n - 1) as usize;
    r
}

/// `out[j]` as defined above.
#[must_use]
pub fn element(
    g: &Gather,
    data: &TensorRef<'_>,
    idx: &TensorRef<'_>,
    out: &[usize],
    j: usize,
) -> Option<i32> {
    let mut o = vec![0usize; out.len()];
    unravel_into(j, out, &mut o);
    let ir = idx.shape.len();
    let ist = strides(idx.shape);
    let iflat: usize = o[g.axis..g.axis + ir]
        .iter()
        .zip(&ist)
        .map(|(a, b)| a * b)
        .sum();
    let row = resolve(*idx.data.get(iflat)?, data.shape[g.axis]);
    let dst = strides(data.shape);
    let mut flat = row * dst[g.axis];
    for a in 0..g.axis {
        flat += o[a] * dst[a];
    }
    for a in g.axis + 1..data.shape.len() {
        flat += o[a + ir - 1] * dst[a];
    }
    data.data.get(flat).copied()
}

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

/// What output element `j` reads: index element `index`, and data element
/// `base + row · row_stride` for the row that index resolves to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reads {
    /// Row-major element of the indices.
    pub index: usize,
    /// Data offset of the element in row 0.
    pub base: usize,
    /// Data stride of the gathered axis.
    pub row_stride: usize,
}

/// The reads of output element `j` (output shape `out`); `None` when the shapes do not fit
/// `g` (the validator rules that out).
#[must_use]
pub fn reads(g: &Gather, data: &[usize], idx: &[usize], out: &[usize], j: usize) -> Option<Reads> {
    let ir = idx.len();
    if g.axis >= data.len() || out.len() + 1 != data.len() + ir {
        return None;
    }
    let mut o = vec![0usize; out.len()];
    unravel_into(j, out, &mut o);
    let ist = strides(idx);
    let index = o[g.axis..g.axis + ir]
        .iter()
        .zip(&ist)
        .map(|(a, b)| a * b)
        .sum();
    let dst = strides(data);
    let before: usize = (0..g.axis).map(|a| o[a] * dst[a]).sum();
    let after: usize = (g.axis + 1..data.len())
        .map(|a| o[a + ir - 1] * dst[a])
        .sum();
    Some(Reads {
        index,
        base: before + after,
        row_stride: dst[g.axis],
    })
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
    let r = reads(g, data.shape, idx.shape, out, j)?;
    let row = resolve(*idx.data.get(r.index)?, data.shape[g.axis]);
    data.data.get(r.base + row * r.row_stride).copied()
}

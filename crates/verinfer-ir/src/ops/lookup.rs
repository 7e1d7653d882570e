//! `Lookup`: a non-linear function as a committed table over a clamped input domain.

use super::TensorRef;
use crate::op::Lookup;

/// Table position of input value `x`: clamped into the domain `[lo, lo + len - 1]`.
#[must_use]
pub fn table_index(l: &Lookup, len: usize, x: i32) -> usize {
    let off = i64::from(x) - i64::from(l.lo);
    let hi = i64::try_from(len).unwrap_or(i64::MAX) - 1;
    // In [0, len - 1] after the clamp.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let idx = off.clamp(0, hi.max(0)) as usize;
    idx
}

/// `out[j] = table[clamp(x[j], lo, lo + len - 1) - lo]`.
#[must_use]
pub fn element(l: &Lookup, x: &TensorRef<'_>, table: &TensorRef<'_>, j: usize) -> i32 {
    table.data[table_index(l, table.data.len(), x.data[j])]
}

//! `Rescale`: requantize one tensor elementwise.

use super::TensorRef;
use crate::requant::Requant;

/// `out[j] = requant(x[j])`.
#[must_use]
pub fn element(r: &Requant, x: &TensorRef<'_>, j: usize) -> i32 {
    r.apply(i64::from(x.data[j]))
}

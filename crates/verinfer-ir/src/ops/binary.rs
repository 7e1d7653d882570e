//! Elementwise `Add/Sub/Mul/Max/Min` with numpy broadcasting (also the shape rule of `Div`).

use super::TensorRef;
use crate::op::{Binary, BinaryKind};
use crate::shape::{broadcast, broadcast_strides, unravel_into};

/// Broadcast output shape of two inputs.
///
/// # Errors
/// When the shapes do not broadcast or the arity is not 2.
pub fn output_shape(ins: &[&[usize]]) -> Result<Vec<usize>, String> {
    match ins {
        [a, b] => broadcast(a, b).ok_or_else(|| format!("shapes {a:?} and {b:?} do not broadcast")),
        _ => Err(format!("expects 2 inputs, got {}", ins.len())),
    }
}

/// Flat index into an operand of shape `src` for output element `j` of shape `out`.
#[must_use]
pub fn broadcast_index(src: &[usize], out: &[usize], j: usize) -> usize {
    if src == out {
        return j;
    }
    let st = broadcast_strides(src, out);
    let mut idx = vec![0usize; out.len()];
    unravel_into(j, out, &mut idx);
    idx.iter().zip(&st).map(|(i, s)| i * s).sum()
}

/// The exact (pre-requant) value of `f(a·am, b·bm)`, `None` on overflow.
#[must_use]
pub fn exact(kind: BinaryKind, a: i64, am: i64, b: i64, bm: i64) -> Option<i64> {
    let a = a.checked_mul(am)?;
    let b = b.checked_mul(bm)?;
    match kind {
        BinaryKind::Add => a.checked_add(b),
        BinaryKind::Sub => a.checked_sub(b),
        BinaryKind::Mul => a.checked_mul(b),
        BinaryKind::Max => Some(a.max(b)),
        BinaryKind::Min => Some(a.min(b)),
    }
}

/// `requant(f(a·a_mult, b·b_mult))` of the operand pair `(a, b)` an output element reads
/// ([`operands`]).
#[must_use]
pub fn element(op: &Binary, (a, b): (i64, i64)) -> Option<i32> {
    exact(op.kind, a, op.a_mult, b, op.b_mult).map(|v| op.requant.apply(v))
}

/// The elements of `a` and `b` that output element `j` (output shape `out`) reads,
/// broadcasting (Binary and Div read alike).
#[must_use]
pub fn operands(a: &TensorRef<'_>, b: &TensorRef<'_>, out: &[usize], j: usize) -> (i64, i64) {
    let (ai, bi) = pair_indices(a.shape, b.shape, out, j);
    (i64::from(a.data[ai]), i64::from(b.data[bi]))
}

/// The indices into operands of shapes `a` and `b` that output element `j` reads.
#[must_use]
pub fn pair_indices(a: &[usize], b: &[usize], out: &[usize], j: usize) -> (usize, usize) {
    (broadcast_index(a, out, j), broadcast_index(b, out, j))
}

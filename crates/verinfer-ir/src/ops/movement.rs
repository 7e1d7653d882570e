//! `Move`: every data-movement op as one constant index map over the concatenated inputs.

use super::TensorRef;
use crate::op::Move;

/// `out[j] = cat(inputs)[map[j]]`, or `fill` where `map[j] < 0`; `None` if the map points past
/// the inputs (the validator rules this out).
#[must_use]
pub fn element(m: &Move, ins: &[TensorRef<'_>], map: &TensorRef<'_>, j: usize) -> Option<i32> {
    let src = map.data[j];
    if src < 0 {
        return Some(m.fill);
    }
    let mut k = usize::try_from(src).ok()?;
    for t in ins {
        if k < t.data.len() {
            return Some(t.data[k]);
        }
        k -= t.data.len();
    }
    None
}

//! `Move`: every data-movement op as one constant index map over the concatenated inputs.
//!
//! [`source`] is the rule; [`element`] (the reference) and the circuit's wiring interpret it.

use super::TensorRef;
use crate::op::Move;

/// Where output element `j` of a `Move` comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// The op's `fill` (the map says a negative index).
    Fill,
    /// Element `index` of input `operand`.
    Input {
        /// Which input.
        operand: usize,
        /// Row-major element of that input.
        index: usize,
    },
}

/// The source of output element `j`: `map[j]` indexes the inputs concatenated in order (their
/// element counts `lens`), a negative entry is the fill. `None` if `j` is past the map or the
/// map points past the inputs (the validator rules both out).
#[must_use]
pub fn source(map: &[i32], lens: impl IntoIterator<Item = usize>, j: usize) -> Option<Source> {
    let src = *map.get(j)?;
    if src < 0 {
        return Some(Source::Fill);
    }
    let mut k = usize::try_from(src).ok()?;
    for (operand, len) in lens.into_iter().enumerate() {
        if k < len {
            return Some(Source::Input { operand, index: k });
        }
        k -= len;
    }
    None
}

/// `out[j] = cat(inputs)[map[j]]`, or `fill` where `map[j] < 0`; `None` if the map points past
/// the inputs (the validator rules this out).
#[must_use]
pub fn element(m: &Move, ins: &[TensorRef<'_>], map: &TensorRef<'_>, j: usize) -> Option<i32> {
    match source(map.data, ins.iter().map(|t| t.data.len()), j)? {
        Source::Fill => Some(m.fill),
        Source::Input { operand, index } => ins.get(operand)?.data.get(index).copied(),
    }
}

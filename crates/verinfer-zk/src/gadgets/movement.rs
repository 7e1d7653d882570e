//! `Move`: pure wiring. Output element `j` IS input element `map[j]` of the concatenated inputs
//! (the same linear combination), or the constant `fill`: zero constraints.

use verinfer_ir::Move;

use crate::circuit::Src;
use crate::wire::Wire;

/// Output element `j`, or `None` if the map points past the inputs.
pub(crate) fn element(m: &Move, ins: &[Src<'_>], map: &[i32], j: usize) -> Option<Wire> {
    let src = *map.get(j)?;
    if src < 0 {
        return Some(Wire::constant(i128::from(m.fill)));
    }
    let mut k = usize::try_from(src).ok()?;
    for t in ins {
        if k < t.len() {
            return Some(t.get(k));
        }
        k -= t.len();
    }
    None
}

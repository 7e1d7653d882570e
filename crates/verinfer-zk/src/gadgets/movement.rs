//! `Move`: pure wiring. Output element `j` IS the input element `verinfer_ir`'s
//! [`source`] names (the same linear combination), or the constant `fill`: zero constraints.

use verinfer_ir::ops::movement::{source, Source};
use verinfer_ir::Move;

use crate::circuit::Src;
use crate::wire::Wire;

/// Output element `j`, or `None` if the map points past the inputs.
pub(crate) fn element(m: &Move, ins: &[Src<'_>], map: &[i32], j: usize) -> Option<Wire> {
    match source(map, ins.iter().map(Src::len), j)? {
        Source::Fill => Some(Wire::constant(i128::from(m.fill))),
        Source::Input { operand, index } => {
            let t = ins.get(operand)?;
            (index < t.len()).then(|| t.get(index))
        }
    }
}

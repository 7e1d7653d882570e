//! `Reduce`: `Sum` is a linear combination of the reduced elements (free); `Max` is a running
//! max over the positions in `verinfer_ir::ops::reduce::positions` order, seeded by the first
//! element (the executor's `i64::MIN` seed makes the first fold the element itself), each step
//! `max(acc, v) = v + max(acc − v, 0)` by the comparison gadget of `binary` (`D + 3`
//! constraints, `D` the width of `acc − v`'s bounds). Then the requant epilogue.

use verinfer_ir::ops::reduce::positions;
use verinfer_ir::{Reduce, ReduceKind};

use super::binary::positive_part;
use super::rescale::requant;
use super::{Builder, GResult, GadgetError};
use crate::circuit::Src;
use crate::wire::Wire;

/// Output element `j`; `y_claim` is the trace's value for it.
pub(crate) fn element(
    b: &Builder,
    r: &Reduce,
    x: &Src<'_>,
    j: usize,
    y_claim: i128,
) -> GResult<Wire> {
    let ps = positions(r, x.shape, j);
    let acc = match r.kind {
        ReduceKind::Sum => {
            let mut acc = Wire::zero();
            for &p in &ps {
                acc.add_scaled(&x.get(p), 1)?;
            }
            acc.finish();
            acc
        }
        ReduceKind::Max => {
            let mut it = ps.iter();
            let first = it
                .next()
                .ok_or(GadgetError::Malformed("Reduce over no elements"))?;
            let mut acc = x.get(*first);
            for &p in it {
                let v = x.get(p);
                let d = positive_part(b, &acc, &v)?;
                let mut m = v.plus(&d, 1)?;
                // max(acc, v) lies between the operands' bounds.
                m.lo = acc.lo.max(v.lo);
                m.hi = acc.hi.max(v.hi);
                acc = m;
            }
            acc
        }
        ReduceKind::ArgMax => return Err(GadgetError::Malformed("ArgMax has no circuit yet")),
    };
    requant(b, &acc, &r.requant, y_claim)
}

//! `Contract`: `acc = bias·2^shift + Σ_r x[X(o,r)]·w[W(o,r)]`, then the requant epilogue.
//!
//! A term with a constant operand (public weights) is a scaled copy of the other operand's
//! linear combination: no constraint. A term of two wires costs one product constraint.
//! Padding terms (an index outside its operand) are zero and emit nothing.

use verinfer_ir::shape::unravel_into;
use verinfer_ir::Contract;

use super::rescale::requant;
use super::{Builder, GResult, GadgetError};
use crate::circuit::Src;
use crate::wire::Wire;

/// Output element `j`; `y_claim` is the trace's value for it.
pub(crate) fn element(
    b: &Builder,
    c: &Contract,
    ins: &[Src<'_>],
    j: usize,
    y_claim: i128,
) -> GResult<Wire> {
    let (Some(x), Some(w)) = (ins.first(), ins.get(1)) else {
        return Err(GadgetError::Malformed("Contract needs x and w"));
    };
    let mut o = vec![0usize; c.out_iter.len()];
    unravel_into(j, &c.out_iter, &mut o);
    let mut acc = Wire::zero();
    if let (Some(bm), Some(bias)) = (&c.bias_map, ins.get(2)) {
        let idx = bm
            .locate(&o, &[], bias.shape)
            .or_else(|| bm.locate(&o, &vec![0; c.red.len()], bias.shape));
        if let Some(i) = idx {
            let factor = 1i128
                .checked_shl(c.bias_shift)
                .filter(|_| c.bias_shift < 62);
            let factor = factor.ok_or(GadgetError::Wide(62))?;
            acc.add_scaled(&bias.get(i), factor)?;
        }
    }
    let steps: usize = c.red.iter().product();
    let mut r = vec![0usize; c.red.len()];
    for step in 0..steps {
        unravel_into(step, &c.red, &mut r);
        let (Some(xi), Some(wi)) = (
            c.x_map.locate(&o, &r, x.shape),
            c.w_map.locate(&o, &r, w.shape),
        ) else {
            continue;
        };
        match (x.constant(xi), w.constant(wi)) {
            (_, Some(k)) => acc.add_scaled(&x.get(xi), k)?,
            (Some(k), None) => acc.add_scaled(&w.get(wi), k)?,
            (None, None) => {
                let p = b.mul(&x.get(xi), &w.get(wi))?;
                acc.add_scaled(&p, 1)?;
            }
        }
    }
    acc.finish();
    requant(b, &acc, &c.requant, y_claim)
}

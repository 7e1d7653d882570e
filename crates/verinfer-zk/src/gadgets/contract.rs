//! `Contract`: `acc = bias·2^shift + Σ_r x[X(o,r)]·w[W(o,r)]`, then the requant epilogue.
//!
//! A term with a constant operand (public weights) is a scaled copy of the other operand's
//! linear combination: no constraint. A term of two wires costs one product constraint.
//! Padding terms (an index outside its operand) are zero and emit nothing.

use verinfer_ir::ops::contract::{bias_factor, bias_index, step_reads, steps};
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
        if let Some(i) = bias_index(bm, &o, c.red.len(), bias.shape) {
            let factor = bias_factor(c).ok_or(GadgetError::Wide(62))?;
            acc.add_scaled(&bias.get(i), i128::from(factor))?;
        }
    }
    let mut r = vec![0usize; c.red.len()];
    for step in 0..steps(c) {
        unravel_into(step, &c.red, &mut r);
        let Some((xi, wi)) = step_reads(c, &o, &r, x.shape, w.shape) else {
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

//! Elementwise `Add/Sub/Mul/Max/Min` with broadcasting, then the requant epilogue.
//!
//! `Add`/`Sub` are linear (free); `Mul` is one constraint unless an operand is constant;
//! `Max`/`Min` use the comparison gadget: `d = a' − b'` shifted by `2^D` into `D + 1` bits
//! (`D + 2` constraints, `D` the width of `d`'s static bounds), the top bit `s = [d ≥ 0]`, and
//! one product `p = s·d`; then `max = b' + p`, `min = a' − p`. So `D + 3` constraints.

use verinfer_ir::{Binary, BinaryKind};

use super::rescale::requant;
use super::{Builder, GResult};
use crate::wire::Wire;

/// The output element of operands `x` and `w` (`super::broadcast_pair`); `y_claim` is the
/// trace's value for it.
pub(crate) fn element(b: &Builder, op: &Binary, x: Wire, w: Wire, y_claim: i128) -> GResult<Wire> {
    let a = x.scaled(i128::from(op.a_mult))?;
    let c = w.scaled(i128::from(op.b_mult))?;
    let exact = match op.kind {
        BinaryKind::Add => a.plus(&c, 1)?,
        BinaryKind::Sub => a.plus(&c, -1)?,
        BinaryKind::Mul => b.mul(&a, &c)?,
        BinaryKind::Max => {
            let p = positive_part(b, &a, &c)?;
            c.plus(&p, 1)?
        }
        BinaryKind::Min => {
            let p = positive_part(b, &a, &c)?;
            a.plus(&p, -1)?
        }
    };
    let mut exact = exact;
    if matches!(op.kind, BinaryKind::Max | BinaryKind::Min) {
        // max(a, c) and min(a, c) lie between the operands' bounds.
        let (lo, hi) = match op.kind {
            BinaryKind::Max => (a.lo.max(c.lo), a.hi.max(c.hi)),
            _ => (a.lo.min(c.lo), a.hi.min(c.hi)),
        };
        exact.lo = lo;
        exact.hi = hi;
    }
    requant(b, &exact, &op.requant, y_claim)
}

/// `max(a − c, 0)`: `D + 3` constraints.
pub(crate) fn positive_part(b: &Builder, a: &Wire, c: &Wire) -> GResult<Wire> {
    let d = a.plus(c, -1)?;
    let width = d.signed_width();
    let mut u = d.clone();
    u.add_const(1i128 << width)?;
    let bits = b.bits(&u.lc, u.val, width + 1)?;
    let s_val = i128::from(d.val >= 0);
    let s = Wire::var(bits[width as usize], s_val, 0, 1);
    let mut p = b.mul(&s, &d)?;
    p.lo = 0;
    p.hi = d.hi.max(0);
    Ok(p)
}

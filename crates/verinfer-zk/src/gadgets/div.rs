//! `Div`: `requant(round_div(a·2^s, b))` with broadcasting, `round_div` rounding half away
//! from zero and giving 0 when `b = 0` (`verinfer_ir::ops::div`).
//!
//! With `n = a·2^s` (linear):
//! - signs `σn = [n ≥ 0]`, `σb = [b ≥ 0]` by decomposing `w + 2^D` into `D + 1` bits (top bit;
//!   `D + 2` constraints each, free when the bounds fix the sign);
//! - `|n| = 2σn·n − n`, `|b| = 2σb·b − b` (1 product each);
//! - `z = [b = 0]` by the is-zero gadget (2 constraints), `β = |b| + z ≥ 1`;
//! - witness `Q` in `W + 1` bits (`W` the width of `max |n|`), product `P = Q·β`,
//!   `R = 2|n| + β − 2P` with `R` and `2β − 1 − R` each in `V` bits (`V + 1` constraints
//!   each, `V` the width of `2·max β`): so `0 ≤ R < 2β` and `Q = ⌊(2|n| + β)/(2β)⌋`, the
//!   magnitude rounded half up;
//! - `e = σn ⊕ σb` (1 product), `q' = Q − 2e·Q` (1 product), `q = (1 − z)·q'` (1 product).
//!
//! Every product with a constant is free (a constant divisor skips the is-zero gadget, the
//! sign of `b` and `P`). Graphs whose `|n|` bound reaches `2^63` are refused as too wide (the
//! executor's `i64` would overflow or saturate there).

use verinfer_ir::Div;

use super::rescale::requant;
use super::{one, var, Builder, GResult, GadgetError};
use crate::wire::{fr, Wire};
use ark_ff::Field;

/// The output element of operands `x` and `d` (`super::broadcast_pair`); `y_claim` is the
/// trace's value for it.
pub(crate) fn element(b: &Builder, op: &Div, x: Wire, d: Wire, y_claim: i128) -> GResult<Wire> {
    if op.shift >= 62 {
        return Err(GadgetError::Wide(62));
    }
    let n = x.scaled(1i128 << op.shift)?;
    let limit = i128::from(i64::MAX);
    if n.lo < -limit || n.hi > limit {
        return Err(GadgetError::Wide(63));
    }
    let n_abs = abs(b, &n)?;
    let d_abs = abs(b, &d)?;
    // z = [d = 0]
    let z = is_zero(b, &d)?;
    let mut beta = d_abs.plus(&z, 1)?;
    beta.lo = beta.lo.max(1);
    let q_max = n_abs.hi;
    let q_val = if beta.val > 0 {
        (2 * n_abs.val + beta.val) / (2 * beta.val)
    } else {
        0
    };
    let qw = bit_width(q_max);
    let q_bits = b.bits_free(q_val, qw)?;
    let q = Wire {
        lc: super::weighted(&q_bits),
        val: q_val,
        lo: 0,
        hi: (1i128 << qw) - 1,
    };
    let p = b.mul(&q, &beta)?;
    // R = 2|n| + β − 2P
    let mut r = n_abs.scaled(2)?;
    r.add_scaled(&beta, 1)?;
    r.add_scaled(&p, -2)?;
    r.finish();
    let vw = bit_width(2 * beta.hi);
    b.bits(&r.lc, r.val, vw)?;
    // 2β − 1 − R
    let mut s = beta.scaled(2)?;
    s.add_const(-1)?;
    s.add_scaled(&r, -1)?;
    s.finish();
    b.bits(&s.lc, s.val, vw)?;
    let mut q = q;
    q.hi = q_max;
    // e = σn ⊕ σb
    let sn = sign(b, &n)?;
    let sb = sign(b, &d)?;
    let snb = b.mul(&sn, &sb)?;
    let mut e = sn.plus(&sb, 1)?;
    e.add_scaled(&snb, -2)?;
    e.finish();
    e.lo = 0;
    e.hi = 1;
    let eq = b.mul(&e, &q)?;
    let mut signed = q.plus(&eq, -2)?;
    signed.lo = -q_max;
    signed.hi = q_max;
    let mut nz = Wire::constant(1);
    nz.add_scaled(&z, -1)?;
    nz.finish();
    let mut res = b.mul(&nz, &signed)?;
    res.lo = -q_max;
    res.hi = q_max;
    requant(b, &res, &op.requant, y_claim)
}

/// Smallest `w` with `v < 2^w` (for `v ≥ 0`).
fn bit_width(v: i128) -> u32 {
    128 - v.max(0).leading_zeros()
}

/// `[w ≥ 0]` as a 0/1 wire: constant when the bounds fix it, else `D + 2` constraints.
pub(crate) fn sign(b: &Builder, w: &Wire) -> GResult<Wire> {
    if w.lo >= 0 {
        return Ok(Wire::constant(1));
    }
    if w.hi < 0 {
        return Ok(Wire::constant(0));
    }
    let width = w.signed_width();
    let mut u = w.clone();
    u.add_const(1i128 << width)?;
    let bits = b.bits(&u.lc, u.val, width + 1)?;
    Ok(Wire::var(
        bits[width as usize],
        i128::from(w.val >= 0),
        0,
        1,
    ))
}

/// `|w|`: `2·[w ≥ 0]·w − w` (the sign, plus 1 product unless `w` or its sign is constant).
fn abs(b: &Builder, w: &Wire) -> GResult<Wire> {
    let s = sign(b, w)?;
    let p = b.mul(&s, w)?;
    let mut a = p.scaled(2)?;
    a.add_scaled(w, -1)?;
    a.finish();
    a.lo = if w.lo >= 0 {
        w.lo
    } else if w.hi < 0 {
        -w.hi
    } else {
        0
    };
    a.hi =
        w.lo.unsigned_abs()
            .max(w.hi.unsigned_abs())
            .try_into()
            .map_err(|_| GadgetError::Wide(127))?;
    a.val = w.val.abs();
    Ok(a)
}

/// `[w = 0]` as a 0/1 wire: constant for a constant `w`, else 2 constraints
/// (`w·inv = 1 − z`, `w·z = 0`).
pub(crate) fn is_zero(b: &Builder, w: &Wire) -> GResult<Wire> {
    if w.is_const() {
        return Ok(Wire::constant(i128::from(w.val == 0)));
    }
    if w.lo > 0 || w.hi < 0 {
        return Ok(Wire::constant(0));
    }
    let inv = fr(w.val).inverse().unwrap_or_default();
    let inv = b.witness(inv)?;
    let z_val = i128::from(w.val == 0);
    let z = b.witness(fr(z_val))?;
    b.enforce(
        w.lc.clone(),
        var(inv),
        one() - (ark_bn254::Fr::from(1u8), z),
    )?;
    b.enforce(w.lc.clone(), var(z), super::zero())?;
    Ok(Wire::var(z, z_val, 0, 1))
}

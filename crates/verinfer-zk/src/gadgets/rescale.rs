//! The requantization epilogue `y = clamp(round_shift(acc · m, k), B)` (the `Rescale` op and the
//! epilogue of every computing op).
//!
//! - `k > 0`: the remainder `r` is `k` witness bits (`k` constraints, so `r ∈ [0, 2^k)`), and
//!   the quotient is the linear combination `q = (acc·m + 2^(k-1) − r) / 2^k`; the range check
//!   of `q` below makes it the integer quotient (`q·2^k + r = acc·m + 2^(k-1)` over the
//!   integers, since both sides stay far below the field modulus).
//! - Range of `q`: `u = q + 2^Q` decomposed into `Q + 1` bits (`Q + 2` constraints), `Q` the
//!   smallest width holding `q`'s static bounds. Skipped when `k = 0` and the bounds already
//!   lie inside `B` bits (then `y = acc·m`, zero constraints).
//! - Clamp (only when the bounds of `q` can leave `B` bits, so `Q ≥ B`): with sign bit `s = u_Q`
//!   and the window bits `u_{B-1} … u_{Q-1}` (`S1` ones, `S0` zeros), `q` is in range iff
//!   `t = S0 + s·(S1 − S0)` is zero (1 constraint); `inr = [t = 0]` by the is-zero gadget
//!   (2 constraints); `y = sat + inr·(q − sat)` with `sat = lo + s·(hi − lo)` (1 constraint).
//!   So a clamping rescale costs `k + Q + 6` constraints.

use ark_bn254::Fr;
use ark_ff::Field;
use verinfer_ir::Requant;

use super::{one, var, weighted, Builder, GResult, GadgetError};
use crate::wire::{fr, Wire};

/// Largest right shift accepted (keeps `q · 2^k` below the field modulus).
const MAX_SHIFT: u32 = 120;

/// `clamp(round_shift(acc · m, k), B)`; `y_claim` is the witness's output value (the trace).
pub(crate) fn requant(b: &Builder, acc: &Wire, rq: &Requant, y_claim: i128) -> GResult<Wire> {
    let v = acc.scaled(i128::from(rq.mult))?;
    let k = rq.shift;
    if k > MAX_SHIFT {
        return Err(GadgetError::Wide(MAX_SHIFT));
    }
    let lo = i128::from(rq.bits.min_value());
    let hi = i128::from(rq.bits.max_value());
    let q = if k == 0 {
        if v.lo >= lo && v.hi <= hi {
            return Ok(v);
        }
        v
    } else {
        let half = 1i128 << (k - 1);
        let shifted = v.val.saturating_add(half);
        let rem = shifted.rem_euclid(1i128 << k);
        let r_bits = b.bits_free(rem, k)?;
        let inv = Fr::from(2u8)
            .pow([u64::from(k)])
            .inverse()
            .ok_or(GadgetError::Wide(k))?;
        let mut lc = v.lc.clone();
        lc.0.push((fr(half), ark_relations::gr1cs::Variable::One));
        let mut lc = lc - weighted(&r_bits);
        lc.0.iter_mut().for_each(|(c, _)| *c *= inv);
        lc.compactify();
        let qlo = v.lo.checked_add(half).ok_or(GadgetError::Wide(127))? >> k;
        let qhi = v.hi.checked_add(half).ok_or(GadgetError::Wide(127))? >> k;
        Wire {
            lc,
            val: shifted >> k,
            lo: qlo,
            hi: qhi,
        }
    };
    let wq = q.signed_width();
    let needs_clamp = q.lo < lo || q.hi > hi;
    let bits_b = rq.bits.get();
    let width = if needs_clamp { wq.max(bits_b) } else { wq };
    // u = q + 2^width ∈ [0, 2^(width+1))
    let mut u = q.clone();
    u.add_const(1i128 << width)?;
    let ubits = b.bits(&u.lc, u.val, width + 1)?;
    if !needs_clamp {
        return Ok(q);
    }
    let s = ubits[width as usize];
    let window = &ubits[(bits_b - 1) as usize..width as usize];
    let n = i128::try_from(window.len()).map_err(|_| GadgetError::Wide(127))?;
    // S1 − S0 = 2·S1 − n
    let mut diff = ark_relations::gr1cs::LinearCombination(Vec::new());
    for &w in window {
        diff.0.push((Fr::from(2u8), w));
    }
    diff.0.push((fr(-n), ark_relations::gr1cs::Variable::One));
    #[allow(clippy::cast_sign_loss)]
    let raw = u.val as u128;
    let bit = |i: u32| i128::from((raw >> i) & 1 == 1);
    let s1: i128 = (bits_b - 1..width).map(bit).sum();
    let s_val = bit(width);
    let pr_val = s_val * (2 * s1 - n);
    let pr = b.witness(fr(pr_val))?;
    b.enforce(var(s), diff, var(pr))?;
    // t = S0 + pr = n − S1 + pr
    let mut t =
        ark_relations::gr1cs::LinearCombination(vec![(fr(n), ark_relations::gr1cs::Variable::One)]);
    for &w in window {
        t.0.push((-Fr::from(1u8), w));
    }
    t.0.push((Fr::from(1u8), pr));
    let t_val = n - s1 + pr_val;
    let t_f = fr(t_val);
    let inv = b.witness(t_f.inverse().unwrap_or_default())?;
    let inr_val = i128::from(t_val == 0);
    let inr = b.witness(fr(inr_val))?;
    b.enforce(t.clone(), var(inv), one() - (Fr::from(1u8), inr))?;
    b.enforce(t, var(inr), super::zero())?;
    // sat = lo + s·(hi − lo); y = sat + inr·(q − sat)
    let mut sat = Wire::constant(lo);
    sat.add_scaled(&Wire::var(s, s_val, 0, 1), hi - lo)?;
    sat.finish();
    let y = b.witness(fr(y_claim))?;
    let q_minus_sat = q.lc.clone() - &sat.lc;
    b.enforce(var(inr), q_minus_sat, var(y) - &sat.lc)?;
    Ok(Wire::var(y, y_claim, lo, hi))
}

//! `Reduce`: `Sum` is a linear combination of the reduced elements (free); `Max` is a running
//! max over the positions in `verinfer_ir::ops::reduce::positions` order, seeded by the first
//! element (the executor's `i64::MIN` seed makes the first fold the element itself), each step
//! `max(acc, v) = v + max(acc − v, 0)` by the comparison gadget of `binary` (`D + 3`
//! constraints, `D` the width of `acc − v`'s bounds). Then the requant epilogue.
//!
//! `ArgMax` is the same running max over the reference's packed keys
//! `v·2^32 + (2^32 − 1 − k)` (linear in `v`: the step index is a constant of the circuit), so
//! `D` is about 33 bits wider. The index is the low word of the final key: witnesses `low`
//! (32 bits, 32 constraints) and `high` (the maximum's value, range-checked to the input's
//! bounds: `H` constraints), with `acc = high·2^32 + low` (1 constraint) — unique over the
//! integers, and every quantity is far below the field modulus. The index `2^32 − 1 − low` is
//! linear; then the requant epilogue.

use verinfer_ir::ops::reduce::{argmax_index, positions, MAX_STEPS};
use verinfer_ir::{Reduce, ReduceKind};

use super::binary::positive_part;
use super::rescale::requant;
use super::{weighted, Builder, GResult, GadgetError};
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
        ReduceKind::ArgMax => {
            let (v_lo, v_hi) = (x.get(0).lo, x.get(0).hi);
            let mut acc: Option<Wire> = None;
            for (k, &p) in ps.iter().enumerate() {
                let key = key(&x.get(p), k)?;
                acc = Some(match acc {
                    None => key,
                    Some(acc) => {
                        let d = positive_part(b, &acc, &key)?;
                        let mut m = key.plus(&d, 1)?;
                        m.lo = acc.lo.max(key.lo);
                        m.hi = acc.hi.max(key.hi);
                        m
                    }
                });
            }
            let acc = acc.ok_or(GadgetError::Malformed("Reduce over no elements"))?;
            let (lo, hi) = ps.iter().fold((v_lo, v_hi), |(lo, hi), &p| {
                let w = x.get(p);
                (lo.min(w.lo), hi.max(w.hi))
            });
            let low = argmax_index(i64::try_from(acc.val).unwrap_or(i64::MIN));
            index(b, &acc, (1i128 << 32) - 1 - i128::from(low), lo, hi)?
        }
    };
    requant(b, &acc, &r.requant, y_claim)
}

/// The packed key of `v` at step `k` (linear).
fn key(v: &Wire, k: usize) -> GResult<Wire> {
    let k = u64::try_from(k)
        .ok()
        .filter(|&k| k < MAX_STEPS)
        .ok_or(GadgetError::Malformed("ArgMax over 2^32 elements or more"))?;
    let mut w = v.scaled(1i128 << 32)?;
    w.add_const(i128::from(MAX_STEPS - 1 - k))?;
    w.finish();
    Ok(w)
}

/// The index held by the final key `acc`, whose value word lies in `[lo, hi]`; `low_val` is the
/// prover's low word: the constraints hold only for `acc mod 2^32`.
pub(crate) fn index(b: &Builder, acc: &Wire, low_val: i128, lo: i128, hi: i128) -> GResult<Wire> {
    let low_bits = b.bits_free(low_val, 32)?;
    let low = Wire {
        lc: weighted(&low_bits),
        val: low_val,
        lo: 0,
        hi: (1i128 << 32) - 1,
    };
    // high = (acc − low) / 2^32, proven to lie in [lo, hi] by decomposing high − lo.
    let high_val = (acc.val - low_val) >> 32;
    let width = 128 - (hi - lo).max(0).leading_zeros();
    let h_bits = b.bits_free(high_val - lo, width)?;
    let mut high = Wire {
        lc: weighted(&h_bits),
        val: high_val - lo,
        lo: 0,
        hi: (1i128 << width) - 1,
    };
    high.add_const(lo)?;
    high.finish();
    // acc = high·2^32 + low
    let mut rebuilt = high.scaled(1i128 << 32)?;
    rebuilt.add_scaled(&low, 1)?;
    rebuilt.finish();
    b.enforce_eq(acc.lc.clone(), rebuilt.lc)?;
    let mut idx = Wire::constant((1i128 << 32) - 1);
    idx.add_scaled(&low, -1)?;
    idx.finish();
    Ok(idx)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::gadgets::lookup::tests::{input, tamperable};

    /// ArgMax of `vals` (8-bit inputs) with the prover's low word shifted by `tamper`.
    fn satisfied(vals: &[i128], tamper: i128) -> (bool, i128) {
        let (cs, b) = tamperable();
        let ws: Vec<Wire> = vals.iter().map(|&v| input(&b, v, v, -128, 127)).collect();
        let mut acc = key(&ws[0], 0).unwrap();
        for (k, w) in ws.iter().enumerate().skip(1) {
            let kw = key(w, k).unwrap();
            let d = positive_part(&b, &acc, &kw).unwrap();
            let mut m = kw.plus(&d, 1).unwrap();
            m.lo = acc.lo.max(kw.lo);
            m.hi = acc.hi.max(kw.hi);
            acc = m;
        }
        let low = (1i128 << 32) - 1 - i128::from(argmax_index(i64::try_from(acc.val).unwrap()));
        let idx = index(&b, &acc, low + tamper, -128, 127).unwrap();
        (cs.is_satisfied().unwrap(), idx.val)
    }

    #[test]
    fn only_the_first_maximum_satisfies() {
        for (vals, want) in [
            (vec![3, 7, 7, 1], 1),
            (vec![-5, -2, -9, -2], 1),
            (vec![4, 4, 4], 0),
            (vec![-128, -128, 127], 2),
            (vec![9], 0),
        ] {
            assert_eq!(satisfied(&vals, 0), (true, want), "{vals:?}");
            for tamper in [1, -1, 1 << 20] {
                assert!(!satisfied(&vals, tamper).0, "{vals:?} low {tamper:+}");
            }
        }
    }
}

//! `Gather` with run-time indices (`verinfer_ir::ops::gather`): output element `j` is
//! `data[…, row(idx[…]), …]` with `row(v) = clamp(v < 0 ? v + n : v, 0, n − 1)`.
//!
//! Per index element (shared by every output element it selects):
//! - the row, exact: the sign `s = [v ≥ 0]` (a bit decomposition, only when the index's bounds
//!   allow both signs), `w = v + n·(1 − s)` (linear), then `clamp(w, 0, n − 1)` by
//!   [`clamp_index`] — each step only when the static bounds make it possible;
//! - a one-hot vector over the `m` reachable rows (`m` constraints) with `Σ k·e_k = row − lo`
//!   (1 constraint; it also range-checks the row).
//!
//! Per output element: `Σ_k e_k·data[…, k, …]`, a free linear combination when the data is
//! constant (an embedding table), else one product per reachable row.

use verinfer_ir::ops::gather::{output_shape, reads};
use verinfer_ir::shape::numel;
use verinfer_ir::Gather;

use super::div::sign;
use super::lookup::{clamp_index, OneHot};
use super::{var, Builder, GResult, GadgetError};
use crate::circuit::Src;
use crate::wire::{fr, Wire};

/// Every output element of a `Gather` node of output shape `out`.
pub(crate) fn node(b: &Builder, g: &Gather, ins: &[Src<'_>], out: &[usize]) -> GResult<Vec<Wire>> {
    let (Some(data), Some(idx)) = (ins.first(), ins.get(1)) else {
        return Err(GadgetError::Malformed("Gather needs data and indices"));
    };
    let expected = output_shape(g, &[data.shape, idx.shape])
        .map_err(|_| GadgetError::Malformed("Gather axis invalid for the data"))?;
    if expected != out || numel(data.shape) != data.len() || numel(idx.shape) != idx.len() {
        return Err(GadgetError::Malformed("Gather shapes do not fit"));
    }
    let n = data.shape[g.axis];
    let n = i128::try_from(n).map_err(|_| GadgetError::Wide(127))?;
    let mut rows: Vec<Option<Rows>> = (0..idx.len()).map(|_| None).collect();
    let total = numel(out);
    let mut res = Vec::with_capacity(total);
    for j in 0..total {
        let r = reads(g, data.shape, idx.shape, out, j)
            .ok_or(GadgetError::Malformed("Gather shapes do not fit"))?;
        let slot = rows
            .get_mut(r.index)
            .ok_or(GadgetError::Malformed("Gather index out of range"))?;
        let sel = match slot {
            Some(sel) => sel,
            None => slot.insert(Rows::new(b, &idx.get(r.index), n)?),
        };
        res.push(sel.pick(b, data, r.base, r.row_stride)?);
    }
    Ok(res)
}

/// `resolve(v, n)` as an exact wire in `[0, n − 1]`: negatives count from the end, then clamp.
pub(crate) fn resolve(b: &Builder, v: &Wire, n: i128) -> GResult<Wire> {
    let w = if v.lo >= 0 {
        v.clone()
    } else if v.hi < 0 {
        let mut w = v.clone();
        w.add_const(n)?;
        w.finish();
        w
    } else {
        let s = sign(b, v)?;
        let mut w = v.clone();
        w.add_const(n)?;
        w.add_scaled(&s, -n)?;
        w.finish();
        // v ≥ 0 gives w = v ∈ [0, hi]; v < 0 gives w = v + n ∈ [lo + n, n − 1].
        w.lo = v.lo.saturating_add(n).min(0);
        w.hi = v.hi.max(n - 1);
        w
    };
    clamp_index(b, &w, n - 1)
}

/// The one-hot selection of one index element's row among the reachable rows `lo ..`.
struct Rows {
    lo: usize,
    hot: OneHot,
}

impl Rows {
    fn new(b: &Builder, v: &Wire, n: i128) -> GResult<Self> {
        let row = resolve(b, v, n)?;
        let m = usize::try_from(row.hi - row.lo + 1)
            .map_err(|_| GadgetError::Malformed("empty row range"))?;
        let lo = usize::try_from(row.lo).map_err(|_| GadgetError::Malformed("negative row"))?;
        let pos = usize::try_from(row.val.saturating_sub(row.lo)).unwrap_or(0);
        let hot = OneHot::new(b, m, pos)?;
        if m > 1 {
            // Σ k·e_k = row − lo: selects exactly the resolved row.
            let mut rhs = row.lc.clone();
            rhs.0
                .push((fr(-row.lo), ark_relations::gr1cs::Variable::One));
            b.enforce_eq(hot.index(1), rhs)?;
        }
        Ok(Self { lo, hot })
    }

    /// `Σ_k e_k · data[base + (lo + k)·stride]`.
    fn pick(&self, b: &Builder, data: &Src<'_>, base: usize, stride: usize) -> GResult<Wire> {
        let m = self.hot.len();
        let mut consts = vec![0i128; m];
        let mut lc = ark_relations::gr1cs::LinearCombination(Vec::new());
        let (mut lo, mut hi, mut val) = (i128::MAX, i128::MIN, 0);
        for (k, slot) in consts.iter_mut().enumerate() {
            let flat = base + (self.lo + k) * stride;
            let (wlo, whi, wval) = if let Some(c) = data.constant(flat) {
                *slot = c;
                (c, c, c)
            } else {
                let w = data.get(flat);
                let pv = self.hot.val(k).saturating_mul(w.val);
                let p = b.witness(fr(pv))?;
                b.enforce(self.hot.lc(k), w.lc.clone(), var(p))?;
                lc.0.push((ark_bn254::Fr::from(1u8), p));
                (w.lo, w.hi, w.val)
            };
            lo = lo.min(wlo);
            hi = hi.max(whi);
            if k == self.hot.pos() {
                val = wval;
            }
        }
        lc.0.extend(self.hot.combine(&consts).0);
        // Exactly one e_k is 1: the element is one of the reachable rows' values.
        let mut w = Wire { lc, val, lo, hi };
        w.finish();
        Ok(w)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
mod tests {
    use super::*;
    use crate::gadgets::lookup::tests::{eval, input, tamperable};

    /// The row one-hot of every index in `[lo, hi]`, with the witness built for every other
    /// index: satisfied only when it selects `resolve`'s row (always for the honest one).
    #[test]
    fn row_refuses_witness_of_another_index() {
        for n in [1i128, 5, 10, 16] {
            for (lo, hi) in [(-24i128, 24i128), (0, 24), (-24, -1), (-3, 3)] {
                for real in lo..=hi {
                    for claimed in lo..=hi {
                        let (cs, b) = tamperable();
                        let v = input(&b, real, claimed, lo, hi);
                        let rows = Rows::new(&b, &v, n).unwrap();
                        let ok = cs.is_satisfied().unwrap();
                        assert!(ok || real != claimed, "n {n} [{lo},{hi}] {real}");
                        if !ok {
                            continue;
                        }
                        let want = verinfer_ir::ops::gather::resolve(
                            i32::try_from(real).unwrap(),
                            usize::try_from(n).unwrap(),
                        );
                        let mut row = rows.hot.index(1);
                        row.0.push((
                            fr(i128::try_from(rows.lo).unwrap()),
                            ark_relations::gr1cs::Variable::One,
                        ));
                        let want = i128::try_from(want).unwrap();
                        assert_eq!(eval(&cs, &row), fr(want), "n {n} {real} as {claimed}");
                        if real == claimed {
                            assert_eq!(i128::try_from(rows.lo + rows.hot.pos()).unwrap(), want);
                        }
                    }
                }
            }
        }
    }
}

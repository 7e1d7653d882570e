//! `Lookup`: `out[j] = table[clamp(x[j] − lo, 0, len − 1)]` (`verinfer_ir::ops::lookup`); the
//! table is a circuit constant (it is the function being proven, whatever the visibility).
//!
//! Per element:
//! - the index `i = clamp(x − lo, 0, len − 1)`, exact ([`clamp_index`]): free when the static
//!   bounds of `x` lie inside the domain, else one bit decomposition of `x − lo` and a
//!   bit-window test (`Q + 3 … Q + 6` constraints, `Q` the width of `x − lo`'s bounds) for a
//!   power-of-two table, two comparisons otherwise;
//! - the reachable entries `T[i_lo ..= i_hi]` (`n` of them, `[i_lo, i_hi]` the static bounds of
//!   `i`) are laid out as `R` rows of `C` columns; two one-hot vectors `e` (`R` booleans) and
//!   `f` (`C` booleans) with `Σ_a a·C·e_a + Σ_b b·f_b = i − i_lo` (1 constraint) select the
//!   entry, and the one-hot sums also range-check the row and the column;
//! - `out = Σ_a e_a · (Σ_b T[a·C + b]·f_b)`: each inner sum is a linear combination of `f`
//!   (the table is constant), so one product per row — none for a row of equal entries
//!   (saturated regions of a table).
//!
//! So `R + C + 1 + R'` constraints (`R'` the rows whose entries differ) plus the clamp; `C` is
//! chosen per node to minimise that (`C = 90`, `R = 46`: 183 for 4096 entries; 47 for 256).
//! Entries past `i_hi` in the last row are unreachable: the link forces
//! `a·C + b = i − i_lo ≤ n − 1`. A node whose reachable entries are all equal is a constant.

use std::collections::btree_map::Entry;
use std::collections::BTreeMap;

use ark_bn254::Fr;
use ark_relations::gr1cs::{LinearCombination, Variable};
use verinfer_ir::Lookup;

use super::binary::positive_part;
use super::div::is_zero;
use super::{one, var, weighted, zero, Builder, GResult, GadgetError};
use crate::circuit::Src;
use crate::wire::{fr, Lc, Wire};

/// Every output element of a `Lookup` node (`numel` of them) over `table`.
pub(crate) fn node(
    b: &Builder,
    l: &Lookup,
    table: &[i32],
    ins: &[Src<'_>],
    numel: usize,
) -> GResult<Vec<Wire>> {
    let Some(x) = ins.first() else {
        return Err(GadgetError::Malformed("Lookup needs one input"));
    };
    if table.is_empty() {
        return Err(GadgetError::Malformed("Lookup table is empty"));
    }
    if x.len() != numel {
        return Err(GadgetError::Malformed(
            "Lookup input and output sizes differ",
        ));
    }
    let last = i128::try_from(table.len()).map_err(|_| GadgetError::Wide(127))? - 1;
    // Elements with the same index bounds share one layout (usually the whole node).
    let mut layouts: BTreeMap<(i128, i128), Layout> = BTreeMap::new();
    let mut out = Vec::with_capacity(numel);
    for j in 0..numel {
        let mut d = x.get(j);
        d.add_const(-i128::from(l.lo))?;
        d.finish();
        let i = clamp_index(b, &d, last)?;
        let layout = match layouts.entry((i.lo, i.hi)) {
            Entry::Occupied(o) => o.into_mut(),
            Entry::Vacant(v) => v.insert(Layout::new(table, i.lo, i.hi)?),
        };
        out.push(layout.select(b, &i)?);
    }
    Ok(out)
}

/// Smallest `w` with `v < 2^w` (for `v ≥ 0`).
fn unsigned_width(v: i128) -> u32 {
    128 - v.max(0).leading_zeros()
}

/// `clamp(d, 0, m)` as an exact wire, for `m ≥ 0`: for every satisfying assignment it equals
/// the clamp of `d`'s value. Its bounds are the clamped bounds of `d`.
///
/// Free when `d`'s bounds already lie in `[0, m]` (or pin the result); for `m + 1 = 2^B`
/// one decomposition and a bit-window test ([`window_clamp`]); otherwise a lower and an upper
/// comparison ([`positive_part`]), each only when the bounds make it possible.
pub(crate) fn clamp_index(b: &Builder, d: &Wire, m: i128) -> GResult<Wire> {
    if m < 0 {
        return Err(GadgetError::Malformed("empty index range"));
    }
    if d.lo >= 0 && d.hi <= m {
        return Ok(d.clone());
    }
    let (lo, hi) = (d.lo.clamp(0, m), d.hi.clamp(0, m));
    if lo == hi {
        return Ok(Wire::constant(lo));
    }
    let mut w = if m.unsigned_abs().wrapping_add(1).is_power_of_two() {
        window_clamp(b, d, m)?
    } else {
        let mut t = d.clone();
        if t.lo < 0 {
            // max(t, 0)
            t = positive_part(b, &t, &Wire::constant(0))?;
        }
        if t.hi > m {
            // min(t, m) = t − max(t − m, 0)
            let p = positive_part(b, &t, &Wire::constant(m))?;
            t = t.plus(&p, -1)?;
        }
        t
    };
    // The clamp is monotone, so the clamped bounds hold for the exact result.
    w.lo = lo;
    w.hi = hi;
    Ok(w)
}

/// `clamp(d, 0, m)` for `m + 1 = 2^B` by one bit decomposition: `u = d + 2^Q` (only when `d`
/// can be negative; `Q` the width of `d`'s bounds) into bits, sign `s` = the top bit; for
/// `d ≥ 0`, `d ≤ m` iff the window bits `B..Q` are all zero (`z` by the is-zero gadget on
/// their sum, 2 constraints), and then `d` is its low `B` bits: `base = m + z·(low_B − m)`
/// (1 product), `i = s·base` (1 product). `Q + 6` constraints with both sides, `Q + 4` for the
/// upper side alone, `Q + 3` for the lower side alone.
fn window_clamp(b: &Builder, d: &Wire, m: i128) -> GResult<Wire> {
    let bw = m.unsigned_abs().wrapping_add(1).trailing_zeros();
    let neg = d.lo < 0;
    let over = d.hi > m;
    let q = if neg {
        d.signed_width()
    } else {
        unsigned_width(d.hi)
    };
    let mut u = d.clone();
    if neg {
        u.add_const(1i128 << q)?;
        u.finish();
    }
    let bits = b.bits(&u.lc, u.val, q + u32::from(neg))?;
    // Two's complement bits of a (possibly dishonest) value: never panics.
    #[allow(clippy::cast_sign_loss)]
    let raw = u.val as u128;
    let low = |k: u32| -> GResult<Wire> {
        let mask = (1u128 << k) - 1;
        #[allow(clippy::cast_possible_wrap)]
        let val = (raw & mask) as i128;
        let lows = bits.get(..k as usize).ok_or(GadgetError::Wide(k))?;
        Ok(Wire {
            lc: weighted(lows),
            val,
            lo: 0,
            hi: (1i128 << k) - 1,
        })
    };
    let base = if over {
        // Here d.hi ≥ 2^B, so Q > B and the window is not empty.
        let window = bits.get(bw as usize..q as usize).unwrap_or(&[]);
        let mut sum = LinearCombination(Vec::with_capacity(window.len()));
        for &w in window {
            sum.0.push((Fr::from(1u8), w));
        }
        #[allow(clippy::cast_possible_wrap)]
        let sum_val = (bw..q).map(|i| ((raw >> i) & 1) as i128).sum();
        let s = Wire {
            lc: sum,
            val: sum_val,
            lo: 0,
            hi: i128::try_from(window.len()).map_err(|_| GadgetError::Wide(127))?,
        };
        let z = is_zero(b, &s)?;
        let mut diff = low(bw)?;
        diff.add_const(-m)?;
        diff.finish();
        let mut base = b.mul(&z, &diff)?;
        base.add_const(m)?;
        base.finish();
        base.lo = 0;
        base.hi = m;
        base
    } else {
        // d ≤ m: a non-negative d is exactly its low Q bits.
        low(q)?
    };
    if !neg {
        return Ok(base);
    }
    #[allow(clippy::cast_possible_wrap)]
    let s_val = ((raw >> q) & 1) as i128;
    let top = bits.get(q as usize).copied().ok_or(GadgetError::Wide(q))?;
    let s = Wire::var(top, s_val, 0, 1);
    b.mul(&s, &base)
}

/// A one-hot vector of `m` booleans: variables `e_1 … e_{m−1}` and `e_0 = 1 − Σ e_k`, so the
/// sum is 1 by construction; `m` constraints (`e_k` boolean, and `Σ e_k` boolean so that `e_0`
/// is), none for `m = 1` (`e_0 = 1`).
pub(crate) struct OneHot {
    vars: Vec<Variable>,
    pos: usize,
}

impl OneHot {
    /// The vector with a 1 at `pos` (the witness; the caller constrains which position).
    pub(crate) fn new(b: &Builder, m: usize, pos: usize) -> GResult<Self> {
        if m == 0 {
            return Err(GadgetError::Malformed("empty one-hot vector"));
        }
        let pos = pos.min(m - 1);
        let mut vars = Vec::with_capacity(m - 1);
        let mut sum = LinearCombination(Vec::with_capacity(m - 1));
        for k in 1..m {
            let v = b.witness(Fr::from(u8::from(k == pos)))?;
            b.enforce(var(v), var(v) - (Fr::from(1u8), Variable::One), zero())?;
            sum.0.push((Fr::from(1u8), v));
            vars.push(v);
        }
        if m > 1 {
            b.enforce(sum.clone(), sum - (Fr::from(1u8), Variable::One), zero())?;
        }
        Ok(Self { vars, pos })
    }

    /// Number of positions.
    pub(crate) fn len(&self) -> usize {
        self.vars.len() + 1
    }

    /// The selected position (witness).
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// `e_k` as a linear combination.
    pub(crate) fn lc(&self, k: usize) -> Lc {
        match k.checked_sub(1).and_then(|i| self.vars.get(i)) {
            Some(&v) => var(v),
            None => {
                let mut e0 = one();
                for &v in &self.vars {
                    e0.0.push((-Fr::from(1u8), v));
                }
                e0
            }
        }
    }

    /// `e_k`'s witness value.
    pub(crate) fn val(&self, k: usize) -> i128 {
        i128::from(k == self.pos)
    }

    /// `Σ_k c_k·e_k` (free), as `c_0 + Σ_{k≥1} (c_k − c_0)·e_k` so that `e_0` is not expanded.
    pub(crate) fn combine(&self, c: &[i128]) -> Lc {
        let c0 = c.first().copied().unwrap_or(0);
        let mut lc = LinearCombination(Vec::with_capacity(self.vars.len() + 1));
        if c0 != 0 {
            lc.0.push((fr(c0), Variable::One));
        }
        for (k, &v) in self.vars.iter().enumerate() {
            let ck = c.get(k + 1).copied().unwrap_or(0) - c0;
            if ck != 0 {
                lc.0.push((fr(ck), v));
            }
        }
        lc
    }

    /// `w · (selected position)` (free): `Σ_k k·w·e_k`.
    pub(crate) fn index(&self, w: i128) -> Lc {
        let mut lc = LinearCombination(Vec::with_capacity(self.vars.len()));
        let mut k = w;
        for &v in &self.vars {
            lc.0.push((fr(k), v));
            k += w;
        }
        lc
    }
}

/// The reachable table entries `T[lo ..= lo + n − 1]` as `rows × cols` (row-major; the last
/// row padded with the last entry).
struct Layout {
    lo: i128,
    n: usize,
    cols: usize,
    /// Per row: its `cols` entries, or the one value when they are all equal.
    rows: Vec<Row>,
    min: i128,
    max: i128,
}

enum Row {
    Constant(i128),
    Entries(Vec<i128>),
}

impl Layout {
    /// The layout of entries `[lo, hi]` (a sub-range of the table) with the cheapest shape.
    fn new(table: &[i32], lo: i128, hi: i128) -> GResult<Self> {
        let bad = || GadgetError::Malformed("Lookup index bounds outside the table");
        let first = usize::try_from(lo).map_err(|_| bad())?;
        let last = usize::try_from(hi).map_err(|_| bad())?;
        let t: Vec<i128> = table
            .get(first..=last)
            .ok_or_else(bad)?
            .iter()
            .map(|&v| i128::from(v))
            .collect();
        let n = t.len();
        // run_end[k]: one past the last index of the run of equal entries starting at k.
        let mut run_end = vec![n; n];
        for k in (0..n.saturating_sub(1)).rev() {
            run_end[k] = if t[k] == t[k + 1] {
                run_end[k + 1]
            } else {
                k + 1
            };
        }
        let constant = |start: usize, cols: usize| run_end[start] >= (start + cols).min(n);
        let cost = |cols: usize| {
            let rows = n.div_ceil(cols);
            if rows == 1 {
                return cols + 1;
            }
            let products = (0..rows).filter(|&a| !constant(a * cols, cols)).count();
            rows + usize::from(cols > 1) * cols + 1 + products
        };
        let cols = (1..=n).min_by_key(|&c| (cost(c), c)).unwrap_or(1);
        let rows = (0..n.div_ceil(cols))
            .map(|a| {
                let start = a * cols;
                if constant(start, cols) {
                    Row::Constant(t[start])
                } else {
                    Row::Entries(
                        (start..start + cols)
                            .map(|k| t.get(k).or(t.last()).copied().unwrap_or(0))
                            .collect(),
                    )
                }
            })
            .collect();
        let min = t.iter().copied().min().unwrap_or(0);
        let max = t.iter().copied().max().unwrap_or(0);
        Ok(Self {
            lo,
            n,
            cols,
            rows,
            min,
            max,
        })
    }

    /// The entry at index wire `i` (bounds `[lo, lo + n − 1]`).
    fn select(&self, b: &Builder, i: &Wire) -> GResult<Wire> {
        let entry = |r: usize| {
            let (a, c) = (r / self.cols, r % self.cols);
            match self.rows.get(a) {
                Some(Row::Constant(v)) => *v,
                Some(Row::Entries(es)) => es.get(c).copied().unwrap_or(0),
                None => 0,
            }
        };
        // One reachable value (a single entry, or a saturated stretch): a constant.
        if self.min == self.max {
            return Ok(Wire::constant(self.min));
        }
        let top = i128::try_from(self.n - 1).map_err(|_| GadgetError::Wide(127))?;
        let r = usize::try_from(i.val.saturating_sub(self.lo).clamp(0, top)).unwrap_or(0);
        let (av, bv) = (r / self.cols, r % self.cols);
        let e = OneHot::new(b, self.rows.len(), av)?;
        let f = OneHot::new(b, self.cols, bv)?;
        // Link: a·C + b = i − lo (this also makes the padding unreachable).
        let cols = i128::try_from(self.cols).map_err(|_| GadgetError::Wide(127))?;
        let mut idx = e.index(cols);
        idx.0.extend(f.index(1).0);
        let mut rhs = i.lc.clone();
        rhs.0.push((fr(-self.lo), Variable::One));
        b.enforce_eq(idx, rhs)?;
        let mut y = LinearCombination(Vec::new());
        let mut consts = vec![0i128; self.rows.len()];
        for (a, row) in self.rows.iter().enumerate() {
            match row {
                Row::Constant(v) => consts[a] = *v,
                Row::Entries(es) => {
                    let inner = f.combine(es);
                    if self.rows.len() == 1 {
                        y.0.extend(inner.0);
                    } else {
                        let pv = e.val(a) * es.get(bv).copied().unwrap_or(0);
                        let p = b.witness(fr(pv))?;
                        b.enforce(e.lc(a), inner, var(p))?;
                        y.0.push((Fr::from(1u8), p));
                    }
                }
            }
        }
        y.0.extend(e.combine(&consts).0);
        let mut w = Wire {
            lc: y,
            val: entry(r),
            lo: self.min,
            hi: self.max,
        };
        w.finish();
        Ok(w)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
pub(crate) mod tests {
    use super::*;
    use ark_relations::gr1cs::{ConstraintSystem, ConstraintSystemRef, SynthesisMode};
    use verinfer_ir::ops::lookup::table_index;

    /// A constraint system whose satisfaction check re-evaluates every linear combination
    /// (no cached values), so that witness values can be tampered with after synthesis.
    pub(crate) fn tamperable() -> (ConstraintSystemRef<Fr>, Builder) {
        let cs = ConstraintSystem::<Fr>::new_ref();
        cs.set_mode(SynthesisMode::Prove {
            construct_matrices: true,
            generate_lc_assignments: false,
        });
        let b = Builder { cs: cs.clone() };
        (cs, b)
    }

    /// A range-checked input in `[lo, hi]` whose variable holds `real`, while the gadgets
    /// are told `claimed` (a prover building the rest of its witness for another input).
    pub(crate) fn input(b: &Builder, real: i128, claimed: i128, lo: i128, hi: i128) -> Wire {
        let width = 128 - (hi - lo).leading_zeros();
        let bits = b.bits_free(real - lo, width).unwrap();
        let mut lc = weighted(&bits);
        lc.0.push((fr(lo), Variable::One));
        // x − lo ≤ hi − lo: (hi − lo) − (x − lo) in `width` bits as well.
        let mut slack = LinearCombination(vec![(fr(hi), Variable::One)]);
        slack.0.extend(lc.0.iter().map(|&(c, v)| (-c, v)));
        b.bits(&slack, hi - real, width).unwrap();
        Wire {
            lc,
            val: claimed,
            lo,
            hi,
        }
    }

    pub(crate) fn eval(cs: &ConstraintSystemRef<Fr>, lc: &Lc) -> Fr {
        lc.0.iter()
            .map(|&(c, v)| c * cs.assigned_value(v).unwrap())
            .sum()
    }

    fn element(b: &Builder, table: &[i32], lo: i32, x: &Wire) -> Wire {
        let mut d = x.clone();
        d.add_const(-i128::from(lo)).unwrap();
        d.finish();
        let last = i128::try_from(table.len()).unwrap() - 1;
        let i = clamp_index(b, &d, last).unwrap();
        Layout::new(table, i.lo, i.hi)
            .unwrap()
            .select(b, &i)
            .unwrap()
    }

    /// Tables of 16 (window clamp) and 12 (comparison clamp) entries, a 6-bit input whose
    /// domain offset puts inputs on both sides of the table.
    fn cases() -> Vec<(Vec<i32>, i32)> {
        let t16: Vec<i32> = (0..16).map(|k| (k * 37 + 5) % 101 - 50).collect();
        let t12: Vec<i32> = (0..12).map(|k| (k * 53 + 11) % 97 - 40).collect();
        vec![
            (t16.clone(), -5),
            (t12, -5),
            (t16, -40),
            (vec![3, 3, 9, 9, 9, 4], 2),
        ]
    }

    /// Every (input, other input) pair: the witness built for the other input satisfies the
    /// constraints on this one only if it gives this input's entry; the honest one does.
    #[test]
    fn lookup_refuses_witness_of_another_input() {
        for (table, lo) in cases() {
            let l = Lookup {
                table: verinfer_ir::ParamId(0),
                lo,
            };
            for real in -32..32 {
                let want = table[table_index(&l, table.len(), real)];
                for claimed in -32..32 {
                    let (cs, b) = tamperable();
                    let x = input(&b, real.into(), claimed.into(), -32, 31);
                    let y = element(&b, &table, lo, &x);
                    let ok = cs.is_satisfied().unwrap();
                    assert!(ok || real != claimed, "{lo} {real}");
                    if ok {
                        assert_eq!(
                            eval(&cs, &y.lc),
                            fr(i128::from(want)),
                            "{lo} {real} as {claimed}"
                        );
                    }
                    if real == claimed {
                        assert_eq!(y.val, i128::from(want));
                    }
                }
            }
        }
    }

    /// Changing any one witness variable of an honest lookup either breaks a constraint or
    /// leaves the output unchanged (free witnesses such as an is-zero inverse).
    #[test]
    fn lookup_single_variable_tampering() {
        for (table, lo) in cases() {
            for real in -32..32 {
                let (cs, b) = tamperable();
                let x = input(&b, real, real, -32, 31);
                let first = cs.num_witness_variables();
                let y = element(&b, &table, lo, &x);
                assert!(cs.is_satisfied().unwrap());
                let honest = eval(&cs, &y.lc);
                for k in first..cs.num_witness_variables() {
                    for delta in [1i8, -1, 2] {
                        let old = cs.borrow().unwrap().assignments.witness_assignment[k];
                        cs.borrow_mut().unwrap().assignments.witness_assignment[k] =
                            old + Fr::from(delta);
                        let ok = cs.is_satisfied().unwrap();
                        assert!(
                            !ok || eval(&cs, &y.lc) == honest,
                            "{lo} x={real} var {k} {delta:+}"
                        );
                        cs.borrow_mut().unwrap().assignments.witness_assignment[k] = old;
                    }
                }
            }
        }
    }

    #[test]
    fn clamp_index_is_exact() {
        for m in [0i128, 1, 7, 9, 15, 16] {
            for (dlo, dhi) in [
                (-20i128, 30i128),
                (0, 30),
                (-20, 5),
                (-3, 3),
                (2, 6),
                (-9, -1),
            ] {
                for real in dlo..=dhi {
                    let (cs, b) = tamperable();
                    let d = input(&b, real, real, dlo, dhi);
                    let i = clamp_index(&b, &d, m).unwrap();
                    assert!(cs.is_satisfied().unwrap());
                    let want = real.clamp(0, m);
                    assert_eq!(eval(&cs, &i.lc), fr(want), "m {m} [{dlo},{dhi}] {real}");
                    assert_eq!(i.val, want);
                    assert!(i.lo <= want && want <= i.hi);
                    assert!(0 <= i.lo && i.hi <= m);
                }
            }
        }
    }
}

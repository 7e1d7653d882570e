//! How one contraction operand is read: per-key row bases, per-step deltas and bounds checks.
//!
//! The operand element read at `(o, r)` has flat index `Σ_a stride_a · idx_a(o, r)`, which is
//! affine in `(o, r)`: a *key* part (the out dims the map uses) plus a *step* part (the
//! reduction index). The term is zero when any axis index leaves its dim; only axes whose range
//! over the whole iteration box can leave it ("checked" axes) are tested in the loops.

use verinfer_ir::shape::{numel, strides, unravel_into};
use verinfer_ir::AffineMap;

use super::elem::Elem;

/// Largest magnitude allowed for any precomputed base or delta, so that one base plus one
/// delta never overflows `i64`.
const LIMIT: i128 = 1 << 62;

/// Precomputed reading of one operand: row `key` is `[v(key, s) for s in 0..k]`, where
/// `v` is the operand element or 0 when out of bounds.
#[derive(Clone)]
pub(crate) struct Access {
    /// Reduction steps per row.
    pub k: usize,
    /// Per out-iteration dim, the key stride (0 for dims outside the key).
    pub key_weights: Vec<i64>,
    /// Number of keys.
    pub nkeys: usize,
    /// Per key, the flat index at reduction step 0 (negative when it starts in padding).
    base: Vec<i64>,
    /// Sizes of the checked axes.
    check_dims: Vec<i64>,
    /// Per key, the index of each checked axis at step 0 (`nkeys × nchecked`).
    axis_base: Vec<i64>,
    /// Per step, the flat delta.
    step_flat: Vec<i64>,
    /// Per step, the delta of each checked axis (`k × nchecked`).
    step_axis: Vec<i64>,
    /// Per checked axis, the smallest and largest step delta (a row whose extremes are
    /// inside is copied without checks: the interior of a padded convolution).
    step_span: Vec<(i64, i64)>,
    /// Flat delta per unit of the last out dim.
    last_flat: i64,
    /// Per checked axis, its coefficient on the last out dim.
    last_axis: Vec<i64>,
}

fn fits(v: i128) -> Option<i64> {
    (v.abs() < LIMIT).then_some(v as i64)
}

impl Access {
    /// Analyse `map` reading an operand of shape `dims` over `out_iter × red`.
    ///
    /// `None` when an index computation leaves the supported range (|value| ≥ 2^62) or a
    /// table size overflows.
    pub(crate) fn new(
        map: &AffineMap,
        dims: &[usize],
        out_iter: &[usize],
        red: &[usize],
    ) -> Option<Self> {
        let k = numel(red);
        let st: Vec<i128> = strides(dims).iter().map(|&s| s as i128).collect();
        let key_dims: Vec<usize> = (0..out_iter.len())
            .filter(|&i| {
                map.rows
                    .iter()
                    .any(|r| r.out.get(i).is_some_and(|&c| c != 0))
            })
            .collect();
        let key_sizes: Vec<usize> = key_dims.iter().map(|&i| out_iter[i]).collect();
        let nkeys = key_sizes
            .iter()
            .try_fold(1usize, |a, &d| a.checked_mul(d))?;
        let mut key_weights = vec![0i64; out_iter.len()];
        let mut stride = 1i64;
        for (&i, &d) in key_dims.iter().zip(&key_sizes).rev() {
            key_weights[i] = stride;
            stride = stride.checked_mul(i64::try_from(d).ok()?)?;
        }
        let ranges = map.ranges(out_iter, red);
        let checked: Vec<usize> = (0..dims.len())
            .filter(|&a| {
                let (lo, hi) = ranges[a];
                !(lo >= 0 && (hi as i128) < dims[a] as i128)
            })
            .collect();
        let nc = checked.len();
        let check_dims: Vec<i64> = checked
            .iter()
            .map(|&a| i64::try_from(dims[a]).ok())
            .collect::<Option<_>>()?;

        // Per key: axis indices from the offset and the out coefficients.
        let mut base = Vec::with_capacity(nkeys);
        let mut axis_base = Vec::with_capacity(nkeys.checked_mul(nc)?);
        let mut key_idx = vec![0usize; key_dims.len()];
        for key in 0..nkeys {
            unravel_into(key, &key_sizes, &mut key_idx);
            let mut flat = 0i128;
            for (a, row) in map.rows.iter().enumerate() {
                let mut v = row.offset as i128;
                for (&i, &o) in key_dims.iter().zip(&key_idx) {
                    v += row.out[i] as i128 * o as i128;
                }
                flat += st[a] * v;
                if checked.contains(&a) {
                    axis_base.push(fits(v)?);
                }
            }
            base.push(fits(flat)?);
        }

        // Per step: axis deltas from the reduction coefficients.
        let mut step_flat = Vec::with_capacity(k);
        let mut step_axis = Vec::with_capacity(k.checked_mul(nc)?);
        let mut r = vec![0usize; red.len()];
        for s in 0..k {
            unravel_into(s, red, &mut r);
            let mut flat = 0i128;
            for (a, row) in map.rows.iter().enumerate() {
                let v: i128 = row
                    .red
                    .iter()
                    .zip(&r)
                    .map(|(&c, &i)| c as i128 * i as i128)
                    .sum();
                flat += st[a] * v;
                if checked.contains(&a) {
                    step_axis.push(fits(v)?);
                }
            }
            step_flat.push(fits(flat)?);
        }
        let step_span = (0..nc)
            .map(|a| {
                let d = step_axis.iter().skip(a).step_by(nc);
                (
                    d.clone().copied().min().unwrap_or(0),
                    d.copied().max().unwrap_or(0),
                )
            })
            .collect();
        let last = out_iter.len().checked_sub(1);
        let last_coef = |a: usize| {
            last.and_then(|l| map.rows[a].out.get(l).copied())
                .unwrap_or(0)
        };
        let last_flat = fits(
            (0..dims.len())
                .map(|a| st[a] * i128::from(last_coef(a)))
                .sum(),
        )?;
        let last_axis = checked.iter().map(|&a| last_coef(a)).collect();
        Some(Self {
            k,
            key_weights,
            nkeys,
            base,
            check_dims,
            axis_base,
            step_flat,
            step_axis,
            step_span,
            last_flat,
            last_axis,
        })
    }

    /// Whether every row is a contiguous in-bounds slice `data[base .. base + k]`.
    pub(crate) fn is_direct(&self) -> bool {
        self.k > 0
            && self.check_dims.is_empty()
            && self
                .step_flat
                .iter()
                .enumerate()
                .all(|(s, &d)| d == s as i64)
    }

    /// Start of row `key` when [`Self::is_direct`] (then every base is a valid index).
    pub(crate) fn direct_start(&self, key: usize) -> usize {
        // Non-negative: it is the in-bounds flat index of step 0.
        self.base[key] as usize
    }

    /// Write row `key` of `data` into `dst` (length `k`), zero where out of bounds.
    pub(crate) fn gather<T: Elem>(&self, data: &[i32], key: usize, dst: &mut [T]) {
        let base = self.base[key];
        let nc = self.check_dims.len();
        let ab = &self.axis_base[key * nc..(key + 1) * nc];
        if self.interior(key) {
            for (d, &f) in dst.iter_mut().zip(&self.step_flat) {
                // In bounds on every axis, hence a valid flat index.
                *d = T::from_i32(data[(base + f) as usize]);
            }
            return;
        }
        for ((d, &f), sa) in dst
            .iter_mut()
            .zip(&self.step_flat)
            .zip(self.step_axis.chunks_exact(nc))
        {
            let inside = ab
                .iter()
                .zip(sa)
                .zip(&self.check_dims)
                .all(|((&b, &s), &n)| {
                    let v = b + s;
                    v >= 0 && v < n
                });
            // When every axis is inside, the flat index is valid.
            *d = if inside {
                T::from_i32(data[(base + f) as usize])
            } else {
                T::default()
            };
        }
    }

    /// Whether every element row `key` reads is in bounds (no padding).
    fn interior(&self, key: usize) -> bool {
        let nc = self.check_dims.len();
        let ab = &self.axis_base[key * nc..(key + 1) * nc];
        ab.iter()
            .zip(&self.step_span)
            .zip(&self.check_dims)
            .all(|((&b, &(lo, hi)), &n)| b + lo >= 0 && b + hi < n)
    }

    /// Rows `keys` of `data` as the columns of a panel block (`tile`'s layout: element `s`
    /// of column `j` at `(s / 2)·2·lanes + 2j + s % 2` of `dst`, zero for padding; other
    /// entries untouched). A run of columns whose rows are in bounds and start at consecutive
    /// flat indices (adjacent outputs of a convolution) is copied a reduction step at a time
    /// from contiguous slices; other columns element by element. Every value fits `i16`.
    pub(crate) fn gather_panel(
        &self,
        data: &[i32],
        keys: &[usize],
        lanes: usize,
        dst: &mut [i16],
        tmp: &mut [i32],
    ) {
        let n = keys.len().min(lanes);
        let mut j = 0;
        while j < n {
            let b0 = self.base[keys[j]];
            if !self.interior(keys[j]) {
                self.gather(data, keys[j], tmp);
                for (s, &v) in tmp.iter().enumerate() {
                    dst[(s / 2) * 2 * lanes + 2 * j + s % 2] = v as i16;
                }
                j += 1;
                continue;
            }
            let mut e = j + 1;
            while e < n && self.base[keys[e]] == b0 + (e - j) as i64 && self.interior(keys[e]) {
                e += 1;
            }
            for (s, &f) in self.step_flat.iter().enumerate() {
                let at = (s / 2) * 2 * lanes + 2 * j + s % 2;
                // Every row of the run is interior, so every flat index is valid.
                let src = &data[(b0 + f) as usize..][..e - j];
                for (d, &v) in dst[at..].iter_mut().step_by(2).zip(src) {
                    *d = v as i16;
                }
            }
            j = e;
        }
    }

    /// Flat delta per unit of the last out dim.
    pub(crate) fn last_flat(&self) -> i64 {
        self.last_flat
    }

    /// The in-bounds runs of a *lane segment*: outputs `l0 .. l0 + len` along the last out dim
    /// (all other out indices fixed; `key` is the key at `l0`). For each reduction step `s`,
    /// calls `f(s, flat, lo, n)`: lanes `l0 + lo .. l0 + lo + n` read in-bounds elements, at flat
    /// index `flat + i·last_flat` for lane `l0 + lo + i`; the other lanes read padding.
    pub(crate) fn lane_runs(
        &self,
        key: usize,
        len: usize,
        mut f: impl FnMut(usize, i64, usize, usize),
    ) {
        let nc = self.check_dims.len();
        let base = self.base[key];
        let ab = &self.axis_base[key * nc..(key + 1) * nc];
        let len = len as i64;
        for (s, &sf) in self.step_flat.iter().enumerate() {
            let (mut lo, mut hi) = (0i64, len);
            let sa = &self.step_axis[s * nc..(s + 1) * nc];
            for (((&b, &d), &c), &n) in ab.iter().zip(sa).zip(&self.last_axis).zip(&self.check_dims)
            {
                // Lane i is inside this axis iff 0 <= v + i·c < n.
                let v = b + d;
                let (from, to) = match c.signum() {
                    0 if v >= 0 && v < n => (0, len),
                    0 => (0, 0),
                    1 => (div_ceil(-v, c), div_floor(n - 1 - v, c) + 1),
                    _ => (div_ceil(n - 1 - v, c), div_floor(-v, c) + 1),
                };
                lo = lo.max(from);
                hi = hi.min(to);
            }
            if lo < hi {
                // Non-negative and within `len` after the clamps.
                f(
                    s,
                    base + sf + lo * self.last_flat,
                    lo as usize,
                    (hi - lo) as usize,
                );
            }
        }
    }
}

/// `⌈a / b⌉` for `b != 0`.
fn div_ceil(a: i64, b: i64) -> i64 {
    -div_floor(-a, b)
}

/// `⌊a / b⌋` for `b != 0`.
fn div_floor(a: i64, b: i64) -> i64 {
    let (q, r) = (a / b, a % b);
    if r != 0 && ((r < 0) != (b < 0)) {
        q - 1
    } else {
        q
    }
}

#[cfg(test)]
mod tests {
    use verinfer_ir::{AffineMap, AffineRow};

    use super::{div_ceil, div_floor, Access};

    #[test]
    fn floor_and_ceil_division_of_both_signs() {
        for a in -20i64..=20 {
            for b in (-5i64..=5).filter(|&b| b != 0) {
                // floor: the q with q ≤ a/b < q + 1, i.e. a - q·b in [0, |b|) with b's sign.
                let floor = (-30..=30).find(|q| {
                    let r = a - q * b;
                    if b > 0 {
                        (0..b).contains(&r)
                    } else {
                        (b + 1..=0).contains(&r)
                    }
                });
                assert_eq!(Some(div_floor(a, b)), floor, "{a} / {b}");
                assert_eq!(div_ceil(a, b), -div_floor(-a, b));
                assert!(div_ceil(a, b) * b == a || div_ceil(a, b) == div_floor(a, b) + 1);
            }
        }
    }

    /// A 1-D padded, strided, dilated, reversed window: `x[2·o - 3·r + 1]` over a length-7 x.
    fn window() -> (Access, usize) {
        let map = AffineMap {
            rows: vec![AffineRow {
                out: vec![1, 2],
                red: vec![-3],
                offset: 1,
            }],
        };
        (Access::new(&map, &[7], &[2, 5], &[3]).unwrap(), 5)
    }

    #[test]
    fn lane_runs_cover_exactly_the_in_bounds_terms() {
        let (a, n) = window();
        let data: Vec<i32> = (10..17).collect();
        for key0 in (0..a.nkeys).step_by(n) {
            for l0 in 0..n {
                // Reconstruct every row of the segment from the runs and compare with gather.
                let len = n - l0;
                let mut rows = vec![vec![0i32; a.k]; len];
                a.lane_runs(key0 + l0, len, |s, flat, lo, cnt| {
                    for i in 0..cnt {
                        rows[lo + i][s] = data[(flat + i as i64 * a.last_flat()) as usize];
                    }
                });
                for (i, row) in rows.iter().enumerate() {
                    let mut want = vec![0i32; a.k];
                    a.gather(&data, key0 + l0 + i, &mut want);
                    assert_eq!(row, &want, "key {}", key0 + l0 + i);
                }
            }
        }
    }

    #[test]
    fn windows_with_padding_are_not_direct() {
        let (a, _) = window();
        assert!(!a.is_direct());
        let rows = AffineMap {
            rows: vec![
                AffineRow {
                    out: vec![1],
                    red: vec![0],
                    offset: 0,
                },
                AffineRow {
                    out: vec![0],
                    red: vec![1],
                    offset: 0,
                },
            ],
        };
        assert!(Access::new(&rows, &[3, 4], &[3], &[4]).unwrap().is_direct());
    }
}

//! Affine index maps: how a contraction reads its operands, with zero outside bounds.

use serde::{Deserialize, Serialize};

/// One operand axis: `index = Σ out[i]·out_coef[i] + Σ red[j]·red_coef[j] + offset`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AffineRow {
    /// Coefficients over the output iteration axes.
    pub out: Vec<i64>,
    /// Coefficients over the reduction axes.
    pub red: Vec<i64>,
    /// Constant offset (negative for leading padding).
    pub offset: i64,
}

impl AffineRow {
    /// A row over `n_out` output and `n_red` reduction axes from `(axis, coefficient)` terms
    /// (a repeated axis adds up) and `offset`: the one builder the lowerings and the tests
    /// write their maps with.
    ///
    /// # Panics
    /// A term naming an axis at or past `n_out` / `n_red` (the caller's own arithmetic, never
    /// a model's data).
    #[must_use]
    pub fn terms(
        n_out: usize,
        n_red: usize,
        out: &[(usize, i64)],
        red: &[(usize, i64)],
        offset: i64,
    ) -> Self {
        let mut row = Self {
            out: vec![0; n_out],
            red: vec![0; n_red],
            offset,
        };
        for &(a, c) in out {
            row.out[a] += c;
        }
        for &(a, c) in red {
            row.red[a] += c;
        }
        row
    }

    /// A row reading output axis `o` and/or reduction axis `r` (coefficient 1, no offset).
    ///
    /// # Panics
    /// As [`Self::terms`].
    #[must_use]
    pub fn unit(n_out: usize, n_red: usize, o: Option<usize>, r: Option<usize>) -> Self {
        let one = |a: Option<usize>| a.map(|a| (a, 1));
        Self::terms(n_out, n_red, one(o).as_slice(), one(r).as_slice(), 0)
    }
}

/// One row per operand axis.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AffineMap {
    /// Rows, in operand axis order.
    pub rows: Vec<AffineRow>,
}

impl AffineMap {
    /// Evaluate the map at `(o, r)`; `None` if any axis lands outside `dims` (a zero term).
    #[must_use]
    pub fn locate(&self, o: &[usize], r: &[usize], dims: &[usize]) -> Option<usize> {
        let mut flat = 0usize;
        for (row, &d) in self.rows.iter().zip(dims) {
            let mut v = row.offset;
            for (c, &i) in row.out.iter().zip(o) {
                v += c * i64::try_from(i).ok()?;
            }
            for (c, &i) in row.red.iter().zip(r) {
                v += c * i64::try_from(i).ok()?;
            }
            let v = usize::try_from(v).ok()?;
            if v >= d {
                return None;
            }
            flat = flat * d + v;
        }
        Some(flat)
    }

    /// Inclusive range of each axis index over the box `out_dims × red_dims`.
    #[must_use]
    pub fn ranges(&self, out_dims: &[usize], red_dims: &[usize]) -> Vec<(i64, i64)> {
        self.rows
            .iter()
            .map(|row| {
                let mut lo = row.offset;
                let mut hi = row.offset;
                let terms = row
                    .out
                    .iter()
                    .zip(out_dims)
                    .chain(row.red.iter().zip(red_dims));
                for (&c, &d) in terms {
                    let span = c.saturating_mul(
                        i64::try_from(d)
                            .unwrap_or(i64::MAX)
                            .saturating_sub(1)
                            .max(0),
                    );
                    if span >= 0 {
                        hi = hi.saturating_add(span);
                    } else {
                        lo = lo.saturating_add(span);
                    }
                }
                (lo, hi)
            })
            .collect()
    }

    /// Whether every index over the box stays inside `dims` (no zero terms ever).
    #[must_use]
    pub fn always_in_bounds(&self, out_dims: &[usize], red_dims: &[usize], dims: &[usize]) -> bool {
        self.ranges(out_dims, red_dims)
            .iter()
            .zip(dims)
            .all(|(&(lo, hi), &d)| lo >= 0 && hi < i64::try_from(d).unwrap_or(i64::MAX))
    }

    /// Rank of the operand this map reads.
    #[must_use]
    pub fn rank(&self) -> usize {
        self.rows.len()
    }
}

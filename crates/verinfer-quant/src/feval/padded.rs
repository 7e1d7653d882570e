//! Offsets of an affine operand map that can leave its operand (a padded convolution's input):
//! the per-term bounds check is done only on the axes that can leave, and only for outputs
//! near the border, instead of re-evaluating the whole map for every term.
//!
//! Calibration runs every padded `Conv` through this: evaluated term by term through
//! [`AffineMap::locate`], a 2.7M-parameter CRNN took minutes to calibrate on 32 samples.

use verinfer_ir::shape::{numel, unravel_into};
use verinfer_ir::AffineMap;

/// `coord_d(o, r) = base_d(o) + delta_d(r)`, flat index `Σ coord_d · stride_d`.
pub(super) struct Bounded {
    /// Per axis: coefficients over the output index, and the constant offset.
    out_coef: Vec<Vec<i64>>,
    offset: Vec<i64>,
    dims: Vec<i64>,
    strides: Vec<i64>,
    /// Flat offset of each reduction step (row-major).
    red_flat: Vec<i64>,
    /// Axes a term can leave, with each reduction step's delta on that axis, and the
    /// smallest and largest delta.
    checked: Vec<(usize, Vec<i64>, i64, i64)>,
}

impl Bounded {
    /// `None` when the map does not have one row per operand axis or overflows.
    pub(super) fn new(
        map: &AffineMap,
        out_dims: &[usize],
        red_dims: &[usize],
        dims: &[usize],
    ) -> Option<Self> {
        if map.rows.len() != dims.len() {
            return None;
        }
        let dims_i: Vec<i64> = dims
            .iter()
            .map(|&d| i64::try_from(d).ok())
            .collect::<Option<_>>()?;
        let mut strides = vec![1i64; dims.len()];
        for a in (0..dims.len().saturating_sub(1)).rev() {
            strides[a] = strides[a + 1].checked_mul(dims_i[a + 1])?;
        }
        let ranges = map.ranges(out_dims, red_dims);
        let n_red = numel(red_dims);
        let mut r = vec![0usize; red_dims.len()];
        let mut red_flat = vec![0i64; n_red];
        let mut per_axis: Vec<Vec<i64>> = vec![vec![0; n_red]; dims.len()];
        for k in 0..n_red {
            unravel_into(k, red_dims, &mut r);
            for (a, row) in map.rows.iter().enumerate() {
                let d: i64 = row
                    .red
                    .iter()
                    .zip(&r)
                    .map(|(&c, &i)| c * i64::try_from(i).unwrap_or(0))
                    .sum();
                per_axis[a][k] = d;
                red_flat[k] += d * strides[a];
            }
        }
        let checked = per_axis
            .into_iter()
            .enumerate()
            .filter(|(a, _)| ranges[*a].0 < 0 || ranges[*a].1 >= dims_i[*a])
            .map(|(a, d)| {
                let lo = d.iter().copied().min().unwrap_or(0);
                let hi = d.iter().copied().max().unwrap_or(0);
                (a, d, lo, hi)
            })
            .collect();
        Some(Self {
            out_coef: map.rows.iter().map(|row| row.out.clone()).collect(),
            offset: map.rows.iter().map(|row| row.offset).collect(),
            dims: dims_i,
            strides,
            red_flat,
            checked,
        })
    }

    /// Per-axis base coordinates of output `o` (into `base`), and the flat base.
    pub(super) fn base(&self, o: &[usize], base: &mut [i64]) -> i64 {
        let mut flat = 0;
        for (a, b) in base.iter_mut().enumerate() {
            *b = self.offset[a]
                + self.out_coef[a]
                    .iter()
                    .zip(o)
                    .map(|(&c, &i)| c * i64::try_from(i).unwrap_or(0))
                    .sum::<i64>();
            flat += *b * self.strides[a];
        }
        flat
    }

    /// Whether every term of the output with these base coordinates is in bounds.
    pub(super) fn interior(&self, base: &[i64]) -> bool {
        self.checked
            .iter()
            .all(|(a, _, lo, hi)| base[*a] + lo >= 0 && base[*a] + hi < self.dims[*a])
    }

    /// Flat index of reduction step `k` for an interior output.
    #[inline]
    pub(super) fn at_interior(&self, flat_base: i64, k: usize) -> usize {
        usize::try_from(flat_base + self.red_flat[k]).unwrap_or(0)
    }

    /// Flat offset of reduction step `k` from an output's flat base.
    #[inline]
    pub(super) fn red_offset(&self, k: usize) -> i64 {
        self.red_flat[k]
    }

    /// Flat index of reduction step `k`, `None` when it falls outside the operand.
    #[inline]
    pub(super) fn at(&self, base: &[i64], flat_base: i64, k: usize) -> Option<usize> {
        for (a, d, _, _) in &self.checked {
            let v = base[*a] + d[k];
            if v < 0 || v >= self.dims[*a] {
                return None;
            }
        }
        usize::try_from(flat_base + self.red_flat[k]).ok()
    }

    /// Number of operand axes.
    pub(super) fn rank(&self) -> usize {
        self.dims.len()
    }
}

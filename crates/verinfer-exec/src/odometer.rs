//! Walking a row-major index space while tracking linear functions of the index.

use verinfer_ir::shape::unravel_into;

/// A multi-index over `dims` (row-major) plus `T` running sums `Σ_i idx[i]·weights[i][t]`,
/// advanced one element at a time with additions only (no division in the element loop).
pub(crate) struct Odometer<'a, const T: usize> {
    dims: &'a [usize],
    weights: &'a [[i64; T]],
    idx: Vec<usize>,
    /// The running sums at the current index.
    pub pos: [i64; T],
}

impl<'a, const T: usize> Odometer<'a, T> {
    /// Start at flat position `start`; `weights` has one entry per dim.
    ///
    /// The caller guarantees that every sum stays within `i64` over the whole space (the plans
    /// bound them by element counts of allocated tensors).
    pub(crate) fn new(start: usize, dims: &'a [usize], weights: &'a [[i64; T]]) -> Self {
        let mut idx = vec![0usize; dims.len()];
        unravel_into(start, dims, &mut idx);
        let mut pos = [0i64; T];
        for (&i, w) in idx.iter().zip(weights) {
            // Indices are below a tensor's element count, which fits i64.
            let i = i as i64;
            for (p, &c) in pos.iter_mut().zip(w) {
                *p = p.wrapping_add(i.wrapping_mul(c));
            }
        }
        Self {
            dims,
            weights,
            idx,
            pos,
        }
    }

    /// Advance to the next flat position (past the end it wraps to zero, unused).
    #[inline]
    pub(crate) fn step(&mut self) {
        let mut a = self.dims.len();
        while a > 0 {
            a -= 1;
            let w = &self.weights[a];
            self.idx[a] += 1;
            if self.idx[a] < self.dims[a] {
                for (p, &c) in self.pos.iter_mut().zip(w) {
                    *p = p.wrapping_add(c);
                }
                return;
            }
            // Carry: this digit goes back from dims[a]-1 to 0.
            let back = self.dims[a] as i64 - 1;
            for (p, &c) in self.pos.iter_mut().zip(w) {
                *p = p.wrapping_sub(c.wrapping_mul(back));
            }
            self.idx[a] = 0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Odometer;

    #[test]
    fn tracks_linear_sums_from_any_start() {
        let dims = [3, 1, 4, 2];
        let w = [[8, 1], [0, 7], [2, -3], [1, 5]];
        for start in 0..24 {
            let mut o = Odometer::new(start, &dims, &w);
            for j in start..24 {
                let j = j as i64;
                let (a, b, c, d) = (j / 8, 0, (j / 2) % 4, j % 2);
                let want0 = 8 * a + 2 * c + d;
                let want1 = a + 7 * b - 3 * c + 5 * d;
                assert_eq!(o.pos, [want0, want1], "start {start} j {j}");
                o.step();
            }
        }
    }
}

//! Dense multilinear polynomials over `Fr` in evaluation form.
//!
//! A polynomial in `n` variables is its `2^n` values on the Boolean hypercube. **Index
//! convention** (every module and the Solidity verifier rely on it): the value at
//! `(x_1, …, x_n) ∈ {0,1}^n` sits at index `Σ x_k·2^(n−k)`, i.e. `x_1` is the *most*
//! significant bit. A row-major `R×C` matrix (both powers of two) is then the polynomial
//! `M̃(row bits, column bits)` with no reordering, and binding the first variable pairs the two
//! contiguous halves of the table (cache-friendly, and what the sumcheck prover does each
//! round).

use ark_bn254::Fr;
use ark_ff::{One, Zero};
use rayon::prelude::*;

use crate::error::MleError;

/// Below this many entries the serial loops beat rayon's overhead.
const PAR_THRESHOLD: usize = 1 << 12;

/// A multilinear polynomial by its values on `{0,1}^n` (index convention in the module docs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DenseMle {
    num_vars: usize,
    evals: Vec<Fr>,
}

impl DenseMle {
    /// The polynomial with these hypercube values.
    ///
    /// # Errors
    /// [`MleError::NotPowerOfTwo`] unless `evals.len()` is a power of two.
    pub fn new(evals: Vec<Fr>) -> Result<Self, MleError> {
        let len = evals.len();
        if !len.is_power_of_two() {
            return Err(MleError::NotPowerOfTwo { len });
        }
        Ok(Self {
            num_vars: len.trailing_zeros() as usize,
            evals,
        })
    }

    /// The values zero-padded to the next power of two (at least one entry): how a tensor of
    /// any length becomes a polynomial. The padding is part of the statement: the polynomial
    /// is zero on every padded index.
    #[must_use]
    pub fn from_padded(mut evals: Vec<Fr>) -> Self {
        let len = evals.len().max(1).next_power_of_two();
        evals.resize(len, Fr::zero());
        Self {
            num_vars: len.trailing_zeros() as usize,
            evals,
        }
    }

    /// Number of variables `n`.
    #[must_use]
    pub fn num_vars(&self) -> usize {
        self.num_vars
    }

    /// The `2^n` hypercube values.
    #[must_use]
    pub fn evals(&self) -> &[Fr] {
        &self.evals
    }

    /// The values, by move.
    #[must_use]
    pub fn into_evals(self) -> Vec<Fr> {
        self.evals
    }

    /// Bind the first variable to `r`: `g(x_2, …, x_n) = f(r, x_2, …, x_n)`, in place.
    /// A polynomial in zero variables is left unchanged.
    pub fn bind_first(&mut self, r: Fr) {
        if self.num_vars == 0 {
            return;
        }
        let half = self.evals.len() / 2;
        let (lo, hi) = self.evals.split_at_mut(half);
        let step = |(a, b): (&mut Fr, &Fr)| *a += r * (*b - *a);
        if half >= PAR_THRESHOLD {
            lo.par_iter_mut().zip(hi.par_iter()).for_each(step);
        } else {
            lo.iter_mut().zip(hi.iter()).for_each(step);
        }
        self.evals.truncate(half);
        self.num_vars -= 1;
    }

    /// `f(r, x_2, …, x_n)` as a new polynomial.
    #[must_use]
    pub fn fix_first(&self, r: Fr) -> Self {
        let mut g = self.clone();
        g.bind_first(r);
        g
    }

    /// `f(point)` in `O(2^n)` by binding variable after variable.
    ///
    /// # Errors
    /// [`MleError::PointLength`] unless `point.len() == n`.
    pub fn evaluate(&self, point: &[Fr]) -> Result<Fr, MleError> {
        if point.len() != self.num_vars {
            return Err(MleError::PointLength {
                expected: self.num_vars,
                got: point.len(),
            });
        }
        let Some((&r0, rest)) = point.split_first() else {
            return Ok(self.evals.first().copied().unwrap_or_else(Fr::zero));
        };
        let mut g = self.fix_first(r0);
        for &r in rest {
            g.bind_first(r);
        }
        Ok(g.evals.first().copied().unwrap_or_else(Fr::zero))
    }
}

/// The table `eq(r, x)` for every `x ∈ {0,1}^n` (index convention of [`DenseMle`]), where
/// `eq(r, x) = Π_k (r_k·x_k + (1 − r_k)(1 − x_k))`: the Lagrange basis of the hypercube at
/// `r`, so `f(r) = Σ_x eq(r, x)·f(x)`. `O(2^n)` field multiplications.
#[must_use]
pub fn eq_table(r: &[Fr]) -> Vec<Fr> {
    let mut t = Vec::with_capacity(1usize << r.len());
    t.push(Fr::one());
    for &rk in r {
        // Each entry e splits into (e·(1 − r_k), e·r_k) at indices (2i, 2i + 1): the new
        // variable becomes the least significant bit, so r_1 ends up most significant.
        let prev = std::mem::take(&mut t);
        let split = |e: &Fr| {
            let hi = *e * rk;
            [*e - hi, hi]
        };
        t = if prev.len() >= PAR_THRESHOLD {
            prev.par_iter().flat_map_iter(split).collect()
        } else {
            prev.iter().flat_map(split).collect()
        };
    }
    t
}

/// `eq(a, b) = Π_k (a_k·b_k + (1 − a_k)(1 − b_k))` for two points of the same length.
///
/// # Errors
/// [`MleError::PointLength`] for points of different lengths.
pub fn eq_eval<F: crate::arith::Fe>(a: &[F], b: &[F]) -> Result<F, MleError> {
    if a.len() != b.len() {
        return Err(MleError::PointLength {
            expected: a.len(),
            got: b.len(),
        });
    }
    // x·y + (1 − x)(1 − y) = 2xy − x − y + 1: one multiplication a coordinate.
    Ok(a.iter()
        .zip(b)
        .map(|(&x, &y)| {
            let xy = x * y;
            xy + xy - x - y + F::one()
        })
        .product())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::UniformRand;
    use ark_std::rand::{rngs::StdRng, SeedableRng};

    fn rand_vec(rng: &mut StdRng, n: usize) -> Vec<Fr> {
        (0..n).map(|_| Fr::rand(rng)).collect()
    }

    /// Evaluation straight from the definition: Σ_x f(x)·Π_k (x_k ? r_k : 1 − r_k), with x_1
    /// the most significant bit.
    fn naive_eval(evals: &[Fr], r: &[Fr]) -> Fr {
        let n = r.len();
        evals
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let w: Fr = (0..n)
                    .map(|k| {
                        if (i >> (n - 1 - k)) & 1 == 1 {
                            r[k]
                        } else {
                            Fr::one() - r[k]
                        }
                    })
                    .product();
                *f * w
            })
            .sum()
    }

    #[test]
    fn evaluate_agrees_with_the_definition() {
        let mut rng = StdRng::seed_from_u64(1);
        for n in 0..=7 {
            let evals = rand_vec(&mut rng, 1 << n);
            let r = rand_vec(&mut rng, n);
            let f = DenseMle::new(evals.clone()).unwrap();
            assert_eq!(f.evaluate(&r).unwrap(), naive_eval(&evals, &r), "n = {n}");
        }
    }

    #[test]
    fn hypercube_points_return_the_table() {
        let mut rng = StdRng::seed_from_u64(2);
        let evals = rand_vec(&mut rng, 8);
        let f = DenseMle::new(evals.clone()).unwrap();
        for (i, e) in evals.iter().enumerate() {
            let bits: Vec<Fr> = (0..3)
                .map(|k| Fr::from(((i >> (2 - k)) & 1) as u64))
                .collect();
            assert_eq!(f.evaluate(&bits).unwrap(), *e);
        }
    }

    #[test]
    fn eq_table_is_the_lagrange_basis() {
        let mut rng = StdRng::seed_from_u64(3);
        for n in [0, 1, 4, 13] {
            let r = rand_vec(&mut rng, n);
            let evals = rand_vec(&mut rng, 1 << n);
            let t = eq_table(&r);
            assert_eq!(t.len(), 1 << n);
            let dot: Fr = t.iter().zip(&evals).map(|(a, b)| *a * b).sum();
            let f = DenseMle::new(evals).unwrap();
            assert_eq!(dot, f.evaluate(&r).unwrap(), "n = {n}");
            // eq(r, ·) evaluated at s is eq_eval(r, s).
            let s = rand_vec(&mut rng, n);
            let e = DenseMle::new(t).unwrap();
            assert_eq!(e.evaluate(&s).unwrap(), eq_eval(&r, &s).unwrap());
        }
    }

    #[test]
    fn fix_first_binds_the_most_significant_variable() {
        let mut rng = StdRng::seed_from_u64(4);
        // Large enough to take the parallel path.
        let evals = rand_vec(&mut rng, 1 << 14);
        let f = DenseMle::new(evals).unwrap();
        let r = rand_vec(&mut rng, 14);
        let g = f.fix_first(r[0]);
        assert_eq!(g.num_vars(), 13);
        assert_eq!(g.evaluate(&r[1..]).unwrap(), f.evaluate(&r).unwrap());
    }

    #[test]
    fn bad_shapes_are_errors() {
        assert_eq!(
            DenseMle::new(vec![Fr::zero(); 3]),
            Err(MleError::NotPowerOfTwo { len: 3 })
        );
        assert!(DenseMle::new(vec![]).is_err());
        let f = DenseMle::new(vec![Fr::zero(); 4]).unwrap();
        assert_eq!(
            f.evaluate(&[Fr::zero()]),
            Err(MleError::PointLength {
                expected: 2,
                got: 1
            })
        );
        assert!(eq_eval(&[Fr::zero()], &[]).is_err());
        let p = DenseMle::from_padded(vec![Fr::one(); 5]);
        assert_eq!(p.num_vars(), 3);
        assert_eq!(p.evals()[5..], [Fr::zero(); 3]);
        assert_eq!(DenseMle::from_padded(vec![]).num_vars(), 0);
    }
}

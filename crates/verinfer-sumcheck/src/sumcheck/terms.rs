//! The statement a sumcheck proves: `Σ_x Σ_t c_t·Π_{i ∈ t} f_i(x)` as product [`Term`]s over
//! multilinear polynomials ([`Terms`]), and the prover's hot loop over it (the sum, the round
//! messages, the factored form); the protocol that drives it is in [`super`].

use ark_bn254::Fr;
use ark_ff::{One, Zero};
use rayon::prelude::*;

use super::{MAX_DEGREE, PAR_THRESHOLD};
use crate::arith;
use crate::error::SumcheckError;
use crate::mle::DenseMle;

/// One product term `coeff·Π f_i` of a [`Terms`] statement, by indices of the polynomials.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Term {
    /// Its coefficient (often a challenge, for batching claims).
    pub coeff: Fr,
    /// Indices of its factors (1 to [`MAX_DEGREE`], repeats allowed).
    pub factors: Vec<usize>,
}

/// The shape of a sum-of-products statement `claim = Σ_x Σ_t c_t·Π_{i ∈ t} f_i(x)` over
/// `num_mles` multilinear polynomials in `num_vars` variables: what the verifier must know.
/// Several claims over the same hypercube batch into one with random coefficients (the
/// logUp argument does this).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Terms {
    pub(super) num_vars: usize,
    pub(super) num_mles: usize,
    terms: Vec<Term>,
    pub(super) degree: usize,
    /// The same sum regrouped for the prover's hot loop (derived from `terms`).
    pub(super) factored: Factored,
}

/// `Σ_t c_t·Π_{i ∈ t} v_i` as `Σ_outer + v_common·Σ_inner`: the polynomial in the most terms
/// (at least two) multiplied once, not once a term.
///
/// Why: logUp's statements `Σ h + λβ·eq·h + λ·eq·h·a − λ·eq` (and the table's) name `eq` in
/// three of four terms; factored, a round's evaluation takes 4 multiplications instead of 6
/// (5 instead of 7 on the table side). Field arithmetic is exact, so the sums — the round
/// messages and the proof bytes — are the same.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Factored {
    pub(super) common: Option<usize>,
    /// The terms with `common`, one occurrence of it removed (a term may be left empty:
    /// its coefficient alone).
    inner: Vec<Term>,
    /// The terms without it.
    outer: Vec<Term>,
}

impl Factored {
    fn of(terms: &[Term], num_mles: usize) -> Self {
        let count = |i: usize| terms.iter().filter(|t| t.factors.contains(&i)).count();
        let common = (0..num_mles)
            .map(|i| (count(i), i))
            .filter(|&(c, _)| c >= 2)
            .max_by_key(|&(c, i)| (c, std::cmp::Reverse(i)))
            .map(|(_, i)| i);
        let (mut inner, mut outer) = (Vec::new(), Vec::new());
        for t in terms {
            match common.and_then(|c| t.factors.iter().position(|&i| i == c)) {
                Some(at) => {
                    let mut t = t.clone();
                    t.factors.remove(at);
                    inner.push(t);
                }
                None => outer.push(t.clone()),
            }
        }
        Self {
            common,
            inner,
            outer,
        }
    }
}

/// `Σ_t c_t·Π_{i ∈ t} v_i` (an empty product is 1; a unit coefficient is not multiplied).
pub(super) fn sum_terms<F: arith::Fe>(terms: &[Term], v: &[F]) -> F {
    let one = Fr::one();
    let mut acc = F::zero();
    for t in terms {
        let mut it = t.factors.iter();
        let Some(&first) = it.next() else {
            acc += F::constant(t.coeff);
            continue;
        };
        let p = it.fold(v[first], |p, &i| p * v[i]);
        if t.coeff == one {
            acc += p;
        } else {
            acc += F::constant(t.coeff) * p;
        }
    }
    acc
}

impl Terms {
    /// A checked statement shape.
    ///
    /// # Errors
    /// [`SumcheckError::Degree`] for no terms, an empty term or one with more than
    /// [`MAX_DEGREE`] factors; [`SumcheckError::Malformed`] for a factor index out of range.
    pub fn new(num_vars: usize, num_mles: usize, terms: Vec<Term>) -> Result<Self, SumcheckError> {
        let mut degree = 0;
        for t in &terms {
            if t.factors.is_empty() || t.factors.len() > MAX_DEGREE {
                return Err(SumcheckError::Degree {
                    factors: t.factors.len(),
                    max: MAX_DEGREE,
                });
            }
            if t.factors.iter().any(|&i| i >= num_mles) {
                return Err(SumcheckError::Malformed(
                    "a term names a polynomial that is not there",
                ));
            }
            degree = degree.max(t.factors.len());
        }
        if degree == 0 {
            return Err(SumcheckError::Degree {
                factors: 0,
                max: MAX_DEGREE,
            });
        }
        let factored = Factored::of(&terms, num_mles);
        Ok(Self {
            num_vars,
            num_mles,
            terms,
            degree,
            factored,
        })
    }

    /// The single product `Π_{i<d} f_i` (`d` polynomials).
    ///
    /// # Errors
    /// [`SumcheckError::Degree`] unless `1 ≤ d ≤ MAX_DEGREE`.
    pub fn product(num_vars: usize, d: usize) -> Result<Self, SumcheckError> {
        if d > MAX_DEGREE {
            return Err(SumcheckError::Degree {
                factors: d,
                max: MAX_DEGREE,
            });
        }
        Self::new(
            num_vars,
            d,
            vec![Term {
                coeff: Fr::one(),
                factors: (0..d).collect(),
            }],
        )
    }

    /// Variables.
    #[must_use]
    pub fn num_vars(&self) -> usize {
        self.num_vars
    }

    /// Degree of the round polynomials (the longest term).
    #[must_use]
    pub fn degree(&self) -> usize {
        self.degree
    }

    /// `Σ_t c_t·Π_{i ∈ t} v_i` for values `v` of the polynomials.
    ///
    /// The hot loop of every generic sumcheck round: the product starts at its first factor
    /// and a unit coefficient is not multiplied (`Terms::new` refuses empty terms).
    pub(super) fn combine<F: arith::Fe>(&self, v: &[F]) -> F {
        let f = &self.factored;
        match f.common {
            Some(c) => sum_terms(&f.outer, v) + v[c] * sum_terms(&f.inner, v),
            None => sum_terms(&self.terms, v),
        }
    }

    fn check_mles(&self, mles: &[DenseMle]) -> Result<(), SumcheckError> {
        if mles.len() != self.num_mles {
            return Err(SumcheckError::Malformed(
                "polynomial count differs from the statement",
            ));
        }
        for (index, f) in mles.iter().enumerate() {
            if f.num_vars() != self.num_vars {
                return Err(SumcheckError::FactorShape {
                    index,
                    expected: self.num_vars,
                    got: f.num_vars(),
                });
            }
        }
        Ok(())
    }

    /// The claim `Σ_x Σ_t c_t·Π f_i(x)` for these polynomials.
    ///
    /// # Errors
    /// As [`prove_terms`] for the shapes.
    pub fn sum(&self, mles: &[DenseMle]) -> Result<Fr, SumcheckError> {
        self.check_mles(mles)?;
        let len = 1usize << self.num_vars;
        let at = |scratch: &mut Vec<Fr>, j: usize| {
            scratch.clear();
            scratch.extend(mles.iter().map(|f| f.evals()[j]));
            self.combine(scratch)
        };
        Ok(if len >= PAR_THRESHOLD {
            (0..len).into_par_iter().map_init(Vec::new, at).sum()
        } else {
            let mut scratch = Vec::new();
            (0..len).map(|j| at(&mut scratch, j)).sum()
        })
    }

    /// The round polynomial's values at `t = 0, 2, …, d` for the current tables.
    pub(super) fn round_message(&self, mles: &[DenseMle]) -> Vec<Fr> {
        let d = self.degree;
        let half = mles.first().map_or(0, |f| f.evals().len() / 2);
        // scratch[slot·m + i] = f_i(t_slot, x) for t = 0, 2, 3; returns Σ_t c_t·Π at each t.
        let at = |scratch: &mut Vec<Fr>, j: usize| -> [Fr; MAX_DEGREE] {
            let m = mles.len();
            scratch.clear();
            scratch.resize(d * m, Fr::zero());
            for (i, f) in mles.iter().enumerate() {
                let e = f.evals();
                let (lo, hi) = (e[j], e[j + half]);
                let delta = hi - lo;
                scratch[i] = lo;
                let mut v = hi;
                for slot in 1..d {
                    v += delta;
                    scratch[slot * m + i] = v;
                }
            }
            let mut out = [Fr::zero(); MAX_DEGREE];
            for (slot, o) in out.iter_mut().enumerate().take(d) {
                *o = self.combine(&scratch[slot * m..(slot + 1) * m]);
            }
            out
        };
        let add = |mut a: [Fr; MAX_DEGREE], b: [Fr; MAX_DEGREE]| {
            a.iter_mut().zip(b).for_each(|(x, y)| *x += y);
            a
        };
        let zero = [Fr::zero(); MAX_DEGREE];
        let sums = if half >= PAR_THRESHOLD {
            (0..half)
                .into_par_iter()
                .map_init(Vec::new, at)
                .reduce(|| zero, add)
        } else {
            let mut scratch = Vec::new();
            (0..half).map(|j| at(&mut scratch, j)).fold(zero, add)
        };
        sums[..d].to_vec()
    }
}

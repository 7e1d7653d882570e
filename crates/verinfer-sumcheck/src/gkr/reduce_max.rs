//! A `ReduceMax` layer over the last axis: `Y[r] = max_i X[r, i]` (`k` = the last axis).
//!
//! The prover commits `B` (`Y` broadcast to `X`'s layout: `B[r, i] = Y[r]`) and a one-hot
//! selector `S` (1 at the first maximum of each row). Then
//! - `B = broadcast(Y)` is a move with the public map `e ↦ ⌊e/k⌋` ([`super::movement`]):
//!   `B̃(ρ) = Σ_y Y[y]·M_ρ(y)`, a degree-2 sumcheck over `Y`'s variables;
//! - `B − X ∈ [0, 2^bits)` is a range column (so `Y[r] ≥ X[r, i]` for every `i`);
//! - one degree-3 sumcheck over `X`'s variables with random `λ`, `μ`, `z`, `ρ'`:
//!   `Σ_x eq(z, x)·(S² − S + λ·S·(B − X))(x) + μ·S(x)·T_ρ'(x) = μ·Σ_{r real} eq(ρ', r)`,
//!   `T_ρ'(x) = eq(ρ', row(x))` on `X`'s real entries (0 elsewhere): `S` is boolean, vanishes
//!   where `B ≠ X`, and each real row of `S` sums to 1 — so `Y[r] = X[r, i]` at the selected
//!   `i`. The verifier evaluates `eq(z, σ)` and `T̃_ρ'(σ)` itself.
//!
//! **Soundness**: the wiring sumcheck `2·vars(Y)/r + vars(X)/r`; the selector sumcheck
//! `3·vars(X)/r` plus `(vars(X) + vars(Y) + 2)/r` for the zero-check point and the random
//! combination; the range column joins its table's logUp bound.

use ark_bn254::Fr;
use ark_ff::{One, Zero};

use crate::mle::eq_table;
use crate::sumcheck::{Term, Terms};

use super::movement::padded;
use super::spec::Layout;
use super::GkrError;

/// The broadcast map `e ↦ ⌊e/k⌋` over `X`'s elements (`k` = `X`'s columns).
#[must_use]
pub fn broadcast_map(x: Layout) -> Vec<i32> {
    (0..x.len())
        .map(|e| i32::try_from(e / x.cols).unwrap_or(i32::MAX))
        .collect()
}

/// `T_ρ'` over `X`'s padded table (module docs).
#[must_use]
pub fn row_table(x: Layout, y: Layout, rho: &[Fr]) -> Vec<Fr> {
    let eq = eq_table(rho);
    let mut t = vec![Fr::zero(); 1 << x.vars()];
    for e in 0..x.len() {
        t[padded(x, e)] = eq.get(padded(y, e / x.cols)).copied().unwrap_or_default();
    }
    t
}

/// The selector statement over `[eq_z, S, B, X, T]` (module docs).
///
/// # Errors
/// Never for `num_vars` in range; a sumcheck error otherwise.
pub fn selector_terms(num_vars: usize, lambda: Fr, mu: Fr) -> Result<Terms, GkrError> {
    let t = |coeff, factors: &[usize]| Term {
        coeff,
        factors: factors.to_vec(),
    };
    Ok(Terms::new(
        num_vars,
        5,
        vec![
            t(Fr::one(), &[0, 1, 1]),
            t(-Fr::one(), &[0, 1]),
            t(lambda, &[0, 1, 2]),
            t(-lambda, &[0, 1, 3]),
            t(mu, &[1, 4]),
        ],
    )?)
}

/// `(B, S)`: the broadcast maxima and the one-hot selector of the first maximum, as padded
/// tables of `X`'s layout, checking `y` against the semantics.
///
/// # Errors
/// [`GkrError::TraceMismatch`] for a `y` that is not the row maxima (when `check`).
pub fn witness(
    node: usize,
    xl: Layout,
    x: &[i32],
    y: &[i32],
    check: bool,
) -> Result<(Vec<Fr>, Vec<Fr>), GkrError> {
    let mut b = vec![Fr::zero(); 1 << xl.vars()];
    let mut s = vec![Fr::zero(); 1 << xl.vars()];
    for (r, row) in x.chunks(xl.cols).enumerate() {
        let (mut arg, mut max) = (0, i32::MIN);
        for (i, &v) in row.iter().enumerate() {
            if v > max {
                (arg, max) = (i, v);
            }
        }
        let got = y.get(r).copied().unwrap_or_default();
        if check && got != max {
            return Err(GkrError::TraceMismatch {
                node,
                index: r,
                expected: i128::from(max),
                got: i64::from(got),
            });
        }
        for i in 0..row.len() {
            b[padded(xl, r * xl.cols + i)] = super::fr(i64::from(got));
        }
        s[padded(xl, r * xl.cols + arg)] = Fr::one();
    }
    Ok((b, s))
}

//! A `Move` layer `Y[j] = X[map[j]]` (`fill` where `map[j] < 0`) with a public map: a
//! *wiring* sumcheck, no commitment and no lookup.
//!
//! For a point `ρ` over `Y`'s padded variables,
//! `Ỹ(ρ) = Σ_j eq(ρ, j)·Y[j] = Σ_x X[x]·M_ρ(x) + fill·F_ρ`, where
//! `M_ρ(x) = Σ_{j real, map[j] = x} eq(ρ, j)` and `F_ρ = Σ_{j real, map[j] < 0} eq(ρ, j)`:
//! the verifier builds both from the public map in `O(|Y| + |X|)` field operations, so the
//! degree-2 sumcheck `Ỹ(ρ) − fill·F_ρ = Σ_x X̃(x)·M̃_ρ(x)` reduces the claim to `X̃(σ)` (a
//! claim on `X`) and `M̃_ρ(σ)` (which the verifier evaluates itself). Padded entries of `Y`
//! have no source, so the argument also pins them to 0.
//!
//! **Soundness**: `2·vars(X)/r` for the sumcheck plus the Schwartz–Zippel bound
//! `vars(Y)/r` of replacing `Y` by `Ỹ(ρ)`.

use ark_bn254::Fr;
use ark_ff::{One, Zero};

use crate::mle::{eq_table, DenseMle};
use crate::sumcheck::{Term, Terms};

use super::spec::Layout;
use super::{fr, GkrError};

/// The padded position of row-major element `e` of a tensor of layout `l`.
#[must_use]
pub fn padded(l: Layout, e: usize) -> usize {
    let (_, b) = l.log_dims();
    ((e / l.cols) << b) | (e % l.cols)
}

/// `(M_ρ, F_ρ)` of a map from `input` to `out` at `rho` (module docs).
///
/// # Errors
/// [`GkrError::Malformed`] if the map does not fit the layouts or `rho` has the wrong length.
pub fn wiring(
    input: Layout,
    out: Layout,
    map: &[i32],
    rho: &[Fr],
) -> Result<(Vec<Fr>, Fr), GkrError> {
    if map.len() != out.len() || rho.len() != out.vars() {
        return Err(GkrError::Malformed("a move's map or point"));
    }
    let eq = eq_table(rho);
    let mut m = vec![Fr::zero(); 1 << input.vars()];
    let mut fill = Fr::zero();
    for (e, &src) in map.iter().enumerate() {
        let w = eq[padded(out, e)];
        match usize::try_from(src) {
            Ok(x) if x < input.len() => m[padded(input, x)] += w,
            Ok(_) => return Err(GkrError::Malformed("a move's map points past its input")),
            Err(_) => fill += w,
        }
    }
    Ok((m, fill))
}

/// The statement `Σ_x X̃(x)·M̃(x)` over `[X, M]`.
///
/// # Errors
/// Never for `num_vars` in range; a sumcheck error otherwise.
pub fn move_terms(num_vars: usize) -> Result<Terms, GkrError> {
    Ok(Terms::new(
        num_vars,
        2,
        vec![Term {
            coeff: Fr::one(),
            factors: vec![0, 1],
        }],
    )?)
}

/// The claimed sum of the wiring sumcheck: `Ỹ(ρ) − fill·F_ρ`.
#[must_use]
pub fn move_claim(y_eval: Fr, fill: i64, fill_weight: Fr) -> Fr {
    y_eval - fr(fill) * fill_weight
}

/// `M̃_ρ(σ)`: what the verifier checks the sumcheck's second final value against.
///
/// # Errors
/// [`GkrError::Mle`] for a point of the wrong length.
pub fn wiring_eval(m: Vec<Fr>, sigma: &[Fr]) -> Result<Fr, GkrError> {
    Ok(DenseMle::new(m)?.evaluate(sigma)?)
}

/// Check the trace of a move: `y[j] = x[map[j]]` or `fill`.
///
/// # Errors
/// [`GkrError::TraceMismatch`] at the first element that differs.
pub fn check_move(
    node: usize,
    map: &[i32],
    fill: i64,
    x: &[i32],
    y: &[i32],
) -> Result<(), GkrError> {
    for (index, (&src, &got)) in map.iter().zip(y).enumerate() {
        let expected = match usize::try_from(src) {
            Ok(k) => x.get(k).map_or(fill, |&v| i64::from(v)),
            Err(_) => fill,
        };
        if expected != i64::from(got) {
            return Err(GkrError::TraceMismatch {
                node,
                index,
                expected: i128::from(expected),
                got: i64::from(got),
            });
        }
    }
    Ok(())
}

//! The prover of the batch's sumcheck `Σ_x Σ_j α^j·f̂_j(x)·êq_j(x)` in time linear in the
//! claims' *own* sizes rather than `k·2^n`: the same messages, challenges and final values as
//! [`crate::sumcheck::prove_terms`] over the lifted tables (which it replaces; the verifier is
//! unchanged), so the transcript is identical.
//!
//! A claim in `n_j < n` variables is lifted as `f̂(y ‖ x) = [y = 0]·f(x)` (its table followed
//! by zeros, `y` the leading variables, which the sumcheck binds first). While a leading
//! variable is bound the upper half of both of its tables is zero, so its share of the round
//! polynomial is the same at `t = 0` and `t = 2` (`(−lo)·(−lo) = lo·lo`) — its current sum —
//! and binding scales both tables by `1 − r`: the prover keeps the scale `φ_j` instead of
//! touching the tables, until the claim's own variables come. Work: `O(Σ_j 2^{n_j})` per
//! round of the claim's own and `O(k)` per leading round, against `O(k·2^n)` per round before
//! (the MNIST CNN's 77 claims over `n = 18` were 40M table reads and 1.2 GB of tables).

use ark_bn254::Fr;
use ark_ff::{AdditiveGroup, Field, One, Zero};
use rayon::prelude::*;

use crate::error::PcsError;
use crate::sumcheck::{Proved, RoundMessage};
use crate::transcript::Transcript;

/// Below this half-length a table's round is computed on one thread.
const PAR: usize = 1 << 12;

/// `(Σ lo_f·lo_e, Σ (2hi_f − lo_f)·(2hi_e − lo_e))` over the halves of `f`, `e`.
fn round(f: &[Fr], e: &[Fr]) -> (Fr, Fr) {
    let half = f.len() / 2;
    let (fl, fh) = f.split_at(half);
    let (el, eh) = e.split_at(half);
    let at = |i: usize| {
        let (a, b) = (fl[i], el[i]);
        let (a2, b2) = (fh[i].double() - a, eh[i].double() - b);
        (a * b, a2 * b2)
    };
    let add = |x: (Fr, Fr), y: (Fr, Fr)| (x.0 + y.0, x.1 + y.1);
    if half >= PAR {
        (0..half)
            .into_par_iter()
            .map(at)
            .reduce(|| (Fr::zero(), Fr::zero()), add)
    } else {
        (0..half).map(at).fold((Fr::zero(), Fr::zero()), add)
    }
}

/// Bind the first variable of `t` to `r` in place.
fn bind(t: &mut Vec<Fr>, r: Fr) {
    let half = t.len() / 2;
    let (lo, hi) = t.split_at_mut(half);
    let step = |(a, b): (&mut Fr, &Fr)| *a += r * (*b - *a);
    if half >= PAR {
        lo.par_iter_mut().zip(hi.par_iter()).for_each(step);
    } else {
        lo.iter_mut().zip(hi.iter()).for_each(step);
    }
    t.truncate(half);
}

/// Prove `Σ_j coeffs[j]·Σ_x f̂_j(x)·êq_j(x)` over `n` variables (degree 2); `tables[j]` is
/// `(f_j, eq_j)`, two tables of one power-of-two length `≤ 2^n`.
///
/// # Errors
/// [`PcsError::Malformed`] for tables of unequal or non-power-of-two lengths, or longer than
/// `2^n`.
pub(super) fn prove(
    n: usize,
    coeffs: &[Fr],
    mut tables: Vec<(Vec<Fr>, Vec<Fr>)>,
    transcript: &mut Transcript,
) -> Result<Proved, PcsError> {
    let fits = |(f, e): &(Vec<Fr>, Vec<Fr>)| {
        f.len() == e.len() && f.len().is_power_of_two() && f.len() <= 1usize << n.min(62)
    };
    if tables.len() != coeffs.len() || !tables.iter().all(fits) {
        return Err(PcsError::Malformed("batch tables"));
    }
    // `sums[j]`: Σ f_j·eq_j of the unbound tables (what a leading round's share is, scaled).
    let mut sums: Vec<Fr> = tables
        .par_iter()
        .map(|(f, e)| f.iter().zip(e).map(|(a, b)| *a * b).sum())
        .collect();
    let claim: Fr = coeffs.iter().zip(&sums).map(|(c, s)| *c * s).sum();
    transcript.absorb_u64(n as u64);
    transcript.absorb_u64(2);
    transcript.absorb_fr(&claim);
    let mut phi = vec![Fr::one(); tables.len()];
    let mut rounds = Vec::with_capacity(n);
    let mut point = Vec::with_capacity(n);
    for m in (1..=n).rev() {
        let (mut c0, mut c2) = (Fr::zero(), Fr::zero());
        for (j, (f, e)) in tables.iter().enumerate() {
            let w = coeffs[j] * phi[j].square();
            if f.len() < 1 << m {
                c0 += w * sums[j];
                c2 += w * sums[j];
            } else {
                let (s0, s2) = round(f, e);
                c0 += w * s0;
                c2 += w * s2;
            }
        }
        let msg = vec![c0, c2];
        transcript.absorb_frs(&msg);
        let r = transcript.challenge();
        for (j, (f, e)) in tables.iter_mut().enumerate() {
            if f.len() < 1 << m {
                phi[j] *= Fr::one() - r;
            } else {
                bind(f, r);
                bind(e, r);
                sums[j] = Fr::zero();
            }
        }
        rounds.push(RoundMessage(msg));
        point.push(r);
    }
    let evals: Vec<Fr> = tables
        .iter()
        .zip(&phi)
        .flat_map(|((f, e), p)| {
            [
                *p * f.first().copied().unwrap_or_else(Fr::zero),
                *p * e.first().copied().unwrap_or_else(Fr::zero),
            ]
        })
        .collect();
    Ok(Proved::close(transcript, claim, rounds, point, evals))
}

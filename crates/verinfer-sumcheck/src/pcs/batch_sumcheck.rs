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
use crate::mle::eq_eval;
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

/// One pair of tables of the sumcheck, read by one or more claims: the polynomial `f`, and
/// `e`, one claim's `eq` table or several claims' `eq` tables combined by their coefficients
/// (claims on one polynomial share its table: the round polynomial is linear in `e`, so the
/// messages are the same and each table is read once).
pub(super) struct Group {
    /// The polynomial's table.
    pub f: Vec<Fr>,
    /// `eq` (with `coeff` the claim's), or `Σ coeff_j·eq_j` over the group (with `coeff = 1`).
    pub e: Vec<Fr>,
    /// The group's weight in the batch.
    pub coeff: Fr,
}

/// Prove `Σ_j coeff_j·Σ_x f̂_j(x)·êq_j(x)` over `n` variables (degree 2) with the tables in
/// groups: `members[j]` is claim `j`'s group and, when its
/// `eq` table was merged into the group's `e`, its point (its final `eq` value is then
/// `eq(p_j, ρ_tail)`, what its own table would have bound to); `None` reads the group's own
/// bound `e`. The final values are per claim, as the verifier reads them.
///
/// # Errors
/// [`PcsError::Malformed`] for tables of unequal or non-power-of-two lengths, longer than
/// `2^n`, a member of no group, or a point that does not fit its group's table.
pub(super) fn prove_groups(
    n: usize,
    mut groups: Vec<Group>,
    members: &[(usize, Option<&[Fr]>)],
    transcript: &mut Transcript,
) -> Result<Proved, PcsError> {
    let fits = |g: &Group| {
        g.f.len() == g.e.len() && g.f.len().is_power_of_two() && g.f.len() <= 1usize << n.min(62)
    };
    let member_fits = |(g, p): &(usize, Option<&[Fr]>)| {
        groups
            .get(*g)
            .is_some_and(|g| p.is_none_or(|p| 1usize << p.len().min(62) == g.f.len()))
    };
    if !groups.iter().all(fits) || !members.iter().all(member_fits) {
        return Err(PcsError::Malformed("batch tables"));
    }
    // `sums[g]`: Σ f_g·e_g of the unbound tables (what a leading round's share is, scaled).
    let mut sums: Vec<Fr> = groups
        .par_iter()
        .map(|g| g.f.iter().zip(&g.e).map(|(a, b)| *a * b).sum())
        .collect();
    let claim: Fr = groups.iter().zip(&sums).map(|(g, s)| g.coeff * s).sum();
    transcript.absorb_u64(n as u64);
    transcript.absorb_u64(2);
    transcript.absorb_fr(&claim);
    let mut phi = vec![Fr::one(); groups.len()];
    let mut rounds = Vec::with_capacity(n);
    let mut point = Vec::with_capacity(n);
    for m in (1..=n).rev() {
        let (mut c0, mut c2) = (Fr::zero(), Fr::zero());
        for (j, g) in groups.iter().enumerate() {
            let w = g.coeff * phi[j].square();
            if g.f.len() < 1 << m {
                c0 += w * sums[j];
                c2 += w * sums[j];
            } else {
                let (s0, s2) = round(&g.f, &g.e);
                c0 += w * s0;
                c2 += w * s2;
            }
        }
        let msg = vec![c0, c2];
        transcript.absorb_frs(&msg);
        let r = transcript.challenge();
        for (j, g) in groups.iter_mut().enumerate() {
            if g.f.len() < 1 << m {
                phi[j] *= Fr::one() - r;
            } else {
                bind(&mut g.f, r);
                bind(&mut g.e, r);
                sums[j] = Fr::zero();
            }
        }
        rounds.push(RoundMessage(msg));
        point.push(r);
    }
    let mut evals = Vec::with_capacity(2 * members.len());
    for &(j, p) in members {
        let (g, ph) = (&groups[j], phi[j]);
        let e = match p {
            None => g.e.first().copied().unwrap_or_else(Fr::zero),
            Some(p) => eq_eval(p, &point[n - p.len()..])
                .map_err(|_| PcsError::Malformed("batch tables"))?,
        };
        evals.push(ph * g.f.first().copied().unwrap_or_else(Fr::zero));
        evals.push(ph * e);
    }
    Ok(Proved::close(transcript, claim, rounds, point, evals))
}

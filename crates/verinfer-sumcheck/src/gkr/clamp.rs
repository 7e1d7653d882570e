//! Clamped (saturating) epilogues: `Y = clamp_bits(round_shift(mult·acc, s))` where the
//! quotient may leave the output's bits by design (an LLM's causal mask adds `−2^31`-ish
//! entries to the attention scores, then subtracts the row maximum and adds the mask again).
//!
//! # Protocol
//!
//! A flagged layer ([`flagged`]) commits two more columns, the overshoots `P = max(Q − MAX, 0)`
//! and `N = max(MIN − Q, 0)` of the unclamped quotient `Q` (zero where nothing clamps), so
//! `Q = Y + P − N` and the epilogue's relation stays linear: at the layer's `ρ` the prover
//! also states `P̃(ρ)`, `Ñ(ρ)` and the verifier checks
//! `2^s·(Ỹ + P̃ − Ñ)(ρ) + R̃em(ρ) − 2^(s−1) = mult·Ãcc(ρ)`. Then, with `τ = challenges(vars(Y))`
//! and `λ = challenge()` drawn after those values, one degree-3 zero-check
//! `Σ_x eq(τ, x)·[P(x)·(MAX − Y(x)) + λ·N(x)·(Y(x) − MIN)] = 0` reduces to `P̃(σ)`, `Ñ(σ)`,
//! `Ỹ(σ)` (the honest `Y`, `P`, `N` are 0 on the padding, where both products vanish too).
//! `P` and `N` are range-checked in `[0, 2^32)` as two 16-bit limbs each ([`Poly::OverHi`],
//! [`Poly::UnderHi`], the limb columns of the remainders and wide outputs).
//!
//! **Soundness**: the zero-check holds for a function that is not zero on the cube with
//! probability at most `1/r` (`λ`) plus `4·vars(Y)/r` (its rounds and `eq` at `τ`); so
//! `P·(MAX − Y) = 0` and `N·(Y − MIN) = 0` hold elementwise in the field, and — every factor a
//! range-checked integer below `2^33` — over the integers: `P = 0` unless `Y = MAX`, `N = 0`
//! unless `Y = MIN`. The relation (every term below `2^237`, as unclamped) gives
//! `Y + P − N = Q` over the integers. With `MAX ≠ MIN`: `MIN < Y < MAX` forces `Y = Q`;
//! `Y = MAX` forces `N = 0`, `Q = MAX + P ≥ MAX`; `Y = MIN` forces `Q = MIN − N ≤ MIN`: in every
//! case `Y = clamp(Q)`, the IR's requantization. The prover refuses an honest overshoot of
//! `2^32` or more ([`GkrError::ClampOvershoot`]).
//!
//! **Which layers**: soundness does not depend on the flag (an unflagged layer proves the
//! unclamped `Y = Q`, a flagged one `Y = clamp(Q)`, both the IR's value where they prove), only
//! which honest traces have a proof. A layer's flag costs four committed columns and a
//! sumcheck, and makes it unverifiable on chain for now, so it is set where saturation is by
//! design, not merely possible: an `Add`/`Sub` whose quotient's bound from its operands' bits
//! exceeds its output's *and* one of whose operands is a saturation source — wider than the
//! output beside a second operand (the mask, a 32-bit table row added to 20-bit scores), or
//! the output of a flagged layer (through maxima, moves and clips of it). Every residual add
//! of two operands as wide as its output (which *can* overflow by a bit) and every narrowing
//! `Rescale` of an unflagged value (calibrated to fit before a lookup) keep today's bytes and
//! proof.

use ark_bn254::Fr;
use ark_ff::{One, Zero};

use crate::field::fr_from_i128;
use crate::mle::DenseMle;
use crate::sumcheck::{SumcheckProof, Term, Terms};
use crate::transcript::Transcript;

use super::columns::{limb_columns, Poly, LIMB_BITS};
use super::kind::{verify_eq_sumcheck, Claim, Get, Groups, Left, Tables};
use super::movement::padded;
use super::spec::{Arg, Arith, ChainSpec, Layer, LayerKind, Src};
use super::{fr, GkrError, LayerProof};

/// The overshoots' range: two limbs of [`LIMB_BITS`].
pub const OVERSHOOT_BITS: u32 = 2 * LIMB_BITS;

/// Whether layer `l` of `spec` (its sources earlier layers of `spec`) gets a proven clamp: an
/// `Add`/`Sub` whose quotient may leave its bits and one of whose operands (with a nonzero
/// multiplier) is wider than its output or comes from a flagged layer (module docs).
#[must_use]
pub fn flagged(spec: &ChainSpec, l: &Layer) -> bool {
    let LayerKind::Binary {
        op,
        b,
        a_mult,
        b_mult,
        ..
    } = l.kind
    else {
        return false;
    };
    // A wider operand counts only beside another one (a mask added to scores): a `Rescale`
    // (`x·1 + x·0`) narrowing before a lookup is calibrated to fit, and stays unflagged.
    let two = a_mult != 0 && b_mult != 0 && matches!(b, Arg::Act(_));
    let source = |s: Src| {
        (two && spec.src_bits(s).is_some_and(|v| v.get() > l.bits.get())) || saturating(spec, s, 0)
    };
    let by_a = a_mult != 0 && source(l.input);
    let by_b = b_mult != 0 && matches!(b, Arg::Act(s) if source(s));
    op != Arith::Mul && (by_a || by_b) && may_exceed(spec, l)
}

/// Whether `s` is a flagged layer's output, or a max, move or clip of one (following only
/// earlier layers, so a malformed spec cannot loop).
fn saturating(spec: &ChainSpec, s: Src, depth: usize) -> bool {
    let Src::Layer(j) = s else { return false };
    match spec.layers.get(j).map(|l| (l.kind, l.input)) {
        Some((LayerKind::Binary { clamp, .. }, _)) => clamp,
        Some((LayerKind::ReduceMax | LayerKind::Move { .. } | LayerKind::Clip { .. }, x)) => {
            matches!(x, Src::Layer(k) if k < j)
                && depth < spec.layers.len()
                && saturating(spec, x, depth + 1)
        }
        _ => false,
    }
}

/// Whether the quotient's bound from the operands' bits (a weight taken as 32 bits) may leave
/// layer `l`'s bits (overflowing `i128` counts as leaving them).
fn may_exceed(spec: &ChainSpec, l: &Layer) -> bool {
    let LayerKind::Binary {
        b,
        a_mult,
        b_mult,
        mult,
        shift,
        ..
    } = l.kind
    else {
        return false;
    };
    let mag = |s: Src| {
        spec.src_bits(s)
            .map_or(1i128 << 31, |v| 1i128 << (v.get() - 1))
    };
    let bm = match b {
        Arg::Act(s) => mag(s),
        Arg::Weight(_) => 1 << 31,
        Arg::Const(c) => i128::from(c).abs(),
    };
    let half = if shift == 0 { 0 } else { 1i128 << (shift - 1) };
    let q = i128::from(a_mult.unsigned_abs())
        .checked_mul(mag(l.input))
        .zip(i128::from(b_mult.unsigned_abs()).checked_mul(bm))
        .and_then(|(x, y)| x.checked_add(y))
        .and_then(|acc| acc.checked_mul(i128::from(mult)))
        .and_then(|v| v.checked_add(half))
        .map(|v| v >> shift);
    q.is_none_or(|q| q > i128::from(l.bits.max_value()))
}

/// Whether a layer of `kind` proves its clamp.
#[must_use]
pub fn is_clamped(kind: &LayerKind) -> bool {
    matches!(kind, LayerKind::Binary { clamp: true, .. })
}

/// The committed polynomials of clamped layer `i` (after every layer's remainders).
#[must_use]
pub fn committed(i: usize) -> [Poly; 4] {
    [
        Poly::Over(i),
        Poly::Under(i),
        Poly::OverHi(i),
        Poly::UnderHi(i),
    ]
}

/// A clamped layer's range columns besides its remainder's and output's: `P`, `N` in
/// `[0, 2^32)` as two limbs each.
pub(crate) fn columns(i: usize, l: &Layer, g: &mut Groups) {
    limb_columns(
        g,
        l.out,
        (Poly::Over(i), 0),
        Poly::OverHi(i),
        OVERSHOOT_BITS,
    );
    limb_columns(
        g,
        l.out,
        (Poly::Under(i), 0),
        Poly::UnderHi(i),
        OVERSHOOT_BITS,
    );
}

/// Clamped layer `i`'s tables (`l` its layer) from its accumulators and output `y`: the
/// remainder of the unclamped quotient `Q` (if `s > 0`), `P` and `N`. With
/// `check`, `y` must be `clamp(Q)` and the overshoot below `2^32`; unchecked (a test's
/// cheating prover), `P − N = Q − y` split by sign, so the relation holds for any `y`.
///
/// # Errors
/// [`GkrError::TraceMismatch`] / [`GkrError::ClampOvershoot`] at the first element that
/// differs or overshoots too far.
pub(crate) fn witness(
    i: usize,
    l: &Layer,
    accs: impl Iterator<Item = i128>,
    y: &[i32],
    (mult, s): (i64, u32),
    check: bool,
) -> Tables {
    let half = if s == 0 { 0 } else { 1i128 << (s - 1) };
    let n = 1usize << l.out.vars();
    let mut rem = vec![fr_from_i128(half); n];
    let (mut over, mut under) = (vec![0i128; n], vec![0i128; n]);
    let (lo, hi) = (
        i128::from(l.bits.min_value()),
        i128::from(l.bits.max_value()),
    );
    for (index, (acc, &got)) in accs.zip(y).enumerate() {
        let v = acc * i128::from(mult) + half;
        let q = v >> s;
        let got = i128::from(got);
        if check && q.clamp(lo, hi) != got {
            return Err(GkrError::TraceMismatch {
                node: i,
                index,
                expected: q.clamp(lo, hi),
                got: i64::try_from(got).unwrap_or(i64::MAX),
            });
        }
        if check && (q - hi).max(lo - q) >= 1i128 << OVERSHOOT_BITS {
            return Err(GkrError::ClampOvershoot {
                node: i,
                index,
                bits: OVERSHOOT_BITS,
            });
        }
        let e = padded(l.out, index);
        rem[e] = fr_from_i128(v - (q << s));
        over[e] = (q - got).max(0);
        under[e] = (got - q).max(0);
    }
    let table = |v: &[i128]| -> Result<DenseMle, GkrError> {
        Ok(DenseMle::new(v.iter().map(|&x| fr_from_i128(x)).collect())?)
    };
    let mut t = vec![];
    if s > 0 {
        t.push((Poly::Rem(i), DenseMle::new(rem)?));
    }
    // The high limbs are derived from these with the wide remainders' (`prove_model`).
    t.push((Poly::Over(i), table(&over)?));
    t.push((Poly::Under(i), table(&under)?));
    Ok(t)
}

/// `Σ_x eq(τ, x)·[P·(MAX − Y) + λ·N·(Y − MIN)]` over `[eq(τ), P, N, Y]`.
fn terms(l: &Layer, lambda: Fr) -> Result<Terms, GkrError> {
    let t = |coeff, factors: &[usize]| Term {
        coeff,
        factors: factors.to_vec(),
    };
    let (min, max) = (fr(l.bits.min_value()), fr(l.bits.max_value()));
    Ok(Terms::new(
        l.out.vars(),
        4,
        vec![
            t(max, &[0, 1]),
            t(-Fr::one(), &[0, 1, 3]),
            t(lambda, &[0, 2, 3]),
            t(-lambda * min, &[0, 2]),
        ],
    )?)
}

/// The zero-check's words: rounds over `Y`'s variables, degree 3, four final values.
#[must_use]
pub fn zero_check_shape(l: &Layer) -> (usize, usize, usize) {
    (l.out.vars(), 3, 4)
}

/// `2^s·(P̃ − Ñ)`: what the overshoots add to the relation's left side at `ρ`.
pub(crate) fn relation_term(s: u32, p: Fr, n: Fr) -> Fr {
    use ark_ff::Field;
    Fr::from(2u64).pow([u64::from(s)]) * (p - n)
}

/// The prover's zero-check of clamped layer `i` (output `y`), after the relation's values are
/// absorbed: its sumcheck and the claims on `P`, `N`, `Y` at `σ`.
///
/// # Errors
/// [`GkrError::Malformed`] for a missing table.
pub(crate) fn prove_zero<'m>(
    i: usize,
    l: &Layer,
    y: Poly,
    get: Get<'_, 'm>,
    t: &mut Transcript,
) -> Result<(SumcheckProof, Left), GkrError> {
    let tau = t.challenges(l.out.vars());
    let lambda = t.challenge();
    let tables = vec![
        get(Poly::Over(i))?.clone(),
        get(Poly::Under(i))?.clone(),
        get(y)?.clone(),
    ];
    let (proof, sigma) = super::kind::prove_eq_sumcheck(&terms(l, lambda)?, &tau, tables, t)?;
    let left = [Poly::Over(i), Poly::Under(i), y]
        .into_iter()
        .map(|p| (p, sigma.clone()))
        .collect();
    Ok((proof, left))
}

/// The verifier's side of [`prove_zero`]: the claims on `P`, `N`, `Y` at `σ` (a public `Y`'s
/// checked by the caller).
///
/// # Errors
/// A rejection for a false sumcheck or `eq` value.
pub(crate) fn verify_zero(
    i: usize,
    l: &Layer,
    y: Poly,
    lp: &LayerProof,
    t: &mut Transcript,
) -> Result<Vec<Claim>, GkrError> {
    let tau = t.challenges(l.out.vars());
    let lambda = t.challenge();
    let (sigma, finals) = verify_eq_sumcheck(&terms(l, lambda)?, Fr::zero(), lp, &tau, t)?;
    let [p, n, yv] = finals[..] else {
        return Err(GkrError::Malformed("a clamp's final evaluations"));
    };
    Ok(vec![
        (Poly::Over(i), sigma.clone(), p),
        (Poly::Under(i), sigma.clone(), n),
        (y, sigma, yv),
    ])
}

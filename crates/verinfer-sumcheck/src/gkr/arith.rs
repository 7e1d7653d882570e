//! Layers of two activations and sums: `Y = requant(f(A·a, B·b))` elementwise for
//! `f ∈ {+, −, ·}` ([`LayerKind::Binary`], residual adds and gating products: the model is
//! a DAG, a tensor read by several layers just leaves several claims for the one batched
//! opening) and `Y[r] = requant(Σ_i X[r, i])` over the last axis ([`LayerKind::ReduceSum`]).
//!
//! All three share the matrix product's epilogue: for the accumulator `acc`,
//! `mult·acc + 2^(s−1) = 2^s·Y + Rem` with `Rem ∈ [0, 2^s)` and a hidden `Y` in its bits (range
//! columns, so the clamp is the identity). The layer draws `ρ` over `Y`'s variables; the
//! prover states `Ỹ(ρ)` (if hidden) and `R̃em(ρ)` (if `s > 0`), so the verifier knows
//! `L = 2^s·Ỹ(ρ) + R̃em(ρ) − 2^(s−1) = mult·Ãcc(ρ)`, and then
//! - `Add`/`Sub` (`acc = a·A ± b·B` is linear): the prover states `Ã(ρ)`, `B̃(ρ)`; the
//!   verifier checks `L = mult·(a·Ã(ρ) ± b·B̃(ρ))` — no sumcheck;
//! - `Mul`: the degree-3 sumcheck `L = Σ_x mult·a·b·eq(ρ, x)·A(x)·B(x)` reduces to `Ã(σ)`,
//!   `B̃(σ)`; the verifier evaluates `eq(ρ, σ)`;
//! - `ReduceSum`: the degree-2 sumcheck `L = Σ_x X(x)·mult·T_ρ(x)`, `T_ρ(x) = eq(ρ, row(x))` on
//!   `X`'s real entries (0 on its padding, which therefore never enters a sum), reduces to
//!   `X̃(σ)`; the verifier evaluates `T̃_ρ(σ)` from the layouts.
//!
//! **Soundness**: the relation at `ρ` holds for a false `Y` or `Rem` with probability
//! `vars(Y)/r` (Schwartz–Zippel); the `Mul` sumcheck adds `3·vars(Y)/r`, `ReduceSum`'s
//! `2·vars(X)/r`. With `Rem` and a hidden `Y` range-checked, the integer relation (no
//! wrap-around: every term is below `2^237`) fixes `Y = round_shift(mult·acc, s)`, which is
//! the IR's `requant` when it does not saturate (the prover refuses a saturating trace), except
//! for an `Add`/`Sub` flagged clamped: it also states its overshoots `P̃(ρ)`, `Ñ(ρ)` (the
//! relation's `Y` becomes `Y + P − N`) and proves `Y = clamp(Q)` by one zero-check
//! ([`super::clamp`]).

use ark_bn254::Fr;

use crate::mle::{eq_eval, eq_table, DenseMle};
use crate::sumcheck::{self, SumcheckProof, Term, Terms};
use crate::transcript::Transcript;

use super::broadcast;
use super::clamp;
use super::columns::{out_poly, rescaled_columns, shift, src_poly, Poly};
use super::kind::{
    open_rescaled, rescaled_sum, At, Checked, Get, Groups, LayerRule, Mles, Proved, Shape, Tables,
};
use super::movement::{move_terms, padded};
use super::reduce_max::row_table;
use super::spec::{Arg, Arith, ChainSpec, Layer, LayerKind, Src};
use super::{fr, GkrError, LayerProof};

/// `(mult, shift)` of a layer this module proves.
fn epilogue(kind: &LayerKind) -> Option<(i64, u32)> {
    match *kind {
        LayerKind::Binary { mult, shift, .. } | LayerKind::ReduceSum { mult, shift } => {
            Some((mult, shift))
        }
        _ => None,
    }
}

/// `Σ_x coeff·eq(ρ, x)·A(x)·B(x)` over `[eq, A, B]`.
fn mul_terms(num_vars: usize, coeff: Fr) -> Result<Terms, GkrError> {
    Ok(Terms::new(
        num_vars,
        3,
        vec![Term {
            coeff,
            factors: vec![0, 1, 2],
        }],
    )?)
}

/// The second operand's polynomial and spread (`None` for a scalar).
fn operand(
    spec: &ChainSpec,
    l: &Layer,
    b: Arg,
) -> Result<Option<(Poly, broadcast::Spread)>, GkrError> {
    let bad = || GkrError::Malformed("a binary layer's second operand");
    let Some(p) = broadcast::arg_poly(spec, b) else {
        return Ok(None);
    };
    let layout = broadcast::arg_layout(spec, b).ok_or_else(bad)?;
    Ok(Some((p, broadcast::spread(l.out, layout).ok_or_else(bad)?)))
}

/// The accumulators of layer `l` (the IR's exact values, `i64`-checked like the executor).
fn accumulators(
    spec: &ChainSpec,
    l: &Layer,
    trace: &[Vec<i32>],
    weights: &[Vec<i32>],
) -> Result<Vec<i64>, GkrError> {
    let read = |s: Src| {
        trace
            .get(spec.trace_index(s))
            .ok_or(GkrError::Malformed("a layer reads a missing tensor"))
    };
    let x = read(l.input)?;
    let over = || GkrError::Malformed("an accumulator overflows i64 (the IR refuses it too)");
    match l.kind {
        LayerKind::Binary {
            op,
            b,
            a_mult,
            b_mult,
            ..
        } => {
            let kind = match op {
                Arith::Add => verinfer_ir::BinaryKind::Add,
                Arith::Sub => verinfer_ir::BinaryKind::Sub,
                Arith::Mul => verinfer_ir::BinaryKind::Mul,
            };
            let bv = broadcast::values(spec, b, l.out, trace, weights)?;
            if bv.len() != x.len() {
                return Err(GkrError::Malformed(
                    "a binary layer's operands differ in size",
                ));
            }
            x.iter()
                .zip(bv)
                .map(|(&p, q)| {
                    verinfer_ir::ops::binary::exact(kind, i64::from(p), a_mult, q, b_mult)
                        .ok_or_else(over)
                })
                .collect()
        }
        LayerKind::ReduceSum { .. } => {
            let k = spec.src_layout(l.input).cols.max(1);
            x.chunks(k)
                .map(|row| {
                    row.iter()
                        .try_fold(0i64, |a, &v| a.checked_add(i64::from(v)))
                        .ok_or_else(over)
                })
                .collect()
        }
        _ => Err(GkrError::Malformed("not a binary or sum layer")),
    }
}

/// Layer `i`'s remainder table (`None` without a shift), checking the trace's output against
/// the semantics (`round_shift(mult·acc, s)`, unclamped) when `check`; unchecked, the
/// remainder `mult·acc + 2^(s−1) − 2^s·Y` of the trace's `Y` (possibly out of range).
///
/// # Errors
/// [`GkrError::TraceMismatch`] / [`GkrError::Clamped`] at the first element that differs.
pub(crate) fn witness(
    spec: &ChainSpec,
    i: usize,
    trace: &[Vec<i32>],
    weights: &[Vec<i32>],
    check: bool,
) -> Result<Option<DenseMle>, GkrError> {
    let l = spec.layer(i)?;
    let (mult, s) = epilogue(&l.kind).ok_or(GkrError::Malformed("not a binary or sum layer"))?;
    let accs = accumulators(spec, l, trace, weights)?;
    let y = trace
        .get(spec.trace_index(Src::Layer(i)))
        .ok_or(GkrError::Malformed("a layer's output"))?;
    if accs.len() != y.len() {
        return Err(GkrError::Malformed("a layer's output size"));
    }
    remainders(
        i,
        l,
        accs.iter().map(|&acc| i128::from(acc)),
        y,
        mult,
        s,
        check,
    )
}

/// The remainder table `mult·acc + 2^(s−1) − 2^s·q` of a rescaling layer's accumulators
/// against its output `y` (`None` without a shift): with `check`, `q` is the semantics'
/// `round_shift(mult·acc, s)` and must equal `y`; unchecked (a test's cheating prover), `q` is
/// the trace's own `y`, so the relation holds and only the range check stands in the way.
/// Shared by every layer that ends in the IR's requantization (this module, [`super::attn`]).
///
/// # Errors
/// [`GkrError::TraceMismatch`] / [`GkrError::Clamped`] at the first element that differs.
pub(crate) fn remainders(
    i: usize,
    l: &Layer,
    accs: impl Iterator<Item = i128>,
    y: &[i32],
    mult: i64,
    s: u32,
    check: bool,
) -> Result<Option<DenseMle>, GkrError> {
    let half = if s == 0 { 0 } else { 1i128 << (s - 1) };
    let mut t = vec![crate::field::fr_from_i128(half); 1 << l.out.vars()];
    for (index, (acc, &got)) in accs.zip(y).enumerate() {
        let v = acc * i128::from(mult) + half;
        let q = v >> s;
        if check && q != i128::from(got) {
            return Err(GkrError::deviation(i, index, l.bits, q, i64::from(got)));
        }
        let q = if check { q } else { i128::from(got) };
        t[padded(l.out, index)] = crate::field::fr_from_i128(v - (q << s));
    }
    Ok(if s > 0 { Some(DenseMle::new(t)?) } else { None })
}

/// The `Add`/`Sub`/`Mul` and `ReduceSum` layer kinds (module docs).
pub(crate) struct Rule;

impl LayerRule for Rule {
    fn witness(&self, at: At<'_>, trace: &[Vec<i32>], w: &[Vec<i32>], check: bool) -> Tables {
        let At { spec, i, l, .. } = at;
        if clamp::is_clamped(&l.kind) {
            let ep = epilogue(&l.kind).ok_or(GkrError::Malformed("not a binary layer"))?;
            let accs = accumulators(spec, l, trace, w)?;
            let y = trace
                .get(spec.trace_index(Src::Layer(i)))
                .filter(|y| y.len() == accs.len())
                .ok_or(GkrError::Malformed("a layer's output"))?;
            return clamp::witness(i, l, accs.iter().map(|&a| i128::from(a)), y, ep, check);
        }
        let rem = witness(spec, i, trace, w, check)?;
        Ok(rem.map(|r| (Poly::Rem(i), r)).into_iter().collect())
    }

    fn shape(&self, at: At<'_>) -> Shape {
        let At { spec, i, l, .. } = at;
        let (rounds, degree, finals) = if clamp::is_clamped(&l.kind) {
            clamp::zero_check_shape(l)
        } else {
            sumcheck_shape(spec, l)
        };
        Shape {
            evals: eval_count(spec, i, l),
            rounds,
            degree,
            finals,
        }
    }

    fn prove<'m>(&self, at: At<'_>, get: Get<'_, 'm>, t: &mut Transcript) -> Proved {
        let At { spec, i, l, .. } = at;
        let (mult, s) =
            epilogue(&l.kind).ok_or(GkrError::Malformed("not a binary or sum layer"))?;
        let rho = t.challenges(l.out.vars());
        let (mut evals, mut left) = open_rescaled(spec, i, s, &rho, get)?;
        let mut open = |p: Poly, point: &[Fr], evals: &mut Vec<Fr>| -> Result<(), GkrError> {
            evals.push(get(p)?.evaluate(point)?);
            left.push((p, point.to_vec()));
            Ok(())
        };
        let xa = src_poly(spec, l.input);
        let clamped = clamp::is_clamped(&l.kind);
        if clamped {
            open(Poly::Over(i), &rho, &mut evals)?;
            open(Poly::Under(i), &rho, &mut evals)?;
        }
        let sumcheck = match l.kind {
            LayerKind::Binary { op, b, .. } if op != Arith::Mul => {
                open(xa, &rho, &mut evals)?;
                if let Some((p, s)) = operand(spec, l, b)? {
                    open(p, &broadcast::split(s, l.out, &rho).0, &mut evals)?;
                }
                t.absorb_frs(&evals);
                if clamped {
                    let (proof, more) = clamp::prove_zero(i, l, out_poly(spec, i), get, t)?;
                    left.extend(more);
                    proof
                } else {
                    SumcheckProof {
                        rounds: vec![],
                        final_evals: vec![],
                    }
                }
            }
            LayerKind::Binary {
                b, a_mult, b_mult, ..
            } => {
                t.absorb_frs(&evals);
                let coeff = fr(mult) * fr(a_mult) * fr(b_mult);
                let xb = operand(spec, l, b)?;
                // The second operand repeated over the output's padding (module docs of
                // `broadcast`): its extension at `σ` is the operand's own at the split point.
                let b_table = match (b, xb) {
                    (Arg::Const(c), _) => DenseMle::new(vec![fr(c); 1 << l.out.vars()])?,
                    (_, Some((p, s))) => {
                        DenseMle::new(broadcast::expand(s, l.out, get(p)?.evals(), false))?
                    }
                    _ => return Err(GkrError::Malformed("a product's second operand")),
                };
                let polys = vec![DenseMle::new(eq_table(&rho))?, get(xa)?.clone(), b_table];
                let proved = sumcheck::prove_terms(&mul_terms(l.out.vars(), coeff)?, polys, t)?;
                left.push((xa, proved.reduced.point.clone()));
                if let Some((p, s)) = xb {
                    left.push((p, broadcast::split(s, l.out, &proved.reduced.point).0));
                }
                proved.proof
            }
            _ => {
                t.absorb_frs(&evals);
                let xl = spec.src_layout(l.input);
                let m = fr(mult);
                let table: Vec<Fr> = row_table(xl, l.out, &rho)
                    .into_iter()
                    .map(|v| v * m)
                    .collect();
                let polys = vec![get(xa)?.clone(), DenseMle::new(table)?];
                let proved = sumcheck::prove_terms(&move_terms(xl.vars())?, polys, t)?;
                left.push((xa, proved.reduced.point));
                proved.proof
            }
        };
        Ok((LayerProof::one(evals, sumcheck), left))
    }

    fn verify(&self, at: At<'_>, lp: &LayerProof, public: &Mles, t: &mut Transcript) -> Checked {
        let At { spec, i, l, .. } = at;
        let (mult, s) =
            epilogue(&l.kind).ok_or(GkrError::Malformed("not a binary or sum layer"))?;
        if lp.evals.len() != eval_count(spec, i, l) {
            return Err(GkrError::Malformed("a binary or sum layer's evaluations"));
        }
        let rho = t.challenges(l.out.vars());
        let mut ev = lp.evals.iter().copied();
        let mut left = vec![];
        let mut lhs = rescaled_sum(spec, i, s, &rho, &mut ev, public, &mut left)?;
        let mut next = || ev.next().ok_or(GkrError::Malformed("evaluations"));
        let clamped = clamp::is_clamped(&l.kind);
        if clamped {
            let (p, n) = (next()?, next()?);
            left.push((Poly::Over(i), rho.clone(), p));
            left.push((Poly::Under(i), rho.clone(), n));
            lhs += clamp::relation_term(s, p, n);
        }
        let xa = src_poly(spec, l.input);
        match l.kind {
            LayerKind::Binary {
                op,
                b,
                a_mult,
                b_mult,
                ..
            } if op != Arith::Mul => {
                let a_v = next()?;
                left.push((xa, rho.clone(), a_v));
                let b_v = match operand(spec, l, b)? {
                    Some((p, sp)) => {
                        let (sub, factor) = broadcast::split(sp, l.out, &rho);
                        let e = next()?;
                        left.push((p, sub, e));
                        e * factor
                    }
                    None => match b {
                        Arg::Const(c) => broadcast::const_eval(c, l.out, &rho),
                        _ => return Err(GkrError::Malformed("an add's second operand")),
                    },
                };
                t.absorb_frs(&lp.evals);
                let empty = lp.sumcheck.rounds.is_empty() && lp.sumcheck.final_evals.is_empty();
                if !clamped && !empty {
                    return Err(GkrError::Malformed("an add or sub has no sumcheck"));
                }
                let sign = if op == Arith::Sub {
                    -fr(b_mult)
                } else {
                    fr(b_mult)
                };
                if lhs != fr(mult) * (fr(a_mult) * a_v + sign * b_v) {
                    return Err(GkrError::Rejected("an add or sub's relation"));
                }
                if clamped {
                    left.extend(clamp::verify_zero(i, l, out_poly(spec, i), lp, t)?);
                }
            }
            LayerKind::Binary {
                b, a_mult, b_mult, ..
            } => {
                t.absorb_frs(&lp.evals);
                let coeff = fr(mult) * fr(a_mult) * fr(b_mult);
                let terms = mul_terms(l.out.vars(), coeff)?;
                let red = sumcheck::verify_terms(&terms, lhs, &lp.sumcheck, t)?;
                let [eq_v, a_v, b_v] = red.evals[..] else {
                    return Err(GkrError::Malformed("a product's final evaluations"));
                };
                if eq_v != eq_eval(&rho, &red.point)? {
                    return Err(GkrError::Rejected("a product's eq value"));
                }
                left.push((xa, red.point.clone(), a_v));
                match (b, operand(spec, l, b)?) {
                    (Arg::Const(c), _) if b_v != fr(c) => {
                        return Err(GkrError::Rejected("a product's constant operand"));
                    }
                    (_, Some((p, s))) => {
                        left.push((p, broadcast::split(s, l.out, &red.point).0, b_v));
                    }
                    _ => {}
                }
            }
            _ => {
                t.absorb_frs(&lp.evals);
                let xl = spec.src_layout(l.input);
                let red = sumcheck::verify_terms(&move_terms(xl.vars())?, lhs, &lp.sumcheck, t)?;
                let [x_v, t_v] = red.evals[..] else {
                    return Err(GkrError::Malformed("a sum's final evaluations"));
                };
                let rows = DenseMle::new(row_table(xl, l.out, &rho))?;
                if t_v != fr(mult) * rows.evaluate(&red.point)? {
                    return Err(GkrError::Rejected("a sum's row table value"));
                }
                left.push((xa, red.point, x_v));
            }
        }
        Ok(left)
    }

    fn columns(&self, at: At<'_>, g: &mut Groups) {
        rescaled_columns(at, g);
        if clamp::is_clamped(&at.l.kind) {
            clamp::columns(at.i, at.l, g);
        }
    }

    fn committed(&self, at: At<'_>) -> Vec<Poly> {
        if clamp::is_clamped(&at.l.kind) {
            clamp::committed(at.i).to_vec()
        } else {
            vec![]
        }
    }

    fn claim_vars(&self, at: At<'_>) -> Vec<usize> {
        let At { spec, i, l, .. } = at;
        let v = l.out.vars();
        let y = usize::from(!out_poly(spec, i).is_public());
        let x = !src_poly(spec, l.input).is_public();
        let clamped = clamp::is_clamped(&l.kind);
        let own = y + usize::from(shift(&l.kind) > 0) + 2 * usize::from(clamped);
        let mut vars = vec![];
        match l.kind {
            LayerKind::Binary { b, .. } => {
                vars.extend(std::iter::repeat_n(v, own + usize::from(x)));
                let bp = broadcast::arg_poly(spec, b).filter(|p| !p.is_public());
                if let (Some(_), Some(bl)) = (bp, broadcast::arg_layout(spec, b)) {
                    vars.push(bl.vars());
                }
                // The zero-check's `P`, `N` (and a hidden `Y`) at `σ`.
                if clamped {
                    vars.extend(std::iter::repeat_n(v, 2 + y));
                }
            }
            _ => {
                vars.extend(std::iter::repeat_n(v, own));
                if x {
                    vars.push(spec.src_layout(l.input).vars());
                }
            }
        }
        vars
    }

    // Add/Sub state values only; Mul reads eq, A, B; a sum reads X and its row table.
    fn cost(&self, at: At<'_>) -> (&'static str, usize, usize) {
        let At { spec, l, .. } = at;
        let n = 1usize << l.out.vars();
        match l.kind {
            // The zero-check reads eq, P, N, Y; P, N and their high limbs are committed.
            LayerKind::Binary {
                op, clamp: true, ..
            } => (if op == Arith::Sub { "Sub" } else { "Add" }, 4 * n, 4 * n),
            LayerKind::Binary { op: Arith::Add, .. } => ("Add", 0, 0),
            LayerKind::Binary { op: Arith::Sub, .. } => ("Sub", 0, 0),
            LayerKind::Binary { .. } => ("Mul", 3 * n, 0),
            _ => ("ReduceSum", 2 << spec.src_layout(l.input).vars(), 0),
        }
    }
}

/// The evaluations layer `l` (of `spec`, index `i`) states.
fn eval_count(spec: &ChainSpec, i: usize, l: &Layer) -> usize {
    let own = usize::from(!out_poly(spec, i).is_public())
        + usize::from(epilogue(&l.kind).is_some_and(|(_, s)| s > 0))
        + 2 * usize::from(clamp::is_clamped(&l.kind));
    match l.kind {
        LayerKind::Binary { op, b, .. } if op != Arith::Mul => {
            own + 1 + usize::from(!matches!(b, Arg::Const(_)))
        }
        _ => own,
    }
}

/// `(rounds, degree, final values)` of layer `l`'s sumcheck.
fn sumcheck_shape(spec: &ChainSpec, l: &Layer) -> (usize, usize, usize) {
    match l.kind {
        LayerKind::Binary { op: Arith::Mul, .. } => (l.out.vars(), 3, 3),
        LayerKind::Binary { .. } => (0, 0, 0),
        _ => (spec.src_layout(l.input).vars(), 2, 2),
    }
}

//! A `Mul` whose two operands both broadcast, each over its own output axes — an outer
//! product, like an LLM step's cache append `onehot[c, 1, 1]·k[h, d] → [c, h, d]`:
//! [`LayerKind::Outer`], `Y = requant(X·a · B·b)` with `X` `[R…, 1, …, 1]` over the output's
//! leading axes and `B` `[S…, C]` over the rest.
//!
//! **Layouts.** `X`'s layout is `R × 1`, `B`'s `S × C`, `Y`'s `R·S × C` (rows `r·S + s`).
//! With `S` a power of two, `Y`'s padded row index is the bits of `r` followed by those of
//! `s`, so a point on `Y` splits as `ρ = ρ_r‖ρ_s‖ρ_c`, and since `X` is zero on its padded
//! rows and `B` on its padded columns the product table is exactly `X ⊗ B` on `Y`'s whole
//! padded table: its extension factors, `(X·B)~(ρ) = X̃(ρ_r)·B̃(ρ_s‖ρ_c)`.
//!
//! **Protocol.** The epilogue is the other rescaling layers' ([`super::arith`]):
//! `ρ = challenges(vars(Y))`, the prover states `Ỹ(ρ)` (if hidden) and `R̃em(ρ)` (if
//! `s > 0`), so the verifier knows `L = 2^s·Ỹ(ρ) + R̃em(ρ) − 2^(s−1) = mult·Ãcc(ρ)`; the
//! prover states `X̃(ρ_r)` and `B̃(ρ_s‖ρ_c)` and the verifier checks
//! `L = mult·a·b·X̃(ρ_r)·B̃(ρ_s‖ρ_c)` — no sumcheck. The two values are claims on the
//! operands, settled by the batched opening (or evaluated by the verifier where public).
//!
//! **Soundness.** Both sides are multilinear in `ρ` (the right one a product of polynomials
//! in disjoint variables): for a false `Y` or `Rem` they differ as polynomials and agree at
//! a random `ρ` with probability at most `vars(Y)/r` (Schwartz–Zippel); the operands'
//! claims are the batched opening's. With `Rem` in `[0, 2^s)` and a hidden `Y` in its bits
//! (range columns, as for every rescaling layer) the integer relation (every term below
//! `2^200` for operands within the range tables' bits) fixes `Y = round_shift(mult·acc, s)`,
//! the IR's `requant` when it does not saturate (the prover refuses a saturating trace).
//! `S` not a power of two would interleave padding into `Y`'s rows; that form is refused.

use ark_bn254::Fr;
use verinfer_ir::{Binary, BinaryKind, Node, TensorInfo};

use crate::logup::MAX_RANGE_BITS;
use crate::sumcheck::SumcheckProof;
use crate::transcript::Transcript;

use super::columns::{out_poly, rescaled_columns, src_poly};
use super::kind::{
    open_all, open_rescaled, rescaled_sum, At, Checked, Get, Groups, LayerRule, Mles, Proved,
    Shape, Tables,
};
use super::spec::{ChainSpec, Layer, LayerKind, Layout, Src};
use super::{fr, GkrError, LayerProof};

/// Largest multiplier of an operand (as for [`LayerKind::Binary`]).
const MAX_MULT: u64 = 1 << 32;

/// `p` such that `x` (right-aligned to `od`'s rank) is `od[..p]` followed by ones and `b`
/// ones followed by `od[p..]`, with `od[p..]`'s row axes a power of two in all (`None`: no
/// such split, or `b` holds the output's leading axes and `x` the rest).
fn split_point(od: &[usize], x: &[usize], b: &[usize]) -> Option<usize> {
    let n = od.len();
    let pad = |d: &[usize]| -> Option<Vec<usize>> {
        let k = n.checked_sub(d.len())?;
        Some(std::iter::repeat_n(1, k).chain(d.iter().copied()).collect())
    };
    let (x, b) = (pad(x)?, pad(b)?);
    (1..n).find(|&p| {
        x[..p] == od[..p]
            && x[p..].iter().all(|&d| d == 1)
            && b[..p].iter().all(|&d| d == 1)
            && b[p..] == od[p..]
            && od[p..n - 1].iter().product::<usize>().is_power_of_two()
    })
}

/// Recognise `node`, a `Mul` whose first operand (`in_info`) does not have the output's
/// shape, as an outer product; `b` is where its second operand lies, `b_info` its info.
///
/// # Errors
/// Why it is not covered.
pub(crate) fn recognise(
    node: &Node,
    op: &Binary,
    in_info: &TensorInfo,
    b: Option<(Src, &TensorInfo)>,
) -> Result<LayerKind, String> {
    let Some((b, b_info)) = b.filter(|_| node.inputs.len() == 2) else {
        return Err("an outer product whose second operand is not an activation".into());
    };
    let od = node.out.shape.dims();
    if op.kind != BinaryKind::Mul
        || split_point(od, in_info.shape.dims(), b_info.shape.dims()).is_none()
    {
        return Err(
            "a second operand broadcast other than over the last axis or the rows, and no outer \
             product of a first operand over the leading axes and a second over the rest (a \
             power of two of rows)"
                .into(),
        );
    }
    let small = |m: i64| m.unsigned_abs() <= MAX_MULT;
    if !small(op.a_mult) || !small(op.b_mult) {
        return Err("a multiplier above 2^32".into());
    }
    let bits = [in_info.bits, b_info.bits, node.out.bits];
    if bits.iter().any(|b| b.get() > MAX_RANGE_BITS) {
        return Err("an outer product's bits wider than the range check".into());
    }
    let rq = &op.requant;
    if rq.mult <= 0 || rq.shift > MAX_RANGE_BITS || rq.bits != node.out.bits {
        return Err(
            "an epilogue with a non-positive multiplier, a shift above the range check or other \
             bits"
                .into(),
        );
    }
    Ok(LayerKind::Outer {
        b,
        a_mult: op.a_mult,
        b_mult: op.b_mult,
        mult: rq.mult,
        shift: rq.shift,
    })
}

/// `(R, S, C)` of outer layer `l`: its operands' layouts `R × 1` and `S × C` (`S` a power of
/// two) and its output `R·S × C` (`None` when not: what the spec check refuses).
fn dims(spec: &ChainSpec, l: &Layer) -> Option<(usize, usize, usize)> {
    let LayerKind::Outer { b, .. } = l.kind else {
        return None;
    };
    let (x, bl) = (spec.src_layout(l.input), spec.src_layout(b));
    let ok = x.cols == 1
        && bl.rows.is_power_of_two()
        && l.out
            == (Layout {
                rows: x.rows.checked_mul(bl.rows)?,
                cols: bl.cols,
            });
    ok.then_some((x.rows, bl.rows, bl.cols))
}

/// Whether outer layer `idx` (`l`) is well formed (the spec check): layouts, multipliers,
/// epilogue, bits, `b` earlier.
#[must_use]
pub fn fits(spec: &ChainSpec, idx: usize, l: &Layer) -> bool {
    let LayerKind::Outer {
        b,
        a_mult,
        b_mult,
        mult,
        shift,
    } = l.kind
    else {
        return false;
    };
    let earlier = match b {
        Src::Input(k) => k < spec.inputs.len(),
        Src::Layer(j) => j < idx,
    };
    let narrow = |s: Src| spec.src_bits(s).is_some_and(|b| b.get() <= MAX_RANGE_BITS);
    let small = |m: i64| m.unsigned_abs() <= MAX_MULT;
    earlier
        && dims(spec, l).is_some()
        && small(a_mult)
        && small(b_mult)
        && mult > 0
        && shift <= MAX_RANGE_BITS
        && narrow(l.input)
        && narrow(b)
        && l.bits.get() <= MAX_RANGE_BITS
}

/// `(b, a_mult, b_mult, mult, shift)` of outer layer `l`.
fn parts(spec: &ChainSpec, l: &Layer) -> Result<(Src, i64, i64, i64, u32), GkrError> {
    match l.kind {
        LayerKind::Outer {
            b,
            a_mult,
            b_mult,
            mult,
            shift,
        } if dims(spec, l).is_some() => Ok((b, a_mult, b_mult, mult, shift)),
        _ => Err(GkrError::Malformed("not an outer product layer")),
    }
}

/// The accumulators `(x·a)·(b·b_mult)` of outer layer `l` (row-major over `Y`'s real
/// entries), `i64`-checked like the executor.
fn accumulators(spec: &ChainSpec, l: &Layer, trace: &[Vec<i32>]) -> Result<Vec<i128>, GkrError> {
    let (b, a_mult, b_mult, ..) = parts(spec, l)?;
    let (r, s, c) = dims(spec, l).ok_or(GkrError::Malformed("an outer product's layouts"))?;
    let read = |src: Src, n: usize| {
        trace
            .get(spec.trace_index(src))
            .filter(|t| t.len() == n)
            .ok_or(GkrError::Malformed("an outer product's operand"))
    };
    let (x, bvals) = (read(l.input, r)?, read(b, s * c)?);
    let over = || GkrError::Malformed("an accumulator overflows i64 (the IR refuses it too)");
    let mut acc = Vec::with_capacity(r * s * c);
    for &xv in x {
        for &bv in bvals {
            let v = verinfer_ir::ops::binary::exact(
                BinaryKind::Mul,
                i64::from(xv),
                a_mult,
                i64::from(bv),
                b_mult,
            )
            .ok_or_else(over)?;
            acc.push(i128::from(v));
        }
    }
    Ok(acc)
}

/// `ρ` split as `(ρ_r, ρ_s‖ρ_c)`: `X`'s point and `B`'s.
fn split(spec: &ChainSpec, l: &Layer, rho: &[Fr]) -> Result<(Vec<Fr>, Vec<Fr>), GkrError> {
    let v = spec.src_layout(l.input).vars();
    if rho.len() < v {
        return Err(GkrError::Malformed("an outer product's point"));
    }
    let (a, b) = rho.split_at(v);
    Ok((a.to_vec(), b.to_vec()))
}

/// The outer-product layer kind (module docs).
pub(crate) struct Rule;

impl LayerRule for Rule {
    fn witness(&self, at: At<'_>, trace: &[Vec<i32>], _w: &[Vec<i32>], check: bool) -> Tables {
        let At { spec, i, l, .. } = at;
        let (.., mult, s) = parts(spec, l)?;
        let acc = accumulators(spec, l, trace)?;
        let y = trace
            .get(spec.trace_index(Src::Layer(i)))
            .filter(|y| y.len() == acc.len())
            .ok_or(GkrError::Malformed("a layer's output"))?;
        let rem = super::arith::remainders(i, l, acc.into_iter(), y, mult, s, check)?;
        Ok(rem
            .map(|r| (super::columns::Poly::Rem(i), r))
            .into_iter()
            .collect())
    }

    fn shape(&self, at: At<'_>) -> Shape {
        Shape::new(eval_count(at), 0, 0, 0)
    }

    fn prove<'m>(&self, at: At<'_>, get: Get<'_, 'm>, t: &mut Transcript) -> Proved {
        let At { spec, i, l, .. } = at;
        let (b, .., s) = parts(spec, l)?;
        let rho = t.challenges(l.out.vars());
        let (mut evals, mut left) = open_rescaled(spec, i, s, &rho, get)?;
        let (pa, pb) = split(spec, l, &rho)?;
        let (ev, lf) = open_all(
            get,
            &[(src_poly(spec, l.input), &pa), (src_poly(spec, b), &pb)],
        )?;
        evals.extend(ev);
        left.extend(lf);
        t.absorb_frs(&evals);
        let none = SumcheckProof {
            rounds: vec![],
            final_evals: vec![],
        };
        Ok((LayerProof::one(evals, none), left))
    }

    fn verify(&self, at: At<'_>, lp: &LayerProof, public: &Mles, t: &mut Transcript) -> Checked {
        let At { spec, i, l, .. } = at;
        let (b, a_mult, b_mult, mult, s) = parts(spec, l)?;
        if lp.evals.len() != eval_count(at)
            || !lp.sumcheck.rounds.is_empty()
            || !lp.sumcheck.final_evals.is_empty()
            || !lp.extra.is_empty()
        {
            return Err(GkrError::Malformed("an outer product's messages"));
        }
        let rho = t.challenges(l.out.vars());
        let mut ev = lp.evals.iter().copied();
        let mut left = vec![];
        let lhs = rescaled_sum(spec, i, s, &rho, &mut ev, public, &mut left)?;
        let (pa, pb) = split(spec, l, &rho)?;
        let (Some(x_v), Some(b_v)) = (ev.next(), ev.next()) else {
            return Err(GkrError::Malformed("an outer product's evaluations"));
        };
        left.push((src_poly(spec, l.input), pa, x_v));
        left.push((src_poly(spec, b), pb, b_v));
        t.absorb_frs(&lp.evals);
        if lhs != fr(mult) * fr(a_mult) * fr(b_mult) * x_v * b_v {
            return Err(GkrError::Rejected("an outer product's relation"));
        }
        Ok(left)
    }

    fn columns(&self, at: At<'_>, g: &mut Groups) {
        rescaled_columns(at, g);
    }

    fn claim_vars(&self, at: At<'_>) -> Vec<usize> {
        let At { spec, l, .. } = at;
        // `Ỹ` and `R̃em` at `ρ` (the stated values but the operands'), then the operands.
        let mut vars = vec![l.out.vars(); eval_count(at) - 2];
        let b = match l.kind {
            LayerKind::Outer { b, .. } => Some(b),
            _ => None,
        };
        for s in std::iter::once(l.input).chain(b) {
            if !src_poly(spec, s).is_public() {
                vars.push(spec.src_layout(s).vars());
            }
        }
        vars
    }

    // The operands' values only: nothing read by a sumcheck.
    fn cost(&self, _at: At<'_>) -> (&'static str, usize, usize) {
        ("Outer", 0, 0)
    }
}

/// The values outer layer `at` states: `Ỹ(ρ)` if hidden, `R̃em(ρ)` if it shifts, the two
/// operands'.
fn eval_count(at: At<'_>) -> usize {
    let At { spec, i, l, .. } = at;
    usize::from(!out_poly(spec, i).is_public())
        + usize::from(super::columns::shift(&l.kind) > 0)
        + 2
}

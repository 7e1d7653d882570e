//! A `Div` layer: `Y = round_div(A·2^s, B)` elementwise (`round_div` rounds half away from
//! zero; the IR's `Div` with an identity epilogue), `A` of the output's shape, `B` an
//! activation of the output's shape or broadcast over it (softmax's per-row sum,
//! [`super::broadcast`]).
//!
//! For `A ≥ 0` and `B ≥ 1` the IR's rule is `Y = ⌊(2^(s+1)·A + B) / (2B)⌋`, i.e. the integer
//! `R = 2^(s+1)·A + B − 2·B·Y` lies in `[0, 2B)`. The prover commits `B'` (`B` spread over the
//! output's padded layout, zero on its padding) and `R`, and the layer draws
//! `ρ = challenges(vars(Y))`; the prover states `B̃'(ρ)`, `R̃(ρ)`, `Ã(ρ)` and `B̃(ρ_sub)` (the
//! broadcast axes' variables dropped), then
//! - the broadcast is one identity, `B̃'(ρ) = B̃(ρ_sub)·S(ρ)` (`S` the mask's factor of the
//!   spread axes, [`broadcast::split`]) — no sumcheck and no wiring table;
//! - the remainder relation at `ρ`: the degree-3 sumcheck
//!   `(2^(s+1)·Ã(ρ) + B̃'(ρ) − R̃(ρ))/2 = Σ_x eq(ρ, x)·B'(x)·Y(x)` reduces to `B̃'(σ)`, `Ỹ(σ)`
//!   (the verifier evaluates `eq(ρ, σ)`);
//! - range columns ([`columns`]): `R`, `2B' − R − 1` and `B' − 1` in `[0, 2^bits(B))` (so
//!   `B ≥ 1` and `0 ≤ R < 2B`), `A` in `[0, 2^bits(A))` (so `A ≥ 0`), and a hidden `Y` shifted
//!   by `2^(bits−1)` like every hidden output (a public one the verifier bounds).
//!
//! **Soundness.** The two identities at `ρ` hold for tables that break them with probability
//! at most `2·vars(Y)/r` (Schwartz–Zippel), the sumcheck adds `3·vars(Y)/r`, the columns their
//! table's logUp bound. With the ranges every term of `R = 2^(s+1)·A + B' − 2·B'·Y` is far
//! below `r/2` (`s ≤` [`MAX_SHIFT`], bits ≤ 24), so the field identity is the integer one,
//! and `0 ≤ R < 2B` with `B ≥ 1` fixes `Y = ⌊(2^(s+1)·A + B)/(2B)⌋`, which for `A ≥ 0` is the
//! IR's `round_div(A·2^s, B)` (the quotient rounded half up). The honest prover refuses a
//! trace with `A < 0` or `B ≤ 0` (the IR's other cases: the sign rule and the zero divisor)
//! and a quotient that saturates the output's bits, naming the node and element.
//!
//! **A signed numerator** (`LayerKind::Div { signed: true, .. }`, chosen unless the
//! numerator is never negative: [`non_negative`]): the prover also commits the sign selector
//! `σ = [A < 0]` ([`Poly::Sign`]) and `R` is the same table (`2^(s+1)·A + B' − 2·B'·Y`, now
//! possibly of either sign's case). The sumcheck gains the zero-check `λ·eq·(σ² − σ)`
//! (`λ` drawn after the stated values; degree 3 still, one more final value `σ̃(σ)`), and
//! the columns become `R − σ`, `2B' − R − 1 + σ` (so `R ∈ [0, 2B)` for `σ = 0`,
//! `R ∈ [1, 2B]` for `σ = 1`) and `A + 2^bits(A)·σ` in `[0, 2^bits(A))` (so `A ≥ 0` for
//! `σ = 0`, `A < 0` for `σ = 1`). With `σ` boolean and the ranges, `σ = 0` gives the
//! quotient rounded half up of a numerator `≥ 0` and `σ = 1` the quotient rounded half down
//! of one `< 0`: both are `round_div`'s half away from zero (`docs/sumcheck.md`, "Div
//! layers", for the argument).

use ark_bn254::Fr;
use ark_ff::Field;
use verinfer_ir::{Bits, Graph, Node, Operand, Requant, TensorInfo};

use crate::logup::MAX_RANGE_BITS;
use crate::mle::DenseMle;
use crate::sumcheck::{Term, Terms};
use crate::transcript::Transcript;

use super::broadcast::{self, Spread};
use super::columns::{hidden_output_column, out_poly, src_poly, Column, Poly};
use super::kind::{
    open_all, prove_eq_sumcheck, verify_eq_sumcheck, At, Checked, Get, Groups, LayerRule, Mles,
    Proved, Shape, Tables,
};
use super::movement::padded;
use super::spec::{Arg, ChainSpec, Layer, LayerKind, Src};
use super::{fr, GkrError, LayerProof};

/// The largest numerator shift proven: `2^(s+1)·A` stays below `2^(MAX_SHIFT + 25)`, far
/// below the field (the IR allows less than 62).
pub const MAX_SHIFT: u32 = 61;

/// The bits of a layer input (`u32::MAX` for an index past the spec's).
pub(crate) fn src_bits(spec: &ChainSpec, s: Src) -> u32 {
    spec.src_bits(s).map_or(u32::MAX, Bits::get)
}

/// The layer kind of a `Div` node reading `a` (of `in_info`), or why it is not covered.
///
/// # Errors
/// A reason naming what is missing: a divisor that is not an activation spread over the
/// output, a rescaling epilogue, a shift past [`MAX_SHIFT`], operand bits past the range
/// check.
pub(crate) fn recognise(
    g: &Graph,
    spec: &mut ChainSpec,
    node: &Node,
    d: &verinfer_ir::Div,
    in_info: &TensorInfo,
    earlier: &dyn Fn(usize) -> Option<Src>,
) -> Result<LayerKind, String> {
    if d.requant != Requant::clamp_only(node.out.bits) {
        return Err("a Div with a rescaling epilogue (only the identity is proven)".into());
    }
    if d.shift > MAX_SHIFT {
        return Err(format!("a Div shift above {MAX_SHIFT}"));
    }
    if node.inputs.len() != 2 || in_info.shape != node.out.shape {
        return Err("only a numerator of the output's shape".into());
    }
    let b = match broadcast::recognise_arg(g, spec, node, earlier)? {
        Arg::Act(s) => s,
        other => {
            if let Arg::Weight(_) = other {
                spec.weights.pop();
            }
            return Err("a divisor that is a parameter (only an activation is proven)".into());
        }
    };
    if in_info.bits.get() > MAX_RANGE_BITS || src_bits(spec, b) > MAX_RANGE_BITS {
        return Err("operand bits wider than the range check".into());
    }
    let a = match node.inputs.first() {
        Some(Operand::Value(v)) => earlier(v.index()),
        _ => None,
    };
    let signed = !a.is_some_and(|a| non_negative(g, spec, a));
    Ok(LayerKind::Div {
        b,
        shift: d.shift,
        signed,
    })
}

/// Whether layer input `s` is never negative whatever the graph's input: a lookup whose table
/// has no negative entry (softmax's exp) or a value clipped below at 0 or above (a ReLU).
/// Such a numerator keeps the unsigned form — its range check `A ≥ 0` holds on every trace —
/// so the models it covered keep their spec and proof bytes; any other is signed.
#[must_use]
pub fn non_negative(g: &Graph, spec: &ChainSpec, s: Src) -> bool {
    let table = match s {
        Src::Layer(i) => match spec.layers.get(i).map(|l| l.kind) {
            Some(LayerKind::Lookup { table, .. }) => spec.weights.get(table),
            _ => None,
        },
        Src::Input(_) => None,
    };
    match table {
        Some(w) => g
            .params
            .get(w.param)
            .is_some_and(|p| p.data.values().all(|v| v >= 0)),
        None => super::lookup::src_range(spec, s).0 >= 0,
    }
}

/// Whether a decoded layer is one [`recognise`] makes: a numerator of the output's layout,
/// a divisor spread over it, a shift in range.
#[must_use]
pub fn fits(spec: &ChainSpec, l: &Layer) -> bool {
    let LayerKind::Div { b, shift, .. } = l.kind else {
        return false;
    };
    spec.src_layout(l.input) == l.out
        && broadcast::fits(spec, l.out, Arg::Act(b))
        && shift <= MAX_SHIFT
        && src_bits(spec, b) <= MAX_RANGE_BITS
        && src_bits(spec, l.input) <= MAX_RANGE_BITS
}

/// Layer `i` as a division: the layer, its divisor, shift, spread and signedness.
struct Parts<'a> {
    l: &'a Layer,
    b: Src,
    shift: u32,
    spread: Spread,
    signed: bool,
}

fn parts(spec: &ChainSpec, i: usize) -> Result<Parts<'_>, GkrError> {
    let bad = || GkrError::Malformed("not a division layer");
    let l = spec.layers.get(i).ok_or_else(bad)?;
    let LayerKind::Div { b, shift, signed } = l.kind else {
        return Err(bad());
    };
    let spread = broadcast::spread(l.out, spec.src_layout(b)).ok_or_else(bad)?;
    Ok(Parts {
        l,
        b,
        shift,
        spread,
        signed,
    })
}

/// A division's committed tables: the spread divisor `B'`, the remainders `R` and, signed,
/// the sign selector `σ`.
pub(crate) struct Witness {
    pub b: DenseMle,
    pub rem: DenseMle,
    pub sign: Option<DenseMle>,
}

/// `B'`, `R` (and `σ` for a signed layer) of layer `i` as padded tables of the output's
/// layout, checking the trace's output against the IR when `check` (unchecked, `R` is the
/// trace's own `Y`'s and `σ` the numerator's sign: the relation holds and only the range
/// checks stand in the way).
///
/// # Errors
/// [`GkrError::Unsupported`] for a divisor below 1, or a numerator below 0 in an unsigned
/// layer (the IR's other cases are not proven), [`GkrError::TraceMismatch`] /
/// [`GkrError::Clamped`] at the first element that differs from the IR.
pub(crate) fn witness(
    spec: &ChainSpec,
    i: usize,
    trace: &[Vec<i32>],
    check: bool,
) -> Result<Witness, GkrError> {
    let Parts {
        l,
        b,
        shift: s,
        signed,
        ..
    } = parts(spec, i)?;
    let bad = || GkrError::Malformed("a division's operands");
    let a = trace.get(spec.trace_index(l.input)).ok_or_else(bad)?;
    let bv = broadcast::values(spec, Arg::Act(b), l.out, trace, &[])?;
    let y = trace.get(spec.trace_index(Src::Layer(i))).ok_or_else(bad)?;
    if a.len() != l.out.len() || y.len() != l.out.len() || bv.len() != l.out.len() {
        return Err(bad());
    }
    let size = 1 << l.out.vars();
    let (mut bt, mut rt) = (vec![Fr::default(); size], vec![Fr::default(); size]);
    let mut st = vec![Fr::default(); if signed { size } else { 0 }];
    for (index, ((&av, &dv), &got)) in a.iter().zip(&bv).zip(y).enumerate() {
        let av = i64::from(av);
        if check {
            if (av < 0 && !signed) || dv < 1 {
                let node = spec.node_of(i);
                let proven = if signed {
                    "a divisor ≥ 1"
                } else {
                    "a numerator ≥ 0 over a divisor ≥ 1"
                };
                return Err(GkrError::Unsupported {
                    node: Some(node),
                    reason: format!(
                        "node {node} (Div): element {index} divides {av} by {dv}; only \
                         {proven} is proven"
                    ),
                });
            }
            let q = verinfer_ir::ops::div::exact(s, av, dv).ok_or_else(bad)?;
            if q != i64::from(got) {
                let (q, got) = (i128::from(q), i64::from(got));
                return Err(GkrError::deviation(i, index, l.bits, q, got));
            }
        }
        let (a2, d2, q2) = (i128::from(av), i128::from(dv), i128::from(got));
        let r = (a2 << (s + 1)) + d2 - 2 * d2 * q2;
        let e = padded(l.out, index);
        bt[e] = fr(dv);
        rt[e] = crate::field::fr_from_i128(r);
        if let Some(v) = st.get_mut(e) {
            *v = fr(i64::from(av < 0));
        }
    }
    let sign = if signed {
        Some(DenseMle::new(st)?)
    } else {
        None
    };
    Ok(Witness {
        b: DenseMle::new(bt)?,
        rem: DenseMle::new(rt)?,
        sign,
    })
}

/// `Σ_x eq(ρ, x)·B'(x)·Y(x)` over `[eq, B', Y]`; signed, with `λ` the zero-check
/// `+ λ·eq(ρ, x)·(σ(x)² − σ(x))` over `[eq, B', Y, σ]`.
fn terms(num_vars: usize, lambda: Option<Fr>) -> Result<Terms, GkrError> {
    let Some(lambda) = lambda else {
        return super::product_terms(num_vars, 3, vec![0, 1, 2]);
    };
    let t = |coeff, factors: Vec<usize>| Term { coeff, factors };
    Ok(Terms::new(
        num_vars,
        4,
        vec![
            t(Fr::from(1u64), vec![0, 1, 2]),
            t(lambda, vec![0, 3, 3]),
            t(-lambda, vec![0, 3]),
        ],
    )?)
}

/// The evaluations a division layer states: `B̃'(ρ)`, `R̃(ρ)`, `Ã(ρ)`, `B̃(ρ_sub)`.
pub const EVALS: usize = 4;

/// The `Div` layer kind (module docs).
pub(crate) struct Rule;

impl LayerRule for Rule {
    fn witness(&self, at: At<'_>, trace: &[Vec<i32>], _w: &[Vec<i32>], check: bool) -> Tables {
        let At { spec, i, .. } = at;
        let w = witness(spec, i, trace, check)?;
        let mut t = vec![(Poly::Bcast(i), w.b), (Poly::Rem(i), w.rem)];
        t.extend(w.sign.map(|s| (Poly::Sign(i), s)));
        Ok(t)
    }

    fn committed(&self, at: At<'_>) -> Vec<Poly> {
        let At { i, l, .. } = at;
        let mut v = vec![Poly::Bcast(i), Poly::Rem(i)];
        if matches!(l.kind, LayerKind::Div { signed: true, .. }) {
            v.push(Poly::Sign(i));
        }
        v
    }

    fn shape(&self, at: At<'_>) -> Shape {
        let signed = matches!(at.l.kind, LayerKind::Div { signed: true, .. });
        Shape::new(EVALS, at.l.out.vars(), 3, 3 + usize::from(signed))
    }

    fn prove<'m>(&self, at: At<'_>, get: Get<'_, 'm>, t: &mut Transcript) -> Proved {
        let At { spec, i, .. } = at;
        let Parts {
            l,
            b,
            spread,
            signed,
            ..
        } = parts(spec, i)?;
        let rho = t.challenges(l.out.vars());
        let (bc, xa, xb) = (Poly::Bcast(i), src_poly(spec, l.input), src_poly(spec, b));
        let sub = broadcast::split(spread, l.out, &rho).0;
        let opens = [(bc, &rho), (Poly::Rem(i), &rho), (xa, &rho), (xb, &sub)];
        let (evals, mut left) = open_all(get, &opens)?;
        t.absorb_frs(&evals);
        let y = out_poly(spec, i);
        let mut own = vec![bc, y];
        let lambda = signed.then(|| t.challenge());
        if signed {
            own.push(Poly::Sign(i));
        }
        let polys = own
            .iter()
            .map(|&p| get(p).cloned())
            .collect::<Result<Vec<_>, _>>()?;
        let (proof, point) = prove_eq_sumcheck(&terms(l.out.vars(), lambda)?, &rho, polys, t)?;
        left.extend(own.into_iter().map(|p| (p, point.clone())));
        Ok((LayerProof::one(evals, proof), left))
    }

    fn verify(&self, at: At<'_>, lp: &LayerProof, _public: &Mles, t: &mut Transcript) -> Checked {
        let At { spec, i, .. } = at;
        let Parts {
            l,
            b,
            shift,
            spread,
            signed,
        } = parts(spec, i)?;
        let [bc_v, rem_v, a_v, b_v] = lp.evals[..] else {
            return Err(GkrError::Malformed("a division's evaluations"));
        };
        let rho = t.challenges(l.out.vars());
        let (bc, xa, xb) = (Poly::Bcast(i), src_poly(spec, l.input), src_poly(spec, b));
        let (sub, factor) = broadcast::split(spread, l.out, &rho);
        let mut left = vec![
            (bc, rho.clone(), bc_v),
            (Poly::Rem(i), rho.clone(), rem_v),
            (xa, rho.clone(), a_v),
            (xb, sub, b_v),
        ];
        t.absorb_frs(&lp.evals);
        if bc_v != b_v * factor {
            return Err(GkrError::Rejected("a division's broadcast divisor"));
        }
        let lambda = signed.then(|| t.challenge());
        let two = Fr::from(2u64);
        let inv2 = two
            .inverse()
            .ok_or(GkrError::Malformed("2 has no inverse"))?;
        let sum = (two.pow([u64::from(shift)]) * two * a_v + bc_v - rem_v) * inv2;
        let (point, finals) = verify_eq_sumcheck(&terms(l.out.vars(), lambda)?, sum, lp, &rho, t)?;
        let mut own = vec![bc, out_poly(spec, i)];
        if signed {
            own.push(Poly::Sign(i));
        }
        if finals.len() != own.len() {
            return Err(GkrError::Malformed("a division's final evaluations"));
        }
        left.extend(
            own.into_iter()
                .zip(finals)
                .map(|(p, v)| (p, point.clone(), v)),
        );
        Ok(left)
    }

    fn columns(&self, at: At<'_>, g: &mut Groups) {
        let At { spec, i, l, .. } = at;
        let LayerKind::Div { b, signed, .. } = l.kind else {
            return;
        };
        let col = |terms: Vec<(Poly, i64)>, constant: i64| Column {
            terms,
            constant,
            layout: l.out,
        };
        let (bc, rem, a) = (Poly::Bcast(i), Poly::Rem(i), src_poly(spec, l.input));
        // Signed: `R − σ`, `2B' − R − 1 + σ`, `A + 2^bits(A)·σ` (module docs); the unsigned
        // columns are these with `σ = 0`.
        let sign = |c: i64| {
            if signed {
                vec![(Poly::Sign(i), c)]
            } else {
                vec![]
            }
        };
        let e = g.entry(src_bits(spec, b)).or_default();
        e.push(col([vec![(rem, 1)], sign(-1)].concat(), 0));
        e.push(col([vec![(bc, 2), (rem, -1)], sign(1)].concat(), -1));
        e.push(col(vec![(bc, 1)], -1));
        let a_bits = src_bits(spec, l.input);
        g.entry(a_bits)
            .or_default()
            .push(col([vec![(a, 1)], sign(1i64 << a_bits)].concat(), 0));
        hidden_output_column(spec, i, l, g);
    }

    fn claim_vars(&self, at: At<'_>) -> Vec<usize> {
        let At { spec, i, l, .. } = at;
        let LayerKind::Div { b, signed, .. } = l.kind else {
            return vec![];
        };
        let v = l.out.vars();
        let hidden = |p: Poly| !p.is_public();
        let mut vars = vec![v, v];
        if hidden(src_poly(spec, l.input)) {
            vars.push(v);
        }
        if hidden(src_poly(spec, b)) {
            vars.push(spec.src_layout(b).vars());
        }
        vars.push(v);
        if hidden(out_poly(spec, i)) {
            vars.push(v);
        }
        if signed {
            vars.push(v);
        }
        vars
    }

    // The sumcheck reads eq, B', Y (and σ); the spread divisor `B'` (and σ) is committed.
    fn cost(&self, at: At<'_>) -> (&'static str, usize, usize) {
        let At { l, .. } = at;
        let n = 1usize << l.out.vars();
        let signed = usize::from(matches!(l.kind, LayerKind::Div { signed: true, .. }));
        ("Div", (3 + signed) * n, (1 + signed) * n)
    }
}

//! An `ArgMax` layer over the last axis: `Y[r]` = the index of the *first* maximum of row
//! `X[r, ·]` (the IR's rule: ties go to the earliest index), identity epilogue — an LLM step's
//! next token.
//!
//! The prover commits, in `X`'s layout, a one-hot selector `S` (1 at the chosen index), its
//! exclusive prefix `P` (`P[r, i] = Σ_{j<i} S[r, j]`: 0 up to the chosen index, 1 after it)
//! and `B` (the row's maximum at every element). The layer draws `ρ = challenges(vars(X))` and
//! `ρ' = challenges(vars(Y))`; the prover states `P̃(ρ)`, `B̃(ρ)` (and `Ỹ(ρ')` for a hidden
//! `Y`), then with random `λ, a, b, μ, ν` one degree-3 sumcheck over `X`'s variables proves
//!
//! `Σ_x eq(ρ, x)·(S² − S + λ·S·(B − X)) + a·(P + S)·M_ρ + b·B·M'_ρ + S·R_ρ'
//!   = a·P̃(ρ) + b·B̃(ρ) + μ·Σ_{r real} eq(ρ', r) + ν·Ỹ(ρ')`,
//!
//! five identities in one:
//! - `S² − S = 0` and `S·(B − X) = 0` everywhere (a zero-check at `ρ`): `S` is boolean and
//!   selects only elements equal to `B`;
//! - the *prefix shift* `P = move(P + S)` with the map `(r, i) ↦ (r, i − 1)`, fill 0 at
//!   `i = 0` (`M_ρ` its wiring table, [`super::movement`]): `P[r, 0] = 0`,
//!   `P[r, i] = P[r, i − 1] + S[r, i − 1]`, and `P` is 0 on the padding;
//! - the *row constancy* `B = move(B)` with the map `(r, i) ↦ (r, i − 1)`, `(r, 0) ↦ (r, 0)`
//!   (`M'_ρ`): `B[r, i] = B[r, 0]` for every `i`, and `B` is 0 on the padding;
//! - with `R_ρ'(x) = eq(ρ', row(x))·(μ + ν·col(x))` on `X`'s real entries (0 elsewhere): each
//!   real row of `S` sums to 1 and `Y[r] = Σ_i i·S[r, i]`.
//!
//! The verifier builds `M_ρ`, `M'_ρ` and `R_ρ'` from the layouts (`O(|X|)` field operations,
//! like `ReduceMax`'s row table) and checks their final values and `eq(ρ, σ)` itself; the
//! claims on `S`, `P`, `B` (at `ρ` and `σ`), `X` (at `σ`) and a hidden `Y` (at `ρ'`) go to the
//! batched opening. One range column in `X`'s width ([`columns`]): `B − X − 1 + P + S` on the
//! real entries, in `[0, 2^bits(X))`.
//!
//! **Soundness.** By the identities, `S` is one-hot on each real row (boolean, sum 1, `k` far
//! below `r`) at some `i*`, `P[r, i] = [i > i*]` (exact: small integers), `B[r, ·] = b_r` with
//! `b_r = X[r, i*]` (`S·(B − X) = 0`), so `b_r` is an integer of `X`'s bits and `Y[r] = i*`.
//! The column is then `b_r − X[r, i] − 1` for `i < i*` and `b_r − X[r, i]` for `i ≥ i*`, an
//! integer of magnitude below `2^(bits + 1) ≪ r`, so it lies in `[0, 2^bits)` only if
//! `X[r, i] < X[r, i*]` before `i*` and `X[r, i] ≤ X[r, i*]` after it: `i*` is the first
//! maximum. The error: `vars(X)/r` for each of the zero-check and the two wirings at `ρ`,
//! `vars(Y)/r` for the row identities at `ρ'`, `5/r` for the random combination,
//! `3·vars(X)/r` for the sumcheck, plus the column's share of its table's logUp bound (`X`
//! itself is bounded where it was made).

use ark_bn254::Fr;
use ark_ff::{One, Zero};
use verinfer_ir::{Node, Reduce, ReduceKind, Requant, TensorInfo};

use crate::logup::MAX_RANGE_BITS;
use crate::mle::{eq_table, DenseMle};
use crate::sumcheck::{Term, Terms};
use crate::transcript::Transcript;

use super::columns::{mask_eval, out_poly, src_poly, Column, Poly};
use super::div::src_bits;
use super::kind::{
    open_all, prove_eq_sumcheck, verify_eq_sumcheck, At, Checked, Get, Groups, LayerRule, Mles,
    Proved, Shape, Tables,
};
use super::movement::{padded, wiring, wiring_eval};
use super::spec::{ChainSpec, Layer, LayerKind, Layout, Src};
use super::{fr, GkrError, LayerProof};

/// The layer kind of an `ArgMax` node, or why it is not covered.
///
/// # Errors
/// A reason naming what is missing: an axis other than the last, a rescaling epilogue, an
/// input wider than the range tables.
pub(crate) fn recognise(
    node: &Node,
    r: &Reduce,
    in_info: &TensorInfo,
    out: Layout,
) -> Result<LayerKind, String> {
    let dims = in_info.shape.dims();
    let k = dims.last().copied().unwrap_or(0);
    if r.kind != ReduceKind::ArgMax
        || dims.is_empty()
        || r.axes != [dims.len() - 1]
        || node.inputs.len() != 1
        || k == 0
        || out.len() * k != Layout::of(dims).len()
    {
        return Err("only an ArgMax over the last axis".into());
    }
    if r.requant != Requant::clamp_only(node.out.bits) {
        return Err("an ArgMax with a rescaling epilogue (only the identity is proven)".into());
    }
    if in_info.bits.get() > MAX_RANGE_BITS {
        return Err(format!(
            "an ArgMax of {}-bit values (the range tables reach {MAX_RANGE_BITS} bits)",
            in_info.bits.get()
        ));
    }
    Ok(LayerKind::ArgMax)
}

/// Whether a decoded layer is one [`recognise`] makes: rows of the input's last axis, an
/// input within the range tables, every index within the output's bits.
#[must_use]
pub fn fits(spec: &ChainSpec, l: &Layer) -> bool {
    let xl = spec.src_layout(l.input);
    l.kind == LayerKind::ArgMax
        && xl.cols > 0
        && l.out.len() * xl.cols == xl.len()
        && src_bits(spec, l.input) <= MAX_RANGE_BITS
        && i64::try_from(xl.cols - 1).is_ok_and(|last| l.bits.contains(last))
}

/// The layer, or [`GkrError::Malformed`] for another kind's.
fn layer(spec: &ChainSpec, i: usize) -> Result<&Layer, GkrError> {
    spec.layers
        .get(i)
        .filter(|l| l.kind == LayerKind::ArgMax)
        .ok_or(GkrError::Malformed("not an argmax layer"))
}

/// The index of the first maximum of `row`: the IR's `ArgMax` fold itself
/// (`verinfer_ir::ops::reduce`), so the prover's selector and the reference cannot disagree
/// on ties (0 for an empty row).
#[must_use]
pub fn first_max(row: &[i32]) -> usize {
    use verinfer_ir::ops::reduce::{argmax_index, fold, seed};
    row.iter()
        .enumerate()
        .try_fold(seed(ReduceKind::ArgMax), |acc, (k, &v)| {
            fold(ReduceKind::ArgMax, acc, i64::from(v), k)
        })
        .and_then(|acc| usize::try_from(argmax_index(acc)).ok())
        .filter(|&i| i < row.len())
        .unwrap_or(0)
}

/// `(S, P, B)` of layer `i` as padded tables of `X`'s layout, selecting the trace's own
/// indices; when `check`, the trace's output must be the first maxima (unchecked, a test's
/// cheating prover: an index out of its row selects nothing).
///
/// # Errors
/// [`GkrError::TraceMismatch`] at the first row whose index is not its first maximum.
pub(crate) fn witness(
    spec: &ChainSpec,
    i: usize,
    trace: &[Vec<i32>],
    check: bool,
) -> Result<[DenseMle; 3], GkrError> {
    let l = layer(spec, i)?;
    let xl = spec.src_layout(l.input);
    let bad = || GkrError::Malformed("an argmax's operands");
    let x = trace.get(spec.trace_index(l.input)).ok_or_else(bad)?;
    let y = trace.get(spec.trace_index(Src::Layer(i))).ok_or_else(bad)?;
    if x.len() != xl.len() || y.len() != l.out.len() {
        return Err(bad());
    }
    let n = 1 << xl.vars();
    let (mut s, mut p, mut b) = (
        vec![Fr::zero(); n],
        vec![Fr::zero(); n],
        vec![Fr::zero(); n],
    );
    for (r, (row, &got)) in x.chunks(xl.cols).zip(y).enumerate() {
        let want = first_max(row);
        if check && usize::try_from(got).ok() != Some(want) {
            return Err(GkrError::TraceMismatch {
                node: i,
                index: r,
                expected: want as i128,
                got: i64::from(got),
            });
        }
        let chosen = usize::try_from(got).ok().filter(|&c| c < row.len());
        let max = chosen.map_or(row[want], |c| row[c]);
        for (c, _) in row.iter().enumerate() {
            let e = padded(xl, r * xl.cols + c);
            b[e] = fr(i64::from(max));
            if Some(c) == chosen {
                s[e] = Fr::one();
            }
            if chosen.is_some_and(|k| c > k) {
                p[e] = Fr::one();
            }
        }
    }
    Ok([DenseMle::new(s)?, DenseMle::new(p)?, DenseMle::new(b)?])
}

/// The shift maps over `X`'s elements: `(r, i) ↦ (r, i − 1)`, and at `i = 0` the fill
/// (`P`'s map, `own` false) or `(r, 0)` itself (`B`'s map, `own` true).
fn shift_map(xl: Layout, own: bool) -> Vec<i32> {
    (0..xl.len())
        .map(|e| {
            let to = if e % xl.cols > 0 {
                e - 1
            } else if own {
                e
            } else {
                return -1;
            };
            i32::try_from(to).unwrap_or(i32::MAX)
        })
        .collect()
}

/// `R_ρ'` over `X`'s padded table: `eq(ρ', row(x))·(μ + ν·col(x))` on the real entries.
fn index_table(xl: Layout, yl: Layout, rho_y: &[Fr], mu: Fr, nu: Fr) -> Vec<Fr> {
    let eq = eq_table(rho_y);
    let mut t = vec![Fr::zero(); 1 << xl.vars()];
    for e in 0..xl.len() {
        let w = eq.get(padded(yl, e / xl.cols)).copied().unwrap_or_default();
        t[padded(xl, e)] = w * (mu + nu * fr(i64::try_from(e % xl.cols).unwrap_or(0)));
    }
    t
}

/// The public tables `[M_ρ, M'_ρ, R_ρ']` (module docs).
fn public_tables(
    xl: Layout,
    yl: Layout,
    rho: &[Fr],
    rho_y: &[Fr],
    c: &Coeffs,
) -> Result<[Vec<Fr>; 3], GkrError> {
    let (m, _) = wiring(xl, xl, &shift_map(xl, false), rho)?;
    let (m_own, _) = wiring(xl, xl, &shift_map(xl, true), rho)?;
    Ok([m, m_own, index_table(xl, yl, rho_y, c.mu, c.nu)])
}

/// The random coefficients `λ, a, b, μ, ν` (module docs).
struct Coeffs {
    lambda: Fr,
    a: Fr,
    b: Fr,
    mu: Fr,
    nu: Fr,
}

impl Coeffs {
    fn draw(t: &mut Transcript) -> Self {
        let c = t.challenges(5);
        Self {
            lambda: c[0],
            a: c[1],
            b: c[2],
            mu: c[3],
            nu: c[4],
        }
    }
}

/// Layer `i`, its input's layout and the points `ρ` (over `X`) and `ρ'` (over `Y`).
struct Points<'a> {
    l: &'a Layer,
    xl: Layout,
    rho: Vec<Fr>,
    rho_y: Vec<Fr>,
}

impl<'a> Points<'a> {
    fn draw(spec: &'a ChainSpec, i: usize, t: &mut Transcript) -> Result<Self, GkrError> {
        let l = layer(spec, i)?;
        let xl = spec.src_layout(l.input);
        let rho = t.challenges(xl.vars());
        let rho_y = t.challenges(l.out.vars());
        Ok(Self { l, xl, rho, rho_y })
    }
}

/// The tables after `eq(ρ, ·)`: `S, P, B, X, M, M', R` (indices 1 to 7).
const TABLES: usize = 7;

/// The statement over `[eq, S, P, B, X, M, M', R]` (module docs).
fn terms(num_vars: usize, c: &Coeffs) -> Result<Terms, GkrError> {
    let t = |coeff, factors: &[usize]| Term {
        coeff,
        factors: factors.to_vec(),
    };
    Ok(Terms::new(
        num_vars,
        TABLES + 1,
        vec![
            t(Fr::one(), &[0, 1, 1]),
            t(-Fr::one(), &[0, 1]),
            t(c.lambda, &[0, 1, 3]),
            t(-c.lambda, &[0, 1, 4]),
            t(c.a, &[2, 5]),
            t(c.a, &[1, 5]),
            t(c.b, &[3, 6]),
            t(Fr::one(), &[1, 7]),
        ],
    )?)
}

/// The evaluations an argmax layer states besides a hidden `Ỹ(ρ')`: `P̃(ρ)`, `B̃(ρ)`.
pub const EVALS: usize = 2;

/// The `ArgMax` layer kind (module docs).
pub(crate) struct Rule;

impl LayerRule for Rule {
    fn witness(&self, at: At<'_>, trace: &[Vec<i32>], _w: &[Vec<i32>], check: bool) -> Tables {
        let At { spec, i, .. } = at;
        let [s, p, b] = witness(spec, i, trace, check)?;
        Ok(vec![
            (Poly::Sel(i), s),
            (Poly::Prefix(i), p),
            (Poly::Bcast(i), b),
        ])
    }

    fn committed(&self, at: At<'_>) -> Vec<Poly> {
        let At { i, .. } = at;
        vec![Poly::Sel(i), Poly::Prefix(i), Poly::Bcast(i)]
    }

    fn shape(&self, at: At<'_>) -> Shape {
        let At { spec, i, l, .. } = at;
        let hidden = usize::from(!out_poly(spec, i).is_public());
        Shape::new(
            EVALS + hidden,
            spec.src_layout(l.input).vars(),
            3,
            TABLES + 1,
        )
    }

    fn prove<'m>(&self, at: At<'_>, get: Get<'_, 'm>, t: &mut Transcript) -> Proved {
        let At { spec, i, .. } = at;
        let Points { l, xl, rho, rho_y } = Points::draw(spec, i, t)?;
        let y = out_poly(spec, i);
        let mut opens = vec![(Poly::Prefix(i), &rho), (Poly::Bcast(i), &rho)];
        if !y.is_public() {
            opens.push((y, &rho_y));
        }
        let (evals, mut left) = open_all(get, &opens)?;
        t.absorb_frs(&evals);
        let c = Coeffs::draw(t);
        let x = src_poly(spec, l.input);
        let own = [Poly::Sel(i), Poly::Prefix(i), Poly::Bcast(i), x];
        let mut tables = own
            .iter()
            .map(|&p| get(p).cloned())
            .collect::<Result<Vec<_>, _>>()?;
        for table in public_tables(xl, l.out, &rho, &rho_y, &c)? {
            tables.push(DenseMle::new(table)?);
        }
        let (proof, point) = prove_eq_sumcheck(&terms(xl.vars(), &c)?, &rho, tables, t)?;
        left.extend(own.map(|p| (p, point.clone())));
        Ok((LayerProof::one(evals, proof), left))
    }

    fn verify(&self, at: At<'_>, lp: &LayerProof, public: &Mles, t: &mut Transcript) -> Checked {
        let At { spec, i, .. } = at;
        let Points { l, xl, rho, rho_y } = Points::draw(spec, i, t)?;
        let y = out_poly(spec, i);
        let (p_v, b_v, y_v) = match (&lp.evals[..], public.get(&y)) {
            ([p_v, b_v], Some(mle)) => (*p_v, *b_v, mle.evaluate(&rho_y)?),
            ([p_v, b_v, y_v], None) => (*p_v, *b_v, *y_v),
            _ => return Err(GkrError::Malformed("an argmax's evaluations")),
        };
        let mut left = vec![
            (Poly::Prefix(i), rho.clone(), p_v),
            (Poly::Bcast(i), rho.clone(), b_v),
        ];
        if !y.is_public() {
            left.push((y, rho_y.clone(), y_v));
        }
        t.absorb_frs(&lp.evals);
        let c = Coeffs::draw(t);
        let sum = c.a * p_v + c.b * b_v + c.mu * mask_eval(l.out, &rho_y) + c.nu * y_v;
        let (point, finals) = verify_eq_sumcheck(&terms(xl.vars(), &c)?, sum, lp, &rho, t)?;
        let [s_v, pp_v, bb_v, x_v, m_v, m_own_v, r_v] = finals[..] else {
            return Err(GkrError::Malformed("an argmax's final evaluations"));
        };
        let [m, m_own, r] = public_tables(xl, l.out, &rho, &rho_y, &c)?;
        if m_v != wiring_eval(m, &point)?
            || m_own_v != wiring_eval(m_own, &point)?
            || r_v != wiring_eval(r, &point)?
        {
            return Err(GkrError::Rejected(
                "an argmax's wiring or index table value",
            ));
        }
        let x = src_poly(spec, l.input);
        left.extend([
            (Poly::Sel(i), point.clone(), s_v),
            (Poly::Prefix(i), point.clone(), pp_v),
            (Poly::Bcast(i), point.clone(), bb_v),
            (x, point, x_v),
        ]);
        Ok(left)
    }

    // `B − X − 1 + P + S ≥ 0`: before the chosen index every element is below the maximum,
    // from it on at most the maximum.
    fn columns(&self, at: At<'_>, g: &mut Groups) {
        let At { spec, i, l, .. } = at;
        g.entry(src_bits(spec, l.input)).or_default().push(Column {
            terms: vec![
                (Poly::Bcast(i), 1),
                (src_poly(spec, l.input), -1),
                (Poly::Prefix(i), 1),
                (Poly::Sel(i), 1),
            ],
            constant: -1,
            layout: spec.src_layout(l.input),
        });
    }

    fn claim_vars(&self, at: At<'_>) -> Vec<usize> {
        let At { spec, i, l, .. } = at;
        let v = spec.src_layout(l.input).vars();
        let mut vars = vec![v, v];
        if !out_poly(spec, i).is_public() {
            vars.push(l.out.vars());
        }
        vars.extend([v, v, v]);
        if !src_poly(spec, l.input).is_public() {
            vars.push(v);
        }
        vars
    }

    // The sumcheck reads eq and seven tables of `X`'s size; `S`, `P`, `B` are committed.
    fn cost(&self, at: At<'_>) -> (&'static str, usize, usize) {
        let At { spec, l, .. } = at;
        let xl = spec.src_layout(l.input);
        ("ArgMax", (TABLES + 1) << xl.vars(), 3 * xl.len())
    }
}

//! `Lookup` layers: `Y = T[clamp(X, lo, lo + L − 1) − lo]` for a table `T` of `L` entries
//! (softmax's exp, GELU's erf, a layer norm's rsqrt).
//!
//! # Lowering ([`lookup_layers`])
//!
//! The clamp is proven by the existing clip layers: an internal `max(X, lo)` where the input
//! can lie below the domain, an internal `min(·, lo + L − 1)` where it can lie above it
//! ([`src_range`] follows the input's bits through earlier clamps), so the lookup layer itself
//! reads an input inside `[lo, lo + L − 1]`. The table is committed **as a weight** (`1 × L`,
//! with the model's other weights, in the key): a table is an arbitrary vector, so the
//! verifier has no closed form for its multilinear extension, and the batched opening settles
//! the one claim on it like any weight's.
//!
//! # Argument (after the range groups, one per lookup layer, transcript order)
//!
//! A two-column logUp (Haböck 2022) over the real entries of `(X, Y)` against `(t, T_t)`:
//!
//! 1. Absorb `m = vars(Y)`, `k = vars(T)`. The prover commits the multiplicities `μ_t` (how
//!    often `X − lo = t`); absorb `C_μ`; `γ, β = challenge()`.
//! 2. The prover commits `h_i = mask_i/(β + X_i − lo + γ·Y_i)` (`mask` the real entries, so
//!    padding needs no table entry) and `g_t = μ_t/(β + t + γ·T_t)`, states `S = Σ h = Σ g`;
//!    absorb `C_h`, `C_g`, `S`; `z_a = challenges(m)`, `z_t = challenges(k)`, `λ`.
//! 3. Sumcheck of `[eq(z_a,·), h, X, Y, mask]`:
//!    `S = Σ_i h_i + λ·eq(z_a, i)·(h_i·(β − lo + X_i + γ·Y_i) − mask_i)`.
//! 4. Sumcheck of `[eq(z_t,·), g, id, T, μ]`: `S = Σ_t g_t + λ·eq(z_t, t)·(g_t·(β + t + γ·T_t) − μ_t)`.
//! 5. The verifier checks `eq`, `mask` and `id` at the reduced points itself; `h`, `g`, `μ`,
//!    `X`, `Y` (hidden ones) and the table are claims for the batched opening.
//!
//! It reuses [`RangeArgument`] as its proof (the same messages), appended to
//! `ModelProof::ranges` after the range groups: a model without lookups is byte-identical.
//!
//! **Soundness.** Clearing denominators, `Σ mask_i/(X + a_i + Y·b_i) = Σ μ_t/(X + t + Y·T_t)`
//! is a polynomial identity of total degree at most `2^m + 2^k` in `(β, γ)`; it holds iff the
//! pairs `(X_i − lo, Y_i)` of the real entries form a sub-multiset of `{(t, T_t)}` (distinct
//! linear forms are coprime), so a false lookup survives with probability at most
//! `(2^m + 2^k)/r`, plus `(m + k + 2)/r` for the `eq`-checks and `λ`, plus `3(m + k)/r` for the
//! sumchecks. Padding entries of the table (`t ≥ L`, `T_t = 0`) are unreachable because the
//! clamp (or the input's bits) keeps `X − lo < L`. One argument per lookup layer: the
//! bundled transformer block's tables are each used once, so this is one per table there.

use ark_bn254::Fr;
use ark_ff::{batch_inversion, One, Zero};
use verinfer_ir::{Graph, Lookup, Node, TensorInfo};

use crate::error::LogupError;
use crate::logup::{identity_table_eval, OpenClaim, OpenWitness, RangeArgument, MAX_RANGE_BITS};
use crate::mle::{eq_eval, eq_table, DenseMle};
use crate::pcs::{self, CommitKey};
use crate::sumcheck::{self, Term, Terms};
use crate::transcript::Transcript;

use super::columns::{mask_eval, mask_table, out_poly, src_poly, Poly};
use super::spec::{ChainSpec, Layer, LayerKind, Layout, Src, WeightSpec};
use super::{fr, GkrError};

/// The values layer input `s` can take: its bits' range, narrowed by the clips before it.
#[must_use]
pub fn src_range(spec: &ChainSpec, s: Src) -> (i64, i64) {
    let bits = spec.src_bits(s).map_or(32, verinfer_ir::Bits::get);
    let half = 1i64 << (bits.clamp(1, 63) - 1);
    let Src::Layer(i) = s else {
        return (-half, half - 1);
    };
    match spec.layers.get(i).map(|l| (l.kind, l.input)) {
        // `j < i`: a decoded spec cannot make this loop.
        Some((LayerKind::Clip { min, constant }, inp))
            if matches!(inp, Src::Input(_)) || matches!(inp, Src::Layer(j) if j < i) =>
        {
            let (a, b) = src_range(spec, inp);
            if min {
                (a.min(constant), b.min(constant))
            } else {
                (a.max(constant), b.max(constant))
            }
        }
        _ => (-half, half - 1),
    }
}

/// Push the layers of `Lookup` node `i` (reading `src`, of `in_info`) onto `spec`: the clamps
/// it needs, then the lookup (module docs).
///
/// # Errors
/// [`GkrError::Unsupported`] naming what the layer does not cover.
pub(super) fn lookup_layers(
    g: &Graph,
    spec: &mut ChainSpec,
    i: usize,
    node: &Node,
    lk: &Lookup,
    (src, in_info): (Src, &TensorInfo),
) -> Result<(), GkrError> {
    let refuse = |why: &str| GkrError::Unsupported {
        node: Some(i),
        reason: format!("node {i} ({}, {}): {why}", node.name, node.op.name()),
    };
    let table = g
        .params
        .get(lk.table.index())
        .ok_or_else(|| refuse("its table is not a parameter"))?;
    let len = table.data.len();
    if node.inputs.len() != 1 || in_info.shape != node.out.shape {
        return Err(refuse("only a one-input lookup of its output's shape"));
    }
    if len == 0 || len > 1 << MAX_RANGE_BITS || in_info.bits.get() > MAX_RANGE_BITS {
        return Err(refuse(
            "an empty table, or a table or input wider than the range check",
        ));
    }
    let lo = i64::from(lk.lo);
    let hi = lo + i64::try_from(len).map_err(|_| refuse("a table past 2^63 entries"))? - 1;
    let (a, b) = src_range(spec, src);
    if lo > b || hi < a {
        return Err(refuse(
            "a table domain the input never reaches (every value clamps to one end)",
        ));
    }
    let out = Layout::of(node.out.shape.dims());
    let mut input = src;
    for (min, constant, needed) in [(false, lo, a < lo), (true, hi, b > hi)] {
        if needed {
            spec.layers.push(Layer {
                kind: LayerKind::Clip { min, constant },
                input,
                out,
                bits: in_info.bits,
                internal: true,
            });
            input = Src::Layer(spec.layers.len() - 1);
        }
    }
    let layout = Layout { rows: 1, cols: len };
    let param = lk.table.index();
    let table = match spec
        .weights
        .iter()
        .position(|w| w.param == param && w.arrange.is_none() && w.layout == layout)
    {
        Some(j) => j,
        None => {
            spec.weights.push(WeightSpec {
                param,
                layout,
                arrange: None,
            });
            spec.weights.len() - 1
        }
    };
    spec.layers.push(Layer {
        kind: LayerKind::Lookup { table, lo },
        input,
        out,
        bits: node.out.bits,
        internal: false,
    });
    Ok(())
}

/// Whether a decoded lookup layer is well formed: a `1 × L` table, an input of the output's
/// layout whose values (bits and clamps) lie inside the domain.
#[must_use]
pub fn fits(spec: &ChainSpec, l: &Layer, table: usize, lo: i64) -> bool {
    let Some(w) = spec.weights.get(table) else {
        return false;
    };
    let len = i64::try_from(w.layout.cols).unwrap_or(i64::MAX);
    let (a, b) = src_range(spec, l.input);
    w.layout.rows == 1
        && len > 0
        && w.layout.vars() <= MAX_RANGE_BITS as usize
        && spec.src_layout(l.input) == l.out
        && a >= lo
        && lo.checked_add(len - 1).is_some_and(|hi| b <= hi)
}

/// The lookup layers, ascending (the order of their arguments in the proof).
#[must_use]
pub fn lookup_layers_of(spec: &ChainSpec) -> Vec<(usize, usize, i64)> {
    spec.layers
        .iter()
        .enumerate()
        .filter_map(|(i, l)| match l.kind {
            LayerKind::Lookup { table, lo } => Some((i, table, lo)),
            _ => None,
        })
        .collect()
}

/// `(m, k)`: the variables of a lookup layer's values and its table.
#[must_use]
pub fn dims(spec: &ChainSpec, i: usize, table: usize) -> (usize, usize) {
    let m = spec.layers.get(i).map_or(0, |l| l.out.vars());
    let k = spec.weights.get(table).map_or(0, |w| w.layout.vars());
    (m, k)
}

/// The variables of each claim a lookup layer leaves to the batched opening, in the order
/// the prover and the verifier push them: `h`, `g`, `μ`, then `X`, `Y` if hidden, the table.
#[must_use]
pub fn claim_vars(spec: &ChainSpec, i: usize, table: usize) -> Vec<usize> {
    let (m, k) = dims(spec, i, table);
    let mut v = vec![m, k, k];
    if let Some(l) = spec.layers.get(i) {
        for p in [src_poly(spec, l.input), out_poly(spec, i)] {
            if !p.is_public() {
                v.push(m);
            }
        }
    }
    v.push(k);
    v
}

/// Check a lookup layer's trace: `y = T[x − lo]` with `x` inside the domain.
///
/// # Errors
/// [`GkrError::TraceMismatch`] at the first element that differs.
pub(crate) fn check_trace(
    i: usize,
    lo: i64,
    table: &[i32],
    x: &[i32],
    y: &[i32],
) -> Result<(), GkrError> {
    for (index, (&a, &b)) in x.iter().zip(y).enumerate() {
        let t = usize::try_from(i64::from(a) - lo).ok();
        let expected = t.and_then(|t| table.get(t)).copied();
        if expected != Some(b) {
            return Err(GkrError::TraceMismatch {
                node: i,
                index,
                expected: expected.map_or(i128::from(a), i128::from),
                got: i64::from(b),
            });
        }
    }
    Ok(())
}

fn term(coeff: Fr, factors: &[usize]) -> Term {
    Term {
        coeff,
        factors: factors.to_vec(),
    }
}

/// Step 3 over `[eq, h, X, Y, mask]`: `h + λ·eq·(h·(β − lo + X + γ·Y) − mask)`.
fn values_terms(m: usize, beta: Fr, gamma: Fr, lambda: Fr, lo: i64) -> Result<Terms, GkrError> {
    Ok(Terms::new(
        m,
        5,
        vec![
            term(Fr::one(), &[1]),
            term(lambda * (beta - fr(lo)), &[0, 1]),
            term(lambda, &[0, 1, 2]),
            term(lambda * gamma, &[0, 1, 3]),
            term(-lambda, &[0, 4]),
        ],
    )?)
}

/// Step 4 over `[eq, g, id, T, μ]`: `g + λ·eq·(g·(β + id + γ·T) − μ)`.
fn table_terms(k: usize, beta: Fr, gamma: Fr, lambda: Fr) -> Result<Terms, GkrError> {
    Ok(Terms::new(
        k,
        5,
        vec![
            term(Fr::one(), &[1]),
            term(lambda * beta, &[0, 1]),
            term(lambda, &[0, 1, 2]),
            term(lambda * gamma, &[0, 1, 3]),
            term(-lambda, &[0, 4]),
        ],
    )?)
}

/// What the prover of one lookup layer leaves: the argument, the logUp polynomials' claims,
/// the claims on `X`, `Y` and the table (public ones included; the caller drops them).
pub(crate) type Proved = (RangeArgument, [OpenWitness; 3], Vec<(Poly, Vec<Fr>)>);

/// Prove lookup layer `i` (module docs): `x`, `y`, `tab` the polynomials of its input, output
/// and table, `xs` the input's values (for the multiplicities; entries outside the domain
/// are left out, which only a cheating prover has).
///
/// # Errors
/// [`GkrError::Malformed`] for a layer that is no lookup, [`GkrError::Logup`] for a
/// degenerate challenge, [`GkrError::Pcs`] for a key too small.
#[allow(clippy::too_many_arguments)]
pub(crate) fn prove(
    ck: &CommitKey,
    spec: &ChainSpec,
    i: usize,
    (x, y, tab): (&DenseMle, &DenseMle, &DenseMle),
    xs: &[i32],
    t: &mut Transcript,
) -> Result<Proved, GkrError> {
    let l = spec.layer(i)?;
    let LayerKind::Lookup { table, lo } = l.kind else {
        return Err(GkrError::Malformed("a lookup layer"));
    };
    let (m, k) = dims(spec, i, table);
    let mut counts = vec![0u64; 1 << k];
    for &v in xs {
        if let Some(c) = usize::try_from(i64::from(v) - lo)
            .ok()
            .and_then(|e| counts.get_mut(e))
        {
            *c += 1;
        }
    }
    let mu = DenseMle::new(counts.into_iter().map(Fr::from).collect())?;
    t.absorb_u64(m as u64);
    t.absorb_u64(k as u64);
    let c_mu = pcs::commit(ck, &mu)?;
    t.absorb_g1(&c_mu.0);
    let gamma = t.challenge();
    let beta = t.challenge();

    let mask = DenseMle::new(mask_table(l.out))?;
    let shift = beta - fr(lo);
    let mut h: Vec<Fr> = (0..1usize << m)
        .map(|j| {
            if mask.evals()[j].is_zero() {
                Fr::one()
            } else {
                shift + x.evals()[j] + gamma * y.evals()[j]
            }
        })
        .collect();
    let mut g: Vec<Fr> = (0..1usize << k)
        .map(|e| beta + Fr::from(e as u64) + gamma * tab.evals()[e])
        .collect();
    if h.iter().chain(&g).any(Zero::is_zero) {
        return Err(LogupError::DegenerateChallenge.into());
    }
    batch_inversion(&mut h);
    batch_inversion(&mut g);
    h.iter_mut().zip(mask.evals()).for_each(|(v, w)| *v *= w);
    g.iter_mut().zip(mu.evals()).for_each(|(v, c)| *v *= c);
    let (h, g) = (DenseMle::new(h)?, DenseMle::new(g)?);
    let sum: Fr = h.evals().iter().sum();
    let (c_h, c_g) = (pcs::commit(ck, &h)?, pcs::commit(ck, &g)?);
    t.absorb_g1(&c_h.0);
    t.absorb_g1(&c_g.0);
    t.absorb_fr(&sum);
    let z_a = t.challenges(m);
    let z_t = t.challenges(k);
    let lambda = t.challenge();

    let pv = sumcheck::prove_terms(
        &values_terms(m, beta, gamma, lambda, lo)?,
        vec![
            DenseMle::new(eq_table(&z_a))?,
            h.clone(),
            x.clone(),
            y.clone(),
            mask,
        ],
        t,
    )?;
    let id = DenseMle::new((0..1u64 << k).map(Fr::from).collect())?;
    let pt = sumcheck::prove_terms(
        &table_terms(k, beta, gamma, lambda)?,
        vec![
            DenseMle::new(eq_table(&z_t))?,
            g.clone(),
            id,
            tab.clone(),
            mu.clone(),
        ],
        t,
    )?;
    let ev = |e: &[Fr], j: usize| e.get(j).copied().unwrap_or_else(Fr::zero);
    let (ra, rt) = (&pv.reduced, &pt.reduced);
    let open = |poly: DenseMle, commitment, point: &[Fr], eval| OpenWitness {
        poly,
        claim: OpenClaim {
            commitment,
            point: point.to_vec(),
            eval,
        },
    };
    let opens = [
        open(h, c_h, &ra.point, ev(&ra.evals, 1)),
        open(g, c_g, &rt.point, ev(&rt.evals, 1)),
        open(mu, c_mu, &rt.point, ev(&rt.evals, 4)),
    ];
    let tensors = vec![
        (src_poly(spec, l.input), ra.point.clone()),
        (out_poly(spec, i), ra.point.clone()),
        (Poly::Weight(table), rt.point.clone()),
    ];
    let argument = RangeArgument {
        mult: c_mu,
        h: c_h,
        g: c_g,
        sum,
        values: pv.proof,
        table: pt.proof,
    };
    Ok((argument, opens, tensors))
}

/// What the verifier of one lookup layer leaves: the claims on `h`, `g`, `μ`, and on `X`,
/// `Y`, the table (public ones included; the caller evaluates them).
pub(crate) type Checked = ([OpenClaim; 3], Vec<(Poly, Vec<Fr>, Fr)>);

/// The verifier's side of lookup layer `i`: checks the sumchecks and the values it computes
/// itself, returns the claims on `h`, `g`, `μ` and on `X`, `Y`, the table (all to be
/// checked by the caller).
///
/// # Errors
/// A rejection for a false argument, [`GkrError::Malformed`] for a misshapen one.
pub(crate) fn verify(
    spec: &ChainSpec,
    i: usize,
    arg: &RangeArgument,
    t: &mut Transcript,
) -> Result<Checked, GkrError> {
    let l = spec.layer(i)?;
    let LayerKind::Lookup { table, lo } = l.kind else {
        return Err(GkrError::Malformed("a lookup layer"));
    };
    let (m, k) = dims(spec, i, table);
    t.absorb_u64(m as u64);
    t.absorb_u64(k as u64);
    t.absorb_g1(&arg.mult.0);
    let gamma = t.challenge();
    let beta = t.challenge();
    t.absorb_g1(&arg.h.0);
    t.absorb_g1(&arg.g.0);
    t.absorb_fr(&arg.sum);
    let z_a = t.challenges(m);
    let z_t = t.challenges(k);
    let lambda = t.challenge();
    let rv = sumcheck::verify_terms(
        &values_terms(m, beta, gamma, lambda, lo)?,
        arg.sum,
        &arg.values,
        t,
    )?;
    let rt = sumcheck::verify_terms(
        &table_terms(k, beta, gamma, lambda)?,
        arg.sum,
        &arg.table,
        t,
    )?;
    let ([eq_a, h_a, x_a, y_a, mask_a], [eq_t, g_t, id_t, tab_t, mu_t]) =
        (&rv.evals[..], &rt.evals[..])
    else {
        return Err(GkrError::Malformed("a lookup's final evaluations"));
    };
    if *eq_a != eq_eval(&z_a, &rv.point)? || *eq_t != eq_eval(&z_t, &rt.point)? {
        return Err(GkrError::Rejected("a lookup's eq value"));
    }
    if *mask_a != mask_eval(l.out, &rv.point) {
        return Err(GkrError::Rejected("a lookup's mask value"));
    }
    if *id_t != identity_table_eval(&rt.point) {
        return Err(GkrError::Rejected("a lookup's index column value"));
    }
    let claim = |commitment, point: &[Fr], eval: Fr| OpenClaim {
        commitment,
        point: point.to_vec(),
        eval,
    };
    Ok((
        [
            claim(arg.h, &rv.point, *h_a),
            claim(arg.g, &rt.point, *g_t),
            claim(arg.mult, &rt.point, *mu_t),
        ],
        vec![
            (src_poly(spec, l.input), rv.point.clone(), *x_a),
            (out_poly(spec, i), rv.point.clone(), *y_a),
            (Poly::Weight(table), rt.point.clone(), *tab_t),
        ],
    ))
}

//! The second operand of a two-operand layer ([`Arg`]) broadcast to the output: an
//! activation or a committed parameter with one value per output row (`x − mean`, the
//! `[.., 1]` factor of a layer norm) or one row for all rows (`γ`, `β`, a bias), or a public
//! scalar.
//!
//! In the output's padded `2^a × 2^b` layout a broadcast operand `B` is the table
//! `B'(r, c) = B(r)·[c < cols]` (one value per row; [`Spread::Cols`]) or
//! `B'(r, c) = B(c)·[r < rows]` (one row; [`Spread::Rows`]), so its multilinear extension
//! factors: `B̃'(ρ_r‖ρ_c) = B̃(ρ_r)·S_cols(ρ_c)` with `S_n(z) = Σ_{j<n} eq(z, j)` (1 when `n`
//! is a power of two), and a claim on `B'` is a claim on `B` at the point with the broadcast
//! axis' variables dropped — no sumcheck and nothing committed for the broadcast itself. The
//! mask keeps `B'` zero on the output's padding, so the remainders there stay `2^(s−1)` and
//! in their range. Inside a product's sumcheck the mask is not needed (the other operand is
//! zero on the padding): there the prover uses `B(r)` repeated over every column, whose
//! extension is exactly `B̃(σ_r)`, so the final value is the claim on `B` itself.

use ark_bn254::Fr;
use ark_ff::One;
use verinfer_ir::{Graph, Node, Operand};

use crate::mle::eq_table;

use super::columns::{src_poly, Poly};
use super::spec::{Arg, ChainSpec, Layout, Src, WeightSpec};
use super::{fr, GkrError};

/// How an operand's layout spreads over the output's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Spread {
    /// The output's layout: no broadcast.
    Full,
    /// `rows × 1`: one value per row, repeated across the columns.
    Cols,
    /// `1 × cols`: one row, repeated for every row.
    Rows,
}

/// How `b` spreads over `out`, if it does.
#[must_use]
pub fn spread(out: Layout, b: Layout) -> Option<Spread> {
    if b == out {
        Some(Spread::Full)
    } else if b.rows == out.rows && b.cols == 1 {
        Some(Spread::Cols)
    } else if b.rows == 1 && b.cols == out.cols {
        Some(Spread::Rows)
    } else {
        None
    }
}

/// Whether numpy broadcasting of `b` to `out` is one the layouts express: `b`'s leading axes
/// (right-aligned) equal `out`'s or are all 1, its last axis `out`'s or 1.
fn broadcasts(out: &[usize], b: &[usize]) -> bool {
    let Some(pad) = out.len().checked_sub(b.len()) else {
        return false;
    };
    let full: Vec<usize> = std::iter::repeat_n(1, pad)
        .chain(b.iter().copied())
        .collect();
    match (full.split_last(), out.split_last()) {
        (Some((&bl, blead)), Some((&ol, olead))) => {
            (bl == ol || bl == 1) && (blead == olead || blead.iter().all(|&d| d == 1))
        }
        _ => true,
    }
}

/// The layout of an operand (a scalar's is `1 × 1`).
#[must_use]
pub fn arg_layout(spec: &ChainSpec, a: Arg) -> Option<Layout> {
    match a {
        Arg::Act(s) => Some(spec.src_layout(s)),
        Arg::Weight(j) => spec.weights.get(j).map(|w| w.layout),
        Arg::Const(_) => Some(Layout { rows: 1, cols: 1 }),
    }
}

/// The polynomial of an operand (none for a scalar).
#[must_use]
pub fn arg_poly(spec: &ChainSpec, a: Arg) -> Option<Poly> {
    match a {
        Arg::Act(s) => Some(src_poly(spec, s)),
        Arg::Weight(j) => Some(Poly::Weight(j)),
        Arg::Const(_) => None,
    }
}

/// Whether `a` fits a layer with output `out` (a known weight or earlier layer, a layout that
/// spreads). A one-element activation (RMSNorm's statistic of one token) spreads with zero
/// variables: its claims are at the empty point, which the batched opening settles like any
/// other ([`zero_vars`] marks it for the on-chain plan, which has no such check yet).
#[must_use]
pub fn fits(spec: &ChainSpec, out: Layout, a: Arg) -> bool {
    if matches!(a, Arg::Const(_)) {
        return true;
    }
    arg_layout(spec, a).is_some_and(|l| spread(out, l).is_some())
}

/// Whether `a` is a one-element operand spread over a larger output (claims at zero
/// variables).
#[must_use]
pub fn zero_vars(spec: &ChainSpec, out: Layout, a: Arg) -> bool {
    !matches!(a, Arg::Const(_)) && arg_layout(spec, a).is_some_and(|l| l.vars() == 0 && l != out)
}

/// Recognise `node`'s second operand (an `Add`/`Sub`/`Mul`), registering a parameter as a
/// committed weight; `earlier` maps a value to the input or layer holding it.
///
/// # Errors
/// Why it is not covered.
pub(crate) fn recognise_arg(
    g: &Graph,
    spec: &mut ChainSpec,
    node: &Node,
    earlier: &dyn Fn(usize) -> Option<Src>,
) -> Result<Arg, &'static str> {
    let operand = *node.inputs.get(1).ok_or("no second operand")?;
    let info = g
        .operand_info(operand)
        .ok_or("its second operand does not exist")?;
    if !broadcasts(node.out.shape.dims(), info.shape.dims()) {
        return Err("a second operand broadcast other than over the last axis or the rows");
    }
    let arg = match operand {
        Operand::Value(v) => Arg::Act(
            earlier(v.index()).ok_or("its second operand is not an input or an earlier node")?,
        ),
        Operand::Param(p) => {
            let param = g.params.get(p.index()).ok_or("a missing parameter")?;
            if param.data.len() == 1 {
                let c = param.data.get(0).ok_or("an empty parameter")?;
                return Ok(Arg::Const(i64::from(c)));
            }
            spec.weights.push(WeightSpec {
                param: p.index(),
                layout: Layout::of(info.shape.dims()),
                arrange: None,
            });
            Arg::Weight(spec.weights.len() - 1)
        }
    };
    if !fits(spec, Layout::of(node.out.shape.dims()), arg) {
        if let Arg::Weight(_) = arg {
            spec.weights.pop();
        }
        return Err("a second operand whose layout does not spread over the output");
    }
    Ok(arg)
}

/// The operand's element that output element `e` (row-major over `out`'s real entries) reads.
#[must_use]
pub fn source(s: Spread, out: Layout, e: usize) -> usize {
    match s {
        Spread::Full => e,
        Spread::Cols => e / out.cols.max(1),
        Spread::Rows => e % out.cols.max(1),
    }
}

/// The operand's table `b` (its own padded layout) spread over `out`'s padded table: zero on
/// `out`'s padding when `masked`, repeated over it otherwise (module docs).
#[must_use]
pub fn expand(s: Spread, out: Layout, b: &[Fr], masked: bool) -> Vec<Fr> {
    if s == Spread::Full {
        return b.to_vec();
    }
    let (a, bv) = out.log_dims();
    let (nr, nc) = (1usize << a, 1usize << bv);
    let mut t = Vec::with_capacity(nr * nc);
    for r in 0..nr {
        for c in 0..nc {
            let real = !masked
                || match s {
                    Spread::Cols => c < out.cols,
                    _ => r < out.rows,
                };
            let k = if s == Spread::Cols { r } else { c };
            t.push(if real {
                b.get(k).copied().unwrap_or_default()
            } else {
                Fr::default()
            });
        }
    }
    t
}

/// `(point, factor)`: the operand's point for a claim on its (masked) spread at `point`
/// (over `out`'s variables), and the mask's factor `S`, so `B̃'(point) = B̃(sub)·S`.
#[must_use]
pub fn split(s: Spread, out: Layout, point: &[Fr]) -> (Vec<Fr>, Fr) {
    let (a, _) = out.log_dims();
    let (pr, pc) = point.split_at(a.min(point.len()));
    let sum = |z: &[Fr], n: usize| -> Fr { eq_table(z).iter().take(n).sum() };
    match s {
        Spread::Full => (point.to_vec(), Fr::one()),
        Spread::Cols => (pr.to_vec(), sum(pc, out.cols)),
        Spread::Rows => (pc.to_vec(), sum(pr, out.rows)),
    }
}

/// The operand's values at each real output element (the layer's `B` as the IR reads it).
///
/// # Errors
/// [`GkrError::Malformed`] for a missing tensor or one of the wrong size.
pub(crate) fn values(
    spec: &ChainSpec,
    a: Arg,
    out: Layout,
    trace: &[Vec<i32>],
    weights: &[Vec<i32>],
) -> Result<Vec<i64>, GkrError> {
    let bad = || GkrError::Malformed("a binary layer's second operand");
    let data = match a {
        Arg::Const(c) => return Ok(vec![c; out.len()]),
        Arg::Act(s) => trace.get(spec.trace_index(s)),
        Arg::Weight(j) => weights.get(j),
    }
    .ok_or_else(bad)?;
    let layout = arg_layout(spec, a).ok_or_else(bad)?;
    let s = spread(out, layout).ok_or_else(bad)?;
    if data.len() != layout.len() {
        return Err(bad());
    }
    (0..out.len())
        .map(|e| {
            data.get(source(s, out, e))
                .map(|&v| i64::from(v))
                .ok_or_else(bad)
        })
        .collect()
}

/// A scalar's masked spread at `point`: `c·S_rows·S_cols`.
#[must_use]
pub fn const_eval(c: i64, out: Layout, point: &[Fr]) -> Fr {
    fr(c) * super::columns::mask_eval(out, point)
}

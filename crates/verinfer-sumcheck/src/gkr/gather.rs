//! A `Gather` layer by a public input: `Y[r, ·] = T[row(idx[r]), ·]` for a committed table
//! `T` (`[V, d]`, a weight; a table of higher rank is its rows flattened) and a graph input
//! `idx` (`n` indices, the layer's [`Layer::input`]; `row` is the IR's `resolve`: negatives
//! count from the end, the rest clamp into `[0, V)`) — an LLM step's embedding row of its
//! token, its RoPE and mask rows of its position. A gather along another axis `a` by one
//! index (the KV cache's one-hot column by the position) is a row of the table *arranged*
//! as `T'[v, (pre, post)] = T[pre, v, post]` (committed so, [`super::spec::WeightSpec::arrange`]); a
//! one-index gather's output may be laid out `[L, 1]` as well as `[1, L]` (both are the same
//! multilinear extension: the `L` values in order, then zeros), so it keeps its node's
//! layout.
//!
//! The verifier knows every `row(idx[r])`, so no sumcheck is needed: the layer draws
//! `ρ = ρ_r‖ρ_c = challenges(vars(Y))`, the prover states `Ỹ(ρ)` and `v_r = T̃(bits(row_r)‖ρ_c)`
//! for each `r < n`, and the verifier checks `Ỹ(ρ) = Σ_r eq(ρ_r, r)·v_r` (`Y`'s padded rows
//! are 0), leaving the claims on `Y` at `ρ` and on `T` at each `bits(row_r)‖ρ_c` to the batched
//! opening (a public `Y` it evaluates itself). A hidden `Y` gets the range column every
//! hidden output has (`Y + 2^(bits−1)` in `[0, 2^bits)`), so its bound does not rest on the
//! table's values.
//!
//! **Soundness.** A `Y` other than the gathered rows passes the identity at `ρ` with
//! probability at most `vars(Y)/r` (both sides are multilinear in `ρ`); the claims on `T` are
//! bound by the registered weight commitment through the opening.

use ark_bn254::Fr;
use ark_ff::{One, Zero};
use verinfer_ir::{Graph, Node, Operand};

use crate::mle::eq_eval;
use crate::sumcheck::SumcheckProof;
use crate::transcript::Transcript;

use super::columns::{hidden_output_column, out_poly, Poly};
use super::kind::{open_all, At, Checked, Get, Groups, LayerRule, Mles, Proved, Shape, Tables};
use super::spec::{ChainSpec, Layer, LayerKind, Layout, Src};
use super::{GkrError, LayerProof};

/// Most indices one gather layer reads (each is a claim on the table in the batch).
pub const MAX_INDICES: usize = 1 << 10;

/// Add the layer of a `Gather` node (its table committed as a weight), or say why it is not
/// covered.
///
/// # Errors
/// A reason naming what is missing: an axis other than 0, indices that are not a graph
/// input, a table that is not a parameter of rank 2 or more, more than [`MAX_INDICES`]
/// indices.
pub(crate) fn gather_layer(
    g: &Graph,
    spec: &mut ChainSpec,
    node: &Node,
    ga: &verinfer_ir::Gather,
) -> Result<(), String> {
    let (Some(Operand::Param(p)), Some(Operand::Value(v))) =
        (node.inputs.first(), node.inputs.get(1))
    else {
        return Err("only a parameter table gathered by a value".into());
    };
    let k = v.index();
    if k >= g.inputs.len() || node.inputs.len() != 2 {
        return Err(
            "only indices that are a graph input (a run-time index inside the proof is \
                    not proven yet)"
                .into(),
        );
    }
    let table = g
        .params
        .get(p.index())
        .ok_or("its table is not a parameter")?;
    let dims = table.info.shape.dims();
    let a = ga.axis;
    let rows = dims.get(a).copied().unwrap_or(0);
    let (pre, post): (usize, usize) = (
        dims[..a.min(dims.len())].iter().product(),
        dims.get(a + 1..).map_or(1, |d| d.iter().product()),
    );
    let cols = pre * post;
    let idx = spec.src_layout(Src::Input(k));
    let n = idx.len();
    if dims.len() < 2 || rows == 0 || n > MAX_INDICES || idx.rows != 1 || (a > 0 && n != 1) {
        return Err(format!(
            "only rows of a table of rank 2 or more by at most {MAX_INDICES} indices in one \
             row (along an axis past the first: one index)"
        ));
    }
    let natural = Layout::of(node.out.shape.dims());
    let out = if n == 1 && natural.len() == cols && (natural.rows == 1 || natural.cols == 1) {
        natural
    } else {
        Layout { rows: n, cols }
    };
    if node.out.shape.dims().iter().product::<usize>() != n * cols
        || out != natural
        || table.info.bits.get() > node.out.bits.get()
    {
        return Err("an output that is not the gathered rows at the table's bits".into());
    }
    // Along axis `a > 0`: row `v` of the arranged table is `T[pre, v, post]` in order.
    let arrange = (a > 0).then(|| {
        (0..rows * cols)
            .map(|e| {
                let (v, c) = (e / cols, e % cols);
                let (p, q) = (c / post, c % post);
                i32::try_from((p * rows + v) * post + q).unwrap_or(-1)
            })
            .collect()
    });
    let w = spec.push_weight(p.index(), Layout { rows, cols }, arrange);
    spec.layers.push(Layer {
        kind: LayerKind::Gather { table: w },
        input: Src::Input(k),
        out,
        bits: node.out.bits,
        internal: false,
    });
    Ok(())
}

/// The indices gather layer `l` reads (its input's elements).
fn index_count(spec: &ChainSpec, l: &Layer) -> usize {
    spec.src_layout(l.input).len()
}

/// Variables of `ρ` that pick the index (`ρ_r`); the rest pick the element of a row. One
/// index takes none: its output is the row, laid out flat.
fn row_vars(spec: &ChainSpec, l: &Layer) -> usize {
    if index_count(spec, l) == 1 {
        0
    } else {
        l.out.log_dims().0
    }
}

/// Whether a decoded layer is one [`gather_layer`] makes: a graph input's indices in one
/// row, the table's rows of the output's width (one index: its row laid out flat).
#[must_use]
pub fn fits(spec: &ChainSpec, l: &Layer) -> bool {
    let LayerKind::Gather { table } = l.kind else {
        return false;
    };
    let idx = spec.src_layout(l.input);
    let n = idx.len();
    let rows_fit = |w: Layout| {
        (l.out.rows == n && l.out.cols == w.cols)
            || (n == 1 && l.out.len() == w.cols && (l.out.rows == 1 || l.out.cols == 1))
    };
    spec.weights
        .get(table)
        .is_some_and(|w| rows_fit(w.layout) && w.layout.rows > 0)
        && matches!(l.input, Src::Input(k) if k < spec.inputs.len())
        && idx.rows == 1
        && n <= MAX_INDICES
}

fn parts(spec: &ChainSpec, i: usize) -> Result<(&Layer, usize, Layout), GkrError> {
    let bad = || GkrError::Malformed("not a gather layer");
    let l = spec.layers.get(i).ok_or_else(bad)?;
    let LayerKind::Gather { table } = l.kind else {
        return Err(bad());
    };
    let t = spec.weights.get(table).ok_or_else(bad)?.layout;
    Ok((l, table, t))
}

/// The public input gather layer `l` reads its indices from.
fn indices<'a>(at: At<'a>, l: &Layer) -> Result<&'a [i32], GkrError> {
    let Src::Input(k) = l.input else {
        return Err(GkrError::Malformed("a gather by a layer's output"));
    };
    at.inputs
        .get(k)
        .map(Vec::as_slice)
        .ok_or(GkrError::Malformed("a gather's indices"))
}

/// The table row index `v` reads (the IR's `resolve`) as a point over the table's row
/// variables, most significant bit first.
fn row_point(v: i32, t: Layout) -> Vec<Fr> {
    index_point(verinfer_ir::ops::gather::resolve(v, t.rows), t.log_dims().0)
}

/// Check the trace's output of layer `i` against the IR: row `r` is the table's row of
/// `idx[r]`.
///
/// # Errors
/// [`GkrError::TraceMismatch`] (of layer `i`) at the first element that differs.
fn check_trace(
    spec: &ChainSpec,
    i: usize,
    table: &[i32],
    idx: &[i32],
    y: &[i32],
) -> Result<(), GkrError> {
    let (l, _, t) = parts(spec, i)?;
    if y.len() != l.out.len() || idx.len() * t.cols != y.len() || table.len() != t.len() {
        return Err(GkrError::Malformed("a gather's operands"));
    }
    for (index, &got) in y.iter().enumerate() {
        let (r, c) = (index / t.cols, index % t.cols);
        let row = verinfer_ir::ops::gather::resolve(idx[r], t.rows);
        let want = table[row * t.cols + c];
        if want != got {
            return Err(GkrError::TraceMismatch {
                node: i,
                index,
                expected: i128::from(want),
                got: i64::from(got),
            });
        }
    }
    Ok(())
}

/// The evaluations a gather layer states: `Ỹ(ρ)`, then one table value per index.
#[must_use]
pub fn eval_count(spec: &ChainSpec, l: &Layer) -> usize {
    1 + index_count(spec, l)
}

/// `ρ_r`, and per index `r` the table point `bits(row_r)‖ρ_c`.
fn points(
    spec: &ChainSpec,
    l: &Layer,
    t: Layout,
    idx: &[i32],
    rho: &[Fr],
) -> (Vec<Fr>, Vec<Vec<Fr>>) {
    let (rho_r, rho_c) = rho.split_at(row_vars(spec, l));
    let at = idx
        .iter()
        .map(|&v| {
            let mut p = row_point(v, t);
            p.extend_from_slice(rho_c);
            p
        })
        .collect();
    (rho_r.to_vec(), at)
}

/// The `Gather` layer kind (module docs).
pub(crate) struct Rule;

impl LayerRule for Rule {
    // Nothing besides the output; the trace's rows checked against the table.
    fn witness(&self, at: At<'_>, trace: &[Vec<i32>], w: &[Vec<i32>], check: bool) -> Tables {
        let At { spec, i, .. } = at;
        if check {
            let (l, table, _) = parts(spec, i)?;
            let bad = || GkrError::Malformed("a gather's operands");
            let tab = w.get(table).ok_or_else(bad)?;
            let idx = trace.get(spec.trace_index(l.input)).ok_or_else(bad)?;
            let y = trace.get(spec.trace_index(Src::Layer(i))).ok_or_else(bad)?;
            check_trace(spec, i, tab, idx, y)?;
        }
        Ok(vec![])
    }

    fn shape(&self, at: At<'_>) -> Shape {
        Shape::new(eval_count(at.spec, at.l), 0, 0, 0)
    }

    fn prove<'m>(&self, at: At<'_>, get: Get<'_, 'm>, t: &mut Transcript) -> Proved {
        let At { spec, i, .. } = at;
        let (l, table, tl) = parts(spec, i)?;
        let input = indices(at, l)?;
        if input.len() != index_count(spec, l) {
            return Err(GkrError::Malformed("a gather's indices"));
        }
        let rho = t.challenges(l.out.vars());
        let y = out_poly(spec, i);
        let mut opens = vec![(y, rho.clone())];
        opens.extend(
            points(spec, l, tl, input, &rho)
                .1
                .into_iter()
                .map(|p| (Poly::Weight(table), p)),
        );
        let opens: Vec<_> = opens.iter().map(|(p, x)| (*p, x)).collect();
        let (evals, left) = open_all(get, &opens)?;
        t.absorb_frs(&evals);
        let empty = SumcheckProof {
            rounds: vec![],
            final_evals: vec![],
        };
        Ok((LayerProof::one(evals, empty), left))
    }

    // Against the public indices.
    fn verify(&self, at: At<'_>, lp: &LayerProof, _public: &Mles, t: &mut Transcript) -> Checked {
        let At { spec, i, .. } = at;
        let (l, table, tl) = parts(spec, i)?;
        let idx = indices(at, l)?;
        if lp.evals.len() != eval_count(spec, l)
            || idx.len() != index_count(spec, l)
            || !lp.sumcheck.rounds.is_empty()
            || !lp.sumcheck.final_evals.is_empty()
        {
            return Err(GkrError::Malformed(
                "a gather states Ỹ(ρ) and one value per index",
            ));
        }
        let rho = t.challenges(l.out.vars());
        t.absorb_frs(&lp.evals);
        let (rho_r, at) = points(spec, l, tl, idx, &rho);
        let y_v = lp.evals[0];
        let mut left = vec![(out_poly(spec, i), rho, y_v)];
        let mut sum = Fr::zero();
        for (r, (p, &v)) in at.into_iter().zip(&lp.evals[1..]).enumerate() {
            sum += eq_eval(&rho_r, &index_point(r, rho_r.len()))? * v;
            left.push((Poly::Weight(table), p, v));
        }
        if sum != y_v {
            return Err(GkrError::Rejected("a gather's rows"));
        }
        Ok(left)
    }

    // A hidden output shifted by `2^(bits−1)`.
    fn columns(&self, at: At<'_>, g: &mut Groups) {
        let At { spec, i, l, .. } = at;
        hidden_output_column(spec, i, l, g);
    }

    fn claim_vars(&self, at: At<'_>) -> Vec<usize> {
        let At { spec, i, l, .. } = at;
        let Ok((_, _, t)) = parts(spec, i) else {
            return vec![];
        };
        let mut vars = vec![];
        if !out_poly(spec, i).is_public() {
            vars.push(l.out.vars());
        }
        vars.extend(std::iter::repeat_n(t.vars(), index_count(spec, l)));
        vars
    }

    // No sumcheck: the table is evaluated once per index in the opening.
    fn cost(&self, _at: At<'_>) -> (&'static str, usize, usize) {
        ("Gather", 0, 0)
    }
}

/// `r` as a point of `vars` bits, most significant first.
fn index_point(r: usize, vars: usize) -> Vec<Fr> {
    (0..vars)
        .rev()
        .map(|k| {
            if (r >> k) & 1 == 1 {
                Fr::one()
            } else {
                Fr::zero()
            }
        })
        .collect()
}

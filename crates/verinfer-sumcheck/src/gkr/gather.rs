//! A `Gather` layer by the public input: `Y[r, ·] = T[row(idx[r]), ·]` for a committed table
//! `T` (`[V, d]`, a weight) and the graph input `idx` (`n` indices; `row` is the IR's
//! `resolve`: negatives count from the end, the rest clamp into `[0, V)`) — an LLM step's
//! embedding row of its token.
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
/// A reason naming what is missing: an axis other than 0, indices that are not the graph
/// input, a table that is not a rank-2 parameter, more than [`MAX_INDICES`] indices.
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
    if v.index() != 0 || node.inputs.len() != 2 {
        return Err(
            "only indices that are the graph input (a run-time index inside the proof is \
                    not proven yet)"
                .into(),
        );
    }
    let table = g
        .params
        .get(p.index())
        .ok_or("its table is not a parameter")?;
    let &[rows, cols] = table.info.shape.dims() else {
        return Err("only a rank-2 table".into());
    };
    let n = spec.input.len();
    if ga.axis != 0 || rows == 0 || n > MAX_INDICES || spec.input.rows != 1 {
        return Err(format!(
            "only rows of a table (axis 0) by at most {MAX_INDICES} indices in one row"
        ));
    }
    if node.out.shape.dims().iter().product::<usize>() != n * cols
        || table.info.bits.get() > node.out.bits.get()
    {
        return Err("an output that is not the gathered rows at the table's bits".into());
    }
    let w = spec.push_weight(p.index(), Layout { rows, cols }, None);
    spec.layers.push(Layer {
        kind: LayerKind::Gather { table: w },
        input: Src::Input,
        out: Layout { rows: n, cols },
        bits: node.out.bits,
        internal: false,
    });
    Ok(())
}

/// Whether a decoded layer is one [`gather_layer`] makes: the graph input's indices in one
/// row, the table's rows of the output's width.
#[must_use]
pub fn fits(spec: &ChainSpec, l: &Layer) -> bool {
    let LayerKind::Gather { table } = l.kind else {
        return false;
    };
    spec.weights
        .get(table)
        .is_some_and(|w| w.layout.cols == l.out.cols && w.layout.rows > 0 && w.arrange.is_none())
        && l.input == Src::Input
        && spec.input.rows == 1
        && spec.input.cols == l.out.rows
        && l.out.rows <= MAX_INDICES
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
    if y.len() != l.out.len() || idx.len() != l.out.rows || table.len() != t.len() {
        return Err(GkrError::Malformed("a gather's operands"));
    }
    for (index, &got) in y.iter().enumerate() {
        let (r, c) = (index / l.out.cols, index % l.out.cols);
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
pub fn eval_count(l: &Layer) -> usize {
    1 + l.out.rows
}

/// `ρ_r`, and per index `r` the table point `bits(row_r)‖ρ_c`.
fn points(l: &Layer, t: Layout, idx: &[i32], rho: &[Fr]) -> (Vec<Fr>, Vec<Vec<Fr>>) {
    let (rho_r, rho_c) = rho.split_at(l.out.log_dims().0);
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
            let idx = trace
                .get(super::prove::src_index(l.input))
                .ok_or_else(bad)?;
            check_trace(spec, i, tab, idx, trace.get(i + 1).ok_or_else(bad)?)?;
        }
        Ok(vec![])
    }

    fn shape(&self, at: At<'_>) -> Shape {
        Shape::new(eval_count(at.l), 0, 0, 0)
    }

    fn prove<'m>(&self, at: At<'_>, get: Get<'_, 'm>, t: &mut Transcript) -> Proved {
        let At { spec, i, input, .. } = at;
        let (l, table, tl) = parts(spec, i)?;
        if input.len() != l.out.rows {
            return Err(GkrError::Malformed("a gather's indices"));
        }
        let rho = t.challenges(l.out.vars());
        let y = out_poly(spec, i);
        let mut opens = vec![(y, rho.clone())];
        opens.extend(
            points(l, tl, input, &rho)
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
        let At { spec, i, input, .. } = at;
        let (l, table, tl) = parts(spec, i)?;
        let idx = input;
        if lp.evals.len() != eval_count(l)
            || idx.len() != l.out.rows
            || !lp.sumcheck.rounds.is_empty()
            || !lp.sumcheck.final_evals.is_empty()
        {
            return Err(GkrError::Malformed(
                "a gather states Ỹ(ρ) and one value per index",
            ));
        }
        let rho = t.challenges(l.out.vars());
        t.absorb_frs(&lp.evals);
        let (rho_r, at) = points(l, tl, idx, &rho);
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
        vars.extend(std::iter::repeat_n(t.vars(), l.out.rows));
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

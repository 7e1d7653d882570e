//! A `Contract` of two activations — attention's `Q·Kᵀ` and `P·V` per head — as a batched
//! matrix product whose operands are both claims on earlier layers (nothing committed at
//! setup): [`LayerKind::Product`],
//! `Y[b, i, j] = requant(Σ_k A[b, i, k]·B[b, k, j])`.
//!
//! **Layouts.** `A` is `[batch·m, k]` (rows `b·m + i`), `B` is `[batch·k, n]` (rows
//! `b·k + l`), `Y` is `[batch·m, n]`, with `m` and `k` powers of two, so a padded row index is
//! the bits of `b` followed by those of `i` (or `l`) and a point on `Y` splits as
//! `ρ = ρ_b‖ρ_i‖ρ_j`. [`contract2_layers`] brings any affine `Contract` of two activations
//! into this form with the moves the proof already has: a gather of `A` (the output axes
//! only `x` reads, padded to a power of two with zero rows, by the reduction), a gather of
//! `B` (the reduction, padded with zero rows, by the axes only `w` reads), the product, and
//! a move to the node's output order — each left out when it is the identity (the bundled
//! block's heads need none).
//!
//! **Protocol.** The epilogue is the matrix product's: `ρ = challenges(vars(Y))`, the prover
//! states `Ỹ(ρ)` (if hidden) and `R̃em(ρ)` (if `s > 0`), so the verifier knows
//! `L = 2^s·Ỹ(ρ) + R̃em(ρ) − 2^(s−1) = mult·Ãcc(ρ)`. Since
//! `Ãcc(ρ) = Σ_{b, l} eq(ρ_b, b)·Ã(b, ρ_i, l)·B̃(b, l, ρ_j)`, the degree-3 sumcheck over the
//! `(b, l)` variables of `mult·E·A_ρ·B_ρ` (`E = eq(ρ_b, ·)`, `A_ρ = Ã(·, ρ_i, ·)`,
//! `B_ρ = B̃(·, ·, ρ_j)`, tables built in `O(|A| + |B|)`) reduces it to `Ã(σ_b‖ρ_i‖σ_l)` and
//! `B̃(σ_b‖σ_l‖ρ_j)`; the verifier checks the first final value is `eq(ρ_b, σ_b)`.
//!
//! **Soundness.** The relation at `ρ` holds for a false `Y` or `Rem` with probability
//! `vars(Y)/r`, the sumcheck adds `3·(vars(batch) + log k)/r`. Padding cannot leak into a
//! real entry: the reduction has no padding (`A`'s columns and `B`'s rows are exactly `k`,
//! the gathers pin the rows they add to 0), and a padded batch row of `A` or column of `B`
//! only reaches `Y`'s padding. With `Rem` and a hidden `Y` range-checked the integer
//! relation (every term below `2^237`) fixes `Y = round_shift(mult·acc, s)` as for the
//! other epilogues.

use ark_bn254::Fr;
use ark_ff::Zero;
use verinfer_ir::shape::{numel, unravel_into};
use verinfer_ir::{AffineMap, Contract, Node, TensorInfo};

use crate::logup::MAX_RANGE_BITS;
use crate::mle::{eq_eval, eq_table, DenseMle};
use crate::sumcheck::{self, Term, Terms};
use crate::transcript::Transcript;

use super::columns::{out_poly, rescaled_columns, src_poly, Poly};
use super::kind::{
    open_rescaled, rescaled_sum, At, Checked, Get, Groups, LayerRule, Mles, Proved, Shape, Tables,
};
use super::lower::{identity, index, place, ravel, MAX_LOWERED};
use super::spec::{ChainSpec, Layer, LayerKind, Layout, Src};
use super::{fr, GkrError, LayerProof};

/// The shape of a product layer, from its layouts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dims {
    /// Batch (heads).
    pub batch: usize,
    /// Rows per batch (a power of two).
    pub m: usize,
    /// The reduction (a power of two).
    pub k: usize,
    /// Columns.
    pub n: usize,
}

impl Dims {
    /// `(batch, i, l, j)` variables.
    #[must_use]
    pub fn vars(&self) -> (usize, usize, usize, usize) {
        let lg = |v: usize| v.next_power_of_two().trailing_zeros() as usize;
        (lg(self.batch), lg(self.m), lg(self.k), lg(self.n))
    }

    /// The sumcheck's variables (`(b, l)`).
    #[must_use]
    pub fn rounds(&self) -> usize {
        let (b, _, l, _) = self.vars();
        b + l
    }
}

/// The dims of product layer `l` (`None` if it is not one or its layouts do not fit: what
/// the spec check refuses).
#[must_use]
pub fn dims(spec: &ChainSpec, l: &Layer) -> Option<Dims> {
    let LayerKind::Product { b, batch, .. } = l.kind else {
        return None;
    };
    let (a, bl) = (spec.src_layout(l.input), spec.src_layout(b));
    let d = Dims {
        batch,
        m: a.rows.checked_div(batch)?,
        k: a.cols,
        n: bl.cols,
    };
    let ok = batch > 0
        && d.m * batch == a.rows
        && d.m.is_power_of_two()
        && d.k.is_power_of_two()
        && bl.rows == batch.checked_mul(d.k)?
        && l.out
            == (Layout {
                rows: a.rows,
                cols: d.n,
            })
        && d.rounds() > 0;
    ok.then_some(d)
}

/// Whether product layer `l` is well formed (the spec check): shapes, epilogue, `b` earlier.
#[must_use]
pub fn fits(spec: &ChainSpec, idx: usize, l: &Layer) -> bool {
    let LayerKind::Product { b, mult, shift, .. } = l.kind else {
        return false;
    };
    let earlier = match b {
        Src::Input(k) => k < spec.inputs.len(),
        Src::Layer(j) => j < idx,
    };
    earlier && dims(spec, l).is_some() && mult > 0 && shift <= MAX_RANGE_BITS
}

/// How a `Contract` of two activations lowers (module docs); a map is `None` when it is the
/// identity.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan2 {
    /// The product's shape.
    pub dims: Dims,
    /// `A` `[batch·m, k]` from `x` (−1: 0).
    pub a: Option<Vec<i32>>,
    /// `B` `[batch·k, n]` from `w` (−1: 0).
    pub b: Option<Vec<i32>>,
    /// The output from `Y'` `[batch·m, n]`.
    pub out: Option<Vec<i32>>,
}

fn depends(map: &AffineMap, axis: usize) -> bool {
    map.rows
        .iter()
        .any(|r| r.out.get(axis).is_some_and(|&c| c != 0))
}

/// The plan of `c` (no bias) over operands of dims `xd`, `wd` and an output `od`: output
/// axes both maps read are the batch, those only `w` reads the columns, the rest the rows.
///
/// # Errors
/// What does not fit: an empty axis, a lowered tensor past [`MAX_LOWERED`], an outer
/// product (no batch and one reduction term).
pub fn plan2(c: &Contract, xd: &[usize], wd: &[usize], od: &[usize]) -> Result<Plan2, String> {
    let no = c.out_iter.len();
    if c.out_iter.contains(&0) || c.red.contains(&0) || numel(&c.out_iter) != numel(od) {
        return Err("an empty axis, or an output count other than the iteration's".into());
    }
    let (xr, wr) = (|a| depends(&c.x_map, a), |a| depends(&c.w_map, a));
    let bt: Vec<usize> = (0..no).filter(|&a| xr(a) && wr(a)).collect();
    let nt: Vec<usize> = (0..no).filter(|&a| wr(a) && !xr(a)).collect();
    let mt: Vec<usize> = (0..no).filter(|&a| !wr(a)).collect();
    let dims = |axes: &[usize]| axes.iter().map(|&a| c.out_iter[a]).collect::<Vec<_>>();
    let (bd, md, nd) = (dims(&bt), dims(&mt), dims(&nt));
    let (batch, m, n, k) = (numel(&bd), numel(&md), numel(&nd), numel(&c.red));
    let (mp, kp) = (m.next_power_of_two(), k.next_power_of_two());
    let d = Dims {
        batch,
        m: mp,
        k: kp,
        n,
    };
    if d.rounds() == 0 {
        return Err("an outer product (one batch, one reduction term) has no sumcheck".into());
    }
    let too_big = || format!("a lowered tensor past {MAX_LOWERED} elements");
    for (a, b) in [(mp, kp), (kp, n), (mp, n)] {
        let e = a.checked_mul(b).and_then(|e| e.checked_mul(batch));
        if e.is_none_or(|e| e > MAX_LOWERED) {
            return Err(too_big());
        }
    }
    let mut o = vec![0usize; no];
    let mut r = vec![0usize; c.red.len()];
    let mut tmp = vec![0usize; no];
    let mut a = Vec::with_capacity(batch * mp * kp);
    for bi in 0..batch {
        place(&mut o, &bt, &bd, bi, &mut tmp);
        for i in 0..mp {
            if i < m {
                place(&mut o, &mt, &md, i, &mut tmp);
            }
            for l in 0..kp {
                if i < m && l < k {
                    unravel_into(l, &c.red, &mut r);
                    a.push(index(c.x_map.locate(&o, &r, xd))?);
                } else {
                    a.push(-1);
                }
            }
        }
    }
    o.fill(0);
    let mut b = Vec::with_capacity(batch * kp * n);
    for bi in 0..batch {
        place(&mut o, &bt, &bd, bi, &mut tmp);
        for l in 0..kp {
            if l < k {
                unravel_into(l, &c.red, &mut r);
            }
            for j in 0..n {
                if l < k {
                    place(&mut o, &nt, &nd, j, &mut tmp);
                    b.push(index(c.w_map.locate(&o, &r, wd))?);
                } else {
                    b.push(-1);
                }
            }
        }
    }
    let mut out = Vec::with_capacity(numel(od));
    for e in 0..numel(od) {
        unravel_into(e, &c.out_iter, &mut o);
        let row = ravel(&o, &bt, &bd) * mp + ravel(&o, &mt, &md);
        out.push(index(Some(row * n + ravel(&o, &nt, &nd)))?);
    }
    let same = |dims: &[usize], rows, cols, map: &[i32]| {
        Layout::of(dims) == Layout { rows, cols } && identity(map)
    };
    Ok(Plan2 {
        dims: d,
        a: (!same(xd, batch * mp, kp, &a)).then_some(a),
        b: (!same(wd, batch * kp, n, &b)).then_some(b),
        out: (!same(od, batch * mp, n, &out)).then_some(out),
    })
}

/// Push the layers of `Contract` node `i` of two activations (`x` from `a`, `w` from `b`).
///
/// # Errors
/// [`GkrError::Unsupported`] naming what the lowering does not cover.
pub(super) fn contract2_layers(
    spec: &mut ChainSpec,
    i: usize,
    node: &Node,
    c: &Contract,
    a: (Src, &TensorInfo),
    b: (Src, &TensorInfo),
) -> Result<(), GkrError> {
    let refuse = |why: String| GkrError::Unsupported {
        node: Some(i),
        reason: format!("node {i} ({}, {}): {why}", node.name, node.op.name()),
    };
    if c.bias_map.is_some() || node.inputs.len() != 2 {
        return Err(refuse(
            "a contraction of two activations with a bias or a third operand".into(),
        ));
    }
    let rq = &c.requant;
    if rq.mult <= 0 || rq.shift > MAX_RANGE_BITS || rq.bits != node.out.bits {
        return Err(refuse(
            "an epilogue with a non-positive multiplier, a shift above the range check or other \
             bits"
                .into(),
        ));
    }
    let p = plan2(c, a.1.shape.dims(), b.1.shape.dims(), node.out.shape.dims()).map_err(refuse)?;
    let d = p.dims;
    let gather = |spec: &mut ChainSpec, (src, info): (Src, &TensorInfo), map, out| {
        let Some(map) = map else {
            return src;
        };
        spec.push_map(map, None);
        spec.layers.push(Layer {
            kind: LayerKind::Move {
                map: spec.maps.len() - 1,
                fill: 0,
            },
            input: src,
            out,
            bits: info.bits,
            internal: true,
        });
        Src::Layer(spec.layers.len() - 1)
    };
    let sa = gather(
        spec,
        a,
        p.a,
        Layout {
            rows: d.batch * d.m,
            cols: d.k,
        },
    );
    let sb = gather(
        spec,
        b,
        p.b,
        Layout {
            rows: d.batch * d.k,
            cols: d.n,
        },
    );
    spec.layers.push(Layer {
        kind: LayerKind::Product {
            b: sb,
            batch: d.batch,
            mult: rq.mult,
            shift: rq.shift,
        },
        input: sa,
        out: Layout {
            rows: d.batch * d.m,
            cols: d.n,
        },
        bits: node.out.bits,
        internal: p.out.is_some(),
    });
    if let Some(map) = p.out {
        spec.push_map(map, None);
        spec.layers.push(Layer {
            kind: LayerKind::Move {
                map: spec.maps.len() - 1,
                fill: 0,
            },
            input: Src::Layer(spec.layers.len() - 1),
            out: Layout::of(node.out.shape.dims()),
            bits: node.out.bits,
            internal: false,
        });
    }
    Ok(())
}

/// The accumulators `Σ_l A[b, i, l]·B[b, l, j]` of product layer `l` (row-major over `Y`).
fn accumulators(d: Dims, a: &[i32], b: &[i32]) -> Result<Vec<i128>, GkrError> {
    let rows = d.batch * d.m;
    if a.len() != rows * d.k || b.len() != d.batch * d.k * d.n {
        return Err(GkrError::Malformed("a product's operands"));
    }
    let mut acc = vec![0i128; rows * d.n];
    for r in 0..rows {
        let bi = r / d.m;
        let out = &mut acc[r * d.n..(r + 1) * d.n];
        for (l, &av) in a[r * d.k..(r + 1) * d.k].iter().enumerate() {
            if av == 0 {
                continue;
            }
            let brow = &b[(bi * d.k + l) * d.n..(bi * d.k + l + 1) * d.n];
            for (o, &bv) in out.iter_mut().zip(brow) {
                *o += i128::from(av) * i128::from(bv);
            }
        }
    }
    Ok(acc)
}

/// A product layer's epilogue and operand values.
struct Operands<'t> {
    mult: i64,
    shift: u32,
    a: &'t [i32],
    b: &'t [i32],
}

fn operands<'t>(
    spec: &ChainSpec,
    l: &Layer,
    trace: &'t [Vec<i32>],
) -> Result<Operands<'t>, GkrError> {
    let LayerKind::Product { b, mult, shift, .. } = l.kind else {
        return Err(GkrError::Malformed("not a product layer"));
    };
    let read = |s: Src| {
        trace
            .get(spec.trace_index(s))
            .map(Vec::as_slice)
            .ok_or(GkrError::Malformed("a layer reads a missing tensor"))
    };
    Ok(Operands {
        mult,
        shift,
        a: read(l.input)?,
        b: read(b)?,
    })
}

/// Product layer `l`'s output by the IR's semantics (clamped), for a lowering's internal
/// product ([`super::lower::layer_trace`]).
///
/// # Errors
/// [`GkrError::Malformed`] for a layer or trace that does not fit.
pub fn values(spec: &ChainSpec, l: &Layer, trace: &[Vec<i32>]) -> Result<Vec<i32>, GkrError> {
    let d = dims(spec, l).ok_or(GkrError::Malformed("a product's shapes"))?;
    let Operands { mult, shift, a, b } = operands(spec, l, trace)?;
    Ok(accumulators(d, a, b)?
        .into_iter()
        .map(|acc| {
            l.bits
                .clamp(verinfer_ir::round_shift(acc * i128::from(mult), shift))
        })
        .collect())
}

/// Layer `i`'s remainder table (`None` without a shift), checking the trace's output against
/// `round_shift(mult·acc, s)` when `check` (unchecked: the remainder the trace's `Y` implies).
///
/// # Errors
/// [`GkrError::TraceMismatch`] / [`GkrError::Clamped`] at the first element that differs.
pub(crate) fn witness(
    spec: &ChainSpec,
    i: usize,
    trace: &[Vec<i32>],
    check: bool,
) -> Result<Option<DenseMle>, GkrError> {
    let l = spec.layer(i)?;
    let d = dims(spec, l).ok_or(GkrError::Malformed("a product's shapes"))?;
    let Operands {
        mult,
        shift: s,
        a,
        b,
    } = operands(spec, l, trace)?;
    let y = trace
        .get(spec.trace_index(Src::Layer(i)))
        .ok_or(GkrError::Malformed("a layer's output"))?;
    let accs = accumulators(d, a, b)?;
    if accs.len() != y.len() {
        return Err(GkrError::Malformed("a layer's output size"));
    }
    super::arith::remainders(i, l, accs.into_iter(), y, mult, s, check)
}

/// `Σ_x mult·E(x)·A_ρ(x)·B_ρ(x)`.
fn terms(num_vars: usize, mult: i64) -> Result<Terms, GkrError> {
    Ok(Terms::new(
        num_vars,
        3,
        vec![Term {
            coeff: fr(mult),
            factors: vec![0, 1, 2],
        }],
    )?)
}

/// `(ρ_b, ρ_i, ρ_j)`.
fn split(d: Dims, rho: &[Fr]) -> (&[Fr], &[Fr], &[Fr]) {
    let (bv, iv, _, _) = d.vars();
    let (rb, rest) = rho.split_at(bv.min(rho.len()));
    let (ri, rj) = rest.split_at(iv.min(rest.len()));
    (rb, ri, rj)
}

/// The points of the claims on `A` and `B` at the sumcheck's point `σ = σ_b‖σ_l`.
fn operand_points(d: Dims, rho: &[Fr], sigma: &[Fr]) -> (Vec<Fr>, Vec<Fr>) {
    let (bv, ..) = d.vars();
    let (_, ri, rj) = split(d, rho);
    let (sb, sl) = sigma.split_at(bv.min(sigma.len()));
    ([sb, ri, sl].concat(), [sb, sl, rj].concat())
}

/// The sumcheck's tables `[E, A_ρ, B_ρ]` over `(b, l)`.
fn tables(d: Dims, rho: &[Fr], a: &[Fr], b: &[Fr]) -> Result<Vec<DenseMle>, GkrError> {
    let (bv, iv, lv, jv) = d.vars();
    let (rb, ri, rj) = split(d, rho);
    let (eb, ei, ej) = (eq_table(rb), eq_table(ri), eq_table(rj));
    let size = 1usize << (bv + lv);
    if a.len() != 1 << (bv + iv + lv) || b.len() != 1 << (bv + lv + jv) {
        return Err(GkrError::Malformed("a product's operand tables"));
    }
    let mut e = vec![Fr::zero(); size];
    let mut at = vec![Fr::zero(); size];
    let mut bt = vec![Fr::zero(); size];
    for bi in 0..1usize << bv {
        for l in 0..1usize << lv {
            let x = (bi << lv) | l;
            e[x] = eb[bi];
            let mut s = Fr::zero();
            for (i, w) in ei.iter().enumerate() {
                s += *w * a[(((bi << iv) | i) << lv) | l];
            }
            at[x] = s;
            let row = &b[x << jv..(x + 1) << jv];
            bt[x] = row.iter().zip(&ej).map(|(v, w)| *v * w).sum();
        }
    }
    Ok(vec![
        DenseMle::new(e)?,
        DenseMle::new(at)?,
        DenseMle::new(bt)?,
    ])
}

/// The batched product layer kind (module docs).
pub(crate) struct Rule;

impl LayerRule for Rule {
    fn witness(&self, at: At<'_>, trace: &[Vec<i32>], _w: &[Vec<i32>], check: bool) -> Tables {
        let At { spec, i, .. } = at;
        let rem = witness(spec, i, trace, check)?;
        Ok(rem.map(|r| (Poly::Rem(i), r)).into_iter().collect())
    }

    fn shape(&self, at: At<'_>) -> Shape {
        let At { spec, i, l, .. } = at;
        let s = match l.kind {
            LayerKind::Product { shift, .. } => shift,
            _ => 0,
        };
        Shape {
            evals: usize::from(!out_poly(spec, i).is_public()) + usize::from(s > 0),
            rounds: dims(spec, l).map_or(0, |d| d.rounds()),
            degree: 3,
            finals: 3,
        }
    }

    fn prove<'m>(&self, at: At<'_>, get: Get<'_, 'm>, t: &mut Transcript) -> Proved {
        let At { spec, i, l, .. } = at;
        let d = dims(spec, l).ok_or(GkrError::Malformed("a product's shapes"))?;
        let LayerKind::Product { b, mult, shift, .. } = l.kind else {
            return Err(GkrError::Malformed("not a product layer"));
        };
        let rho = t.challenges(l.out.vars());
        let (evals, mut left) = open_rescaled(spec, i, shift, &rho, get)?;
        t.absorb_frs(&evals);
        let (pa, pb) = (src_poly(spec, l.input), src_poly(spec, b));
        let polys = tables(d, &rho, get(pa)?.evals(), get(pb)?.evals())?;
        let proved = sumcheck::prove_terms(&terms(d.rounds(), mult)?, polys, t)?;
        let (at_a, at_b) = operand_points(d, &rho, &proved.reduced.point);
        left.push((pa, at_a));
        left.push((pb, at_b));
        Ok((LayerProof::one(evals, proved.proof), left))
    }

    fn verify(&self, at: At<'_>, lp: &LayerProof, public: &Mles, t: &mut Transcript) -> Checked {
        let At { spec, i, l, .. } = at;
        let d = dims(spec, l).ok_or(GkrError::Malformed("a product's shapes"))?;
        let LayerKind::Product { b, mult, shift, .. } = l.kind else {
            return Err(GkrError::Malformed("not a product layer"));
        };
        if lp.evals.len() != self.shape(at).evals {
            return Err(GkrError::Malformed("a product layer's evaluations"));
        }
        let rho = t.challenges(l.out.vars());
        let mut left = vec![];
        let lhs = rescaled_sum(
            spec,
            i,
            shift,
            &rho,
            &mut lp.evals.iter().copied(),
            public,
            &mut left,
        )?;
        t.absorb_frs(&lp.evals);
        let red = sumcheck::verify_terms(&terms(d.rounds(), mult)?, lhs, &lp.sumcheck, t)?;
        let [e_v, a_v, b_v] = red.evals[..] else {
            return Err(GkrError::Malformed("a product's final evaluations"));
        };
        let (bv, ..) = d.vars();
        let (rb, ..) = split(d, &rho);
        if e_v != eq_eval(rb, &red.point[..bv.min(red.point.len())])? {
            return Err(GkrError::Rejected("a product's batch eq value"));
        }
        let (at_a, at_b) = operand_points(d, &rho, &red.point);
        left.push((src_poly(spec, l.input), at_a, a_v));
        left.push((src_poly(spec, b), at_b, b_v));
        Ok(left)
    }

    fn columns(&self, at: At<'_>, g: &mut Groups) {
        rescaled_columns(at, g);
    }

    fn claim_vars(&self, at: At<'_>) -> Vec<usize> {
        let At { spec, i, l, .. } = at;
        let LayerKind::Product { b, shift, .. } = l.kind else {
            return vec![];
        };
        let own = usize::from(!out_poly(spec, i).is_public()) + usize::from(shift > 0);
        let mut vars = vec![l.out.vars(); own];
        for s in [l.input, b] {
            if !src_poly(spec, s).is_public() {
                vars.push(spec.src_layout(s).vars());
            }
        }
        vars
    }

    // The tables read A and B once; the sumcheck reads E, A_ρ, B_ρ.
    fn cost(&self, at: At<'_>) -> (&'static str, usize, usize) {
        let At { spec, l, .. } = at;
        let LayerKind::Product { b, .. } = l.kind else {
            return ("Contract: Product", 0, 0);
        };
        let reads = (1usize << spec.src_layout(l.input).vars())
            + (1usize << spec.src_layout(b).vars())
            + 3 * (1usize << dims(spec, l).map_or(0, |d| d.rounds()));
        ("Contract: Product", reads, 0)
    }
}

//! The prover of a model proof (protocol in the module docs of [`super`]).

use std::collections::BTreeMap;

use ark_bn254::Fr;
use ark_ff::{PrimeField, Zero};

use crate::evm::Word;
use crate::logup;
use crate::matmul::{self, FieldMatrix};
use crate::mle::{eq_table, DenseMle};
use crate::pcs::{self, CommitKey, Commitment};
use crate::sumcheck;
use crate::transcript::Transcript;

use super::columns::{
    column_point, committed, groups, mask_table, out_poly, src_poly, stack_offsets, stack_vars,
    Poly, LIMB_BITS,
};
use super::kind::At;
use super::spec::{ChainSpec, LayerKind, Layout, Src};
use super::verify::{absorb_header, check_bound, clip_terms};
use super::{fr, GkrError, LayerProof, ModelProof, RangeGroupProof};
use super::{lookup, movement, reduce_max};

/// A claim the prover will open: a tensor of the model or a logUp polynomial.
enum Target {
    Tensor(Poly),
    Owned(usize),
}

fn length(what: String, expected: usize, got: usize) -> Result<(), GkrError> {
    if expected == got {
        Ok(())
    } else {
        Err(GkrError::Length {
            what,
            expected,
            got,
        })
    }
}

fn tensor_mle(l: Layout, data: &[i32]) -> Result<DenseMle, GkrError> {
    Ok(FieldMatrix::from_i32(l.rows, l.cols, data)?.to_mle())
}

/// The remainders of a matrix product, checking the trace's output against the semantics
/// (`round_shift(mult·acc, s)`, unclamped).
fn matmul_rems(
    i: usize,
    node: &crate::contract::MatmulNode,
    x: &[i32],
    w: &[i32],
    bias: Option<&[i32]>,
    y: &[i32],
    check: bool,
) -> Result<Vec<i128>, GkrError> {
    let (m, k, n) = node.dims();
    let rq = node.requant();
    let half = if rq.shift == 0 {
        0
    } else {
        1i128 << (rq.shift - 1)
    };
    let mut rems = Vec::with_capacity(m * n);
    for r in 0..m {
        for c in 0..n {
            let mut acc: i128 = (0..k)
                .map(|l| i128::from(x[r * k + l]) * i128::from(w[l * n + c]))
                .sum();
            if let (Some(b), Some(t)) = (bias, node.bias_shift()) {
                acc += i128::from(b[c]) << t;
            }
            let v = acc * i128::from(rq.mult) + half;
            let q = v >> rq.shift;
            let got = i64::from(y[r * n + c]);
            if check && q != i128::from(got) {
                let index = r * n + c;
                if i128::from(rq.bits.clamp(q)) == i128::from(got) {
                    return Err(GkrError::Clamped {
                        node: i,
                        index,
                        bits: rq.bits.get(),
                    });
                }
                return Err(GkrError::TraceMismatch {
                    node: i,
                    index,
                    expected: q,
                    got,
                });
            }
            rems.push(v - (q << rq.shift));
        }
    }
    Ok(rems)
}

/// The high limbs of a column split in two: each entry's integer shifted right by
/// [`LIMB_BITS`] (an honest remainder or overshoot is a nonnegative integer below `2^32`;
/// anything else gives limbs the range check refuses).
fn high_limb(rem: &DenseMle) -> Result<DenseMle, GkrError> {
    let t = rem
        .evals()
        .iter()
        .map(|r| Fr::from(r.into_bigint().0[0] >> LIMB_BITS))
        .collect();
    Ok(DenseMle::new(t)?)
}

/// Prove `trace` (the input, then every graph node's output) of the model `spec` with weights
/// `weights` (committed as `weight_commitments`), bound to `statement`.
///
/// # Errors
/// [`GkrError::Length`] / [`GkrError::OutOfBound`] for data that does not fit,
/// [`GkrError::TraceMismatch`] / [`GkrError::Clamped`] for a trace with no honest proof (the
/// graph node named; the index is the layer's where a lowering step clamps),
/// [`GkrError::Pcs`] for a key too small.
pub fn prove_model(
    ck: &CommitKey,
    statement: Option<&Word>,
    spec: &ChainSpec,
    weights: &[Vec<i32>],
    weight_commitments: &[Commitment],
    trace: &[Vec<i32>],
) -> Result<ModelProof, GkrError> {
    let layers = super::lower::layer_trace(spec, weights, trace)?;
    prove_checked(
        ck,
        statement,
        spec,
        weights,
        weight_commitments,
        &layers,
        true,
    )
    .map_err(|e| match e {
        GkrError::TraceMismatch {
            node,
            index,
            expected,
            got,
        } => GkrError::TraceMismatch {
            node: spec.node_of(node),
            index,
            expected,
            got,
        },
        GkrError::Clamped { node, index, bits } => GkrError::Clamped {
            node: spec.node_of(node),
            index,
            bits,
        },
        GkrError::ClampOvershoot { node, index, bits } => GkrError::ClampOvershoot {
            node: spec.node_of(node),
            index,
            bits,
        },
        e => e,
    })
}

/// [`prove_model`] over the layers' trace ([`super::lower::layer_trace`]); with `check`
/// false the trace is not compared with the semantics (the tests play a cheating prover
/// with it).
pub(crate) fn prove_checked(
    ck: &CommitKey,
    statement: Option<&Word>,
    spec: &ChainSpec,
    weights: &[Vec<i32>],
    weight_commitments: &[Commitment],
    trace: &[Vec<i32>],
    check: bool,
) -> Result<ModelProof, GkrError> {
    prove_tampered(
        ck,
        statement,
        spec,
        weights,
        weight_commitments,
        trace,
        check,
        &|_| Ok(()),
    )
}

/// The witness polynomials, by the polynomial they are the table of.
pub(crate) type Witness = BTreeMap<Poly, DenseMle>;

/// [`prove_checked`] with `tamper` applied to the witness polynomials (the tests play a
/// prover that forges a remainder with it).
#[allow(clippy::too_many_lines, clippy::too_many_arguments)]
pub(crate) fn prove_tampered(
    ck: &CommitKey,
    statement: Option<&Word>,
    spec: &ChainSpec,
    weights: &[Vec<i32>],
    weight_commitments: &[Commitment],
    trace: &[Vec<i32>],
    check: bool,
    tamper: &dyn Fn(&mut Witness) -> Result<(), GkrError>,
) -> Result<ModelProof, GkrError> {
    let nl = spec.layers.len();
    let n_in = spec.inputs.len();
    length("trace tensors".into(), n_in + nl, trace.len())?;
    length("weights".into(), spec.weights.len(), weights.len())?;
    length(
        "weight commitments".into(),
        spec.weights.len(),
        weight_commitments.len(),
    )?;
    for (k, v) in spec.inputs.iter().enumerate() {
        length(format!("input {k}"), v.layout.len(), trace[k].len())?;
        check_bound("input", &trace[k], v.bits)?;
    }
    for (j, (w, ws)) in weights.iter().zip(&spec.weights).enumerate() {
        length(format!("weight {j}"), ws.layout.len(), w.len())?;
    }
    for (i, l) in spec.layers.iter().enumerate() {
        length(
            format!("node {i}'s output"),
            l.out.len(),
            trace[n_in + i].len(),
        )?;
    }
    for &o in &spec.outputs {
        check_bound("output", &trace[n_in + o], spec.layer(o)?.bits)?;
    }
    let inputs = &trace[..n_in];

    // Polynomials of every tensor, checking each layer's semantics.
    let mut mles: Witness = BTreeMap::new();
    for (k, v) in spec.inputs.iter().enumerate() {
        mles.insert(Poly::Input(k), tensor_mle(v.layout, &trace[k])?);
    }
    for (j, (w, ws)) in weights.iter().zip(&spec.weights).enumerate() {
        mles.insert(Poly::Weight(j), tensor_mle(ws.layout, w)?);
    }
    for (i, l) in spec.layers.iter().enumerate() {
        let x = &trace[spec.trace_index(l.input)];
        let y = &trace[n_in + i];
        match l.kind {
            LayerKind::Matmul { node, w, bias } => {
                let rems = matmul_rems(
                    i,
                    &node,
                    x,
                    &weights[w],
                    bias.map(|b| weights[b].as_slice()),
                    y,
                    check,
                )?;
                let s = node.requant().shift;
                if s > 0 {
                    let (_, b) = l.out.log_dims();
                    let half = fr(1i64 << (s - 1));
                    let mut t = vec![half; 1 << l.out.vars()];
                    for (e, r) in rems.iter().enumerate() {
                        t[((e / l.out.cols) << b) | (e % l.out.cols)] =
                            crate::field::fr_from_i128(*r);
                    }
                    mles.insert(Poly::Rem(i), DenseMle::new(t)?);
                }
            }
            LayerKind::Clip { min, constant } => {
                for (index, (&a, &b)) in x.iter().zip(y).enumerate() {
                    let e = if min {
                        i64::from(a).min(constant)
                    } else {
                        i64::from(a).max(constant)
                    };
                    if check && e != i64::from(b) {
                        return Err(GkrError::TraceMismatch {
                            node: i,
                            index,
                            expected: i128::from(e),
                            got: i64::from(b),
                        });
                    }
                }
            }
            LayerKind::Move { map, fill } => {
                let m = spec
                    .maps
                    .get(map)
                    .ok_or(GkrError::Malformed("a move's map"))?;
                if check {
                    movement::check_move(i, m, fill, x, y)?;
                }
            }
            LayerKind::ReduceMax => {
                let xl = spec.src_layout(l.input);
                let (b, s) = reduce_max::witness(i, xl, x, y, check)?;
                mles.insert(Poly::Bcast(i), DenseMle::new(b)?);
                mles.insert(Poly::Sel(i), DenseMle::new(s)?);
            }
            LayerKind::Lookup { table, lo } => {
                if check {
                    let tab = weights
                        .get(table)
                        .ok_or(GkrError::Malformed("a lookup's table"))?;
                    lookup::check_trace(i, lo, tab, x, y)?;
                }
            }
            _ => {
                if let Some(r) = super::kind::rule(&l.kind) {
                    mles.extend(r.witness(At::new(spec, i, l, inputs), trace, weights, check)?);
                }
            }
        }
        mles.insert(out_poly(spec, i), tensor_mle(l.out, y)?);
        if i + 1 < nl && super::columns::split_out(l.bits.get()) {
            mles.insert(Poly::OutHi(i), super::columns::out_hi(l, y)?);
        }
    }
    // The high limb of every column split in two (a wide remainder, a clamp's overshoots)
    // from its committed low column.
    for p in committed(spec) {
        let low = match p {
            Poly::RemHi(i) => Poly::Rem(i),
            Poly::OverHi(i) => Poly::Over(i),
            Poly::UnderHi(i) => Poly::Under(i),
            _ => continue,
        };
        let v = mles
            .get(&low)
            .ok_or(GkrError::Malformed("a split column is missing"))?;
        let hi = high_limb(v)?;
        mles.insert(p, hi);
    }
    tamper(&mut mles)?;
    let get = |p: Poly| {
        mles.get(&p)
            .ok_or(GkrError::Malformed("a polynomial is missing"))
    };

    let committed_polys = committed(spec);
    let phase = crate::pcs::profile::phase("gkr: commit tensors");
    let commitments: Vec<Commitment> = committed_polys
        .iter()
        .map(|p| Ok(pcs::commit(ck, get(*p)?)?))
        .collect::<Result<_, GkrError>>()?;
    let mut t = Transcript::new(super::LABEL);
    let (px, py) = public_concat(spec, trace)?;
    absorb_header(
        &mut t,
        statement,
        spec,
        &px,
        &py,
        weight_commitments,
        &commitments,
    );

    drop(phase);
    let phase = crate::pcs::profile::phase("gkr: layers");
    let mut claims: Vec<(Target, Vec<Fr>)> = vec![];
    let hidden = |p: Poly| !p.is_public();
    let mut layer_proofs = Vec::with_capacity(nl);
    for (i, l) in spec.layers.iter().enumerate().rev() {
        let y = out_poly(spec, i);
        let x = src_poly(spec, l.input);
        match l.kind {
            LayerKind::Matmul { node, w, bias } => {
                let (a, _) = l.out.log_dims();
                let rho = t.challenges(l.out.vars());
                let mut evals = vec![];
                let mut open =
                    |p: Poly, point: &[Fr], evals: &mut Vec<Fr>| -> Result<(), GkrError> {
                        evals.push(get(p)?.evaluate(point)?);
                        claims.push((Target::Tensor(p), point.to_vec()));
                        Ok(())
                    };
                if hidden(y) {
                    open(y, &rho, &mut evals)?;
                }
                if node.requant().shift > 0 {
                    open(Poly::Rem(i), &rho, &mut evals)?;
                }
                if let Some(b) = bias {
                    open(Poly::Weight(b), &rho[a..], &mut evals)?;
                }
                t.absorb_frs(&evals);
                let (m, k, n) = node.dims();
                let xm = FieldMatrix::from_i32(m, k, &trace[spec.trace_index(l.input)])?;
                let wm = FieldMatrix::from_i32(k, n, &weights[w])?;
                let proved = matmul::prove(&xm, &wm, &rho, &mut t)?;
                if hidden(x) {
                    claims.push((Target::Tensor(x), proved.claims.x_point));
                }
                claims.push((Target::Tensor(Poly::Weight(w)), proved.claims.w_point));
                layer_proofs.push(LayerProof {
                    evals,
                    sumcheck: proved.proof.sumcheck,
                    extra: vec![],
                });
            }
            LayerKind::Clip { constant, .. } => {
                let v = l.out.vars();
                let z = t.challenges(v);
                let polys = vec![
                    DenseMle::new(eq_table(&z))?,
                    get(y)?.clone(),
                    get(x)?.clone(),
                ];
                let proved = sumcheck::prove_terms(&clip_terms(v, constant)?, polys, &mut t)?;
                for p in [y, x] {
                    if hidden(p) {
                        claims.push((Target::Tensor(p), proved.reduced.point.clone()));
                    }
                }
                layer_proofs.push(LayerProof {
                    evals: vec![],
                    sumcheck: proved.proof,
                    extra: vec![],
                });
            }
            LayerKind::Move { map, .. } => {
                let rho = t.challenges(l.out.vars());
                let mut evals = vec![];
                if hidden(y) {
                    evals.push(get(y)?.evaluate(&rho)?);
                    claims.push((Target::Tensor(y), rho.clone()));
                }
                t.absorb_frs(&evals);
                let xl = spec.src_layout(l.input);
                let m = spec
                    .maps
                    .get(map)
                    .ok_or(GkrError::Malformed("a move's map"))?;
                let (wire, _) = movement::wiring(xl, l.out, m, &rho)?;
                let polys = vec![get(x)?.clone(), DenseMle::new(wire)?];
                let proved =
                    sumcheck::prove_terms(&movement::move_terms(xl.vars())?, polys, &mut t)?;
                if hidden(x) {
                    claims.push((Target::Tensor(x), proved.reduced.point.clone()));
                }
                layer_proofs.push(LayerProof {
                    evals,
                    sumcheck: proved.proof,
                    extra: vec![],
                });
            }
            LayerKind::ReduceMax => {
                let xl = spec.src_layout(l.input);
                let bp = Poly::Bcast(i);
                let rho = t.challenges(xl.vars());
                let evals = vec![get(bp)?.evaluate(&rho)?];
                claims.push((Target::Tensor(bp), rho.clone()));
                t.absorb_frs(&evals);
                let map = reduce_max::broadcast_map(xl);
                let (wire, _) = movement::wiring(l.out, xl, &map, &rho)?;
                let polys = vec![get(y)?.clone(), DenseMle::new(wire)?];
                let wired =
                    sumcheck::prove_terms(&movement::move_terms(l.out.vars())?, polys, &mut t)?;
                if hidden(y) {
                    claims.push((Target::Tensor(y), wired.reduced.point.clone()));
                }
                let z = t.challenges(xl.vars());
                let rho_y = t.challenges(l.out.vars());
                let lm = t.challenges(2);
                let polys = vec![
                    DenseMle::new(eq_table(&z))?,
                    get(Poly::Sel(i))?.clone(),
                    get(bp)?.clone(),
                    get(x)?.clone(),
                    DenseMle::new(reduce_max::row_table(xl, l.out, &rho_y))?,
                ];
                let terms = reduce_max::selector_terms(xl.vars(), lm[0], lm[1])?;
                let sel = sumcheck::prove_terms(&terms, polys, &mut t)?;
                for p in [Poly::Sel(i), bp, x] {
                    if hidden(p) {
                        claims.push((Target::Tensor(p), sel.reduced.point.clone()));
                    }
                }
                layer_proofs.push(LayerProof {
                    evals,
                    sumcheck: wired.proof,
                    extra: vec![sel.proof],
                });
            }
            // Proven by its own argument after the range groups.
            LayerKind::Lookup { .. } => layer_proofs.push(LayerProof {
                evals: vec![],
                sumcheck: sumcheck::SumcheckProof {
                    rounds: vec![],
                    final_evals: vec![],
                },
                extra: vec![],
            }),
            _ => {
                let r = super::kind::rule(&l.kind)
                    .ok_or(GkrError::Malformed("a layer kind without a rule"))?;
                let (proof, left) = r.prove(At::new(spec, i, l, inputs), &get, &mut t)?;
                for (p, point) in left {
                    if hidden(p) {
                        claims.push((Target::Tensor(p), point));
                    }
                }
                layer_proofs.push(proof);
            }
        }
    }

    drop(phase);
    let phase = crate::pcs::profile::phase("gkr: range groups and lookups");
    let mut owned: Vec<(DenseMle, Commitment)> = vec![];
    let mut ranges = vec![];
    for (bits, cols) in groups(spec) {
        let offsets = stack_offsets(&cols);
        let mut values = vec![Fr::zero(); 1 << stack_vars(&cols)];
        for (col, &base) in cols.iter().zip(&offsets) {
            let mask = mask_table(col.layout);
            let k = fr(col.constant);
            for (x, mk) in mask.iter().enumerate() {
                let mut v = k * mk;
                for (poly, coeff) in &col.terms {
                    v += fr(*coeff) * get(*poly)?.evals()[x];
                }
                values[base + x] = v;
            }
        }
        let (argument, wits, rc) =
            logup::prove_range_deferred(ck, bits, &DenseMle::new(values)?, &mut t)?;
        for wit in wits {
            claims.push((Target::Owned(owned.len()), wit.claim.point));
            owned.push((wit.poly, wit.claim.commitment));
        }
        let mut evals = vec![];
        for (col, &at) in cols.iter().zip(&offsets) {
            let (tail, _) = column_point(&rc.point, col.layout.vars(), at);
            for (poly, _) in &col.terms {
                if hidden(*poly) {
                    evals.push(get(*poly)?.evaluate(tail)?);
                    claims.push((Target::Tensor(*poly), tail.to_vec()));
                }
            }
        }
        t.absorb_frs(&evals);
        ranges.push(RangeGroupProof { argument, evals });
    }
    for (i, table, _) in lookup::lookup_layers_of(spec) {
        let l = &spec.layers[i];
        let polys = (
            get(src_poly(spec, l.input))?,
            get(out_poly(spec, i))?,
            get(Poly::Weight(table))?,
        );
        let xs = &trace[spec.trace_index(l.input)];
        let (argument, wits, tensors) = lookup::prove(ck, spec, i, polys, xs, &mut t)?;
        for wit in wits {
            claims.push((Target::Owned(owned.len()), wit.claim.point));
            owned.push((wit.poly, wit.claim.commitment));
        }
        for (p, point) in tensors {
            if hidden(p) {
                claims.push((Target::Tensor(p), point));
            }
        }
        ranges.push(RangeGroupProof {
            argument,
            evals: vec![],
        });
    }

    drop(phase);
    let commitment_of = |p: Poly| -> Result<Commitment, GkrError> {
        match p {
            Poly::Weight(j) => weight_commitments.get(j).copied(),
            _ => committed_polys
                .iter()
                .position(|q| *q == p)
                .map(|k| commitments[k]),
        }
        .ok_or(GkrError::Malformed("a claim on an uncommitted polynomial"))
    };
    let mut batch: Vec<(&DenseMle, Commitment, &[Fr])> = Vec::with_capacity(claims.len());
    for (target, point) in &claims {
        match target {
            Target::Tensor(p) => batch.push((get(*p)?, commitment_of(*p)?, point)),
            Target::Owned(k) => {
                let (poly, c) = &owned[*k];
                batch.push((poly, *c, point));
            }
        }
    }
    let refs: Vec<(&DenseMle, &Commitment, &[Fr])> =
        batch.iter().map(|(p, c, x)| (*p, c, *x)).collect();
    let (opening, _) = pcs::open_batch(ck, &refs, &mut t)?;
    Ok(ModelProof {
        commitments,
        layers: layer_proofs,
        ranges,
        opening,
    })
}

/// Every public input's values concatenated in graph order, and every public output's: what
/// the transcript absorbs and the backend's proof carries.
///
/// # Errors
/// [`GkrError::Malformed`] for a trace without the spec's tensors.
pub fn public_concat(
    spec: &ChainSpec,
    trace: &[Vec<i32>],
) -> Result<(Vec<i32>, Vec<i32>), GkrError> {
    let get = |s| {
        trace
            .get(spec.trace_index(s))
            .ok_or(GkrError::Malformed("a trace without a public tensor"))
    };
    let mut x = vec![];
    for k in 0..spec.inputs.len() {
        x.extend_from_slice(get(Src::Input(k))?);
    }
    let mut y = vec![];
    for &o in &spec.outputs {
        y.extend_from_slice(get(Src::Layer(o))?);
    }
    Ok((x, y))
}

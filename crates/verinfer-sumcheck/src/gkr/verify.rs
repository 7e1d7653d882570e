//! The verifier of a model proof (protocol in the module docs of [`super`]), and the pieces
//! the prover shares with it (the transcript header, the clip's zero-check statement).

use std::collections::BTreeMap;

use ark_bn254::Fr;
use ark_ff::{Field, One, Zero};

use crate::evm::Word;
use crate::logup;
use crate::matmul::{self, FieldMatrix, MatmulShape};
use crate::mle::{eq_eval, eq_table, DenseMle};
use crate::pcs::{self, Claim, Commitment, VerifierKey};
use crate::sumcheck::{self, Term, Terms};
use crate::transcript::{packed_i32_digest, Transcript};

use super::columns::{
    column_point, committed, groups, mask_eval, out_poly, src_poly, stack_offsets, stack_vars, Poly,
};
use super::spec::{ChainSpec, LayerKind};
use super::{fr, GkrError, ModelProof};
use super::{lookup, movement, reduce_max};

/// Step 1 of the protocol: everything the proof is about.
pub(crate) fn absorb_header(
    t: &mut Transcript,
    statement: Option<&Word>,
    spec: &ChainSpec,
    x: &[i32],
    y: &[i32],
    weights: &[Commitment],
    commitments: &[Commitment],
) {
    if let Some(s) = statement {
        t.absorb_word(s);
    }
    t.absorb_word(&spec.digest());
    t.absorb_word(&packed_i32_digest(x));
    t.absorb_word(&packed_i32_digest(y));
    for c in weights.iter().chain(commitments) {
        t.absorb_g1(&c.0);
    }
}

/// `Σ eq·(Y − X)·(Y − c)` over `[eq, Y, X]`: `eq·Y·Y − eq·Y·X − c·eq·Y + c·eq·X`.
pub(crate) fn clip_terms(num_vars: usize, c: i64) -> Result<Terms, GkrError> {
    let t = |coeff, factors: &[usize]| Term {
        coeff,
        factors: factors.to_vec(),
    };
    let c = fr(c);
    Ok(Terms::new(
        num_vars,
        3,
        vec![
            t(Fr::one(), &[0, 1, 1]),
            t(-Fr::one(), &[0, 1, 2]),
            t(-c, &[0, 1]),
            t(c, &[0, 2]),
        ],
    )?)
}

/// `data` within `bits`, or which element is not.
pub(super) fn check_bound(
    what: &'static str,
    data: &[i32],
    bits: verinfer_ir::Bits,
) -> Result<(), GkrError> {
    match data.iter().position(|&v| !bits.contains(i64::from(v))) {
        None => Ok(()),
        Some(index) => Err(GkrError::OutOfBound {
            what,
            index,
            value: data[index],
            bits: bits.get(),
        }),
    }
}

/// Claims the verifier collects: a committed polynomial at a point with a value.
struct Claims {
    list: Vec<(Commitment, Vec<Fr>, Fr)>,
}

/// Verify `proof` that the model `spec` (weights committed as `weight_commitments`) maps the
/// public inputs `x` to the public outputs `y`, bound to `statement` (`x`: every input's
/// values concatenated in graph order, `y` every output's, as
/// [`super::prove::public_concat`] gives them).
///
/// # Errors
/// [`GkrError::OutOfBound`] / [`GkrError::Length`] for public values that do not fit the
/// model, [`GkrError::Malformed`] for a proof of the wrong shape, and a rejection
/// ([`GkrError::is_rejection`]) for a false proof.
#[allow(clippy::too_many_lines)]
pub fn verify_model(
    vk: &VerifierKey,
    statement: Option<&Word>,
    spec: &ChainSpec,
    weight_commitments: &[Commitment],
    x: &[i32],
    y: &[i32],
    proof: &ModelProof,
) -> Result<(), GkrError> {
    let nl = spec.layers.len();
    let len = |what: &str, expected: usize, got: usize| {
        if expected == got {
            Ok(())
        } else {
            Err(GkrError::Length {
                what: what.into(),
                expected,
                got,
            })
        }
    };
    let (x_len, y_len) = spec.public_lens();
    len("input", x_len, x.len())?;
    len("output", y_len, y.len())?;
    len(
        "weight commitments",
        spec.weights.len(),
        weight_commitments.len(),
    )?;
    let committed_polys = committed(spec);
    if proof.commitments.len() != committed_polys.len() || proof.layers.len() != nl {
        return Err(GkrError::Malformed("commitment or layer count"));
    }
    // Each public tensor: bounded, and its extension for the claims on it.
    let mut public: BTreeMap<Poly, DenseMle> = BTreeMap::new();
    let mut inputs = Vec::with_capacity(spec.inputs.len());
    let mut rest = x;
    for (k, v) in spec.inputs.iter().enumerate() {
        let (data, tail) = rest.split_at(v.layout.len());
        check_bound("input", data, v.bits)?;
        let mle = FieldMatrix::from_i32(v.layout.rows, v.layout.cols, data)?.to_mle();
        public.insert(Poly::Input(k), mle);
        inputs.push(data.to_vec());
        rest = tail;
    }
    let mut rest = y;
    for (k, &o) in spec.outputs.iter().enumerate() {
        let l = spec.layer(o)?;
        let (data, tail) = rest.split_at(l.out.len());
        check_bound("output", data, l.bits)?;
        let mle = FieldMatrix::from_i32(l.out.rows, l.out.cols, data)?.to_mle();
        public.insert(Poly::Output(k), mle);
        rest = tail;
    }
    let commitment_of = |p: Poly| -> Result<Commitment, GkrError> {
        match p {
            Poly::Weight(j) => weight_commitments.get(j).copied(),
            _ => committed_polys
                .iter()
                .position(|q| *q == p)
                .map(|k| proof.commitments[k]),
        }
        .ok_or(GkrError::Malformed("a claim on an uncommitted polynomial"))
    };
    let mut claims = Claims { list: vec![] };
    // A claim `p(point) = eval`: checked now for a public tensor, opened later otherwise.
    let claim = |claims: &mut Claims, p: Poly, point: &[Fr], eval: Fr| -> Result<(), GkrError> {
        match public.get(&p) {
            Some(mle) => {
                if mle.evaluate(point)? != eval {
                    return Err(GkrError::Rejected(
                        "a public tensor's value at a reduced point",
                    ));
                }
            }
            None => claims.list.push((commitment_of(p)?, point.to_vec(), eval)),
        }
        Ok(())
    };

    let mut t = Transcript::new(super::LABEL);
    absorb_header(
        &mut t,
        statement,
        spec,
        x,
        y,
        weight_commitments,
        &proof.commitments,
    );
    for ((i, l), lp) in spec.layers.iter().enumerate().rev().zip(&proof.layers) {
        let yp = out_poly(spec, i);
        let xp = src_poly(spec, l.input);
        if lp.extra.len() != usize::from(l.kind == LayerKind::ReduceMax) {
            return Err(GkrError::Malformed("a layer's extra sumchecks"));
        }
        match l.kind {
            LayerKind::Matmul { node, w, bias } => {
                let (a, _) = l.out.log_dims();
                let rho = t.challenges(l.out.vars());
                let rq = node.requant();
                let want = usize::from(!yp.is_public())
                    + usize::from(rq.shift > 0)
                    + usize::from(bias.is_some());
                if lp.evals.len() != want {
                    return Err(GkrError::Malformed("a matrix product's evaluation count"));
                }
                let mut ev = lp.evals.iter().copied();
                let mut next = || ev.next().ok_or(GkrError::Malformed("evaluations"));
                let y_eval = match public.get(&yp) {
                    Some(mle) => mle.evaluate(&rho)?,
                    None => {
                        let e = next()?;
                        claim(&mut claims, yp, &rho, e)?;
                        e
                    }
                };
                let rem_eval = if rq.shift > 0 {
                    let e = next()?;
                    claim(&mut claims, Poly::Rem(i), &rho, e)?;
                    e
                } else {
                    Fr::zero()
                };
                let bias_eval = match bias {
                    Some(b) => {
                        let e = next()?;
                        claim(&mut claims, Poly::Weight(b), &rho[a..], e)?;
                        e
                    }
                    None => Fr::zero(),
                };
                t.absorb_frs(&lp.evals);
                let two_s = Fr::from(2u64).pow([u64::from(rq.shift)]);
                let half = if rq.shift == 0 {
                    Fr::zero()
                } else {
                    Fr::from(2u64).pow([u64::from(rq.shift - 1)])
                };
                let inv = fr(rq.mult)
                    .inverse()
                    .ok_or(GkrError::Malformed("a multiplier divisible by r"))?;
                let mut acc = (two_s * y_eval + rem_eval - half) * inv;
                if let Some(s) = node.bias_shift() {
                    let (m, _, _) = node.dims();
                    let rows: Fr = eq_table(&rho[..a]).iter().take(m).sum();
                    acc -= Fr::from(2u64).pow([u64::from(s)]) * rows * bias_eval;
                }
                let (m, k, n) = node.dims();
                let mp = matmul::MatmulProof {
                    sumcheck: lp.sumcheck.clone(),
                };
                let mc = matmul::verify(MatmulShape::new(m, k, n)?, &rho, acc, &mp, &mut t)?;
                claim(&mut claims, xp, &mc.x_point, mc.x_eval)?;
                claim(&mut claims, Poly::Weight(w), &mc.w_point, mc.w_eval)?;
            }
            LayerKind::Clip { constant, .. } => {
                if !lp.evals.is_empty() {
                    return Err(GkrError::Malformed("a clip states no evaluations"));
                }
                let v = l.out.vars();
                let z = t.challenges(v);
                let red = sumcheck::verify_terms(
                    &clip_terms(v, constant)?,
                    Fr::zero(),
                    &lp.sumcheck,
                    &mut t,
                )?;
                let [eq_v, y_v, x_v] = red.evals[..] else {
                    return Err(GkrError::Malformed("a clip's final evaluations"));
                };
                if eq_v != eq_eval(&z, &red.point)? {
                    return Err(GkrError::Rejected("a clip's eq value"));
                }
                claim(&mut claims, yp, &red.point, y_v)?;
                claim(&mut claims, xp, &red.point, x_v)?;
            }
            LayerKind::Move { map, fill } => {
                let rho = t.challenges(l.out.vars());
                if lp.evals.len() != usize::from(!yp.is_public()) {
                    return Err(GkrError::Malformed("a move's evaluation count"));
                }
                let y_eval = match (public.get(&yp), lp.evals.first()) {
                    (Some(mle), _) => mle.evaluate(&rho)?,
                    (None, Some(&e)) => {
                        claim(&mut claims, yp, &rho, e)?;
                        e
                    }
                    (None, None) => return Err(GkrError::Malformed("a move's evaluation")),
                };
                t.absorb_frs(&lp.evals);
                let xl = spec.src_layout(l.input);
                let m = spec
                    .maps
                    .get(map)
                    .ok_or(GkrError::Malformed("a move's map"))?;
                // The closed form where the map has one; the table walk otherwise.
                let form = spec.form(map);
                let (wire, fill_weight) = match form {
                    Some(f) => (None, f.eval(&rho, &[])?.1),
                    None => {
                        let (w, fw) = movement::wiring(xl, l.out, m, &rho)?;
                        (Some(w), fw)
                    }
                };
                let red = sumcheck::verify_terms(
                    &movement::move_terms(xl.vars())?,
                    movement::move_claim(y_eval, fill, fill_weight),
                    &lp.sumcheck,
                    &mut t,
                )?;
                let [x_v, wire_v] = red.evals[..] else {
                    return Err(GkrError::Malformed("a move's final evaluations"));
                };
                let expected = match (wire, form) {
                    (Some(w), _) => movement::wiring_eval(w, &red.point)?,
                    (None, Some(f)) => f.eval(&rho, &red.point)?.0,
                    (None, None) => return Err(GkrError::Malformed("a move's wiring")),
                };
                if wire_v != expected {
                    return Err(GkrError::Rejected("a move's wiring value"));
                }
                claim(&mut claims, xp, &red.point, x_v)?;
            }
            LayerKind::ReduceMax => {
                let xl = spec.src_layout(l.input);
                let bp = Poly::Bcast(i);
                let rho = t.challenges(xl.vars());
                let ([b_eval], [sel_proof]) = (&lp.evals[..], &lp.extra[..]) else {
                    return Err(GkrError::Malformed("a max's evaluations or sumchecks"));
                };
                claim(&mut claims, bp, &rho, *b_eval)?;
                t.absorb_frs(&lp.evals);
                let map = reduce_max::broadcast_map(xl);
                let (wire, _) = movement::wiring(l.out, xl, &map, &rho)?;
                let red = sumcheck::verify_terms(
                    &movement::move_terms(l.out.vars())?,
                    *b_eval,
                    &lp.sumcheck,
                    &mut t,
                )?;
                let [y_v, wire_v] = red.evals[..] else {
                    return Err(GkrError::Malformed("a max's wiring evaluations"));
                };
                if wire_v != movement::wiring_eval(wire, &red.point)? {
                    return Err(GkrError::Rejected("a max's broadcast wiring value"));
                }
                claim(&mut claims, yp, &red.point, y_v)?;
                let z = t.challenges(xl.vars());
                let rho_y = t.challenges(l.out.vars());
                let lm = t.challenges(2);
                let terms = reduce_max::selector_terms(xl.vars(), lm[0], lm[1])?;
                let sum = lm[1] * mask_eval(l.out, &rho_y);
                let red = sumcheck::verify_terms(&terms, sum, sel_proof, &mut t)?;
                let [eq_v, s_v, b_v, x_v, row_v] = red.evals[..] else {
                    return Err(GkrError::Malformed("a max's selector evaluations"));
                };
                if eq_v != eq_eval(&z, &red.point)? {
                    return Err(GkrError::Rejected("a max's eq value"));
                }
                let rows = DenseMle::new(reduce_max::row_table(xl, l.out, &rho_y))?;
                if row_v != rows.evaluate(&red.point)? {
                    return Err(GkrError::Rejected("a max's row table value"));
                }
                claim(&mut claims, Poly::Sel(i), &red.point, s_v)?;
                claim(&mut claims, bp, &red.point, b_v)?;
                claim(&mut claims, xp, &red.point, x_v)?;
            }
            // Proven by its own argument after the range groups.
            LayerKind::Lookup { .. } => {
                if !lp.evals.is_empty()
                    || !lp.sumcheck.rounds.is_empty()
                    || !lp.sumcheck.final_evals.is_empty()
                {
                    return Err(GkrError::Malformed("a lookup layer states nothing"));
                }
            }
            _ => {
                let r = super::kind::rule(&l.kind)
                    .ok_or(GkrError::Malformed("a layer kind without a rule"))?;
                let at = super::kind::At::new(spec, i, l, &inputs);
                for (p, point, e) in r.verify(at, lp, &public, &mut t)? {
                    claim(&mut claims, p, &point, e)?;
                }
            }
        }
    }

    let gs = groups(spec);
    let lookups = lookup::lookup_layers_of(spec);
    if proof.ranges.len() != gs.len() + lookups.len() {
        return Err(GkrError::Malformed("range group count"));
    }
    for ((bits, cols), rg) in gs.iter().zip(&proof.ranges) {
        let (opens, rc) =
            logup::verify_range_deferred(*bits, stack_vars(cols), &rg.argument, &mut t)?;
        for o in opens {
            claims.list.push((o.commitment, o.point, o.eval));
        }
        let mut ev = rg.evals.iter().copied();
        let mut total = Fr::zero();
        let mut pending = vec![];
        for (col, at) in cols.iter().zip(stack_offsets(cols)) {
            let (tail, sel) = column_point(&rc.point, col.layout.vars(), at);
            let mut v = fr(col.constant) * mask_eval(col.layout, tail);
            for (poly, coeff) in &col.terms {
                let e = match public.get(poly) {
                    Some(mle) => mle.evaluate(tail)?,
                    None => {
                        let e = ev.next().ok_or(GkrError::Malformed("range evaluations"))?;
                        pending.push((*poly, tail.to_vec(), e));
                        e
                    }
                };
                v += fr(*coeff) * e;
            }
            total += sel * v;
        }
        if ev.next().is_some() {
            return Err(GkrError::Malformed("range evaluations"));
        }
        if total != rc.eval {
            return Err(GkrError::Rejected("the stacked range columns' value"));
        }
        t.absorb_frs(&rg.evals);
        for (poly, point, e) in pending {
            claim(&mut claims, poly, &point, e)?;
        }
    }
    for ((i, _, _), rg) in lookups.iter().zip(&proof.ranges[gs.len()..]) {
        if !rg.evals.is_empty() {
            return Err(GkrError::Malformed("a lookup states no range evaluations"));
        }
        let (opens, tensors) = lookup::verify(spec, *i, &rg.argument, &mut t)?;
        for o in opens {
            claims.list.push((o.commitment, o.point, o.eval));
        }
        for (poly, point, e) in tensors {
            claim(&mut claims, poly, &point, e)?;
        }
    }

    let list: Vec<Claim<'_>> = claims
        .list
        .iter()
        .map(|(c, p, e)| Claim {
            commitment: c,
            point: p,
            eval: *e,
        })
        .collect();
    pcs::verify_batch(vk, &list, &proof.opening, &mut t)?;
    Ok(())
}

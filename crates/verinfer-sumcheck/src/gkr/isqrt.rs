//! An `ISqrt` layer: `Y = ⌊√(X·2^s)⌋` elementwise (the IR's `ISqrt` with an identity
//! epilogue: RMSNorm's denominator).
//!
//! `y ≥ 0` is the root of `n = X·2^s` iff `y² ≤ n < (y + 1)²`, i.e. iff the integer
//! `R = X·2^s − Y²` lies in `[0, 2Y]`. The prover commits `R`, the layer draws
//! `ρ = challenges(vars(Y))`, the prover states `R̃(ρ)` and `X̃(ρ)`, and the degree-3
//! sumcheck `2^s·X̃(ρ) − R̃(ρ) = Σ_x eq(ρ, x)·Y(x)²` reduces the relation to `Ỹ(σ)` (the
//! verifier evaluates `eq(ρ, σ)`); all of `X`, `Y`, `R` are 0 on the padding. Range columns
//! ([`columns`]): `R` and `2Y − R` in `[0, 2^bits(Y))`, and a hidden `Y` shifted by
//! `2^(bits−1)` like every hidden output (a public one the verifier bounds).
//!
//! **Soundness.** The identity at `ρ` holds for tables that break it with probability at most
//! `vars(Y)/r` (Schwartz–Zippel), the sumcheck adds `3·vars(Y)/r`, the columns their table's
//! logUp share. `X` is bounded where it was made (`|X| < 2^31`), `Y` by its own column
//! (`|Y| < 2^23`), so with `s ≤ 32` every term of `X·2^s = R + Y²` is below `2^63 ≪ r` and the
//! field identity is the integer one. `2Y − R ≥ 0` and `R ≥ 0` give `Y ≥ 0`, and then
//! `Y² ≤ X·2^s ≤ Y² + 2Y < (Y + 1)²`: `Y` is the IR's root (and `X ≥ 0`). The honest prover
//! refuses a negative radicand (the IR's `max(x, 0)`: not proven) and a root that saturates the
//! output's bits, naming the node and element.

use ark_bn254::Fr;
use ark_ff::Field;
use verinfer_ir::{Node, Requant, TensorInfo};

use crate::mle::DenseMle;
use crate::sumcheck::Terms;
use crate::transcript::Transcript;

use super::columns::{hidden_output_column, out_poly, src_poly, Column, Poly};
use super::kind::{
    open_all, prove_eq_sumcheck, verify_eq_sumcheck, At, Checked, Get, Groups, LayerRule, Mles,
    Proved, Shape, Tables,
};
use super::movement::padded;
use super::spec::{ChainSpec, Layer, LayerKind, Src};
use super::{GkrError, LayerProof};

/// The largest radicand shift proven (the IR's own bound: `X·2^s` stays below `2^63`).
pub const MAX_SHIFT: u32 = verinfer_ir::ISQRT_MAX_SHIFT;

/// The layer kind of an `ISqrt` node, or why it is not covered.
///
/// # Errors
/// A reason naming what is missing: a rescaling epilogue, an input of another shape, a
/// shift past [`MAX_SHIFT`].
pub(crate) fn recognise(
    node: &Node,
    op: &verinfer_ir::ISqrt,
    in_info: &TensorInfo,
) -> Result<LayerKind, String> {
    if op.requant != Requant::clamp_only(node.out.bits) {
        return Err("an ISqrt with a rescaling epilogue (only the identity is proven)".into());
    }
    if op.shift > MAX_SHIFT {
        return Err(format!("an ISqrt shift above {MAX_SHIFT}"));
    }
    if node.inputs.len() != 1 || in_info.shape != node.out.shape {
        return Err("only a one-input root of its output's shape".into());
    }
    Ok(LayerKind::ISqrt { shift: op.shift })
}

/// Whether a decoded layer is one [`recognise`] makes: an input of the output's layout, a
/// shift in range.
#[must_use]
pub fn fits(spec: &ChainSpec, l: &Layer) -> bool {
    let LayerKind::ISqrt { shift } = l.kind else {
        return false;
    };
    spec.src_layout(l.input) == l.out && shift <= MAX_SHIFT
}

fn parts(spec: &ChainSpec, i: usize) -> Result<(&Layer, u32), GkrError> {
    let bad = || GkrError::Malformed("not a square-root layer");
    let l = spec.layers.get(i).ok_or_else(bad)?;
    let LayerKind::ISqrt { shift } = l.kind else {
        return Err(bad());
    };
    Ok((l, shift))
}

/// `R = X·2^s − Y²` of layer `i` as a padded table of the output's layout, checking the
/// trace's output against the IR when `check` (unchecked, `R` is the trace's own `Y`'s: the
/// relation holds and only the range checks stand in the way).
///
/// # Errors
/// [`GkrError::Unsupported`] for a negative radicand (the IR's `max(x, 0)` is not proven),
/// [`GkrError::TraceMismatch`] / [`GkrError::Clamped`] at the first element that differs
/// from the IR.
pub(crate) fn witness(
    spec: &ChainSpec,
    i: usize,
    trace: &[Vec<i32>],
    check: bool,
) -> Result<DenseMle, GkrError> {
    let (l, s) = parts(spec, i)?;
    let bad = || GkrError::Malformed("a square root's operands");
    let x = trace.get(spec.trace_index(l.input)).ok_or_else(bad)?;
    let y = trace.get(spec.trace_index(Src::Layer(i))).ok_or_else(bad)?;
    if x.len() != l.out.len() || y.len() != l.out.len() {
        return Err(bad());
    }
    let mut rt = vec![Fr::default(); 1 << l.out.vars()];
    for (index, (&xv, &got)) in x.iter().zip(y).enumerate() {
        if check {
            if xv < 0 {
                let node = spec.node_of(i);
                return Err(GkrError::Unsupported {
                    node: Some(node),
                    reason: format!(
                        "node {node} (ISqrt): element {index} is the root of {xv}; only a \
                         radicand ≥ 0 is proven"
                    ),
                });
            }
            let root = verinfer_ir::ops::isqrt::exact(s, xv).ok_or_else(bad)?;
            if root != i64::from(got) {
                let (root, got) = (i128::from(root), i64::from(got));
                return Err(GkrError::deviation(i, index, l.bits, root, got));
            }
        }
        let (x2, y2) = (i128::from(xv), i128::from(got));
        rt[padded(l.out, index)] = crate::field::fr_from_i128((x2 << s) - y2 * y2);
    }
    Ok(DenseMle::new(rt)?)
}

/// `Σ_x eq(ρ, x)·Y(x)²` over `[eq, Y]`.
fn terms(num_vars: usize) -> Result<Terms, GkrError> {
    super::product_terms(num_vars, 2, vec![0, 1, 1])
}

/// The evaluations a square-root layer states: `R̃(ρ)`, `X̃(ρ)`.
pub const EVALS: usize = 2;

/// The `ISqrt` layer kind (module docs).
pub(crate) struct Rule;

impl LayerRule for Rule {
    fn witness(&self, at: At<'_>, trace: &[Vec<i32>], _w: &[Vec<i32>], check: bool) -> Tables {
        let At { spec, i, .. } = at;
        Ok(vec![(Poly::Rem(i), witness(spec, i, trace, check)?)])
    }

    fn committed(&self, at: At<'_>) -> Vec<Poly> {
        let At { i, .. } = at;
        vec![Poly::Rem(i)]
    }

    fn shape(&self, at: At<'_>) -> Shape {
        Shape::new(EVALS, at.l.out.vars(), 3, 2)
    }

    fn prove<'m>(&self, at: At<'_>, get: Get<'_, 'm>, t: &mut Transcript) -> Proved {
        let At { spec, i, .. } = at;
        let (l, _) = parts(spec, i)?;
        let rho = t.challenges(l.out.vars());
        let opens = [(Poly::Rem(i), &rho), (src_poly(spec, l.input), &rho)];
        let (evals, mut left) = open_all(get, &opens)?;
        t.absorb_frs(&evals);
        let y = out_poly(spec, i);
        let (proof, point) =
            prove_eq_sumcheck(&terms(l.out.vars())?, &rho, vec![get(y)?.clone()], t)?;
        left.push((y, point));
        Ok((LayerProof::one(evals, proof), left))
    }

    fn verify(&self, at: At<'_>, lp: &LayerProof, _public: &Mles, t: &mut Transcript) -> Checked {
        let At { spec, i, .. } = at;
        let (l, shift) = parts(spec, i)?;
        let [rem_v, x_v] = lp.evals[..] else {
            return Err(GkrError::Malformed("a square root's evaluations"));
        };
        let rho = t.challenges(l.out.vars());
        let mut left = vec![
            (Poly::Rem(i), rho.clone(), rem_v),
            (src_poly(spec, l.input), rho.clone(), x_v),
        ];
        t.absorb_frs(&lp.evals);
        let sum = Fr::from(2u64).pow([u64::from(shift)]) * x_v - rem_v;
        let (point, finals) = verify_eq_sumcheck(&terms(l.out.vars())?, sum, lp, &rho, t)?;
        let [y_v] = finals[..] else {
            return Err(GkrError::Malformed("a square root's final evaluations"));
        };
        left.push((out_poly(spec, i), point, y_v));
        Ok(left)
    }

    fn columns(&self, at: At<'_>, g: &mut Groups) {
        let At { spec, i, l, .. } = at;
        let col = |terms: Vec<(Poly, i64)>| Column {
            terms,
            constant: 0,
            layout: l.out,
        };
        let (y, rem) = (out_poly(spec, i), Poly::Rem(i));
        let e = g.entry(l.bits.get()).or_default();
        e.push(col(vec![(rem, 1)]));
        e.push(col(vec![(y, 2), (rem, -1)]));
        hidden_output_column(spec, i, l, g);
    }

    fn claim_vars(&self, at: At<'_>) -> Vec<usize> {
        let At { spec, i, l, .. } = at;
        let v = l.out.vars();
        let mut vars = vec![v];
        if !src_poly(spec, l.input).is_public() {
            vars.push(v);
        }
        if !out_poly(spec, i).is_public() {
            vars.push(v);
        }
        vars
    }

    // The sumcheck reads eq and Y.
    fn cost(&self, at: At<'_>) -> (&'static str, usize, usize) {
        let At { l, .. } = at;
        ("ISqrt", 2 << l.out.vars(), 0)
    }
}

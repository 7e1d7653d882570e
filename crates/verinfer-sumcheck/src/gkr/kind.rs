//! The interface of a layer kind proven by a file of its own, and the registry that maps a
//! [`LayerKind`] to it: the prover, the verifier, the range columns, the proof words, the
//! batched opening's claims and the cost table all dispatch through [`rule`], so a new kind
//! costs its file plus one line in [`rule`] (and its spec encoding).

use std::collections::BTreeMap;

use ark_bn254::Fr;
use ark_ff::Field;

use crate::mle::{eq_eval, eq_table, DenseMle};
use crate::sumcheck::{self, SumcheckProof, Terms};
use crate::transcript::Transcript;

use super::columns::{out_poly, Column, Poly};
use super::spec::{ChainSpec, Layer, LayerKind};
use super::{GkrError, LayerProof};

/// The claims a layer's prover leaves: polynomial and point.
pub(crate) type Left = Vec<(Poly, Vec<Fr>)>;

/// A claim a layer's verifier leaves: polynomial, point, value.
pub(crate) type Claim = (Poly, Vec<Fr>, Fr);

/// One layer's words in transcript order: `evals` stated values, then a sumcheck of `rounds`
/// rounds (`degree` words each, as [`crate::evm`] writes them) and `finals` final values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    /// Stated values.
    pub evals: usize,
    /// Sumcheck rounds.
    pub rounds: usize,
    /// Words per round.
    pub degree: usize,
    /// Final values.
    pub finals: usize,
}

impl Shape {
    /// `evals` stated values, `rounds` rounds of `degree` words, `finals` final values.
    #[must_use]
    pub const fn new(evals: usize, rounds: usize, degree: usize, finals: usize) -> Self {
        Self {
            evals,
            rounds,
            degree,
            finals,
        }
    }

    /// The words of a layer of this shape.
    #[must_use]
    pub fn words(self) -> usize {
        self.evals + self.rounds * self.degree + self.finals
    }
}

/// Layer `i` of `spec` (`l`), and the public inputs' values where the caller has them (a
/// gather's indices; empty for the methods that read the spec only).
#[derive(Clone, Copy)]
pub(crate) struct At<'a> {
    /// The spec.
    pub spec: &'a ChainSpec,
    /// The layer's index.
    pub i: usize,
    /// The layer.
    pub l: &'a Layer,
    /// The public inputs, in graph order (empty where the caller has none).
    pub inputs: &'a [Vec<i32>],
}

impl<'a> At<'a> {
    /// Layer `i` of `spec`, with the public inputs `inputs`.
    pub(crate) fn new(spec: &'a ChainSpec, i: usize, l: &'a Layer, inputs: &'a [Vec<i32>]) -> Self {
        Self { spec, i, l, inputs }
    }
}

/// A prover's tables, by polynomial.
pub(crate) type Get<'a, 'm> = &'a dyn Fn(Poly) -> Result<&'m DenseMle, GkrError>;
/// The tables a layer's witness adds.
pub(crate) type Tables = Result<Vec<(Poly, DenseMle)>, GkrError>;
/// A layer's messages and the claims its prover leaves.
pub(crate) type Proved = Result<(LayerProof, Left), GkrError>;
/// The claims a layer's verifier leaves.
pub(crate) type Checked = Result<Vec<Claim>, GkrError>;
/// The public tensors' extensions.
pub(crate) type Mles = BTreeMap<Poly, DenseMle>;
/// Range columns by width.
pub(crate) type Groups = BTreeMap<u32, Vec<Column>>;

/// One layer kind's proof of layer `at` (the caller checks the kind through [`rule`]; a
/// method handed another kind's layer fails with [`GkrError::Malformed`]).
pub(crate) trait LayerRule: Sync {
    /// The tables the layer's prover needs besides the activations (remainders, spread
    /// operands) from the trace and the weights `w`, checking the trace against the IR when
    /// `check` (unchecked: a test's cheating prover).
    fn witness(&self, at: At<'_>, trace: &[Vec<i32>], w: &[Vec<i32>], check: bool) -> Tables;

    /// The polynomials the layer commits after every layer's remainders (in
    /// [`super::columns::committed`] order); the remainders of a rescaling epilogue are
    /// committed by their shift.
    fn committed(&self, _at: At<'_>) -> Vec<Poly> {
        vec![]
    }

    /// The layer's words.
    fn shape(&self, at: At<'_>) -> Shape;

    /// The prover's messages and the claims they leave (public ones included: the caller
    /// drops them).
    fn prove<'m>(&self, at: At<'_>, get: Get<'_, 'm>, t: &mut Transcript) -> Proved;

    /// Check the messages; the claims they leave (public ones included: the caller checks
    /// them).
    fn verify(&self, at: At<'_>, lp: &LayerProof, public: &Mles, t: &mut Transcript) -> Checked;

    /// The layer's range columns, added to `g` by width.
    fn columns(&self, at: At<'_>, g: &mut Groups);

    /// The variables of the claims the layer leaves on committed polynomials (prover's
    /// order).
    fn claim_vars(&self, at: At<'_>) -> Vec<usize>;

    /// `(op name, field elements its sumcheck reads, elements it commits besides its
    /// output and remainders)` for [`super::cost::cost`].
    fn cost(&self, at: At<'_>) -> (&'static str, usize, usize);
}

/// The rule of `kind`, or `None` for the kinds the prover and verifier handle inline
/// (matrix products, clips, moves, maxima, lookups).
#[must_use]
pub(crate) fn rule(kind: &LayerKind) -> Option<&'static dyn LayerRule> {
    match kind {
        LayerKind::Binary { .. } | LayerKind::ReduceSum { .. } => Some(&super::arith::Rule),
        LayerKind::Product { .. } => Some(&super::attn::Rule),
        LayerKind::Div { .. } => Some(&super::div::Rule),
        LayerKind::ISqrt { .. } => Some(&super::isqrt::Rule),
        LayerKind::Gather { .. } => Some(&super::gather::Rule),
        LayerKind::ArgMax => Some(&super::argmax::Rule),
        LayerKind::Outer { .. } => Some(&super::outer::Rule),
        LayerKind::Matmul { .. }
        | LayerKind::Clip { .. }
        | LayerKind::Move { .. }
        | LayerKind::ReduceMax
        | LayerKind::Lookup { .. } => None,
    }
}

/// Evaluate each `(poly, point)`: the values to state (in order) and the claims they leave.
///
/// # Errors
/// [`GkrError::Malformed`] for a polynomial missing from `get`, a point of the wrong size.
pub(crate) fn open_all<'m>(
    get: Get<'_, 'm>,
    opens: &[(Poly, &Vec<Fr>)],
) -> Result<(Vec<Fr>, Left), GkrError> {
    let mut evals = Vec::with_capacity(opens.len());
    let mut left = Left::with_capacity(opens.len());
    for &(p, point) in opens {
        evals.push(get(p)?.evaluate(point)?);
        left.push((p, point.clone()));
    }
    Ok((evals, left))
}

/// Prove `Σ_x eq(ρ, x)·Π(tables)(x)` (`terms`' table 0 is `eq(ρ, ·)`, built here): the
/// sumcheck and the point it reduces to.
///
/// # Errors
/// A sumcheck error for tables of the wrong size.
pub(crate) fn prove_eq_sumcheck(
    terms: &Terms,
    rho: &[Fr],
    tables: Vec<DenseMle>,
    t: &mut Transcript,
) -> Result<(SumcheckProof, Vec<Fr>), GkrError> {
    let mut polys = Vec::with_capacity(tables.len() + 1);
    polys.push(DenseMle::new(eq_table(rho))?);
    polys.extend(tables);
    let proved = sumcheck::prove_terms(terms, polys, t)?;
    Ok((proved.proof, proved.reduced.point))
}

/// Verify [`prove_eq_sumcheck`]'s sumcheck of `sum`, checking the `eq` final value itself:
/// the point and the other tables' final values.
///
/// # Errors
/// A rejection for a false sumcheck or `eq` value.
pub(crate) fn verify_eq_sumcheck(
    terms: &Terms,
    sum: Fr,
    lp: &LayerProof,
    rho: &[Fr],
    t: &mut Transcript,
) -> Result<(Vec<Fr>, Vec<Fr>), GkrError> {
    let red = sumcheck::verify_terms(terms, sum, &lp.sumcheck, t)?;
    let (eq_v, rest) = red
        .evals
        .split_first()
        .ok_or(GkrError::Malformed("a sumcheck's final evaluations"))?;
    if *eq_v != eq_eval(rho, &red.point)? {
        return Err(GkrError::Rejected("a layer's eq value"));
    }
    Ok((red.point, rest.to_vec()))
}

/// A rescaling layer's own values at `ρ` (`Ỹ(ρ)` if hidden, `R̃em(ρ)` if it shifts by `s`):
/// the values to state and the claims they leave.
///
/// # Errors
/// [`GkrError::Malformed`] for a polynomial missing from `get`.
pub(crate) fn open_rescaled<'m>(
    spec: &ChainSpec,
    i: usize,
    s: u32,
    rho: &Vec<Fr>,
    get: Get<'_, 'm>,
) -> Result<(Vec<Fr>, Left), GkrError> {
    let y = out_poly(spec, i);
    let mut opens = vec![];
    if !y.is_public() {
        opens.push((y, rho));
    }
    if s > 0 {
        opens.push((Poly::Rem(i), rho));
    }
    open_all(get, &opens)
}

/// The verifier's side of [`open_rescaled`]: `2^s·Ỹ(ρ) + R̃em(ρ) − 2^(s−1)` (`mult·Ãcc(ρ)`
/// by the requantization relation), reading the stated values from `ev` (a public output
/// evaluated here) and pushing their claims to `left`.
///
/// # Errors
/// [`GkrError::Malformed`] for too few values.
pub(crate) fn rescaled_sum(
    spec: &ChainSpec,
    i: usize,
    s: u32,
    rho: &[Fr],
    ev: &mut dyn Iterator<Item = Fr>,
    public: &Mles,
    left: &mut Vec<Claim>,
) -> Result<Fr, GkrError> {
    let mut next = || ev.next().ok_or(GkrError::Malformed("evaluations"));
    let y = out_poly(spec, i);
    let y_eval = match public.get(&y) {
        Some(mle) => mle.evaluate(rho)?,
        None => {
            let e = next()?;
            left.push((y, rho.to_vec(), e));
            e
        }
    };
    let two = Fr::from(2u64);
    if s == 0 {
        return Ok(y_eval);
    }
    let rem_eval = next()?;
    left.push((Poly::Rem(i), rho.to_vec(), rem_eval));
    Ok(two.pow([u64::from(s)]) * y_eval + rem_eval - two.pow([u64::from(s - 1)]))
}

//! A whole model in one proof: layers proven from the output back to the input, every claim
//! left by a layer (on an activation, a weight, a remainder) collected, the range checks of
//! every layer batched into one logUp argument per table width, and every claim settled by
//! **one** batched HyperKZG opening at the end.
//!
//! # Protocol (label `verinfer.model.v1`)
//!
//! 1. Absorb the statement word (the backend's `PublicValues` digest, if any), the spec's
//!    digest ([`ChainSpec::digest`]), `keccak256` of the packed public input and output, the
//!    weight commitments (registered with the model) and the commitments to the hidden
//!    activations (every layer output but the last) and to the requantization remainders
//!    ([`ModelProof::commitments`], order of [`columns::committed`]).
//! 2. For each layer, last first ([`LayerProof`]):
//!    - a matrix product `Y = requant(X·W (+ bias))`: `ρ = challenges(vars(Y))`; the prover
//!      states `Ỹ(ρ)` (unless `Y` is public: the verifier evaluates it), `R̃em(ρ)` and
//!      `b̃ias(ρ_j)`; the relation `mult·acc + 2^(s−1) = 2^s·y + rem` gives `Ãcc(ρ)`, the
//!      matrix-product sumcheck reduces it to `X̃(ρ_i‖σ)` and `W̃(σ‖ρ_j)`;
//!    - a clip `Y = max(X, c)` (or `min`): `z = challenges(vars(Y))`, a degree-3 zero-check
//!      `Σ_x eq(z,x)·(Ỹ(x) − X̃(x))·(Ỹ(x) − c) = 0` reduces to `Ỹ(σ)`, `X̃(σ)`; with the range
//!      checks `±(Y − X) ∈ [0, 2^bits)` and `±(Y − c) ∈ [0, 2^bits)` it proves `Y = max(X, c)`
//!      elementwise;
//!    - a move `Y[j] = X[map[j]]` (public map, `fill` where negative): `ρ = challenges(vars(Y))`,
//!      the prover states `Ỹ(ρ)` if hidden, and the wiring sumcheck
//!      `Ỹ(ρ) − fill·F_ρ = Σ_x X̃(x)·M̃_ρ(x)` reduces it to `X̃(σ)`; the verifier builds
//!      `M_ρ`, `F_ρ` from the map and checks `M̃_ρ(σ)` itself ([`movement`]).
//! 3. Range checks ([`columns`]): every vector that must lie in `[0, 2^k)` — remainders
//!    (`k = shift`), hidden outputs shifted by `2^(bits−1)` (so the epilogue's clamp is the
//!    identity), the clip differences — is a *column*, a linear combination of tensors plus a
//!    constant on the tensor's real (unpadded) entries. The columns of one width are stacked
//!    (zero rows pad them to a power of two) and checked by one logUp argument
//!    ([`crate::logup::prove_range_deferred`]), so each table has one table-side sumcheck for
//!    the whole model; the claim on the stack at `ρ_c‖ρ_x` splits into claims on the tensors
//!    at (the tail of) `ρ_x` (stated by the prover, absorbed), which the verifier recombines
//!    with `eq(ρ_c, c)`.
//!    Each `Lookup` layer (after its clamps, lowered to clips) is one two-column logUp
//!    against its table, committed as a weight, after the range groups ([`lookup`]).
//! 4. One batched opening ([`crate::pcs::open_batch`]) of every claim on a committed
//!    polynomial: weights, hidden activations, remainders and the logUp `h`, `g`, `μ`.
//!
//! Public tensors (the input and the output) are evaluated by the verifier, which also
//! checks they lie in their bit bounds.
//!
//! **Soundness** (×1.14 for the transcript's bias): the sum of the parts' — per matrix
//! product `2c/r` plus `(a+b)/r` for the relation at `ρ`; per clip `(3·v + v)/r` (the
//! zero-check's rounds and the `eq` identity at `z`); per move `2·vars(X)/r + vars(Y)/r`; per table the logUp bound
//! `(2^m + 2^k)/r + (m + k + 2)/r + 3(m + k)/r`; the batched opening `(2K + 2n)/r` with `K`
//! claims — plus HyperKZG's (`O(2^n/r)` and the SDH assumption): below `2^-200` for the
//! bundled models.

pub mod affine;
pub mod argmax;
pub mod arith;
pub mod attn;
pub mod broadcast;
pub mod clamp;
pub mod columns;
pub mod cost;
pub mod div;
pub mod gather;
pub mod isqrt;
pub mod kind;
pub mod layer;
pub mod layout;
pub mod lookup;
pub mod lower;
mod lower_expanded;
pub mod movement;
pub mod outer;
pub mod prove;
pub mod reduce_max;
pub mod spec;
mod spec_bytes;
pub mod verify;
pub mod words;

use ark_bn254::Fr;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};

use crate::error::{LogupError, MatmulError, MleError, PcsError, SumcheckError};
use crate::logup::RangeArgument;
use crate::pcs::{BatchOpeningProof, Commitment};
use crate::sumcheck::SumcheckProof;

pub use columns::srs_vars;
pub use prove::prove_model;
pub use spec::{Arg, Arith, ChainSpec, Layer, LayerKind, Layout, Src, WeightSpec};
pub use verify::verify_model;

/// The transcript label of a model proof.
pub const LABEL: &[u8] = b"verinfer.model.v1";

/// Why a model could not be proven or its proof did not verify.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GkrError {
    /// The model has a node (or shape) the layered proof does not cover.
    #[error("unsupported: {reason}")]
    Unsupported {
        /// The first unsupported node, if one is to blame.
        node: Option<usize>,
        /// What and why.
        reason: String,
    },
    /// The trace deviates from the integer semantics (no honest proof exists).
    #[error("node {node}: element {index} is {got}, the node computes {expected}")]
    TraceMismatch {
        /// The node.
        node: usize,
        /// Flat element index.
        index: usize,
        /// What the semantics give (unclamped).
        expected: i128,
        /// What the trace states.
        got: i64,
    },
    /// An honest output saturates its bound (clamps are not proven yet).
    #[error(
        "node {node}: element {index} saturates its {bits}-bit bound (clamps are not proven yet)"
    )]
    Clamped {
        /// The node.
        node: usize,
        /// Flat element index.
        index: usize,
        /// The bound.
        bits: u32,
    },
    /// An honest output clamps further past its bound than a proven clamp's overshoot
    /// columns hold ([`clamp::OVERSHOOT_BITS`]).
    #[error(
        "node {node}: element {index} saturates its bound by 2^{bits} or more (a proven \
         clamp's overshoot is below 2^{bits})"
    )]
    ClampOvershoot {
        /// The node.
        node: usize,
        /// Flat element index.
        index: usize,
        /// The overshoot columns' bits.
        bits: u32,
    },
    /// Data of the wrong length or count.
    #[error("{what}: {got} elements, the model needs {expected}")]
    Length {
        /// Which tensor.
        what: String,
        /// Needed.
        expected: usize,
        /// Given.
        got: usize,
    },
    /// A public value outside its bit bound.
    #[error("public {what} element {index} = {value} lies outside its {bits}-bit bound")]
    OutOfBound {
        /// `input` or `output`.
        what: &'static str,
        /// Flat index.
        index: usize,
        /// The value.
        value: i32,
        /// The bound.
        bits: u32,
    },
    /// A proof or key of the wrong shape.
    #[error("malformed: {0}")]
    Malformed(&'static str),
    /// The proof is false.
    #[error("rejected: {0}")]
    Rejected(&'static str),
    /// A sumcheck failed.
    #[error(transparent)]
    Sumcheck(#[from] SumcheckError),
    /// A matrix-product sumcheck failed.
    #[error(transparent)]
    Matmul(#[from] MatmulError),
    /// A range check failed.
    #[error(transparent)]
    Logup(#[from] LogupError),
    /// A commitment or opening failed.
    #[error(transparent)]
    Pcs(#[from] PcsError),
    /// A polynomial misuse.
    #[error(transparent)]
    Mle(#[from] MleError),
}

impl GkrError {
    /// Trace element `index` of layer `node` is `got` where the semantics give `expected`:
    /// [`GkrError::Clamped`] when `got` is `expected` saturated to `bits` (clamps are not
    /// proven), [`GkrError::TraceMismatch`] otherwise.
    pub(crate) fn deviation(
        node: usize,
        index: usize,
        bits: verinfer_ir::Bits,
        expected: i128,
        got: i64,
    ) -> Self {
        if i64::from(bits.clamp(expected)) == got {
            Self::Clamped {
                node,
                index,
                bits: bits.get(),
            }
        } else {
            Self::TraceMismatch {
                node,
                index,
                expected,
                got,
            }
        }
    }

    /// Whether the error says the proof is false (rather than a call or witness error).
    #[must_use]
    pub fn is_rejection(&self) -> bool {
        matches!(
            self,
            Self::Rejected(_)
                | Self::Sumcheck(SumcheckError::Rejected)
                | Self::Matmul(MatmulError::Sumcheck(SumcheckError::Rejected))
                | Self::Logup(_)
                | Self::Pcs(PcsError::Rejected(_))
        )
    }
}

/// One layer's messages: the evaluations it states and its sumcheck.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct LayerProof {
    /// Matrix product: `[Ỹ(ρ) if hidden] [R̃em(ρ) if shift > 0] [b̃ias(ρ_j) if a bias]`;
    /// clip: none.
    pub evals: Vec<Fr>,
    /// The matrix-product sumcheck, the clip's zero-check, the move's or the max's wiring.
    pub sumcheck: SumcheckProof,
    /// A max's selector sumcheck; empty for the other layers.
    pub extra: Vec<SumcheckProof>,
}

impl LayerProof {
    /// A layer's messages with one sumcheck (every kind but `ReduceMax`).
    pub(crate) fn one(evals: Vec<Fr>, sumcheck: SumcheckProof) -> Self {
        Self {
            evals,
            sumcheck,
            extra: vec![],
        }
    }
}

/// `Σ_x Π_k f_{factors[k]}(x)` over `num_mles` tables: one term of coefficient 1.
pub(crate) fn product_terms(
    num_vars: usize,
    num_mles: usize,
    factors: Vec<usize>,
) -> Result<crate::sumcheck::Terms, GkrError> {
    use ark_ff::One;
    Ok(crate::sumcheck::Terms::new(
        num_vars,
        num_mles,
        vec![crate::sumcheck::Term {
            coeff: Fr::one(),
            factors,
        }],
    )?)
}

/// One table width's range check: the logUp argument and the tensors' values at the split
/// point.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct RangeGroupProof {
    /// The argument (openings deferred to the batch).
    pub argument: RangeArgument,
    /// Each hidden tensor of each column at the tail of `ρ_x`, column by column.
    pub evals: Vec<Fr>,
}

/// A proof of a whole model's inference.
#[derive(Clone, Debug, PartialEq, Eq, CanonicalSerialize, CanonicalDeserialize)]
pub struct ModelProof {
    /// Hidden activations and remainders ([`columns::committed`] order).
    pub commitments: Vec<Commitment>,
    /// Layers, last first.
    pub layers: Vec<LayerProof>,
    /// Range checks, widths ascending.
    pub ranges: Vec<RangeGroupProof>,
    /// The one opening.
    pub opening: BatchOpeningProof,
}

/// The weights of `spec` as the graph `g` holds them (what [`commit_weights`] commits and
/// [`prove_model`] takes).
///
/// # Errors
/// [`GkrError::Malformed`] if `g` is not the graph `spec` was recognised from.
pub fn weight_data(g: &verinfer_ir::Graph, spec: &ChainSpec) -> Result<Vec<Vec<i32>>, GkrError> {
    let bad = || GkrError::Malformed("a weight the graph does not have");
    spec.weights
        .iter()
        .map(|w| {
            let p = g.params.get(w.param).ok_or_else(bad)?;
            match w.arrange {
                None if p.data.len() == w.layout.len() => Ok(p.data.to_vec()),
                None => Err(bad()),
                Some(a) => spec
                    .arrangements
                    .get(a)
                    .filter(|m| m.len() == w.layout.len())
                    .ok_or_else(bad)?
                    .iter()
                    .map(|&e| usize::try_from(e).map_or(Some(0), |k| p.data.get(k)))
                    .collect::<Option<Vec<i32>>>()
                    .ok_or_else(bad),
            }
        })
        .collect()
}

/// Commit the weights (what registering the model does).
///
/// # Errors
/// [`GkrError::Length`] for weights that do not fit, [`GkrError::Pcs`] for a key too small.
pub fn commit_weights(
    ck: &crate::pcs::CommitKey,
    spec: &ChainSpec,
    weights: &[Vec<i32>],
) -> Result<Vec<Commitment>, GkrError> {
    if weights.len() != spec.weights.len() {
        return Err(GkrError::Length {
            what: "weights".into(),
            expected: spec.weights.len(),
            got: weights.len(),
        });
    }
    spec.weights
        .iter()
        .zip(weights)
        .map(|(ws, w)| {
            let m = crate::matmul::FieldMatrix::from_i32(ws.layout.rows, ws.layout.cols, w)?;
            Ok(crate::pcs::commit(ck, &m.to_mle())?)
        })
        .collect()
}

/// `Fr` of a signed value.
pub(crate) fn fr(v: i64) -> Fr {
    crate::field::fr_from_i64(v)
}

#[cfg(test)]
mod tests;

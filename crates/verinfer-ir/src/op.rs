//! The closed set of primitives every ONNX model is lowered to.
//!
//! Adding a variant must fail to compile until every interpreter (reference, fast executor,
//! circuits, arbiter encoder) handles it: dispatch never uses a wildcard arm.

use serde::{Deserialize, Serialize};

use crate::affine::AffineMap;
use crate::requant::Requant;
use crate::types::ParamId;

/// A primitive with its structural attributes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Op {
    /// Generalized contraction (MatMul, Gemm, Conv of any kind); inputs `[x, w]` or `[x, w, bias]`.
    Contract(Contract),
    /// Requantize one tensor; inputs `[x]`.
    Rescale(Requant),
    /// Broadcasting elementwise Add/Sub/Mul/Max/Min; inputs `[a, b]`.
    Binary(Binary),
    /// Table lookup of a non-linear function; inputs `[x]`.
    Lookup(Lookup),
    /// Sum or max over axes; inputs `[x]`.
    Reduce(Reduce),
    /// Broadcasting rounded integer division; inputs `[a, b]`.
    Div(Div),
    /// Data movement through a constant index map; inputs: any number of tensors.
    Move(Move),
    /// Gather along an axis with run-time indices (embedding lookup); inputs `[data, indices]`.
    Gather(Gather),
    /// Exact integer square root (RMSNorm's denominator); inputs `[x]`.
    ISqrt(ISqrt),
}

impl Op {
    /// The parameter an op names in its attributes (a lookup's table, a move's index map).
    #[must_use]
    pub fn attr_param(&self) -> Option<ParamId> {
        match self {
            Op::Lookup(l) => Some(l.table),
            Op::Move(m) => Some(m.map),
            Op::Contract(_)
            | Op::Rescale(_)
            | Op::Binary(_)
            | Op::Reduce(_)
            | Op::Div(_)
            | Op::Gather(_)
            | Op::ISqrt(_) => None,
        }
    }

    /// Short name of the primitive.
    #[must_use]
    pub fn name(&self) -> &'static str {
        match self {
            Op::Contract(_) => "Contract",
            Op::Rescale(_) => "Rescale",
            Op::Binary(b) => match b.kind {
                BinaryKind::Add => "Add",
                BinaryKind::Sub => "Sub",
                BinaryKind::Mul => "Mul",
                BinaryKind::Max => "Max",
                BinaryKind::Min => "Min",
            },
            Op::Lookup(_) => "Lookup",
            Op::Reduce(r) => match r.kind {
                ReduceKind::Sum => "ReduceSum",
                ReduceKind::Max => "ReduceMax",
                ReduceKind::ArgMax => "ArgMax",
            },
            Op::Div(_) => "Div",
            Op::Move(_) => "Move",
            Op::Gather(_) => "Gather",
            Op::ISqrt(_) => "ISqrt",
        }
    }
}

/// `out[o] = requant(bias[B(o)]·2^bias_shift + Σ_r x[X(o,r)]·w[W(o,r)])`, terms whose index
/// falls outside an operand being zero (padding).
///
/// `out_iter` refines the output shape (same element count, same row-major order) so that
/// grouped convolutions stay affine; the reduction runs over `red` in row-major order, which
/// fixes the accumulation sequence the dispute game bisects.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contract {
    /// Output iteration dims (product = output element count).
    pub out_iter: Vec<usize>,
    /// Reduction dims.
    pub red: Vec<usize>,
    /// How `x` is read.
    pub x_map: AffineMap,
    /// How `w` is read.
    pub w_map: AffineMap,
    /// How the bias is read (reduction coefficients must be zero); present iff a bias input is.
    pub bias_map: Option<AffineMap>,
    /// Left shift aligning the bias to the accumulator's scale.
    pub bias_shift: u32,
    /// Epilogue.
    pub requant: Requant,
}

/// Which elementwise function.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum BinaryKind {
    /// `a' + b'`
    Add,
    /// `a' - b'`
    Sub,
    /// `a' · b'`
    Mul,
    /// `max(a', b')`
    Max,
    /// `min(a', b')`
    Min,
}

/// `out = requant(f(a·a_mult, b·b_mult))` with numpy broadcasting.
///
/// The multipliers align scales (powers of two) or carry a constant factor (LeakyReLU's slope).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Binary {
    /// Function.
    pub kind: BinaryKind,
    /// Multiplier of `a` (may be negative).
    pub a_mult: i64,
    /// Multiplier of `b` (may be negative).
    pub b_mult: i64,
    /// Epilogue.
    pub requant: Requant,
}

/// `out = table[clamp(x, lo, lo + len - 1) - lo]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lookup {
    /// The table (a rank-1 parameter).
    pub table: ParamId,
    /// Input value of the table's first entry.
    pub lo: i32,
}

/// Which reduction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ReduceKind {
    /// Sum (accumulates from 0).
    Sum,
    /// Maximum (accumulates from the first element).
    Max,
    /// Index of the first maximum, 0-based in the reduction's row-major order (greedy
    /// decoding). One `i64` accumulator keeps value and index together, so the sequence stays
    /// bisectable: see `ops::reduce::fold`.
    ArgMax,
}

/// Reduce `axes` (sorted, distinct) of the input in row-major order, then requantize.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reduce {
    /// Function.
    pub kind: ReduceKind,
    /// Reduced axes.
    pub axes: Vec<usize>,
    /// Whether reduced axes stay as size 1.
    pub keep_dims: bool,
    /// Epilogue.
    pub requant: Requant,
}

/// `out = requant(round_div(a · 2^shift, b))` with broadcasting; `round_div` rounds half away
/// from zero and a zero divisor gives 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Div {
    /// Left shift of the numerator (sets the quotient's scale).
    pub shift: u32,
    /// Epilogue.
    pub requant: Requant,
}

/// `out[j] = cat(inputs)[map[j]]`, or `fill` where `map[j] = -1`; `cat` concatenates the
/// inputs' flat element lists in order. Reshape, Transpose, Slice, Concat, Pad, Expand and
/// Gather-by-constant are all this one primitive.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Move {
    /// Index map (rank-1 parameter, one entry per output element).
    pub map: ParamId,
    /// Value written where the map says -1.
    pub fill: i32,
}

/// `out[.., i.., ..] = data[.., clamp(idx[i..]), ..]` along `axis`; negative indices count
/// from the end, indices outside `[-n, n)` are clamped into range.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Gather {
    /// Gathered axis of `data`.
    pub axis: usize,
}

/// Largest `ISqrt::shift`: the radicand `x · 2^shift` of an `i32` stays below `2^63`.
pub const ISQRT_MAX_SHIFT: u32 = 32;

/// `out[j] = requant(⌊√(max(x[j], 0) · 2^shift)⌋)`: the exact integer square root (RMSNorm).
///
/// `shift` sets the root's scale: an input of scale `s` gives a root of scale `(s + shift) / 2`.
/// Negative inputs count as 0 (a mean of squares never is negative; the op stays total).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ISqrt {
    /// Left shift of the radicand, at most [`ISQRT_MAX_SHIFT`].
    pub shift: u32,
    /// Epilogue.
    pub requant: Requant,
}

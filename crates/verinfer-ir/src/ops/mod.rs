//! Scalar reference semantics: "output element j = f(a few input elements, or a reduction)".
//!
//! Written once, here. The fast executor, the circuits and the Solidity arbiter are other
//! interpretations of these functions and are tested against them.

pub mod binary;
pub mod contract;
pub mod div;
pub mod gather;
pub mod isqrt;
pub mod lookup;
pub mod movement;
pub mod reduce;
pub mod rescale;

use crate::op::Op;

/// A tensor as an op reads it.
#[derive(Clone, Copy, Debug)]
pub struct TensorRef<'a> {
    /// Shape.
    pub shape: &'a [usize],
    /// Row-major elements.
    pub data: &'a [i32],
}

/// Output shape of `op` applied to inputs of shapes `ins`, plus the shapes of the params the
/// op names in its attributes (`table` / `map` lengths), or a description of what is wrong.
///
/// # Errors
/// A message naming the inconsistency; the validator wraps it with the node's identity.
pub fn output_shape(
    op: &Op,
    ins: &[&[usize]],
    attr_param_len: Option<usize>,
) -> Result<Vec<usize>, String> {
    match op {
        Op::Contract(c) => contract::output_shape(c, ins),
        Op::Rescale(_) | Op::ISqrt(_) => one(ins).map(<[usize]>::to_vec),
        Op::Binary(_) | Op::Div(_) => binary::output_shape(ins),
        Op::Lookup(_) => one(ins).map(<[usize]>::to_vec),
        Op::Reduce(r) => reduce::output_shape(r, ins),
        Op::Move(_) => Err(format!(
            "Move output shape is declared, not inferred ({attr_param_len:?})"
        )),
        Op::Gather(g) => gather::output_shape(g, ins),
    }
}

fn one<'a>(ins: &[&'a [usize]]) -> Result<&'a [usize], String> {
    match ins {
        [x] => Ok(x),
        _ => Err(format!("expects 1 input, got {}", ins.len())),
    }
}

/// Evaluate output element `j` of a node with the scalar reference.
///
/// `attr` is the parameter named by the op's attributes (lookup table or move map), if any.
/// Returns `None` only on an `i64` overflow, which the validator rules out for valid graphs.
#[must_use]
pub fn element(
    op: &Op,
    ins: &[TensorRef<'_>],
    attr: Option<TensorRef<'_>>,
    out_shape: &[usize],
    j: usize,
) -> Option<i32> {
    match op {
        Op::Contract(c) => contract::element(c, ins, j),
        Op::Rescale(r) => Some(rescale::element(r, ins.first()?, j)),
        Op::Binary(b) => binary::element(b, pair(ins, out_shape, j)?),
        Op::Lookup(l) => Some(lookup::element(l, ins.first()?, &attr?, j)),
        Op::Reduce(r) => reduce::element(r, ins.first()?, j),
        Op::Div(d) => div::element(d, pair(ins, out_shape, j)?),
        Op::Move(m) => movement::element(m, ins, &attr?, j),
        Op::Gather(g) => gather::element(g, ins.first()?, ins.get(1)?, out_shape, j),
        Op::ISqrt(s) => isqrt::element(s, ins.first()?, j),
    }
}

/// The broadcast operand pair output element `j` of a two-input elementwise node reads.
fn pair(ins: &[TensorRef<'_>], out_shape: &[usize], j: usize) -> Option<(i64, i64)> {
    Some(binary::operands(ins.first()?, ins.get(1)?, out_shape, j))
}

/// An op with an accumulation sequence behind each output element: the ops whose elements
/// the dispute game bisects step by step. Listed once, here.
enum Accumulating<'o> {
    Contract(&'o crate::op::Contract),
    Reduce(&'o crate::op::Reduce),
}

fn accumulating(op: &Op) -> Option<Accumulating<'_>> {
    match op {
        Op::Contract(c) => Some(Accumulating::Contract(c)),
        Op::Reduce(r) => Some(Accumulating::Reduce(r)),
        Op::Rescale(_)
        | Op::Binary(_)
        | Op::Lookup(_)
        | Op::Div(_)
        | Op::Move(_)
        | Op::Gather(_)
        | Op::ISqrt(_) => None,
    }
}

/// Length `K` of the accumulation sequence behind each output element of `op` (0 for ops that
/// compute an element in one step). The dispute game bisects sequences longer than its
/// one-step bound.
#[must_use]
pub fn steps(op: &Op, in_shapes: &[&[usize]]) -> usize {
    match accumulating(op) {
        Some(Accumulating::Contract(c)) => contract::steps(c),
        Some(Accumulating::Reduce(r)) => in_shapes.first().map_or(0, |x| reduce::steps(r, x)),
        None => 0,
    }
}

/// The accumulator `acc_upto` behind output element `j` (before the epilogue), for ops with an
/// accumulation sequence; `None` for the others or on overflow.
#[must_use]
pub fn accumulate(op: &Op, ins: &[TensorRef<'_>], j: usize, upto: usize) -> Option<i64> {
    match accumulating(op)? {
        Accumulating::Contract(c) => contract::accumulate(c, ins, j, upto),
        Accumulating::Reduce(r) => reduce::accumulate(r, ins.first()?, j, upto),
    }
}

/// The epilogue of an accumulating op: what element a final accumulator produces.
#[must_use]
pub fn finish(op: &Op, acc: i64) -> Option<i32> {
    match accumulating(op)? {
        Accumulating::Contract(c) => Some(c.requant.apply(acc)),
        Accumulating::Reduce(r) => Some(reduce::finish(r, acc)),
    }
}

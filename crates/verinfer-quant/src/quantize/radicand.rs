//! Wide radicands: the sums and products whose only use is a square root
//! (`sqrt(re² + im²)` of a spectrum, `sqrt(Σ x²)` of a norm).
//!
//! A square has twice its operand's dynamic range: at the working width `B`, its scale is set
//! by the largest square, and every square below one step of it — most bins of a magnitude
//! spectrum — rounds to 0, so its root is lost entirely (a root of `k` steps is off by up to
//! `√k` steps of the radicand). Held at `2B − 1` bits (at most 31, the `i32` element) the
//! radicand keeps the precision its operands had, and the exact integer root (`ISqrt`) returns
//! `B` good bits. Only nodes that cannot add range beyond the product of their inputs
//! qualify (sums, differences, products, sum reductions, constant factors such as a mean's 1/N), so the wider tensor never feeds
//! anything but another radicand or the root.
//!
//! The same holds for a value whose only use is a logarithm (a log-mel spectrogram's
//! `log(max(mel · |X|², ε))`): its precision is relative, so it is held at the radicand width
//! and its log computed exactly to the mantissa (`wide_log.rs`). That chain may also pass
//! through a contraction with constant weights (the mel filter bank: sums of products), a
//! clip (`max`/`min`, which narrow the range) and data movement.

use verinfer_ir::{BinaryKind, ReduceKind};

use crate::fgraph::{FGraph, FOp, FRef};
use crate::func::Func;
use crate::quantize::live::live_consumers;

/// The width of a radicand for working width `bits`.
#[must_use]
pub(crate) fn radicand_bits(bits: u32) -> u32 {
    (2 * bits - 1).min(31)
}

/// Per node: whether it is a radicand or a logarithm's wide operand (see the module doc). `live` marks the nodes that reach
/// an output; graph outputs themselves stay at the working width.
#[must_use]
pub(crate) fn radicands(fg: &FGraph, live: &[bool]) -> Vec<bool> {
    let n = fg.nodes.len();
    let consumers = live_consumers(fg, live);
    let outputs = fg.output_nodes();
    let mut wide = vec![false; n];
    // Nodes are in topological order: every consumer of `i` has a larger index.
    for i in (0..n).rev() {
        let sums_or_products = matches!(
            fg.nodes[i].op,
            FOp::Binary {
                kind: BinaryKind::Add | BinaryKind::Sub | BinaryKind::Mul,
                ..
            } | FOp::Reduce {
                kind: ReduceKind::Sum,
                ..
            } | FOp::Scale(_)
        );
        wide[i] = sums_or_products
            && !outputs.contains(&i)
            && !consumers[i].is_empty()
            && consumers[i]
                .iter()
                .all(|&j| matches!(fg.nodes[j].op, FOp::Sqrt) || wide[j]);
    }
    let mut log_wide = vec![false; n];
    for i in (0..n).rev() {
        let node = &fg.nodes[i];
        let keeps_relative_precision = match &node.op {
            FOp::Binary { .. }
            | FOp::Reduce {
                kind: ReduceKind::Sum,
                ..
            }
            | FOp::Scale(_) => true,
            FOp::Contract(_) => matches!(node.inputs.get(1), Some(FRef::Const(_))),
            FOp::Move { fill, .. } => fill.is_finite(),
            _ => false,
        };
        log_wide[i] = keeps_relative_precision
            && !outputs.contains(&i)
            && !consumers[i].is_empty()
            && consumers[i]
                .iter()
                .all(|&j| matches!(fg.nodes[j].op, FOp::Lookup(Func::Log)) || log_wide[j]);
    }
    wide.iter_mut().zip(log_wide).for_each(|(w, l)| *w |= l);
    wide
}

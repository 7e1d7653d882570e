//! Nodes held wider than `B` because their rounding reaches an output.
//!
//! At `B` bits every tensor keeps about `B − 2` bits of its calibrated range. Most of a
//! network does not need more, but some outputs amplify the rounding of the layers before
//! them: a detector's sigmoid over logits spanning [−167, 100] turns a logit error of 1
//! (under 1% of their range, far inside the per-node tolerance) into a probability error of
//! 0.25 at the text edges, where the logit is near 0. Which nodes must be wider is measured,
//! not guessed (`crate::widen`); this module quantizes a graph with the widths chosen there.
//! A widened node computes exactly as it would at `B` bits but at its own width `w` (its
//! scale the finest that holds its calibrated range in `w` bits), and a constant operand
//! beside a wide value is held as wide as the `i64` accumulator allows, as for wide inputs.

use verinfer_ir::{Bits, Graph};

use super::{quantize_at, QuantOptions, Q};
use crate::calibrate::Stats;
use crate::error::QuantError;
use crate::fgraph::{FGraph, FRef};
use crate::fixed_point::best_scale;

/// The widest a node may be held: the `i32` element.
pub const MAX_WIDTH: u32 = 31;

/// [`super::quantize`] with node `i` held at `widths[i]` bits where that is above `B`
/// (`opts.bits`); missing entries and widths up to `B` leave the node to the other rules.
/// A radicand, a wide root or a node pinned to exact integers keeps its own width.
///
/// # Errors
/// A width above [`MAX_WIDTH`], and everything [`super::quantize`] refuses.
pub fn quantize_widened(
    fg: &FGraph,
    stats: &Stats,
    opts: QuantOptions,
    widths: &[u32],
) -> Result<Graph, QuantError> {
    if let Some((i, w)) = widths.iter().enumerate().find(|(_, &w)| w > MAX_WIDTH) {
        return Err(QuantError::BadData(format!(
            "node {i} asked to be held at {w} bits; at most {MAX_WIDTH} fit an element"
        )));
    }
    quantize_at(fg, stats, opts, widths)
}

impl Q<'_> {
    /// The width node `i` is widened to, if the other rules leave it at `B` bits.
    pub(super) fn widened_bits(&self, i: usize) -> Option<u32> {
        let w = self.widened.get(i).copied().unwrap_or(0);
        let other =
            self.radicand.get(i).copied().unwrap_or(false) || self.fg.exact_ints.contains_key(&i);
        (w > self.opts.bits && !other).then_some(w)
    }

    /// Quantize node `i` at `w` bits, at the finest scale that holds its calibrated range.
    pub(super) fn node_widened(
        &mut self,
        i: usize,
        w: u32,
        pinned_input: bool,
    ) -> Result<(), QuantError> {
        let s = best_scale(self.headroomed(FRef::Node(i)), w);
        let saved = self.bits;
        self.bits = Bits::new(w)?;
        self.wide = pinned_input;
        self.widening = true;
        let r = self.node_at(i, s);
        self.bits = saved;
        self.wide = false;
        self.widening = false;
        r
    }
}

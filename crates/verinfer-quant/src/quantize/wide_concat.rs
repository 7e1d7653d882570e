//! Output concatenations of differently scaled tensors, held at the finest scale.
//!
//! A data movement has one scale, so a `Concat` of tensors with different ranges rescales them
//! onto the coarsest one. Inside a network that is what the next layer needs anyway; but a
//! detector's output concatenates box coordinates (up to the image size, 320 for a 320×320
//! YOLO) with class probabilities (at most 1): at 16 bits the shared step is 2^−5, so every
//! probability is off by up to 1/64 and scores near a decision threshold flip. A graph output
//! that only concatenates (no node consumes it) is therefore held at the finest input scale,
//! as wide as that needs (at most the radicand width `2B − 1`, 31 bits): shifting a value left
//! onto a finer scale is exact, so every part keeps the precision it was computed with.

use crate::fgraph::{FGraph, FOp};
use crate::quantize::live::live_consumers;

/// Per node: a data movement that is a graph output and feeds no live node.
#[must_use]
pub(crate) fn output_moves(fg: &FGraph, live: &[bool]) -> Vec<bool> {
    let n = fg.nodes.len();
    let consumers = live_consumers(fg, live);
    let outputs = fg.output_nodes();
    (0..n)
        .map(|i| {
            matches!(fg.nodes[i].op, FOp::Move { .. })
                && outputs.contains(&i)
                && consumers[i].is_empty()
        })
        .collect()
}

/// The (scale exponent, bits) of a data movement's output, from its run-time inputs'.
/// By default the coarsest scale and the widest input. With `finest`, the finest scale whose
/// values all fit in `cap` bits (never coarser than the default), and the bits that takes.
#[must_use]
pub(crate) fn move_format(ins: &[(i32, u32)], finest: bool, cap: u32) -> Option<(i32, u32)> {
    let coarse = ins.iter().map(|v| v.0).min()?;
    let widest = ins.iter().map(|v| v.1).max()?;
    let fine = ins.iter().map(|v| v.0).max()?;
    if !finest || fine == coarse || widest >= cap {
        return Some((coarse, widest));
    }
    let cap = i32::try_from(cap).ok()?;
    let fits = ins
        .iter()
        .map(|&(s, b)| s + cap - i32::try_from(b).unwrap_or(cap))
        .min()?;
    let s = fits.clamp(coarse, fine);
    let bits = ins
        .iter()
        .map(|&(si, b)| i32::try_from(b).unwrap_or(cap) + (s - si).max(0))
        .max()?;
    Some((s, u32::try_from(bits).ok()?))
}

#[cfg(test)]
mod tests {
    use super::move_format;

    #[test]
    fn coarsest_scale_unless_finest() {
        let ins = [(5, 16), (14, 16)];
        assert_eq!(move_format(&ins, false, 31), Some((5, 16)));
        // Box coordinates at 2^-5 beside probabilities at 2^-14: 9 more bits, 25 in all.
        assert_eq!(move_format(&ins, true, 31), Some((14, 25)));
    }

    #[test]
    fn finest_is_capped_by_the_width() {
        // 20 more bits would be 36: the scale stops where the coarse part fills 31 bits.
        assert_eq!(move_format(&[(0, 16), (20, 16)], true, 31), Some((15, 31)));
        assert_eq!(move_format(&[(3, 16), (3, 16)], true, 31), Some((3, 16)));
        assert_eq!(move_format(&[], true, 31), None);
    }
}

//! Square roots held wide for a wide consumer, narrowed for the others.
//!
//! A magnitude `√(re² + im²)` that goes on into a logarithm (`log(ε + k·√…)`, an older
//! silero's front end) needs the log's relative precision: at the working width `B` its scale
//! is set by the loudest bin and the quiet bins keep a few steps or none before the log reads
//! them. The nodes between the root and the log are held wide (`radicand.rs`), but the root
//! itself is not when it also feeds something else (the same magnitude concatenated with the
//! normalized log-spectrum). So a root with any consumer held wide is computed at the radicand
//! width (`ISqrt` of a 31-bit radicand fits: `X · 2^shift < 2^62`), and its other consumers
//! read it through one `Rescale` back to its calibrated `B`-bit scale — what they read before.

use crate::error::QuantError;
use crate::fgraph::{FGraph, FOp, FRef};

use super::Q;

/// A quantized value and its tensor info.
pub(super) type Quantized = (verinfer_ir::Operand, verinfer_ir::TensorInfo);

/// Per node: a live `Sqrt`, not a graph output, one of whose live consumers is held wide
/// (`wide[j]`, from `radicand.rs` and `wide_input.rs`).
#[must_use]
pub(crate) fn wide_roots(fg: &FGraph, live: &[bool], wide: &[bool]) -> Vec<bool> {
    let n = fg.nodes.len();
    let mut roots = vec![false; n];
    let outputs = fg.output_nodes();
    for (j, node) in fg.nodes.iter().enumerate() {
        if !live.get(j).copied().unwrap_or(false) || !wide.get(j).copied().unwrap_or(false) {
            continue;
        }
        for r in &node.inputs {
            if let FRef::Node(i) = *r {
                if i < n && matches!(fg.nodes[i].op, FOp::Sqrt) && !outputs.contains(&i) {
                    roots[i] = true;
                }
            }
        }
    }
    roots
}

impl Q<'_> {
    /// For node `j` (not held wide): swap each wide root among its inputs for its `B`-bit
    /// rescale (made once per root, kept in `narrowed`). Returns what to restore afterwards.
    pub(super) fn narrow_roots(&mut self, j: usize) -> Result<Vec<(FRef, Quantized)>, QuantError> {
        let mut saved = Vec::new();
        if self.radicand.get(j).copied().unwrap_or(false) {
            return Ok(saved);
        }
        let inputs = self.fg.nodes[j].inputs.clone();
        for r in inputs {
            let FRef::Node(i) = r else { continue };
            if !self.wide_root.get(i).copied().unwrap_or(false)
                || saved.iter().any(|(s, _)| *s == r)
            {
                continue;
            }
            let wide = self.operand(r, None)?;
            let narrowed = match self.narrowed.get(&i) {
                Some(v) => v.clone(),
                None => {
                    let s = self.stat_scale(r);
                    let name = format!("{}/narrow", self.fg.nodes[i].name);
                    let origin = self.fg.nodes[i].origin.clone();
                    let bits = verinfer_ir::Bits::new(self.opts.bits)?;
                    let v = self.rescale(&name, &origin, wide.clone(), s, bits)?;
                    self.narrowed.insert(i, v.clone());
                    v
                }
            };
            self.vals.insert(r, narrowed);
            saved.push((r, wide));
        }
        Ok(saved)
    }
}

//! Wide inputs: a float input whose features span many orders of magnitude.
//!
//! A tensor has one power-of-two scale. Raw tabular data (scikit-learn's breast-cancer
//! features reach 4,254 beside features near 0.001) quantized at `B` bits gets its scale from
//! the largest feature, and the small features keep a handful of steps or none: a scaler's
//! `(x − mean)/std` or a linear model's `w·x` then reads them as 0, a tree compares them with
//! thresholds it cannot resolve. So an input with a feature of fewer than
//! [`MIN_FEATURE_STEPS`] steps at its `B`-bit scale (but not 0) is held at the radicand width
//! `2B − 1` (31 bits), and so are the nodes that only move it or shift it by a constant
//! (feature gathers, a scaler's offset, a tree's `x − θ`) or square it (a naive Bayes'
//! `(x − θ)²`): they keep the per-feature dynamic range. The first node that combines it otherwise returns to `B` bits, with its constant
//! operand (a per-feature scale, a linear model's coefficients) held as wide as the `i64`
//! accumulator allows ([`wide_const_bits`]), since a per-feature constant has the same spread.

use verinfer_ir::{BinaryKind, Operand, ParamKind, TensorInfo};

use super::Q;
use crate::calibrate::Stats;
use crate::error::QuantError;
use crate::fgraph::{FGraph, FOp, FRef};
use crate::fixed_point::best_scale;

/// A feature with fewer steps than this at its input's `B`-bit scale makes the input wide.
pub(crate) const MIN_FEATURE_STEPS: f64 = 16.0;

/// Per graph input: whether it is wide (see the module doc). `headroom` is the factor the
/// calibrated magnitude is widened by.
#[must_use]
pub(crate) fn wide_inputs(fg: &FGraph, stats: &Stats, bits: u32, headroom: f64) -> Vec<bool> {
    fg.inputs
        .iter()
        .enumerate()
        .map(|(i, inp)| {
            if inp.integer {
                return false;
            }
            let Some(elems) = stats.input_elems.get(i) else {
                return false;
            };
            let max = elems.iter().fold(0.0f64, |a, &v| a.max(v));
            if max <= 0.0 {
                return false;
            }
            let step = 2f64.powi(-best_scale(max * headroom, bits));
            elems
                .iter()
                .any(|&m| m > 0.0 && m < MIN_FEATURE_STEPS * step)
        })
        .collect()
}

/// Per node: whether it carries a wide input onward — a data movement of wide tensors only, a
/// sum/difference of a wide tensor and a constant, or the square of a wide tensor — and is not
/// a graph output.
#[must_use]
pub(crate) fn wide_nodes(fg: &FGraph, inputs: &[bool], live: &[bool]) -> Vec<bool> {
    let outputs = fg.output_nodes();
    let mut wide = vec![false; fg.nodes.len()];
    if !inputs.iter().any(|&w| w) {
        return wide;
    }
    for (i, node) in fg.nodes.iter().enumerate() {
        if !live.get(i).copied().unwrap_or(false) || outputs.contains(&i) {
            continue;
        }
        let is_wide = |r: &FRef| match r {
            FRef::Input(k) => inputs.get(*k).copied().unwrap_or(false),
            FRef::Node(k) => wide.get(*k).copied().unwrap_or(false),
            FRef::Const(_) => false,
        };
        let runtime: Vec<&FRef> = node
            .inputs
            .iter()
            .filter(|r| !matches!(r, FRef::Const(_)))
            .collect();
        wide[i] = match node.op {
            FOp::Move { .. } => !runtime.is_empty() && runtime.iter().all(|r| is_wide(r)),
            FOp::Binary {
                kind: BinaryKind::Add | BinaryKind::Sub,
                ..
            } => runtime.len() == 1 && is_wide(runtime[0]),
            // A square `(x − θ)²` before a per-feature normalization (a Gaussian naive
            // Bayes' `(x − θ)²/σ²`): at `B` bits the small features' squares would round to 0.
            FOp::Binary {
                kind: BinaryKind::Mul,
                ..
            } => runtime.len() == 2 && runtime[0] == runtime[1] && is_wide(runtime[0]),
            _ => false,
        };
    }
    wide
}

/// Bits for a constant multiplied by a value of `x_bits` bits and summed `terms` times, with
/// a factor of `mult_bits` bits: as wide as keeps the accumulator below `2^61` (the validator's
/// bound is `2^62`), at most 31 (the `i32` element) and at least `bits`.
#[must_use]
pub(crate) fn wide_const_bits(bits: u32, x_bits: u32, terms: usize, mult_bits: u32) -> u32 {
    let log_terms = usize::BITS - terms.saturating_sub(1).leading_zeros();
    // |x| < 2^(x_bits−1), |c| < 2^(c_bits−1): the sum stays below 2^(x_bits + c_bits − 2 +
    // log_terms + mult_bits).
    let room = 63u32.saturating_sub(x_bits + log_terms + mult_bits);
    room.clamp(bits, 31)
}

/// A quantized operand and its facts.
type Val = (Operand, TensorInfo);

/// Bits of `|m|`: `|m| < 2^mult_bits(m)`.
fn mult_bits(m: i64) -> u32 {
    64 - m.unsigned_abs().leading_zeros()
}

impl Q<'_> {
    /// The operand `r` as the constant side of a product with `x` summed over `terms`: as
    /// wide as [`wide_const_bits`] allows when `x` is wider than `B` (a wide input's features
    /// meet per-feature constants of the same spread), otherwise at `B` bits.
    pub(super) fn factor_operand(
        &mut self,
        r: FRef,
        x: &Val,
        terms: usize,
        mult: i64,
    ) -> Result<Val, QuantError> {
        match r {
            // A widened node (`widened.rs`) holds its weights at its own width, or wider
            // where the rule below gives more.
            FRef::Const(c) if self.widening => {
                let w = self.bits.get();
                let b = if x.1.bits.get() > self.opts.bits {
                    wide_const_bits(self.opts.bits, x.1.bits.get(), terms, mult_bits(mult)).max(w)
                } else {
                    w
                };
                self.param(c, None, b, ParamKind::Weight)
            }
            FRef::Const(c) if x.1.bits.get() > self.opts.bits => {
                let b = wide_const_bits(self.opts.bits, x.1.bits.get(), terms, mult_bits(mult));
                self.param(c, None, b, ParamKind::Weight)
            }
            other => self.operand(other, None),
        }
    }

    /// The operands of an element-wise product with multiplier `mult`: a constant next to a
    /// wide value is held wide ([`Self::factor_operand`]).
    pub(super) fn mul_operands(
        &mut self,
        ra: FRef,
        rb: FRef,
        mult: i64,
    ) -> Result<(Val, Val), QuantError> {
        Ok(match (ra, rb) {
            (FRef::Const(_), other) => {
                let b = self.operand(other, None)?;
                (self.factor_operand(ra, &b, 1, mult)?, b)
            }
            (other, FRef::Const(_)) => {
                let a = self.operand(other, None)?;
                let b = self.factor_operand(rb, &a, 1, mult)?;
                (a, b)
            }
            _ => (self.operand(ra, None)?, self.operand(rb, None)?),
        })
    }
}

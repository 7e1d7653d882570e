//! Calibration: the range of every tensor of the float lowered graph over sample inputs.

use rayon::prelude::*;

use crate::error::QuantError;
use crate::fgraph::{FGraph, FRef};
use crate::frun::run_float;
use crate::tolerance::FloatOutputs;

/// Observed range of one tensor (finite values only; padding fills of ±∞ are ignored).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Range {
    /// Smallest value seen.
    pub min: f64,
    /// Largest value seen.
    pub max: f64,
    /// Whether −∞ was seen (a mask or padding fill), tracked apart from the finite range.
    pub neg_inf: bool,
}

impl Range {
    const EMPTY: Range = Range {
        min: f64::INFINITY,
        max: f64::NEG_INFINITY,
        neg_inf: false,
    };

    fn add(&mut self, v: f64) {
        if v.is_finite() {
            self.min = self.min.min(v);
            self.max = self.max.max(v);
        } else if v == f64::NEG_INFINITY {
            self.neg_inf = true;
        }
    }

    fn merge(self, o: Range) -> Range {
        Range {
            min: self.min.min(o.min),
            max: self.max.max(o.max),
            neg_inf: self.neg_inf || o.neg_inf,
        }
    }

    /// Largest magnitude (0 for a tensor never seen).
    #[must_use]
    pub fn max_abs(&self) -> f64 {
        if self.min > self.max {
            0.0
        } else {
            self.min.abs().max(self.max.abs())
        }
    }

    /// Whether any finite value was seen.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.min > self.max
    }
}

/// Ranges of every input and node.
#[derive(Clone, Debug, PartialEq)]
pub struct Stats {
    /// Per graph input.
    pub inputs: Vec<Range>,
    /// Per node.
    pub nodes: Vec<Range>,
    /// Per graph input, per element: the largest magnitude seen (empty until a sample is
    /// observed). A tensor has one scale, so an input whose features span many orders of
    /// magnitude (raw tabular data) is held wider: `quantize/wide_input.rs`.
    pub input_elems: Vec<Vec<f64>>,
    /// Number of samples seen.
    pub samples: usize,
}

impl Stats {
    /// Range of a tensor; constants report their own values.
    #[must_use]
    pub fn range(&self, g: &FGraph, r: FRef) -> Range {
        match r {
            FRef::Input(i) => self.inputs[i],
            FRef::Node(i) => self.nodes[i],
            FRef::Const(i) => {
                let mut rg = Range::EMPTY;
                g.consts[i].values().for_each(|v| rg.add(v));
                rg
            }
        }
    }
}

impl Stats {
    /// No sample seen yet.
    #[must_use]
    pub fn empty(g: &FGraph) -> Self {
        Self {
            inputs: vec![Range::EMPTY; g.inputs.len()],
            nodes: vec![Range::EMPTY; g.nodes.len()],
            input_elems: vec![Vec::new(); g.inputs.len()],
            samples: 0,
        }
    }

    /// Adds one sample: its inputs and every node's values (as [`run_float`] returns them),
    /// so a caller that runs the float graph anyway (a language model's sessions) calibrates
    /// without running it again.
    pub fn observe(&mut self, inputs: &[Vec<f64>], nodes: &[Vec<f64>]) {
        for (r, d) in self.inputs.iter_mut().zip(inputs) {
            d.iter().for_each(|&v| r.add(v));
        }
        for (e, d) in self.input_elems.iter_mut().zip(inputs) {
            merge_elems(
                e,
                d.iter().map(|v| if v.is_finite() { v.abs() } else { 0.0 }),
            );
        }
        for (r, d) in self.nodes.iter_mut().zip(nodes) {
            d.iter().for_each(|&v| r.add(v));
        }
        self.samples += 1;
    }

    /// The ranges of both.
    #[must_use]
    pub fn merge(mut self, o: &Stats) -> Stats {
        for (a, b) in self.inputs.iter_mut().zip(&o.inputs) {
            *a = a.merge(*b);
        }
        for (a, b) in self.nodes.iter_mut().zip(&o.nodes) {
            *a = a.merge(*b);
        }
        for (a, b) in self.input_elems.iter_mut().zip(&o.input_elems) {
            merge_elems(a, b.iter().copied());
        }
        self.samples += o.samples;
        self
    }
}

/// Element-wise maximum of `acc` and `new` (an empty `acc` takes `new`; a sample of another
/// length — inputs of varying size — keeps the common prefix's maxima and the longer tail).
fn merge_elems(acc: &mut Vec<f64>, new: impl Iterator<Item = f64>) {
    for (k, v) in new.enumerate() {
        match acc.get_mut(k) {
            Some(a) => *a = a.max(v),
            None => acc.push(v),
        }
    }
}

/// Run every sample through the float graph (in parallel) and record ranges; `progress` is
/// called once per finished sample.
///
/// # Errors
/// Inputs of the wrong count or length.
pub fn calibrate(
    g: &FGraph,
    samples: &[Vec<Vec<f64>>],
    progress: &(dyn Fn() + Sync),
) -> Result<Stats, QuantError> {
    Ok(calibrate_keeping(g, samples, &[], progress)?.0)
}

/// [`calibrate`], also keeping the output nodes' values of the samples at `keep` (ascending
/// indices), so that the width probe judges quantizations against them without running the
/// float graph again.
///
/// # Errors
/// Inputs of the wrong count or length.
pub fn calibrate_keeping(
    g: &FGraph,
    samples: &[Vec<Vec<f64>>],
    keep: &[usize],
    progress: &(dyn Fn() + Sync),
) -> Result<(Stats, FloatOutputs), QuantError> {
    let per: Vec<(Stats, Option<Vec<Vec<f64>>>)> = samples
        .par_iter()
        .enumerate()
        .map(|(j, s)| {
            let mut vals = run_float(g, s)?;
            progress();
            let mut st = Stats::empty(g);
            st.observe(s, &vals);
            let kept = keep
                .binary_search(&j)
                .is_ok()
                .then(|| FloatOutputs::pick(g, &mut vals));
            Ok((st, kept))
        })
        .collect::<Result<_, QuantError>>()?;
    let stats = per
        .iter()
        .map(|(s, _)| s)
        .fold(Stats::empty(g), Stats::merge);
    let kept = per.into_iter().filter_map(|(_, k)| k).collect();
    Ok((stats, FloatOutputs::from_picked(g, kept)))
}

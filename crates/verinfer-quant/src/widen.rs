//! Choosing per-tensor widths: widen the nodes whose rounding reaches an output, and no more.
//!
//! A graph quantized at `B` bits whose outputs are within tolerance is kept as it is. One
//! whose output strays (the first node beyond tolerance is the *divergence*: a detector's
//! sigmoid, a recognizer's attention softmax) gets its error from the rounding of the nodes
//! before it, amplified. Which of them matter is measured: the path is the divergent node,
//! the nodes from it to the failing outputs, and their ancestors by distance; the nodes
//! within distance `k` are held at `B + 4` bits (then `B + 8`, at most 31) for `k = 0, 1, 2,
//! 4, …`, each candidate quantized and run on the calibration samples (up to
//! [`PROBE_SAMPLES`]; the fast executor against the float graph's outputs, kept from
//! calibration's own runs; a candidate stops at its first sample beyond tolerance, and the
//! samples that failed come first), until every output is within tolerance. The first that
//! is wins, so the widened set is at most twice as deep as needed; if none is, the `B`-bit
//! graph is returned and `compile` refuses it as before, naming the node.

use std::collections::VecDeque;

use verinfer_ir::Graph;

use crate::calibrate::Stats;
use crate::error::QuantError;
use crate::fgraph::{FGraph, FRef};
use crate::quantize::{quantize, quantize_widened, QuantOptions, MAX_WIDTH};
use crate::tolerance::{node_errors, FloatOutputs};

/// Calibration samples each candidate is measured on, spread over the calibration set: an
/// error that shows on a few inputs only (a recognizer's attention on some text lines) must
/// be seen, and the fast executor makes each run cheap.
pub const PROBE_SAMPLES: usize = 32;

/// Samples beyond tolerance (the worst first) whose every node is compared to find where the
/// error starts: each costs a float run, the slowest thing a compile does.
pub const START_SAMPLES: usize = 4;

/// Extra bits of a widened node, tried in order.
pub const EXTRA_BITS: [u32; 2] = [4, 8];

/// Indices of the samples the probe runs: at most [`PROBE_SAMPLES`] of `n`, evenly spaced
/// (all of them when they are fewer), ascending.
#[must_use]
pub fn probe_indices(n: usize) -> Vec<usize> {
    let m = n.min(PROBE_SAMPLES);
    (0..m).map(|j| j * n / m).collect()
}

/// Quantize `fg`, widening nodes along the path of an output's excess error (module doc).
/// `probe` are the samples at [`probe_indices`] of the calibration set and `float` the float
/// graph's outputs on them (kept from calibration: [`crate::calibrate::calibrate_keeping`]).
/// With `opts.wide_inputs` off (language-model step graphs, whose widths are fixed by their
/// state inputs) this is [`quantize`].
///
/// # Errors
/// Everything [`quantize`] refuses, and a failing probe run.
pub fn quantize_auto(
    fg: &FGraph,
    stats: &Stats,
    opts: QuantOptions,
    probe: &[Vec<Vec<f64>>],
    float: &FloatOutputs,
) -> Result<Graph, QuantError> {
    let g = quantize(fg, stats, opts)?;
    if !opts.wide_inputs || probe.is_empty() {
        return Ok(g);
    }
    let all: Vec<usize> = (0..probe.len()).collect();
    let mut bad = float.check(fg, &g, probe, &all, false)?;
    bad.retain(|c| !c.failing.is_empty());
    if bad.is_empty() {
        return Ok(g);
    }
    bad.sort_by(|a, b| b.worst.total_cmp(&a.worst));
    let mut failing: Vec<usize> = bad.iter().flat_map(|c| c.failing.iter().copied()).collect();
    failing.sort_unstable();
    failing.dedup();
    // Where the error starts: every node compared, on the samples that fail worst.
    let worst: Vec<Vec<Vec<f64>>> = bad
        .iter()
        .take(START_SAMPLES)
        .filter_map(|c| probe.get(c.sample).cloned())
        .collect();
    let errs = node_errors(fg, &g, &worst)?;
    let Some(start) = errs.iter().position(|e| e.is_some_and(|e| e.ratio() > 1.0)) else {
        return Ok(g);
    };
    tracing::debug!(start = %fg.nodes[start].name, failing = failing.len(), samples = bad.len(), "probe: an output is beyond tolerance");
    // Candidates meet the samples that failed first (the last failure in front), so a
    // failing one stops early.
    let mut order: Vec<usize> = bad
        .iter()
        .map(|c| c.sample)
        .chain(
            all.iter()
                .copied()
                .filter(|j| !bad.iter().any(|c| c.sample == *j)),
        )
        .collect();
    let dist = distances(fg, start, &failing);
    let deepest = dist.iter().flatten().copied().max().unwrap_or(0);
    for extra in EXTRA_BITS {
        let w = (opts.bits + extra).min(MAX_WIDTH);
        let mut k = 0usize;
        loop {
            let widths: Vec<u32> = dist
                .iter()
                .map(|d| if d.is_some_and(|d| d <= k) { w } else { 0 })
                .collect();
            // A candidate the validator refuses (an accumulator too wide) is not a choice.
            match quantize_widened(fg, stats, opts, &widths) {
                Ok(cand) => {
                    let checks = float.check(fg, &cand, probe, &order, true)?;
                    let worst = checks.iter().map(|c| c.worst).fold(0.0, f64::max);
                    if checks.iter().all(|c| c.failing.is_empty()) {
                        tracing::info!(
                            widened = widths.iter().filter(|&&b| b > 0).count(),
                            bits = w,
                            depth = k,
                            worst,
                            "widened the nodes whose error reaches an output"
                        );
                        return Ok(cand);
                    }
                    tracing::debug!(
                        bits = w,
                        depth = k,
                        worst,
                        runs = checks.len(),
                        "probe: candidate beyond tolerance (error / tolerance)"
                    );
                    if let Some(last) = checks.last() {
                        order.retain(|&j| j != last.sample);
                        order.insert(0, last.sample);
                    }
                }
                Err(e) => tracing::debug!(bits = w, depth = k, %e, "probe: candidate refused"),
            }
            if k >= deepest {
                break;
            }
            k = if k == 0 { 1 } else { (2 * k).min(deepest) };
        }
    }
    Ok(g)
}

/// Per node: its distance (in edges, backwards) from the path that carries the error from
/// `start` to the `failing` outputs (the nodes downstream of `start` that reach one of them,
/// `start` included, at distance 0); `None` for the nodes off every such path.
fn distances(fg: &FGraph, start: usize, failing: &[usize]) -> Vec<Option<usize>> {
    let n = fg.nodes.len();
    // Downstream of `start` ...
    let mut below = vec![false; n];
    below[start] = true;
    for j in start + 1..n {
        below[j] = fg.nodes[j]
            .inputs
            .iter()
            .any(|r| matches!(r, FRef::Node(i) if below.get(*i).copied().unwrap_or(false)));
    }
    // ... and upstream of a failing output.
    let mut above = vec![false; n];
    for &o in failing {
        if let Some(a) = above.get_mut(o) {
            *a = true;
        }
    }
    for j in (0..n).rev() {
        if above[j] {
            for r in &fg.nodes[j].inputs {
                if let FRef::Node(i) = r {
                    if let Some(a) = above.get_mut(*i) {
                        *a = true;
                    }
                }
            }
        }
    }
    let mut dist: Vec<Option<usize>> = (0..n)
        .map(|j| (below[j] && above[j]).then_some(0))
        .collect();
    dist[start] = Some(0);
    let mut queue: VecDeque<usize> = (0..n).filter(|&j| dist[j] == Some(0)).collect();
    while let Some(j) = queue.pop_front() {
        let d = dist[j].unwrap_or(0);
        for r in &fg.nodes[j].inputs {
            if let FRef::Node(i) = *r {
                if i < n && dist[i].is_none() {
                    dist[i] = Some(d + 1);
                    queue.push_back(i);
                }
            }
        }
    }
    dist
}

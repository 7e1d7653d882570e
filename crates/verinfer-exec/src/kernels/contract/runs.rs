//! The narrow-weight outputs of a contraction as runs of rows, planned once per plan.
//!
//! Which outputs can share one segment call depends only on the access tables (where each
//! output's `x` row and `w` row start), never on the values, so it is worked out when the plan
//! is built instead of per output on every run (one odometer step, two start look-ups and two
//! comparisons an output were a quarter of a decoding step). A **group** is `rows` weight rows
//! of `n` consecutive outputs each, all reading the same `n·k` activation elements at `x0`
//! (stage 1 of the exact block import: output `(r, b)` reads activation block `b` and weight
//! block `(r, b)`, so one group is the whole node): output `out + r·n + j` is
//! `Σ_s x[x0 + j·k + s]·w[w0 + (r·n + j)·k + s]`.

use super::narrow::NarrowW;
use crate::kernels::requant::FastRequant;
use crate::odometer::Odometer;
use crate::par;

/// One group of runs (see the module doc).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Group {
    /// Flat output index of its first output.
    pub out: usize,
    /// Outputs per weight row.
    pub n: usize,
    /// Weight rows.
    pub rows: usize,
    /// Start of the shared activation elements.
    pub x0: usize,
    /// Start of the first weight row's elements.
    pub w0: usize,
}

impl Group {
    fn end(&self) -> usize {
        self.out + self.rows * self.n
    }
}

/// The groups covering every output, in output order.
pub(crate) struct NarrowRuns {
    groups: Vec<Group>,
    k: usize,
}

impl NarrowRuns {
    /// Plan the runs of `nout` outputs walked by `dims`/`weights` (`[x key, w key, _]`):
    /// `x_start(key)` and `w_start(key)` give where a key's row starts in its buffer. `None`
    /// when a row has no fixed start or the runs are too short to pay (under four outputs a
    /// group on average: the per-output path then costs the same and keeps no table).
    pub(crate) fn plan(
        nout: usize,
        k: usize,
        dims: &[usize],
        weights: &[[i64; 3]],
        x_start: impl Fn(usize) -> Option<usize>,
        w_start: impl Fn(usize) -> usize,
    ) -> Option<Self> {
        if k == 0 {
            return None;
        }
        let mut groups: Vec<Group> = Vec::new();
        // The run being extended: (first output, length, x start, w start).
        let mut run: Option<(usize, usize, usize, usize)> = None;
        let mut odo = Odometer::new(0, dims, weights);
        for o in 0..nout {
            // Keys are in range: sums of in-range strides.
            let [xk, wk, _] = odo.pos;
            let (xs, wst) = (x_start(xk as usize)?, w_start(wk as usize));
            odo.step();
            run = match run {
                Some((o0, n, x0, w0)) if xs == x0 + n * k && wst == w0 + n * k => {
                    Some((o0, n + 1, x0, w0))
                }
                Some(done) => {
                    push_run(&mut groups, done, k);
                    if groups.len().saturating_mul(4) > nout {
                        return None;
                    }
                    Some((o, 1, xs, wst))
                }
                None => Some((o, 1, xs, wst)),
            };
        }
        if let Some(done) = run {
            push_run(&mut groups, done, k);
        }
        Some(Self { groups, k })
    }

    /// The groups (for tests).
    #[cfg(test)]
    pub(crate) fn groups(&self) -> &[Group] {
        &self.groups
    }

    /// Compute every output: `x` is the buffer the `x` starts index, `bias` absent (plans
    /// with a bias keep the per-output path).
    pub(crate) fn fill(
        &self,
        x: &[i32],
        ws: &NarrowW,
        requant: &FastRequant,
        chunk: usize,
        out: &mut [i32],
    ) {
        par::fill(out, chunk, Vec::new, |sums: &mut Vec<i64>, start, part| {
            self.fill_part(x, ws, requant, start, part, sums);
        });
    }

    /// Outputs `start..start + part.len()` into `part` (`sums` is scratch).
    pub(crate) fn fill_part(
        &self,
        x: &[i32],
        ws: &NarrowW,
        requant: &FastRequant,
        start: usize,
        part: &mut [i32],
        sums: &mut Vec<i64>,
    ) {
        let k = self.k;
        {
            let end = start + part.len();
            let mut g = self.groups.partition_point(|g| g.end() <= start);
            let mut i = start;
            while i < end {
                let Some(gr) = self.groups.get(g) else {
                    return;
                };
                let (r, j) = ((i - gr.out) / gr.n, (i - gr.out) % gr.n);
                // Whole weight rows from here within this task: four at a time share the
                // activation loads; otherwise the rest of this row.
                let whole = if j == 0 {
                    (end.min(gr.end()) - i) / gr.n
                } else {
                    0
                };
                let cnt = if whole >= 4 {
                    whole / 4 * 4 * gr.n
                } else {
                    (gr.n - j).min(end - i)
                };
                sums.resize(cnt, 0);
                let wa = gr.w0 + (r * gr.n + j) * k;
                if whole >= 4 {
                    let xs = x.get(gr.x0..gr.x0 + gr.n * k).unwrap_or_default();
                    ws.segment_rows(xs, wa, gr.n, &mut sums[..cnt]);
                } else {
                    let xa = gr.x0 + j * k;
                    let xs = x.get(xa..xa + cnt * k).unwrap_or_default();
                    ws.segment_dots(xs, wa, &mut sums[..cnt]);
                }
                requant.apply_into(&sums[..cnt], &mut part[i - start..i - start + cnt]);
                i += cnt;
                if i >= gr.end() {
                    g += 1;
                }
            }
        }
    }
}

/// Append a finished run, merged into the last group when it is that group's next weight row
/// against the same activation elements.
fn push_run(groups: &mut Vec<Group>, (out, n, x0, w0): (usize, usize, usize, usize), k: usize) {
    if let Some(g) = groups.last_mut() {
        if g.n == n && g.x0 == x0 && g.end() == out && g.w0 + g.rows * n * k == w0 {
            g.rows += 1;
            return;
        }
    }
    groups.push(Group {
        out,
        n,
        rows: 1,
        x0,
        w0,
    });
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn block_import_stage_one_is_one_group() {
        // Output (r, b), r < 3, b < 4, k = 8: x key b, w key r·4 + b.
        let (dims, weights) = ([3usize, 4], [[0i64, 4, 0], [1, 1, 0]]);
        let runs = NarrowRuns::plan(12, 8, &dims, &weights, |x| Some(x * 8), |w| w * 8).unwrap();
        assert_eq!(
            runs.groups(),
            &[Group {
                out: 0,
                n: 4,
                rows: 3,
                x0: 0,
                w0: 0
            }]
        );
    }

    #[test]
    fn short_runs_are_not_planned() {
        // Every output reads a different, non-adjacent w row: runs of one.
        let (dims, weights) = ([16usize], [[0i64, 2, 0]]);
        assert!(NarrowRuns::plan(16, 8, &dims, &weights, |_| Some(0), |w| w * 8).is_none());
    }
}

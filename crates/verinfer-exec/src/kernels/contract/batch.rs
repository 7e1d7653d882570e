//! A narrow-weight contraction for several runs at once (a language model's prompt tokens,
//! see [`crate::Plan::run_batch`]): each run of a weight's rows is read once and applied to
//! every token's activation while it is in cache — a matrix–matrix product instead of one
//! matrix–vector product per token, which reads the whole weight once per token.
//!
//! Every output is the same exact dot product [`ContractPlan::fill_narrow_runs`] computes
//! (integer sums are exact in any order, the validator bounds them) and is requantized the
//! same way, so each token's output is bit for bit its one-token output.

use rayon::prelude::*;

use super::narrow::NarrowW;
use super::rows::Rows;
use super::{ContractPlan, NarrowRun, RowKind, NARROW_RUN};
use crate::odometer::Odometer;

impl ContractPlan {
    /// Whether [`Self::run_batch`] computes this contraction (a narrow constant `w`).
    pub(crate) fn batches(&self) -> bool {
        self.k > 0 && matches!(self.rows, RowKind::NarrowW(..))
    }

    /// Each token's output from its `[x, w]` or `[x, w, bias]` (`ins[t]`) into `outs[t]`;
    /// returns `false`, computing nothing, when the plan does not batch or a token's `x`
    /// rows are not slices (the caller then runs the tokens one by one).
    pub(crate) fn run_batch(&self, ins: &[Vec<&[i32]>], outs: &mut [Vec<i32>]) -> bool {
        let RowKind::NarrowW(xs, ws, runs) = &self.rows else {
            return false;
        };
        if !self.batches() || ins.len() != outs.len() {
            return false;
        }
        let mut packed = Vec::with_capacity(ins.len());
        for i in ins {
            let Some(&x) = i.first() else { return false };
            packed.push(xs.pack_for_run(x));
        }
        let rows: Vec<Rows<'_, i32>> = ins
            .iter()
            .zip(&packed)
            .map(|(i, p)| xs.rows(i[0], p.as_deref()))
            .collect();
        if !rows.iter().all(Rows::is_slice) {
            return false;
        }
        let biases: Vec<Option<&[i32]>> = ins.iter().map(|i| i.get(2).copied()).collect();
        let nout = outs.first().map_or(0, Vec::len);
        if outs.iter().any(|o| o.len() != nout) {
            return false;
        }
        // The same chunks as one token's run, each computed for every token.
        let chunk = self.chunk.max(1);
        let mut parts: Vec<Vec<&mut [i32]>> =
            (0..nout.div_ceil(chunk)).map(|_| Vec::new()).collect();
        for o in outs.iter_mut() {
            for (c, part) in o.chunks_mut(chunk).enumerate() {
                if let Some(p) = parts.get_mut(c) {
                    p.push(part);
                }
            }
        }
        if let (Some(runs), Some(bufs)) = (
            runs,
            rows.iter().map(Rows::buffer).collect::<Option<Vec<_>>>(),
        ) {
            // Runs planned once: each task's weights, read for the first token, are still in
            // cache for the others.
            parts
                .into_par_iter()
                .enumerate()
                .for_each_init(Vec::new, |sums, (c, toks)| {
                    for (x, out) in bufs.iter().zip(toks) {
                        runs.fill_part(x, ws, &self.requant, c * chunk, out, sums);
                    }
                });
            return true;
        }
        parts.into_par_iter().enumerate().for_each_init(
            || vec![0i64; NARROW_RUN],
            |sums, (c, mut toks)| {
                self.fill_batch_part(c * chunk, &rows, ws, &biases, &mut toks, sums)
            },
        );
        true
    }

    /// Outputs `start..start + toks[t].len()` of every token: runs of consecutive rows found
    /// once (they depend on the keys only, the same for every token), each run's weights then
    /// applied to every token.
    fn fill_batch_part(
        &self,
        start: usize,
        rows: &[Rows<'_, i32>],
        ws: &NarrowW,
        biases: &[Option<&[i32]>],
        toks: &mut [&mut [i32]],
        sums: &mut [i64],
    ) {
        let k = self.k;
        let len = toks.first().map_or(0, |t| t.len());
        let Some(first) = rows.first() else { return };
        let mut odo = Odometer::new(start, &self.out_iter, &self.weights);
        let mut bfs = [0i64; NARROW_RUN];
        let mut p = 0;
        while p < len {
            let Some(run) = self.next_narrow_run(&mut odo, first, ws, len - p, &mut bfs) else {
                return;
            };
            let NarrowRun { xk, x0, w0, n } = run;
            for ((xr, bias), out) in rows.iter().zip(biases).zip(toks.iter_mut()) {
                let Some((xbuf, _)) = xr.span(xk) else {
                    return;
                };
                let xs = xbuf.get(x0..x0 + n * k).unwrap_or_default();
                ws.segment_dots(xs, w0, &mut sums[..n]);
                for ((o, &d), &bf) in out[p..p + n].iter_mut().zip(&sums[..n]).zip(&bfs[..n]) {
                    *o = self
                        .requant
                        .apply(self.bias_term(*bias, bf).wrapping_add(d));
                }
            }
            p += n;
        }
    }
}

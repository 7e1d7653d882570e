//! `Move`: a constant index map over the concatenated inputs, compiled into copy runs.
//!
//! Reshape, Slice, Concat and Pad maps are long runs of consecutive sources, copied with
//! `copy_from_slice`; maps without long runs (Transpose) keep a per-element table.

use verinfer_ir::shape::numel;
use verinfer_ir::Move;

use super::NodeCtx;
use crate::error::ExecError;
use crate::par;

/// Marks a fill element in [`Src::input`].
const FILL: u32 = u32::MAX;

/// Source of one output element: element `offset` of input `input`, or the fill value.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Src {
    input: u32,
    offset: u32,
}

/// `len` output elements from `out_start` on, read from consecutive sources from `src` on.
struct Run {
    out_start: usize,
    len: usize,
    src: Src,
}

enum Layout {
    /// Copy runs, sorted by `out_start`, covering the output.
    Runs(Vec<Run>),
    /// One source per output element.
    Table(Vec<Src>),
}

/// Plan of one data-movement node.
pub(crate) struct MovePlan {
    fill: i32,
    layout: Layout,
}

impl MovePlan {
    /// Plan `m` for the operand shapes of `ctx` (the validator checked every map entry).
    pub(crate) fn new(m: &Move, ctx: &NodeCtx<'_>) -> Result<Self, ExecError> {
        let map = &ctx.attr(m.map)?.data;
        let mut starts = Vec::with_capacity(ctx.node.inputs.len());
        let mut total = 0usize;
        for k in 0..ctx.node.inputs.len() {
            starts.push(total);
            total += numel(ctx.shape(k)?);
        }
        let mut table = Vec::new();
        table
            .try_reserve_exact(map.len())
            .map_err(|_| ctx.unsupported("move map too large"))?;
        for e in map.values() {
            let src = match usize::try_from(e) {
                Err(_) => Src {
                    input: FILL,
                    offset: 0,
                },
                Ok(e) if e < total => {
                    let input = starts.partition_point(|&s| s <= e) - 1;
                    // Inputs are fewer than u32::MAX and map entries are i32.
                    Src {
                        input: input as u32,
                        offset: (e - starts[input]) as u32,
                    }
                }
                Ok(_) => return Err(ctx.unsupported("map entry outside the inputs")),
            };
            table.push(src);
        }
        let runs = runs(&table);
        let layout = if runs.len().saturating_mul(4) <= table.len() {
            Layout::Runs(runs)
        } else {
            Layout::Table(table)
        };
        Ok(Self {
            fill: m.fill,
            layout,
        })
    }

    /// Compute the output from the inputs.
    pub(crate) fn run(&self, ins: &[&[i32]], out: &mut [i32]) {
        let read = |s: Src| {
            if s.input == FILL {
                self.fill
            } else {
                ins[s.input as usize][s.offset as usize]
            }
        };
        match &self.layout {
            Layout::Table(t) => par::fill(
                out,
                par::chunk_len(1),
                || (),
                |(), start, part| {
                    for (o, &s) in part.iter_mut().zip(&t[start..]) {
                        *o = read(s);
                    }
                },
            ),
            Layout::Runs(runs) => par::fill(
                out,
                par::chunk_len(1),
                || (),
                |(), start, part| {
                    let end = start + part.len();
                    let first = runs
                        .partition_point(|r| r.out_start <= start)
                        .saturating_sub(1);
                    for r in runs[first..].iter().take_while(|r| r.out_start < end) {
                        let lo = r.out_start.max(start);
                        let hi = (r.out_start + r.len).min(end);
                        if lo >= hi {
                            continue;
                        }
                        let dst = &mut part[lo - start..hi - start];
                        if r.src.input == FILL {
                            dst.fill(self.fill);
                        } else {
                            let s = r.src.offset as usize + (lo - r.out_start);
                            dst.copy_from_slice(&ins[r.src.input as usize][s..s + dst.len()]);
                        }
                    }
                },
            ),
        }
    }
}

/// Maximal runs of consecutive sources (or of fills) in `table`.
fn runs(table: &[Src]) -> Vec<Run> {
    let mut out: Vec<Run> = Vec::new();
    for (j, &s) in table.iter().enumerate() {
        if let Some(r) = out.last_mut() {
            let next = if s.input == FILL {
                s == r.src
            } else {
                s.input == r.src.input && s.offset as usize == r.src.offset as usize + r.len
            };
            if next {
                r.len += 1;
                continue;
            }
        }
        out.push(Run {
            out_start: j,
            len: 1,
            src: s,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{runs, Src, FILL};

    #[test]
    fn runs_merge_consecutive_sources_and_fills() {
        let at = |input, offset| Src { input, offset };
        let fill = Src {
            input: FILL,
            offset: 0,
        };
        let table = [
            at(0, 3),
            at(0, 4),
            at(0, 5),
            fill,
            fill,
            at(1, 6),
            at(0, 7),
            at(1, 0),
            at(1, 1),
        ];
        let r: Vec<(usize, usize)> = runs(&table).iter().map(|r| (r.out_start, r.len)).collect();
        assert_eq!(r, vec![(0, 3), (3, 2), (5, 1), (6, 1), (7, 2)]);
    }
}

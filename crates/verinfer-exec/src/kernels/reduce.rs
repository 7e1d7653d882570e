//! `ReduceSum` / `ReduceMax` / `ArgMax`: base offsets per output plus one table of reduction
//! offsets.
//!
//! The validator bounds a sum's accumulator below `2^62`, so `wrapping_add` never wraps and
//! the order of additions does not matter; the maximum is order-free anyway. ArgMax folds the
//! reference's packed keys `v · 2^32 + (2^32 − 1 − k)` (the validator keeps `k < 2^32`, and
//! `v` is an `i32`, so a key never overflows).

use verinfer_ir::ops::reduce::argmax_index;
use verinfer_ir::shape::{numel, strides, unravel_into};
use verinfer_ir::{Reduce, ReduceKind, Requant};

use super::NodeCtx;
use crate::error::ExecError;
use crate::odometer::Odometer;
use crate::par;

/// Plan of one reduction node.
pub(crate) struct ReducePlan {
    kind: ReduceKind,
    requant: Requant,
    /// Sizes of the kept axes (the output's element order).
    kept: Vec<usize>,
    /// Per kept axis, its input stride.
    kept_strides: Vec<[i64; 1]>,
    /// Input offsets of the reduced elements from an output's base, in row-major order.
    offsets: Vec<usize>,
    /// Whether `offsets` is `0, 1, .., len-1` (reduced axes trailing: a contiguous run).
    contiguous: bool,
}

impl ReducePlan {
    /// Plan `r` for the input shape of `ctx`.
    pub(crate) fn new(r: &Reduce, ctx: &NodeCtx<'_>) -> Result<Self, ExecError> {
        let dims = ctx.shape(0)?;
        let st = strides(dims);
        let kept_axes: Vec<usize> = (0..dims.len()).filter(|a| !r.axes.contains(a)).collect();
        let red_dims: Vec<usize> = r
            .axes
            .iter()
            .map(|&a| dims.get(a).copied().unwrap_or(0))
            .collect();
        let mut offsets = Vec::new();
        offsets
            .try_reserve_exact(numel(&red_dims))
            .map_err(|_| ctx.unsupported("reduction too large"))?;
        let mut ri = vec![0usize; red_dims.len()];
        for k in 0..numel(&red_dims) {
            unravel_into(k, &red_dims, &mut ri);
            offsets.push(r.axes.iter().zip(&ri).map(|(&a, &i)| i * st[a]).sum());
        }
        let contiguous = offsets.iter().enumerate().all(|(k, &o)| k == o);
        Ok(Self {
            kind: r.kind,
            requant: r.requant,
            kept: kept_axes.iter().map(|&a| dims[a]).collect(),
            // Strides of an allocated tensor fit i64.
            kept_strides: kept_axes.iter().map(|&a| [st[a] as i64]).collect(),
            offsets,
            contiguous,
        })
    }

    /// Compute the output from `[x]`.
    pub(crate) fn run(&self, ins: &[&[i32]], out: &mut [i32]) {
        let Some(&x) = ins.first() else { return };
        match self.kind {
            ReduceKind::Sum => self.fill(x, out, 0, |acc, v, _| acc.wrapping_add(v), |a| a),
            ReduceKind::Max => self.fill(x, out, i64::MIN, |acc, v, _| acc.max(v), |a| a),
            ReduceKind::ArgMax => self.fill(
                x,
                out,
                i64::MIN,
                // `k < 2^32` (validator): the low word is `2^32 − 1 − k` without wrapping.
                |acc, v, k| acc.max((v << 32) | (0xFFFF_FFFF ^ k as i64)),
                argmax_index,
            ),
        }
    }

    fn fill<F, E>(&self, x: &[i32], out: &mut [i32], seed: i64, fold: F, epilogue: E)
    where
        F: Fn(i64, i64, usize) -> i64 + Sync + Send,
        E: Fn(i64) -> i64 + Sync + Send,
    {
        let n = self.offsets.len();
        par::fill(
            out,
            par::chunk_len(n),
            || (),
            |(), start, part| {
                let mut odo = Odometer::new(start, &self.kept, &self.kept_strides);
                for o in part {
                    // A sum of in-range strides: the flat index of the output's first input.
                    let base = odo.pos[0] as usize;
                    let acc = if self.contiguous {
                        x[base..base + n]
                            .iter()
                            .enumerate()
                            .fold(seed, |acc, (k, &v)| fold(acc, i64::from(v), k))
                    } else {
                        self.offsets
                            .iter()
                            .enumerate()
                            .fold(seed, |acc, (k, &d)| fold(acc, i64::from(x[base + d]), k))
                    };
                    *o = self.requant.apply(epilogue(acc));
                    odo.step();
                }
            },
        );
    }
}

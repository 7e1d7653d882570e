//! `Gather` along an axis with run-time indices: one contiguous copy per (outer, index) pair.
//!
//! With `data = [outer.., n, inner..]` and `m` indices, output row `(o, i)` (of `inner`
//! elements) is data row `(o, resolve(idx[i]))`.

use verinfer_ir::ops::gather::resolve;
use verinfer_ir::shape::numel;
use verinfer_ir::Gather;

use super::NodeCtx;
use crate::error::ExecError;
use crate::par;

/// Plan of one gather node.
pub(crate) struct GatherPlan {
    /// Length of the gathered axis.
    n: usize,
    /// Number of indices.
    m: usize,
    /// Elements after the axis (one copied row).
    inner: usize,
}

impl GatherPlan {
    /// Plan `g` for the operand shapes of `ctx`.
    pub(crate) fn new(g: &Gather, ctx: &NodeCtx<'_>) -> Result<Self, ExecError> {
        let data = ctx.shape(0)?;
        let n = *data
            .get(g.axis)
            .ok_or_else(|| ctx.unsupported("gather axis out of range"))?;
        Ok(Self {
            n,
            m: numel(ctx.shape(1)?),
            inner: numel(&data[g.axis + 1..]),
        })
    }

    /// Compute the output from `[data, indices]`.
    pub(crate) fn run(&self, ins: &[&[i32]], out: &mut [i32]) {
        let (Some(&data), Some(&idx)) = (ins.first(), ins.get(1)) else {
            return;
        };
        let inner = self.inner;
        if inner == 0 || self.m == 0 {
            return;
        }
        let rows = par::chunk_len(inner);
        par::fill(
            out,
            rows * inner,
            || (),
            |(), start, part| {
                for (r, row) in part.chunks_mut(inner).enumerate() {
                    let q = start / inner + r;
                    let (o, i) = (q / self.m, q % self.m);
                    let src = (o * self.n + resolve(idx[i], self.n)) * inner;
                    row.copy_from_slice(&data[src..src + inner]);
                }
            },
        );
    }
}

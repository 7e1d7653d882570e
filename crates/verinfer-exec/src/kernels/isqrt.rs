//! `ISqrt`: the reference's exact integer square root, elementwise and in parallel.
//!
//! The root itself is [`verinfer_ir::ops::isqrt::isqrt`] (no second implementation to drift);
//! the planner rejects a shift the validator would, so the radicand always fits `u64`.

use verinfer_ir::ops::isqrt::isqrt;
use verinfer_ir::{ISqrt, ISQRT_MAX_SHIFT};

use super::NodeCtx;
use crate::error::ExecError;
use crate::par;

/// Plan of one square-root node.
pub(crate) struct ISqrtPlan {
    op: ISqrt,
}

impl ISqrtPlan {
    /// Plan `op`.
    pub(crate) fn new(op: &ISqrt, ctx: &NodeCtx<'_>) -> Result<Self, ExecError> {
        if op.shift > ISQRT_MAX_SHIFT {
            return Err(ctx.unsupported(format!("ISqrt shift above {ISQRT_MAX_SHIFT}")));
        }
        Ok(Self { op: *op })
    }

    /// Compute the output from `[x]`.
    pub(crate) fn run(&self, ins: &[&[i32]], out: &mut [i32]) {
        let Some(&x) = ins.first() else { return };
        let shift = self.op.shift;
        par::map(out, x, |v| {
            // `max(v, 0) < 2^31`, `shift <= 32`: the radicand is below 2^63 and its root
            // below 2^32, so neither the shift nor the cast can lose bits.
            let n = u64::from(v.max(0).unsigned_abs()) << shift;
            self.op.requant.apply(isqrt(n) as i64)
        });
    }
}

//! `Add/Sub/Mul/Max/Min` with broadcasting.
//!
//! The validator bounds `|a·a_mult|`, `|b·b_mult|` and the result below `2^62`, so the
//! `wrapping_*` operations below never wrap: they equal the reference's checked arithmetic.

use verinfer_ir::{Binary, BinaryKind};

use super::broadcast::Broadcast;
use super::requant::FastRequant;
use super::NodeCtx;
use crate::error::ExecError;

/// Plan of one elementwise node.
pub(crate) struct BinaryPlan {
    op: Binary,
    bc: Broadcast,
}

impl BinaryPlan {
    /// Plan `op` for the operand shapes of `ctx`.
    pub(crate) fn new(op: &Binary, ctx: &NodeCtx<'_>) -> Result<Self, ExecError> {
        Ok(Self {
            op: *op,
            bc: Broadcast::new(ctx.shape(0)?, ctx.shape(1)?, ctx.out_dims()),
        })
    }

    /// Compute the output from `[a, b]`.
    pub(crate) fn run(&self, ins: &[&[i32]], out: &mut [i32]) {
        let (Some(&a), Some(&b)) = (ins.first(), ins.get(1)) else {
            return;
        };
        let (am, bm) = (self.op.a_mult, self.op.b_mult);
        let rq = FastRequant::new(self.op.requant);
        let sa = move |x: i32| i64::from(x).wrapping_mul(am);
        let sb = move |y: i32| i64::from(y).wrapping_mul(bm);
        match self.op.kind {
            BinaryKind::Add => self
                .bc
                .fill(a, b, out, |x, y| rq.apply(sa(x).wrapping_add(sb(y)))),
            BinaryKind::Sub => self
                .bc
                .fill(a, b, out, |x, y| rq.apply(sa(x).wrapping_sub(sb(y)))),
            BinaryKind::Mul => self
                .bc
                .fill(a, b, out, |x, y| rq.apply(sa(x).wrapping_mul(sb(y)))),
            BinaryKind::Max => self.bc.fill(a, b, out, |x, y| rq.apply(sa(x).max(sb(y)))),
            BinaryKind::Min => self.bc.fill(a, b, out, |x, y| rq.apply(sa(x).min(sb(y)))),
        }
    }
}

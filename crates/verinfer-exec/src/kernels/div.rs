//! `Div`: rounded division with broadcasting.
//!
//! The validator bounds `|a·2^shift| < 2^62`, so the wrapping shift never wraps; the rounding
//! is the reference's own [`round_div`].

use verinfer_ir::ops::div::round_div;
use verinfer_ir::Div;

use super::broadcast::Broadcast;
use super::requant::FastRequant;
use super::NodeCtx;
use crate::error::ExecError;

/// Plan of one division node.
pub(crate) struct DivPlan {
    op: Div,
    bc: Broadcast,
}

impl DivPlan {
    /// Plan `op` for the operand shapes of `ctx`.
    pub(crate) fn new(op: &Div, ctx: &NodeCtx<'_>) -> Result<Self, ExecError> {
        if op.shift >= 62 {
            return Err(ctx.unsupported("Div shift of 62 or more"));
        }
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
        let (scale, rq) = (1i64 << self.op.shift, FastRequant::new(self.op.requant));
        self.bc.fill(a, b, out, |x, y| {
            rq.apply(round_div(i64::from(x).wrapping_mul(scale), i64::from(y)))
        });
    }
}

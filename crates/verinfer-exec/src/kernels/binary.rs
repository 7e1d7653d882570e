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
    /// Output bounds when the node is plain `i32` arithmetic (see [`plain_i32`]).
    plain: Option<(i32, i32)>,
}

impl BinaryPlan {
    /// Plan `op` for the operand shapes of `ctx`.
    pub(crate) fn new(op: &Binary, ctx: &NodeCtx<'_>) -> Result<Self, ExecError> {
        Ok(Self {
            op: *op,
            bc: Broadcast::new(ctx.shape(0)?, ctx.shape(1)?, ctx.out_dims()),
            plain: plain_i32(op, ctx),
        })
    }

    /// Compute the output from `[a, b]`.
    pub(crate) fn run(&self, ins: &[&[i32]], out: &mut [i32]) {
        let (Some(&a), Some(&b)) = (ins.first(), ins.get(1)) else {
            return;
        };
        let rq = FastRequant::new(self.op.requant);
        if let Some((lo, hi)) = self.plain {
            // `|x| + |y| < 2^31`: sums and differences fit `i32` (see `plain_i32`).
            match self.op.kind {
                BinaryKind::Add => {
                    return self
                        .bc
                        .fill(a, b, out, |x, y| x.wrapping_add(y).clamp(lo, hi))
                }
                BinaryKind::Sub => {
                    return self
                        .bc
                        .fill(a, b, out, |x, y| x.wrapping_sub(y).clamp(lo, hi))
                }
                BinaryKind::Max => return self.bc.fill(a, b, out, |x, y| x.max(y).clamp(lo, hi)),
                BinaryKind::Min => return self.bc.fill(a, b, out, |x, y| x.min(y).clamp(lo, hi)),
                BinaryKind::Mul => {}
            }
        }
        // The validator bounds every result below `2^62` before requantization.
        match rq.bounded() {
            Some(brq) => self.requantized(a, b, out, move |v| brq.apply(v)),
            None => self.requantized(a, b, out, move |v| rq.apply(v)),
        }
    }

    /// The node with its operand multipliers and the requantization `rq`.
    fn requantized<R>(&self, a: &[i32], b: &[i32], out: &mut [i32], rq: R)
    where
        R: Fn(i64) -> i32 + Copy + Sync + Send,
    {
        let (am, bm) = (self.op.a_mult, self.op.b_mult);
        let sa = move |x: i32| i64::from(x).wrapping_mul(am);
        let sb = move |y: i32| i64::from(y).wrapping_mul(bm);
        match self.op.kind {
            BinaryKind::Add => self
                .bc
                .fill(a, b, out, |x, y| rq(sa(x).wrapping_add(sb(y)))),
            BinaryKind::Sub => self
                .bc
                .fill(a, b, out, |x, y| rq(sa(x).wrapping_sub(sb(y)))),
            // `0·y = x·0 = 0` before requantization: rows of a zero constant are `rq(0)`.
            BinaryKind::Mul => {
                self.bc
                    .fill_absorbing(a, b, out, |x, y| rq(sa(x).wrapping_mul(sb(y))), Some(rq(0)))
            }
            BinaryKind::Max => self.bc.fill(a, b, out, |x, y| rq(sa(x).max(sb(y)))),
            BinaryKind::Min => self.bc.fill(a, b, out, |x, y| rq(sa(x).min(sb(y)))),
        }
    }
}

/// The output bounds when `op` is an `Add`/`Sub` of unscaled operands whose largest
/// magnitudes sum below `2^31`, with an identity requantization (multiplier 1, shift 0): the
/// reference's result is then `clamp(x ± y)` and `x ± y` fits `i32`, so the loop is plain
/// `i32` arithmetic the compiler vectorizes (the cache append's sum, residuals, the softmax's
/// subtraction). The same bounds serve `Max`/`Min` of unscaled operands (`clamp(max(x, y))`,
/// a ReLU).
fn plain_i32(op: &Binary, ctx: &NodeCtx<'_>) -> Option<(i32, i32)> {
    let fits = ctx.max_abs(0).saturating_add(ctx.max_abs(1)) <= i32::MAX.unsigned_abs().into();
    let identity = op.a_mult == 1 && op.b_mult == 1 && op.requant.mult == 1;
    let (lo, hi) = (op.requant.bits.min_value(), op.requant.bits.max_value());
    if identity && op.requant.shift == 0 && fits {
        Some((i32::try_from(lo).ok()?, i32::try_from(hi).ok()?))
    } else {
        None
    }
}

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
            rq.apply(round_div_small(i64::from(x).wrapping_mul(scale), y))
        });
    }
}

/// [`round_div`] of a numerator below `2^62` in magnitude by an `i32`, in `i64`: with
/// `|n| < 2^62` and `|d| < 2^32` neither the quotient, the remainder, `2·|r|` nor the
/// rounded quotient can overflow (and `n / -1` is not `i64::MIN / -1`), so the `i128`
/// arithmetic of the definition is not needed. Proptested equal to it below.
#[inline]
fn round_div_small(n: i64, d: i32) -> i64 {
    if d == 0 || n.unsigned_abs() >= 1 << 62 {
        return round_div(n, i64::from(d));
    }
    let d = i64::from(d);
    let (q, r) = (n / d, n % d);
    if 2 * r.abs() >= d.abs() {
        q + n.signum() * d.signum()
    } else {
        q
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use verinfer_ir::ops::div::round_div;

    use super::round_div_small;

    proptest! {
        /// Equal to the definition for every numerator and divisor, the ends included.
        #[test]
        fn small_division_equals_definition(
            n in prop_oneof![any::<i64>(), -(1i64 << 62)..(1i64 << 62), -100i64..100, Just(i64::MIN), Just((1i64 << 62) - 1)],
            d in prop_oneof![any::<i32>(), -5i32..5, Just(i32::MIN), Just(i32::MAX)],
        ) {
            prop_assert_eq!(round_div_small(n, d), round_div(n, i64::from(d)));
        }
    }
}

//! `Lookup`: table of a non-linear function over a clamped input domain.

use verinfer_ir::Lookup;

use super::NodeCtx;
use crate::error::ExecError;
use crate::par;

/// Plan of one lookup node: its table, copied out of the graph.
pub(crate) struct LookupPlan {
    table: Vec<i32>,
    lo: i64,
}

impl LookupPlan {
    /// Plan `l` (the validator checked the table is a non-empty rank-1 parameter).
    pub(crate) fn new(l: &Lookup, ctx: &NodeCtx<'_>) -> Result<Self, ExecError> {
        let table = ctx.attr(l.table)?.data.to_vec();
        if table.is_empty() {
            return Err(ctx.unsupported("empty lookup table"));
        }
        Ok(Self {
            table,
            lo: i64::from(l.lo),
        })
    }

    /// Compute the output from `[x]`: `table[clamp(x - lo, 0, len - 1)]`.
    pub(crate) fn run(&self, ins: &[&[i32]], out: &mut [i32]) {
        let Some(&x) = ins.first() else { return };
        let hi = self.table.len() as i64 - 1;
        // Clamped into [0, len - 1].
        par::map(out, x, |v| {
            self.table[(i64::from(v) - self.lo).clamp(0, hi) as usize]
        });
    }
}

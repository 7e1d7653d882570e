//! `Rescale`: requantize every element.

use verinfer_ir::Requant;

use super::requant::FastRequant;
use crate::par;

/// Plan of one rescale node.
pub(crate) struct RescalePlan {
    requant: Requant,
}

impl RescalePlan {
    /// Plan `requant`.
    pub(crate) fn new(requant: Requant) -> Self {
        Self { requant }
    }

    /// Compute the output from `[x]`.
    pub(crate) fn run(&self, ins: &[&[i32]], out: &mut [i32]) {
        let Some(&x) = ins.first() else { return };
        let rq = FastRequant::new(self.requant);
        par::fill(
            out,
            par::chunk_len(1),
            || (),
            |(), start, part| {
                rq.apply_i32_into(x.get(start..).unwrap_or_default(), part);
            },
        );
    }
}

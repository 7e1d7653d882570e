//! One kernel per primitive (same file names as `verinfer_ir::ops`), planned once per node.

mod binary;
mod broadcast;
mod contract;
mod div;
mod gather;
mod isqrt;
mod lookup;
mod movement;
mod reduce;
mod requant;
mod rescale;

pub(crate) use contract::simd::dense::lanes;

use verinfer_ir::{Graph, Node, Op, Operand, Param, ParamData, ParamId, ParamView};

use crate::error::ExecError;

/// A node's plan: everything about its computation that does not depend on run-time data.
pub(crate) enum NodePlan {
    /// See [`contract`].
    Contract(Box<contract::ContractPlan>),
    /// See [`rescale`].
    Rescale(rescale::RescalePlan),
    /// See [`binary`].
    Binary(binary::BinaryPlan),
    /// See [`lookup`].
    Lookup(lookup::LookupPlan),
    /// See [`reduce`].
    Reduce(reduce::ReducePlan),
    /// See [`div`].
    Div(div::DivPlan),
    /// See [`movement`].
    Move(movement::MovePlan),
    /// See [`gather`].
    Gather(gather::GatherPlan),
    /// See [`isqrt`].
    ISqrt(isqrt::ISqrtPlan),
}

impl NodePlan {
    /// Plan one node of a validated graph.
    pub(crate) fn new(ctx: &NodeCtx<'_>) -> Result<Self, ExecError> {
        Ok(match &ctx.node.op {
            Op::Contract(c) => Self::Contract(Box::new(contract::ContractPlan::new(c, ctx)?)),
            Op::Rescale(r) => Self::Rescale(rescale::RescalePlan::new(*r)),
            Op::Binary(b) => Self::Binary(binary::BinaryPlan::new(b, ctx)?),
            Op::Lookup(l) => Self::Lookup(lookup::LookupPlan::new(l, ctx)?),
            Op::Reduce(r) => Self::Reduce(reduce::ReducePlan::new(r, ctx)?),
            Op::Div(d) => Self::Div(div::DivPlan::new(d, ctx)?),
            Op::Move(m) => Self::Move(movement::MovePlan::new(m, ctx)?),
            Op::Gather(g) => Self::Gather(gather::GatherPlan::new(g, ctx)?),
            Op::ISqrt(s) => Self::ISqrt(isqrt::ISqrtPlan::new(s, ctx)?),
        })
    }

    /// Whether operand `k` (a parameter) is read from the plan itself, so the run need not
    /// be given it as `i32` (see [`ParamData::as_i32`]).
    pub(crate) fn reads_in_place(&self, k: usize) -> bool {
        match self {
            Self::Contract(p) => p.reads_in_place(k),
            Self::Rescale(_)
            | Self::Binary(_)
            | Self::Lookup(_)
            | Self::Reduce(_)
            | Self::Div(_)
            | Self::Move(_)
            | Self::Gather(_)
            | Self::ISqrt(_) => false,
        }
    }

    /// Compute a node's output (`out` has the output's element count) from its operands.
    pub(crate) fn run(&self, ins: &[&[i32]], out: &mut [i32]) {
        match self {
            Self::Contract(p) => p.run(ins, out),
            Self::Rescale(p) => p.run(ins, out),
            Self::Binary(p) => p.run(ins, out),
            Self::Lookup(p) => p.run(ins, out),
            Self::Reduce(p) => p.run(ins, out),
            Self::Div(p) => p.run(ins, out),
            Self::Move(p) => p.run(ins, out),
            Self::Gather(p) => p.run(ins, out),
            Self::ISqrt(p) => p.run(ins, out),
        }
    }
}

impl NodePlan {
    /// Each token's output (`outs[t]`, the output's element count) from its operands
    /// (`ins[t]`): one pass over a narrow constant weight for all tokens where the kernel
    /// batches (see `contract::batch`), otherwise token by token. Bit for bit
    /// [`Self::run`] of each token.
    pub(crate) fn run_batch(&self, ins: &[Vec<&[i32]>], outs: &mut [Vec<i32>]) {
        if let Self::Contract(p) = self {
            if p.run_batch(ins, outs) {
                return;
            }
        }
        for (i, o) in ins.iter().zip(outs.iter_mut()) {
            self.run(i, o);
        }
    }
}

/// A node of a validated graph, as a kernel's planner sees it.
pub(crate) struct NodeCtx<'a> {
    /// Node index.
    pub index: usize,
    /// The graph.
    pub graph: &'a Graph,
    /// The node.
    pub node: &'a Node,
}

impl<'a> NodeCtx<'a> {
    /// Error for something the fast path does not plan.
    pub(crate) fn unsupported(&self, what: impl Into<String>) -> ExecError {
        ExecError::Unsupported {
            node: self.index,
            name: self.node.name.clone(),
            what: what.into(),
        }
    }

    fn operand(&self, k: usize) -> Option<Operand> {
        self.node.inputs.get(k).copied()
    }

    /// Shape of operand `k`.
    pub(crate) fn shape(&self, k: usize) -> Result<&'a [usize], ExecError> {
        self.operand(k)
            .and_then(|o| self.graph.operand_info(o))
            .map(|t| t.shape.dims())
            .ok_or(ExecError::MissingOperand {
                node: self.index,
                operand: k,
            })
    }

    /// Operand `k`'s stored integers when it is a parameter.
    pub(crate) fn param_data(&self, k: usize) -> Option<&'a ParamData> {
        match self.operand(k)? {
            Operand::Param(p) => self.graph.params.get(p.index()).map(|p| &p.data),
            Operand::Value(_) => None,
        }
    }

    /// Data of operand `k` when it is a parameter, as `i32` (a narrow parameter is widened
    /// once, see [`ParamData::as_i32`]).
    pub(crate) fn param(&self, k: usize) -> Option<&'a [i32]> {
        self.param_data(k).map(ParamData::as_i32)
    }

    /// Largest magnitude operand `k` can hold (its actual maximum when constant).
    pub(crate) fn max_abs(&self, k: usize) -> u64 {
        match (
            self.param_data(k),
            self.operand(k).and_then(|o| self.graph.operand_info(o)),
        ) {
            (Some(d), _) => d.max_abs(),
            (None, Some(t)) => t.bits.max_abs(),
            (None, None) => u64::MAX,
        }
    }

    /// Whether every value operand `k` can hold fits `i16`.
    pub(crate) fn fits_i16(&self, k: usize) -> bool {
        let in16 = |v: i32| i16::try_from(v).is_ok();
        match (
            self.param_data(k),
            self.operand(k).and_then(|o| self.graph.operand_info(o)),
        ) {
            (Some(d), _) => match d.view() {
                ParamView::I8(_) | ParamView::I16(_) => true,
                ParamView::I32(v) => v.iter().all(|&x| in16(x)),
                // Read as its parts by the narrow-weight kernel, never widened to `i16` rows.
                ParamView::Blocks(_) => false,
            },
            (None, Some(t)) => t.bits.get() <= 16,
            (None, None) => false,
        }
    }

    /// The parameter an attribute names (lookup table, move map).
    pub(crate) fn attr(&self, p: ParamId) -> Result<&'a Param, ExecError> {
        self.graph
            .params
            .get(p.index())
            .ok_or_else(|| self.unsupported(format!("parameter {} does not exist", p.0)))
    }

    /// Output shape.
    pub(crate) fn out_dims(&self) -> &'a [usize] {
        self.node.out.shape.dims()
    }
}

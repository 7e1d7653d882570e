//! The fast executor of verinfer: runs a compiled [`Graph`](verinfer_ir::Graph) and returns its
//! execution trace, bit for bit what [`verinfer_ir::reference::run`] returns, only faster.
//!
//! [`Plan::new`] validates the graph once and precomputes, per node, everything that does not
//! depend on the run-time data (operand offset tables, packed constant weights, broadcast
//! strides, reduction offsets); [`Plan::run`] then executes the nodes in order, each kernel
//! parallel over fixed chunks of its output with rayon. Integer arithmetic is exact and every
//! output element is written by exactly one task, so the result never depends on the number of
//! threads or on scheduling. A trace that differs from the reference by one bit would be a
//! false claim in a dispute, which is why every kernel is tested against the reference.
#![deny(missing_docs)]
#![deny(clippy::float_arithmetic)]

mod batch;
mod error;
mod kernels;
mod odometer;
mod par;
mod plan;
mod trace;

pub use batch::Held;
pub use error::ExecError;
pub use plan::Plan;
pub use trace::Trace;

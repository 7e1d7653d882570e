//! The execution trace: every value of a run, in value order.

use verinfer_ir::ValueId;

/// Every value of one run: the graph inputs first, then each node's output, in node order —
/// the numbering of [`ValueId`], and exactly what [`verinfer_ir::reference::run`] returns.
///
/// The trace is what gets committed and bisected in a dispute, so its order is fixed by the
/// graph and never by execution.
/// The default is the empty trace (no buffers to reuse, see `Plan::run_reusing`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Trace(Vec<Vec<i32>>);

impl Trace {
    pub(crate) fn new(values: Vec<Vec<i32>>) -> Self {
        Self(values)
    }

    /// All values, in value order.
    #[must_use]
    pub fn values(&self) -> &[Vec<i32>] {
        &self.0
    }

    /// One value, if the trace has it.
    #[must_use]
    pub fn value(&self, v: ValueId) -> Option<&[i32]> {
        self.0.get(v.index()).map(Vec::as_slice)
    }

    /// Number of values.
    #[must_use]
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the trace holds no value (a graph without inputs and nodes).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The values, by value.
    #[must_use]
    pub fn into_values(self) -> Vec<Vec<i32>> {
        self.0
    }
}

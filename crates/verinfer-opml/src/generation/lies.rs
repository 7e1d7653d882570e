//! The dishonest submitters of generation claims (tests and simulations): each is consistent
//! everywhere but at one place, which the game must find.

/// One way a generation claim is wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GenLie {
    /// Step `step` reads a token other than its derived one (the prompt's, or the previous
    /// step's `next`), and the generation continues from it.
    WrongToken {
        /// The step.
        step: usize,
    },
    /// Step `step` reads a key-cache row `step − 1` (layer 0) other than step `step − 1`'s
    /// new row, and every later step keeps the altered row.
    WrongKvRow {
        /// The step (≥ 1).
        step: usize,
    },
    /// One inner node value of step `step` is changed in the committed trace (the step's
    /// outputs and every other step stay honest).
    WrongNode {
        /// The step.
        step: usize,
    },
    /// As `WrongNode`, at a value the caller names (`verinfer game simulate --node`): value
    /// `value` of step `step` is changed in the committed trace.
    WrongValue {
        /// The step.
        step: usize,
        /// The value id (a node's output: graph inputs come first).
        value: usize,
    },
    /// Step `step` of a sampled generation reads a noise row whose element 0 is not
    /// `N(seed, T, step, 0)`, and computes the step (its sample included) from it.
    WrongNoise {
        /// The step.
        step: usize,
    },
    /// The trace is honest, posted token `index` is not the one it generated.
    WrongPromptBinding {
        /// Index among the generated tokens.
        index: usize,
    },
}

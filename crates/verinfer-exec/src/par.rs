//! Deterministic parallel fill of an output buffer in fixed chunks.

use rayon::prelude::*;

/// Target number of inner-loop operations per parallel task: large enough to amortize rayon's
/// scheduling, small enough to balance across cores.
pub(crate) const TASK_WORK: usize = 1 << 15;

/// Chunk length (elements) for a kernel doing `work` inner operations per element.
///
/// Depends only on the node, never on the thread count, and is at least 1.
pub(crate) fn chunk_len(work: usize) -> usize {
    (TASK_WORK / work.max(1)).clamp(1, TASK_WORK)
}

/// Fill `out` in chunks of `chunk` elements, in parallel: `f(scratch, start, part)` computes
/// `out[start..start + part.len()]`. Each element is written by exactly one call and the values
/// are pure functions of the inputs, so the result is the same for any number of threads.
/// `init` makes per-task scratch space (allocated outside the element loops).
pub(crate) fn fill<S, I, F>(out: &mut [i32], chunk: usize, init: I, f: F)
where
    I: Fn() -> S + Sync + Send,
    F: Fn(&mut S, usize, &mut [i32]) + Sync + Send,
{
    let chunk = chunk.max(1);
    if out.len() <= chunk {
        f(&mut init(), 0, out);
        return;
    }
    out.par_chunks_mut(chunk)
        .enumerate()
        .for_each_init(init, |s, (k, part)| f(s, k * chunk, part));
}

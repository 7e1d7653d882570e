//! Deterministic parallel fill of an output buffer in fixed chunks.

use rayon::prelude::*;

use crate::kernels::lanes;

/// Target number of inner-loop operations per parallel task: large enough to amortize rayon's
/// scheduling, small enough to balance across cores.
pub(crate) const TASK_WORK: usize = 1 << 15;

/// Fewest chunks a node must have to be sent to the pool. Below it the chunks run one after
/// another on the calling thread: waking a worker and waiting for it (a futex wake and a
/// context switch each way, more on a loaded machine) costs about as much as the few tens of
/// microseconds such a node takes, and decoding runs hundreds of them a token (the scheduler
/// was 12 % of a llama-30m decode profile).
pub(crate) const PAR_MIN_CHUNKS: usize = 4;

/// Chunk length (elements) for a kernel doing `work` inner operations per element.
///
/// Depends only on the node, never on the thread count, and is at least 1.
pub(crate) fn chunk_len(work: usize) -> usize {
    (TASK_WORK / work.max(1)).clamp(1, TASK_WORK)
}

/// Whether `len` elements in chunks of `chunk` are worth dispatching to the pool.
pub(crate) fn worth_parallel(len: usize, chunk: usize) -> bool {
    len.div_ceil(chunk.max(1)) >= PAR_MIN_CHUNKS
}

/// Fill `out` in chunks of `chunk` elements, in parallel: `f(scratch, start, part)` computes
/// `out[start..start + part.len()]`. Each element is written by exactly one call and the values
/// are pure functions of the inputs, so the result is the same for any number of threads (and
/// when a small node's chunks run on the calling thread).
/// `init` makes per-task scratch space (allocated outside the element loops).
pub(crate) fn fill<S, I, F>(out: &mut [i32], chunk: usize, init: I, f: F)
where
    I: Fn() -> S + Sync + Send,
    F: Fn(&mut S, usize, &mut [i32]) + Sync + Send,
{
    let chunk = chunk.max(1);
    if !worth_parallel(out.len(), chunk) {
        let mut s = init();
        for (k, part) in out.chunks_mut(chunk).enumerate() {
            f(&mut s, k * chunk, part);
        }
        return;
    }
    out.par_chunks_mut(chunk)
        .enumerate()
        .for_each_init(init, |s, (k, part)| f(s, k * chunk, part));
}

/// `out[i] = f(x[i])` over the common length of `out` and `x`, in parallel chunks of
/// [`chunk_len`]`(1)` when [`worth_parallel`].
pub(crate) fn map<F>(out: &mut [i32], x: &[i32], f: F)
where
    F: Fn(i32) -> i32 + Sync + Send,
{
    fill(
        out,
        chunk_len(1),
        || (),
        |(), start, part| lanes::map(x.get(start..).unwrap_or_default(), part, &f),
    );
}

//! Committing a generation's steps on another thread: the values of step `t` are hashed while
//! step `t + 1` runs.
//!
//! A step's trace root needs nothing of the next step, and the next step needs nothing of the
//! root, so the two can overlap: [`TraceHasher::value`] copies the value into a queue (a
//! `memcpy` up to its last nonzero element — a KV cache's zero rows are not copied — far
//! cheaper than hashing it) and returns; a hashing thread feeds the queue into an
//! [`IncrementalTrace`]. The roots are the same as hashing in line — the same trees, the same
//! values, only on another thread. The queue holds at most [`QUEUE_BYTES`] (or one value, if a
//! value is larger): when the hasher falls behind by that much, the producer waits for it, so
//! memory stays bounded however slow the hashing is.

use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;

use verinfer_ir::ValueId;

use crate::error::PipelineError;
use crate::hash::Hash32;
use crate::incremental::{used_leaves, IncrementalStats, IncrementalTrace};
use crate::tensor::PER_LEAF;
use crate::trace::TraceRoot;
use crate::tree::root_of;

/// Bytes of values the queue may hold before the producer waits: 256 MiB.
pub const QUEUE_BYTES: usize = 256 << 20;

/// One value of one step.
struct Item {
    step: usize,
    value: ValueId,
    /// The value up to its last nonzero leaf; zeros follow up to `len` elements.
    data: Vec<i32>,
    len: usize,
}

/// Bytes queued and not yet hashed, and the condition the producer waits on.
#[derive(Default)]
struct Backlog {
    bytes: Mutex<usize>,
    drained: Condvar,
}

/// What the hashing thread hands back: every step's value roots by value id, and the stats.
type Done = (Vec<Vec<Option<Hash32>>>, IncrementalStats);

/// A generation's trace roots computed on a hashing thread of its own, overlapped with the
/// steps (see the module documentation).
pub struct TraceHasher {
    tx: Option<Sender<Item>>,
    backlog: Arc<Backlog>,
    queue: usize,
    thread: Option<JoinHandle<Done>>,
}

impl TraceHasher {
    /// Starts the hashing thread; its trees are kept within `budget` bytes
    /// ([`IncrementalTrace::with_budget`]). The thread hashes on its own (its levels are not
    /// split across the caller's thread pool), so the steps keep their threads.
    ///
    /// # Errors
    /// [`PipelineError::Spawn`] when the thread cannot be started.
    pub fn spawn(budget: usize) -> Result<Self, PipelineError> {
        Self::spawn_with_queue(budget, QUEUE_BYTES)
    }

    /// [`Self::spawn`] with a queue of `queue` bytes instead of [`QUEUE_BYTES`].
    ///
    /// # Errors
    /// [`PipelineError::Spawn`] when the thread cannot be started.
    pub fn spawn_with_queue(budget: usize, queue: usize) -> Result<Self, PipelineError> {
        let (tx, rx) = channel::<Item>();
        let backlog = Arc::new(Backlog::default());
        let b = Arc::clone(&backlog);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .thread_name(|_| "trace-hasher".into())
            .build()
            .map_err(|e| PipelineError::Spawn(e.to_string()))?;
        let thread = std::thread::Builder::new()
            .name("trace-hasher-feed".into())
            .spawn(move || pool.install(move || hash_all(rx, &b, budget)))
            .map_err(|e| PipelineError::Spawn(e.to_string()))?;
        Ok(Self {
            tx: Some(tx),
            backlog,
            queue,
            thread: Some(thread),
        })
    }

    /// Queues value `value` of step `step` (values of a step and steps may come in any order),
    /// waiting first while the hasher is more than the queue's bytes behind.
    ///
    /// # Errors
    /// [`PipelineError::Stopped`] when the hashing thread has stopped (it panicked).
    pub fn value(&self, step: usize, value: ValueId, data: &[i32]) -> Result<(), PipelineError> {
        // The zero tail is not copied (a KV cache is zero past the current position).
        let len = data.len();
        let data = &data[..(used_leaves(data) * PER_LEAF).min(len)];
        let bytes = std::mem::size_of_val(data);
        {
            let mut queued = self
                .backlog
                .bytes
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            while *queued > 0 && queued.saturating_add(bytes) > self.queue {
                queued = self
                    .backlog
                    .drained
                    .wait(queued)
                    .unwrap_or_else(PoisonError::into_inner);
            }
            *queued += bytes;
        }
        let item = Item {
            step,
            value,
            data: data.to_vec(),
            len,
        };
        self.tx
            .as_ref()
            .ok_or(PipelineError::Stopped)?
            .send(item)
            .map_err(|_| PipelineError::Stopped)
    }

    /// Waits for the hasher to finish: each step's trace root ([`crate::trace_root_of`] of its
    /// values in value order), steps `0..` in order, and the hashing stats.
    ///
    /// # Errors
    /// [`PipelineError::Stopped`] when the thread panicked; [`PipelineError::MissingValue`]
    /// when a step below the last one given lacks a value id below its largest.
    pub fn finish(mut self) -> Result<(Vec<TraceRoot>, IncrementalStats), PipelineError> {
        drop(self.tx.take());
        let thread = self.thread.take().ok_or(PipelineError::Stopped)?;
        let (steps, stats) = thread.join().map_err(|_| PipelineError::Stopped)?;
        let mut roots = Vec::with_capacity(steps.len());
        for (step, values) in steps.into_iter().enumerate() {
            let values: Vec<Hash32> = values
                .into_iter()
                .enumerate()
                .map(|(v, r)| r.ok_or(PipelineError::MissingValue { step, value: v }))
                .collect::<Result<_, _>>()?;
            roots.push(TraceRoot::from_hash(root_of(&values)));
        }
        Ok((roots, stats))
    }
}

impl Drop for TraceHasher {
    fn drop(&mut self) {
        // Close the queue so the thread ends; its result is not needed any more.
        drop(self.tx.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The hashing thread: every queued value into one [`IncrementalTrace`].
fn hash_all(rx: Receiver<Item>, backlog: &Backlog, budget: usize) -> Done {
    let mut inc = IncrementalTrace::with_budget(budget);
    let mut steps: Vec<Vec<Option<Hash32>>> = Vec::new();
    for Item {
        step,
        value,
        data,
        len,
    } in rx
    {
        let root = inc.padded_value_root(value, &data, len);
        if steps.len() <= step {
            steps.resize_with(step + 1, Vec::new);
        }
        let roots = &mut steps[step];
        if roots.len() <= value.index() {
            roots.resize(value.index() + 1, None);
        }
        roots[value.index()] = Some(root);
        let bytes = std::mem::size_of_val(data.as_slice());
        drop(data);
        let mut queued = backlog.bytes.lock().unwrap_or_else(PoisonError::into_inner);
        *queued = queued.saturating_sub(bytes);
        backlog.drained.notify_all();
    }
    (steps, inc.stats())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::trace_root_of;

    /// A step's values: a cache filled to `pos` and two dense values.
    fn step_values(pos: usize) -> Vec<Vec<i32>> {
        let mut cache = vec![0i32; 64 * 32];
        for (i, e) in cache[..(pos + 1) * 32].iter_mut().enumerate() {
            *e = i as i32 * 3 + 1;
        }
        let dense: Vec<i32> = (0..500).map(|i| (i * 7 + pos as i32) ^ 0x33).collect();
        vec![cache, dense, vec![pos as i32]]
    }

    #[test]
    fn pipelined_roots_equal_in_line_roots_in_any_order() {
        let h = TraceHasher::spawn(usize::MAX).unwrap();
        let steps: Vec<Vec<Vec<i32>>> = (0..6).map(step_values).collect();
        // Steps 0–2 interleaved value by value (as a batched prefill hands them over), values
        // in reverse order; then 3–5 one after another in value order.
        for v in (0..3).rev() {
            for (s, vals) in steps.iter().enumerate().take(3) {
                h.value(s, ValueId(v), &vals[v as usize]).unwrap();
            }
        }
        for (s, vals) in steps.iter().enumerate().skip(3) {
            for (v, d) in vals.iter().enumerate() {
                h.value(s, ValueId(v as u32), d).unwrap();
            }
        }
        let (roots, stats) = h.finish().unwrap();
        let want: Vec<TraceRoot> = steps.iter().map(|v| trace_root_of(v)).collect();
        assert_eq!(roots, want);
        // The cache kept its tree: only its new rows were hashed again after step 0's.
        assert!(stats.rehashed < stats.leaves);
    }

    #[test]
    fn a_step_missing_a_value_is_an_error() {
        let h = TraceHasher::spawn(0).unwrap();
        let vals = step_values(0);
        h.value(0, ValueId(0), &vals[0]).unwrap();
        h.value(0, ValueId(2), &vals[2]).unwrap();
        assert!(matches!(
            h.finish(),
            Err(PipelineError::MissingValue { step: 0, value: 1 })
        ));
    }

    #[test]
    fn a_value_larger_than_the_queue_still_passes_and_dropping_stops_the_thread() {
        let big: Vec<i32> = (0..1000).collect();
        let h = TraceHasher::spawn_with_queue(usize::MAX, 400).unwrap();
        h.value(0, ValueId(0), &big).unwrap();
        h.value(0, ValueId(1), &big).unwrap();
        h.value(0, ValueId(2), &[9]).unwrap();
        let (roots, _) = h.finish().unwrap();
        assert_eq!(roots, vec![trace_root_of(&[big.clone(), big, vec![9]])]);
        let h = TraceHasher::spawn(usize::MAX).unwrap();
        h.value(0, ValueId(0), &[1, 2, 3]).unwrap();
        drop(h);
    }
}

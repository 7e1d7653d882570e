//! Incremental trace roots: the trace roots of a graph run again and again (an LLM's step graph,
//! once per token), each value's tree kept from one run to the next so that only what changed is
//! hashed again.
//!
//! From one decoding step to the next a KV cache changes in one row, yet [`crate::trace_root_of`]
//! hashes all of it, and every cache-shaped value the attention derives from it, again. Here each
//! value id keeps the levels of its tree; a new value of the same length is packed leaf by leaf
//! and compared with the kept leaves (a 32-byte compare, far cheaper than a Keccak), and only the
//! changed leaves' paths are hashed again. The result is exact, not an approximation: a node is
//! recomputed from its children whenever one of them changed, and a node none of whose leaves
//! changed still hashes leaves identical to the from-scratch tree's, so every root equals
//! [`crate::tensor_root`] of the same data, and a step's root equals [`crate::trace_root_of`] of
//! its values — same bytes, same tree, no protocol change.

use rayon::prelude::*;
use verinfer_ir::ValueId;

use crate::hash::{zero_hash, Hash32};
use crate::keccak_x8::hash_pairs;
use crate::tensor::{leaf_count, pack_leaf, pack_leaves};
use crate::trace::TraceRoot;
use crate::tree::{parents, root_of};

/// Values of at least this many leaves are compared in parallel.
const PAR_MIN_LEAVES: usize = 1 << 14;
/// Leaves compared per parallel task.
const DIFF_CHUNK: usize = 4096;
/// Levels with at least this many changed parents hash them in parallel.
const PAR_MIN_DIRTY: usize = 4096;
/// Changed parents hashed per parallel task.
const PAR_CHUNK: usize = 1024;

/// One value's tree as the last value of its id left it: every level, non-padding nodes only
/// (level 0 the packed leaves, the last level the root), the layout of [`crate::MerkleTree`].
#[derive(Clone, Debug)]
struct ValueTree {
    len: usize,
    levels: Vec<Vec<Hash32>>,
}

impl ValueTree {
    /// The whole tree of `data`, hashed from scratch.
    fn new(data: &[i32]) -> Self {
        let leaves = pack_leaves(data);
        let depth = crate::tree::depth_for(leaves.len() as u64);
        let mut levels = Vec::with_capacity(depth + 1);
        levels.push(leaves);
        for h in 0..depth {
            let next = parents(&levels[h], h);
            levels.push(next);
        }
        Self {
            len: data.len(),
            levels,
        }
    }

    /// Bytes the kept tree holds (its nodes; what [`IncrementalTrace`]'s budget counts).
    fn bytes(&self) -> usize {
        self.levels.iter().map(Vec::len).sum::<usize>() * std::mem::size_of::<Hash32>()
    }

    fn root(&self) -> Hash32 {
        self.levels
            .last()
            .and_then(|l| l.first())
            .copied()
            .unwrap_or(Hash32::ZERO)
    }

    /// Replaces the leaves by those of `data` (same length), returning the positions of the
    /// leaves that changed, in increasing order.
    fn diff_leaves(&mut self, data: &[i32]) -> Vec<usize> {
        let Some(leaves) = self.levels.first_mut() else {
            return Vec::new();
        };
        let diff = |first: usize, chunk: &mut [Hash32]| {
            let mut dirty = Vec::new();
            for (j, leaf) in chunk.iter_mut().enumerate() {
                let new = pack_leaf(data, first + j);
                if *leaf != new {
                    *leaf = new;
                    dirty.push(first + j);
                }
            }
            dirty
        };
        if leaves.len() < PAR_MIN_LEAVES {
            return diff(0, leaves);
        }
        let parts: Vec<Vec<usize>> = leaves
            .par_chunks_mut(DIFF_CHUNK)
            .enumerate()
            .map(|(c, chunk)| diff(c * DIFF_CHUNK, chunk))
            .collect();
        parts.concat()
    }

    /// Brings the tree to `data`, a value of the same length, hashing again only the paths of
    /// the leaves that changed. Returns how many leaves changed.
    fn update(&mut self, data: &[i32]) -> usize {
        let mut dirty = self.diff_leaves(data);
        let changed = dirty.len();
        for h in 0..self.levels.len().saturating_sub(1) {
            if dirty.is_empty() {
                break;
            }
            // Sorted children give sorted parents; each parent once.
            let mut up: Vec<usize> = dirty.iter().map(|i| i / 2).collect();
            up.dedup();
            let (below, above) = self.levels.split_at_mut(h + 1);
            let (child, parent) = (&below[h], &mut above[0]);
            let pad = zero_hash(h);
            let pair = |k: usize| {
                let p = up[k];
                (child[2 * p], child.get(2 * p + 1).copied().unwrap_or(pad))
            };
            let mut new = vec![Hash32::ZERO; up.len()];
            if up.len() >= PAR_MIN_DIRTY {
                new.par_chunks_mut(PAR_CHUNK)
                    .enumerate()
                    .for_each(|(c, chunk)| hash_pairs(chunk, |j| pair(c * PAR_CHUNK + j)));
            } else {
                hash_pairs(&mut new, pair);
            }
            for (&p, n) in up.iter().zip(new) {
                parent[p] = n;
            }
            dirty = up;
        }
        changed
    }
}

/// Nodes of a tree of `leaves` leaves, padding excluded (the leaves, then each level's
/// `ceil(n / 2)` up to the root).
fn tree_nodes(leaves: u64) -> usize {
    let mut n = usize::try_from(leaves).unwrap_or(usize::MAX);
    let mut total = n;
    while n > 1 {
        n = n.div_ceil(2);
        total = total.saturating_add(n);
    }
    total
}

/// What an [`IncrementalTrace`] keeps for one value id.
#[derive(Clone, Debug, Default)]
enum Slot {
    /// Not seen yet, or seen when its tree did not fit the budget (tried again next time).
    #[default]
    New,
    /// Seen, and changing sparsely so far: its tree.
    Kept(ValueTree),
    /// Changed in more than half its leaves once: hashed from scratch, nothing kept.
    Dense,
}

/// How much hashing an [`IncrementalTrace`] did and saved, summed over every value it saw.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IncrementalStats {
    /// Leaves of every value committed.
    pub leaves: u64,
    /// Leaves that were hashed along their path: every leaf of a value seen for the first time
    /// or at a new length, the changed leaves otherwise.
    pub rehashed: u64,
}

/// Default byte budget for the kept trees of an [`IncrementalTrace`]: 2 GiB.
///
/// At LLaMA-2-7B shapes and a 4096-token context the caches alone are 4 GiB of `i32` a step,
/// their trees and those of the cache-append outputs over 12 GB; 2 GiB keeps every tree of the
/// shapes up to tinyllama at a 2048 context and leaves a 7B run inside the 12 GB target (the
/// values beyond it are hashed from scratch, as before trees were kept).
pub const DEFAULT_TREE_BUDGET: usize = 2 << 30;

/// Trace roots of successive runs of one graph (an LLM generation's steps), each value's tree
/// kept across runs and updated where its leaves changed (see the module documentation).
///
/// Memory: a value's tree costs about twice its `i32` bytes, so it is kept only while the value
/// changes sparsely. A value of which more than half the leaves changed from one run to the next
/// (logits, activations, block partial sums: everything but the caches and what is derived
/// from them) gains nothing from its tree; it is dropped and that value id is hashed from
/// scratch, keeping nothing, from then on. All kept trees together stay within a byte budget
/// ([`DEFAULT_TREE_BUDGET`], or [`IncrementalTrace::with_budget`]): a tree that would exceed it
/// is not kept and its value is hashed from scratch (tried again on the next run, when a
/// dropped tree may have made room). Roots never depend on the budget, only the hashing work.
#[derive(Clone, Debug)]
pub struct IncrementalTrace {
    trees: Vec<Slot>,
    roots: Vec<Hash32>,
    stats: IncrementalStats,
    budget: usize,
    kept: usize,
}

impl Default for IncrementalTrace {
    fn default() -> Self {
        Self::with_budget(DEFAULT_TREE_BUDGET)
    }
}

impl IncrementalTrace {
    /// No value seen yet: the first run hashes everything.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Like [`Self::new`], keeping trees of at most `bytes` bytes in all (0: none; every value
    /// hashed from scratch every run).
    #[must_use]
    pub fn with_budget(bytes: usize) -> Self {
        Self {
            trees: Vec::new(),
            roots: Vec::new(),
            stats: IncrementalStats::default(),
            budget: bytes,
            kept: 0,
        }
    }

    /// Bytes the kept trees hold now (at most the budget).
    #[must_use]
    pub fn kept_bytes(&self) -> usize {
        self.kept
    }

    /// The root of `data` as value `value`: [`crate::tensor_root`] of `data`, hashing again only
    /// the leaves that differ from the last value of that id (all of them when its length
    /// changed, the id is new or its tree was not kept). Values may come in any order.
    pub fn value_root(&mut self, value: ValueId, data: &[i32]) -> Hash32 {
        let v = value.index();
        if self.trees.len() <= v {
            self.trees.resize(v + 1, Slot::New);
        }
        let leaves = leaf_count(data.len() as u64);
        self.stats.leaves += leaves;
        let slot = &mut self.trees[v];
        match slot {
            Slot::Kept(t) if t.len == data.len() => {
                let changed = t.update(data) as u64;
                self.stats.rehashed += changed;
                let root = t.root();
                if 2 * changed > leaves {
                    self.kept -= t.bytes();
                    *slot = Slot::Dense;
                }
                root
            }
            Slot::Dense => {
                self.stats.rehashed += leaves;
                crate::tensor::tensor_root(data)
            }
            _ => {
                self.stats.rehashed += leaves;
                if let Slot::Kept(old) = slot {
                    self.kept -= old.bytes();
                    *slot = Slot::New;
                }
                let bytes = tree_nodes(leaves).saturating_mul(std::mem::size_of::<Hash32>());
                if self.kept.saturating_add(bytes) > self.budget {
                    return crate::tensor::tensor_root(data);
                }
                let t = ValueTree::new(data);
                let root = t.root();
                self.kept += t.bytes();
                *slot = Slot::Kept(t);
                root
            }
        }
    }

    /// Commits the next value of the current run, in value order (what a streaming run's sink
    /// hands over: inputs, then each node's output).
    pub fn push(&mut self, data: &[i32]) {
        let id = ValueId(u32::try_from(self.roots.len()).unwrap_or(u32::MAX));
        let root = self.value_root(id, data);
        self.roots.push(root);
    }

    /// The roots of the current run's values so far.
    pub fn value_roots(&self) -> &[Hash32] {
        &self.roots
    }

    /// Ends the current run: its trace root ([`crate::trace_root_of`] of the values pushed);
    /// the trees stay for the next run.
    pub fn finish_run(&mut self) -> TraceRoot {
        let root = TraceRoot::from_hash(root_of(&self.roots));
        self.roots.clear();
        root
    }

    /// Leaves committed and leaves hashed again so far.
    #[must_use]
    pub fn stats(&self) -> IncrementalStats {
        self.stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tensor::tensor_root;
    use crate::trace::trace_root_of;
    use proptest::prelude::*;

    /// A change to apply to a value between two runs.
    #[derive(Clone, Debug)]
    enum Change {
        Same,
        /// Set element `at % len` (a sparse change, like a cache row).
        One(usize, i32),
        /// A run of elements starting at `at % len`.
        Row(usize, usize, i32),
        /// Every element (a dense change).
        All(i32),
        /// A new length (refused by the tree, handled by rebuilding it).
        Resize(usize, i32),
    }

    fn change() -> impl Strategy<Value = Change> {
        prop_oneof![
            Just(Change::Same),
            (any::<usize>(), any::<i32>()).prop_map(|(a, x)| Change::One(a, x)),
            (any::<usize>(), 1usize..70, any::<i32>()).prop_map(|(a, n, x)| Change::Row(a, n, x)),
            any::<i32>().prop_map(Change::All),
            (0usize..3000, any::<i32>()).prop_map(|(n, x)| Change::Resize(n, x)),
        ]
    }

    fn apply(v: &mut Vec<i32>, c: &Change) {
        let len = v.len();
        match *c {
            Change::Same => {}
            Change::One(a, x) if len > 0 => v[a % len] = x,
            Change::Row(a, n, x) if len > 0 => {
                let s = a % len;
                for (k, e) in v[s..(s + n).min(len)].iter_mut().enumerate() {
                    *e = x.wrapping_add(k as i32);
                }
            }
            Change::All(x) => {
                for (k, e) in v.iter_mut().enumerate() {
                    *e = x ^ (k as i32).wrapping_mul(0x9e37_79b9u32 as i32);
                }
            }
            Change::Resize(n, x) => v.resize(n, x),
            _ => {}
        }
    }

    fn start(lens: &[usize], seed: i32) -> Vec<Vec<i32>> {
        lens.iter()
            .enumerate()
            .map(|(v, &n)| {
                (0..n)
                    .map(|i| (i as i32 ^ seed).wrapping_mul(31).wrapping_sub(v as i32))
                    .collect()
            })
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        /// Every run's value roots and trace root equal the from-scratch ones, whatever changed.
        #[test]
        fn incremental_roots_equal_from_scratch(
            lens in proptest::collection::vec(0usize..3000, 1..6),
            seed in any::<i32>(),
            runs in proptest::collection::vec(proptest::collection::vec(change(), 6), 1..6),
            budget in prop_oneof![Just(usize::MAX), 0usize..40_000],
        ) {
            let mut values = start(&lens, seed);
            let mut inc = IncrementalTrace::with_budget(budget);
            for changes in &runs {
                for (v, c) in values.iter_mut().zip(changes) {
                    apply(v, c);
                }
                for v in &values {
                    inc.push(v);
                }
                let want: Vec<Hash32> = values.iter().map(|v| tensor_root(v)).collect();
                prop_assert_eq!(inc.value_roots(), &want[..]);
                prop_assert_eq!(inc.finish_run(), trace_root_of(&values));
                prop_assert!(inc.kept_bytes() <= budget);
            }
        }
    }

    #[test]
    fn only_changed_leaves_are_hashed_again() {
        // A 128 × 64 "cache" filled one row per run, as a decoding step fills it.
        let (ctx, row) = (128usize, 64usize);
        let mut cache = vec![0i32; ctx * row];
        let mut inc = IncrementalTrace::new();
        let leaves = (ctx * row / 8) as u64;
        for pos in 0..ctx {
            for (k, e) in cache[pos * row..(pos + 1) * row].iter_mut().enumerate() {
                *e = (pos * 1000 + k) as i32 + 1;
            }
            let before = inc.stats();
            inc.push(&cache);
            assert_eq!(inc.finish_run(), trace_root_of(&[cache.clone()]));
            let s = inc.stats();
            assert_eq!(s.leaves - before.leaves, leaves);
            let want = if pos == 0 { leaves } else { (row / 8) as u64 };
            assert_eq!(s.rehashed - before.rehashed, want, "pos {pos}");
        }
        // The same value again hashes nothing; a new length hashes it all.
        let before = inc.stats();
        assert_eq!(inc.value_root(ValueId(0), &cache), tensor_root(&cache));
        assert_eq!(inc.stats().rehashed, before.rehashed);
        cache.pop();
        assert_eq!(inc.value_root(ValueId(0), &cache), tensor_root(&cache));
        assert_eq!(
            inc.stats().rehashed - before.rehashed,
            leaf_count(cache.len() as u64)
        );
    }

    #[test]
    fn a_densely_changing_value_keeps_no_tree_and_stays_exact() {
        let mut inc = IncrementalTrace::new();
        let mut d: Vec<i32> = (0..4096).collect();
        let _ = inc.value_root(ValueId(1), &d);
        assert!(matches!(inc.trees[1], Slot::Kept(_)));
        for run in 1..4 {
            for e in d.iter_mut() {
                *e = e.wrapping_mul(3) + run;
            }
            assert_eq!(inc.value_root(ValueId(1), &d), tensor_root(&d));
            assert!(matches!(inc.trees[1], Slot::Dense), "run {run}");
        }
        // A sparse change keeps the tree.
        let mut c = vec![0i32; 4096];
        let _ = inc.value_root(ValueId(2), &c);
        c[17] = 5;
        assert_eq!(inc.value_root(ValueId(2), &c), tensor_root(&c));
        assert!(matches!(inc.trees[2], Slot::Kept(_)));
    }

    #[test]
    fn wide_values_take_the_parallel_paths_and_stay_exact() {
        // Over PAR_MIN_LEAVES leaves, with over PAR_MIN_DIRTY changed parents, in a pool of 4.
        let n = (PAR_MIN_LEAVES + 3 * DIFF_CHUNK + 5) * 8;
        let mut d: Vec<i32> = (0..n as i32).map(|i| i.wrapping_mul(7919)).collect();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(4)
            .build()
            .unwrap();
        let mut inc = IncrementalTrace::new();
        pool.install(|| {
            assert_eq!(inc.value_root(ValueId(3), &d), tensor_root(&d));
            for i in (0..n).step_by(13) {
                d[i] ^= 0x55;
            }
            assert_eq!(inc.value_root(ValueId(3), &d), tensor_root(&d));
            d[n - 1] += 1;
            assert_eq!(inc.value_root(ValueId(3), &d), tensor_root(&d));
        });
        // Out-of-order ids and an empty value.
        assert_eq!(inc.value_root(ValueId(0), &[]), tensor_root(&[]));
        assert_eq!(inc.value_root(ValueId(0), &[5]), tensor_root(&[5]));
    }

    #[test]
    fn a_budget_caps_the_kept_trees_and_leaves_roots_unchanged() {
        // Three 128 × 64 caches, one row a run: each tree is 2,047 nodes (65,504 bytes).
        let (ctx, row) = (128usize, 64usize);
        let tree = (2 * ctx * row / 8 - 1) * 32;
        let mut caches = vec![vec![0i32; ctx * row]; 3];
        let mut capped = IncrementalTrace::with_budget(2 * tree);
        let mut none = IncrementalTrace::with_budget(0);
        let mut all = IncrementalTrace::new();
        for pos in 0..6 {
            for (c, cache) in caches.iter_mut().enumerate() {
                for (k, e) in cache[pos * row..(pos + 1) * row].iter_mut().enumerate() {
                    *e = (c * 7 + pos * 1000 + k) as i32 + 1;
                }
            }
            let want = trace_root_of(&caches);
            for inc in [&mut capped, &mut none, &mut all] {
                for c in &caches {
                    inc.push(c);
                }
                assert_eq!(inc.finish_run(), want, "run {pos}");
            }
        }
        // Two trees fit the cap, the third value is hashed whole every run; no budget, no tree.
        assert_eq!(capped.kept_bytes(), 2 * tree);
        assert_eq!(all.kept_bytes(), 3 * tree);
        assert_eq!(none.kept_bytes(), 0);
        let leaves = (ctx * row / 8) as u64;
        assert_eq!(all.stats().rehashed, 3 * leaves + 5 * 3 * 8);
        assert_eq!(capped.stats().rehashed, 3 * leaves + 5 * (2 * 8 + leaves));
        assert_eq!(none.stats().rehashed, 6 * 3 * leaves);
        // A tree dropped for changing densely makes room for the one left out.
        for e in caches[0].iter_mut() {
            *e = e.wrapping_mul(3) ^ 0x5a5a;
        }
        for _ in 0..2 {
            for c in &caches {
                capped.push(c);
            }
            assert_eq!(capped.finish_run(), trace_root_of(&caches));
        }
        assert!(matches!(capped.trees[0], Slot::Dense));
        assert!(matches!(capped.trees[2], Slot::Kept(_)));
        assert_eq!(capped.kept_bytes(), 2 * tree);
    }
}

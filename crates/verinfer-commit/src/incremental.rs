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
use crate::tensor::{leaf_count, pack_leaf, pack_leaves, PER_LEAF};
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

/// One value's tree as the last value of its id left it (the layout of [`crate::MerkleTree`]:
/// level 0 the packed leaves, the last level the root), **trimmed of its zero tail**: leaves
/// past the last nonzero one are zero, so every node over them alone is the zero-subtree hash
/// `Z_h` — exactly what padding is. Level `h` stores its first `ceil(m / 2^h)` nodes (`m` the
/// leaves up to the last nonzero one, [`used_leaves`]) and the rest are `Z_h`, never hashed
/// nor stored. A KV cache, zero past the current position, costs the rows filled so far.
#[derive(Clone, Debug)]
struct ValueTree {
    len: usize,
    /// `levels.len() == depth + 1`, whatever `m` is (an all-zero value has empty levels).
    levels: Vec<Vec<Hash32>>,
}

/// Leaves of `data` up to and including the last one holding a nonzero element.
pub(crate) fn used_leaves(data: &[i32]) -> usize {
    /// Elements tested at once (a branch-free OR the compiler vectorizes).
    const SCAN: usize = 64;
    let mut end = data.len();
    while end > 0 {
        let start = end.saturating_sub(SCAN);
        let part = &data[start..end];
        if part.iter().fold(0, |a, &x| a | x) != 0 {
            let last = part.iter().rposition(|&x| x != 0).unwrap_or(0);
            return (start + last) / PER_LEAF + 1;
        }
        end = start;
    }
    0
}

/// The first `m` leaves of `data`.
fn leaves_prefix(data: &[i32], m: usize) -> Vec<Hash32> {
    let prefix = &data[..(m * PER_LEAF).min(data.len())];
    if m == 0 {
        Vec::new()
    } else {
        pack_leaves(prefix)
    }
}

impl ValueTree {
    /// The whole tree of `data` followed by zeros up to `len` elements, hashed from scratch
    /// (its zero tail aside).
    fn new(data: &[i32], len: usize) -> Self {
        let depth = crate::tree::depth_for(leaf_count(len as u64));
        let mut levels = Vec::with_capacity(depth + 1);
        levels.push(leaves_prefix(data, used_leaves(data)));
        for h in 0..depth {
            let next = if levels[h].is_empty() {
                Vec::new()
            } else {
                parents(&levels[h], h)
            };
            levels.push(next);
        }
        Self { len, levels }
    }

    /// Bytes the kept tree holds (its stored nodes; what [`IncrementalTrace`]'s budget counts).
    fn bytes(&self) -> usize {
        self.levels.iter().map(Vec::len).sum::<usize>() * std::mem::size_of::<Hash32>()
    }

    fn root(&self) -> Hash32 {
        let depth = self.levels.len().saturating_sub(1);
        self.levels
            .last()
            .and_then(|l| l.first())
            .copied()
            .unwrap_or_else(|| zero_hash(depth))
    }

    /// Replaces the stored leaves by those of `data` (zero-padded to the same length, `m`
    /// used leaves), returning
    /// the positions of the leaves that changed, in increasing order: those that differ below
    /// both old and new `m`, and every one between the two.
    fn diff_leaves(&mut self, data: &[i32], m: usize) -> Vec<usize> {
        let Some(leaves) = self.levels.first_mut() else {
            return Vec::new();
        };
        let old = leaves.len();
        let common = old.min(m);
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
        let mut dirty = if common < PAR_MIN_LEAVES {
            diff(0, &mut leaves[..common])
        } else {
            let parts: Vec<Vec<usize>> = leaves[..common]
                .par_chunks_mut(DIFF_CHUNK)
                .enumerate()
                .map(|(c, chunk)| diff(c * DIFF_CHUNK, chunk))
                .collect();
            parts.concat()
        };
        if m > old {
            leaves.extend((old..m).map(|i| pack_leaf(data, i)));
        } else {
            leaves.truncate(m);
        }
        dirty.extend(common..old.max(m));
        dirty
    }

    /// Brings the tree to `data`, zero-padded to the tree's length, hashing again only the
    /// paths of the leaves that changed. Returns how many leaves changed.
    fn update(&mut self, data: &[i32]) -> usize {
        let m = used_leaves(data);
        let mut dirty = self.diff_leaves(data, m);
        let changed = dirty.len();
        for h in 0..self.levels.len().saturating_sub(1) {
            let (below, above) = self.levels.split_at_mut(h + 1);
            let (child, parent) = (&below[h], &mut above[0]);
            // The stored parents: one per pair of stored children (the rest are `Z_{h+1}`).
            let want = child.len().div_ceil(2);
            let resized = parent.len() != want;
            if dirty.is_empty() && !resized {
                break;
            }
            parent.resize(want, Hash32::ZERO);
            // Parents of changed children, except those no longer stored (over zero leaves
            // only); when the level's length changed, its last parent too (its right child
            // may have become padding without a changed child below it at this level).
            let mut up: Vec<usize> = dirty.iter().map(|i| i / 2).filter(|&p| p < want).collect();
            if resized && want > 0 {
                up.push(want - 1);
            }
            up.sort_unstable();
            up.dedup();
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

/// [`crate::tensor_root`] of `data` zero-padded to `len` elements, hashing only its leaves up
/// to the last nonzero one: their root, then paired with zero-subtree hashes up to the depth
/// `len` fixes.
fn trimmed_root(data: &[i32], len: usize) -> Hash32 {
    let depth = crate::tree::depth_for(leaf_count(len as u64));
    let used = used_leaves(data);
    if used == 0 {
        return zero_hash(depth);
    }
    let prefix = &data[..(used * PER_LEAF).min(data.len())];
    let mut h = crate::tree::depth_for(used as u64);
    let mut root = crate::tensor::tensor_root(prefix);
    while h < depth {
        root = crate::hash::keccak_pair(&root, &zero_hash(h));
        h += 1;
    }
    root
}

/// Nodes a kept tree of `used` stored leaves and depth `depth` holds: `ceil(used / 2^h)` at
/// each level `h = 0..=depth` (none for an all-zero value).
fn stored_nodes(used: usize, depth: usize) -> usize {
    (0..=depth)
        .map(|h| {
            u32::try_from(h)
                .ok()
                .and_then(|h| 1usize.checked_shl(h))
                .map_or(usize::from(used > 0), |w| used.div_ceil(w))
        })
        .sum()
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
    /// Leaves that were hashed along their path: the leaves up to the last nonzero one of a
    /// value seen for the first time or at a new length, the changed leaves of a kept tree,
    /// every leaf of a densely changing value.
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
        self.padded_value_root(value, data, data.len())
    }

    /// [`Self::value_root`] of `data` followed by zeros up to `len` elements (`data` longer
    /// than `len` is cut there): a caller may hand over a value's nonzero prefix only
    /// ([`crate::TraceHasher`] copies no zero tail).
    pub fn padded_value_root(&mut self, value: ValueId, data: &[i32], len: usize) -> Hash32 {
        let data = &data[..data.len().min(len)];
        let v = value.index();
        if self.trees.len() <= v {
            self.trees.resize(v + 1, Slot::New);
        }
        let leaves = leaf_count(len as u64);
        self.stats.leaves += leaves;
        let slot = &mut self.trees[v];
        match slot {
            Slot::Kept(t) if t.len == len => {
                let before = t.bytes();
                let changed = t.update(data) as u64;
                self.stats.rehashed += changed;
                let root = t.root();
                let after = t.bytes();
                self.kept = self.kept - before + after;
                if 2 * changed > leaves {
                    self.kept -= after;
                    *slot = Slot::Dense;
                } else if self.kept > self.budget {
                    // Grown past the budget: hashed from scratch until there is room again.
                    self.kept -= after;
                    *slot = Slot::New;
                }
                root
            }
            Slot::Dense => {
                self.stats.rehashed += leaves;
                trimmed_root(data, len)
            }
            _ => {
                if let Slot::Kept(old) = slot {
                    self.kept -= old.bytes();
                    *slot = Slot::New;
                }
                let used = used_leaves(data);
                self.stats.rehashed += used as u64;
                let depth = crate::tree::depth_for(leaves);
                let bytes = stored_nodes(used, depth).saturating_mul(std::mem::size_of::<Hash32>());
                if self.kept.saturating_add(bytes) > self.budget {
                    return trimmed_root(data, len);
                }
                let t = ValueTree::new(data, len);
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
        /// Zero from element `at % len` on (the stored prefix shrinks).
        ZeroFrom(usize),
    }

    fn change() -> impl Strategy<Value = Change> {
        prop_oneof![
            Just(Change::Same),
            (any::<usize>(), any::<i32>()).prop_map(|(a, x)| Change::One(a, x)),
            (any::<usize>(), 1usize..70, any::<i32>()).prop_map(|(a, n, x)| Change::Row(a, n, x)),
            any::<i32>().prop_map(Change::All),
            (0usize..3000, any::<i32>()).prop_map(|(n, x)| Change::Resize(n, x)),
            any::<usize>().prop_map(Change::ZeroFrom),
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
            Change::ZeroFrom(a) if len > 0 => v[a % len..].fill(0),
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
            // The rows past `pos` are zero: never hashed, not even the first time.
            assert_eq!(s.rehashed - before.rehashed, (row / 8) as u64, "pos {pos}");
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

    /// Bytes of a kept tree of `used` leaves at depth `depth` (zero tail not stored).
    fn trimmed_tree_bytes(used: usize, depth: usize) -> usize {
        (0..=depth).map(|h| used.div_ceil(1 << h)).sum::<usize>() * 32
    }

    #[test]
    fn a_budget_caps_the_kept_trees_and_leaves_roots_unchanged() {
        // Three 128 × 64 caches (1,024 leaves, depth 10), one row (8 leaves) a run: a kept
        // tree grows with the rows filled. The cap holds two trees of six rows.
        let (ctx, row) = (128usize, 64usize);
        let t = |rows: usize| trimmed_tree_bytes(rows * 8, 10);
        let cap = 2 * t(6);
        assert!(3 * t(3) <= cap && 3 * t(4) > cap);
        let mut caches = vec![vec![0i32; ctx * row]; 3];
        let mut capped = IncrementalTrace::with_budget(cap);
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
                assert!(inc.kept_bytes() <= inc.budget);
            }
            // Three trees fit up to three rows; at four the third grows past the cap and is
            // dropped, and it does not fit again.
            let kept = if pos < 3 { 3 } else { 2 };
            assert_eq!(capped.kept_bytes(), kept * t(pos + 1), "run {pos}");
        }
        assert_eq!(all.kept_bytes(), 3 * t(6));
        assert_eq!(none.kept_bytes(), 0);
        assert!(matches!(capped.trees[2], Slot::New));
        // Kept trees hash the new row only; without a tree the filled rows are hashed whole.
        assert_eq!(all.stats().rehashed, 6 * 3 * 8);
        assert_eq!(none.stats().rehashed, 3 * 8 * (1 + 2 + 3 + 4 + 5 + 6));
        assert_eq!(
            capped.stats().rehashed,
            4 * 3 * 8 + 2 * (2 * 8) + 8 * (5 + 6)
        );
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
        assert_eq!(capped.kept_bytes(), 2 * t(6));
    }

    #[test]
    fn zero_tails_are_neither_hashed_nor_stored() {
        for len in [0usize, 1, 7, 8, 9, 64, 1000, 4096] {
            let mut d = vec![0i32; len];
            assert_eq!(used_leaves(&d), 0);
            assert_eq!(trimmed_root(&d, d.len()), tensor_root(&d), "len {len}");
            for at in [0, len / 3, len.saturating_sub(1)] {
                if at < len {
                    d.fill(0);
                    d[..=at].fill(-3);
                    assert_eq!(used_leaves(&d), at / 8 + 1);
                    assert_eq!(
                        trimmed_root(&d, d.len()),
                        tensor_root(&d),
                        "len {len} at {at}"
                    );
                }
            }
        }
        // A tree follows its nonzero prefix up and down; an all-zero value stores nothing.
        let mut inc = IncrementalTrace::new();
        let mut d = vec![0i32; 4096];
        for end in [0usize, 100, 1500, 1200, 17, 0, 2000] {
            d.fill(0);
            d[..end].fill(9);
            assert_eq!(inc.value_root(ValueId(0), &d), tensor_root(&d), "end {end}");
            let Slot::Kept(t) = &inc.trees[0] else {
                panic!("end {end}: no tree kept");
            };
            assert_eq!(t.levels[0].len(), end.div_ceil(8));
            assert_eq!(inc.kept_bytes(), t.bytes());
            assert_eq!(t.bytes(), trimmed_tree_bytes(end.div_ceil(8), 9));
        }
    }
}

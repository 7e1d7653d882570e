//! Binary Keccak Merkle trees over 32-byte leaves, padded with zero-subtree hashes.
//!
//! The rule every commitment of verinfer shares (and the Solidity `MerkleLib` repeats): a list
//! of `n` leaves (an empty list counts as one zero leaf) has depth `ceil(log2(n))`; the leaf
//! level is padded to `2^depth` with zero leaves, and a parent is `keccak(left ‖ right)`.
//! Padding is never hashed explicitly: an all-padding subtree of height `l` is `Z_l`
//! ([`zero_hash`]), so committing costs about one hash per real leaf. A one-leaf tree's root is
//! the leaf itself.
//!
//! Paths list siblings from the leaf level up; bit `i` of the leaf index set means the running
//! node is the right child at level `i`.

use rayon::prelude::*;

use crate::error::{PathError, RevealError, TreeError};
use crate::hash::{keccak_pair, zero_hash, Hash32};
use crate::keccak_x8::hash_pairs;

/// Levels wider than this many parents are hashed in parallel.
const PAR_MIN_PARENTS: usize = 4096;
/// Parents per parallel task.
const PAR_CHUNK: usize = 1024;
/// Subtrees of at most `2^SEQ_HEIGHT` leaves are folded sequentially by [`root_with`].
const SEQ_HEIGHT: usize = 10;
/// Largest `d` a reveal may ask for (`2^d` nodes).
pub const MAX_REVEAL_LEVELS: usize = 20;

/// Depth of a tree of `n` leaves: `ceil(log2(max(n, 1)))`.
#[must_use]
pub fn depth_for(n: u64) -> usize {
    if n <= 1 {
        0
    } else {
        (u64::BITS - (n - 1).leading_zeros()) as usize
    }
}

/// `2^k` as `u64`, saturating at `u64::MAX` for `k >= 64` (no tree here reaches that).
fn pow2(k: usize) -> u64 {
    u32::try_from(k)
        .ok()
        .and_then(|k| 1u64.checked_shl(k))
        .unwrap_or(u64::MAX)
}

/// One level up: `parent[i] = keccak(level[2i] ‖ level[2i+1])`, a missing right child being
/// `Z_height` (the padding of a level of height `height`).
pub(crate) fn parents(level: &[Hash32], height: usize) -> Vec<Hash32> {
    let n = level.len().div_ceil(2);
    let pad = zero_hash(height);
    let pair = |i: usize| (level[2 * i], level.get(2 * i + 1).copied().unwrap_or(pad));
    let mut out = vec![Hash32::ZERO; n];
    if n >= PAR_MIN_PARENTS {
        out.par_chunks_mut(PAR_CHUNK)
            .enumerate()
            .for_each(|(c, chunk)| hash_pairs(chunk, |j| pair(c * PAR_CHUNK + j)));
    } else {
        hash_pairs(&mut out, pair);
    }
    out
}

/// A Merkle tree with every level stored, for answering paths and reveals by lookup.
///
/// `levels[0]` holds the real leaves (at least one), `levels[depth]` the root; each level holds
/// only its non-padding nodes, padding nodes being `Z_level`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MerkleTree {
    levels: Vec<Vec<Hash32>>,
}

impl MerkleTree {
    /// Build the tree of `leaves` (an empty list is one zero leaf). Wide levels are hashed in
    /// parallel; the result does not depend on the number of threads.
    pub fn from_leaves(mut leaves: Vec<Hash32>) -> Self {
        if leaves.is_empty() {
            leaves.push(Hash32::ZERO);
        }
        let depth = depth_for(leaves.len() as u64);
        let mut levels = Vec::with_capacity(depth + 1);
        levels.push(leaves);
        for h in 0..depth {
            let next = parents(&levels[h], h);
            levels.push(next);
        }
        Self { levels }
    }

    /// Depth (0 for a one-leaf tree).
    #[must_use]
    pub fn depth(&self) -> usize {
        self.levels.len() - 1
    }

    /// Number of real leaves.
    #[must_use]
    pub fn num_leaves(&self) -> usize {
        self.levels[0].len()
    }

    /// The real leaves.
    pub fn leaves(&self) -> &[Hash32] {
        &self.levels[0]
    }

    /// The root.
    pub fn root(&self) -> Hash32 {
        self.levels[self.depth()][0]
    }

    /// Width of level `level` with padding: `2^(depth - level)`.
    #[must_use]
    pub fn padded_width(&self, level: usize) -> u64 {
        pow2(self.depth().saturating_sub(level))
    }

    /// Node at `(level, pos)`, level 0 being the leaves; padding nodes are `Z_level`.
    ///
    /// # Errors
    /// A level above the root or a position outside the padded level.
    pub fn node(&self, level: usize, pos: u64) -> Result<Hash32, TreeError> {
        let depth = self.depth();
        if level > depth {
            return Err(TreeError::LevelOutOfRange { level, depth });
        }
        let width = self.padded_width(level);
        if pos >= width {
            return Err(TreeError::PositionOutOfRange { level, pos, width });
        }
        Ok(usize::try_from(pos)
            .ok()
            .and_then(|p| self.levels[level].get(p).copied())
            .unwrap_or_else(|| zero_hash(level)))
    }

    /// Siblings of leaf `index` from the leaf level up.
    ///
    /// # Errors
    /// [`TreeError::LeafOutOfRange`] past the last real leaf.
    pub fn path(&self, index: u64) -> Result<Vec<Hash32>, TreeError> {
        let leaves = self.num_leaves() as u64;
        if index >= leaves {
            return Err(TreeError::LeafOutOfRange { index, leaves });
        }
        (0..self.depth())
            .map(|l| self.node(l, (index >> l) ^ 1))
            .collect()
    }

    /// The `2^d` nodes `d` levels below node `(level, pos)`: positions `pos·2^d … (pos+1)·2^d − 1`
    /// of level `level − d`, padding included. [`verify_reveal`] hashes them back to the node.
    ///
    /// # Errors
    /// A node outside the tree, `d > level`, or `d >` [`MAX_REVEAL_LEVELS`].
    pub fn reveal(&self, level: usize, pos: u64, d: usize) -> Result<Vec<Hash32>, TreeError> {
        let _ = self.node(level, pos)?;
        if d > level {
            return Err(TreeError::RevealTooDeep { d, level });
        }
        if d > MAX_REVEAL_LEVELS {
            return Err(TreeError::RevealTooWide {
                d,
                max: MAX_REVEAL_LEVELS,
            });
        }
        let first = pos << d;
        (first..first + pow2(d))
            .map(|p| self.node(level - d, p))
            .collect()
    }
}

/// Root of `leaves` without storing the tree (same rule as [`MerkleTree`]).
pub fn root_of(leaves: &[Hash32]) -> Hash32 {
    root_with(leaves.len() as u64, |i| {
        usize::try_from(i)
            .ok()
            .and_then(|i| leaves.get(i).copied())
            .unwrap_or(Hash32::ZERO)
    })
}

/// Root of a tree of `n` leaves whose leaf `i` is `leaf(i)`, without storing it: parallel
/// divide and conquer over aligned subtrees, sequential below `2^10` leaves. Memory stays
/// O(2^10) per thread, whatever `n`, which is what committing a large model's parameters needs.
pub fn root_with<F>(n: u64, leaf: F) -> Hash32
where
    F: Fn(u64) -> Hash32 + Sync,
{
    let n = n.max(1);
    subtree_root(&leaf, 0, n, depth_for(n))
}

/// Root of the subtree of height `height` whose first leaf is `start`; leaves at or past `n`
/// are padding.
fn subtree_root<F>(leaf: &F, start: u64, n: u64, height: usize) -> Hash32
where
    F: Fn(u64) -> Hash32 + Sync,
{
    if start >= n {
        return zero_hash(height);
    }
    if height <= SEQ_HEIGHT {
        let end = n.min(start + pow2(height));
        let mut level: Vec<Hash32> = (start..end).map(leaf).collect();
        for h in 0..height {
            level = parents(&level, h);
        }
        return level[0];
    }
    let half = pow2(height - 1);
    let (l, r) = rayon::join(
        || subtree_root(leaf, start, n, height - 1),
        || subtree_root(leaf, start + half, n, height - 1),
    );
    keccak_pair(&l, &r)
}

/// The root that `leaf` at `index` with `siblings` (leaf level first) hashes up to.
///
/// # Errors
/// [`PathError::IndexTooLarge`] when `index >= 2^siblings.len()`.
pub fn root_from_path(leaf: Hash32, index: u64, siblings: &[Hash32]) -> Result<Hash32, PathError> {
    if siblings.len() < 64 && index >= pow2(siblings.len()) {
        return Err(PathError::IndexTooLarge {
            index,
            siblings: siblings.len(),
        });
    }
    let mut h = leaf;
    for (i, s) in siblings.iter().enumerate() {
        let right = i < 64 && (index >> i) & 1 == 1;
        h = if right {
            keccak_pair(s, &h)
        } else {
            keccak_pair(&h, s)
        };
    }
    Ok(h)
}

/// Check that `leaf` at `index` with `siblings` hashes up to `root`.
///
/// # Errors
/// The index does not fit the path, or the path leads elsewhere.
pub fn verify_path(
    root: Hash32,
    leaf: Hash32,
    index: u64,
    siblings: &[Hash32],
) -> Result<(), PathError> {
    let computed = root_from_path(leaf, index, siblings)?;
    if computed != root {
        return Err(PathError::RootMismatch {
            computed,
            expected: root,
        });
    }
    Ok(())
}

/// Check a k-ary reveal: hashing `children` pairwise `log2(len)` times gives `node`.
///
/// # Errors
/// A count that is not a power of two, or children that hash to another node.
pub fn verify_reveal(node: Hash32, children: &[Hash32]) -> Result<(), RevealError> {
    if !children.len().is_power_of_two() {
        return Err(RevealError::NotPowerOfTwo(children.len()));
    }
    let mut level = children.to_vec();
    while level.len() > 1 {
        level = level
            .chunks_exact(2)
            .map(|p| keccak_pair(&p[0], &p[1]))
            .collect();
    }
    let computed = level[0];
    if computed != node {
        return Err(RevealError::Mismatch {
            computed,
            expected: node,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::keccak256;

    fn leaves(n: usize) -> Vec<Hash32> {
        (0..n)
            .map(|i| keccak256(&(i as u64).to_be_bytes()))
            .collect()
    }

    /// The definition, literally: pad with explicit zero leaves to `2^depth`, hash every pair.
    fn explicit_root(leaves: &[Hash32]) -> Hash32 {
        let mut level = leaves.to_vec();
        if level.is_empty() {
            level.push(Hash32::ZERO);
        }
        let width = 1usize << depth_for(level.len() as u64);
        level.resize(width, Hash32::ZERO);
        while level.len() > 1 {
            level = level
                .chunks_exact(2)
                .map(|p| keccak_pair(&p[0], &p[1]))
                .collect();
        }
        level[0]
    }

    #[test]
    fn depths() {
        assert_eq!(
            [0, 1, 2, 3, 4, 5, 8, 9, 1 << 20, (1 << 20) + 1].map(depth_for),
            [0, 0, 1, 2, 2, 3, 3, 4, 20, 21]
        );
    }

    #[test]
    fn zero_padding_equals_explicit_padding() {
        for n in (0..70).chain([255, 256, 257, 1000, 1025, 5000]) {
            let l = leaves(n);
            let want = explicit_root(&l);
            assert_eq!(MerkleTree::from_leaves(l.clone()).root(), want, "n={n}");
            assert_eq!(root_of(&l), want, "n={n}");
        }
        assert_eq!(MerkleTree::from_leaves(vec![]).root(), Hash32::ZERO);
        let one = leaves(1);
        assert_eq!(MerkleTree::from_leaves(one.clone()).root(), one[0]);
    }

    #[test]
    fn parallel_levels_equal_sequential() {
        // Wide enough for the parallel paths of both builders (levels of > 4096 parents and
        // subtrees above 2^10 leaves), compared with the sequential definition.
        let l = leaves(3 * PAR_MIN_PARENTS + 5);
        let want = explicit_root(&l);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(4)
            .build()
            .unwrap();
        let (t, r) = pool.install(|| (MerkleTree::from_leaves(l.clone()), root_of(&l)));
        assert_eq!(t.root(), want);
        assert_eq!(r, want);
        let one = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap();
        assert_eq!(one.install(|| MerkleTree::from_leaves(l.clone())), t);
    }

    #[test]
    fn every_path_verifies_and_no_other_index_does() {
        for n in [1usize, 2, 3, 5, 8, 13] {
            let l = leaves(n);
            let t = MerkleTree::from_leaves(l.clone());
            for (i, &leaf) in l.iter().enumerate() {
                let p = t.path(i as u64).unwrap();
                assert_eq!(p.len(), t.depth());
                verify_path(t.root(), leaf, i as u64, &p).unwrap();
                for j in 0..n as u64 {
                    if j != i as u64 {
                        assert!(verify_path(t.root(), leaf, j, &p).is_err());
                    }
                }
                assert!(matches!(
                    verify_path(t.root(), leaf, i as u64 + (1 << p.len()), &p),
                    Err(PathError::IndexTooLarge { .. })
                ));
            }
            assert!(t.path(n as u64).is_err());
        }
    }

    #[test]
    fn reveals_hash_back_to_their_node() {
        let t = MerkleTree::from_leaves(leaves(37)); // depth 6, padded to 64
        for level in 0..=t.depth() {
            for pos in 0..t.padded_width(level) {
                let h = t.node(level, pos).unwrap();
                for d in 0..=level {
                    let kids = t.reveal(level, pos, d).unwrap();
                    assert_eq!(kids.len(), 1 << d);
                    verify_reveal(h, &kids).unwrap();
                }
            }
        }
        assert_eq!(t.node(0, 40).unwrap(), Hash32::ZERO);
        assert_eq!(t.node(2, 15).unwrap(), zero_hash(2));
        assert!(t.node(7, 0).is_err());
        assert!(t.node(0, 64).is_err());
        assert!(t.reveal(2, 0, 3).is_err());
        assert!(t.reveal(6, 1, 1).is_err());
        let kids = t.reveal(6, 0, 2).unwrap();
        assert!(matches!(
            verify_reveal(t.root(), &kids[..3]),
            Err(RevealError::NotPowerOfTwo(3))
        ));
        assert!(matches!(
            verify_reveal(t.root(), &[]),
            Err(RevealError::NotPowerOfTwo(0))
        ));
        let mut bad = kids.clone();
        bad[1] = Hash32::ZERO;
        assert!(verify_reveal(t.root(), &bad).is_err());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]
        #[test]
        fn random_trees_paths_and_reveals(n in 0usize..5000, a in proptest::prelude::any::<u64>(), b in proptest::prelude::any::<u64>()) {
            let l = leaves(n);
            let t = MerkleTree::from_leaves(l.clone());
            proptest::prop_assert_eq!(t.root(), explicit_root(&l));
            proptest::prop_assert_eq!(t.depth(), depth_for(n as u64));
            let i = a % t.num_leaves() as u64;
            let p = t.path(i).unwrap();
            proptest::prop_assert!(verify_path(t.root(), t.leaves()[i as usize], i, &p).is_ok());
            let level = (b % (t.depth() as u64 + 1)) as usize;
            let pos = (b >> 8) % t.padded_width(level);
            let d = ((b >> 40) % (level as u64 + 1)).min(8) as usize;
            let kids = t.reveal(level, pos, d).unwrap();
            proptest::prop_assert!(verify_reveal(t.node(level, pos).unwrap(), &kids).is_ok());
        }
    }
}

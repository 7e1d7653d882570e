//! Tensor commitments: `i32` elements packed eight to a 32-byte leaf, and element openings.
//!
//! Element `k` of a leaf occupies bytes `[4k, 4k+4)` as big-endian two's complement, elements
//! in row-major order; the last leaf is zero-padded. A tensor of `len` elements has
//! `max(1, ceil(len/8))` leaves, so its depth follows from its shape, which the model fixes.
//! Leaves are committed raw (not hashed): an element opening is one leaf plus its path.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use verinfer_ir::{ParamData, ParamView};

use crate::error::{OpeningError, TreeError};
use crate::hash::Hash32;
use crate::tree::{depth_for, root_with, verify_path, MerkleTree};

/// Elements per leaf.
pub const PER_LEAF: usize = 8;
/// Leaves packed per parallel task.
const PACK_CHUNK: usize = 4096;

/// Number of leaves of a tensor of `len` elements: `max(1, ceil(len/8))`.
#[must_use]
pub fn leaf_count(len: u64) -> u64 {
    len.div_ceil(PER_LEAF as u64).max(1)
}

/// Where element `index` sits in its leaf.
fn slot_in_leaf(index: u64) -> usize {
    // `as`: the remainder is below 8, which fits every usize.
    #[allow(clippy::cast_possible_truncation)]
    let slot = (index % PER_LEAF as u64) as usize;
    slot
}

/// Merkle depth of a tensor of `len` elements.
#[must_use]
pub fn tensor_depth(len: u64) -> usize {
    depth_for(leaf_count(len))
}

/// Leaf `i` of `data` (zero past the end).
pub fn pack_leaf(data: &[i32], i: usize) -> Hash32 {
    match i
        .checked_mul(PER_LEAF)
        .and_then(|s| data.get(s..s.checked_add(PER_LEAF)?))
        .and_then(|c| <&[i32; PER_LEAF]>::try_from(c).ok())
    {
        Some(full) => pack_full_leaf(full),
        None => pack_leaf_with(data.len(), i, |k| data[k]),
    }
}

/// A leaf of eight elements (the common case, straight-line code the compiler vectorizes).
#[inline]
pub(crate) fn pack_full_leaf(c: &[i32; PER_LEAF]) -> Hash32 {
    let mut out = [0u8; 32];
    for (o, x) in out.chunks_exact_mut(4).zip(c) {
        o.copy_from_slice(&x.to_be_bytes());
    }
    Hash32::new(out)
}

/// Leaf `i` of a tensor of `len` elements read through `at` (called for indices `< len`):
/// the same leaf whatever width the elements are stored at.
fn pack_leaf_with(len: usize, i: usize, at: impl Fn(usize) -> i32) -> Hash32 {
    let mut out = [0u8; 32];
    let start = i.saturating_mul(PER_LEAF).min(len);
    let end = start.saturating_add(PER_LEAF).min(len);
    for (k, j) in (start..end).enumerate() {
        out[4 * k..4 * k + 4].copy_from_slice(&at(j).to_be_bytes());
    }
    Hash32::new(out)
}

/// Element `slot` (0..8) of a leaf.
#[must_use]
pub fn leaf_element(leaf: &Hash32, slot: usize) -> i32 {
    let b = leaf.as_bytes();
    let k = 4 * (slot % PER_LEAF);
    i32::from_be_bytes([b[k], b[k + 1], b[k + 2], b[k + 3]])
}

/// All leaves of `data`, packed in parallel for large tensors.
pub fn pack_leaves(data: &[i32]) -> Vec<Hash32> {
    let n = usize::try_from(leaf_count(data.len() as u64)).unwrap_or(usize::MAX);
    let mut out = vec![Hash32::ZERO; n];
    out.par_chunks_mut(PACK_CHUNK)
        .enumerate()
        .for_each(|(c, chunk)| {
            for (j, o) in chunk.iter_mut().enumerate() {
                *o = pack_leaf(data, c * PACK_CHUNK + j);
            }
        });
    out
}

/// Root of a tensor without storing its tree (parallel, O(1) extra memory per thread): how
/// parameters are committed.
pub fn tensor_root(data: &[i32]) -> Hash32 {
    root_with(leaf_count(data.len() as u64), |i| {
        pack_leaf(data, usize::try_from(i).unwrap_or(usize::MAX))
    })
}

/// [`tensor_root`] of a parameter's values, read at their stored width (a narrow parameter
/// is never widened): the same root as of the `i32` slice of the same values.
pub fn param_root(data: &ParamData) -> Hash32 {
    fn root<T: Copy + Into<i32> + Sync>(d: &[T]) -> Hash32 {
        root_with(leaf_count(d.len() as u64), |i| {
            pack_leaf_with(d.len(), usize::try_from(i).unwrap_or(usize::MAX), |k| {
                d[k].into()
            })
        })
    }
    match data.view() {
        ParamView::I8(d) => root(d),
        ParamView::I16(d) => root(d),
        ParamView::I32(d) => root(d),
        ParamView::Blocks(b) => root_with(leaf_count(b.q.len() as u64), |i| {
            let i = usize::try_from(i).unwrap_or(usize::MAX);
            pack_leaf_with(b.q.len(), i, |k| b.get(k).unwrap_or(0))
        }),
    }
}

/// A tensor's whole Merkle tree, kept to answer openings and reveals by lookup.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TensorTree {
    len: u64,
    tree: MerkleTree,
}

impl TensorTree {
    /// Commit to `data` (row-major elements).
    pub fn new(data: &[i32]) -> Self {
        Self {
            len: data.len() as u64,
            tree: MerkleTree::from_leaves(pack_leaves(data)),
        }
    }

    /// Number of elements.
    #[must_use]
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the tensor has no elements.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The commitment.
    pub fn root(&self) -> Hash32 {
        self.tree.root()
    }

    /// The underlying tree (for k-ary reveals during an element-phase descent).
    #[must_use]
    pub fn tree(&self) -> &MerkleTree {
        &self.tree
    }

    /// Element `index` (None past the end).
    #[must_use]
    pub fn element(&self, index: u64) -> Option<i32> {
        if index >= self.len {
            return None;
        }
        let leaf = self.tree.leaves().get(usize::try_from(index / 8).ok()?)?;
        Some(leaf_element(leaf, slot_in_leaf(index)))
    }

    /// Open element `index`: its value, its leaf and the leaf's path.
    ///
    /// # Errors
    /// [`OpeningError::IndexOutOfRange`] past the end.
    pub fn open(&self, index: u64) -> Result<ElementOpening, OpeningError> {
        let out_of_range = OpeningError::IndexOutOfRange {
            index,
            len: self.len,
        };
        let value = self.element(index).ok_or(out_of_range.clone())?;
        let leaf_index = index / PER_LEAF as u64;
        let leaf = self
            .tree
            .node(0, leaf_index)
            .map_err(|_: TreeError| out_of_range.clone())?;
        let siblings = self
            .tree
            .path(leaf_index)
            .map_err(|_: TreeError| out_of_range)?;
        Ok(ElementOpening {
            index,
            value,
            leaf,
            siblings,
        })
    }
}

/// Proof that element `index` of a committed tensor is `value`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ElementOpening {
    /// Element index (row-major).
    pub index: u64,
    /// The element.
    pub value: i32,
    /// The 32-byte leaf holding it at slot `index % 8`.
    pub leaf: Hash32,
    /// Path of leaf `index / 8`, leaf level first.
    pub siblings: Vec<Hash32>,
}

/// Verify an element opening against a tensor root and the tensor's length (which the model's
/// shape fixes; taking it from the prover would let a shorter path pass for a subtree).
///
/// # Errors
/// Index past `len`, a path of the wrong length, a value the leaf does not hold, or a path that
/// does not reach `root`.
pub fn verify_element(root: Hash32, len: u64, o: &ElementOpening) -> Result<(), OpeningError> {
    if o.index >= len {
        return Err(OpeningError::IndexOutOfRange {
            index: o.index,
            len,
        });
    }
    let expected = tensor_depth(len);
    if o.siblings.len() != expected {
        return Err(OpeningError::PathLength {
            expected,
            got: o.siblings.len(),
        });
    }
    let in_leaf = leaf_element(&o.leaf, slot_in_leaf(o.index));
    if in_leaf != o.value {
        return Err(OpeningError::ValueMismatch {
            index: o.index,
            claimed: o.value,
            in_leaf,
        });
    }
    verify_path(root, o.leaf, o.index / PER_LEAF as u64, &o.siblings)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn data(n: usize) -> Vec<i32> {
        // Distinct values, both signs, extremes included.
        (0..n)
            .map(|i| match i % 5 {
                0 => i32::MIN + i as i32,
                1 => -(i as i32) - 1,
                2 => i32::MAX - i as i32,
                _ => (i as i32).wrapping_mul(7919) ^ 0x5a5a,
            })
            .collect()
    }

    #[test]
    fn packing_is_big_endian_row_major() {
        let l = pack_leaf(&[1, -1, 0x0102_0304], 0);
        let mut want = [0u8; 32];
        want[3] = 1;
        want[4..8].copy_from_slice(&[0xff; 4]);
        want[8..12].copy_from_slice(&[1, 2, 3, 4]);
        assert_eq!(l, Hash32::new(want));
        assert_eq!(leaf_element(&l, 1), -1);
        assert_eq!(leaf_count(0), 1);
        assert_eq!(leaf_count(8), 1);
        assert_eq!(leaf_count(9), 2);
        // A one-leaf tensor's root is its leaf.
        assert_eq!(tensor_root(&[1, -1, 0x0102_0304]), l);
        assert_eq!(tensor_root(&[]), Hash32::ZERO);
    }

    #[test]
    fn every_single_byte_tamper_is_rejected() {
        let d = data(45); // 6 leaves, depth 3
        let t = TensorTree::new(&d);
        let len = d.len() as u64;
        for index in [0u64, 7, 8, 20, 44] {
            let o = t.open(index).unwrap();
            verify_element(t.root(), len, &o).unwrap();
            for byte in 0..32 {
                for bit in [0x01u8, 0x80] {
                    let mut b = o.clone();
                    let mut leaf = b.leaf.to_bytes();
                    leaf[byte] ^= bit;
                    b.leaf = Hash32::new(leaf);
                    assert!(
                        verify_element(t.root(), len, &b).is_err(),
                        "leaf byte {byte}"
                    );
                    for s in 0..o.siblings.len() {
                        let mut b = o.clone();
                        let mut sib = b.siblings[s].to_bytes();
                        sib[byte] ^= bit;
                        b.siblings[s] = Hash32::new(sib);
                        assert!(verify_element(t.root(), len, &b).is_err(), "sibling {s}");
                    }
                }
            }
            for byte in 0..8 {
                let mut b = o.clone();
                let mut ix = b.index.to_be_bytes();
                ix[byte] ^= 1;
                b.index = u64::from_be_bytes(ix);
                assert!(
                    verify_element(t.root(), len, &b).is_err(),
                    "index byte {byte}"
                );
                let mut b = o.clone();
                b.value ^= 1 << (byte % 4 * 8);
                assert!(verify_element(t.root(), len, &b).is_err(), "value");
            }
            let mut short = o.clone();
            short.siblings.pop();
            assert!(matches!(
                verify_element(t.root(), len, &short),
                Err(OpeningError::PathLength { .. })
            ));
        }
        assert!(matches!(
            t.open(45),
            Err(OpeningError::IndexOutOfRange { index: 45, len: 45 })
        ));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// A parameter commits to its values, not its storage: the root of an `i8`/`i16`
        /// store equals the root of the same values as `i32`.
        #[test]
        fn param_root_is_independent_of_storage_width(
            n in 0usize..100, shift in 0u32..31, seed in any::<i32>()
        ) {
            let d: Vec<i32> = (0..n as i32)
                .map(|i| i.wrapping_mul(0x9e37_79b9u32 as i32).wrapping_add(seed) >> shift)
                .collect();
            prop_assert_eq!(param_root(&ParamData::new(d.clone())), tensor_root(&d));
        }

        /// A block-scaled parameter commits to its values `q·d`, never to its parts: a
        /// Q8_0 weight's leaves are those of the same values stored as `i32`.
        #[test]
        fn param_root_of_blocks_is_root_of_products(
            q in prop::collection::vec(any::<i8>(), 0..20).prop_map(|mut q| {
                q.truncate(q.len() / 4 * 4);
                q
            }),
            scale in -(1i32 << 20)..(1 << 20),
        ) {
            let d: Vec<i32> = (0..q.len() / 4).map(|b| scale.wrapping_add(b as i32 * 7)).collect();
            let values: Vec<i32> = q.iter().enumerate().map(|(i, &v)| i32::from(v) * d[i / 4]).collect();
            let p = ParamData::blocks(q, ParamData::new(d), 4).unwrap();
            prop_assert_eq!(param_root(&p), tensor_root(&values));
        }

        #[test]
        fn random_tensors_open_everywhere(n in 0usize..5000, seed in any::<u32>(), probe in any::<u64>()) {
            let d: Vec<i32> = (0..n).map(|i| (i as i32).wrapping_mul(0x9e37_79b9u32 as i32) ^ seed as i32).collect();
            let t = TensorTree::new(&d);
            prop_assert_eq!(t.root(), tensor_root(&d));
            prop_assert_eq!(t.tree().depth(), tensor_depth(n as u64));
            if n > 0 {
                let index = probe % n as u64;
                let o = t.open(index).unwrap();
                prop_assert_eq!(o.value, d[index as usize]);
                prop_assert!(verify_element(t.root(), n as u64, &o).is_ok());
                // The same opening does not verify for another length with another depth.
                let other = n as u64 * 2 + 9;
                if tensor_depth(other) != tensor_depth(n as u64) {
                    prop_assert!(verify_element(t.root(), other, &o).is_err());
                }
            } else {
                prop_assert!(t.open(0).is_err());
            }
        }
    }
}

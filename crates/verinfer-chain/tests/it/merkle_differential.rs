//! Rust commitments vs Solidity `MerkleLib` (through `MerkleHarness` on the in-process EVM), on
//! random tensors of random shapes: the same roots; every Rust opening and k-ary reveal
//! verifies on chain; every single-byte tamper of value, index, leaf or sibling gets the same
//! verdict from both sides — rejected, unless the tampered statement happens to be true of
//! the tensor (an index moved to another slot holding the same value).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;
use common::Harness;
use std::cell::RefCell;

use proptest::prelude::*;
use verinfer_chain::bindings::MerkleHarness;
use verinfer_chain::{view, B256, U256};
use verinfer_commit::{
    tree::MerkleTree, verify_element, verify_reveal, zero_hash, ElementOpening, Hash32, TensorTree,
};
use verinfer_testing::rng::runner;

impl Harness {
    fn merkle() -> Self {
        Harness::deploy(&MerkleHarness::BYTECODE, "deploy MerkleHarness")
    }

    fn view<C: alloy_sol_types::SolCall>(&mut self, call: &C) -> C::Return {
        view(&mut self.chain, self.from, self.at, call, "MerkleHarness").unwrap()
    }

    fn tensor_root(&mut self, values: &[i32]) -> B256 {
        self.view(&MerkleHarness::tensorRootCall {
            values: values.to_vec(),
        })
    }

    fn verify_element(&mut self, root: Hash32, len: u64, o: &ElementOpening) -> bool {
        self.view(&MerkleHarness::verifyElementCall {
            root: b(root),
            len: U256::from(len),
            index: U256::from(o.index),
            value: o.value,
            leaf: b(o.leaf),
            siblings: o.siblings.iter().map(|h| b(*h)).collect(),
        })
    }

    fn verify_reveal(&mut self, node: Hash32, children: &[Hash32]) -> bool {
        self.view(&MerkleHarness::verifyRevealCall {
            node: b(node),
            children: children.iter().map(|h| b(*h)).collect(),
        })
    }
}

fn b(h: Hash32) -> B256 {
    B256::from(h.to_bytes())
}

fn flip(h: Hash32, byte: usize, mask: u8) -> Hash32 {
    let mut bytes = h.to_bytes();
    bytes[byte] ^= mask;
    Hash32::new(bytes)
}

/// A tensor of a random shape (rank 1–4), values biased to the extremes and to repeats so that
/// index tampers sometimes land on an equal value.
fn tensor() -> impl Strategy<Value = (Vec<usize>, Vec<i32>)> {
    prop::collection::vec(1usize..17, 1..5)
        .prop_filter("at most 4096 elements", |s| {
            s.iter().product::<usize>() <= 4096
        })
        .prop_flat_map(|shape| {
            let n = shape.iter().product::<usize>();
            let value = prop_oneof![
                any::<i32>(),
                Just(i32::MIN),
                Just(i32::MAX),
                Just(0),
                -3i32..3,
            ];
            (Just(shape), prop::collection::vec(value, n))
        })
}

#[test]
fn zero_hashes_agree() {
    let mut h = Harness::merkle();
    for level in 0..=64u64 {
        let sol: B256 = h.view(&MerkleHarness::zeroHashCall {
            level: U256::from(level),
        });
        assert_eq!(sol, b(zero_hash(level as usize)), "level {level}");
    }
}

#[test]
fn known_answer_root() {
    // A value computed independently (JS keccak reference) when the contracts were written.
    let root = verinfer_commit::tensor_root(&[1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert_eq!(
        root.to_string(),
        "0x11141b3b2d1d1ed9a2de5403c6487907030f508a7cf641fc44c087e75dac3905"
    );
}

#[test]
fn tensor_roots_agree() {
    let h = RefCell::new(Harness::merkle());
    runner(256)
        .run(&tensor(), |(_, data)| {
            let rust = b(TensorTree::new(&data).root());
            let sol = h.borrow_mut().tensor_root(&data);
            prop_assert_eq!(rust, sol);
            Ok(())
        })
        .unwrap();
}

#[test]
fn element_openings_verify_and_tampers_are_rejected_by_both() {
    let h = RefCell::new(Harness::merkle());
    let strategy = tensor().prop_flat_map(|(shape, data)| {
        let n = data.len();
        (Just(shape), Just(data), 0..n, 1u8..=255)
    });
    runner(256)
        .run(&strategy, |(_, data, index, mask)| {
            let mut h = h.borrow_mut();
            let tree = TensorTree::new(&data);
            let (root, len) = (tree.root(), data.len() as u64);
            let opening = tree.open(index as u64).unwrap();
            prop_assert!(verify_element(root, len, &opening).is_ok());
            prop_assert!(h.verify_element(root, len, &opening));

            let mut check =
                |o: &ElementOpening, truth: bool, what: &str| -> Result<(), TestCaseError> {
                    let rust = verify_element(root, len, o).is_ok();
                    let sol = h.verify_element(root, len, o);
                    prop_assert_eq!(rust, truth, "rust on {}", what);
                    prop_assert_eq!(sol, truth, "solidity on {}", what);
                    Ok(())
                };
            // Value: each of its 4 big-endian bytes.
            for byte in 0..4 {
                let mut o = opening.clone();
                let mut be = o.value.to_be_bytes();
                be[byte] ^= mask;
                o.value = i32::from_be_bytes(be);
                check(&o, false, &format!("value byte {byte}"))?;
            }
            // Index: each of the 8 bytes of the u64 (the ABI word's low bytes).
            for byte in 0..8 {
                let mut o = opening.clone();
                let mut be = o.index.to_be_bytes();
                be[byte] ^= mask;
                o.index = u64::from_be_bytes(be);
                let truth = usize::try_from(o.index)
                    .ok()
                    .and_then(|i| data.get(i))
                    .is_some_and(|v| *v == o.value && o.index / 8 == opening.index / 8);
                check(&o, truth, &format!("index byte {byte}"))?;
            }
            // Leaf: every byte.
            for byte in 0..32 {
                let mut o = opening.clone();
                o.leaf = flip(o.leaf, byte, mask);
                check(&o, false, &format!("leaf byte {byte}"))?;
            }
            // Siblings: every byte of every sibling, plus a dropped and an extra sibling.
            for s in 0..opening.siblings.len() {
                for byte in 0..32 {
                    let mut o = opening.clone();
                    o.siblings[s] = flip(o.siblings[s], byte, mask);
                    check(&o, false, &format!("sibling {s} byte {byte}"))?;
                }
            }
            if !opening.siblings.is_empty() {
                let mut o = opening.clone();
                o.siblings.pop();
                check(&o, false, "short path")?;
            }
            let mut o = opening.clone();
            o.siblings.push(Hash32::ZERO);
            check(&o, false, "long path")?;
            Ok(())
        })
        .unwrap();
}

#[test]
fn k_ary_reveals_verify_and_tampers_are_rejected_by_both() {
    let h = RefCell::new(Harness::merkle());
    let strategy = tensor()
        .prop_filter("at least two leaves", |(_, d)| d.len() > 8)
        .prop_flat_map(|(_, data)| {
            let depth = TensorTree::new(&data).tree().depth();
            (Just(data), 1..=depth).prop_flat_map(move |(data, level)| {
                let width = 1u64 << (depth - level);
                (
                    Just(data),
                    Just(level),
                    0..width,
                    1..=level.min(4),
                    1u8..=255,
                )
            })
        });
    runner(256)
        .run(&strategy, |(data, level, pos, d, mask)| {
            let mut h = h.borrow_mut();
            let tree: &MerkleTree = &TensorTree::new(&data).tree().clone();
            let node = tree.node(level, pos).unwrap();
            let children = tree.reveal(level, pos, d).unwrap();
            prop_assert_eq!(children.len(), 1usize << d);
            prop_assert!(verify_reveal(node, &children).is_ok());
            prop_assert!(h.verify_reveal(node, &children));
            let sol_root: B256 = h.view(&MerkleHarness::subtreeRootCall {
                nodes: children.iter().map(|c| b(*c)).collect(),
            });
            prop_assert_eq!(sol_root, b(node));
            for c in 0..children.len() {
                for byte in [0, 7, 13, 31] {
                    let mut t = children.clone();
                    t[c] = flip(t[c], byte, mask);
                    prop_assert!(verify_reveal(node, &t).is_err());
                    prop_assert!(!h.verify_reveal(node, &t));
                }
            }
            // Swapped halves and a wrong count are rejected too.
            let mut t = children.clone();
            t.swap(0, children.len() - 1);
            if t != children {
                prop_assert!(verify_reveal(node, &t).is_err());
                prop_assert!(!h.verify_reveal(node, &t));
            }
            let t = &children[..children.len() - 1];
            prop_assert!(verify_reveal(node, t).is_err());
            prop_assert!(!h.verify_reveal(node, t));
            Ok(())
        })
        .unwrap();
}

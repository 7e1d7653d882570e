//! The `.vmodel` file: round trip, every damaged byte caught, checksums do not vouch for
//! invalid graphs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use verinfer_ir::vmodel::{from_bytes, to_bytes};
use verinfer_ir::{IrError, ParamData};
use verinfer_testing::files::assert_every_flip_and_cut_rejected;
use verinfer_testing::graph::tiny_add;

#[test]
fn roundtrip() {
    let g = tiny_add();
    assert_eq!(from_bytes(&to_bytes(&g).unwrap()).unwrap(), g);
}

#[test]
fn every_single_byte_flip_is_caught() {
    assert_every_flip_and_cut_rejected(&to_bytes(&tiny_add()).unwrap(), 0x40, from_bytes);
}

#[test]
fn invalid_graph_with_valid_checksum_is_rejected() {
    let mut g = tiny_add();
    g.params[0].data = vec![1 << 20, -2, 3].into(); // outside its 16-bit bound
    let b = to_bytes(&g).unwrap();
    assert!(matches!(from_bytes(&b), Err(IrError::OutOfBound { .. })));
}

/// Files without block-scaled parameters keep version 1's bytes (so models compiled before
/// version 2 still load and recompile identically); a block-scaled one needs version 2.
#[test]
fn version_1_without_block_parameters_version_2_with_them() {
    let version = |b: &[u8]| u32::from_le_bytes([b[8], b[9], b[10], b[11]]);
    let g = tiny_add();
    assert_eq!(version(&to_bytes(&g).unwrap()), 1);
    let mut gb = tiny_add();
    gb.params[0].data = ParamData::blocks(vec![1, -2, 3], vec![2].into(), 3).unwrap();
    let b = to_bytes(&gb).unwrap();
    assert_eq!(version(&b), 2);
    assert_eq!(from_bytes(&b).unwrap(), gb);
}

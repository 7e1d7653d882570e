//! Test files of the GGUF tests.
#![allow(dead_code, clippy::unwrap_used)]

use std::path::{Path, PathBuf};

/// A file of testdata/gguf.
pub fn testdata(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/gguf")
        .join(p)
}

/// A JSON array of unsigned integers.
pub fn json_u64s(v: &serde_json::Value) -> Vec<u64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap())
        .collect()
}

/// The byte offset of the `uint32` value of metadata `key` in a GGUF file whose value is
/// `value` (the key's string, its type word 4, then the value).
pub fn u32_value_at(bytes: &[u8], key: &str, value: u32) -> usize {
    let k = key.as_bytes();
    let mut needle = k.to_vec();
    needle.extend_from_slice(&4u32.to_le_bytes());
    needle.extend_from_slice(&value.to_le_bytes());
    bytes
        .windows(needle.len())
        .position(|w| w == needle.as_slice())
        .unwrap()
        + k.len()
        + 4
}

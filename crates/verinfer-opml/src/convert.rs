//! Conversions between the commitment crate's types and the EVM's.

use alloy_primitives::{B256, I256, U256};
use verinfer_commit::Hash32;

use crate::error::{OpmlError, Result};

/// A commitment hash as `bytes32`.
pub fn b256(h: Hash32) -> B256 {
    B256::from(h.to_bytes())
}

/// `bytes32` as a commitment hash.
pub fn hash32(b: B256) -> Hash32 {
    Hash32::new(b.0)
}

/// Hashes as `bytes32[]`.
pub fn b256s(hs: &[Hash32]) -> Vec<B256> {
    hs.iter().map(|h| b256(*h)).collect()
}

/// Canonical words (i128) as `int256[]`.
pub fn words(ws: &[i128]) -> Vec<I256> {
    ws.iter()
        .map(|w| I256::try_from(*w).unwrap_or(I256::ZERO))
        .collect()
}

/// A `uint256` that must fit a `usize` (an index or a length the model bounds).
///
/// # Errors
/// [`OpmlError::Protocol`] when it does not.
pub fn usize_of(v: U256, what: &str) -> Result<usize> {
    usize::try_from(v).map_err(|_| OpmlError::Protocol(format!("{what} {v} out of range")))
}

/// An `int256` that must fit an `i64` (an accumulator the validator bounds).
///
/// # Errors
/// [`OpmlError::Protocol`] when it does not.
pub fn i64_of(v: I256, what: &str) -> Result<i64> {
    i64::try_from(v).map_err(|_| OpmlError::Protocol(format!("{what} {v} out of i64 range")))
}

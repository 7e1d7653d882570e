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

/// Declares an enum the contracts number `0, 1, 2, …` in declaration order (a phase, a claim
/// status) and its `from_u8`: the variants are listed once, so the Rust numbering cannot drift
/// from a second list of them. An undefined number is a protocol error naming `$what`.
macro_rules! contract_enum {
    ($(#[$meta:meta])* $vis:vis enum $name:ident ($what:literal) { $($variant:ident),+ $(,)? }) => {
        $(#[$meta])*
        #[allow(missing_docs)]
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        $vis enum $name {
            $($variant),+
        }

        impl $name {
            /// From the contract's `uint8`.
            ///
            /// # Errors
            /// A number the contract does not define.
            pub fn from_u8(p: u8) -> $crate::error::Result<Self> {
                const ALL: &[$name] = &[$($name::$variant),+];
                ALL.get(usize::from(p)).copied().ok_or_else(|| {
                    $crate::error::OpmlError::Protocol(format!(concat!("unknown ", $what, " {}"), p))
                })
            }
        }
    };
}
pub(crate) use contract_enum;

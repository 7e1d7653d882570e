//! 32-byte hashes, Keccak-256 and the zero-subtree table.
//!
//! Keccak-256 here is Ethereum's (original Keccak padding `0x01`, not SHA-3's `0x06`), so every
//! hash equals Solidity's `keccak256`. The implementation is `keccak-asm` (the assembly
//! backend alloy-primitives uses with its `asm-keccak` feature), the fastest of those measured
//! on 64-byte inputs (see `docs/commitments.md`).

use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use keccak_asm::Keccak256;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::HexError;

/// A 32-byte value: a Keccak-256 digest, a Merkle node, or a packed tensor leaf.
///
/// Displays and serializes as `0x` followed by 64 lowercase hex digits (the form Solidity
/// tooling prints for `bytes32`).
#[repr(transparent)]
#[must_use]
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Hash32([u8; 32]);

impl Hash32 {
    /// All zero bytes: the zero leaf `Z_0`.
    pub const ZERO: Self = Self([0; 32]);

    /// Wrap 32 bytes.
    pub const fn new(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// The bytes.
    #[must_use]
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The bytes, by value.
    #[must_use]
    pub const fn to_bytes(self) -> [u8; 32] {
        self.0
    }
}

impl fmt::Display for Hash32 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("0x")?;
        for b in self.0 {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Hash32 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for Hash32 {
    type Err = HexError;

    /// Parse 64 hex digits, with or without a `0x` prefix, either case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let digits = s
            .strip_prefix("0x")
            .or_else(|| s.strip_prefix("0X"))
            .unwrap_or(s);
        if digits.len() != 64 {
            return Err(HexError::Length(digits.len()));
        }
        let mut out = [0u8; 32];
        for (i, pair) in digits.as_bytes().chunks_exact(2).enumerate() {
            let hi = hex_digit(pair[0])?;
            let lo = hex_digit(pair[1])?;
            out[i] = (hi << 4) | lo;
        }
        Ok(Self(out))
    }
}

fn hex_digit(c: u8) -> Result<u8, HexError> {
    match c {
        b'0'..=b'9' => Ok(c - b'0'),
        b'a'..=b'f' => Ok(c - b'a' + 10),
        b'A'..=b'F' => Ok(c - b'A' + 10),
        _ => Err(HexError::Digit(char::from(c))),
    }
}

impl Serialize for Hash32 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Hash32 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// Keccak-256 of `data` (Solidity's `keccak256(data)`).
pub fn keccak256(data: &[u8]) -> Hash32 {
    Hash32(Keccak256::digest(data).into())
}

/// A Merkle parent: `keccak256(left ‖ right)`.
#[inline]
pub fn keccak_pair(left: &Hash32, right: &Hash32) -> Hash32 {
    let mut buf = [0u8; 64];
    buf[..32].copy_from_slice(&left.0);
    buf[32..].copy_from_slice(&right.0);
    Hash32(Keccak256::digest(buf).into())
}

/// Number of precomputed zero-subtree hashes: levels `0..64`, more than any tree can have
/// (a tree of depth 64 would need `2^64` leaves).
pub const ZERO_LEVELS: usize = 65;

/// `Z_l`, the root of a perfect subtree of height `l` whose leaves are all zero:
/// `Z_0 = 0x00…00`, `Z_{l+1} = keccak(Z_l ‖ Z_l)`. Padding nodes take these values, so padding
/// a tree to a power of two costs nothing to hash.
///
/// Levels at or above [`ZERO_LEVELS`] return `Z_64` (unreachable by any real tree).
pub fn zero_hash(level: usize) -> Hash32 {
    let table = zero_table();
    table[level.min(ZERO_LEVELS - 1)]
}

fn zero_table() -> &'static [Hash32; ZERO_LEVELS] {
    static TABLE: OnceLock<[Hash32; ZERO_LEVELS]> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t = [Hash32::ZERO; ZERO_LEVELS];
        for l in 1..ZERO_LEVELS {
            t[l] = keccak_pair(&t[l - 1], &t[l - 1]);
        }
        t
    })
}

/// A root that must not be mixed up with other roots: a newtype over [`Hash32`] that wraps
/// and unwraps explicitly, prints as the hash (`Debug` names the type) and parses from hex.
/// `$from_hash` documents who vouches for a wrapped value.
macro_rules! root_newtype {
    ($(#[$doc:meta])* $name:ident, $from_hash:literal) => {
        $(#[$doc])*
        #[repr(transparent)]
        #[must_use]
        #[derive(
            Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
        )]
        #[serde(transparent)]
        pub struct $name($crate::hash::Hash32);

        impl $name {
            #[doc = $from_hash]
            pub const fn from_hash(h: $crate::hash::Hash32) -> Self {
                Self(h)
            }

            /// The root.
            pub const fn hash(self) -> $crate::hash::Hash32 {
                self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                std::fmt::Display::fmt(&self.0, f)
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, concat!(stringify!($name), "({})"), self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::error::HexError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.parse().map(Self)
            }
        }
    };
}
pub(crate) use root_newtype;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keccak_matches_ethereum_vectors() {
        // keccak256("") and keccak256(bytes32(0) ‖ bytes32(0)) as every EVM computes them.
        assert_eq!(
            keccak256(b"").to_string(),
            "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
        );
        assert_eq!(
            zero_hash(1).to_string(),
            "0xad3228b676f7d3cd4284a5443f17f1962b36e491b30a40b2405849e597ba5fb5"
        );
        assert_eq!(zero_hash(0), Hash32::ZERO);
    }

    #[test]
    fn hex_roundtrip_and_errors() {
        let h = keccak256(b"verinfer");
        let s = h.to_string();
        assert_eq!(s.parse::<Hash32>().unwrap(), h);
        assert_eq!(s[2..].parse::<Hash32>().unwrap(), h);
        assert_eq!(
            s.to_uppercase()
                .replace("0X", "0x")
                .parse::<Hash32>()
                .unwrap(),
            h
        );
        assert!(matches!("0x12".parse::<Hash32>(), Err(HexError::Length(2))));
        let bad = format!("0x{}g", &s[3..]);
        assert!(matches!(bad.parse::<Hash32>(), Err(HexError::Digit('g'))));
        let json = serde_json::to_string(&h).unwrap();
        assert_eq!(json, format!("\"{s}\""));
        assert_eq!(serde_json::from_str::<Hash32>(&json).unwrap(), h);
    }
}

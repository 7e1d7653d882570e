//! Packing small signed integers into few field elements, so that a proof has few public inputs
//! (each costs an elliptic-curve multiplication, ~6k gas, in the EVM verifier).
//!
//! A class of values (all graph inputs, or all outputs, or all weights, concatenated in order,
//! row-major) with bit width `W` packs as follows: `v` (with `−2^(W−1) ≤ v < 2^(W−1)`) becomes
//! `u = v + 2^(W−1)` in `[0, 2^W)`; `k = ⌊253 / W⌋` values per field element; element `e` is
//! `Σ_{i<k} u_{e·k+i} · 2^(W·i)` (little-endian inside the element), the last one holding the
//! remainder. `2^253 < r`, so an element is the integer itself. `InferenceOracle.sol` packs the
//! same way (docs/oracle.md).

use ark_bn254::Fr;
use ark_ff::{AdditiveGroup, Field};

/// Bits of one field element used by the packing (`2^253` is below the BN254 scalar modulus).
pub const PACK_BITS: u32 = 253;

/// Largest supported width (the values are `i32`).
pub const MAX_WIDTH: u32 = 32;

/// A value does not fit the packing width, or the width is unusable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PackError {
    /// Width outside `1..=32`.
    #[error("packing width {0} is outside 1..=32")]
    Width(u32),
    /// A value outside the signed `W`-bit range.
    #[error("value {value} at position {index} does not fit {width} signed bits")]
    OutOfRange {
        /// Position in the class.
        index: usize,
        /// The value.
        value: i64,
        /// The width.
        width: u32,
    },
}

/// Values per field element at width `w`.
#[must_use]
pub fn per_element(w: u32) -> usize {
    (PACK_BITS / w.max(1)) as usize
}

/// Field elements needed for `n` values at width `w`.
#[must_use]
pub fn element_count(n: usize, w: u32) -> usize {
    n.div_ceil(per_element(w))
}

/// Pack `values` at width `w`.
///
/// # Errors
/// [`PackError`] for an unusable width or a value outside the signed `w`-bit range.
pub fn pack(values: &[i32], w: u32) -> Result<Vec<Fr>, PackError> {
    if !(1..=MAX_WIDTH).contains(&w) {
        return Err(PackError::Width(w));
    }
    let half = 1i64 << (w - 1);
    let k = per_element(w);
    let step = Fr::from(2u8).pow([u64::from(w)]);
    let mut out = Vec::with_capacity(element_count(values.len(), w));
    for (c, chunk) in values.chunks(k).enumerate() {
        let mut acc = Fr::ZERO;
        let mut pow = Fr::ONE;
        for (i, &v) in chunk.iter().enumerate() {
            let v = i64::from(v);
            if v < -half || v >= half {
                return Err(PackError::OutOfRange {
                    index: c * k + i,
                    value: v,
                    width: w,
                });
            }
            #[allow(clippy::cast_sign_loss)]
            let u = (v + half) as u64;
            acc += Fr::from(u) * pow;
            pow *= step;
        }
        out.push(acc);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::{BigInteger, PrimeField};

    #[test]
    fn layout_is_little_endian_offset_binary() {
        // Two 8-bit values: (-128 + 128) + (5 + 128)·256.
        let e = pack(&[-128, 5], 8).unwrap();
        assert_eq!(e, vec![Fr::from(133u64 * 256)]);
        assert_eq!(per_element(8), 31);
        assert_eq!(element_count(64, 8), 3);
        assert_eq!(element_count(10, 16), 1);
        assert_eq!(pack(&[0; 32], 8).unwrap().len(), 2);
        // A full element stays below 2^253.
        let full = pack(&[i32::MAX; 7], 32).unwrap();
        assert!(full[0].into_bigint().num_bits() <= 253);
        assert!(matches!(
            pack(&[128], 8),
            Err(PackError::OutOfRange { index: 0, .. })
        ));
        assert!(matches!(pack(&[1], 0), Err(PackError::Width(0))));
        assert!(matches!(pack(&[1], 33), Err(PackError::Width(33))));
    }
}

//! Newtypes for the integers that carry meaning, so that mixing them is a compile error.

use serde::{Deserialize, Serialize};

use crate::error::IrError;

/// Fixed-point scale exponent: a stored integer `q` means the real number `q / 2^s`.
///
/// Only metadata for the integer semantics (which never look at it); it matters at the
/// edges, where floats are quantized and dequantized.
#[repr(transparent)]
#[must_use]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "i32")]
pub struct Scale(i32);

/// Decoding goes through the checked constructor: a file cannot carry an out-of-range scale.
impl TryFrom<i32> for Scale {
    type Error = IrError;
    fn try_from(s: i32) -> Result<Self, IrError> {
        Self::new(s)
    }
}

impl Scale {
    /// Largest magnitude accepted; beyond it `2^s` leaves the range of `f64` mantissas we rely on.
    pub const LIMIT: i32 = 60;

    /// Checked constructor.
    ///
    /// # Errors
    /// [`IrError::ScaleOutOfRange`] when `|s| > 60`.
    pub fn new(s: i32) -> Result<Self, IrError> {
        // Not `s.abs()`: it overflows for i32::MIN (and wraps to a negative in release builds,
        // which would let that scale through).
        if !(-Self::LIMIT..=Self::LIMIT).contains(&s) {
            return Err(IrError::ScaleOutOfRange(s));
        }
        Ok(Self(s))
    }

    /// The exponent.
    #[must_use]
    pub fn exponent(self) -> i32 {
        self.0
    }
}

/// Bit bound of a tensor: every element lies in `[-2^(b-1), 2^(b-1))`, `1 <= b <= 32`.
#[repr(transparent)]
#[must_use]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8")]
pub struct Bits(u8);

/// Decoding goes through the checked constructor: a file cannot carry a bound outside 1..=32.
impl TryFrom<u8> for Bits {
    type Error = IrError;
    fn try_from(b: u8) -> Result<Self, IrError> {
        Self::new(u32::from(b))
    }
}

impl Bits {
    /// Checked constructor.
    ///
    /// # Errors
    /// [`IrError::BitsOutOfRange`] unless `1 <= b <= 32`.
    pub fn new(b: u32) -> Result<Self, IrError> {
        if !(1..=32).contains(&b) {
            return Err(IrError::BitsOutOfRange(b));
        }
        #[allow(clippy::cast_possible_truncation)]
        Ok(Self(b as u8))
    }

    /// The bound in bits.
    #[must_use]
    pub fn get(self) -> u32 {
        u32::from(self.0)
    }

    /// Smallest representable value, `-2^(b-1)`.
    #[must_use]
    pub fn min_value(self) -> i64 {
        -(1i64 << (self.0 - 1))
    }

    /// Largest representable value, `2^(b-1) - 1`.
    #[must_use]
    pub fn max_value(self) -> i64 {
        (1i64 << (self.0 - 1)) - 1
    }

    /// Largest magnitude an element can have, `2^(b-1)`.
    #[must_use]
    pub fn max_abs(self) -> u64 {
        1u64 << (self.0 - 1)
    }

    /// Whether `v` lies within the bound.
    #[must_use]
    pub fn contains(self, v: i64) -> bool {
        v >= self.min_value() && v <= self.max_value()
    }

    /// Saturate `v` into the bound.
    #[must_use]
    #[inline]
    pub fn clamp(self, v: i128) -> i32 {
        let lo = i128::from(self.min_value());
        let hi = i128::from(self.max_value());
        // In range of i32 because b <= 32.
        #[allow(clippy::cast_possible_truncation)]
        let c = v.clamp(lo, hi) as i32;
        c
    }

    /// Smallest bound holding every value of magnitude at most `max_abs` (negative side included).
    pub fn for_max_abs(max_abs: u64) -> Result<Self, IrError> {
        let mut b = 1u32;
        while b < 32 && (1u64 << (b - 1)) < max_abs.saturating_add(1) {
            b += 1;
        }
        Self::new(b)
    }
}

/// Index of a value in a graph's value list: graph inputs first, then one per node output.
/// This is also the order of the execution trace.
#[repr(transparent)]
#[must_use]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ValueId(pub u32);

impl ValueId {
    /// As a `usize` index.
    #[must_use]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// Index of a parameter tensor (weights, biases, constants, index maps, lookup tables).
#[repr(transparent)]
#[must_use]
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ParamId(pub u32);

impl ParamId {
    /// As a `usize` index.
    #[must_use]
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scale_bounds() {
        assert!(Scale::new(60).is_ok());
        assert!(Scale::new(-60).is_ok());
        assert!(Scale::new(61).is_err());
        assert!(Scale::new(-61).is_err());
        assert!(Scale::new(i32::MIN).is_err());
        assert!(Scale::new(i32::MAX).is_err());
    }

    #[test]
    fn bits_bounds() {
        let b = Bits::new(16).unwrap();
        assert_eq!(b.min_value(), -32768);
        assert_eq!(b.max_value(), 32767);
        assert_eq!(b.clamp(100_000), 32767);
        assert_eq!(b.clamp(-100_000), -32768);
        assert!(Bits::new(0).is_err());
        assert!(Bits::new(33).is_err());
        assert_eq!(Bits::for_max_abs(32768).unwrap().get(), 17);
        assert_eq!(Bits::for_max_abs(32767).unwrap().get(), 16);
        assert_eq!(Bits::for_max_abs(0).unwrap().get(), 1);
    }
    /// A `.vmodel` is bincode of the graph: a bound or scale outside its range must not decode
    /// (Bits(0) made `validate` accept any parameter value in release builds and panic in
    /// debug ones; found by the `vmodel` fuzz target).
    #[test]
    fn attack_bits_and_scale_out_of_range_do_not_deserialize() {
        for b in [0u8, 33, 64, 255] {
            let bytes = bincode::serialize(&b).unwrap();
            assert!(
                bincode::deserialize::<Bits>(&bytes).is_err(),
                "Bits({b}) decoded"
            );
        }
        for s in [61i32, -61, i32::MIN, i32::MAX] {
            let bytes = bincode::serialize(&s).unwrap();
            assert!(
                bincode::deserialize::<Scale>(&bytes).is_err(),
                "Scale({s}) decoded"
            );
        }
        let ok = bincode::serialize(&Bits::new(16).unwrap()).unwrap();
        assert_eq!(bincode::deserialize::<Bits>(&ok).unwrap().get(), 16);
        let ok = bincode::serialize(&Scale::new(-60).unwrap()).unwrap();
        assert_eq!(bincode::deserialize::<Scale>(&ok).unwrap().exponent(), -60);
    }
}

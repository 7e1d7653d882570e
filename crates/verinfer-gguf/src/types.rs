//! ggml's tensor types: their numbers in the file and their block layout.
//!
//! A quantized tensor is stored as blocks of `block_len` elements taking `block_bytes` bytes
//! each, along its innermost dimension. The numbers are ggml's (`ggml.h`; gaps are types
//! ggml removed), so every type a GGUF file may name has a size here even if this crate
//! cannot decode it: the tensor directory is checked against the file either way.

/// A ggml tensor type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(non_camel_case_types, missing_docs)]
#[non_exhaustive]
pub enum GgmlType {
    F32,
    F16,
    Q4_0,
    Q4_1,
    Q5_0,
    Q5_1,
    Q8_0,
    Q8_1,
    Q2_K,
    Q3_K,
    Q4_K,
    Q5_K,
    Q6_K,
    Q8_K,
    IQ2_XXS,
    IQ2_XS,
    IQ3_XXS,
    IQ1_S,
    IQ4_NL,
    IQ3_S,
    IQ2_S,
    IQ4_XS,
    I8,
    I16,
    I32,
    I64,
    F64,
    IQ1_M,
    BF16,
    TQ1_0,
    TQ2_0,
    MXFP4,
}

/// `(type, number in the file, elements per block, bytes per block)`.
const TABLE: [(GgmlType, u32, u64, u64); 32] = [
    (GgmlType::F32, 0, 1, 4),
    (GgmlType::F16, 1, 1, 2),
    (GgmlType::Q4_0, 2, 32, 18),
    (GgmlType::Q4_1, 3, 32, 20),
    (GgmlType::Q5_0, 6, 32, 22),
    (GgmlType::Q5_1, 7, 32, 24),
    (GgmlType::Q8_0, 8, 32, 34),
    (GgmlType::Q8_1, 9, 32, 40),
    (GgmlType::Q2_K, 10, 256, 84),
    (GgmlType::Q3_K, 11, 256, 110),
    (GgmlType::Q4_K, 12, 256, 144),
    (GgmlType::Q5_K, 13, 256, 176),
    (GgmlType::Q6_K, 14, 256, 210),
    (GgmlType::Q8_K, 15, 256, 292),
    (GgmlType::IQ2_XXS, 16, 256, 66),
    (GgmlType::IQ2_XS, 17, 256, 74),
    (GgmlType::IQ3_XXS, 18, 256, 98),
    (GgmlType::IQ1_S, 19, 256, 50),
    (GgmlType::IQ4_NL, 20, 32, 18),
    (GgmlType::IQ3_S, 21, 256, 110),
    (GgmlType::IQ2_S, 22, 256, 82),
    (GgmlType::IQ4_XS, 23, 256, 136),
    (GgmlType::I8, 24, 1, 1),
    (GgmlType::I16, 25, 1, 2),
    (GgmlType::I32, 26, 1, 4),
    (GgmlType::I64, 27, 1, 8),
    (GgmlType::F64, 28, 1, 8),
    (GgmlType::IQ1_M, 29, 256, 56),
    (GgmlType::BF16, 30, 1, 2),
    (GgmlType::TQ1_0, 34, 256, 54),
    (GgmlType::TQ2_0, 35, 256, 66),
    (GgmlType::MXFP4, 39, 32, 17),
];

impl GgmlType {
    /// The type numbered `n` in a file, if ggml defines one.
    #[must_use]
    pub fn from_u32(n: u32) -> Option<Self> {
        TABLE.iter().find(|e| e.1 == n).map(|e| e.0)
    }

    fn entry(self) -> (GgmlType, u32, u64, u64) {
        // Every variant has exactly one row (checked by a test).
        TABLE
            .iter()
            .copied()
            .find(|e| e.0 == self)
            .unwrap_or((self, u32::MAX, 1, 0))
    }

    /// Its number in a file.
    #[must_use]
    pub fn to_u32(self) -> u32 {
        self.entry().1
    }

    /// Elements per block.
    #[must_use]
    pub fn block_len(self) -> u64 {
        self.entry().2
    }

    /// Bytes per block.
    #[must_use]
    pub fn block_bytes(self) -> u64 {
        self.entry().3
    }

    /// Bytes of a tensor of `elements` elements whose innermost dimension is `row`: `None`
    /// when the row is not a whole number of blocks or the size overflows.
    #[must_use]
    pub fn bytes_for(self, row: u64, elements: u64) -> Option<u64> {
        let b = self.block_len();
        if !row.is_multiple_of(b) {
            return None;
        }
        (elements / b).checked_mul(self.block_bytes())
    }
}

impl std::fmt::Display for GgmlType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_has_one_row_and_numbers_round_trip() {
        for (i, e) in TABLE.iter().enumerate() {
            assert_eq!(GgmlType::from_u32(e.1), Some(e.0));
            assert_eq!(e.0.to_u32(), e.1);
            assert!(TABLE[i + 1..].iter().all(|o| o.0 != e.0 && o.1 != e.1));
        }
        assert_eq!(GgmlType::from_u32(4), None, "removed in ggml");
        assert_eq!(GgmlType::Q8_0.bytes_for(64, 128), Some(4 * 34));
        assert_eq!(
            GgmlType::Q4_0.bytes_for(48, 48),
            None,
            "48 is not whole blocks"
        );
    }
}

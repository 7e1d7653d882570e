//! What can be wrong with a GGUF file.

/// A GGUF file that cannot be read, naming what is wrong and where.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GgufError {
    /// The file could not be opened or mapped.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// Not a GGUF file.
    #[error("not a GGUF file (magic {0:02x?}, expected \"GGUF\")")]
    BadMagic([u8; 4]),
    /// A version this reader does not know (1 used 32-bit counts; 2 and 3 are read).
    #[error("GGUF version {0} is not supported (2 and 3 are)")]
    Version(u32),
    /// The file ends inside something.
    #[error("file ends at byte {at} inside {what}")]
    Truncated {
        /// What was being read.
        what: String,
        /// Where it started.
        at: usize,
    },
    /// A count or length larger than the file could hold.
    #[error("{what}: {n} is more than the file can hold")]
    TooLarge {
        /// What was counted.
        what: String,
        /// The count read.
        n: u64,
    },
    /// A string that is not UTF-8.
    #[error("{what} at byte {at} is not UTF-8")]
    Utf8 {
        /// Which string.
        what: String,
        /// Where it starts.
        at: usize,
    },
    /// A metadata value type that does not exist.
    #[error("metadata {key}: unknown value type {ty}")]
    ValueType {
        /// The key.
        key: String,
        /// The type read.
        ty: u32,
    },
    /// Arrays nested deeper than any model needs (a guard against hostile recursion).
    #[error("metadata {key}: arrays nested deeper than {max}")]
    Nesting {
        /// The key.
        key: String,
        /// The limit.
        max: usize,
    },
    /// A key or tensor name given twice.
    #[error("{what} {name:?} appears twice")]
    Duplicate {
        /// "metadata key" or "tensor".
        what: &'static str,
        /// The name.
        name: String,
    },
    /// A tensor whose directory entry is inconsistent.
    #[error("tensor {name:?}: {why}")]
    Tensor {
        /// The tensor.
        name: String,
        /// What is wrong.
        why: String,
    },
    /// A metadata entry with the wrong type or value.
    #[error("metadata {key}: {why}")]
    Metadata {
        /// The key.
        key: String,
        /// What is wrong.
        why: String,
    },
    /// A tensor type this reader cannot decode.
    #[error("tensor {name:?}: type {ty} is not supported (F32, F16, BF16, Q8_0 and Q4_0 are)")]
    Unsupported {
        /// The tensor.
        name: String,
        /// Its type's name.
        ty: String,
    },
}

//! llama.cpp's GGUF model files: the container (header, metadata, tensor directory) and the
//! tensor data of the types LLaMA-family checkpoints use (F32, F16, BF16, Q8_0, Q4_0).
//!
//! A [`GgufFile`] maps the file and reads only its directory; tensor data stays in the map
//! until a caller asks for one tensor ([`GgufFile::data`], [`GgufFile::blocks`],
//! [`GgufFile::to_f32`]), so a 7B model is never copied into the heap or widened to `i32`.
//! The LLM importer builds verinfer's graph from the metadata (`llama.*` hyper-parameters,
//! `tokenizer.ggml.*` vocabulary) and the weights from here.
#![deny(missing_docs)]

pub mod decode;
pub mod error;
pub mod llama;
pub mod mmap;
pub mod parse;
pub mod tokenizer;
pub mod types;
pub mod value;
pub mod write;

use std::path::Path;

pub use decode::Block;
pub use error::GgufError;
pub use llama::LlamaConfig;
pub use parse::{Directory, TensorInfo};
pub use tokenizer::{Tokenizer, TokenizerSpec};
pub use types::GgmlType;
pub use value::Value;

/// The bytes of a file: mapped from disk (with the open file, for reading tensors), or owned
/// (tests, fuzzing, small files).
enum Bytes {
    Mapped(memmap2::Mmap, std::fs::File),
    Owned(Vec<u8>),
}

impl Bytes {
    fn as_slice(&self) -> &[u8] {
        match self {
            Self::Mapped(m, _) => m,
            Self::Owned(v) => v,
        }
    }
}

/// A GGUF file whose directory has been read and checked.
pub struct GgufFile {
    bytes: Bytes,
    dir: Directory,
}

impl std::fmt::Debug for GgufFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GgufFile")
            .field("version", &self.dir.version)
            .field("metadata", &self.dir.metadata.len())
            .field("tensors", &self.dir.tensors.len())
            .finish()
    }
}

impl GgufFile {
    /// Maps `path` and reads its directory.
    ///
    /// # Errors
    /// [`GgufError::Io`] when the file cannot be opened or mapped; the directory's errors.
    pub fn open(path: &Path) -> Result<Self, GgufError> {
        let io = |source| GgufError::Io {
            path: path.display().to_string(),
            source,
        };
        let file = std::fs::File::open(path).map_err(io)?;
        let map = mmap::map(&file).map_err(io)?;
        let dir = parse::directory(&map)?;
        Ok(Self {
            bytes: Bytes::Mapped(map, file),
            dir,
        })
    }

    /// Reads a GGUF file held in memory.
    ///
    /// # Errors
    /// The directory's errors.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, GgufError> {
        let dir = parse::directory(&bytes)?;
        Ok(Self {
            bytes: Bytes::Owned(bytes),
            dir,
        })
    }

    /// The directory: version, metadata, tensors, alignment.
    #[must_use]
    pub fn directory(&self) -> &Directory {
        &self.dir
    }

    /// The metadata value of `key`.
    #[must_use]
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.dir
            .metadata
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// A string entry, or an error naming the key.
    ///
    /// # Errors
    /// [`GgufError::Metadata`] when it is absent or not a string.
    pub fn str(&self, key: &str) -> Result<&str, GgufError> {
        self.get(key)
            .and_then(Value::as_str)
            .ok_or_else(|| self.missing(key, "a string"))
    }

    /// An unsigned integer entry (any integer type), or an error naming the key.
    ///
    /// # Errors
    /// [`GgufError::Metadata`] when it is absent, negative or not an integer.
    pub fn uint(&self, key: &str) -> Result<u64, GgufError> {
        self.get(key)
            .and_then(Value::as_u64)
            .ok_or_else(|| self.missing(key, "an unsigned integer"))
    }

    /// A float entry, or an error naming the key.
    ///
    /// # Errors
    /// [`GgufError::Metadata`] when it is absent or not a float.
    pub fn float(&self, key: &str) -> Result<f64, GgufError> {
        self.get(key)
            .and_then(Value::as_f64)
            .ok_or_else(|| self.missing(key, "a float"))
    }

    fn missing(&self, key: &str, want: &str) -> GgufError {
        GgufError::Metadata {
            key: key.to_string(),
            why: match self.get(key) {
                None => "missing".into(),
                Some(v) => format!("is a {}, expected {want}", v.type_name()),
            },
        }
    }

    /// `general.architecture` (`llama` for the LLaMA family).
    ///
    /// # Errors
    /// [`GgufError::Metadata`] when it is absent or not a string.
    pub fn architecture(&self) -> Result<&str, GgufError> {
        self.str("general.architecture")
    }

    /// The tensor named `name`.
    ///
    /// # Errors
    /// [`GgufError::Tensor`] when the file has none.
    pub fn tensor(&self, name: &str) -> Result<&TensorInfo, GgufError> {
        self.dir
            .tensors
            .iter()
            .find(|t| t.name == name)
            .ok_or_else(|| GgufError::Tensor {
                name: name.to_string(),
                why: "not in the file".into(),
            })
    }

    /// A tensor's raw bytes (a view into the map; extents were checked when the directory was
    /// read).
    #[must_use]
    pub fn data(&self, t: &TensorInfo) -> &[u8] {
        self.bytes
            .as_slice()
            .get(t.start..t.start + t.len)
            .unwrap_or_default()
    }

    /// A tensor's raw bytes for decoding: read from the file (`pread`) when it is mapped, so
    /// that importing a model leaves none of the map's pages resident in this process — a
    /// decoded tensor is held once, in its decoded form, and the file's pages stay in the page
    /// cache, reclaimable and not counted in the process's memory (a 7B model's 7 GB would
    /// otherwise stay mapped beside its imported `i8` integers). Owned bytes are borrowed.
    ///
    /// # Errors
    /// [`GgufError::Io`] when the read fails (a file truncated since it was opened).
    pub fn read(&self, t: &TensorInfo) -> Result<std::borrow::Cow<'_, [u8]>, GgufError> {
        match &self.bytes {
            Bytes::Owned(_) => Ok(std::borrow::Cow::Borrowed(self.data(t))),
            Bytes::Mapped(_, file) => {
                let mut buf = vec![0u8; t.len];
                read_exact_at(file, &mut buf, t.start as u64).map_err(|source| GgufError::Io {
                    path: format!("tensor {}", t.name),
                    source,
                })?;
                Ok(std::borrow::Cow::Owned(buf))
            }
        }
    }

    /// A `Q8_0`/`Q4_0` tensor's exact blocks.
    ///
    /// # Errors
    /// As [`decode::blocks`]; [`Self::read`]'s.
    pub fn blocks(&self, t: &TensorInfo) -> Result<Vec<Block>, GgufError> {
        decode::blocks(t, &self.read(t)?)
    }

    /// A tensor's elements as `f32`.
    ///
    /// # Errors
    /// As [`decode::to_f32`]; [`Self::read`]'s.
    pub fn to_f32(&self, t: &TensorInfo) -> Result<Vec<f32>, GgufError> {
        decode::to_f32(t, &self.read(t)?)
    }
}

/// `pread` of exactly `buf.len()` bytes at `offset`.
#[cfg(unix)]
fn read_exact_at(file: &std::fs::File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
}

/// Seek and read elsewhere (the handle is shared only by this file's reader).
#[cfg(not(unix))]
fn read_exact_at(file: &std::fs::File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = file;
    f.seek(SeekFrom::Start(offset))?;
    f.read_exact(buf)
}

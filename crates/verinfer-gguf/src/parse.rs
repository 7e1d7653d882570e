//! The GGUF container, read from bytes: header, metadata, tensor directory.
//!
//! Written here rather than taken from a crate: the format is small (llama.cpp's
//! `docs/gguf.md`), the reader must refuse hostile files with a typed error and bounded
//! allocation (every count is checked against the bytes left before anything is reserved), and
//! the tensor directory is part of what a model id commits to.
//!
//! Layout (little-endian): `"GGUF"`, version `u32` (2 or 3), tensor count `u64`, metadata count
//! `u64`; each metadata entry is a string key, a `u32` value type and the value (strings are a
//! `u64` length and UTF-8 bytes; arrays an element type, a `u64` count and the elements); each
//! tensor entry is a name, `u32` dimension count (≤ 4), `u64` dimensions innermost first, a
//! `u32` ggml type and a `u64` offset into the data section, which starts at the next multiple
//! of `general.alignment` (default 32) after the directory.

use std::collections::HashSet;

use crate::error::GgufError;
use crate::types::GgmlType;
use crate::value::Value;

type Result<T> = std::result::Result<T, GgufError>;

/// Dimensions a ggml tensor can have.
pub const MAX_DIMS: usize = 4;
/// How deep metadata arrays may nest (models use one level; two for merges in some files).
pub const MAX_NESTING: usize = 3;
/// The alignment of the data section when `general.alignment` is absent.
pub const DEFAULT_ALIGNMENT: u64 = 32;

/// One tensor of the directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TensorInfo {
    /// Its name (`blk.0.attn_q.weight`, …).
    pub name: String,
    /// Dimensions, innermost (contiguous) first, as ggml orders them.
    pub dims: Vec<u64>,
    /// Element type.
    pub ty: GgmlType,
    /// Byte offset of its data in the file (the data section's start included).
    pub start: usize,
    /// Byte length of its data.
    pub len: usize,
}

impl TensorInfo {
    /// Number of elements.
    #[must_use]
    pub fn numel(&self) -> u64 {
        self.dims.iter().product()
    }
}

/// Everything before the tensor data.
#[derive(Clone, Debug)]
pub struct Directory {
    /// Format version (2 or 3).
    pub version: u32,
    /// Metadata in file order.
    pub metadata: Vec<(String, Value)>,
    /// Tensors in file order.
    pub tensors: Vec<TensorInfo>,
    /// Alignment of the data section and of every tensor in it.
    pub alignment: u64,
    /// Where the data section starts.
    pub data_start: usize,
}

struct Cursor<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn left(&self) -> usize {
        self.b.len() - self.pos
    }

    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        if n > self.left() {
            return Err(GgufError::Truncated {
                what: what.to_string(),
                at: self.pos,
            });
        }
        let s = &self.b[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N]> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N, what)?);
        Ok(a)
    }

    fn u32(&mut self, what: &str) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }

    fn u64(&mut self, what: &str) -> Result<u64> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }

    /// A count of items each at least `min_bytes` long: refused when the rest of the file could
    /// not hold that many, so no allocation is sized by a hostile number.
    fn count(&mut self, min_bytes: usize, what: &str) -> Result<usize> {
        let n = self.u64(what)?;
        let fits = usize::try_from(n).ok().filter(|&n| {
            n.checked_mul(min_bytes.max(1))
                .is_some_and(|b| b <= self.left())
        });
        fits.ok_or_else(|| GgufError::TooLarge {
            what: what.to_string(),
            n,
        })
    }

    fn string(&mut self, what: &str) -> Result<String> {
        let at = self.pos;
        let n = self.count(1, what)?;
        let bytes = self.take(n, what)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| GgufError::Utf8 {
            what: what.to_string(),
            at,
        })
    }

    fn value(&mut self, key: &str, ty: u32, depth: usize) -> Result<Value> {
        let w = key;
        Ok(match ty {
            0 => Value::U8(u8::from_le_bytes(self.array(w)?)),
            1 => Value::I8(i8::from_le_bytes(self.array(w)?)),
            2 => Value::U16(u16::from_le_bytes(self.array(w)?)),
            3 => Value::I16(i16::from_le_bytes(self.array(w)?)),
            4 => Value::U32(self.u32(w)?),
            5 => Value::I32(i32::from_le_bytes(self.array(w)?)),
            6 => Value::F32(f32::from_le_bytes(self.array(w)?)),
            7 => match self.array::<1>(w)?[0] {
                0 => Value::Bool(false),
                1 => Value::Bool(true),
                b => {
                    return Err(GgufError::Metadata {
                        key: key.to_string(),
                        why: format!("bool byte {b}"),
                    })
                }
            },
            8 => Value::String(self.string(w)?),
            9 => {
                if depth >= MAX_NESTING {
                    return Err(GgufError::Nesting {
                        key: key.to_string(),
                        max: MAX_NESTING,
                    });
                }
                let elem = self.u32(w)?;
                let n = self.count(min_size(elem), w)?;
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    items.push(self.value(key, elem, depth + 1)?);
                }
                Value::Array(items)
            }
            10 => Value::U64(self.u64(w)?),
            11 => Value::I64(i64::from_le_bytes(self.array(w)?)),
            12 => Value::F64(f64::from_le_bytes(self.array(w)?)),
            ty => {
                return Err(GgufError::ValueType {
                    key: key.to_string(),
                    ty,
                })
            }
        })
    }
}

/// The fewest bytes a value of type `ty` takes (an unknown type is refused when read).
fn min_size(ty: u32) -> usize {
    match ty {
        0 | 1 | 7 => 1,
        2 | 3 => 2,
        4..=6 => 4,
        8 | 10..=12 => 8,
        9 => 12,
        _ => 1,
    }
}

/// Reads the directory of the GGUF file `b`, checking every tensor's extent against it.
///
/// # Errors
/// The first problem found, naming it.
pub fn directory(b: &[u8]) -> Result<Directory> {
    let mut c = Cursor { b, pos: 0 };
    let magic: [u8; 4] = c.array("magic")?;
    if &magic != b"GGUF" {
        return Err(GgufError::BadMagic(magic));
    }
    let version = c.u32("version")?;
    if version != 2 && version != 3 {
        return Err(GgufError::Version(version));
    }
    // Minimal entries: a tensor is an 8-byte name length, 4-byte rank, 4-byte type and 8-byte
    // offset; a metadata entry an 8-byte key length, a 4-byte type and one byte.
    let n_tensors = c.count(24, "tensor count")?;
    let n_meta = c.count(13, "metadata count")?;
    let mut metadata = Vec::with_capacity(n_meta);
    let mut keys = HashSet::with_capacity(n_meta);
    for _ in 0..n_meta {
        let key = c.string("metadata key")?;
        let ty = c.u32(&key)?;
        let v = c.value(&key, ty, 0)?;
        if !keys.insert(key.clone()) {
            return Err(GgufError::Duplicate {
                what: "metadata key",
                name: key,
            });
        }
        metadata.push((key, v));
    }
    let alignment = match metadata.iter().find(|(k, _)| k == "general.alignment") {
        None => DEFAULT_ALIGNMENT,
        Some((_, Value::U32(a))) if a.is_power_of_two() => u64::from(*a),
        Some((k, v)) => {
            return Err(GgufError::Metadata {
                key: k.clone(),
                why: format!("{v:?} is not a power of two in a uint32"),
            })
        }
    };
    let mut raw = Vec::with_capacity(n_tensors);
    let mut names = HashSet::with_capacity(n_tensors);
    for _ in 0..n_tensors {
        let name = c.string("tensor name")?;
        let rank = c.u32(&name)? as usize;
        let bad = |why: String| GgufError::Tensor {
            name: name.clone(),
            why,
        };
        if rank == 0 || rank > MAX_DIMS {
            return Err(bad(format!("{rank} dimensions (1 to {MAX_DIMS} allowed)")));
        }
        let mut dims = Vec::with_capacity(rank);
        for _ in 0..rank {
            dims.push(c.u64(&name)?);
        }
        let ty_n = c.u32(&name)?;
        let ty = GgmlType::from_u32(ty_n).ok_or_else(|| bad(format!("unknown type {ty_n}")))?;
        let offset = c.u64(&name)?;
        if !names.insert(name.clone()) {
            return Err(GgufError::Duplicate {
                what: "tensor",
                name,
            });
        }
        raw.push((name, dims, ty, offset));
    }
    let data_start = align(c.pos as u64, alignment).ok_or_else(|| GgufError::TooLarge {
        what: "directory".into(),
        n: c.pos as u64,
    })?;
    let file_len = b.len() as u64;
    let mut tensors = Vec::with_capacity(raw.len());
    for (name, dims, ty, offset) in raw {
        let bad = |why: String| GgufError::Tensor {
            name: name.clone(),
            why,
        };
        let numel = dims
            .iter()
            .try_fold(1u64, |a, &d| a.checked_mul(d))
            .ok_or_else(|| bad(format!("dimensions {dims:?} overflow")))?;
        let bytes = ty.bytes_for(dims[0], numel).ok_or_else(|| {
            bad(format!(
                "innermost dimension {} is not a whole number of {}-element {ty} blocks",
                dims[0],
                ty.block_len()
            ))
        })?;
        if !offset.is_multiple_of(alignment) {
            return Err(bad(format!(
                "offset {offset} is not a multiple of {alignment}"
            )));
        }
        let start = data_start.checked_add(offset);
        let end = start.and_then(|s| s.checked_add(bytes));
        match (start, end) {
            (Some(s), Some(e)) if e <= file_len => tensors.push(TensorInfo {
                name,
                dims,
                ty,
                start: s as usize,
                len: bytes as usize,
            }),
            _ => {
                return Err(bad(format!(
                "data at {data_start} + {offset}, {bytes} bytes, runs past the file's {file_len}"
            )))
            }
        }
    }
    Ok(Directory {
        version,
        metadata,
        tensors,
        alignment,
        data_start: data_start as usize,
    })
}

fn align(x: u64, a: u64) -> Option<u64> {
    x.checked_add(a - 1).map(|y| y / a * a)
}

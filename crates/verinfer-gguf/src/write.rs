//! Writing GGUF files: what `verinfer bench-llm` uses to put a synthetic model of a real
//! shape on disk (so that verinfer and llama.cpp read the very same file), and what tests use
//! to make files this reader must accept or refuse.
//!
//! Version 3, little-endian, tensors in the order added, each tensor's data at a multiple of
//! the alignment (32) from the start of the data section — the layout `parse` reads.
//! Quantizing to `Q8_0` follows ggml's reference (`d = max|x| / 127` stored as f16,
//! `q = round(x / d)`), so a block written here is what llama.cpp would write.

use std::io::Write;

use crate::parse::DEFAULT_ALIGNMENT;
use crate::types::GgmlType;
use crate::value::Value;

/// A GGUF file being assembled in memory (metadata and directory) with its tensor data —
/// or only with each tensor's size ([`GgufWriter::declare`]), the data then streamed one
/// tensor at a time ([`GgufWriter::write_streaming`]) so a 7 GB file never sits in memory,
/// and the header alone can be compared with a file on disk ([`GgufWriter::header`]).
#[derive(Default)]
pub struct GgufWriter {
    metadata: Vec<(String, Value)>,
    tensors: Vec<Entry>,
}

/// One tensor: its directory entry, byte length, and data unless only declared.
struct Entry {
    name: String,
    dims: Vec<u64>,
    ty: GgmlType,
    len: usize,
    data: Option<Vec<u8>>,
}

fn invalid(msg: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidInput, msg)
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    out.extend_from_slice(&(s.len() as u64).to_le_bytes());
    out.extend_from_slice(s.as_bytes());
}

fn put_value(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::U8(x) => out.push(*x),
        Value::I8(x) => out.extend_from_slice(&x.to_le_bytes()),
        Value::U16(x) => out.extend_from_slice(&x.to_le_bytes()),
        Value::I16(x) => out.extend_from_slice(&x.to_le_bytes()),
        Value::U32(x) => out.extend_from_slice(&x.to_le_bytes()),
        Value::I32(x) => out.extend_from_slice(&x.to_le_bytes()),
        Value::F32(x) => out.extend_from_slice(&x.to_le_bytes()),
        Value::Bool(x) => out.push(u8::from(*x)),
        Value::String(s) => put_str(out, s),
        Value::Array(items) => {
            let elem = items.first().map_or(4, Value::type_id);
            out.extend_from_slice(&elem.to_le_bytes());
            out.extend_from_slice(&(items.len() as u64).to_le_bytes());
            for i in items {
                put_value(out, i);
            }
        }
        Value::U64(x) => out.extend_from_slice(&x.to_le_bytes()),
        Value::I64(x) => out.extend_from_slice(&x.to_le_bytes()),
        Value::F64(x) => out.extend_from_slice(&x.to_le_bytes()),
    }
}

/// `x` (a multiple of 32 values) as `Q8_0` blocks.
#[must_use]
pub fn quantize_q8_0(x: &[f32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(x.len() / 32 * 34);
    for block in x.chunks(32) {
        let amax = block.iter().fold(0.0f32, |m, v| m.max(v.abs()));
        let d = amax / 127.0;
        let id = if d == 0.0 { 0.0 } else { 1.0 / d };
        out.extend_from_slice(&half::f16::from_f32(d).to_le_bytes());
        for &v in block {
            #[allow(clippy::cast_possible_truncation)]
            let q = (v * id).round().clamp(-127.0, 127.0) as i8;
            out.extend_from_slice(&q.to_le_bytes());
        }
    }
    out
}

impl GgufWriter {
    /// An empty file.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a metadata entry.
    pub fn kv(&mut self, key: &str, v: Value) -> &mut Self {
        self.metadata.push((key.to_string(), v));
        self
    }

    /// Adds a tensor of `ty` whose encoded bytes are `data`; `dims` innermost first.
    pub fn tensor(&mut self, name: &str, dims: &[u64], ty: GgmlType, data: Vec<u8>) -> &mut Self {
        self.tensors.push(Entry {
            name: name.to_string(),
            dims: dims.to_vec(),
            ty,
            len: data.len(),
            data: Some(data),
        });
        self
    }

    /// Adds a tensor of `ty` by its size only (`dims` innermost first); its data comes to
    /// [`Self::write_streaming`].
    ///
    /// # Errors
    /// A row that is not whole blocks of `ty`, or a size that overflows.
    pub fn declare(
        &mut self,
        name: &str,
        dims: &[u64],
        ty: GgmlType,
    ) -> std::io::Result<&mut Self> {
        let elements = dims
            .iter()
            .try_fold(1u64, |a, &d| a.checked_mul(d))
            .ok_or_else(|| invalid(format!("tensor {name}: {dims:?} overflows")))?;
        let len = ty
            .bytes_for(dims.first().copied().unwrap_or(1), elements)
            .and_then(|l| usize::try_from(l).ok())
            .ok_or_else(|| invalid(format!("tensor {name}: {dims:?} is not whole {ty} blocks")))?;
        self.tensors.push(Entry {
            name: name.to_string(),
            dims: dims.to_vec(),
            ty,
            len,
            data: None,
        });
        Ok(self)
    }

    /// Adds an `F32` tensor.
    pub fn f32_tensor(&mut self, name: &str, dims: &[u64], x: &[f32]) -> &mut Self {
        let data = x.iter().flat_map(|v| v.to_le_bytes()).collect();
        self.tensor(name, dims, GgmlType::F32, data)
    }

    /// The file's bytes before the data section: magic, version, metadata, tensor directory,
    /// padding to the alignment.
    #[must_use]
    pub fn header(&self) -> Vec<u8> {
        let mut head = Vec::new();
        head.extend_from_slice(b"GGUF");
        head.extend_from_slice(&3u32.to_le_bytes());
        head.extend_from_slice(&(self.tensors.len() as u64).to_le_bytes());
        head.extend_from_slice(&(self.metadata.len() as u64).to_le_bytes());
        for (k, v) in &self.metadata {
            put_str(&mut head, k);
            head.extend_from_slice(&v.type_id().to_le_bytes());
            put_value(&mut head, v);
        }
        let a = alignment();
        let mut offset = 0usize;
        for t in &self.tensors {
            put_str(&mut head, &t.name);
            head.extend_from_slice(&(t.dims.len() as u32).to_le_bytes());
            for d in &t.dims {
                head.extend_from_slice(&d.to_le_bytes());
            }
            head.extend_from_slice(&t.ty.to_u32().to_le_bytes());
            head.extend_from_slice(&(offset as u64).to_le_bytes());
            offset += t.len.div_ceil(a) * a;
        }
        head.resize(head.len().div_ceil(a) * a, 0);
        head
    }

    /// Size of the whole file: header and every tensor's data, each padded to the alignment.
    #[must_use]
    pub fn file_len(&self) -> u64 {
        let a = alignment();
        let data: usize = self.tensors.iter().map(|t| t.len.div_ceil(a) * a).sum();
        (self.header().len() + data) as u64
    }

    /// Writes the file.
    ///
    /// # Errors
    /// I/O errors of `out`; a tensor that was only declared.
    pub fn write(&self, out: &mut impl Write) -> std::io::Result<()> {
        self.write_streaming(out, |i| {
            let t = &self.tensors[i];
            t.data
                .clone()
                .ok_or_else(|| invalid(format!("tensor {} has no data", t.name)))
        })
    }

    /// Writes the file, tensor `i`'s data being `data(i)` where it was only declared (called
    /// once per such tensor, in order, so a seeded generator can produce them one at a time).
    ///
    /// # Errors
    /// I/O errors of `out` or `data`; data of another length than declared.
    pub fn write_streaming(
        &self,
        out: &mut impl Write,
        mut data: impl FnMut(usize) -> std::io::Result<Vec<u8>>,
    ) -> std::io::Result<()> {
        out.write_all(&self.header())?;
        let a = alignment();
        for (i, t) in self.tensors.iter().enumerate() {
            let owned;
            let bytes = match &t.data {
                Some(d) => d,
                None => {
                    owned = data(i)?;
                    &owned
                }
            };
            if bytes.len() != t.len {
                return Err(invalid(format!(
                    "tensor {}: {} bytes of data, {} declared",
                    t.name,
                    bytes.len(),
                    t.len
                )));
            }
            out.write_all(bytes)?;
            out.write_all(&vec![0u8; t.len.div_ceil(a) * a - t.len])?;
        }
        Ok(())
    }
}

fn alignment() -> usize {
    usize::try_from(DEFAULT_ALIGNMENT).unwrap_or(32)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::decode::to_f32;
    use crate::parse::directory;

    /// What is written reads back: metadata, dims, types, offsets and Q8_0 values within a
    /// half step of the block scale.
    #[test]
    fn written_files_read_back() {
        let x: Vec<f32> = (0..96).map(|i| (i as f32 - 40.0) / 7.0).collect();
        let mut w = GgufWriter::new();
        w.kv("general.architecture", Value::String("llama".into()))
            .kv("llama.block_count", Value::U32(2))
            .kv(
                "tokenizer.ggml.scores",
                Value::Array(vec![Value::F32(0.5), Value::F32(-1.0)]),
            )
            .f32_tensor("a", &[3], &[1.0, 2.0, 3.0])
            .tensor("q", &[32, 3], GgmlType::Q8_0, quantize_q8_0(&x));
        let mut bytes = Vec::new();
        w.write(&mut bytes).unwrap();
        let d = directory(&bytes).unwrap();
        assert_eq!(d.version, 3);
        assert_eq!(d.metadata.len(), 3);
        assert_eq!(d.tensors[1].dims, vec![32, 3]);
        let t = &d.tensors[1];
        let back = to_f32(t, &bytes[t.start..t.start + t.len]).unwrap();
        for (blk, (a, b)) in x.chunks(32).zip(back.chunks(32)).enumerate() {
            let amax = a.iter().fold(0.0f32, |m, v| m.max(v.abs()));
            for (u, v) in a.iter().zip(b) {
                assert!(
                    (u - v).abs() <= amax / 127.0 * 0.51 + 1e-3,
                    "block {blk}: {u} vs {v}"
                );
            }
        }
        let t = &d.tensors[0];
        assert_eq!(
            to_f32(t, &bytes[t.start..t.start + t.len]).unwrap(),
            vec![1.0, 2.0, 3.0]
        );
    }

    /// Declared tensors streamed in give the very bytes of the in-memory writer; the header
    /// is the file's prefix and `file_len` its size; data of the wrong length is refused.
    #[test]
    fn streaming_writes_the_same_bytes() {
        let x: Vec<f32> = (0..64).map(|i| (i as f32 - 20.0) / 3.0).collect();
        let q = quantize_q8_0(&x);
        let mut whole = GgufWriter::new();
        whole
            .kv("general.architecture", Value::String("llama".into()))
            .f32_tensor("a", &[3], &[1.0, 2.0, 3.0])
            .tensor("q", &[32, 2], GgmlType::Q8_0, q.clone());
        let mut want = Vec::new();
        whole.write(&mut want).unwrap();
        let mut lazy = GgufWriter::new();
        lazy.kv("general.architecture", Value::String("llama".into()))
            .f32_tensor("a", &[3], &[1.0, 2.0, 3.0]);
        lazy.declare("q", &[32, 2], GgmlType::Q8_0).unwrap();
        let mut got = Vec::new();
        let mut calls = Vec::new();
        lazy.write_streaming(&mut got, |i| {
            calls.push(i);
            Ok(q.clone())
        })
        .unwrap();
        assert_eq!(got, want);
        assert_eq!(calls, vec![1]);
        assert!(want.starts_with(&lazy.header()));
        assert_eq!(lazy.file_len(), want.len() as u64);
        assert!(lazy.write(&mut Vec::new()).is_err(), "declared, no data");
        let short = lazy.write_streaming(&mut Vec::new(), |_| Ok(vec![0; 33]));
        assert!(short.unwrap_err().to_string().contains("33 bytes"));
        assert!(lazy.declare("bad", &[48, 2], GgmlType::Q8_0).is_err());
    }
}

//! The trace file: every value of one run, saved so a node can answer openings and reveals
//! later (after a restart, for the whole challenge window).
//!
//! Layout, all integers little-endian:
//!
//! | bytes | field |
//! |---|---|
//! | 8 | magic `VINFTRCE` |
//! | 4 | format version (`u32`, currently 1) |
//! | 32 | model id the trace was produced by |
//! | 8 | value count `n` (`u64`) |
//! | n × (8 + 4·len) | per value: element count `len` (`u64`), then `len` × `i32` |
//! | 32 | keccak-256 of every preceding byte |
//!
//! Files are written to a temporary name in the same folder and renamed, so a crash never
//! leaves half a trace behind. Loading checks magic, version, structure and checksum, and
//! [`TraceFile::check_model`] checks the model id and every value's length against a graph.

use std::io::Write;
use std::path::Path;

use keccak_asm::{Digest, Keccak256};
use verinfer_ir::{Graph, TraceMisfit};

use crate::error::TraceFileError;
use crate::hash::{keccak256, Hash32};
use crate::model::ModelId;

/// File magic.
pub const MAGIC: &[u8; 8] = b"VINFTRCE";
/// Format version this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;
const HEADER: usize = 8 + 4 + 32 + 8;
const CHECKSUM: usize = 32;

/// A loaded trace file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceFile {
    /// Model the trace belongs to.
    pub model_id: ModelId,
    /// Every value, in value order.
    pub values: Vec<Vec<i32>>,
}

/// A writer that hashes what passes through it.
struct Hashing<W: Write> {
    inner: W,
    hasher: Keccak256,
}

impl<W: Write> Hashing<W> {
    fn put(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.hasher.update(bytes);
        self.inner.write_all(bytes)
    }
}

/// Write the file's bytes for `values` of model `model_id` to `w`.
///
/// # Errors
/// I/O failures of `w`.
pub fn write_to(w: impl Write, model_id: ModelId, values: &[Vec<i32>]) -> std::io::Result<()> {
    let mut h = Hashing {
        inner: w,
        hasher: Keccak256::new(),
    };
    h.put(MAGIC)?;
    h.put(&FORMAT_VERSION.to_le_bytes())?;
    h.put(model_id.hash().as_bytes())?;
    h.put(&(values.len() as u64).to_le_bytes())?;
    let mut buf = Vec::with_capacity(4 * 4096);
    for v in values {
        h.put(&(v.len() as u64).to_le_bytes())?;
        for chunk in v.chunks(4096) {
            buf.clear();
            chunk
                .iter()
                .for_each(|x| buf.extend_from_slice(&x.to_le_bytes()));
            h.put(&buf)?;
        }
    }
    let Hashing { mut inner, hasher } = h;
    inner.write_all(&hasher.finalize())?;
    inner.flush()
}

/// The file's bytes.
#[must_use]
pub fn to_bytes(model_id: ModelId, values: &[Vec<i32>]) -> Vec<u8> {
    let mut out = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = write_to(&mut out, model_id, values);
    out
}

fn io(path: &Path) -> impl Fn(std::io::Error) -> TraceFileError + '_ {
    move |source| TraceFileError::Io {
        path: path.display().to_string(),
        source,
    }
}

/// Save a trace atomically ([`verinfer_ir::atomic`]): a crash leaves the old file or the new.
///
/// # Errors
/// I/O failures, naming the path.
pub fn save(path: &Path, model_id: ModelId, values: &[Vec<i32>]) -> Result<(), TraceFileError> {
    verinfer_ir::atomic::write_atomic_with(path, |w| write_to(w, model_id, values))
        .map_err(io(path))
}

/// Load a trace file (structure and checksum checked; see [`TraceFile::check_model`] for the
/// model).
///
/// # Errors
/// I/O failures and everything [`from_bytes`] rejects.
pub fn load(path: &Path) -> Result<TraceFile, TraceFileError> {
    let bytes = std::fs::read(path).map_err(io(path))?;
    from_bytes(&bytes)
}

/// Load a trace file and check it belongs to `graph`, whose model id is `model_id`.
///
/// # Errors
/// Everything [`load`] and [`TraceFile::check_model`] reject.
pub fn load_for(
    path: &Path,
    graph: &Graph,
    model_id: ModelId,
) -> Result<TraceFile, TraceFileError> {
    let t = load(path)?;
    t.check_model(graph, model_id)?;
    Ok(t)
}

struct Reader<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8], TraceFileError> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.b.len());
        let Some(end) = end else {
            return Err(TraceFileError::Truncated {
                what: format!(
                    "{what} needs {n} bytes at offset {}, the file has {}",
                    self.at,
                    self.b.len()
                ),
            });
        };
        let s = &self.b[self.at..end];
        self.at = end;
        Ok(s)
    }

    fn u64(&mut self, what: &str) -> Result<u64, TraceFileError> {
        let s = self.take(8, what)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(s);
        Ok(u64::from_le_bytes(a))
    }
}

/// Decode a trace file's bytes.
///
/// # Errors
/// Bad magic, another version, a file that ends early or runs on, or a checksum mismatch.
pub fn from_bytes(b: &[u8]) -> Result<TraceFile, TraceFileError> {
    if b.len() < 8 || &b[..8] != MAGIC {
        return Err(TraceFileError::BadMagic);
    }
    let mut r = Reader { b, at: 8 };
    let v = r.take(4, "format version")?;
    let version = u32::from_le_bytes([v[0], v[1], v[2], v[3]]);
    if version != FORMAT_VERSION {
        return Err(TraceFileError::VersionMismatch {
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    let mut id = [0u8; 32];
    id.copy_from_slice(r.take(32, "model id")?);
    let model_id = ModelId::from_hash(Hash32::new(id));
    let count = r.u64("value count")?;
    // Each value takes at least its 8-byte length: bound the count before allocating.
    let room = (b.len().saturating_sub(HEADER + CHECKSUM) / 8) as u64;
    if count > room {
        return Err(TraceFileError::Truncated {
            what: format!("the header announces {count} values, the file has room for {room}"),
        });
    }
    let mut values = Vec::with_capacity(usize::try_from(count).unwrap_or(0));
    for i in 0..count {
        let len = r.u64(&format!("length of value {i}"))?;
        let bytes = usize::try_from(len)
            .ok()
            .and_then(|l| l.checked_mul(4))
            .ok_or_else(|| TraceFileError::Corrupt {
                what: format!("value {i} claims {len} elements"),
            })?;
        let data = r.take(bytes, &format!("value {i}"))?;
        values.push(
            data.chunks_exact(4)
                .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
        );
    }
    let body = r.at;
    let sum = r.take(CHECKSUM, "checksum")?;
    if r.at != b.len() {
        return Err(TraceFileError::Corrupt {
            what: format!("{} bytes after the checksum", b.len() - r.at),
        });
    }
    if keccak256(&b[..body]).as_bytes() != sum {
        return Err(TraceFileError::ChecksumMismatch);
    }
    Ok(TraceFile { model_id, values })
}

impl TraceFile {
    /// Check the trace belongs to `graph` (whose model id is `model_id`): same model id, one
    /// value per graph value, each as long as the graph's shape says.
    ///
    /// # Errors
    /// [`TraceFileError::ModelMismatch`], [`TraceFileError::ValueCountMismatch`] or
    /// [`TraceFileError::ValueLengthMismatch`].
    pub fn check_model(&self, graph: &Graph, model_id: ModelId) -> Result<(), TraceFileError> {
        if self.model_id != model_id {
            return Err(TraceFileError::ModelMismatch {
                file: self.model_id,
                model: model_id,
            });
        }
        graph.check_trace(&self.values).map_err(|e| match e {
            TraceMisfit::Count { expected, got } => TraceFileError::ValueCountMismatch {
                expected: expected as u64,
                got: got as u64,
            },
            TraceMisfit::Length {
                value,
                expected,
                got,
            } => TraceFileError::ValueLengthMismatch {
                value: value as u64,
                expected: expected as u64,
                got: got as u64,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> (ModelId, Vec<Vec<i32>>) {
        (
            ModelId::from_hash(keccak256(b"model")),
            vec![vec![1, -2, 3], vec![], vec![i32::MIN, i32::MAX]],
        )
    }

    #[test]
    fn roundtrip_and_atomic_save() {
        let (id, vals) = sample();
        let b = to_bytes(id, &vals);
        assert_eq!(b.len(), HEADER + 3 * 8 + 5 * 4 + CHECKSUM);
        let t = from_bytes(&b).unwrap();
        assert_eq!((t.model_id, t.values.clone()), (id, vals.clone()));
        let dir = verinfer_testing::TestDir::new("verinfer-commit-tf", "save");
        let p = dir.join("t.bin");
        save(&p, id, &vals).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b);
        assert_eq!(load(&p).unwrap(), t);
        let leftovers: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "temporary file left behind");
    }

    #[test]
    fn every_flip_and_truncation_is_caught() {
        let (id, vals) = sample();
        let b = to_bytes(id, &vals);
        verinfer_testing::files::assert_every_flip_and_cut_rejected(&b, 0x10, from_bytes);
        let mut longer = b.clone();
        longer.push(0);
        assert!(matches!(
            from_bytes(&longer),
            Err(TraceFileError::Corrupt { .. })
        ));
        let mut v = b.clone();
        v[8] = 2;
        assert!(matches!(
            from_bytes(&v),
            Err(TraceFileError::VersionMismatch {
                found: 2,
                supported: 1
            })
        ));
        assert!(matches!(from_bytes(b"nope"), Err(TraceFileError::BadMagic)));
        let mut d = b.clone();
        d[HEADER + 9] ^= 1; // inside value 0's data
        assert!(matches!(
            from_bytes(&d),
            Err(TraceFileError::ChecksumMismatch)
        ));
        assert!(matches!(
            from_bytes(&b[..b.len() - 1]),
            Err(TraceFileError::Truncated { .. })
        ));
    }
}

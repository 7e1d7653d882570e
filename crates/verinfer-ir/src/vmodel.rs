//! The `.vmodel` file: a compiled graph, versioned and checksummed.
//!
//! Layout: magic `VINFMODL` (8 bytes) · format version (u32 LE) · payload length (u64 LE) ·
//! keccak-256 of the payload (32 bytes) · payload (bincode of [`Graph`]). A file from another
//! version, a truncated file or a flipped byte fails to load with an error saying which.

use std::path::Path;

use tiny_keccak::{Hasher, Keccak};

use crate::error::IrError;
use crate::graph::Graph;
use crate::validate::validate;

/// File magic.
pub const MAGIC: &[u8; 8] = b"VINFMODL";
/// Format version this build reads and writes. Bump on any change to the IR's encoding.
pub const FORMAT_VERSION: u32 = 2;
/// The earlier version, still read, and still written for graphs without block-scaled
/// parameters: parameters as plain value sequences (no variant tag).
pub const PLAIN_VERSION: u32 = 1;
const HEADER: usize = 8 + 4 + 8 + 32;

fn keccak(data: &[u8]) -> [u8; 32] {
    let mut k = Keccak::v256();
    k.update(data);
    let mut out = [0u8; 32];
    k.finalize(&mut out);
    out
}

/// Encode a graph to bytes.
///
/// # Errors
/// Only if serialization fails (it does not for valid graphs).
pub fn to_bytes(g: &Graph) -> Result<Vec<u8>, IrError> {
    // Version 1 unless a parameter is block-scaled: a model without such parameters keeps
    // the bytes (and the file checksums) it had before version 2 existed.
    let blocks = g
        .params
        .iter()
        .any(|p| matches!(p.data.view(), crate::ParamView::Blocks(_)));
    let version = if blocks {
        FORMAT_VERSION
    } else {
        PLAIN_VERSION
    };
    let encode = || bincode::serialize(g);
    let payload = if blocks {
        encode()
    } else {
        crate::param_data::with_plain_encoding(encode)
    }
    .map_err(|e| IrError::BadFile(format!("cannot encode: {e}")))?;
    let mut out = Vec::with_capacity(HEADER + payload.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&version.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(&keccak(&payload));
    out.extend_from_slice(&payload);
    Ok(out)
}

/// Decode and validate a graph.
///
/// # Errors
/// Bad magic, other version, truncation, checksum mismatch, undecodable or invalid graph.
pub fn from_bytes(b: &[u8]) -> Result<Graph, IrError> {
    if b.len() < 12 || &b[..8] != MAGIC {
        return Err(IrError::BadFile("missing VINFMODL magic".into()));
    }
    let version = u32::from_le_bytes([b[8], b[9], b[10], b[11]]);
    if version != FORMAT_VERSION && version != PLAIN_VERSION {
        return Err(IrError::VersionMismatch {
            found: version,
            supported: FORMAT_VERSION,
        });
    }
    if b.len() < HEADER {
        return Err(IrError::BadFile("truncated header".into()));
    }
    let mut len8 = [0u8; 8];
    len8.copy_from_slice(&b[12..20]);
    let len = u64::from_le_bytes(len8);
    let payload = &b[HEADER..];
    if payload.len() as u64 != len {
        return Err(IrError::BadFile(format!(
            "payload is {} bytes, header says {len} (truncated or padded file)",
            payload.len()
        )));
    }
    if keccak(payload) != b[20..52] {
        return Err(IrError::BadFile(
            "checksum mismatch: the file is corrupt".into(),
        ));
    }
    let decode = || bincode::deserialize::<Graph>(payload);
    let g = if version == PLAIN_VERSION {
        crate::param_data::with_plain_encoding(decode)
    } else {
        decode()
    }
    .map_err(|e| IrError::BadFile(format!("cannot decode graph: {e}")))?;
    validate(&g)?;
    Ok(g)
}

/// Write a graph to `path` atomically (temporary file, then rename), so a crash never leaves
/// a half-written model behind.
///
/// # Errors
/// I/O failures, naming the path.
pub fn save(g: &Graph, path: &Path) -> Result<(), IrError> {
    let bytes = to_bytes(g)?;
    let io = |source| IrError::Io {
        path: path.display().to_string(),
        source,
    };
    crate::atomic::write_atomic(path, &bytes).map_err(io)?;
    Ok(())
}

/// Read and validate a graph from `path`.
///
/// # Errors
/// I/O failures and everything [`from_bytes`] rejects.
pub fn load(path: &Path) -> Result<Graph, IrError> {
    let bytes = std::fs::read(path).map_err(|source| IrError::Io {
        path: path.display().to_string(),
        source,
    })?;
    from_bytes(&bytes)
}

//! Against llama.cpp's own writer, quantizers and reader (PyPI `gguf`, run by
//! scripts/models/gguf_tiny.py): the metadata we read has the types gguf-py wrote, every
//! tensor sits where gguf-py's reader finds it, and our f32 values equal gguf-py's
//! dequantization bit for bit.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;
use common::{json_u64s, testdata};
use proptest::prelude::*;
use verinfer_gguf::{GgmlType, GgufError, GgufFile, Value};

/// The value's type code, then its elements' (gguf-py's `types` list).
fn type_code(v: &Value) -> Vec<u64> {
    let mut out = vec![u64::from(v.type_id())];
    if let Value::Array(a) = v {
        if let Some(first) = a.first() {
            out.extend(type_code(first));
        }
    }
    out
}

#[test]
fn reads_what_gguf_py_wrote() {
    let expected: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(testdata("tiny.json")).unwrap()).unwrap();
    let mapped = GgufFile::open(&testdata("tiny.gguf")).unwrap();
    let owned = GgufFile::from_bytes(std::fs::read(testdata("tiny.gguf")).unwrap()).unwrap();
    for f in [&mapped, &owned] {
        let d = f.directory();
        assert_eq!(d.version, 3);
        assert_eq!(f.architecture().unwrap(), "llama");
        assert_eq!(f.uint("llama.block_count").unwrap(), 1);
        assert_eq!(f.uint("llama.attention.head_count_kv").unwrap(), 2);
        assert_eq!(
            f.float("llama.attention.layer_norm_rms_epsilon").unwrap(),
            f64::from(1e-5f32)
        );
        let tokens: Vec<&str> = f
            .get("tokenizer.ggml.tokens")
            .and_then(Value::as_array)
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert_eq!(tokens, ["<unk>", "<s>", "</s>", "▁the", "▁cat", "é"]);
        assert_eq!(f.get("verinfer.test.flag"), Some(&Value::Bool(true)));
        assert!(matches!(
            f.uint("general.name"),
            Err(GgufError::Metadata { why, .. }) if why.contains("is a string")
        ));
        let types = expected["metadata_types"].as_object().unwrap();
        assert_eq!(d.metadata.len(), types.len());
        for (k, v) in &d.metadata {
            let want = json_u64s(&types[k]);
            let got = type_code(v);
            assert_eq!(got[..got.len().min(2)], want[..want.len().min(2)], "{k}");
        }
        let tensors = expected["tensors"].as_object().unwrap();
        assert_eq!(d.tensors.len(), tensors.len());
        for (name, e) in tensors {
            let t = f.tensor(name).unwrap();
            assert_eq!(t.ty.to_string(), e["type"].as_str().unwrap(), "{name}");
            let dims = json_u64s(&e["dims"]);
            assert_eq!(t.dims, dims, "{name}");
            // gguf-py's `data_offset` is from the start of the file.
            assert_eq!(t.start as u64, e["data_offset"].as_u64().unwrap(), "{name}");
            assert_eq!((t.start - d.data_start) as u64 % d.alignment, 0);
            let got = f.to_f32(t).unwrap();
            let want: Vec<f32> = e["values"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap() as f32)
                .collect();
            assert_eq!(got.len(), want.len(), "{name}");
            for (i, (a, b)) in got.iter().zip(&want).enumerate() {
                assert_eq!(a.to_bits(), b.to_bits(), "{name}[{i}]: {a} vs {b}");
            }
            if matches!(t.ty, GgmlType::Q8_0 | GgmlType::Q4_0) {
                let blocks = f.blocks(t).unwrap();
                assert_eq!(blocks.len() * 32, got.len());
                let lim = if t.ty == GgmlType::Q4_0 { 8 } else { 128 };
                for b in &blocks {
                    assert!(b
                        .q
                        .iter()
                        .all(|&q| i32::from(q) >= -lim && i32::from(q) < lim));
                }
            } else {
                assert!(matches!(f.blocks(t), Err(GgufError::Unsupported { .. })));
            }
        }
    }
}

fn tiny() -> Vec<u8> {
    std::fs::read(testdata("tiny.gguf")).unwrap()
}

#[test]
fn every_truncation_is_a_typed_error() {
    let b = tiny();
    let f = GgufFile::from_bytes(b.clone()).unwrap();
    // Only the alignment padding after the last tensor may go.
    let end = f
        .directory()
        .tensors
        .iter()
        .map(|t| t.start + t.len)
        .max()
        .unwrap();
    assert!(b.len() - end < 32);
    for n in 0..end {
        let r = GgufFile::from_bytes(b[..n].to_vec());
        assert!(r.is_err(), "prefix of {n} bytes read");
    }
    assert!(GgufFile::from_bytes(b[..end].to_vec()).is_ok());
}

#[test]
fn hostile_headers_are_refused_by_name() {
    let b = tiny();
    let with = |at: usize, bytes: &[u8]| {
        let mut m = b.clone();
        m[at..at + bytes.len()].copy_from_slice(bytes);
        GgufFile::from_bytes(m).unwrap_err()
    };
    assert!(matches!(with(0, b"GGML"), GgufError::BadMagic(_)));
    assert!(matches!(
        with(4, &1u32.to_le_bytes()),
        GgufError::Version(1)
    ));
    assert!(matches!(
        with(8, &u64::MAX.to_le_bytes()),
        GgufError::TooLarge { .. }
    ));
    assert!(matches!(
        with(16, &(1u64 << 40).to_le_bytes()),
        GgufError::TooLarge { .. }
    ));
    // The first key's length: longer than the file.
    assert!(matches!(
        with(24, &(1u64 << 33).to_le_bytes()),
        GgufError::TooLarge { .. }
    ));
}

#[test]
fn a_tensor_past_the_end_or_misaligned_is_refused() {
    let b = tiny();
    let f = GgufFile::from_bytes(b.clone()).unwrap();
    let last = f.directory().tensors.last().unwrap().clone();
    // Cut the file inside the last tensor's data.
    let r = GgufFile::from_bytes(b[..last.start + last.len - 1].to_vec());
    assert!(
        matches!(&r, Err(GgufError::Tensor { name, why }) if *name == last.name && why.contains("runs past")),
        "{r:?}"
    );
    // Find the last tensor's offset field in the directory and misalign it.
    let off = (last.start - f.directory().data_start) as u64;
    let pos = (0..f.directory().data_start - 8)
        .rev()
        .find(|&i| b[i..i + 8] == off.to_le_bytes())
        .unwrap();
    let mut m = b.clone();
    m[pos..pos + 8].copy_from_slice(&(off + 1).to_le_bytes());
    let r = GgufFile::from_bytes(m);
    assert!(
        matches!(&r, Err(GgufError::Tensor { why, .. }) if why.contains("not a multiple")),
        "{r:?}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    /// Any byte changed anywhere: a typed error or a file whose tensors all decode.
    #[test]
    fn no_mutation_panics(at in 0usize..1600, byte in any::<u8>(), cut in 0usize..64) {
        let mut b = tiny();
        let at = at % b.len();
        b[at] = byte;
        b.truncate(b.len() - cut.min(b.len()));
        if let Ok(f) = GgufFile::from_bytes(b) {
            for t in f.directory().tensors.clone() {
                let _ = f.to_f32(&t);
                let _ = f.blocks(&t);
            }
        }
    }
}

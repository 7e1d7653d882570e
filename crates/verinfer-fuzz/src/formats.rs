//! Model, data and trace formats: ONNX import, input data JSON, `.vmodel`, trace files and
//! graph-digest words.

use verinfer_commit::encode::Word;
use verinfer_commit::{keccak256, trace_file, ModelCommitment};
use verinfer_ir::vmodel;
use verinfer_onnx::import::{import, ImportOptions};

use crate::scratch::with_files;

/// ONNX bytes through `verinfer_onnx::import` (protobuf decode, initializers, lowering), from
/// a file in a scratch folder as `verinfer compile` reads it.
pub fn onnx_import(data: &[u8]) {
    let Some(dir) = with_files(&[("network.onnx", data)]) else {
        return;
    };
    let _ = import(&dir.join("network.onnx"), &ImportOptions::default());
}

/// Input data JSON (`{"input_data": [[...]]}`) through the parser and the per-sample split.
pub fn onnx_data(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(d) = verinfer_quant::data::parse_data(text) {
        let names = ["x".to_string(), "y".to_string()];
        let _ = d.samples(&names[..1], &[3]);
        let _ = d.samples(&names, &[1, 2]);
    }
}

/// A GGUF file (llama.cpp's model format): its directory, then every tensor it lists decoded
/// (as exact blocks and as `f32`) where the type is one the reader decodes, and its
/// tokenizer, if it has one, encoding and decoding a fixed text.
pub fn gguf(data: &[u8]) {
    if let Ok(f) = verinfer_gguf::GgufFile::from_bytes(data.to_vec()) {
        for t in &f.directory().tensors {
            let _ = f.to_f32(t);
            let _ = f.blocks(t);
        }
        let _ = f.architecture();
        if let Ok(t) = verinfer_gguf::Tokenizer::from_gguf(&f) {
            if let Ok(ids) = t.encode("The quick brown fox, 1606 — ▁é🙂") {
                let _ = t.decode(&ids);
            }
        }
    }
}

/// `.vmodel` header for `payload` with the right length and checksum.
#[must_use]
pub fn vmodel_with_header(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(52 + payload.len());
    out.extend_from_slice(vmodel::MAGIC);
    out.extend_from_slice(&vmodel::FORMAT_VERSION.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u64).to_le_bytes());
    out.extend_from_slice(keccak256(payload).as_bytes());
    out.extend_from_slice(payload);
    out
}

/// `.vmodel` bytes as they are, and as a payload behind a valid header; a graph that loads is
/// committed to (what a node does with every model it loads) and must round-trip.
pub fn vmodel(data: &[u8]) {
    let _ = vmodel::from_bytes(data);
    if let Ok(g) = vmodel::from_bytes(&vmodel_with_header(data)) {
        let _ = ModelCommitment::new(&g);
        let again = vmodel::to_bytes(&g).and_then(|b| vmodel::from_bytes(&b));
        assert_eq!(
            again.ok().as_ref(),
            Some(&g),
            "a loaded graph must round-trip"
        );
    }
}

/// Trace file bytes as they are, and with a valid checksum appended; a file that loads must
/// re-encode to exactly its bytes.
pub fn trace_file(data: &[u8]) {
    let _ = trace_file::from_bytes(data);
    let mut fixed = data.to_vec();
    fixed.extend_from_slice(keccak256(data).as_bytes());
    if let Ok(t) = trace_file::from_bytes(&fixed) {
        assert_eq!(
            trace_file::to_bytes(t.model_id, &t.values),
            fixed,
            "a loaded trace must re-encode to its bytes"
        );
    }
}

/// Graph-digest words through the node and header decoders: after a mode byte, words of 2
/// bytes (small fields, the common case) or 16 bytes (full range), little-endian.
pub fn graph_words(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let words: Vec<Word> = if mode & 1 == 0 {
        rest.chunks_exact(2)
            .map(|c| Word::from(i16::from_le_bytes([c[0], c[1]])))
            .collect()
    } else {
        rest.chunks_exact(16)
            .map(|c| {
                let mut a = [0u8; 16];
                a.copy_from_slice(c);
                Word::from_le_bytes(a)
            })
            .collect()
    };
    let _ = verinfer_commit::decode::decode_node(&words);
    let _ = verinfer_commit::decode::decode_header(&words);
}

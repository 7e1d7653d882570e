//! The `llama` architecture of a file laid out by llama.cpp's writer
//! (scripts/models/llama_tiny.py): hyper-parameters, grouped-query attention, every block's
//! tensors and shapes, and the errors for files that do not fit.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;
use common::testdata;
use verinfer_gguf::{GgmlType, GgufError, GgufFile, LlamaConfig, Tokenizer};

#[test]
fn reads_the_tiny_llama() {
    let f = GgufFile::open(&testdata("llama_tiny.gguf")).unwrap();
    let c = LlamaConfig::from_gguf(&f).unwrap();
    assert_eq!(
        (
            c.n_vocab,
            c.n_embd,
            c.n_layer,
            c.n_ff,
            c.n_head,
            c.n_head_kv
        ),
        (600, 32, 2, 64, 4, 2)
    );
    assert_eq!((c.head_dim(), c.n_embd_kv(), c.n_rot), (8, 16, 8));
    assert_eq!(c.rms_eps, f64::from(1e-5f32));
    assert!(!c.tied_output);
    assert_eq!(c.expected_tensors().len(), 2 + 2 * 9 + 1);
    assert_eq!(
        f.tensor("blk.1.ffn_down.weight").unwrap().ty,
        GgmlType::Q4_0
    );
    assert_eq!(Tokenizer::from_gguf(&f).unwrap().len() as u64, c.n_vocab);
    // Every weight decodes.
    for (name, _) in c.expected_tensors() {
        let t = f.tensor(&name).unwrap();
        assert_eq!(f.to_f32(t).unwrap().len() as u64, t.numel());
    }
}

#[test]
fn other_architectures_and_wrong_shapes_are_named() {
    let tiny = GgufFile::open(&testdata("tiny.gguf")).unwrap();
    // tiny.gguf says "llama" but has no llama tensors.
    let e = LlamaConfig::from_gguf(&tiny).unwrap_err();
    assert!(
        matches!(&e, GgufError::Metadata { key, .. } if key == "llama.feed_forward_length")
            || matches!(&e, GgufError::Tensor { .. }),
        "{e}"
    );
    // A head count that does not divide the width: change the stored uint32 of head_count.
    let mut b = std::fs::read(testdata("llama_tiny.gguf")).unwrap();
    let at = common::u32_value_at(&b, "llama.attention.head_count", 4);
    b[at..at + 4].copy_from_slice(&3u32.to_le_bytes());
    let e = LlamaConfig::from_gguf(&GgufFile::from_bytes(b.clone()).unwrap()).unwrap_err();
    assert!(e.to_string().contains("do not divide"), "{e}");
    // Four key/value heads instead of two: the key and value projections are then too narrow.
    b[at..at + 4].copy_from_slice(&4u32.to_le_bytes());
    let at = common::u32_value_at(&b, "llama.attention.head_count_kv", 2);
    b[at..at + 4].copy_from_slice(&4u32.to_le_bytes());
    let e = LlamaConfig::from_gguf(&GgufFile::from_bytes(b).unwrap()).unwrap_err();
    assert!(
        matches!(&e, GgufError::Tensor { name, why } if name == "blk.0.attn_k.weight" && why.contains("hyper-parameters")),
        "{e}"
    );
}

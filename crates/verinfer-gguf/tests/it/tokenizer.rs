//! The GGUF SentencePiece tokenizer against SentencePiece itself: a BPE vocabulary trained
//! the way LLaMA's was (scripts/models/spm_vocab.py, on King Lear), written into GGUF the way
//! llama.cpp's converter does, and the ids SentencePiece gives for lines of The Tempest and
//! edge cases (spaces, digits, accents, CJK and emoji through byte fallback, tabs, newlines).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;
use common::{json_u64s, testdata};
use verinfer_gguf::{GgufFile, Tokenizer};

#[test]
fn encodes_like_sentencepiece() {
    let f = GgufFile::open(&testdata("spm.gguf")).unwrap();
    let t = Tokenizer::from_gguf(&f).unwrap();
    assert_eq!(t.len(), 600);
    assert!(t.adds_bos());
    let cases: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(testdata("spm_cases.json")).unwrap())
            .unwrap();
    let cases = cases.as_array().unwrap();
    assert!(cases.len() > 60);
    for c in cases {
        let text = c["text"].as_str().unwrap();
        let want: Vec<u32> = json_u64s(&c["ids"])
            .into_iter()
            .map(|x| u32::try_from(x).unwrap())
            .collect();
        assert_eq!(t.encode(text).unwrap(), want, "{text:?}");
        let decoded = c["decoded"].as_str().unwrap();
        assert_eq!(t.decode(&want), decoded, "decode of {text:?}");
    }
}

#[test]
fn text_the_vocabulary_cannot_cover_is_an_error() {
    // tiny.gguf: six tokens, no byte tokens, no unknown-token id.
    let f = GgufFile::open(&testdata("tiny.gguf")).unwrap();
    let t = Tokenizer::from_gguf(&f).unwrap();
    for text in ["zebra", "the cat"] {
        let e = t.encode(text).unwrap_err();
        assert!(
            e.to_string()
                .contains("no token, byte token or unknown token"),
            "{e}"
        );
    }
    assert_eq!(t.encode("").unwrap(), Vec::<u32>::new());
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]
    /// Any text: ids of the vocabulary that decode back to the text (byte fallback covers
    /// every character; `▁` in the text reads back as a space).
    #[test]
    fn any_text_round_trips(text in "\\PC{0,40}") {
        let f = GgufFile::open(&testdata("spm.gguf")).unwrap();
        let t = Tokenizer::from_gguf(&f).unwrap();
        let ids = t.encode(&text).unwrap();
        proptest::prop_assert!(ids.iter().all(|&i| (i as usize) < t.len()));
        proptest::prop_assert_eq!(t.decode(&ids), text.replace('\u{2581}', " "));
    }
}

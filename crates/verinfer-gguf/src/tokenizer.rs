//! The SentencePiece tokenizer of LLaMA-family GGUF files (`tokenizer.ggml.model = "llama"`),
//! from the file's own vocabulary: tokens, scores, token types.
//!
//! Written here because no crate reads a tokenizer from GGUF metadata; the algorithm is
//! SentencePiece's BPE encoding, which llama.cpp's SPM tokenizer also implements: the text gets
//! a leading space (`add_dummy_prefix`), spaces become `▁` (U+2581), every character starts
//! as a symbol, and adjacent symbols are merged while their concatenation is a token, the
//! highest-scoring pair first (the leftmost of equal scores). A final symbol that is not a
//! token becomes its UTF-8 bytes as `<0xXX>` byte tokens (`byte_fallback`). Checked against
//! SentencePiece itself (`tests/tokenizer.rs`).

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};

use crate::error::GgufError;
use crate::value::Value;
use crate::GgufFile;

/// Token types as the converter writes them (`tokenizer.ggml.token_type`).
const TYPE_BYTE: u64 = 6;
const TYPE_NORMAL: u64 = 1;
const TYPE_USER_DEFINED: u64 = 4;

/// What a SentencePiece vocabulary is made of: the `tokenizer.ggml.*` keys of a GGUF file.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TokenizerSpec {
    /// Token strings (`▁` for a space).
    pub tokens: Vec<String>,
    /// Merge scores (higher merges first).
    pub scores: Vec<f32>,
    /// Token types (1 normal, 2 unknown, 3 control, 4 user-defined, 6 byte).
    pub token_types: Vec<u64>,
    /// Beginning-of-sequence token.
    pub bos: Option<u32>,
    /// End-of-sequence token.
    pub eos: Option<u32>,
    /// Unknown token.
    pub unk: Option<u32>,
    /// Whether a prompt starts with BOS.
    pub add_bos: bool,
}

/// A SentencePiece vocabulary.
#[derive(Clone, Debug)]
pub struct Tokenizer {
    tokens: Vec<String>,
    scores: Vec<f32>,
    types: Vec<u64>,
    ids: HashMap<String, u32>,
    bytes: [Option<u32>; 256],
    bos: Option<u32>,
    eos: Option<u32>,
    unk: Option<u32>,
    add_bos: bool,
}

#[derive(Debug)]
struct Bigram {
    left: usize,
    right: usize,
    score: f32,
    len: usize,
}

impl PartialEq for Bigram {
    fn eq(&self, o: &Self) -> bool {
        self.cmp(o) == Ordering::Equal
    }
}
impl Eq for Bigram {}
impl PartialOrd for Bigram {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Bigram {
    /// The heap pops the highest score, and of equal scores the leftmost pair.
    fn cmp(&self, o: &Self) -> Ordering {
        self.score
            .total_cmp(&o.score)
            .then_with(|| o.left.cmp(&self.left))
    }
}

/// A symbol: a byte range of the text, linked to its neighbours; `len == 0` once merged away.
#[derive(Clone, Copy, Debug)]
struct Symbol {
    start: usize,
    len: usize,
    prev: Option<usize>,
    next: Option<usize>,
}

impl Tokenizer {
    /// The tokenizer of `f`'s metadata.
    ///
    /// # Errors
    /// [`GgufError::Metadata`] when the model is not SentencePiece (`llama`), or the token,
    /// score or type lists are missing, of the wrong type or of different lengths.
    pub fn from_gguf(f: &GgufFile) -> Result<Self, GgufError> {
        let bad = |key: &str, why: String| GgufError::Metadata {
            key: key.to_string(),
            why,
        };
        let model = f.str("tokenizer.ggml.model")?;
        if model != "llama" {
            return Err(bad(
                "tokenizer.ggml.model",
                format!("{model:?} is not supported (\"llama\", SentencePiece, is)"),
            ));
        }
        let list = |key: &str| {
            f.get(key)
                .and_then(Value::as_array)
                .ok_or_else(|| bad(key, "missing or not an array".into()))
        };
        let tokens: Vec<String> = list("tokenizer.ggml.tokens")?
            .iter()
            .map(|v| v.as_str().map(str::to_string))
            .collect::<Option<_>>()
            .ok_or_else(|| bad("tokenizer.ggml.tokens", "not all strings".into()))?;
        let n = tokens.len();
        if n == 0 || u32::try_from(n).is_err() {
            return Err(bad("tokenizer.ggml.tokens", format!("{n} tokens")));
        }
        let scores: Vec<f32> = match f.get("tokenizer.ggml.scores") {
            None => vec![0.0; n],
            Some(_) => list("tokenizer.ggml.scores")?
                .iter()
                .map(|v| match v {
                    Value::F32(x) => Some(*x),
                    _ => None,
                })
                .collect::<Option<_>>()
                .ok_or_else(|| bad("tokenizer.ggml.scores", "not all float32".into()))?,
        };
        let types: Vec<u64> = match f.get("tokenizer.ggml.token_type") {
            None => vec![TYPE_NORMAL; n],
            Some(_) => list("tokenizer.ggml.token_type")?
                .iter()
                .map(Value::as_u64)
                .collect::<Option<_>>()
                .ok_or_else(|| bad("tokenizer.ggml.token_type", "not all integers".into()))?,
        };
        let id = |key: &str| -> Result<Option<u32>, GgufError> {
            match f.get(key) {
                None => Ok(None),
                Some(v) => v
                    .as_u64()
                    .and_then(|x| u32::try_from(x).ok())
                    .map(Some)
                    .ok_or_else(|| bad(key, format!("{v:?} is not a token id"))),
            }
        };
        let add_bos = match f.get("tokenizer.ggml.add_bos_token") {
            Some(Value::Bool(b)) => *b,
            _ => true,
        };
        Self::from_spec(TokenizerSpec {
            bos: id("tokenizer.ggml.bos_token_id")?,
            eos: id("tokenizer.ggml.eos_token_id")?,
            unk: id("tokenizer.ggml.unknown_token_id")?,
            tokens,
            scores,
            token_types: types,
            add_bos,
        })
    }

    /// A tokenizer from its vocabulary (what a GGUF file's `tokenizer.ggml.*` keys hold).
    ///
    /// # Errors
    /// [`GgufError::Metadata`] for an empty vocabulary, lists of different lengths or special
    /// token ids outside the vocabulary.
    pub fn from_spec(spec: TokenizerSpec) -> Result<Self, GgufError> {
        let bad = |key: &str, why: String| GgufError::Metadata {
            key: key.to_string(),
            why,
        };
        let TokenizerSpec {
            tokens,
            scores,
            token_types: types,
            bos,
            eos,
            unk,
            add_bos,
        } = spec;
        let n = tokens.len();
        if n == 0 || u32::try_from(n).is_err() {
            return Err(bad("tokenizer.ggml.tokens", format!("{n} tokens")));
        }
        if scores.len() != n || types.len() != n {
            return Err(bad(
                "tokenizer.ggml.scores",
                format!(
                    "{} scores and {} types for {n} tokens",
                    scores.len(),
                    types.len()
                ),
            ));
        }
        for (key, v) in [
            ("tokenizer.ggml.bos_token_id", bos),
            ("tokenizer.ggml.eos_token_id", eos),
            ("tokenizer.ggml.unknown_token_id", unk),
        ] {
            if let Some(v) = v.filter(|&v| v as usize >= n) {
                return Err(bad(key, format!("{v} is not a token id of {n}")));
            }
        }
        let mut ids = HashMap::with_capacity(n);
        let mut bytes = [None; 256];
        for (i, (t, &ty)) in tokens.iter().zip(&types).enumerate() {
            let id = i as u32;
            if ty == TYPE_BYTE {
                if let Some(b) = parse_byte_token(t) {
                    bytes[usize::from(b)] = Some(id);
                }
            } else if ty == TYPE_NORMAL || ty == TYPE_USER_DEFINED {
                ids.entry(t.clone()).or_insert(id);
            }
        }
        Ok(Self {
            bos,
            eos,
            unk,
            tokens,
            scores,
            types,
            ids,
            bytes,
            add_bos,
        })
    }

    /// The vocabulary this tokenizer was made from (to store it beside a compiled model).
    #[must_use]
    pub fn spec(&self) -> TokenizerSpec {
        TokenizerSpec {
            tokens: self.tokens.clone(),
            scores: self.scores.clone(),
            token_types: self.types.clone(),
            bos: self.bos,
            eos: self.eos,
            unk: self.unk,
            add_bos: self.add_bos,
        }
    }

    /// Number of tokens.
    #[must_use]
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// Whether the vocabulary is empty (never, for one read from a file).
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// The beginning-of-sequence token, if the file names one.
    #[must_use]
    pub fn bos(&self) -> Option<u32> {
        self.bos
    }

    /// The end-of-sequence token, if the file names one.
    #[must_use]
    pub fn eos(&self) -> Option<u32> {
        self.eos
    }

    /// Whether the model expects a BOS token before a prompt.
    #[must_use]
    pub fn adds_bos(&self) -> bool {
        self.add_bos && self.bos.is_some()
    }

    /// The token ids of `text` (without BOS; see [`Self::adds_bos`]).
    ///
    /// # Errors
    /// [`GgufError::Metadata`] when a character is neither in a token nor coverable by byte
    /// tokens and the vocabulary has no unknown token.
    pub fn encode(&self, text: &str) -> Result<Vec<u32>, GgufError> {
        if text.is_empty() {
            return Ok(Vec::new());
        }
        let norm = format!(" {text}").replace(' ', "\u{2581}");
        let mut syms: Vec<Symbol> = Vec::new();
        for (start, ch) in norm.char_indices() {
            let i = syms.len();
            syms.push(Symbol {
                start,
                len: ch.len_utf8(),
                prev: i.checked_sub(1),
                next: None,
            });
            if i > 0 {
                syms[i - 1].next = Some(i);
            }
        }
        let mut heap = BinaryHeap::new();
        let mut merged_from: HashMap<(usize, usize), (usize, usize)> = HashMap::new();
        for i in 1..syms.len() {
            self.push_bigram(&norm, &syms, i - 1, i, &mut heap);
        }
        while let Some(b) = heap.pop() {
            let (l, r) = (syms[b.left], syms[b.right]);
            if l.len == 0 || r.len == 0 || l.len + r.len != b.len {
                continue; // stale: one side was merged since
            }
            merged_from.insert((l.start, b.len), (l.len, r.len));
            syms[b.left].len += r.len;
            syms[b.left].next = r.next;
            syms[b.right].len = 0;
            if let Some(n) = r.next {
                syms[n].prev = Some(b.left);
            }
            if let Some(p) = syms[b.left].prev {
                self.push_bigram(&norm, &syms, p, b.left, &mut heap);
            }
            if let Some(n) = syms[b.left].next {
                self.push_bigram(&norm, &syms, b.left, n, &mut heap);
            }
        }
        let mut out = Vec::new();
        let mut at = Some(0);
        while let Some(i) = at {
            let s = syms[i];
            self.resegment(&norm, s.start, s.len, &merged_from, &mut out)?;
            at = s.next;
        }
        Ok(out)
    }

    fn push_bigram(
        &self,
        text: &str,
        syms: &[Symbol],
        left: usize,
        right: usize,
        heap: &mut BinaryHeap<Bigram>,
    ) {
        let (l, r) = (syms[left], syms[right]);
        let piece = &text[l.start..r.start + r.len];
        if let Some(&id) = self.ids.get(piece) {
            heap.push(Bigram {
                left,
                right,
                score: self.scores[id as usize],
                len: piece.len(),
            });
        }
    }

    fn resegment(
        &self,
        text: &str,
        start: usize,
        len: usize,
        merged_from: &HashMap<(usize, usize), (usize, usize)>,
        out: &mut Vec<u32>,
    ) -> Result<(), GgufError> {
        let piece = &text[start..start + len];
        if let Some(&id) = self.ids.get(piece) {
            out.push(id);
            return Ok(());
        }
        if let Some(&(a, b)) = merged_from.get(&(start, len)) {
            self.resegment(text, start, a, merged_from, out)?;
            return self.resegment(text, start + a, b, merged_from, out);
        }
        for byte in piece.bytes() {
            match self.bytes[usize::from(byte)].or(self.unk) {
                Some(id) => out.push(id),
                None => {
                    return Err(GgufError::Metadata {
                        key: "tokenizer.ggml.tokens".into(),
                        why: format!("no token, byte token or unknown token for {piece:?}"),
                    })
                }
            }
        }
        Ok(())
    }

    /// The text of `ids`: pieces joined, `▁` read as a space (the leading one dropped), byte
    /// tokens as their bytes (invalid UTF-8 replaced), control tokens left out.
    #[must_use]
    pub fn decode(&self, ids: &[u32]) -> String {
        let bytes: Vec<u8> = ids.iter().flat_map(|&id| self.piece_bytes(id)).collect();
        let s = String::from_utf8_lossy(&bytes).into_owned();
        s.strip_prefix(' ').map(str::to_string).unwrap_or(s)
    }

    /// The bytes token `id` adds to a text: its piece with `▁` as a space, a byte token's
    /// byte, nothing for BOS, EOS or an id outside the vocabulary. Joined, they are
    /// [`Self::decode`]'s text before the leading space is dropped (what on-chain
    /// detokenizers store: a table of these).
    #[must_use]
    pub fn piece_bytes(&self, id: u32) -> Vec<u8> {
        if Some(id) == self.bos || Some(id) == self.eos {
            return Vec::new();
        }
        let Some(t) = self.tokens.get(id as usize) else {
            return Vec::new();
        };
        if let Some(b) = self.bytes.iter().position(|&x| x == Some(id)) {
            return vec![b as u8];
        }
        t.replace('\u{2581}', " ").into_bytes()
    }
}

/// The byte of a `<0xXX>` token.
fn parse_byte_token(t: &str) -> Option<u8> {
    let hex = t.strip_prefix("<0x")?.strip_suffix('>')?;
    if hex.len() != 2 {
        return None;
    }
    u8::from_str_radix(hex, 16).ok()
}

//! `verinfer gguf`: info, tokenize and detokenize on llama.cpp-written files, and a clear
//! error for a file that is not GGUF.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;
use common::{outcome as verinfer, testdata};

#[test]
fn info_tokenize_detokenize() {
    let m = testdata("gguf/llama_tiny.gguf");
    let m = m.to_str().unwrap();
    let (ok, out, err) = verinfer(&["gguf", "info", m, "--tensors"]);
    assert!(ok, "{err}");
    assert!(
        out.contains("llama: 2 layers, width 32, 4 heads (2 key/value"),
        "{out}"
    );
    assert!(out.contains("blk.1.ffn_down.weight"), "{out}");
    let text = "Be not afeard; the isle is full of noises";
    let (ok, ids, err) = verinfer(&["gguf", "tokenize", m, text, "--bos"]);
    assert!(ok, "{err}");
    let ids: Vec<&str> = ids.split_whitespace().collect();
    assert_eq!(ids[0], "1", "BOS first");
    let mut args = vec!["gguf", "detokenize", m];
    args.extend(ids.iter().copied());
    let (ok, back, err) = verinfer(&args);
    assert!(ok, "{err}");
    assert_eq!(back.trim_end_matches('\n'), text);
    let (ok, _, err) = verinfer(&["gguf", "detokenize", m, "600"]);
    assert!(
        !ok && err.contains("token id 600 is not in the vocabulary"),
        "{err}"
    );
}

#[test]
fn a_file_that_is_not_gguf_is_named() {
    let p = testdata("models/digits_mlp/input.json");
    let (ok, _, err) = verinfer(&["gguf", "info", p.to_str().unwrap()]);
    assert!(!ok);
    assert!(err.contains("not a GGUF file"), "{err}");
}

/// `verinfer ops | head -1`: a reader that has closed the pipe ends the listing quietly (it
/// panicked on the broken pipe before). The read end is closed before the process starts, so
/// its first write fails whatever the pipe's buffer size.
#[test]
fn a_closed_pipe_is_not_a_panic() {
    use std::process::{Command, Stdio};
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = Command::new(env!("CARGO_BIN_EXE_verinfer"))
        .arg("ops")
        .stdout(Stdio::from(writer))
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
    assert!(out.status.success(), "{err}");
}

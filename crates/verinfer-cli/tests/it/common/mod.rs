//! Helpers shared by the CLI integration tests.
#![allow(dead_code)]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub mod anvil;
pub mod gen_anvil;

/// Repository root.
pub fn root() -> PathBuf {
    verinfer_testing::models::repo()
}

/// A file under testdata/.
pub fn testdata(p: &str) -> PathBuf {
    verinfer_testing::models::testdata(p)
}

/// The golden digits MLP `.vmodel`, as an argument.
pub fn mlp_model() -> String {
    testdata(verinfer_testing::models::GOLDEN_MLP)
        .to_str()
        .unwrap()
        .to_string()
}

/// The digits MLP's sample input (`input.json`), as an argument.
pub fn mlp_input() -> String {
    testdata("models/digits_mlp/input.json")
        .to_str()
        .unwrap()
        .to_string()
}

/// Run the `verinfer` binary.
pub fn verinfer(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_verinfer"))
        .args(args)
        .output()
        .expect("spawn verinfer")
}

/// Run the `verinfer` binary, asserting that it succeeds; its stdout.
pub fn ok(args: &[&str]) -> String {
    let o = verinfer(args);
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Run the `verinfer` binary, asserting that it fails; its stderr.
pub fn fails(args: &[&str]) -> String {
    let o = verinfer(args);
    assert!(
        !o.status.success(),
        "{args:?} succeeded: {}",
        String::from_utf8_lossy(&o.stdout)
    );
    stderr(&o)
}

fn prove_args<'a>(
    model: &'a Path,
    input: &'a Path,
    keys: &'a Path,
    out: &'a Path,
    extra: &[&'a str],
) -> Vec<&'a str> {
    let p = |x: &'a Path| x.to_str().unwrap();
    let mut a = vec!["prove", p(model), "--input", p(input), "--keys", p(keys)];
    a.extend_from_slice(extra);
    a.extend_from_slice(&["-o", p(out)]);
    a
}

/// `verinfer prove MODEL --input INPUT --keys KEYS EXTRA… -o OUT`, asserting success; stdout.
pub fn prove(model: &Path, input: &Path, keys: &Path, out: &Path, extra: &[&str]) -> String {
    ok(&prove_args(model, input, keys, out, extra))
}

/// As [`prove`], asserting that it fails; stderr.
pub fn prove_fails(model: &Path, input: &Path, keys: &Path, out: &Path, extra: &[&str]) -> String {
    fails(&prove_args(model, input, keys, out, extra))
}

/// [`prove`], then `verify --evm`: natively and on the EVM the proof is valid; the verify
/// output.
pub fn prove_and_verify_on_evm(model: &Path, input: &Path, keys: &Path, proof: &Path) -> String {
    prove(model, input, keys, proof, &[]);
    let p = |x: &Path| x.to_str().unwrap().to_string();
    let out = ok(&["verify", &p(proof), "--keys", &p(keys), "--evm"]);
    assert!(out.contains("native: proof valid"), "{out}");
    assert!(out.contains("evm: proof valid"), "{out}");
    out
}

/// Run the `verinfer` binary, asserting a refusal without a panic; its stderr.
pub fn refused(args: &[&str]) -> String {
    let (ok, out, err) = outcome(args);
    assert!(!ok, "{args:?} was accepted: {out}");
    assert!(!err.contains("panicked"), "{args:?}: {err}");
    err
}

/// The tiny LLaMA GGUF compiled into `dir/tiny.vmodel` for `ctx` positions (asserting
/// success): the GGUF file's path and the compiled model's.
pub fn compile_tiny_llama(dir: &Path, ctx: &str) -> (String, String) {
    let gguf = testdata("gguf/llama_tiny.gguf");
    let vm = dir.join("tiny.vmodel");
    let (ok, _, err) = outcome(&["compile", s(&gguf), "-o", s(&vm), "--ctx", ctx]);
    assert!(ok, "{err}");
    assert!(!err.contains("panicked"), "{err}");
    (s(&gguf).to_string(), s(&vm).to_string())
}

/// Run the `verinfer` binary: (success, stdout, stderr).
pub fn outcome(args: &[&str]) -> (bool, String, String) {
    let o = verinfer(args);
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// A fresh temp dir for one test, removed when dropped (kept for a failing test with
/// `VERINFER_KEEP_TEST_DIRS=1`).
pub fn tmpdir(name: &str) -> verinfer_testing::TestDir {
    verinfer_testing::models::tmpdir("verinfer-test", name)
}

/// `verinfer run MODEL --input INPUT`, asserting success: its JSON output.
pub fn run_json(model: &Path, input: &Path) -> serde_json::Value {
    let o = verinfer(&["run", s(model), "--input", s(input)]);
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_slice(&o.stdout).unwrap()
}

/// stderr as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// stdout as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A path as a command-line argument.
pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Runs `verinfer args`, asserting a clean refusal: exit code 1 (not a panic's 101), no
/// panic message, and `needle` in stderr.
pub fn assert_fails_with(args: &[&str], needle: &str) {
    let o = verinfer(args);
    let err = stderr(&o);
    assert!(!o.status.success(), "expected failure for {args:?}");
    assert_eq!(
        o.status.code(),
        Some(1),
        "{args:?}: clean exit code, not a panic: {err}"
    );
    assert!(!err.contains("panicked"), "panic: {err}");
    assert!(
        err.contains(needle),
        "error for {args:?} should mention '{needle}', got: {err}"
    );
}

/// Damaged copies of `good`, a checksummed file with its magic at byte 0 and its format
/// version at byte 8: `(name, bytes, what the refusal names)` for one bit flipped at
/// `flip_at`, the file cut to `cut_to` bytes (refused naming `truncated`), the magic
/// changed, the version set to `version`, and an empty file.
pub fn damaged(
    good: &[u8],
    flip_at: usize,
    cut_to: usize,
    truncated: &str,
    version: u8,
) -> Vec<(&'static str, Vec<u8>, String)> {
    let with = |at: usize, f: &dyn Fn(u8) -> u8| {
        let mut b = good.to_vec();
        b[at] = f(b[at]);
        b
    };
    vec![
        (
            "flipped",
            with(flip_at, &|b| b ^ 1),
            "checksum mismatch".into(),
        ),
        ("truncated", good[..cut_to].to_vec(), truncated.into()),
        ("magic", with(0, &|_| b'X'), "magic".into()),
        (
            "version",
            with(8, &|_| version),
            format!("format version {version}"),
        ),
        ("empty", vec![], "magic".into()),
    ]
}

/// Compile a bundled model folder with its calibration data into `out`.
pub fn compile_folder(model: &str, out: &Path) -> Output {
    let dir = testdata(&format!("models/{model}"));
    verinfer(&[
        "compile",
        dir.join("network.onnx").to_str().unwrap(),
        "--calibration",
        dir.join("calibration.json").to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ])
}

/// Kills the background process if the test fails before collecting it.
pub struct Reaper(pub Option<std::process::Child>);

impl Drop for Reaper {
    fn drop(&mut self) {
        if let Some(c) = self.0.as_mut() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

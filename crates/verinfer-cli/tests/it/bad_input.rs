//! Bad input gets a clear error and a non-zero exit, never a panic.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;
use common::{assert_fails_with, compile_folder, damaged, s, stderr, testdata, tmpdir, verinfer};

#[test]
fn malformed_onnx_is_rejected() {
    let p = testdata("bad/malformed.onnx");
    assert_fails_with(&["compile", p.to_str().unwrap()], "malformed ONNX model");
    let p = testdata("bad/truncated.onnx");
    assert_fails_with(&["compile", p.to_str().unwrap()], "malformed ONNX model");
}

#[test]
fn unsupported_op_names_op_and_node() {
    let p = testdata("bad/unsupported_op.onnx");
    assert_fails_with(
        &["compile", p.to_str().unwrap()],
        "unsupported op Det at node 'my_det'",
    );
}

#[test]
fn unknown_symbolic_dims_need_input_shape() {
    let p = testdata("bad/symbolic_dims.onnx");
    assert_fails_with(&["compile", p.to_str().unwrap()], "symbolic dimension");
    // ...and the flag resolves them.
    let d = tmpdir("symdims");
    let out = d.join("m.vmodel");
    let o = verinfer(&["compile", s(&p), "--input-shape", "x=2,3,8", "-o", s(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_fails_with(
        &["compile", p.to_str().unwrap(), "--input-shape", "x=2,3,7"],
        "fixes it to 8",
    );
    assert_fails_with(
        &["compile", p.to_str().unwrap(), "--input-shape", "nosuch=1"],
        "not an input of the model",
    );
}

/// Data files `compile --calibration` and `run --input` must both refuse, with what the error
/// names.
const BAD_DATA: [(&str, &str); 3] = [
    ("bad/nan_input.json", "NaN"),
    ("bad/inf_input.json", "Infinity"),
    ("bad/wrong_length_input.json", "multiple of 64"),
];

#[test]
fn bad_calibration_and_input_data() {
    let onnx = testdata("models/digits_mlp/network.onnx");
    let onnx = onnx.to_str().unwrap();
    for (f, needle) in BAD_DATA {
        let p = testdata(f);
        assert_fails_with(
            &["compile", onnx, "--calibration", p.to_str().unwrap()],
            needle,
        );
    }
    let d = tmpdir("baddata");
    let m = d.join("digits.vmodel");
    assert!(compile_folder("digits_mlp", &m).status.success());
    let m = m.to_str().unwrap();
    for (f, needle) in BAD_DATA {
        let p = testdata(f);
        assert_fails_with(&["run", m, "--input", p.to_str().unwrap()], needle);
    }
    let two = d.join("two.json");
    let cal = testdata("models/digits_mlp/calibration.json");
    std::fs::copy(cal, &two).unwrap();
    assert_fails_with(
        &["run", m, "--input", two.to_str().unwrap()],
        "this command takes exactly one",
    );
}

#[test]
fn corrupt_vmodel_is_rejected() {
    let d = tmpdir("corrupt");
    let m = d.join("digits.vmodel");
    assert!(compile_folder("digits_mlp", &m).status.success());
    let good = std::fs::read(&m).unwrap();
    let input = testdata("models/digits_mlp/input.json");
    let input = input.to_str().unwrap();
    let n = good.len();
    let cases = damaged(&good, n - 10, n / 2, "truncated", 99);
    for (name, bytes, needle) in cases {
        let p = d.join(format!("{name}.vmodel"));
        std::fs::write(&p, bytes).unwrap();
        assert_fails_with(&["run", p.to_str().unwrap(), "--input", input], &needle);
        assert_fails_with(&["inspect", p.to_str().unwrap()], &needle);
    }
    assert_fails_with(
        &[
            "run",
            d.join("missing.vmodel").to_str().unwrap(),
            "--input",
            input,
        ],
        "No such file",
    );
}

/// A calibrated error beyond the documented tolerance (docs/quantization.md, "Refusing a model
/// whose error is too large"): compile names the output and the node where the error first
/// appears and writes nothing; `--allow-large-error` writes it with the same message as a
/// warning. Without calibration data the input's `Sub 100` draws the synthetic-range warning.
#[test]
fn large_calibrated_error_is_refused_naming_the_node() {
    let onnx = testdata("bad/large_error.onnx");
    let cal = testdata("bad/large_error_cal.json");
    let d = tmpdir("large-error");
    let out = d.join("m.vmodel");
    let args = ["compile", s(&onnx), "--calibration", s(&cal), "-o", s(&out)];
    let o = verinfer(&args);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    for needle in [
        "output 'y': max abs error",
        "exceeds the tolerance",
        "the error first appears at node '",
        "refusing to write the model; pass --allow-large-error",
    ] {
        assert!(err.contains(needle), "no '{needle}' in: {err}");
    }
    assert!(!out.exists(), "a refused model was written");
    let o = verinfer(&[&args[..], &["--allow-large-error"]].concat());
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("writing the model anyway"), "{err}");
    assert!(out.exists());
    let o = verinfer(&["compile", s(&onnx), "-o", s(&out), "--allow-large-error"]);
    let err = stderr(&o);
    assert!(
        err.contains("synthetic samples uniform in [-1, 1]"),
        "{err}"
    );
    assert!(err.contains("warning: input 'x'"), "{err}");
}

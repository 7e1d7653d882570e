//! `commit`, `run --trace` and `open`: model ids and trace roots agree with the library, a
//! saved trace answers openings after reloading, and every bad input fails cleanly.
//!
//! Also the commitment golden vectors `testdata/golden/v1/commitments.json` (tensor roots,
//! openings, reveals, node words, model ids, a trace root), shared with the Solidity tests and
//! replayed by `verinfer-commit`'s own golden test. Regenerate on purpose with
//! `cargo test --release -p verinfer-cli --test commit -- --ignored`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;
use std::path::{Path, PathBuf};

use common::{
    assert_fails_with, compile_folder, damaged, s, stderr, stdout, testdata, tmpdir, verinfer,
};
use serde_json::{json, Value};
use verinfer_commit::encode::{graph_tree, header_words, node_words, words_hash};
use verinfer_commit::tensor::tensor_depth;
use verinfer_commit::{
    trace_file, verify_trace_opening, zero_hash, Hash32, ModelCommitment, TensorTree, TraceOpening,
    TraceRoot,
};

fn digits() -> PathBuf {
    testdata("golden/v1/digits_mlp.vmodel")
}

fn digits_input() -> PathBuf {
    testdata("models/digits_mlp/input.json")
}

fn golden_path() -> PathBuf {
    testdata("golden/v1/commitments.json")
}

/// `verinfer run DIGITS --input INPUT --trace TRACE EXTRA…`, asserting success.
fn run_traced(trace: &Path, extra: &[&str]) -> std::process::Output {
    let (m, i) = (digits(), digits_input());
    let o = verinfer(
        &[
            &["run", s(&m), "--input", s(&i), "--trace", s(trace)][..],
            extra,
        ]
        .concat(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    o
}

fn traced_run(d: &Path) -> (PathBuf, String) {
    let t = d.join("trace.bin");
    let out = d.join("out.json");
    let o = run_traced(&t, &["-o", s(&out)]);
    let line = stdout(&o);
    let root = line
        .trim()
        .strip_prefix("trace root: ")
        .unwrap_or_else(|| panic!("stdout: {line}"))
        .to_string();
    let file: Value = serde_json::from_str(&std::fs::read_to_string(out).unwrap()).unwrap();
    assert_eq!(file["trace_root"], root.as_str());
    (t, root)
}

#[test]
fn commit_matches_the_library() {
    let g = verinfer_ir::vmodel::load(&digits()).unwrap();
    let m = ModelCommitment::new(&g);
    let o = verinfer(&["commit", s(&digits())]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o).trim(), m.model_id.to_string());
    let o = verinfer(&["commit", s(&digits()), "--json"]);
    let j: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["model_id"], m.model_id.to_string());
    assert_eq!(j["graph_digest"], m.graph_digest.to_string());
    let params = j["params"].as_array().unwrap();
    assert_eq!(params.len(), g.params.len());
    for ((p, want), root) in params.iter().zip(&g.params).zip(&m.param_roots) {
        assert_eq!(p["name"], want.name.as_str());
        assert_eq!(p["len"], want.data.len());
        assert_eq!(p["root"], root.to_string());
        assert!(p["kind"].is_string());
    }
}

#[test]
fn run_trace_then_open_after_reload() {
    let d = tmpdir("commit-open");
    let (t, root) = traced_run(&d);
    // Without -o the JSON is on stdout, so the root line goes to stderr.
    let t2 = d.join("again.bin");
    let o = run_traced(&t2, &[]);
    let j: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["trace_root"], root.as_str());
    assert!(stderr(&o).contains(&format!("trace root: {root}")));
    assert_eq!(std::fs::read(&t).unwrap(), std::fs::read(&t2).unwrap());

    let g = verinfer_ir::vmodel::load(&digits()).unwrap();
    let model = digits();
    let open = |value: &str, index: &str, more: &[&str]| {
        let mut args = vec!["open", s(&t), "--model", s(&model), "--value", value];
        args.extend(["--index", index]);
        args.extend(more);
        verinfer(&args)
    };
    let root: TraceRoot = root.parse().unwrap();
    for (value, index) in [
        (0u64, 0u64),
        (0, 63),
        (2, 17),
        (g.num_values() as u64 - 1, 9),
    ] {
        let o = open(&value.to_string(), &index.to_string(), &["--json"]);
        assert!(o.status.success(), "{}", stderr(&o));
        let j: Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(j["trace_root"], root.to_string());
        let opening: TraceOpening = serde_json::from_value(j).unwrap();
        let len = g
            .value_info(verinfer_ir::ValueId(value as u32))
            .unwrap()
            .shape
            .numel() as u64;
        verify_trace_opening(root, g.num_values() as u64, len, &opening).unwrap();
    }
    let o = open("1", "2", &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("trace root"));
}

#[test]
fn bad_traces_and_requests_fail_cleanly() {
    let d = tmpdir("commit-bad");
    let (t, _) = traced_run(&d);
    let good = std::fs::read(&t).unwrap();
    let open = |trace: &Path, model: &Path, value: &str, index: &str, needle: &str| {
        assert_fails_with(
            &[
                "open",
                s(trace),
                "--model",
                s(model),
                "--value",
                value,
                "--index",
                index,
            ],
            needle,
        );
    };
    let m = digits();
    open(&t, &m, "99", "0", "value 99 does not exist (the trace has");
    open(
        &t,
        &m,
        "1",
        "64",
        "element 64 is outside a tensor of 64 elements",
    );

    // Another model: same graph, one weight changed.
    let mut g = verinfer_ir::vmodel::load(&m).unwrap();
    let mut vals = g.params[0].data.to_vec();
    vals[0] ^= 1;
    g.params[0].data = vals.into();
    let other = d.join("other.vmodel");
    verinfer_ir::vmodel::save(&g, &other).unwrap();
    open(&t, &other, "1", "0", "trace file belongs to model");

    // Byte 60 is inside value 0's data.
    let cases = damaged(&good, 60, good.len() - 40, "truncated trace file", 7);
    for (name, bytes, needle) in cases {
        let p = d.join(format!("{name}.bin"));
        std::fs::write(&p, bytes).unwrap();
        open(&p, &m, "0", "0", &needle);
    }
    // A well-formed file whose value lengths do not fit the model.
    let tf = trace_file::load(&t).unwrap();
    let mut values = tf.values.clone();
    values[2].push(0);
    let p = d.join("long.bin");
    trace_file::save(&p, tf.model_id, &values).unwrap();
    open(
        &p,
        &m,
        "0",
        "0",
        "trace value 2 has 65 elements, the model's shape has 64",
    );
    values.pop();
    let p = d.join("short.bin");
    trace_file::save(&p, tf.model_id, &values).unwrap();
    open(&p, &m, "0", "0", "values, the model has");
    open(&d.join("missing.bin"), &m, "0", "0", "No such file");
    assert_fails_with(&["commit", s(&d.join("nope.vmodel"))], "No such file");
}

// ---- golden vectors ----

fn fixed_tensors() -> Vec<(&'static str, Vec<i32>)> {
    vec![
        ("empty", vec![]),
        ("one", vec![-1]),
        (
            "eight",
            vec![1, -1, 2, -2, i32::MAX, i32::MIN, 0, 0x0102_0304],
        ),
        ("nine", (1..=9).collect()),
        ("hundred", (0..100).map(|i| i * i * 37 - 5000).collect()),
        (
            "thousand",
            (0..1000).map(|i: i32| i.wrapping_mul(-7919)).collect(),
        ),
    ]
}

fn hashes(v: &[Hash32]) -> Value {
    v.iter().map(ToString::to_string).collect()
}

fn words(w: &[i128]) -> Value {
    w.iter().map(ToString::to_string).collect()
}

/// The golden file, computed fresh (compiles the MNIST CNN; runs the digits MLP with --trace).
fn fresh_golden() -> Value {
    let tensors: Vec<Value> = fixed_tensors()
        .iter()
        .map(|(name, data)| {
            let t = TensorTree::new(data);
            json!({
                "name": name,
                "data": data,
                "depth": tensor_depth(data.len() as u64),
                "root": t.root().to_string(),
            })
        })
        .collect();
    let mut openings = vec![];
    let mut reveals = vec![];
    for (name, data) in fixed_tensors() {
        let t = TensorTree::new(&data);
        for index in [0, data.len() / 2, data.len().saturating_sub(1)] {
            if let Ok(o) = t.open(index as u64) {
                let mut v = serde_json::to_value(&o).unwrap();
                v["tensor"] = json!(name);
                v["len"] = json!(data.len());
                v["root"] = json!(t.root().to_string());
                openings.push(v);
            }
        }
        if name == "thousand" {
            let tree = t.tree();
            for (level, pos, d) in [(tree.depth(), 0, 4), (4, 7, 4), (3, 15, 2), (1, 62, 1)] {
                reveals.push(json!({
                    "tensor": name,
                    "level": level,
                    "pos": pos,
                    "d": d,
                    "node": tree.node(level, pos).unwrap().to_string(),
                    "children": hashes(&tree.reveal(level, pos, d).unwrap()),
                }));
            }
        }
    }
    let g = verinfer_ir::vmodel::load(&digits()).unwrap();
    let gt = graph_tree(&g);
    let mut graph_leaves = vec![json!({
        "leaf_index": 0,
        "kind": "header",
        "words": words(&header_words(&g)),
        "leaf": words_hash(&header_words(&g)).to_string(),
        "path": hashes(&gt.path(0).unwrap()),
    })];
    for (i, n) in g.nodes.iter().enumerate() {
        let w = node_words(&g, n);
        graph_leaves.push(json!({
            "leaf_index": i + 1,
            "kind": n.op.name(),
            "words": words(&w),
            "leaf": words_hash(&w).to_string(),
            "path": hashes(&gt.path(i as u64 + 1).unwrap()),
        }));
    }
    let dm = ModelCommitment::new(&g);
    let d = tmpdir("golden-commit");
    let cnn = d.join("mnist_cnn.vmodel");
    let o = compile_folder("mnist_cnn", &cnn);
    assert!(o.status.success(), "{}", stderr(&o));
    let cm = ModelCommitment::new(&verinfer_ir::vmodel::load(&cnn).unwrap());
    let (t, root) = traced_run(&d);
    let tf = trace_file::load(&t).unwrap();
    json!({
        "about": "verinfer commitment golden vectors v1 (docs/commitments.md); regenerate with `cargo test --release -p verinfer-cli --test commit -- --ignored`",
        "zero_hashes": hashes(&(0..8).map(zero_hash).collect::<Vec<_>>()),
        "tensors": tensors,
        "openings": openings,
        "reveals": reveals,
        "graph": {
            "model": "digits_mlp.vmodel",
            "graph_digest": dm.graph_digest.to_string(),
            "leaves": graph_leaves,
        },
        "models": {
            "digits_mlp": {
                "file": "testdata/golden/v1/digits_mlp.vmodel",
                "model_id": dm.model_id.to_string(),
                "graph_digest": dm.graph_digest.to_string(),
                "param_roots": hashes(&dm.param_roots),
            },
            "mnist_cnn": {
                "file": "compiled from testdata/models/mnist_cnn with its calibration.json",
                "model_id": cm.model_id.to_string(),
                "graph_digest": cm.graph_digest.to_string(),
            },
        },
        "traces": {
            "digits_mlp": {
                "input": "testdata/models/digits_mlp/input.json",
                "quantized_input": tf.values[0],
                "trace_root": root,
            },
        },
    })
}

fn load_golden() -> Value {
    serde_json::from_str(&std::fs::read_to_string(golden_path()).unwrap()).unwrap()
}

#[test]
fn commitments_match_golden_vectors() {
    let want = load_golden();
    let got = fresh_golden();
    for key in [
        "zero_hashes",
        "tensors",
        "openings",
        "reveals",
        "graph",
        "models",
        "traces",
    ] {
        assert_eq!(got[key], want[key], "{key}");
    }
    // And the binary agrees with the library on the compiled CNN.
    let d = tmpdir("golden-commit-cli");
    let cnn = d.join("mnist_cnn.vmodel");
    assert!(compile_folder("mnist_cnn", &cnn).status.success());
    let o = verinfer(&["commit", s(&cnn)]);
    assert_eq!(
        stdout(&o).trim(),
        want["models"]["mnist_cnn"]["model_id"].as_str().unwrap()
    );
}

#[test]
#[ignore = "regenerates the commitment golden file; run on purpose after a deliberate change"]
fn regenerate_commitments_golden() {
    let v = fresh_golden();
    std::fs::write(
        golden_path(),
        serde_json::to_string_pretty(&v).unwrap() + "\n",
    )
    .unwrap();
}

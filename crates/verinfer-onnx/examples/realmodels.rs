//! Evaluates the real-model cases scripts/realmodels/gen.py writes (`NAME.onnx` + `NAME.json`
//! in a directory): one JSON line per case with label agreement and the largest error against
//! onnxruntime, or the error that stopped it.
//!
//! Usage: `cargo run --release -p verinfer-onnx --example realmodels -- DIR`
#![allow(clippy::print_stdout, missing_docs)]

#[path = "../tests/it/realmodels_eval/mod.rs"]
mod realmodels_eval;

fn main() {
    let Some(dir) = std::env::args().nth(1) else {
        println!("usage: realmodels DIR");
        return;
    };
    let mut cases: Vec<_> = std::fs::read_dir(&dir)
        .map(|r| r.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    cases.retain(|p| p.extension().is_some_and(|e| e == "onnx"));
    cases.sort();
    for onnx in cases {
        let name = onnx
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let t = std::time::Instant::now();
        let line = match realmodels_eval::evaluate(&onnx, &onnx.with_extension("json")) {
            Ok(e) => serde_json::json!({"name": name, "agree": e.agree, "rows": e.rows,
                "err": e.err, "ops": e.ops, "seconds": t.elapsed().as_secs_f64()}),
            Err(e) => serde_json::json!({"name": name, "error": e}),
        };
        println!("{line}");
    }
}

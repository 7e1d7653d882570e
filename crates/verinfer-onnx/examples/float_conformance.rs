//! Runs ONNX's own backend node tests through verinfer's float lowering (no quantization):
//! checks that each lowering means what the ONNX op means.
//!
//! Usage: `cargo run --release -p verinfer-onnx --example float_conformance -- CASES_DIR [FILTER]`
//! where CASES_DIR holds `<case>/model.onnx` and `<case>/test_data_set_0/{input,output}_K.pb`
//! (regenerate with `scripts/conformance/gen_node_tests.py`).
#![allow(clippy::print_stdout, missing_docs)]

use std::path::Path;

use verinfer_onnx::import::{import, tensor_values, ImportOptions};
use verinfer_quant::frun::run_outputs;

fn load_pb(p: &Path) -> Option<(Vec<usize>, Vec<f64>)> {
    let f = std::fs::File::open(p).ok()?;
    let t = tract_onnx::tensor::proto_from_reader(f).ok()?;
    let (s, d, _) = tensor_values(&t, None).ok()?;
    Some((s, d))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let Some(dir) = args.get(1) else {
        println!("usage: float_conformance CASES_DIR [FILTER]");
        return;
    };
    let filter = args.get(2).cloned().unwrap_or_default();
    let mut cases: Vec<_> = std::fs::read_dir(dir)
        .map(|r| r.filter_map(Result::ok).map(|e| e.path()).collect())
        .unwrap_or_default();
    cases.sort();
    let (mut pass, mut fail, mut unsup) = (0, 0, 0);
    for case in cases {
        let name = case
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        if !name.contains(&filter) {
            continue;
        }
        let ds = case.join("test_data_set_0");
        let mut inputs = vec![];
        let mut shapes = std::collections::BTreeMap::new();
        let proto = match verinfer_onnx::import::read_proto(&case.join("model.onnx")) {
            Ok(p) => p,
            Err(_) => continue,
        };
        let graph_inputs: Vec<String> = proto
            .graph
            .as_ref()
            .map(|g| {
                let inits: Vec<&String> = g.initializer.iter().map(|t| &t.name).collect();
                g.input
                    .iter()
                    .filter(|i| !inits.contains(&&i.name))
                    .map(|i| i.name.clone())
                    .collect()
            })
            .unwrap_or_default();
        let mut k = 0;
        while let Some((s, d)) = load_pb(&ds.join(format!("input_{k}.pb"))) {
            if let Some(n) = graph_inputs.get(k) {
                shapes.insert(n.clone(), s);
            }
            inputs.push(d);
            k += 1;
        }
        let mut expected = vec![];
        let mut k = 0;
        while let Some(o) = load_pb(&ds.join(format!("output_{k}.pb"))) {
            expected.push(o);
            k += 1;
        }
        let opts = ImportOptions {
            input_shapes: shapes,
            ..ImportOptions::default()
        };
        let g = match import(&case.join("model.onnx"), &opts) {
            Ok(g) => g,
            Err(e) => {
                let msg = e.to_string();
                if msg.contains("unsupported") {
                    unsup += 1;
                } else {
                    fail += 1;
                    println!("FAIL {name}: import: {msg}");
                }
                continue;
            }
        };
        match run_outputs(&g, &inputs) {
            Ok(outs) => {
                let mut worst = 0.0f64;
                let mut msg = String::new();
                for (i, (o, (es, e))) in outs.iter().zip(&expected).enumerate() {
                    let gs = g
                        .outputs
                        .get(i)
                        .map(|(_, r)| g.shape(*r).to_vec())
                        .unwrap_or_default();
                    if gs.iter().product::<usize>() != es.iter().product::<usize>()
                        || o.len() != e.len()
                    {
                        msg = format!("output {i} shape {gs:?} vs expected {es:?}");
                        worst = f64::INFINITY;
                        break;
                    }
                    if gs != *es {
                        msg = format!("output {i} shape {gs:?} vs expected {es:?} (same count)");
                    }
                    for (a, b) in o.iter().zip(e) {
                        let tol = 1e-4 * (1.0 + b.abs());
                        let err = (a - b).abs();
                        let within = err <= tol || (a.is_nan() && b.is_nan()) || a == b;
                        if !within {
                            worst = worst.max(err / tol);
                        }
                    }
                }
                if worst > 1.0 || (outs.len() != expected.len()) {
                    fail += 1;
                    println!("FAIL {name}: err/tol {worst:.3e} {msg}");
                } else {
                    pass += 1;
                    println!("PASS {name} {msg}");
                }
            }
            Err(e) => {
                fail += 1;
                println!("FAIL {name}: run: {e}");
            }
        }
    }
    println!("pass {pass} fail {fail} unsupported {unsup}");
}

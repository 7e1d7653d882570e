//! Golden vectors: the integer outputs of each bundled model on its input.json, and a committed
//! `.vmodel` compatibility fixture. A change to quantization or to any op's semantics shows up
//! here; regenerate on purpose with `cargo test -p verinfer-cli --test golden -- --ignored`.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;
use std::path::PathBuf;

use common::{compile_folder, run_json, stderr, testdata, tmpdir};

const MODELS: &[&str] = &["digits_mlp", "mnist_cnn", "transformer_block"];

fn golden(model: &str) -> PathBuf {
    testdata(&format!("golden/v1/{model}.json"))
}

fn fresh_output(model: &str, vmodel: Option<PathBuf>) -> serde_json::Value {
    let d = tmpdir(&format!("golden-{model}"));
    let m = match vmodel {
        Some(m) => m,
        None => {
            let m = d.join("m.vmodel");
            let o = compile_folder(model, &m);
            assert!(o.status.success(), "{}", stderr(&o));
            m
        }
    };
    let input = testdata(&format!("models/{model}/input.json"));
    run_json(&m, &input)
}

#[test]
fn compiled_outputs_match_golden_vectors() {
    for model in MODELS {
        let want: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(golden(model)).unwrap()).unwrap();
        let got = fresh_output(model, None);
        assert_eq!(
            got["outputs"][0]["quantized"], want["outputs"][0]["quantized"],
            "{model}"
        );
        assert_eq!(
            got["outputs"][0]["scale"], want["outputs"][0]["scale"],
            "{model}"
        );
    }
}

#[test]
fn committed_vmodel_v1_still_loads_and_runs() {
    let m = testdata("golden/v1/digits_mlp.vmodel");
    let want: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(golden("digits_mlp")).unwrap()).unwrap();
    let got = fresh_output("digits_mlp", Some(m));
    assert_eq!(got["outputs"], want["outputs"]);
}

#[test]
#[ignore = "regenerates the golden files; run on purpose after a deliberate semantic change"]
fn regenerate_golden() {
    std::fs::create_dir_all(testdata("golden/v1")).unwrap();
    for model in MODELS {
        let got = fresh_output(model, None);
        std::fs::write(golden(model), serde_json::to_string_pretty(&got).unwrap()).unwrap();
    }
    let o = compile_folder("digits_mlp", &testdata("golden/v1/digits_mlp.vmodel"));
    assert!(o.status.success());
}

//! `verinfer compile M.gguf` and `verinfer generate`: a llama.cpp-layout model compiles to a
//! step graph with its tokenizer beside it, generates the same tokens as the exact float model
//! of the file, keeps per-step trace roots and the cache with `--trace`, and refuses what it
//! cannot serve by name.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;
use common::{outcome as verinfer, s, testdata, tmpdir};

/// `verinfer generate MODEL ARGS.. --ignore-eos --json`, which must succeed: its JSON and its
/// stderr.
fn generate_json(model: &str, args: &[&str]) -> (serde_json::Value, String) {
    let mut all = vec!["generate", model, "--ignore-eos", "--json"];
    all.extend_from_slice(args);
    let (ok, out, err) = verinfer(&all);
    assert!(ok, "{all:?}: {err}");
    (serde_json::from_str(out.trim()).unwrap(), err)
}

#[test]
fn compile_generate_trace_and_refusals() {
    let dir = tmpdir("generate");
    let gguf = testdata("gguf/llama_tiny.gguf");
    let gguf = gguf.to_str().unwrap();
    let vm = dir.path().join("tiny.vmodel");
    let vm_s = vm.to_str().unwrap();
    let (ok, _, err) = verinfer(&["compile", gguf, "-o", vm_s, "--ctx", "48"]);
    assert!(ok, "{err}");
    assert!(err.contains("greedy agreement"), "{err}");
    assert!(dir.path().join("tiny.tokenizer.json").exists());

    let prompt = "Be not afeard";
    let run = |model: &str, extra: &[&str]| {
        let head = ["--prompt", prompt, "--max-new-tokens", "12"];
        let (v, err) = generate_json(model, &[&head[..], extra].concat());
        assert!(err.contains("tokens/s"), "{err}");
        v
    };
    let trace = dir.path().join("trace");
    let int = run(vm_s, &["--trace", trace.to_str().unwrap()]);
    let float = run(gguf, &[]);
    assert_eq!(int["prompt_ids"], float["prompt_ids"]);
    assert_eq!(int["prompt_ids"][0], 1, "BOS first");
    assert_eq!(int["tokens"].as_array().unwrap().len(), 12);
    assert_eq!(
        int["tokens"], float["tokens"],
        "integer vs exact float greedy"
    );
    assert_eq!(int["text"], float["text"]);

    let g: serde_json::Value =
        serde_json::from_slice(&std::fs::read(trace.join("generation.json")).unwrap()).unwrap();
    let n_prompt = int["prompt_ids"].as_array().unwrap().len();
    let roots = g["step_trace_roots"].as_array().unwrap();
    assert_eq!(roots.len(), n_prompt + 11, "one root per step run");
    assert_ne!(roots[0], roots[1]);
    // 2 layers × (K, V) × 48 rows × 2 KV heads × 8 dims, i32.
    let kv = std::fs::read(trace.join("kv_cache.bin")).unwrap();
    assert_eq!(kv.len(), 2 * 2 * 48 * 16 * 4);
    // The prompt run one step at a time instead of as one batch: the same bytes.
    let seq = dir.path().join("trace-seq");
    let int_seq = run(
        vm_s,
        &["--trace", seq.to_str().unwrap(), "--sequential-prefill"],
    );
    assert_eq!(int_seq, int);
    for f in ["generation.json", "kv_cache.bin"] {
        assert_eq!(
            std::fs::read(trace.join(f)).unwrap(),
            std::fs::read(seq.join(f)).unwrap(),
            "{f}: batched vs one-by-one prefill"
        );
    }

    // Prompt ids as given; the same run twice gives the same trace roots.
    let ids = [
        "generate",
        vm_s,
        "--prompt-ids",
        "1,5,9",
        "--max-new-tokens",
        "4",
        "--json",
    ];
    let (ok, a, err) = verinfer(&ids);
    assert!(ok, "{err}");
    let (_, b, _) = verinfer(&ids);
    assert_eq!(a, b);

    for (args, want) in [
        (
            vec![
                "generate",
                vm_s,
                "--prompt-ids",
                "1,2",
                "--max-new-tokens",
                "60",
            ],
            "compiled for a context of 48",
        ),
        (
            vec![
                "generate",
                vm_s,
                "--prompt-ids",
                "1,70000",
                "--max-new-tokens",
                "2",
            ],
            "outside the vocabulary",
        ),
        (vec!["generate", vm_s, "--max-new-tokens", "2"], "--prompt"),
        (vec!["compile", gguf, "--ctx", "4096"], "outside 1..=128"),
    ] {
        let (ok, _, err) = verinfer(&args);
        assert!(!ok && err.contains(want), "{args:?}: {err}");
    }
    // A classifier is not a language model.
    let onnx = testdata("models/digits_mlp/network.onnx");
    let mlp = dir.path().join("mlp.vmodel");
    let (ok, _, err) = verinfer(&["compile", s(&onnx), "-o", s(&mlp)]);
    assert!(ok, "{err}");
    let (ok, _, err) = verinfer(&["generate", mlp.to_str().unwrap(), "--prompt-ids", "1"]);
    assert!(
        !ok && err.contains("not a language-model step graph"),
        "{err}"
    );
}

#[test]
fn bench_llm_reports_every_figure_and_refuses_what_cannot_fit() {
    let dir = tmpdir("bench-llm");
    let d = dir.path().to_str().unwrap();
    let (ok, out, err) = verinfer(&[
        "bench-llm",
        "--shape",
        "tiny",
        "--ctx",
        "32",
        "--tokens",
        "8",
        "--dir",
        d,
        "--json",
    ]);
    assert!(ok, "{err}");
    let j: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    for k in [
        "decode_tokens_per_s",
        "prefill_tokens_per_s",
        "prefill_sequential_tokens_per_s",
        "expected_peak_rss_mib",
        "trace_commitment_share",
        "model_commitment_s",
        "peak_rss_mib",
    ] {
        assert!(j[k].as_f64().is_some_and(|v| v > 0.0), "{k}: {j}");
    }
    assert!(dir.path().join("tiny-q8_0.gguf").exists());
    let (ok, _, err) = verinfer(&["bench-llm", "--shape", "gpt5", "--dir", d]);
    assert!(!ok && err.contains("unknown shape"), "{err}");
}

/// Seeded sampling through the CLI: a model compiled `--sampling` gives the same tokens for
/// the same request (seed, temperature) and other tokens for another seed; `--temperature 0`
/// is the greedy continuation; the JSON carries the seed and the exact temperature, and a
/// greedy output has neither; a greedy-only step graph asked to sample is refused by name.
#[test]
fn seeded_sampling_is_a_function_of_the_request() {
    let dir = tmpdir("generate-sampling");
    let gguf = testdata("gguf/llama_tiny.gguf");
    let gguf = gguf.to_str().unwrap();
    let (greedy, sampled) = (dir.path().join("g.vmodel"), dir.path().join("s.vmodel"));
    let (greedy, sampled) = (greedy.to_str().unwrap(), sampled.to_str().unwrap());
    for (vm, extra) in [(greedy, None), (sampled, Some("--sampling"))] {
        let mut args = vec!["compile", gguf, "-o", vm, "--ctx", "40"];
        args.extend(extra);
        let (ok, _, err) = verinfer(&args);
        assert!(ok, "{err}");
    }
    let run = |vm: &str, extra: &[&str]| -> serde_json::Value {
        let head = ["--prompt-ids", "1,45,67,89", "--max-new-tokens", "16"];
        generate_json(vm, &[&head[..], extra].concat()).0
    };
    let a = run(sampled, &["--seed", "7", "--temperature", "1.5"]);
    let b = run(sampled, &["--seed", "7", "--temperature", "1.5"]);
    let c = run(sampled, &["--seed", "8", "--temperature", "1.5"]);
    assert_eq!(a, b, "the same request gives the same tokens");
    assert_ne!(
        a["tokens"], c["tokens"],
        "another seed samples other tokens"
    );
    assert_eq!(a["seed"], 7);
    assert_eq!(a["temperature_q16"], 98_304);

    let g = run(greedy, &[]);
    assert!(
        g.get("seed").is_none() && g.get("temperature").is_none(),
        "{g}"
    );
    let cold = run(sampled, &["--seed", "7", "--temperature", "0"]);
    assert_eq!(cold["tokens"], g["tokens"], "temperature 0 is greedy");

    let (ok, _, err) = verinfer(&[
        "generate",
        greedy,
        "--prompt-ids",
        "1,45",
        "--max-new-tokens",
        "2",
        "--seed",
        "7",
    ]);
    assert!(!ok && err.contains("--sampling"), "{err}");
}

//! The CI smoke of the fuzz targets: every file of the committed corpus
//! `testdata/fuzz/<target>/` (seeds plus what coverage-guided runs found) and a fixed number of
//! deterministic mutations of them go through each target's body. A panic fails the test and
//! names the input.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use verinfer_fuzz::mutate::{mutate, Rng};
use verinfer_fuzz::{clean_scratch, target, TARGETS};

/// Mutated inputs per target per run.
const MUTATIONS: usize = 600;

fn corpus_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/fuzz")
        .join(name)
}

fn corpus(name: &str) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(corpus_dir(name))
        .unwrap_or_else(|e| panic!("corpus of {name}: {e}"))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| (p.display().to_string(), std::fs::read(&p).unwrap()))
        .collect()
}

fn replay(name: &str) {
    let body = target(name).unwrap();
    let files = corpus(name);
    assert!(!files.is_empty(), "no corpus for {name}");
    for (path, bytes) in &files {
        let r = std::panic::catch_unwind(|| body(bytes));
        assert!(r.is_ok(), "{name} panicked on corpus file {path}");
    }
    let mut rng = Rng::new(0x5eed ^ name.len() as u64);
    for i in 0..MUTATIONS {
        let (path, seed) = &files[i % files.len()];
        let input = mutate(seed, &mut rng);
        let r = std::panic::catch_unwind(|| body(&input));
        if r.is_err() {
            let out = std::env::temp_dir().join(format!("verinfer-fuzz-crash-{name}-{i}"));
            let _ = std::fs::write(&out, &input);
            panic!(
                "{name} panicked on mutation {i} of {path}; input saved to {}",
                out.display()
            );
        }
    }
    clean_scratch();
}

macro_rules! replay_tests {
    ($($name:ident),* $(,)?) => {
        $( #[test] fn $name() { replay(stringify!($name)); } )*

        #[test]
        fn every_target_has_a_replay_test() {
            let tested = [$(stringify!($name)),*];
            for (name, _) in TARGETS {
                assert!(tested.contains(name), "no replay test for {name}");
            }
        }
    };
}

replay_tests!(
    onnx_import,
    onnx_data,
    vmodel,
    trace_file,
    graph_words,
    zk_verifying_key,
    zk_proving_key,
    zk_manifest,
    zk_proof_file,
    zk_proof_words,
    abi_calldata,
    abi_revert,
    abi_tensors,
    event_log,
    chain_state,
    deployments,
    node_state,
    zk_ptau,
    gguf,
);

/// Corpus files stay small: the whole corpus is committed (the largest, 45 KB, is the smallest
/// valid proving key).
#[test]
fn corpus_is_small() {
    let mut total = 0;
    for (name, _) in TARGETS {
        for (path, bytes) in corpus(name) {
            assert!(bytes.len() <= 64 * 1024, "{path} is {} bytes", bytes.len());
            total += bytes.len();
        }
    }
    assert!(total < 1024 * 1024, "corpus is {total} bytes");
}

//! Writes the seed corpora `testdata/fuzz/<target>/seed-*`: one or a few small valid inputs
//! per target, made by the product's own encoders, so every fuzz run starts past the format
//! checks. Run with `--ignored` to regenerate (the seeds are deterministic).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use alloy_primitives::Address;
use alloy_sol_types::{Revert, SolError};
use ark_std::rand::{rngs::StdRng, SeedableRng};
use verinfer_commit::encode::{header_words, node_words, Word};
use verinfer_commit::{keccak256, trace_file, ModelId};
use verinfer_exec::Plan;
use verinfer_testing::graph::tiny_add;
use verinfer_testing::models::repo;
use verinfer_zk::files::{save_keys, KeyManifest, ProofFile};
use verinfer_zk::{Groth16, ProofSystem, Visibility};

fn put(target: &str, name: &str, bytes: &[u8]) {
    let d = repo().join("testdata/fuzz").join(target);
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join(format!("seed-{name}")), bytes).unwrap();
}

fn copy(target: &str, name: &str, from: &str) {
    put(target, name, &std::fs::read(repo().join(from)).unwrap());
}

fn words_seed(words: &[Word]) -> Vec<u8> {
    if let Ok(small) = words
        .iter()
        .map(|w| i16::try_from(*w))
        .collect::<Result<Vec<_>, _>>()
    {
        std::iter::once(0u8)
            .chain(small.iter().flat_map(|w| w.to_le_bytes()))
            .collect()
    } else {
        std::iter::once(1u8)
            .chain(words.iter().flat_map(|w| w.to_le_bytes()))
            .collect()
    }
}

#[test]
#[ignore = "writes testdata/fuzz; run to regenerate the seed corpora"]
fn write_seeds() {
    // ONNX and input data: the small committed models and the known-bad files.
    copy(
        "onnx_import",
        "ezkl_style.onnx",
        "testdata/models/ezkl_style/network.onnx",
    );
    let truncated = std::fs::read(repo().join("testdata/bad/truncated.onnx")).unwrap();
    put("onnx_import", "truncated.onnx", &truncated[..2048]);
    for bad in ["malformed", "symbolic_dims", "unsupported_op"] {
        copy(
            "onnx_import",
            &format!("{bad}.onnx"),
            &format!("testdata/bad/{bad}.onnx"),
        );
    }
    copy(
        "onnx_data",
        "ezkl_style.json",
        "testdata/models/ezkl_style/input.json",
    );
    copy(
        "onnx_data",
        "digits.json",
        "testdata/models/digits_mlp/input.json",
    );
    for bad in ["inf_input", "nan_input", "wrong_length_input"] {
        copy(
            "onnx_data",
            &format!("{bad}.json"),
            &format!("testdata/bad/{bad}.json"),
        );
    }

    // `.vmodel`: whole files and bare payloads (the target adds a valid header).
    let g = tiny_add();
    let file = verinfer_ir::vmodel::to_bytes(&g).unwrap();
    put("vmodel", "tiny.vmodel", &file);
    put("vmodel", "tiny.payload", &file[52..]);
    let ezkl = verinfer_onnx::compile::compile(
        &repo().join("testdata/models/ezkl_style/network.onnx"),
        None,
        &Default::default(),
    )
    .unwrap()
    .graph;
    put(
        "vmodel",
        "ezkl_style.payload",
        &verinfer_ir::vmodel::to_bytes(&ezkl).unwrap()[52..],
    );

    // Graph words of every node and header.
    for (name, graph) in [("tiny", &g), ("ezkl_style", &ezkl)] {
        put(
            "graph_words",
            &format!("{name}-header"),
            &words_seed(&header_words(graph)),
        );
        for (k, n) in graph.nodes.iter().enumerate().take(4) {
            put(
                "graph_words",
                &format!("{name}-node{k}"),
                &words_seed(&node_words(graph, n)),
            );
        }
    }

    // Trace files: whole, and without the checksum (the target appends a valid one).
    let trace = Plan::for_graph(g.clone())
        .unwrap()
        .run(&[vec![5, -7, 100]])
        .unwrap()
        .into_values();
    let id = ModelId::from_hash(keccak256(b"tiny"));
    let t = trace_file::to_bytes(id, &trace);
    put("trace_file", "tiny.trace", &t);
    put("trace_file", "tiny.body", &t[..t.len() - 32]);

    // zk keys, manifest, proof file and proof words of the tiny graph.
    let mut rng = StdRng::seed_from_u64(1);
    let (pk, vk) = Groth16::setup(&g, &mut rng).unwrap();
    // Bound to the model id the proof file names (a proof file's context must be its model's).
    let ctx = verinfer_zk::Context {
        model_id: alloy_primitives::B256::from(id.hash().to_bytes()),
        ..verinfer_zk::Context::default()
    };
    let (proof, public) =
        Groth16::prove_with(&pk, &g, Visibility::default(), &ctx, trace, &mut rng).unwrap();
    let manifest = KeyManifest::new(&g, format!("{id}"), Visibility::default(), &vk, 0).unwrap();
    let keys = std::env::temp_dir().join(format!("verinfer-fuzz-seeds-{}", std::process::id()));
    save_keys(&keys, &pk, &vk, &manifest).unwrap();
    copy_abs("zk_proving_key", "tiny", &keys.join("proving.key"));
    copy_abs("zk_verifying_key", "tiny", &keys.join("verifying.key"));
    copy_abs("zk_manifest", "tiny.json", &keys.join("keys.json"));
    let pf = ProofFile::new(format!("{id}"), &proof, &public).unwrap();
    put(
        "zk_proof_file",
        "tiny.json",
        &serde_json::to_vec_pretty(&pf).unwrap(),
    );
    let words: Vec<u8> = verinfer_zk::evm::proof_words(&proof)
        .iter()
        .flat_map(|w| w.to_be_bytes::<32>())
        .collect();
    put("zk_proof_words", "tiny", &words);
    // A prepared power-2 `.ptau` snarkjs wrote (scripts/gen_ptau.sh 2), and it cut short.
    copy(
        "zk_ptau",
        "pot2.ptau",
        "testdata/ptau/pot2_beacon_final.ptau",
    );
    let ptau = std::fs::read(repo().join("testdata/ptau/pot2_beacon_final.ptau")).unwrap();
    put("zk_ptau", "pot2-truncated.ptau", &ptau[..ptau.len() / 2]);
    // A GGUF file gguf-py wrote (scripts/models/gguf_tiny.py), and it cut inside its data.
    copy("gguf", "tiny.gguf", "testdata/gguf/tiny.gguf");
    copy("gguf", "spm.gguf", "testdata/gguf/spm.gguf");
    let gguf = std::fs::read(repo().join("testdata/gguf/tiny.gguf")).unwrap();
    put("gguf", "tiny-truncated.gguf", &gguf[..gguf.len() * 3 / 4]);
    std::fs::remove_dir_all(&keys).unwrap();

    // ABI: every selector index with zeroed arguments, and canonical tensors.
    for i in [0u8, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89] {
        let mut b = vec![0x80 | i];
        b.extend_from_slice(&[0u8; 160]);
        put("abi_calldata", &format!("sel{i}"), &b);
        put("abi_revert", &format!("sel{i}"), &b);
        let mut l = vec![0x80 | i, 3];
        l.extend_from_slice(&[0u8; 192]);
        put("event_log", &format!("sel{i}"), &l);
    }
    let mut revert = vec![0u8];
    revert.extend_from_slice(&Revert::from("game over").abi_encode());
    put("abi_revert", "error-string", &revert);
    put(
        "abi_tensors",
        "two",
        &verinfer_oracle::encode_tensors(&[vec![1, -2, 3], vec![]]),
    );

    // JSON state files.
    let chain = verinfer_chain::RevmChain::new().unwrap();
    let cs = std::env::temp_dir().join(format!("verinfer-fuzz-chain-{}.json", std::process::id()));
    chain.save(&cs).unwrap();
    let text = std::fs::read(&cs).unwrap();
    std::fs::remove_file(&cs).unwrap();
    if text.len() <= 16 * 1024 {
        put("chain_state", "fresh.json", &text);
    }
    let mut d = verinfer_chain::Deployments::default();
    d.set(31337, "InferenceGame", Address::repeat_byte(0x11));
    d.set(1, "ModelRegistry", Address::repeat_byte(0x22));
    put(
        "deployments",
        "two.json",
        &serde_json::to_vec_pretty(&d).unwrap(),
    );
    let mut s = verinfer_node::NodeState::new(
        31337,
        Address::repeat_byte(1),
        Address::repeat_byte(2),
        Address::repeat_byte(3),
    );
    s.problem(7, "answer request 3", "reverted");
    put(
        "node_state",
        "fresh.json",
        &serde_json::to_vec_pretty(&s).unwrap(),
    );
}

fn copy_abs(target: &str, name: &str, from: &Path) {
    put(target, name, &std::fs::read(from).unwrap());
}

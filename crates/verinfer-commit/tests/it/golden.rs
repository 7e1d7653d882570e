//! Replays the commitment golden vectors `testdata/golden/v1/commitments.json` (written by
//! `verinfer-cli`'s `commit` test, which also checks the MNIST CNN's model id; the Solidity
//! `MerkleLib` tests read the same file). A change to packing, padding, hashing, the word
//! encoding or the tree rule shows up here.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use serde_json::Value;
use verinfer_commit::encode::{graph_tree, header_words, node_words, words_hash, Word};
use verinfer_commit::tensor::tensor_depth;
use verinfer_commit::{
    tensor_root, trace_root_of, verify_element, verify_path, verify_reveal, zero_hash,
    ElementOpening, Hash32, ModelCommitment, TensorTree, TraceCommitment, TraceRootBuilder,
};
use verinfer_testing::models::testdata;

fn golden() -> Value {
    let p = testdata("golden/v1/commitments.json");
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

fn h(v: &Value) -> Hash32 {
    v.as_str().unwrap().parse().unwrap()
}

fn hs(v: &Value) -> Vec<Hash32> {
    v.as_array().unwrap().iter().map(h).collect()
}

fn ints(v: &Value) -> Vec<i32> {
    serde_json::from_value(v.clone()).unwrap()
}

#[test]
fn zero_hashes_and_tensor_roots() {
    let g = golden();
    for (l, z) in hs(&g["zero_hashes"]).into_iter().enumerate() {
        assert_eq!(zero_hash(l), z, "Z_{l}");
    }
    for t in g["tensors"].as_array().unwrap() {
        let data = ints(&t["data"]);
        let root = h(&t["root"]);
        assert_eq!(tensor_root(&data), root, "{}", t["name"]);
        assert_eq!(TensorTree::new(&data).root(), root, "{}", t["name"]);
        assert_eq!(
            t["depth"].as_u64().unwrap() as usize,
            tensor_depth(data.len() as u64)
        );
    }
}

#[test]
fn openings_and_reveals() {
    let g = golden();
    let tensors: Vec<(String, Vec<i32>)> = g["tensors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["name"].as_str().unwrap().to_string(), ints(&t["data"])))
        .collect();
    let data = |name: &Value| {
        tensors
            .iter()
            .find(|(n, _)| n == name.as_str().unwrap())
            .map(|(_, d)| d.clone())
            .unwrap()
    };
    for o in g["openings"].as_array().unwrap() {
        let opening: ElementOpening = serde_json::from_value(o.clone()).unwrap();
        let d = data(&o["tensor"]);
        verify_element(h(&o["root"]), d.len() as u64, &opening).unwrap();
        assert_eq!(TensorTree::new(&d).open(opening.index).unwrap(), opening);
    }
    for r in g["reveals"].as_array().unwrap() {
        let t = TensorTree::new(&data(&r["tensor"]));
        let (level, pos, d) = (
            r["level"].as_u64().unwrap() as usize,
            r["pos"].as_u64().unwrap(),
            r["d"].as_u64().unwrap() as usize,
        );
        let children = hs(&r["children"]);
        assert_eq!(t.tree().reveal(level, pos, d).unwrap(), children);
        verify_reveal(h(&r["node"]), &children).unwrap();
    }
}

#[test]
fn graph_leaves_model_id_and_trace_root_of_digits_mlp() {
    let g = golden();
    let graph = verinfer_ir::vmodel::load(&testdata("golden/v1/digits_mlp.vmodel")).unwrap();
    let m = ModelCommitment::new(&graph);
    let want = &g["models"]["digits_mlp"];
    assert_eq!(m.model_id.hash(), h(&want["model_id"]));
    assert_eq!(m.graph_digest, h(&want["graph_digest"]));
    assert_eq!(m.param_roots, hs(&want["param_roots"]));

    let tree = graph_tree(&graph);
    let leaves = g["graph"]["leaves"].as_array().unwrap();
    assert_eq!(leaves.len(), 1 + graph.nodes.len());
    for (i, leaf) in leaves.iter().enumerate() {
        let words: Vec<Word> = leaf["words"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w.as_str().unwrap().parse().unwrap())
            .collect();
        let mine = if i == 0 {
            header_words(&graph)
        } else {
            node_words(&graph, &graph.nodes[i - 1])
        };
        assert_eq!(words, mine, "leaf {i}");
        let hash = words_hash(&words);
        assert_eq!(hash, h(&leaf["leaf"]));
        let path = hs(&leaf["path"]);
        assert_eq!(tree.path(i as u64).unwrap(), path);
        verify_path(m.graph_digest, hash, i as u64, &path).unwrap();
    }

    let input = ints(&g["traces"]["digits_mlp"]["quantized_input"]);
    let plan = verinfer_exec::Plan::for_graph(graph.clone()).unwrap();
    let trace = plan.run(&[input]).unwrap();
    let root = h(&g["traces"]["digits_mlp"]["trace_root"]);
    assert_eq!(trace_root_of(trace.values()).hash(), root);
    assert_eq!(TraceCommitment::new(trace.values()).root().hash(), root);

    // Streaming: each value hashed as it is computed and dropped after its last reader gives
    // the same root, the same values in the same order, and the same outputs.
    let mut b = TraceRootBuilder::new();
    let mut seen = 0usize;
    let outs = plan
        .run_streaming(
            &[ints(&g["traces"]["digits_mlp"]["quantized_input"])],
            |v, d| {
                assert_eq!(v.index(), seen);
                assert_eq!(d, &trace.values()[seen][..]);
                seen += 1;
                b.push(d);
            },
        )
        .unwrap();
    assert_eq!(seen, trace.len());
    assert_eq!(b.finish().hash(), root);
    let want: Vec<Vec<i32>> = plan
        .outputs(&trace)
        .unwrap()
        .into_iter()
        .map(<[i32]>::to_vec)
        .collect();
    assert_eq!(outs, want);
    let total: usize = trace.values().iter().map(Vec::len).sum();
    assert!(plan.peak_live_elements() < total);
}

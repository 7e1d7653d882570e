//! `Gather` layers by the public input (an LLM step's embedding row): a token `[1]` or three
//! tokens `[3]` gathering rows of a `10 × 8` table (negative and out-of-range indices
//! included: the IR resolves them), the rows public and hidden (a ReLU after them). Honest
//! proofs verify; a wrong row, another token, every stated value and every word of the proof
//! changed are rejected; a hidden index, another axis and the on-chain plan are refused by
//! name.

use ark_bn254::Fr;
use verinfer_ir::{Graph, Op};
use verinfer_testing::GraphBuilder;

use super::*;

const ROWS: usize = 10;
const COLS: usize = 8;

fn table() -> Vec<i32> {
    (0..ROWS * COLS)
        .map(|e| i32::try_from((e * 7919) % 4001).unwrap() - 2000)
        .collect()
}

/// `idx` `[n]` (8 bits) → rows of the table (12 bits) at 16 bits → a ReLU when `hidden`.
fn embed(n: usize, hidden: bool) -> Graph {
    let mut b = GraphBuilder::named("embed");
    let idx = b.input(&[n], 8);
    let t = b.param(&[ROWS, COLS], 12, table());
    let y = b.node(
        Op::Gather(verinfer_ir::Gather { axis: 0 }),
        vec![t, idx],
        &[n, COLS],
        16,
    );
    if hidden {
        let zero = b.param(&[1], 4, vec![0]);
        b.node(relu(16), vec![y, zero], &[n, COLS], 16);
    }
    b.finish()
}

/// Columns of the table (axis 1) by `n` indices: `[ROWS, n]`.
fn columns(n: usize) -> Graph {
    let mut b = GraphBuilder::named("columns");
    let idx = b.input(&[n], 8);
    let t = b.param(&[ROWS, COLS], 12, table());
    b.node(
        Op::Gather(verinfer_ir::Gather { axis: 1 }),
        vec![t, idx],
        &[ROWS, n],
        16,
    );
    b.finish()
}

/// A column by one index (the KV cache's one-hot column by the position): the table
/// committed arranged, the `[ROWS, 1]` output laid out as its node's; every column proves and
/// another index presented with the proof is rejected.
#[test]
fn a_column_by_one_index_proves() {
    let g = columns(1);
    let spec = ChainSpec::recognise(&g).unwrap();
    assert!(spec.weights[0].arrange.is_some());
    assert_eq!(
        spec.layers[0].out,
        Layout {
            rows: ROWS,
            cols: 1
        }
    );
    let t = table();
    let cols = i32::try_from(COLS).unwrap();
    for v in -1..=cols {
        let f = fixture_with(&g, vec![v]);
        let c = verinfer_ir::ops::gather::resolve(v, COLS);
        let want: Vec<i32> = (0..ROWS).map(|r| t[r * COLS + c]).collect();
        assert_eq!(f.output(), &want[..], "index {v}");
        let proof = f.assert_proves_and_round_trips(&format!("column {v}"));
        let other = if c == 0 { 1 } else { 0 };
        let err = f.verify_io(&[other], f.output(), &proof).unwrap_err();
        assert!(err.is_rejection(), "index {v} as {other}: {err}");
    }
}

/// Indices from -12 to 11: negatives count from the end, past the end clamp.
fn random_input(g: &Graph, seed: u64) -> Vec<i32> {
    super::random_input(g, seed, -12..12)
}

fn graphs() -> Vec<(String, Graph)> {
    let mut v = vec![];
    for n in [1, 3] {
        v.push((format!("{n} public"), embed(n, false)));
        v.push((format!("{n} hidden"), embed(n, true)));
    }
    v
}

#[test]
fn the_gather_is_recognised_and_its_bytes_round_trip() {
    let spec = ChainSpec::recognise(&embed(3, true)).unwrap();
    assert_eq!(spec.layers[0].kind, LayerKind::Gather { table: 0 });
    assert_eq!(
        spec.layers[0].out,
        Layout {
            rows: 3,
            cols: COLS
        }
    );
    assert_eq!(
        spec.weights[0].layout,
        Layout {
            rows: ROWS,
            cols: COLS
        }
    );
    assert_eq!(ChainSpec::from_bytes(&spec.to_bytes()).unwrap(), spec);
    // A table index past the weights, and rows other than the indices: refused on decoding.
    let mut bad = spec.clone();
    bad.layers[0].kind = LayerKind::Gather { table: 1 };
    assert!(ChainSpec::from_bytes(&bad.to_bytes()).is_err());
    let mut bad = spec.clone();
    bad.layers[0].out.rows = 2;
    bad.layers[1].out.rows = 2;
    assert!(ChainSpec::from_bytes(&bad.to_bytes()).is_err());
    // A gather declared 32 bits wide (an LLM step's one-hot table) is checked as two limbs and
    // its spec decodes; 33 bits is refused.
    let bits32 = verinfer_ir::Bits::new(32).unwrap();
    let mut hidden = spec.clone();
    hidden.layers[0].bits = bits32;
    assert!(columns::committed(&hidden).contains(&columns::Poly::OutHi(0)));
    let mut wide = ChainSpec::recognise(&embed(3, false)).unwrap();
    wide.layers[0].bits = bits32;
    assert_eq!(ChainSpec::from_bytes(&wide.to_bytes()).unwrap(), wide);
    assert!(!columns::output_bits_fit(&wide.layers[0].kind, 33));
}

#[test]
fn gather_layers_prove_and_round_trip() {
    assert_graphs_prove(&graphs(), random_input);
    // Every row of the table, and indices past both ends.
    let g = embed(1, false);
    for v in -11..12 {
        let f = fixture_with(&g, vec![v]);
        let want = verinfer_ir::ops::gather::resolve(v, ROWS) * COLS;
        assert_eq!(f.output(), &table()[want..want + COLS], "index {v}");
        f.verify(f.output(), &f.prove()).unwrap();
    }
}

#[test]
fn a_wrong_row_or_another_token_is_rejected() {
    for (name, g) in graphs() {
        let mut f = fixture_with(&g, random_input(&g, 3));
        let proof = f.prove();
        // The proof of one token presented with another.
        let mut other = f.trace[0].clone();
        other[0] = (other[0] + 13) % 10;
        let err = verify_model(
            &f.srs.verifier_key,
            Some(&[9; 32]),
            &f.spec,
            &f.commitments,
            &other,
            f.output(),
            &proof,
        )
        .unwrap_err();
        assert!(err.is_rejection(), "{name}: {err}");
        // A gathered element off by one (the ReLU after it recomputed).
        f.trace[1][COLS - 1] += 1;
        if f.trace.len() > 2 {
            f.trace[2] = f.trace[1].iter().map(|&v| v.max(0)).collect();
        }
        f.assert_cheat_rejected();
        f.assert_refused_at(0);
    }
}

#[test]
fn every_stated_value_and_word_changed_is_rejected() {
    for (name, g) in graphs() {
        let f = fixture_with(&g, random_input(&g, 7));
        let proof = f.prove();
        f.assert_layer_message_rejected(&proof, 0, &name);
        f.assert_every_word_checked(&proof);
        f.assert_word_count_exact(&proof);
    }
    // A stated table value moved with `Ỹ(ρ)` moved to match: the opening rejects it.
    let g = embed(1, true);
    let f = fixture_with(&g, random_input(&g, 8));
    let mut bad = f.prove();
    let k = bad.layers.len() - 1;
    bad.layers[k].evals[0] += Fr::from(1u64);
    bad.layers[k].evals[1] += Fr::from(1u64);
    assert!(f.verify(f.output(), &bad).unwrap_err().is_rejection());
}

#[test]
fn unproven_gathers_are_refused_by_name() {
    // A hidden index (the gathered rows of a computed value).
    let mut b = GraphBuilder::named("hidden-index");
    let x = b.input(&[1], 8);
    let zero = b.param(&[1], 4, vec![0]);
    let i = b.node(relu(8), vec![x, zero], &[1], 8);
    let t = b.param(&[ROWS, COLS], 12, table());
    b.node(
        Op::Gather(verinfer_ir::Gather { axis: 0 }),
        vec![t, i],
        &[1, COLS],
        16,
    );
    let err = ChainSpec::recognise(&b.finish()).unwrap_err();
    assert!(err.to_string().contains("graph input"), "{err}");
    // Two columns (axis 1 by two indices).
    let err = ChainSpec::recognise(&columns(2)).unwrap_err();
    assert!(err.to_string().contains("one index"), "{err}");
    // No on-chain layer yet: the plan export names the layer.
    let f = fixture_with(&embed(1, true), vec![4]);
    let err = crate::backend::layered::model_plan(&f.spec, &f.commitments, &f.srs.verifier_key)
        .unwrap_err();
    assert!(
        err.to_string().contains("Gather") && err.to_string().contains("not verifiable on chain"),
        "{err}"
    );
}

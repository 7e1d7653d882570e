//! `ISqrt` layers (RMSNorm's denominator): `y = ⌊√(max(x, 0)·2^6)⌋` elementwise on `3 × 6`
//! (padded) and `4 × 8` inputs, public and hidden (a ReLU after it); and RMSNorm's shape,
//! `q = ⌊√((Σa/4 + 1)·2^8)⌋` per row (`[1, r, 1]`) then `round_div(a·2^8, q)`. Honest proofs
//! verify and equal the IR reference; a wrong root, a wrong remainder, every stated value and
//! every word of the proof changed are rejected; a negative radicand and a rescaling
//! epilogue are refused by name, and so is the on-chain plan.

use ark_bn254::Fr;
use verinfer_ir::{BinaryKind, Graph, Op, ReduceKind};
use verinfer_testing::graph::{binary_op, reduce_op};
use verinfer_testing::{requant, GraphBuilder};

use super::*;

fn isqrt_op(shift: u32, rq_shift: u32) -> Op {
    Op::ISqrt(verinfer_ir::ISqrt {
        shift,
        requant: requant(1, rq_shift, 16),
    })
}

/// `x` `[1, r, c]` (10 bits) → `a = max(x, 0)` (or `x` itself when `signed`) →
/// `⌊√(a·2^6)⌋` → ReLU.
fn roots(r: usize, c: usize, signed: bool) -> Graph {
    let mut b = GraphBuilder::named("roots");
    let x = b.input(&[1, r, c], 10);
    let full = [1, r, c];
    let zero = b.param(&[1], 4, vec![0]);
    let a = if signed {
        x
    } else {
        b.node(relu(16), vec![x, zero], &full, 16)
    };
    let y = b.node(isqrt_op(6, 0), vec![a], &full, 16);
    b.node(relu(16), vec![y, zero], &full, 16);
    b.finish()
}

/// RMSNorm's shape on `rows` tokens: `a = max(x, 0)`, `s = Σa/4 + 1` per row,
/// `q = ⌊√(s·2^8)⌋`, `y = round_div(a·2^8, q)` (one token: `s` and `q` are one element).
fn rms_rows(rows: usize) -> Graph {
    let mut b = GraphBuilder::named("rms-like");
    let x = b.input(&[1, rows, 8], 10);
    let full = [1, rows, 8];
    let stat = [1, rows, 1];
    let zero = b.param(&[1], 4, vec![0]);
    let a = b.node(relu(16), vec![x, zero], &full, 16);
    let s = b.node(
        reduce_op(ReduceKind::Sum, &[2], requant(1, 2, 16)),
        vec![a],
        &stat,
        16,
    );
    let one = b.param(&[1], 4, vec![1]);
    let s = b.node(
        binary_op(BinaryKind::Add, 1, 1, 1, 0),
        vec![s, one],
        &stat,
        16,
    );
    let q = b.node(isqrt_op(8, 0), vec![s], &stat, 16);
    let div = Op::Div(verinfer_ir::Div {
        shift: 8,
        requant: requant(1, 0, 16),
    });
    b.node(div, vec![a, q], &full, 16);
    b.finish()
}

fn rms_like() -> Graph {
    rms_rows(4)
}

fn random_input(g: &Graph, seed: u64) -> Vec<i32> {
    super::random_input(g, seed, -200..512)
}

/// The root graphs: both sizes with the root public (prefix) and hidden, and RMSNorm's shape
/// (the root hidden, per row).
fn graphs() -> Vec<(String, Graph)> {
    let mut v = vec![];
    for (r, c) in [(3, 6), (4, 8)] {
        v.extend(public_and_hidden(&format!("{r}x{c}"), roots(r, c, false)));
    }
    v.push(("rms-like".into(), rms_like()));
    v
}

fn root_layer(spec: &ChainSpec) -> usize {
    first_layer(spec, |k| matches!(k, LayerKind::ISqrt { .. }))
}

#[test]
fn the_root_is_recognised_and_its_bytes_round_trip() {
    let spec = ChainSpec::recognise(&roots(3, 6, false)).unwrap();
    let i = root_layer(&spec);
    assert_eq!(spec.layers[i].kind, LayerKind::ISqrt { shift: 6 });
    assert_eq!(spec.layers[i].input, Src::Layer(0));
    let bytes = spec.to_bytes();
    assert_eq!(ChainSpec::from_bytes(&bytes).unwrap(), spec);
    // Another kind's bytes: the spec's digest changes with the shift.
    let mut other = spec.clone();
    other.layers[i].kind = LayerKind::ISqrt { shift: 7 };
    assert_ne!(other.digest(), spec.digest());
    // A shift past the IR's bound and an input of another layout: refused on decoding.
    let mut bad = spec.clone();
    bad.layers[i].kind = LayerKind::ISqrt {
        shift: isqrt::MAX_SHIFT + 1,
    };
    assert!(ChainSpec::from_bytes(&bad.to_bytes()).is_err());
    let mut bad = spec.clone();
    bad.layers[0].out = Layout { rows: 2, cols: 6 };
    assert!(ChainSpec::from_bytes(&bad.to_bytes()).is_err());
    let rms = ChainSpec::recognise(&rms_like()).unwrap();
    let kinds: Vec<_> = rms.layers.iter().map(|l| kind_name(&l.kind)).collect();
    assert!(
        kinds.contains(&"isqrt") && kinds.contains(&"div"),
        "{kinds:?}"
    );
}

#[test]
fn root_layers_prove_and_round_trip() {
    assert_graphs_prove(&graphs(), random_input);
}

#[test]
fn the_roots_equal_the_ir_reference_on_random_inputs() {
    for (name, g) in graphs() {
        let spec = ChainSpec::recognise(&g).unwrap();
        let i = root_layer(&spec);
        let LayerKind::ISqrt { shift } = spec.layers[i].kind else {
            unreachable!()
        };
        for seed in 0..12 {
            let x = random_input(&g, 100 + seed);
            let trace = verinfer_ir::reference::run(&g, &[x]).unwrap();
            // The floor root, element by element, as its definition states it.
            let xs = &trace[spec.trace_index(spec.layers[i].input)];
            for (e, &y) in trace[i + 1].iter().enumerate() {
                let n = i128::from(xs[e].max(0)) << shift;
                let y = i128::from(y);
                assert!(
                    y * y <= n && n < (y + 1) * (y + 1),
                    "{name} seed {seed} {e}"
                );
            }
            isqrt::witness(&spec, i, &trace, true)
                .unwrap_or_else(|e| panic!("{name} seed {seed}: {e}"));
            let mut bad = trace.clone();
            bad[i + 1][1] += 1;
            assert!(matches!(
                isqrt::witness(&spec, i, &bad, true),
                Err(GkrError::TraceMismatch { node, index: 1, .. }) if node == i
            ));
        }
    }
}

/// `f.trace` with root element `j` of layer `i` moved by `by`, the layers after it recomputed
/// (a ReLU, or RMSNorm's division).
fn with_root(f: &mut Fixture, i: usize, j: usize, by: i32) {
    f.trace[i + 1][j] += by;
    if i + 2 < f.trace.len() {
        if let LayerKind::Div { shift, .. } = f.spec.layers[i + 1].kind {
            let c = f.spec.layers[i + 1].out.cols;
            let (a, q) = (f.trace[1].clone(), f.trace[i + 1].clone());
            for (e, y) in f.trace[i + 2].iter_mut().enumerate() {
                let d = i64::from(q[e / c]);
                let q = verinfer_ir::ops::div::round_div(i64::from(a[e]) << shift, d);
                *y = i32::try_from(q).unwrap();
            }
        } else {
            f.trace[i + 2] = f.trace[i + 1].iter().map(|&v| v.max(0)).collect();
        }
    }
}

#[test]
fn a_wrong_root_is_rejected() {
    for (name, g) in graphs() {
        for by in [1, -1] {
            let mut f = fixture_with(&g, random_input(&g, 3));
            let i = root_layer(&f.spec);
            let j = 1;
            assert!(f.trace[i + 1][j] > 1, "{name}: pick a positive root");
            with_root(&mut f, i, j, by);
            // The remainder the cheat implies leaves `[0, 2Y]`.
            f.assert_cheat_stopped(&name);
            f.assert_refused_at(f.spec.node_of(i));
        }
    }
}

#[test]
fn a_wrong_remainder_is_rejected() {
    let one = Fr::from(1u64);
    assert_remainder_bumps_rejected(&graphs(), random_input, root_layer, &[(1, one), (1, -one)]);
}

#[test]
fn every_stated_value_and_word_changed_is_rejected() {
    assert_layer_tampers_rejected(&graphs(), random_input, root_layer, &rms_like());
}

#[test]
fn unproven_roots_are_refused_by_name() {
    // A negative radicand: the IR takes `max(x, 0)`, not proven.
    let g = roots(3, 6, true);
    let mut x = random_input(&g, 9);
    x[4] = -7;
    let f = fixture_with(&g, x);
    let node = f.spec.node_of(root_layer(&f.spec));
    let r = f.prove_honest();
    assert!(
        matches!(&r, Err(GkrError::Unsupported { node: Some(n), reason }) if *n == node && reason.contains("radicand ≥ 0")),
        "{r:?}"
    );
    // A rescaling epilogue.
    let mut b = GraphBuilder::named("isqrt-epilogue");
    let x = b.input(&[1, 4, 8], 10);
    b.node(isqrt_op(6, 2), vec![x], &[1, 4, 8], 16);
    let err = ChainSpec::recognise(&b.finish()).unwrap_err();
    assert!(err.to_string().contains("rescaling epilogue"), "{err}");
    // No on-chain layer yet: the plan export names the layer.
    let f = fixture_with(&rms_like(), random_input(&rms_like(), 1));
    let err = crate::backend::layered::model_plan(&f.spec, &f.commitments, &f.srs.verifier_key)
        .unwrap_err();
    assert!(
        err.to_string().contains("ISqrt") && err.to_string().contains("not verifiable on chain"),
        "{err}"
    );
}

/// One token's RMSNorm: the statistic and its root are one element (zero variables), the
/// division spreads the root over the row. Honest proofs verify; every stated value (the
/// divisor at the empty point included), round message and word changed is rejected; a root
/// or remainder off by one is rejected; the on-chain plan refuses the one-element broadcast.
#[test]
fn one_token_rms_norm_proves_at_zero_variables() {
    let g = rms_rows(1);
    let graphs = [("rms 1 token".to_string(), g.clone())];
    assert_graphs_prove(&graphs, random_input);
    let spec = ChainSpec::recognise(&g).unwrap();
    let (i, d) = (
        root_layer(&spec),
        first_layer(&spec, |k| matches!(k, LayerKind::Div { .. })),
    );
    assert_eq!(spec.layers[i].out.vars(), 0);
    assert_layer_tampers_rejected(&graphs, random_input, root_layer, &g);
    let div_layer = |s: &ChainSpec| first_layer(s, |k| matches!(k, LayerKind::Div { .. }));
    assert_layer_tampers_rejected(&graphs, random_input, div_layer, &g);
    let one = Fr::from(1u64);
    assert_remainder_bumps_rejected(&graphs, random_input, root_layer, &[(0, one), (0, -one)]);
    assert_remainder_bumps_rejected(&graphs, random_input, div_layer, &[(3, -one)]);
    for by in [1, -1] {
        let mut f = fixture_with(&g, random_input(&g, 3));
        assert!(f.trace[i + 1][0] > 1, "pick a positive root");
        with_root(&mut f, i, 0, by);
        f.assert_cheat_stopped("one token");
        f.assert_refused_at(f.spec.node_of(i));
    }
    let f = fixture_with(&g, random_input(&g, 1));
    let err = crate::backend::layered::model_plan(&f.spec, &f.commitments, &f.srs.verifier_key)
        .unwrap_err();
    assert!(
        err.to_string().contains(&format!("layer {d}"))
            && err.to_string().contains("one-element activation broadcast"),
        "{err}"
    );
}

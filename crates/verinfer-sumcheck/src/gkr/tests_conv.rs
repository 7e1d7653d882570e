//! Convolutions (any stride, padding, dilation, groups, batch) lowered to patches `Move` →
//! product → output `Move`: honest proofs verify, a wrong output, wrong patches and a wrong
//! product are rejected, the spec (with its internal layers and weight arrangements)
//! round-trips.

use verinfer_ir::Graph;
use verinfer_testing::maps::Conv2d;

use super::*;

#[path = "../../tests/it/common/conv.rs"]
mod common;
use common::{cases, conv_graph};

pub(super) fn conv_fixture(g: &Graph, seed: u64) -> Fixture {
    let mut inputs = verinfer_testing::random_inputs(g, seed);
    fixture_with(g, inputs.remove(0))
}

fn kinds(spec: &ChainSpec) -> Vec<(&'static str, bool)> {
    spec.layers
        .iter()
        .map(|l| (kind_name(&l.kind), l.internal))
        .collect()
}

#[test]
fn a_convolution_lowers_to_patches_product_and_transpose() {
    let g = conv_graph(&Conv2d::same(1, 2, [5, 4], 3, [3, 3]), true);
    let spec = ChainSpec::recognise(&g).unwrap();
    assert_eq!(
        kinds(&spec),
        [
            ("move", true),
            ("matmul", true),
            ("move", false),
            ("clip", false)
        ]
    );
    assert_eq!(spec.nodes(), 2);
    assert_eq!(
        (spec.node_of(1), spec.node_of(2), spec.node_of(3)),
        (0, 0, 1)
    );
    // The product is [positions, c_out] over [c_in·taps]; the kernel is committed transposed.
    let LayerKind::Matmul { node, w, .. } = spec.layers[1].kind else {
        panic!("layer 1 is the product")
    };
    // The input `[1, 2, 5, 4]` is public, laid out as `10 × 4` rows (`[2, 5]` merged), so
    // expanding the patches (`gkr::layout`) would give no closed form: they stay unexpanded.
    assert_eq!(node.dims(), (20, 18, 3));
    assert!(spec.form(0).is_none() && spec.expansions.is_empty());
    assert!(spec.weights[w].arrange.is_some());
    assert_eq!(ChainSpec::from_bytes(&spec.to_bytes()).unwrap(), spec);
    // The internal flag is part of the canonical bytes.
    let mut flipped = spec.clone();
    flipped.layers[0].internal = false;
    assert_ne!(flipped.to_bytes(), spec.to_bytes());
}

#[test]
fn every_convolution_case_proves_and_a_wrong_output_is_rejected() {
    for (name, conv) in cases() {
        let g = conv_graph(&conv, false);
        let f = conv_fixture(&g, 3);
        let proof = f.assert_proves_and_round_trips(name);
        f.assert_ends_rejected(&proof, name);
    }
}

#[test]
fn a_hidden_convolution_proves() {
    let (_, conv) = cases().pop().unwrap();
    let f = conv_fixture(&conv_graph(&conv, true), 1);
    let proof = f.prove();
    f.verify(f.output(), &proof).unwrap();
}

/// `f`'s layer trace, `edit`ed, proven without the prover's check.
fn forge_layers(f: &Fixture, edit: impl Fn(&ChainSpec, &mut Vec<Vec<i32>>)) -> ModelProof {
    let mut layers = lower::layer_trace(&f.spec, &f.weights, &f.trace).unwrap();
    edit(&f.spec, &mut layers);
    f.prove_layers(&layers).unwrap()
}

/// Layer `i`'s output recomputed from its (possibly forged) input.
fn recompute(spec: &ChainSpec, weights: &[Vec<i32>], layers: &mut [Vec<i32>], i: usize) {
    let l = Layer {
        internal: true,
        input: Src::Input(0),
        ..spec.layers[i]
    };
    let one = ChainSpec {
        layers: vec![
            l,
            Layer {
                internal: false,
                ..l
            },
        ],
        expansions: vec![],
        outputs: vec![1],
        ..spec.clone()
    };
    let x = layers[spec.trace_index(spec.layers[i].input)].clone();
    layers[i + 1] = lower::layer_trace(&one, weights, &[x, vec![]]).unwrap()[1].clone();
}

#[test]
fn wrong_patches_or_a_wrong_product_are_rejected() {
    let (_, conv) = cases().pop().unwrap();
    let g = conv_graph(&conv, true);
    let f = conv_fixture(&g, 2);
    // A patch entry that is not the input's (the product and everything after consistent
    // with it): the patches move's wiring sumcheck fails.
    let p = forge_layers(&f, |spec, t| {
        t[1][7] += 1;
        recompute(spec, &f.weights, t, 1);
        recompute(spec, &f.weights, t, 2);
        t[4] = t[3].iter().map(|&v| v.max(0)).collect();
    });
    let err = f.verify(f.output(), &p).unwrap_err();
    assert!(err.is_rejection(), "{err}");
    // A padding entry (the map's 0) made nonzero.
    let LayerKind::Move { map, .. } = f.spec.layers[0].kind else {
        panic!("layer 0 is the patches move")
    };
    let pad = f.spec.maps[map].iter().position(|&v| v < 0).unwrap();
    let p = forge_layers(&f, |spec, t| {
        t[1][pad] = 5;
        recompute(spec, &f.weights, t, 1);
        recompute(spec, &f.weights, t, 2);
        t[4] = t[3].iter().map(|&v| v.max(0)).collect();
    });
    assert!(f.verify(f.output(), &p).unwrap_err().is_rejection());
    // A product element off by one, the output moved from it.
    let p = forge_layers(&f, |spec, t| {
        t[2][3] += 1;
        recompute(spec, &f.weights, t, 2);
        t[4] = t[3].iter().map(|&v| v.max(0)).collect();
    });
    assert!(f.verify(f.output(), &p).unwrap_err().is_rejection());
    // The honest prover refuses a convolution output that is not the node's.
    let mut bad = conv_fixture(&g, 2);
    bad.trace[1][0] += 1;
    bad.assert_refused_at(0);
}

#[test]
fn a_tampered_arrangement_or_internal_flag_changes_the_digest() {
    let g = conv_graph(&Conv2d::plain(1, 2, [4, 4], 3, [3, 3]), false);
    let spec = ChainSpec::recognise(&g).unwrap();
    let mut other = spec.clone();
    other.arrangements[0].swap(0, 1);
    assert_ne!(other.digest(), spec.digest());
    // Truncated or trailing bytes do not decode.
    let b = spec.to_bytes();
    assert!(ChainSpec::from_bytes(&b[..b.len() - 8]).is_err());
    let mut longer = b.clone();
    longer.extend_from_slice(&0u64.to_le_bytes());
    assert!(ChainSpec::from_bytes(&longer).is_err());
}

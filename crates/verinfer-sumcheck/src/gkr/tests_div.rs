//! `Div` layers (softmax's normalisation): `a = max(x, 0)`, `s = Σa/4 + 1` per row
//! (`[1, r, 1]`), `y = round_div(a·2^8, s)` broadcast over the rows, then a ReLU (so the
//! quotient is once the public output, once hidden), on `3 × 6` (padded) and `4 × 8`
//! inputs; and a divisor of the output's own shape. Honest proofs verify and equal the IR
//! reference; a wrong quotient, a wrong remainder, a forged divisor, every stated value and
//! every word of the proof changed are rejected; negative numerators, zero divisors and
//! unproven epilogues are refused by name.

use ark_bn254::Fr;
use verinfer_ir::{Binary, BinaryKind, Graph, Op, ReduceKind};
use verinfer_testing::graph::reduce_op;
use verinfer_testing::{requant, GraphBuilder};

use super::*;

fn bin(kind: BinaryKind, b_mult: i64) -> Op {
    Op::Binary(Binary {
        kind,
        a_mult: 1,
        b_mult,
        requant: requant(1, 0, 16),
    })
}

fn div_op(shift: u32, rq_shift: u32) -> Op {
    Op::Div(verinfer_ir::Div {
        shift,
        requant: requant(1, rq_shift, 16),
    })
}

/// `x` `[1, r, c]` (10 bits) → `a = max(x, 0)` → `s = Σa/4` → `s + 1` (or `s` when
/// `plus_one` is false) → `round_div(a·2^8, s)` (numerator `x` itself when `signed`) → ReLU.
fn softmax_like(r: usize, c: usize, plus_one: bool, signed: bool) -> Graph {
    let mut b = GraphBuilder::named("softmax-like");
    let x = b.input(&[1, r, c], 10);
    let full = [1, r, c];
    let zero = b.param(&[1], 4, vec![0]);
    let a = b.node(relu(16), vec![x, zero], &full, 16);
    let s = b.node(
        reduce_op(ReduceKind::Sum, &[2], requant(1, 2, 16)),
        vec![a],
        &[1, r, 1],
        16,
    );
    let s = if plus_one {
        let one = b.param(&[1], 4, vec![1]);
        b.node(bin(BinaryKind::Add, 1), vec![s, one], &[1, r, 1], 16)
    } else {
        s
    };
    let num = if signed { x } else { a };
    let y = b.node(div_op(8, 0), vec![num, s], &full, 16);
    b.node(relu(16), vec![y, zero], &full, 16);
    b.finish()
}

/// `y = round_div(x'·2^4, x' + 3)` with `x' = max(x, 0)`: a divisor of the output's shape.
fn full_divisor() -> Graph {
    let mut b = GraphBuilder::named("full-divisor");
    let x = b.input(&[1, 4, 8], 10);
    let zero = b.param(&[1], 4, vec![0]);
    let full = [1, 4, 8];
    let a = b.node(relu(16), vec![x, zero], &full, 16);
    let three = b.param(&[1], 4, vec![3]);
    let d = b.node(bin(BinaryKind::Add, 1), vec![a, three], &full, 16);
    b.node(div_op(4, 0), vec![a, d], &full, 16);
    b.finish()
}

fn random_input(g: &Graph, seed: u64) -> Vec<i32> {
    super::random_input(g, seed, -200..512)
}

/// The division graphs: both sizes with the quotient public (prefix) and hidden, and the
/// full-shape divisor.
fn graphs() -> Vec<(String, Graph)> {
    let mut v = vec![];
    for (r, c) in [(3, 6), (4, 8)] {
        v.extend(public_and_hidden(
            &format!("{r}x{c}"),
            softmax_like(r, c, true, false),
        ));
    }
    v.push(("full divisor".into(), full_divisor()));
    v
}

fn div_layer(spec: &ChainSpec) -> usize {
    first_layer(spec, |k| matches!(k, LayerKind::Div { .. }))
}

#[test]
fn the_division_is_recognised_and_its_bytes_round_trip() {
    let spec = ChainSpec::recognise(&softmax_like(3, 6, true, false)).unwrap();
    let i = div_layer(&spec);
    assert_eq!(
        spec.layers[i].kind,
        LayerKind::Div {
            b: Src::Layer(2),
            shift: 8,
            signed: false,
        }
    );
    assert_eq!(spec.layers[i].input, Src::Layer(0));
    let bytes = spec.to_bytes();
    assert_eq!(ChainSpec::from_bytes(&bytes).unwrap(), spec);
    // A divisor read from a layer whose layout does not spread over the output: refused.
    let mut bad = spec.clone();
    bad.layers[i].kind = LayerKind::Div {
        b: Src::Layer(0),
        shift: 8,
        signed: false,
    };
    bad.layers[1].out = Layout { rows: 2, cols: 1 };
    assert!(ChainSpec::from_bytes(&bad.to_bytes()).is_err());
    let mut bad = spec.clone();
    bad.layers[i].kind = LayerKind::Div {
        b: Src::Layer(2),
        shift: div::MAX_SHIFT + 1,
        signed: false,
    };
    assert!(ChainSpec::from_bytes(&bad.to_bytes()).is_err());
}

#[test]
fn division_layers_prove_and_round_trip() {
    assert_graphs_prove(&graphs(), random_input);
}

#[test]
fn the_quotients_equal_the_ir_reference_on_random_inputs() {
    for (name, g) in graphs() {
        let spec = ChainSpec::recognise(&g).unwrap();
        let i = div_layer(&spec);
        let c = spec.layers[i].out.cols;
        for seed in 0..12 {
            let x = random_input(&g, 100 + seed);
            let trace = verinfer_ir::reference::run(&g, &[x]).unwrap();
            // The rounding rule, element by element, as the IR states it.
            let a = &trace[src_index(spec.layers[i].input)];
            let LayerKind::Div { b, shift, .. } = spec.layers[i].kind else {
                unreachable!()
            };
            let bt = &trace[src_index(b)];
            for (e, &y) in trace[i + 1].iter().enumerate() {
                let d = bt[if bt.len() == a.len() { e } else { e / c }];
                let q = verinfer_ir::ops::div::round_div(i64::from(a[e]) << shift, i64::from(d));
                assert_eq!(i64::from(y), q, "{name} seed {seed} element {e}");
            }
            div::witness(&spec, i, &trace, true)
                .unwrap_or_else(|e| panic!("{name} seed {seed}: {e}"));
            let mut bad = trace.clone();
            bad[i + 1][c + 1] += 1;
            assert!(matches!(
                div::witness(&spec, i, &bad, true),
                Err(GkrError::TraceMismatch { node, index, .. }) if node == i && index == c + 1
            ));
        }
    }
}

fn src_index(s: Src) -> usize {
    match s {
        Src::Input(k) => k,
        Src::Layer(i) => i + 1,
    }
}

/// `f.trace` with the quotient element `j` of layer `i` moved by `by` (the ReLU after it
/// recomputed when hidden).
fn with_quotient(f: &mut Fixture, i: usize, j: usize, by: i32) {
    f.trace[i + 1][j] += by;
    if i + 2 < f.trace.len() {
        f.trace[i + 2] = f.trace[i + 1].iter().map(|&v| v.max(0)).collect();
    }
}

#[test]
fn a_wrong_quotient_is_rejected() {
    for (name, g) in graphs() {
        for by in [1, -1] {
            let mut f = fixture_with(&g, random_input(&g, 3));
            let i = div_layer(&f.spec);
            // An element of the second row: it reads the divisor's second entry.
            let j = f.spec.layers[i].out.cols + 2;
            assert!(f.trace[i + 1][j] > 1, "{name}: pick a positive quotient");
            with_quotient(&mut f, i, j, by);
            // The remainder the cheat implies leaves `[0, 2B)`.
            f.assert_cheat_stopped(&name);
            f.assert_refused_at(f.spec.node_of(i));
        }
    }
}

#[test]
fn a_wrong_remainder_is_rejected() {
    // Off by one (still in range).
    assert_remainder_bumps_rejected(&graphs(), random_input, div_layer, &[(3, -Fr::from(1u64))]);
}

#[test]
fn a_forged_divisor_is_rejected() {
    for (name, g) in graphs() {
        let f = fixture_with(&g, random_input(&g, 5));
        let i = div_layer(&f.spec);
        // The spread divisor raised by 2 at an element of quotient 0 in the second row, its
        // remainder moved with it (`R + 2 − 4q`) so the relation and the ranges hold: only the
        // broadcast identity stands in the way.
        let out = f.spec.layers[i].out;
        let j = (out.cols..2 * out.cols)
            .find(|&j| f.trace[i + 1][j] == 0)
            .expect("a zero quotient in the second row");
        let e = movement::padded(out, j);
        let p = f.prove_edited(&|w| {
            bump(w, columns::Poly::Bcast(i), e, Fr::from(2u64));
            bump(w, columns::Poly::Rem(i), e, Fr::from(2u64));
        });
        let err = f.verify(f.output(), &p).unwrap_err();
        assert!(err.is_rejection(), "{name}: {err}");
    }
    // In the graph: the divisor `s + 1` forged by one with the quotients of its row
    // recomputed from it — the add's relation rejects it, the honest prover refuses it.
    let g = softmax_like(4, 8, true, false);
    let mut f = fixture_with(&g, random_input(&g, 6));
    let i = div_layer(&f.spec);
    let c = 8;
    f.trace[3][1] += 1;
    let d = i64::from(f.trace[3][1]);
    for k in 0..c {
        let a = i64::from(f.trace[1][c + k]);
        f.trace[i + 1][c + k] = i32::try_from(verinfer_ir::ops::div::round_div(a << 8, d)).unwrap();
    }
    f.trace[i + 2] = f.trace[i + 1].iter().map(|&v| v.max(0)).collect();
    f.assert_cheat_stopped("divisor forged");
    f.assert_refused_at(2);
}

#[test]
fn every_stated_value_and_word_changed_is_rejected() {
    let words = softmax_like(3, 6, true, false);
    assert_layer_tampers_rejected(&graphs(), random_input, div_layer, &words);
}

#[test]
fn unproven_divisions_are_refused_by_name() {
    // A zero divisor (a row of non-positive inputs, no `+ 1`): the IR gives 0, not proven.
    let g = softmax_like(3, 6, false, false);
    let mut x = random_input(&g, 9);
    x[..6].iter_mut().for_each(|v| *v = -3);
    let f = fixture_with(&g, x);
    let node = f.spec.node_of(div_layer(&f.spec));
    let r = f.prove_honest();
    assert!(
        matches!(&r, Err(GkrError::Unsupported { node: Some(n), reason }) if *n == node && reason.contains("Div")),
        "{r:?}"
    );
    // A negative numerator in the unsigned form (a spec that says the numerator is never
    // negative).
    let g = softmax_like(3, 6, true, true);
    let mut f = fixture_with(&g, random_input(&g, 10));
    let i = div_layer(&f.spec);
    let LayerKind::Div { b, shift, signed } = f.spec.layers[i].kind else {
        unreachable!()
    };
    assert!(signed, "a numerator of either sign is signed");
    f.spec.layers[i].kind = LayerKind::Div {
        b,
        shift,
        signed: false,
    };
    let r = f.prove_honest();
    assert!(
        matches!(&r, Err(GkrError::Unsupported { reason, .. }) if reason.contains("numerator ≥ 0")),
        "{r:?}"
    );
    // A rescaling epilogue and a parameter divisor.
    let mut b = GraphBuilder::named("div-epilogue");
    let x = b.input(&[1, 4, 8], 10);
    let s = b.node(
        reduce_op(ReduceKind::Sum, &[2], requant(1, 2, 16)),
        vec![x],
        &[1, 4, 1],
        16,
    );
    b.node(div_op(8, 2), vec![x, s], &[1, 4, 8], 16);
    let err = ChainSpec::recognise(&b.finish()).unwrap_err();
    assert!(err.to_string().contains("rescaling epilogue"), "{err}");
    let mut b = GraphBuilder::named("div-param");
    let x = b.input(&[1, 4, 8], 10);
    let p = b.param(&[8], 8, vec![3; 8]);
    b.node(div_op(8, 0), vec![x, p], &[1, 4, 8], 16);
    let err = ChainSpec::recognise(&b.finish()).unwrap_err();
    assert!(err.to_string().contains("parameter"), "{err}");
}

#[test]
fn the_bundled_transformer_block_proves_end_to_end() {
    let (g, x) = verinfer_testing::models::bundled("transformer_block");
    let f = fixture_with(&g, x[0].clone());
    assert_eq!(f.spec.nodes(), g.nodes.len());
    let i = div_layer(&f.spec);
    assert_eq!(g.nodes[f.spec.node_of(i)].name, "softmax/4");
    let proof = f.prove();
    f.verify(f.output(), &proof).unwrap();
    let w = words::model_words(&proof);
    assert_eq!(w.len(), crate::backend::layered::proof_words(&f.spec));
    let mut y = f.output().to_vec();
    y[100] += 1;
    assert!(f.verify(&y, &proof).unwrap_err().is_rejection());
}

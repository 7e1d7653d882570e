//! `Lookup` layers: the clamp lowers to internal clips, honest proofs verify (public and
//! hidden outputs, a lookup reading a lookup), the outputs equal the IR's reference on seeded
//! random inputs, and a wrong looked-up value, a wrong index, a skipped clamp or a changed
//! output is rejected.

use verinfer_ir::{Graph, Lookup, Node, Op, Operand, Param, ParamId, ParamKind};

use super::*;

/// A table of `len` entries in `[-50, 50]` (no closed form, like an exp or erf table).
fn table(len: usize) -> Vec<i32> {
    (0..len)
        .map(|t| i32::try_from((t * 37 + 11) % 101).unwrap() - 50)
        .collect()
}

/// Append a `Lookup` (table `table(len)`, domain from `lo`) reading the last node; its
/// output the graph's.
fn push_lookup(g: &mut Graph, lo: i32, len: usize) {
    let last = g.nodes.len() - 1;
    let src = g.node_value(last);
    let out = g.nodes[last].out.clone();
    let mut info = out.clone();
    info.shape = verinfer_ir::shape::Shape(vec![len]);
    info.bits = verinfer_ir::Bits::new(8).unwrap();
    g.params.push(Param {
        name: format!("test table {}", g.params.len()),
        kind: ParamKind::Table,
        info,
        data: table(len).into(),
    });
    let table = ParamId(u32::try_from(g.params.len() - 1).unwrap());
    g.nodes.push(Node {
        name: format!("test lookup {}", g.nodes.len()),
        origin: "Test".into(),
        op: Op::Lookup(Lookup { table, lo }),
        inputs: vec![Operand::Value(src)],
        out,
    });
    g.outputs[0].value = g.node_value(g.nodes.len() - 1);
}

/// The digits MLP's product and ReLU, then a lookup over `[4, 67]` (both clamps: the ReLU's
/// zeros lie below, its large values above); with `twice`, a second lookup over `[-20, 43]`
/// reading the first (its output hidden).
fn looked_up(twice: bool) -> Graph {
    let mut g = prefix(&digits_mlp(), 2);
    push_lookup(&mut g, 4, 64);
    if twice {
        push_lookup(&mut g, -20, 64);
    }
    g
}

/// Seeded random inputs in a quarter of the input's range (the product stays unclamped).
fn random_input(g: &Graph, seed: u64) -> Vec<i32> {
    let half = 1i32 << (g.inputs[0].info.bits.get() - 3);
    super::random_input(g, seed, -half..half)
}

/// The layers' trace of `f` (its graph trace with the clamps computed), tampered by `edit`,
/// proven without the prover's own check: a cheating prover.
fn forge_layers(f: &Fixture, edit: impl Fn(&mut Vec<Vec<i32>>)) -> ModelProof {
    try_forge(f, edit).unwrap()
}

fn try_forge(f: &Fixture, edit: impl Fn(&mut Vec<Vec<i32>>)) -> Result<ModelProof, GkrError> {
    let mut layers = lower::layer_trace(&f.spec, &f.weights, &f.trace).unwrap();
    edit(&mut layers);
    f.prove_layers(&layers)
}

/// The graph node of a lookup and its reference: `T[clamp(x, lo, lo + L − 1) − lo]`.
fn reference(x: &[i32], lo: i32, len: usize) -> Vec<i32> {
    let l = Lookup {
        table: ParamId(0),
        lo,
    };
    let t = table(len);
    x.iter()
        .map(|&v| t[verinfer_ir::ops::lookup::table_index(&l, len, v)])
        .collect()
}

#[test]
fn lookups_lower_to_clamps_and_prove_on_random_inputs() {
    for twice in [false, true] {
        let g = looked_up(twice);
        let spec = ChainSpec::recognise(&g).unwrap();
        // Product, ReLU, max(·, 4), min(·, 67), the lookup; then the second lookup's clamps
        // (its input is 16-bit: both sides) and itself.
        let kinds: Vec<_> = spec.layers.iter().map(|l| (l.kind, l.internal)).collect();
        assert_eq!(
            kinds[2..5],
            [
                (
                    LayerKind::Clip {
                        min: false,
                        constant: 4
                    },
                    true
                ),
                (
                    LayerKind::Clip {
                        min: true,
                        constant: 67
                    },
                    true
                ),
                (LayerKind::Lookup { table: 2, lo: 4 }, false),
            ]
        );
        assert_eq!(spec.layers.len(), if twice { 8 } else { 5 });
        assert_eq!(ChainSpec::from_bytes(&spec.to_bytes()).unwrap(), spec);
        for seed in 0..3 {
            let f = fixture_with(&g, random_input(&g, seed));
            // The IR's reference is what the proof is about.
            let relu = &f.trace[2];
            assert_eq!(f.trace[3], reference(relu, 4, 64));
            if twice {
                assert_eq!(f.trace[4], reference(&f.trace[3], -20, 64));
            }
            // Values on both sides of the domain occur (both clamps do something).
            assert!(relu.iter().any(|&v| v < 4) && relu.iter().any(|&v| v > 67));
            f.assert_proves_and_round_trips(&format!("twice {twice} seed {seed}"));
        }
    }
}

#[test]
fn a_changed_output_or_lookup_word_is_rejected() {
    let g = looked_up(false);
    let f = fixture(&g, 1);
    let proof = f.prove();
    let mut y = f.output().to_vec();
    y[3] = table(64)[0] + i32::from(y[3] == table(64)[0]);
    assert!(f.verify(&y, &proof).unwrap_err().is_rejection());
    // Every word of the lookup's argument (the last of `ranges`: `C_μ`, `C_h`, `C_g`, `S`,
    // two sumchecks of degree 3 with five final values) changed.
    let w = words::model_words(&proof);
    let lookup = &proof.ranges.last().unwrap().argument;
    let n = 7 + 3 * (lookup.values.rounds.len() + lookup.table.rounds.len()) + 10;
    let sum = crate::transcript::fr_word(&lookup.sum);
    let start = w.iter().position(|x| *x == sum).unwrap() - 6;
    for k in start..start + n {
        let mut bad = w.clone();
        bad[k][31] ^= 1;
        match words::model_from_words(&f.spec, &bad) {
            Err(_) => {}
            Ok(p) => assert!(f.verify(f.output(), &p).is_err(), "word {k}"),
        }
    }
}

#[test]
fn a_wrong_lookup_value_is_rejected() {
    let t = table(64);
    // Public output: an element states another table entry than its index's.
    let g = looked_up(false);
    let mut f = fixture(&g, 2);
    let j = 5;
    let other = *t.iter().find(|&&v| v != f.trace[3][j]).unwrap();
    f.trace[3][j] = other;
    let err = f.verify(f.output(), &forge_layers(&f, |_| {})).unwrap_err();
    assert!(err.is_rejection(), "{err}");
    // Hidden: the first lookup's output forged, the second consistent with the forgery.
    let g = looked_up(true);
    let mut f = fixture(&g, 2);
    let other = *t.iter().find(|&&v| v != f.trace[3][j]).unwrap();
    f.trace[3][j] = other;
    f.trace[4] = reference(&f.trace[3], -20, 64);
    let err = f.verify(f.output(), &forge_layers(&f, |_| {})).unwrap_err();
    assert!(err.is_rejection(), "{err}");
    f.assert_refused_at(2);
}

#[test]
fn a_wrong_index_or_a_skipped_clamp_is_rejected() {
    let g = looked_up(true);
    let f0 = fixture(&g, 3);
    // Layers: 0 product, 1 ReLU, 2 max, 3 min, 4 lookup, 5 max, 6 min, 7 lookup; the layer
    // trace's tensor of layer `i` is `i + 1`.
    let x = &lower::layer_trace(&f0.spec, &f0.weights, &f0.trace).unwrap()[4];
    let j = (0..x.len())
        .find(|&j| x[j] > 4 && x[j] < 67)
        .expect("an element inside the domain");
    // A wrong index: the clamped input raised by one, the lookup (and after it) consistent
    // with it — the clamp's zero-check refuses the index.
    let mut f = fixture(&g, 3);
    f.trace[3][j] = table(64)[usize::try_from(x[j] + 1 - 4).unwrap()];
    f.trace[4] = reference(&f.trace[3], -20, 64);
    let err = f
        .verify(
            f.output(),
            &forge_layers(&f, |l| {
                l[3][j] += 1;
                l[4][j] += 1;
            }),
        )
        .unwrap_err();
    assert!(err.is_rejection(), "{err}");
    // A skipped clamp: the `min` layer passes a value above the domain through (the lookup
    // has no entry for it; the table's padding is not reachable either). The clip's range
    // check already has no proof of it.
    let k = (0..x.len())
        .find(|&k| f0.trace[2][k] > 67)
        .expect("a clamped element");
    match try_forge(&f0, |l| l[4][k] = f0.trace[2][k]) {
        Err(GkrError::Logup(crate::error::LogupError::OutOfRange { .. })) => {}
        Err(e) => panic!("{e}"),
        Ok(p) => assert!(f0.verify(f0.output(), &p).unwrap_err().is_rejection()),
    }
}

#[test]
fn a_lookup_spec_outside_its_domain_does_not_decode() {
    let g = looked_up(false);
    let mut spec = ChainSpec::recognise(&g).unwrap();
    // The lookup reading the ReLU directly (its clamps removed): the input's range leaves
    // the domain, so the spec is refused.
    spec.layers[4].input = Src::Layer(1);
    assert!(ChainSpec::from_bytes(&spec.to_bytes()).is_err());
    // A domain the input never reaches is refused by name at recognition.
    let mut g = prefix(&digits_mlp(), 2);
    push_lookup(&mut g, -100, 64);
    match ChainSpec::recognise(&g) {
        Err(GkrError::Unsupported {
            node: Some(2),
            reason,
        }) => assert!(reason.contains("Lookup"), "{reason}"),
        other => panic!("{other:?}"),
    }
}

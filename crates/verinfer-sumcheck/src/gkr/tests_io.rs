//! Several public inputs and outputs (an LLM step's token, position and cache in; several
//! tensors out): `verinfer_testing::graph::kv_step`. Honest proofs verify; any element of any
//! public input or output changed, two outputs swapped and another position presented with
//! the proof are rejected; the spec's bytes round-trip (a one-input model's are unchanged).

use verinfer_ir::Graph;
use verinfer_testing::graph::kv_step;

use super::*;

/// `token`, `pos`, the cache: seeded, the position inside the table.
fn inputs(g: &Graph, seed: u64) -> Vec<Vec<i32>> {
    use ark_std::rand::Rng;
    let mut rng = StdRng::seed_from_u64(seed);
    let cache = g.inputs[2].info.shape.dims().iter().product();
    let positions = i32::try_from(g.inputs[2].info.shape.dims()[0]).unwrap();
    vec![
        vec![rng.gen_range(-12..12)],
        vec![rng.gen_range(0..positions)],
        (0..cache).map(|_| rng.gen_range(-3000..3000)).collect(),
    ]
}

/// The public outputs concatenated in graph order.
fn outputs(g: &Graph, f: &Fixture) -> Vec<i32> {
    g.outputs
        .iter()
        .flat_map(|o| f.trace[o.value.index()].clone())
        .collect()
}

#[test]
fn several_inputs_and_outputs_are_recognised_and_round_trip() {
    let g = kv_step(4);
    let spec = ChainSpec::recognise(&g).unwrap();
    assert_eq!(spec.inputs.len(), 3);
    // Outputs `a`, `h`, `c`, `r`: nodes 5, 2, 4, 3 (one layer each).
    assert_eq!(spec.outputs, vec![5, 2, 4, 3]);
    assert_eq!(spec.layers[0].input, Src::Input(0));
    assert_eq!(spec.layers[1].input, Src::Input(1));
    assert_eq!(spec.layers[4].input, Src::Input(2));
    assert_eq!(ChainSpec::from_bytes(&spec.to_bytes()).unwrap(), spec);
    // Nothing committed for the public outputs: only `e` and `p` are hidden.
    assert_eq!(
        columns::committed(&spec),
        vec![columns::Poly::Hidden(0), columns::Poly::Hidden(1)]
    );
    // An output list without the last layer, a repeated output and a layer reading an input
    // the spec has not are refused on decoding.
    for edit in [
        (|s: &mut ChainSpec| s.outputs = vec![2, 4]) as fn(&mut ChainSpec),
        |s| s.outputs = vec![5, 2, 2],
        |s| s.layers[1].input = Src::Input(3),
    ] {
        let mut bad = spec.clone();
        edit(&mut bad);
        assert!(ChainSpec::from_bytes(&bad.to_bytes()).is_err());
    }
    // A one-input, one-output model keeps its bytes: no inputs-and-outputs section.
    let mlp = verinfer_testing::proof::small_mlp().0;
    let one = ChainSpec::recognise(&mlp).unwrap();
    assert!(one.one_in_one_out());
    let mut with_io = one.to_bytes();
    with_io.extend_from_slice(&[0; 8]);
    assert!(ChainSpec::from_bytes(&with_io).is_err());
}

#[test]
fn several_inputs_and_outputs_prove_and_every_public_element_is_bound() {
    let g = kv_step(4);
    for seed in 0..2 {
        let f = fixture_inputs(&g, inputs(&g, seed));
        let proof = f.prove();
        let x = f.trace[..3].concat();
        let y = outputs(&g, &f);
        f.verify_io(&x, &y, &proof).unwrap();
        let w = words::model_words(&proof);
        assert_eq!(words::model_from_words(&f.spec, &w).unwrap(), proof);
        assert_eq!(w.len(), crate::backend::layered::proof_words(&f.spec));
        for j in 0..x.len() {
            let mut bad = x.clone();
            bad[j] += 1;
            let err = f.verify_io(&bad, &y, &proof).unwrap_err();
            assert!(err.is_rejection(), "seed {seed} input element {j}: {err}");
        }
        for j in 0..y.len() {
            let mut bad = y.clone();
            bad[j] -= 1;
            let err = f.verify_io(&x, &bad, &proof).unwrap_err();
            assert!(err.is_rejection(), "seed {seed} output element {j}: {err}");
        }
        // `a` and `c` (outputs 0 and 2, 32 elements each) swapped.
        let (a, h) = (32, 8);
        let mut swapped = y.clone();
        swapped[..a].copy_from_slice(&y[a + h..2 * a + h]);
        swapped[a + h..2 * a + h].copy_from_slice(&y[..a]);
        assert_ne!(swapped, y, "seed {seed}: c has a negative element");
        let err = f.verify_io(&x, &swapped, &proof).unwrap_err();
        assert!(err.is_rejection(), "seed {seed} swapped: {err}");
        // Every other position presented with the proof.
        for other in (0..4).filter(|&p| p != x[1]) {
            let mut bad = x.clone();
            bad[1] = other;
            let err = f.verify_io(&bad, &y, &proof).unwrap_err();
            assert!(err.is_rejection(), "seed {seed} position {other}: {err}");
        }
        for k in 0..w.len() {
            let mut bad = w.clone();
            bad[k][31] ^= 1;
            if let Ok(p) = words::model_from_words(&f.spec, &bad) {
                assert!(f.verify_io(&x, &y, &p).is_err(), "seed {seed} word {k}");
            }
        }
        f.assert_word_count_exact(&proof);
    }
}

//! `Div` layers with a signed numerator (the LLM's RMSNorm, `x·γ / √(mean(x²) + ε)`): the
//! RMSNorm shape `[1, 6] / [1, 1]` at 31-bit statistics with `γ` of both signs and a zero
//! (`rms_norm_wide_bits`, `q` and the quotient at 17 bits in the proof), and a two-input
//! division `n / d` (`[1, 3, 6] / [1, 3, 1]`) on
//! exact halves and zeros. Honest proofs verify and give the IR's quotients (half away from
//! zero: `−5/2 → −3`); a flipped sign, a wrong quotient, a wrong remainder, every stated
//! value, round message and word of the proof, and a changed output are rejected; the plan
//! export refuses the signed form by name.

use ark_bn254::Fr;
use verinfer_ir::{Binary, BinaryKind, Graph, Op};
use verinfer_testing::graph::{rms_norm_wide, rms_norm_wide_with};
use verinfer_testing::{requant, GraphBuilder};

use super::*;

/// `y = round_div(n·2^shift, d) + 1` for inputs `n` `[1, 3, 6]` and `d` `[1, 3, 1]` (10
/// bits): the quotient with a layer after it (so it is hidden in the full graph).
fn two_inputs(shift: u32) -> Graph {
    let mut b = GraphBuilder::named("signed-div");
    let n = b.input(&[1, 3, 6], 10);
    let d = b.input(&[1, 3, 1], 10);
    let full = [1, 3, 6];
    let div = Op::Div(verinfer_ir::Div {
        shift,
        requant: requant(1, 0, 16),
    });
    let y = b.node(div, vec![n, d], &full, 16);
    let one = b.param(&[1], 4, vec![1]);
    let add = Op::Binary(Binary {
        kind: BinaryKind::Add,
        a_mult: 1,
        b_mult: 1,
        requant: requant(1, 0, 16),
    });
    b.node(add, vec![y, one], &full, 16);
    b.finish()
}

/// Numerators on exact halves and zeros, by row: over 2, over 4, over 7.
const HALVES: [i32; 18] = [
    -5, 5, -3, 3, 0, -1, // /2: −3, 3, −2, 2, 0, −1
    -6, -2, -10, 6, 0, 2, // /4: −2, −1, −3, 2, 0, 1
    -7, 7, -4, -3, 0, 10, // /7: −1, 1, −1, 0, 0, 1
];
const DIVISORS: [i32; 3] = [2, 4, 7];
const QUOTIENTS: [i32; 18] = [-3, 3, -2, 2, 0, -1, -2, -1, -3, 2, 0, 1, -1, 1, -1, 0, 0, 1];

fn halves_fixture(g: &Graph) -> Fixture {
    fixture_inputs(g, vec![HALVES.to_vec(), DIVISORS.to_vec()])
}

/// RMSNorm inputs: `|x| < 2^15` (every step unclamped for `c ≤ 8`), of both signs.
fn rms_input(g: &Graph, seed: u64) -> Vec<i32> {
    super::random_input(g, seed, -30_000..30_000)
}

/// The division alone (its quotient the public output) of [`two_inputs`].
fn quotient_only(g: &Graph) -> Graph {
    let mut g = g.clone();
    g.nodes.truncate(1);
    g.outputs[0].value = verinfer_ir::ValueId(2);
    g
}

fn div_layer(spec: &ChainSpec) -> usize {
    first_layer(spec, |k| matches!(k, LayerKind::Div { .. }))
}

/// The trace indices of the division's numerator and quotient.
fn at(f: &Fixture) -> (usize, usize) {
    let i = div_layer(&f.spec);
    let a = f.spec.trace_index(f.spec.layers[i].input);
    (a, f.spec.trace_index(Src::Layer(i)))
}

fn is_signed(spec: &ChainSpec) -> bool {
    matches!(
        spec.layers[div_layer(spec)].kind,
        LayerKind::Div { signed: true, .. }
    )
}

#[test]
fn a_numerator_of_either_sign_is_a_signed_division() {
    let spec = ChainSpec::recognise(&rms_norm_wide_with(8, true)).unwrap();
    assert!(is_signed(&spec));
    let bytes = spec.to_bytes();
    assert_eq!(ChainSpec::from_bytes(&bytes).unwrap(), spec);
    // The same spec unsigned: other bytes (the kind word), and it decodes as unsigned.
    let mut unsigned = spec.clone();
    let i = div_layer(&spec);
    if let LayerKind::Div { signed, .. } = &mut unsigned.layers[i].kind {
        *signed = false;
    }
    assert_ne!(unsigned.to_bytes(), bytes);
    assert_eq!(
        ChainSpec::from_bytes(&unsigned.to_bytes()).unwrap(),
        unsigned
    );
    assert!(columns::committed(&spec).contains(&columns::Poly::Sign(i)));
    assert!(!columns::committed(&unsigned).contains(&columns::Poly::Sign(i)));
    // A ReLU numerator stays unsigned; graph inputs are signed.
    assert!(!is_signed(
        &ChainSpec::recognise(&rms_norm_wide(8)).unwrap()
    ));
    assert!(is_signed(&ChainSpec::recognise(&two_inputs(0)).unwrap()));
}

#[test]
fn signed_divisions_prove_with_the_irs_quotients() {
    // The RMSNorm, `q` and the quotient at 17 bits (at the LLM's 20 they take the `2^20` range
    // table, most of the proof's time; the relation is the same).
    let g = verinfer_testing::graph::rms_norm_wide_bits(6, true, 17);
    let mut f = fixture_with(&g, rms_input(&g, 0));
    let (a, q) = at(&f);
    let y = &f.trace[q];
    assert!(y.iter().any(|&v| v < 0) && y.iter().any(|&v| v > 0));
    // `γ[0] = 0`: a zero numerator.
    assert_eq!((f.trace[a][0], y[0]), (0, 0));
    let proof = f.assert_proves_and_round_trips("rms");
    f.assert_ends_rejected(&proof, "rms");
    // A changed quotient is stopped.
    let j = y.iter().position(|&v| v < -1).unwrap();
    f.trace[q][j] += 1;
    f.assert_cheat_stopped("rms quotient");
    let two = two_inputs(0);
    for (name, g) in [("halves", quotient_only(&two)), ("halves hidden", two)] {
        let f = halves_fixture(&g);
        assert_eq!(f.trace[at(&f).1], QUOTIENTS, "{name}");
        let proof = f.assert_proves_and_round_trips(name);
        f.assert_ends_rejected(&proof, name);
    }
    // A shift: `−5·2^3/2 = −20` exactly, `−3·2^3/7 = −3.43 → −3`.
    let f = halves_fixture(&two_inputs(3));
    assert_eq!(f.trace[2][0], -20);
    assert_eq!(f.trace[2][15], -3);
    f.assert_proves_and_round_trips("shift 3");
}

/// A proof of `f`'s trace (tampered or not) with `edit` applied to the witness: stopped by
/// the range check's prover or rejected.
fn assert_edit_stopped(f: &Fixture, edit: &dyn Fn(&mut prove::Witness), name: &str) {
    let r = f.prove_tampered(&f.trace, false, &|w| {
        edit(w);
        Ok(())
    });
    match r {
        Err(GkrError::Logup(crate::error::LogupError::OutOfRange { .. })) => {}
        Err(e) => panic!("{name}: {e}"),
        Ok(p) => {
            let err = f.verify(f.output(), &p).unwrap_err();
            assert!(err.is_rejection(), "{name}: {err}");
        }
    }
}

#[test]
fn a_flipped_sign_is_rejected() {
    let g = two_inputs(0);
    let f = halves_fixture(&g);
    let i = div_layer(&f.spec);
    let out = f.spec.layers[i].out;
    let sign = columns::Poly::Sign(i);
    // Each element's sign flipped alone: negative, positive, zero numerators.
    for j in [0, 1, 4, 8, 11] {
        let e = movement::padded(out, j);
        let by = if HALVES[j] < 0 {
            -Fr::from(1u64)
        } else {
            Fr::from(1u64)
        };
        assert_edit_stopped(&f, &|w| bump(w, sign, e, by), &format!("sign {j}"));
    }
    // The exact half `−5/2` rounded up (`−2`, the rule for a numerator ≥ 0) with the sign
    // claimed 0: its remainder `0` is in range for that sign, only `A ≥ 0` is not.
    let mut f = halves_fixture(&g);
    let q = at(&f).1;
    f.trace[q][0] = -2;
    f.trace[q + 1][0] = -1;
    assert_edit_stopped(&f, &|w| bump(w, sign, 0, -Fr::from(1u64)), "half up");
    f.assert_refused_at(f.spec.node_of(i));
    // A sign that is not boolean (2 on a negative numerator, its remainder moved so both
    // remainder columns hold).
    let f = halves_fixture(&g);
    assert_edit_stopped(
        &f,
        &|w| {
            bump(w, sign, 0, Fr::from(1u64));
            bump(w, columns::Poly::Rem(i), 0, Fr::from(1u64));
        },
        "sign 2",
    );
}

#[test]
fn a_wrong_quotient_or_remainder_is_rejected() {
    let g = two_inputs(0);
    for (j, by) in [(0, 1), (0, -1), (2, 1), (9, -1), (4, 1), (4, -1)] {
        let mut f = halves_fixture(&g);
        let q = at(&f).1;
        f.trace[q][j] += by;
        f.trace[q + 1][j] += by;
        f.assert_cheat_stopped(&format!("quotient {j} by {by}"));
        f.assert_refused_at(f.spec.node_of(div_layer(&f.spec)));
    }
    // The remainder off by one, still in range: `−5/2` (`R = 4 ∈ [1, 4]`) and `10/7`
    // (`R = 13 ∈ [0, 14)`).
    let f = halves_fixture(&g);
    let i = div_layer(&f.spec);
    for j in [0, 17] {
        let e = movement::padded(f.spec.layers[i].out, j);
        let p = f.prove_edited(&|w| bump(w, columns::Poly::Rem(i), e, -Fr::from(1u64)));
        let err = f.verify(f.output(), &p).unwrap_err();
        assert!(err.is_rejection(), "remainder {j}: {err}");
    }
}

#[test]
fn every_stated_value_and_word_of_a_signed_division_is_checked() {
    let f = halves_fixture(&two_inputs(0));
    let proof = f.prove();
    let i = div_layer(&f.spec);
    f.assert_layer_message_rejected(&proof, i, "halves");
    f.assert_rounds_rejected(&proof, i, "halves");
    f.assert_every_word_checked(&proof);
    f.assert_word_count_exact(&proof);
}

#[test]
fn the_plan_export_refuses_a_signed_division_by_name() {
    // One input (the export refuses several first): `round_div(x·2^2, max(x, 1))`.
    let mut b = GraphBuilder::named("signed-div-one-input");
    let x = b.input(&[1, 4, 8], 10);
    let one = b.param(&[1], 4, vec![1]);
    let d = b.node(relu(16), vec![x, one], &[1, 4, 8], 16);
    let div = Op::Div(verinfer_ir::Div {
        shift: 2,
        requant: requant(1, 0, 16),
    });
    b.node(div, vec![x, d], &[1, 4, 8], 16);
    let g = b.finish();
    let f = fixture_with(&g, super::random_input(&g, 1, -500..500));
    assert!(is_signed(&f.spec));
    let err = crate::backend::layered::model_plan(&f.spec, &f.commitments, &f.srs.verifier_key)
        .unwrap_err();
    assert!(
        err.to_string().contains("signed numerator")
            && err.to_string().contains("not verifiable on chain"),
        "{err}"
    );
}

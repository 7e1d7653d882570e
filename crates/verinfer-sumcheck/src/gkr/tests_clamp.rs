//! Proven clamps ([`super::clamp`]): a causal-mask-like graph — scores `s` `[4, 8]` (8 bits)
//! plus a 16-bit mask row `m` `[1, 8]` (`a = (2s + m)/2`, 8 bits), its row maximum, `d = a −
//! max`, `e = d + m`, then `e·3/4` into 6 bits — saturates high and low by design. Honest
//! proofs (saturating inputs and inputs that saturate nowhere) verify and round-trip; an
//! unclamped output where the IR clamps, an overshoot where the output is below its maximum,
//! both overshoots nonzero, a changed limb, every stated value, round and word changed are all
//! stopped; the flag round-trips in the spec's bytes, a wrong flag is refused, an overshoot
//! of `2^32` is refused by the prover by node and element, and the on-chain plan refuses a
//! clamped layer by name.

use verinfer_ir::{Graph, Op, ReduceKind};
use verinfer_testing::graph::{binary_op, reduce_op, requant};
use verinfer_testing::GraphBuilder;

use super::*;
use crate::gkr::columns::Poly;

/// `kind` with multipliers `am`, `bm`, shift `shift` into `bits`.
fn bin(kind: verinfer_ir::BinaryKind, am: i64, bm: i64, shift: u32, bits: u32) -> Op {
    match binary_op(kind, am, bm, 1, shift) {
        Op::Binary(mut x) => {
            x.requant = requant(1, shift, bits);
            Op::Binary(x)
        }
        _ => unreachable!(),
    }
}

/// The mask graph, its last node the `·3/4` rescale (layers 0, 2, 3, 4 clamp).
fn masked() -> Graph {
    use verinfer_ir::BinaryKind::{Add, Sub};
    let mut b = GraphBuilder::named("masked");
    let s = b.input(&[4, 8], 8);
    let m = b.input(&[1, 8], 16);
    let a = b.node(bin(Add, 2, 1, 1, 8), vec![s, m], &[4, 8], 8);
    let mut max = reduce_op(ReduceKind::Max, &[1], requant(1, 0, 8));
    if let Op::Reduce(r) = &mut max {
        r.keep_dims = true;
    }
    let mx = b.node(max, vec![a], &[4, 1], 8);
    let d = b.node(bin(Sub, 1, 1, 0, 8), vec![a, mx], &[4, 8], 8);
    let e = b.node(bin(Add, 1, 1, 0, 8), vec![d, m], &[4, 8], 8);
    b.node(Op::Rescale(requant(3, 2, 6)), vec![e], &[4, 8], 6);
    b.finish()
}

/// `x + y` of two 8-bit inputs into 8 bits (may overflow by a bit, not by design).
fn plain_add() -> Graph {
    let mut b = GraphBuilder::new();
    let (x, y) = (b.input(&[2, 4], 8), b.input(&[2, 4], 8));
    b.node(
        bin(verinfer_ir::BinaryKind::Add, 1, 1, 0, 8),
        vec![x, y],
        &[2, 4],
        8,
    );
    b.finish()
}

/// The mask graph ending at `e` (a public clamped add) and whole (`e` hidden).
fn graphs() -> [(String, Graph); 2] {
    public_and_hidden("masked", masked())
}

/// Seeded inputs: random scores and mask (saturating high and low), or with `calm` small
/// scores and a zero mask (nothing saturates).
fn inputs(g: &Graph, seed: u64, calm: bool) -> Vec<Vec<i32>> {
    let mut xs = verinfer_testing::graph::random_inputs(g, seed);
    if calm {
        xs[0].iter_mut().for_each(|v| *v = (*v).clamp(-20, 20));
        xs[1].iter_mut().for_each(|v| *v = 0);
    }
    xs
}

/// The layers flagged clamped.
fn clamped(spec: &ChainSpec) -> Vec<usize> {
    (0..spec.layers.len())
        .filter(|&i| clamp::is_clamped(&spec.layers[i].kind))
        .collect()
}

/// Layer `i`'s unclamped quotients on `f`'s trace (the witness's `Y + P − N`).
fn quotients(f: &Fixture, i: usize) -> Vec<i128> {
    let at = kind::At::new(&f.spec, i, &f.spec.layers[i], &[]);
    let tables: std::collections::BTreeMap<_, _> = kind::rule(&f.spec.layers[i].kind)
        .unwrap()
        .witness(at, &f.trace, &f.weights, true)
        .unwrap()
        .into_iter()
        .collect();
    let l = f.spec.layers[i];
    let y = &f.trace[f.spec.inputs.len() + i];
    // The honest overshoots are nonnegative integers below `2^32`.
    let int = |p: Poly, e: usize| {
        use ark_ff::PrimeField;
        let v = tables[&p].evals()[movement::padded(l.out, e)].into_bigint();
        assert!(v.0[1..].iter().all(|&w| w == 0));
        i128::from(v.0[0])
    };
    (0..y.len())
        .map(|e| i128::from(y[e]) + int(Poly::Over(i), e) - int(Poly::Under(i), e))
        .collect()
}

#[test]
fn the_mask_layers_are_flagged_and_their_bytes_round_trip() {
    for (name, g) in graphs() {
        let spec = ChainSpec::recognise(&g).unwrap();
        let want: &[usize] = if name.ends_with("public") {
            &[0, 2, 3]
        } else {
            &[0, 2, 3, 4]
        };
        assert_eq!(clamped(&spec), want, "{name}");
        assert_eq!(ChainSpec::from_bytes(&spec.to_bytes()).unwrap(), spec);
    }
    // The masked add alone is flagged; two operands as wide as the output are not.
    let spec = ChainSpec::recognise(&prefix(&masked(), 1)).unwrap();
    assert_eq!(clamped(&spec), [0]);
    assert!(clamped(&ChainSpec::recognise(&plain_add()).unwrap()).is_empty());
}

#[test]
fn a_wrong_clamp_flag_is_refused() {
    let flip = |spec: &ChainSpec, i: usize| {
        let mut bad = spec.clone();
        if let LayerKind::Binary { clamp, .. } = &mut bad.layers[i].kind {
            *clamp = !*clamp;
        }
        assert_ne!(bad.to_bytes(), spec.to_bytes());
        match ChainSpec::from_bytes(&bad.to_bytes()) {
            Err(GkrError::Malformed(m)) => assert!(m.contains("clamp flag"), "{m}"),
            other => panic!("layer {i}: {other:?}"),
        }
    };
    let spec = ChainSpec::recognise(&masked()).unwrap();
    for i in [0, 2, 3, 4] {
        flip(&spec, i);
    }
    flip(&ChainSpec::recognise(&plain_add()).unwrap(), 0);
    // A flagged product is refused too.
    let mut bad = ChainSpec::recognise(&prefix(&masked(), 1)).unwrap();
    if let LayerKind::Binary { op, .. } = &mut bad.layers[0].kind {
        *op = Arith::Mul;
    }
    assert!(ChainSpec::from_bytes(&bad.to_bytes()).is_err());
}

#[test]
fn honest_clamped_proofs_verify_saturating_or_not() {
    for (name, g) in graphs() {
        for calm in [false, true] {
            let f = fixture_inputs(&g, inputs(&g, 3, calm));
            let q = quotients(&f, 0);
            let (lo, hi) = (-128, 127);
            let high = q.iter().filter(|&&v| v > hi).count();
            let low = q.iter().filter(|&&v| v < lo).count();
            if calm {
                for i in clamped(&f.spec) {
                    let y = &f.trace[f.spec.inputs.len() + i];
                    assert_eq!(
                        quotients(&f, i),
                        y.iter().map(|&v| i128::from(v)).collect::<Vec<_>>(),
                        "{name}"
                    );
                }
            } else {
                assert!(high > 0 && low > 0, "{name}: {high} high, {low} low");
            }
            let proof = f.assert_proves_and_round_trips(&name);
            // Outputs below the maximum, each raised by one (a minimum among them when any).
            let max = f.spec.layers.last().unwrap().bits.max_value();
            let y = f.output();
            let below: Vec<usize> = (0..y.len()).filter(|&j| i64::from(y[j]) < max).collect();
            let min = f.spec.layers.last().unwrap().bits.min_value();
            let mut at = vec![below[0], below[below.len() / 2], below[below.len() - 1]];
            at.extend(y.iter().position(|&v| i64::from(v) == min));
            f.assert_outputs_rejected(&proof, &at, &name);
        }
    }
}

/// The hidden graph's fixture on `xs` with layer 3's element `e` set to `v` and the rescale
/// after it recomputed (its own clamp to 6 bits), for a cheating prover.
fn with_e(g: &Graph, xs: Vec<Vec<i32>>, e: usize, v: i32) -> Fixture {
    let mut f = fixture_inputs(g, xs);
    let n = f.spec.inputs.len();
    f.trace[n + 3][e] = v;
    f.trace[n + 4][e] = ((3 * v + 2) >> 2).clamp(-32, 31);
    f
}

#[test]
fn an_unclamped_or_wrongly_clamped_output_is_stopped() {
    let g = graphs()[1].1.clone();
    let f = fixture_inputs(&g, inputs(&g, 5, false));
    let q = quotients(&f, 3);
    let over = q.iter().position(|&v| v > 127).unwrap();
    let under = q.iter().position(|&v| v < -128).unwrap();
    for (e, v, why) in [
        // The IR's unclamped quotient: the output leaves its range.
        (over, q[over], "unclamped high"),
        (under, q[under], "unclamped low"),
        // Below the maximum with an overshoot (P > 0 where Y < MAX), and the converse.
        (over, 126, "P where Y < MAX"),
        (under, -127, "N where Y > MIN"),
    ] {
        let bad = with_e(&g, inputs(&g, 5, false), e, i32::try_from(v).unwrap());
        bad.assert_refused_at(3);
        bad.assert_cheat_stopped(why);
    }
}

#[test]
fn both_overshoots_or_a_changed_limb_are_stopped() {
    let g = graphs()[1].1.clone();
    let f = fixture_inputs(&g, inputs(&g, 6, false));
    let l = f.spec.layers[0];
    let q = quotients(&f, 0);
    let one = ark_bn254::Fr::from(1u64);
    let at = |p: fn(&f64) -> bool| {
        let e = q.iter().position(|&v| p(&(v as f64))).unwrap();
        movement::padded(l.out, e)
    };
    let (hi, lo) = (at(|&v| v > 127.0), at(|&v| v < -128.0));
    type Edit = (&'static str, Vec<(Poly, usize)>);
    let edits: [Edit; 4] = [
        // P − N unchanged: the relation holds, the zero-check does not.
        (
            "N beside P",
            vec![(Poly::Over(0), hi), (Poly::Under(0), hi)],
        ),
        (
            "P beside N",
            vec![(Poly::Over(0), lo), (Poly::Under(0), lo)],
        ),
        ("a high limb", vec![(Poly::OverHi(0), hi)]),
        ("a low limb", vec![(Poly::Under(0), lo)]),
    ];
    for (why, bumps) in edits {
        let r = f.prove_tampered(&f.trace, true, &|w| {
            for &(p, e) in &bumps {
                bump(w, p, e, one);
            }
            Ok(())
        });
        f.assert_stopped(r, why);
    }
}

#[test]
fn every_clamp_message_and_word_changed_is_rejected() {
    let g = graphs()[1].1.clone();
    let f = fixture_inputs(&g, inputs(&g, 7, false));
    let proof = f.prove();
    for i in clamped(&f.spec) {
        f.assert_layer_message_rejected(&proof, i, "masked");
        f.assert_rounds_rejected(&proof, i, "masked");
    }
    f.assert_every_word_checked(&proof);
    f.assert_word_count_exact(&proof);
}

/// `x + 8·x²` of a 16-bit input into 8 bits (`x²` a hidden 32-bit product): one input and
/// output, the add flagged (its second operand wider than its output).
fn squares() -> Graph {
    use verinfer_ir::BinaryKind::{Add, Mul};
    let mut b = GraphBuilder::new();
    let x = b.input(&[2, 4], 16);
    let sq = b.node(bin(Mul, 1, 1, 0, 32), vec![x, x], &[2, 4], 32);
    b.node(bin(Add, 1, 8, 0, 8), vec![x, sq], &[2, 4], 8);
    b.finish()
}

#[test]
fn an_overshoot_past_two_limbs_is_refused_by_name() {
    let g = squares();
    let mut xs = vec![vec![5, -7, 100, -100, 300, 3, 0, 1]];
    let f = fixture_inputs(&g, xs.clone());
    assert_eq!(clamped(&f.spec), [1]);
    // Overshoots below `2^20` prove (the on-chain plan refuses the layer by name).
    f.assert_proves_and_round_trips("x + 8x²");
    let err = crate::backend::layered::model_plan(&f.spec, &f.commitments, &f.srs.verifier_key)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("clamped Add/Sub") && err.contains("not verifiable on chain"),
        "{err}"
    );
    // `8·32767²` overshoots by more than `2^32`.
    xs[0][5] = -32767;
    let f = fixture_inputs(&g, xs);
    assert!(matches!(
        f.prove_honest(),
        Err(GkrError::ClampOvershoot {
            node: 1,
            index: 5,
            bits: 32
        })
    ));
}

#[test]
fn a_narrowing_rescale_stays_unflagged() {
    // A 16-bit value rescaled into 13 bits (the transformer block's rescales before its
    // lookups): calibrated to fit, not flagged; after a flagged layer, flagged.
    let mut b = GraphBuilder::new();
    let x = b.input(&[2, 4], 16);
    b.node(Op::Rescale(requant(1, 1, 13)), vec![x], &[2, 4], 13);
    assert!(clamped(&ChainSpec::recognise(&b.finish()).unwrap()).is_empty());
    assert_eq!(clamped(&ChainSpec::recognise(&masked()).unwrap())[3], 4);
}

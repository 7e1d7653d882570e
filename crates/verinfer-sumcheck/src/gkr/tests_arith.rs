//! Two-operand layers (`Add`, `Sub`, `Mul` of two activations) and `ReduceSum`: honest
//! proofs verify (public and hidden outputs, a DAG reading one tensor three times), the
//! layers equal the IR's reference on random inputs, and a wrong output, a wrong remainder or
//! a changed proof word is rejected.

use ark_std::rand::{rngs::StdRng, Rng, SeedableRng};
use verinfer_ir::{
    Binary, BinaryKind, Graph, Node, Op, Operand, Reduce, ReduceKind, Requant, TensorInfo,
};

use super::moves::{hidden_width, with_move_to};
use super::*;

/// Append `op` reading `inputs`, its output the graph's.
fn push(g: &mut Graph, op: Op, inputs: Vec<Operand>, out: TensorInfo) {
    g.nodes.push(Node {
        name: format!("test node {}", g.nodes.len()),
        origin: "Test".into(),
        op,
        inputs,
        out,
    });
    g.outputs[0].value = g.node_value(g.nodes.len() - 1);
}

fn binary(
    kind: BinaryKind,
    a_mult: i64,
    b_mult: i64,
    mult: i64,
    shift: u32,
    out: &TensorInfo,
) -> Op {
    Op::Binary(Binary {
        kind,
        a_mult,
        b_mult,
        requant: Requant {
            mult,
            shift,
            bits: out.bits,
        },
    })
}

/// A copy of the digits MLP's ReLU reading the last node (so that node's output is hidden).
fn relu_after(g: &mut Graph) {
    let mut relu = g.nodes[1].clone();
    relu.inputs[0] = Operand::Value(g.node_value(g.nodes.len() - 1));
    relu.out = g.nodes[g.nodes.len() - 1].out.clone();
    // The product's output may be a bit wider than the ReLU's (a shift-0 add): keep the clamp
    // the identity at the new width.
    if let Op::Binary(b) = &mut relu.op {
        b.requant = Requant::clamp_only(relu.out.bits);
    }
    g.nodes.push(relu);
    g.outputs[0].value = g.node_value(g.nodes.len() - 1);
}

/// The digits MLP's first product `h` and its ReLU `r`, then `f(r, h)` (or `f(h, h)`), its
/// epilogue chosen so that nothing saturates; with `hidden`, a ReLU after it.
fn residual(kind: BinaryKind, square: bool, hidden: bool) -> Graph {
    let mut g = prefix(&digits_mlp(), 2);
    let mut out = g.nodes[0].out.clone();
    let b = out.bits.get();
    let (am, bm, mult, shift) = match kind {
        BinaryKind::Add if !square => (1, 1, 1, 0),
        BinaryKind::Sub => (2, 1, 1, 2),
        BinaryKind::Mul => (1, 1, 3, b + 1),
        _ => (1, 1, 1, 1),
    };
    if shift == 0 {
        out.bits = verinfer_ir::Bits::new(b + 1).unwrap();
    }
    let a = Operand::Value(g.node_value(if square { 0 } else { 1 }));
    let h = Operand::Value(g.node_value(0));
    push(
        &mut g,
        binary(kind, am, bm, mult, shift, &out),
        vec![a, h],
        out,
    );
    if hidden {
        relu_after(&mut g);
    }
    g
}

/// A small DAG: `h`, `r = relu(h)`, `p = r·h`, `s = p + h`, `s` reshaped to `[n/4, 4]` and
/// summed over the last axis (`h` read by four layers).
fn block(hidden: bool) -> Graph {
    let mut g = prefix(&digits_mlp(), 2);
    let out = g.nodes[0].out.clone();
    let b = out.bits.get();
    let (h, r) = (g.node_value(0), g.node_value(1));
    let op = binary(BinaryKind::Mul, 1, 1, 3, b + 1, &out);
    push(
        &mut g,
        op,
        vec![Operand::Value(r), Operand::Value(h)],
        out.clone(),
    );
    let p = g.node_value(2);
    let op = binary(BinaryKind::Add, 1, 1, 1, 1, &out);
    push(
        &mut g,
        op,
        vec![Operand::Value(p), Operand::Value(h)],
        out.clone(),
    );
    let n = hidden_width(&g);
    let map: Vec<i32> = (0..i32::try_from(n).unwrap()).collect();
    let mut g = with_move_to(&g, 3, map, 0, vec![n / 4, 4]);
    let mut sum_out = out.clone();
    sum_out.shape = verinfer_ir::shape::Shape(vec![n / 4]);
    let op = Op::Reduce(Reduce {
        kind: ReduceKind::Sum,
        axes: vec![1],
        keep_dims: false,
        requant: Requant {
            mult: 1,
            shift: 2,
            bits: out.bits,
        },
    });
    let moved = g.node_value(4);
    push(&mut g, op, vec![Operand::Value(moved)], sum_out);
    if hidden {
        relu_after(&mut g);
    }
    g
}

/// `h` rescaled by `3/4` (a `Rescale` is the add `h·1 + h·0`).
fn rescaled(hidden: bool) -> Graph {
    let mut g = prefix(&digits_mlp(), 1);
    let out = g.nodes[0].out.clone();
    let op = Op::Rescale(Requant {
        mult: 3,
        shift: 2,
        bits: out.bits,
    });
    let h = Operand::Value(g.node_value(0));
    push(&mut g, op, vec![h], out);
    if hidden {
        let mut relu = digits_mlp().nodes[1].clone();
        relu.inputs[0] = Operand::Value(g.node_value(1));
        relu.out = g.nodes[1].out.clone();
        g.nodes.push(relu);
        g.outputs[0].value = g.node_value(2);
    }
    g
}

fn graphs() -> Vec<(&'static str, Graph)> {
    let mut v = vec![];
    for hidden in [false, true] {
        v.push(("rescale", rescaled(hidden)));
        v.push(("add", residual(BinaryKind::Add, false, hidden)));
        v.push(("add-shift", residual(BinaryKind::Add, true, hidden)));
        v.push(("sub", residual(BinaryKind::Sub, false, hidden)));
        v.push(("mul", residual(BinaryKind::Mul, false, hidden)));
        v.push(("square", residual(BinaryKind::Mul, true, hidden)));
        v.push(("block", block(hidden)));
    }
    v
}

fn arith_layers(f: &Fixture) -> Vec<usize> {
    (0..f.spec.layers.len())
        .filter(|&i| {
            matches!(
                f.spec.layers[i].kind,
                LayerKind::Binary { .. } | LayerKind::ReduceSum { .. }
            )
        })
        .collect()
}

#[test]
fn two_operand_and_sum_layers_prove_and_round_trip() {
    for (name, g) in graphs() {
        for seed in [0, 3] {
            let f = fixture(&g, seed);
            assert!(!arith_layers(&f).is_empty(), "{name}");
            f.assert_proves_and_round_trips(name);
        }
    }
}

#[test]
fn the_layers_equal_the_ir_reference_on_random_inputs() {
    let g = block(true);
    let spec = ChainSpec::recognise(&g).unwrap();
    let bits = g.inputs[0].info.bits.get();
    let mut rng = StdRng::seed_from_u64(11);
    let mut proven = 0;
    for _ in 0..24 {
        let lim = 1i32 << (bits - 1);
        let x: Vec<i32> = (0..spec.inputs[0].layout.len())
            .map(|_| rng.gen_range(-lim..lim))
            .collect();
        let trace = verinfer_ir::reference::run(&g, &[x]).unwrap();
        for (i, l) in spec.layers.iter().enumerate() {
            if !matches!(
                l.kind,
                LayerKind::Binary { .. } | LayerKind::ReduceSum { .. }
            ) {
                continue;
            }
            match arith::witness(&spec, i, &trace, &[], true) {
                Ok(_) => proven += 1,
                Err(GkrError::Clamped { .. }) => {}
                Err(e) => panic!("layer {i}: {e}"),
            }
            // One element off is caught.
            let mut bad = trace.clone();
            bad[i + 1][1] ^= 1;
            assert!(matches!(
                arith::witness(&spec, i, &bad, &[], true),
                Err(GkrError::TraceMismatch { node, index: 1, .. }
                    | GkrError::Clamped { node, index: 1, .. }) if node == i
            ));
        }
    }
    assert!(proven > 24, "{proven} layers matched without saturating");
}

#[test]
fn a_wrong_public_output_is_rejected() {
    for (name, g) in graphs() {
        let f = fixture(&g, 1);
        let proof = f.prove();
        let mut y = f.output().to_vec();
        y[0] += 1;
        let err = f.verify(&y, &proof).unwrap_err();
        assert!(err.is_rejection(), "{name}: {err}");
    }
}

#[test]
fn a_wrong_element_with_its_remainder_is_rejected() {
    // The forged element's remainder is the one its value implies, so the layer's relation
    // holds; without a shift the relation fails, with one the remainder leaves its range.
    for (name, g) in graphs() {
        let mut f = fixture(&g, 2);
        let i = *arith_layers(&f).last().unwrap();
        f.trace[i + 1][0] += 1;
        if i + 2 < f.trace.len() {
            // A hidden output: the ReLU after it follows the forgery.
            f.trace[i + 2][0] = f.trace[i + 1][0].max(0);
        }
        f.assert_cheat_stopped(name);
        f.assert_refused_at(f.spec.node_of(i));
    }
}

#[test]
fn a_changed_layer_message_is_rejected() {
    for (name, g) in graphs() {
        let f = fixture(&g, 0);
        let proof = f.prove();
        for i in arith_layers(&f) {
            f.assert_layer_message_rejected(&proof, i, name);
        }
    }
}

#[test]
fn every_block_proof_word_changed_is_refused_or_rejected() {
    let f = fixture(&block(true), 2);
    f.assert_every_word_checked(&f.prove());
}

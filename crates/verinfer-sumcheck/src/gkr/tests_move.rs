//! `Move` layers: honest proofs verify (hidden and public outputs, fill entries), a wrong
//! gathered value is rejected, the spec's bytes round-trip.

use verinfer_ir::{Graph, Move, Node, Op, Operand, Param, ParamId, ParamKind, ValueId};

use super::*;

/// `g` with a `Move` (`map`, `fill`) inserted after node `after`, reading its output, with
/// the same shape (later nodes read the move instead).
fn with_move(g: &Graph, after: usize, map: Vec<i32>, fill: i32) -> Graph {
    let dims = g.nodes[after].out.shape.dims().to_vec();
    with_move_to(g, after, map, fill, dims)
}

/// [`with_move`] with the output shape `dims`.
pub(super) fn with_move_to(
    g: &Graph,
    after: usize,
    map: Vec<i32>,
    fill: i32,
    dims: Vec<usize>,
) -> Graph {
    let mut g = g.clone();
    let src = g.node_value(after);
    let mut info = g.nodes[after].out.clone();
    info.shape = verinfer_ir::shape::Shape(dims);
    assert_eq!(info.shape.dims().iter().product::<usize>(), map.len());
    let mut map_info = info.clone();
    map_info.shape = verinfer_ir::shape::Shape(vec![map.len()]);
    map_info.bits = verinfer_ir::Bits::new(32).unwrap();
    g.params.push(Param {
        name: "test move map".into(),
        kind: ParamKind::IndexMap,
        info: map_info,
        data: map.into(),
    });
    let map_id = ParamId(u32::try_from(g.params.len() - 1).unwrap());
    insert(
        &mut g,
        after,
        Node {
            name: "test move".into(),
            origin: "Test".into(),
            op: Op::Move(Move { map: map_id, fill }),
            inputs: vec![Operand::Value(src)],
            out: info,
        },
    );
    g
}

/// Insert `node` after node `after` (it reads what it names; later nodes read past it).
pub(super) fn insert(g: &mut Graph, after: usize, node: Node) {
    let src = g.node_value(after);
    let shift = |v: &mut ValueId| {
        if v.0 > src.0 {
            v.0 += 1;
        }
    };
    for n in &mut g.nodes[after + 1..] {
        for op in &mut n.inputs {
            if let Operand::Value(v) = op {
                shift(v);
            }
        }
    }
    let last = after + 1 == g.nodes.len();
    for o in &mut g.outputs {
        if last && o.value == src {
            // The move becomes the output.
            o.value.0 += 1;
        } else {
            shift(&mut o.value);
        }
    }
    g.nodes.insert(after + 1, node);
}

/// A permutation of `n` (reversed, rotated) with two entries the fill.
fn shuffle(n: usize) -> Vec<i32> {
    let mut m: Vec<i32> = (0..i32::try_from(n).unwrap()).rev().collect();
    m.rotate_left(3);
    m[1] = -1;
    m[n / 2] = -1;
    m
}

pub(super) fn hidden_width(g: &Graph) -> usize {
    g.nodes[1].out.shape.dims().iter().product()
}

#[test]
fn a_hidden_move_proves_and_round_trips() {
    let base = digits_mlp();
    let g = with_move(&base, 1, shuffle(hidden_width(&base)), 3);
    let f = fixture(&g, 1);
    assert!(matches!(
        f.spec.layers[2].kind,
        LayerKind::Move { map: 0, fill: 3 }
    ));
    assert_eq!(ChainSpec::from_bytes(&f.spec.to_bytes()).unwrap(), f.spec);
    // A spec without moves keeps its bytes; a trailing empty maps section is not canonical.
    let plain = ChainSpec::recognise(&base).unwrap();
    let mut b = plain.to_bytes();
    assert_eq!(ChainSpec::from_bytes(&b).unwrap(), plain);
    b.extend_from_slice(&0u64.to_le_bytes());
    assert!(ChainSpec::from_bytes(&b).is_err());

    let proof = f.prove();
    f.verify(f.output(), &proof).unwrap();
    let w = words::model_words(&proof);
    assert_eq!(words::model_from_words(&f.spec, &w).unwrap(), proof);
    let mut y = f.output().to_vec();
    y[0] += 1;
    assert!(f.verify(&y, &proof).unwrap_err().is_rejection());
}

#[test]
fn a_move_as_the_output_proves() {
    let base = prefix(&digits_mlp(), 2);
    let g = with_move(&base, 1, shuffle(hidden_width(&base)), 0);
    let f = fixture(&g, 2);
    let proof = f.prove();
    f.verify(f.output(), &proof).unwrap();
}

/// Prove `f`'s (tampered) trace without the prover's own check.
pub(super) fn forge(f: &Fixture) -> ModelProof {
    prove::prove_checked(
        &f.srs.commit_key,
        Some(&STATEMENT),
        &f.spec,
        &f.weights,
        &f.commitments,
        &f.trace,
        false,
    )
    .unwrap()
}

#[test]
fn a_wrong_gathered_value_is_rejected() {
    // Public output: the move's output states a value its map does not gather.
    let base = prefix(&digits_mlp(), 2);
    let g = with_move(&base, 1, shuffle(hidden_width(&base)), 0);
    let mut f = fixture(&g, 0);
    f.trace[3][5] += 1;
    let err = f.verify(f.output(), &forge(&f)).unwrap_err();
    assert!(err.is_rejection(), "{err}");
    // A fill entry with another value.
    let mut f = fixture(&g, 0);
    f.trace[3][1] = 7;
    let err = f.verify(f.output(), &forge(&f)).unwrap_err();
    assert!(err.is_rejection(), "{err}");

    // Hidden: the move's output forged, the next matrix product consistent with the forgery.
    let base = prefix(&digits_mlp(), 3);
    let g = with_move(&base, 1, shuffle(hidden_width(&base)), 0);
    let mut f = fixture(&g, 1);
    f.trace[3][4] += 2;
    f.trace[4] = matmul_ref(&f, 3, &f.trace[3]);
    let err = f.verify(f.output(), &forge(&f)).unwrap_err();
    assert!(err.is_rejection(), "{err}");
    // The honest prover refuses the forged trace.
    f.assert_refused_at(2);
}

#[path = "tests_max.rs"]
mod max;

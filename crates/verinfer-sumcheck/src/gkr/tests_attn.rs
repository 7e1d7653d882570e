//! Contracts of two activations (attention's `Q·Kᵀ` and `P·V` per head,
//! [`LayerKind::Product`]): `S = x·kᵀ` then `S·x` on an input `x` `[1, h, t, d]`, with `kᵀ`
//! a transpose `Move` (the ONNX form) or read transposed by the contraction's own map, one
//! head and several, powers of two and not (padding and output moves), public and hidden
//! outputs. Honest proofs verify, bytes and words round-trip, the layers equal the IR
//! reference on seeded random inputs, and a wrong output element, a wrong remainder, a forged
//! operand, a changed message or word is rejected.

use verinfer_ir::{
    AffineMap, AffineRow, Binary, BinaryKind, Contract, Graph, Move, Op, ParamKind, Requant,
};
use verinfer_testing::{requant, GraphBuilder};

use super::*;

fn ceil_log2(v: usize) -> u32 {
    v.next_power_of_two().trailing_zeros()
}

/// A row of a rank-4 operand's map: `terms` over the 4 output axes and the one reduction.
fn row(out: &[(usize, i64)], red: &[(usize, i64)]) -> AffineRow {
    AffineRow::terms(4, 1, out, red, 0)
}

/// A batched product over output `[1, h, m, n]` and reduction `[k]`, `x` read by `x_rows`,
/// `w` by `w_rows`.
fn bmm(
    out: [usize; 4],
    k: usize,
    x_rows: Vec<AffineRow>,
    w_rows: Vec<AffineRow>,
    rq: Requant,
) -> Op {
    Op::Contract(Contract {
        out_iter: out.to_vec(),
        red: vec![k],
        x_map: AffineMap { rows: x_rows },
        w_map: AffineMap { rows: w_rows },
        bias_map: None,
        bias_shift: 0,
        requant: rq,
    })
}

/// `S = 3·x·kᵀ/2^(⌈log d⌉+3)`, `S·x/2^(⌈log t⌉+7)`; `kᵀ` a transpose move when `moved`, else
/// the first product reads `x` transposed; a ReLU after when `hidden`.
fn attention(h: usize, t: usize, d: usize, moved: bool, hidden: bool) -> Graph {
    let mut b = GraphBuilder::named("attention");
    let x = b.input(&[1, h, t, d], 8);
    let k_rows = if moved {
        // kᵀ[0, a, e, s] = x[0, a, s, e].
        let map: Vec<i32> = (0..h * d * t)
            .map(|f| {
                let (a, e, s) = (f / (d * t), (f / t) % d, f % t);
                i32::try_from((a * t + s) * d + e).unwrap()
            })
            .collect();
        let map = b.param_id(&[h * d * t], 16, ParamKind::IndexMap, map);
        let kt = b.node(Op::Move(Move { map, fill: 0 }), vec![x], &[1, h, d, t], 8);
        (
            kt,
            vec![
                row(&[], &[]),
                row(&[(1, 1)], &[]),
                row(&[], &[(0, 1)]),
                row(&[(3, 1)], &[]),
            ],
        )
    } else {
        (
            x,
            vec![
                row(&[], &[]),
                row(&[(1, 1)], &[]),
                row(&[(3, 1)], &[]),
                row(&[], &[(0, 1)]),
            ],
        )
    };
    let q_rows = vec![
        row(&[], &[]),
        row(&[(1, 1)], &[]),
        row(&[(2, 1)], &[]),
        row(&[], &[(0, 1)]),
    ];
    let s = b.node(
        bmm(
            [1, h, t, t],
            d,
            q_rows,
            k_rows.1,
            requant(3, ceil_log2(d) + 3, 16),
        ),
        vec![x, k_rows.0],
        &[1, h, t, t],
        16,
    );
    let p_rows = vec![
        row(&[], &[]),
        row(&[(1, 1)], &[]),
        row(&[(2, 1)], &[]),
        row(&[], &[(0, 1)]),
    ];
    let v_rows = vec![
        row(&[], &[]),
        row(&[(1, 1)], &[]),
        row(&[], &[(0, 1)]),
        row(&[(3, 1)], &[]),
    ];
    let y = b.node(
        bmm(
            [1, h, t, d],
            t,
            p_rows,
            v_rows,
            requant(1, ceil_log2(t) + 7, 16),
        ),
        vec![s, x],
        &[1, h, t, d],
        16,
    );
    if hidden {
        let zero = b.param(&[1], 4, vec![0]);
        let relu = Op::Binary(Binary {
            kind: BinaryKind::Max,
            a_mult: 1,
            b_mult: 1,
            requant: Requant::clamp_only(verinfer_ir::Bits::new(16).unwrap()),
        });
        b.node(relu, vec![y, zero], &[1, h, t, d], 16);
    }
    b.finish()
}

fn random_input(g: &Graph, seed: u64) -> Vec<i32> {
    super::random_input(g, seed, -128..128)
}

const SHAPES: [(usize, usize, usize); 3] = [(1, 4, 8), (4, 16, 16), (3, 3, 5)];

fn graphs() -> Vec<(String, Graph)> {
    let mut v = vec![];
    for (h, t, d) in SHAPES {
        for moved in [true, false] {
            for hidden in [false, true] {
                let name = format!("h{h} t{t} d{d} moved {moved} hidden {hidden}");
                v.push((name, attention(h, t, d, moved, hidden)));
            }
        }
    }
    v
}

fn products(f: &Fixture) -> Vec<usize> {
    (0..f.spec.layers.len())
        .filter(|&i| matches!(f.spec.layers[i].kind, LayerKind::Product { .. }))
        .collect()
}

#[test]
fn the_heads_are_recognised_as_batched_products() {
    let spec = ChainSpec::recognise(&attention(4, 16, 16, true, false)).unwrap();
    let kinds: Vec<_> = spec.layers.iter().map(|l| l.kind).collect();
    assert!(matches!(
        kinds[..],
        [
            LayerKind::Move { .. },
            LayerKind::Product {
                b: Src::Layer(0),
                batch: 4,
                mult: 3,
                shift: 7
            },
            LayerKind::Product {
                b: Src::Input(0),
                batch: 4,
                mult: 1,
                shift: 11
            }
        ]
    ));
    assert_eq!(spec.layers[1].out, Layout { rows: 64, cols: 16 });
    assert!(spec.layers.iter().all(|l| !l.internal));
    // Read transposed: a gather of `B` (internal) before the first product.
    let spec = ChainSpec::recognise(&attention(4, 16, 16, false, false)).unwrap();
    assert!(spec.layers[0].internal);
    assert!(matches!(
        spec.layers[1].kind,
        LayerKind::Product {
            b: Src::Layer(0),
            ..
        }
    ));
    // Not powers of two: padded gathers and an output move per product.
    let spec = ChainSpec::recognise(&attention(3, 3, 5, true, false)).unwrap();
    let product = spec
        .layers
        .iter()
        .position(|l| matches!(l.kind, LayerKind::Product { .. }))
        .unwrap();
    assert!(spec.layers[product].internal);
    assert_eq!(spec.layers[product].out, Layout { rows: 12, cols: 3 });
    let bytes = spec.to_bytes();
    assert_eq!(ChainSpec::from_bytes(&bytes).unwrap(), spec);
    // A batch the layouts do not divide is refused on decoding.
    let mut bad = spec.clone();
    if let LayerKind::Product { batch, .. } = &mut bad.layers[product].kind {
        *batch = 5;
    }
    assert!(ChainSpec::from_bytes(&bad.to_bytes()).is_err());
}

#[test]
fn products_prove_verify_and_round_trip() {
    for (name, g) in graphs() {
        for seed in [1, 2] {
            let f = fixture_with(&g, random_input(&g, seed));
            assert_eq!(products(&f).len(), 2, "{name}");
            f.assert_proves_and_round_trips(&name);
        }
    }
}

#[test]
fn the_products_equal_the_ir_reference_on_random_inputs() {
    let mut proven = 0;
    for (h, t, d) in SHAPES {
        let g = attention(h, t, d, false, true);
        let spec = ChainSpec::recognise(&g).unwrap();
        for seed in 0..8 {
            let trace = verinfer_ir::reference::run(&g, &[random_input(&g, 100 + seed)]).unwrap();
            let layers = lower::layer_trace(&spec, &[], &trace).unwrap();
            for (i, l) in spec.layers.iter().enumerate() {
                if !matches!(l.kind, LayerKind::Product { .. }) {
                    continue;
                }
                // The semantics the prover checks are the IR's.
                assert_eq!(attn::values(&spec, l, &layers).unwrap(), layers[i + 1]);
                attn::witness(&spec, i, &layers, true).unwrap();
                proven += 1;
                let mut bad = layers.clone();
                bad[i + 1][1] += 1;
                assert!(matches!(
                    attn::witness(&spec, i, &bad, true),
                    Err(GkrError::TraceMismatch { node, index: 1, .. }) if node == i
                ));
            }
        }
    }
    assert_eq!(proven, 3 * 8 * 2);
}

#[test]
fn a_changed_public_output_is_rejected() {
    // The second product is the public output.
    for (name, g) in graphs()
        .into_iter()
        .filter(|(n, _)| n.contains("hidden false"))
    {
        let f = fixture_with(&g, random_input(&g, 3));
        f.assert_ends_rejected(&f.prove(), &name);
    }
}

#[test]
fn a_wrong_product_element_with_its_remainder_is_rejected() {
    // The remainder is the one the forged element implies, so the relation holds and the
    // remainder's range check stands in the way (the shifts are > 0).
    // (Specs without internal layers: the graph trace is the layers' trace.)
    let plain = |n: &String| n.contains("moved true") && !n.contains("h3");
    for (name, g) in graphs().into_iter().filter(|(n, _)| plain(n)) {
        for which in 0..2 {
            let mut f = fixture_with(&g, random_input(&g, 4));
            let i = products(&f)[which];
            f.trace[i + 1][2] += 1;
            // Later layers follow the forgery.
            for j in i + 1..f.spec.layers.len() {
                let l = f.spec.layers[j];
                f.trace[j + 1] = match l.kind {
                    LayerKind::Product { .. } => attn::values(&f.spec, &l, &f.trace).unwrap(),
                    LayerKind::Clip { .. } => f.trace[j].iter().map(|&v| v.max(0)).collect(),
                    _ => unreachable!(),
                };
            }
            f.assert_cheat_stopped(&name);
            f.assert_refused_at(f.spec.node_of(i));
        }
    }
}

#[test]
fn a_wrong_remainder_is_rejected() {
    let g = g4();
    let f = fixture_with(&g, random_input(&g, 5));
    for i in products(&f) {
        let p = f
            .prove_tampered(&f.trace, true, &|w| {
                let rem = w.get_mut(&columns::Poly::Rem(i)).unwrap();
                let mut t = rem.evals().to_vec();
                t[3] -= ark_bn254::Fr::from(1u64);
                *rem = crate::mle::DenseMle::new(t)?;
                Ok(())
            })
            .unwrap();
        let err = f.verify(f.output(), &p).unwrap_err();
        assert!(err.is_rejection(), "layer {i}: {err}");
    }
}

fn g4() -> Graph {
    attention(4, 16, 16, true, true)
}

#[test]
fn a_forged_operand_is_rejected() {
    // `kᵀ` (the first product's hidden operand) off by one with both products recomputed from
    // it: the products' relations hold, the transpose's wiring sumcheck does not.
    let mut f = fixture_with(&g4(), random_input(&g4(), 6));
    f.trace[1][5] += 1;
    for j in 1..f.spec.layers.len() {
        let l = f.spec.layers[j];
        f.trace[j + 1] = match l.kind {
            LayerKind::Product { .. } => attn::values(&f.spec, &l, &f.trace).unwrap(),
            LayerKind::Clip { .. } => f.trace[j].iter().map(|&v| v.max(0)).collect(),
            _ => unreachable!(),
        };
    }
    f.assert_cheat_rejected();
    f.assert_refused_at(0);
    // The scores `S` (the second product's hidden operand) forged with `S·x` recomputed.
    let mut f = fixture_with(&g4(), random_input(&g4(), 6));
    f.trace[2][7] += 3;
    for j in 2..f.spec.layers.len() {
        let l = f.spec.layers[j];
        f.trace[j + 1] = match l.kind {
            LayerKind::Product { .. } => attn::values(&f.spec, &l, &f.trace).unwrap(),
            LayerKind::Clip { .. } => f.trace[j].iter().map(|&v| v.max(0)).collect(),
            _ => unreachable!(),
        };
    }
    f.assert_cheat_stopped("S forged");
    f.assert_refused_at(1);
}

#[test]
fn a_changed_product_message_is_rejected() {
    for (name, g) in graphs().into_iter().filter(|(n, _)| n.contains("h4")) {
        let f = fixture_with(&g, random_input(&g, 7));
        let proof = f.prove();
        for i in products(&f) {
            f.assert_layer_message_rejected(&proof, i, &name);
        }
    }
}

#[test]
fn every_proof_word_changed_is_refused_or_rejected() {
    let g = attention(3, 3, 5, false, true);
    let f = fixture_with(&g, random_input(&g, 8));
    f.assert_every_word_checked(&f.prove());
}

#[test]
fn an_outer_product_is_refused_by_name() {
    // One head, one reduction term: `x[0, 0, i, 0]·x[0, 0, j, 0]`.
    let mut b = GraphBuilder::named("outer");
    let x = b.input(&[1, 1, 4, 1], 8);
    let rows = |a| {
        vec![
            row(&[], &[]),
            row(&[], &[]),
            row(&[(a, 1)], &[]),
            row(&[], &[(0, 1)]),
        ]
    };
    b.node(
        bmm([1, 1, 4, 4], 1, rows(2), rows(3), requant(1, 2, 16)),
        vec![x, x],
        &[1, 1, 4, 4],
        16,
    );
    match ChainSpec::recognise(&b.finish()) {
        Err(GkrError::Unsupported {
            node: Some(0),
            reason,
        }) => assert!(reason.contains("outer product"), "{reason}"),
        other => panic!("{other:?}"),
    }
}

/// Nodes `first..=last` of `g` as a graph whose input is node `first − 1`'s output.
fn subgraph(g: &Graph, first: usize, last: usize) -> Graph {
    // Value `first` (node `first − 1`'s output) becomes the input, value 0.
    let shift = |v: verinfer_ir::ValueId| {
        let k = v
            .index()
            .checked_sub(first)
            .expect("a value before the cut");
        verinfer_ir::ValueId(u32::try_from(k).unwrap())
    };
    let mut sub = g.clone();
    sub.inputs.truncate(1);
    sub.inputs[0].info = g.nodes[first - 1].out.clone();
    sub.nodes = g.nodes[first..=last].to_vec();
    for n in &mut sub.nodes {
        for o in &mut n.inputs {
            if let verinfer_ir::Operand::Value(v) = o {
                *v = shift(*v);
            }
        }
    }
    sub.outputs.truncate(1);
    sub.outputs[0].value = sub.node_value(sub.nodes.len() - 1);
    sub
}

#[test]
fn the_bundled_blocks_attention_products_are_covered() {
    let (g, x) = verinfer_testing::models::bundled("transformer_block");
    let trace = verinfer_ir::reference::run(&g, &x).unwrap();
    let by_name = |n: &str| g.nodes.iter().position(|node| node.name == n).unwrap();
    // Both products need no gather: `Kᵀ` is its own transpose node, the heads a batch.
    for name in ["qk_matmul", "av_matmul"] {
        let i = by_name(name);
        let node = &g.nodes[i];
        let verinfer_ir::Op::Contract(c) = &node.op else {
            panic!("{name} is not a Contract")
        };
        let dims = |o: verinfer_ir::Operand| g.operand_info(o).unwrap().shape.dims().to_vec();
        let p = attn::plan2(
            c,
            &dims(node.inputs[0]),
            &dims(node.inputs[1]),
            node.out.shape.dims(),
        )
        .unwrap();
        assert_eq!((p.a, p.b, p.out), (None, None, None), "{name}");
        assert_eq!(
            p.dims,
            attn::Dims {
                batch: 4,
                m: 16,
                k: 16,
                n: 16
            }
        );
    }
    // From the first layer norm's output to the scaled, max-subtracted scores (the block up
    // to its softmax's exp table): Q, K, V projections, reshapes, transposes, `Q·Kᵀ`.
    let (first, last) = (by_name("q_matmul"), by_name("softmax/2/rescale"));
    let sub = subgraph(&g, first, last);
    let f = fixture_with(&sub, trace[first].clone());
    assert_eq!(f.output(), &trace[last + 1][..]);
    let products = products(&f);
    assert_eq!(products.len(), 1);
    assert!(matches!(
        f.spec.layers[products[0]].kind,
        LayerKind::Product { batch: 4, .. }
    ));
    let proof = f.prove();
    f.verify(f.output(), &proof).unwrap();
    let mut y = f.output().to_vec();
    y[7] += 1;
    assert!(f.verify(&y, &proof).unwrap_err().is_rejection());
}

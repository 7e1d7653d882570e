//! The word encoding of every op variant, word for word, and its decoding back.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use verinfer_commit::decode::{decode_header, decode_node, DecodeError, NodeSemantics};
use verinfer_commit::encode::{
    binary_kind_word, graph_digest, graph_tree, header_words, node_words, param_kind_word,
    reduce_kind_word, words_bytes, words_hash, Word, BINARY_KINDS, ENCODING_VERSION, GRAPH_DOMAIN,
    PARAM_KINDS, REDUCE_KINDS,
};
use verinfer_commit::{verify_path, ModelCommitment};
use verinfer_ir::{
    AffineMap, AffineRow, Binary, BinaryKind, Bits, Contract, Div, Gather, Graph, ISqrt, InputSpec,
    Lookup, Move, Node, Op, Operand, OutputSpec, Param, ParamId, ParamKind, Reduce, ReduceKind,
    Scale, Shape, TensorInfo, ValueId,
};
use verinfer_testing::{info_at as info, requant as rq};

fn node(op: Op, inputs: Vec<Operand>, out: TensorInfo) -> Node {
    Node {
        name: "n".into(),
        origin: "X".into(),
        op,
        inputs,
        out,
    }
}

const V: fn(u32) -> Operand = |v| Operand::Value(ValueId(v));
const P: fn(u32) -> Operand = |p| Operand::Param(ParamId(p));

/// The graph the per-op tests' nodes live in: values `0..6` are graph inputs, value `k` of
/// shape `[k + 1]`, scale `k`, 16 bits; parameters `0..10`, parameter `p` of shape `[p + 2]`,
/// scale 0, 8 bits.
fn ctx() -> Graph {
    Graph {
        name: "ctx".into(),
        inputs: (0..6)
            .map(|k| InputSpec {
                name: format!("x{k}"),
                info: info(&[k + 1], k as i32, 16),
            })
            .collect(),
        params: (0..10)
            .map(|p| Param {
                name: format!("p{p}"),
                kind: ParamKind::Weight,
                info: info(&[p + 2], 0, 8),
                data: vec![0; p + 2].into(),
            })
            .collect(),
        nodes: vec![],
        outputs: vec![],
    }
}

/// Words of value `k`'s info in [`ctx`].
fn vi(k: Word) -> [Word; 4] {
    [1, k + 1, k, 16]
}

/// Words of parameter `p`'s info in [`ctx`].
fn pi(p: Word) -> [Word; 4] {
    [1, p + 2, 0, 8]
}

/// Concatenate word groups.
fn cat(parts: &[&[Word]]) -> Vec<Word> {
    parts.concat()
}

/// Encode in [`ctx`], compare with the expected words, decode back, and check names do not
/// matter.
fn check(n: &Node, want: &[Word]) {
    let g = ctx();
    let words = node_words(&g, n);
    assert_eq!(words, want, "{:?}", n.op);
    let back = decode_node(&words).unwrap();
    assert_eq!(
        back,
        NodeSemantics {
            op: n.op.clone(),
            inputs: n.inputs.clone(),
            input_infos: n
                .inputs
                .iter()
                .map(|&o| g.operand_info(o).unwrap().clone())
                .collect(),
            attr_info: n.op.attr_param().map(|p| g.params[p.index()].info.clone()),
            out: n.out.clone(),
        }
    );
    let mut renamed = n.clone();
    renamed.name = "other".into();
    renamed.origin = "Other".into();
    assert_eq!(node_words(&g, &renamed), words);
    // Every strict prefix is rejected, and so is a trailing word.
    for k in 0..words.len() {
        assert!(decode_node(&words[..k]).is_err(), "prefix {k} decoded");
    }
    let mut longer = words.clone();
    longer.push(0);
    assert_eq!(decode_node(&longer), Err(DecodeError::Trailing(1)));
}

#[test]
fn encode_contract() {
    let map = |o: Vec<i64>, r: Vec<i64>, off: i64| AffineMap {
        rows: vec![AffineRow {
            out: o,
            red: r,
            offset: off,
        }],
    };
    let c = Contract {
        out_iter: vec![2, 3],
        red: vec![4],
        x_map: map(vec![1, 0], vec![1], -1),
        w_map: map(vec![0, 5], vec![-2], 0),
        bias_map: Some(map(vec![0, 1], vec![0], 0)),
        bias_shift: 7,
        requant: rq(3, 9, 16),
    };
    let n = node(
        Op::Contract(c.clone()),
        vec![V(0), P(1), P(2)],
        info(&[2, 3], 5, 16),
    );
    #[rustfmt::skip]
    let want = [
        1,                      // tag
        2, 2, 3,                // out_iter
        1, 4,                   // red
        1, 2, 1, 0, 1, 1, -1,   // x_map: 1 row [out 1,0][red 1] offset -1
        1, 2, 0, 5, 1, -2, 0,   // w_map
        1, 1, 2, 0, 1, 1, 0, 0, // bias present, map
        7,                      // bias_shift
        3, 9, 16,               // requant
        3,                      // operands: value 0, param 1, param 2, each with its info
        0, 0, 1, 1, 0, 16,
        1, 1, 1, 3, 0, 8,
        1, 2, 1, 4, 0, 8,
        2, 2, 3, 5, 16,         // out info
    ];
    check(&n, &want);
    let mut no_bias = c;
    no_bias.bias_map = None;
    let n = node(Op::Contract(no_bias), vec![V(0), P(1)], info(&[6], -3, 8));
    #[rustfmt::skip]
    let want = [
        1, 2, 2, 3, 1, 4,
        1, 2, 1, 0, 1, 1, -1,
        1, 2, 0, 5, 1, -2, 0,
        0,                      // no bias
        7, 3, 9, 16,
        2, 0, 0, 1, 1, 0, 16, 1, 1, 1, 3, 0, 8,
        1, 6, -3, 8,
    ];
    check(&n, &want);
}

#[test]
fn encode_rescale() {
    let n = node(Op::Rescale(rq(5, 3, 12)), vec![V(4)], info(&[], 0, 12));
    check(&n, &[2, 5, 3, 12, 1, 0, 4, 1, 5, 4, 16, 0, 0, 12]);
}

#[test]
fn encode_binary_every_kind() {
    for (kind, k) in [
        (BinaryKind::Add, 0),
        (BinaryKind::Sub, 1),
        (BinaryKind::Mul, 2),
        (BinaryKind::Max, 3),
        (BinaryKind::Min, 4),
    ] {
        let n = node(
            Op::Binary(Binary {
                kind,
                a_mult: -2,
                b_mult: 1 << 40,
                requant: rq(1, 0, 16),
            }),
            vec![V(1), P(0)],
            info(&[4, 1], 8, 16),
        );
        check(
            &n,
            &cat(&[
                &[3, k, -2, 1 << 40, 1, 0, 16, 2, 0, 1],
                &vi(1),
                &[1, 0],
                &pi(0),
                &[2, 4, 1, 8, 16],
            ]),
        );
    }
}

/// The decoder reads a kind word as an index into these tables.
#[test]
fn kind_tables_are_in_word_order() {
    for (i, &k) in BINARY_KINDS.iter().enumerate() {
        assert_eq!(binary_kind_word(k), i as Word, "{k:?}");
    }
    for (i, &k) in REDUCE_KINDS.iter().enumerate() {
        assert_eq!(reduce_kind_word(k), i as Word, "{k:?}");
    }
    for (i, &k) in PARAM_KINDS.iter().enumerate() {
        assert_eq!(param_kind_word(k), i as Word, "{k:?}");
    }
}

#[test]
fn encode_lookup() {
    let n = node(
        Op::Lookup(Lookup {
            table: ParamId(3),
            lo: -2048,
        }),
        vec![V(2)],
        info(&[10], 12, 16),
    );
    check(
        &n,
        &[4, 3, 1, 5, 0, 8, -2048, 1, 0, 2, 1, 3, 2, 16, 1, 10, 12, 16],
    );
}

#[test]
fn encode_reduce_every_kind() {
    for (kind, k, keep) in [
        (ReduceKind::Sum, 0, true),
        (ReduceKind::Max, 1, false),
        (ReduceKind::ArgMax, 2, true),
    ] {
        let out = if keep { vec![2, 1, 1] } else { vec![2] };
        let n = node(
            Op::Reduce(Reduce {
                kind,
                axes: vec![1, 2],
                keep_dims: keep,
                requant: rq(1, 2, 16),
            }),
            vec![V(0)],
            info(&out, 4, 16),
        );
        let mut want = vec![5, k, 2, 1, 2, Word::from(keep), 1, 2, 16, 1, 0, 0];
        want.extend(vi(0));
        want.push(out.len() as Word);
        want.extend(out.iter().map(|&d| d as Word));
        want.extend([4, 16]);
        check(&n, &want);
    }
}

#[test]
fn encode_div() {
    let n = node(
        Op::Div(Div {
            shift: 12,
            requant: rq(1, 0, 16),
        }),
        vec![V(0), V(1)],
        info(&[3], 12, 16),
    );
    check(
        &n,
        &cat(&[
            &[6, 12, 1, 0, 16, 2, 0, 0],
            &vi(0),
            &[0, 1],
            &vi(1),
            &[1, 3, 12, 16],
        ]),
    );
}

#[test]
fn encode_isqrt() {
    let n = node(
        Op::ISqrt(ISqrt {
            shift: 14,
            requant: rq(1, 1, 16),
        }),
        vec![V(0)],
        info(&[3], 11, 16),
    );
    check(
        &n,
        &cat(&[&[9, 14, 1, 1, 16, 1, 0, 0], &vi(0), &[1, 3, 11, 16]]),
    );
}

#[test]
fn encode_move() {
    let n = node(
        Op::Move(Move {
            map: ParamId(9),
            fill: -1,
        }),
        vec![V(0), P(2), V(5)],
        info(&[2, 2], 6, 8),
    );
    check(
        &n,
        &cat(&[
            &[7, 9],
            &pi(9),
            &[-1, 3, 0, 0],
            &vi(0),
            &[1, 2],
            &pi(2),
            &[0, 5],
            &vi(5),
            &[2, 2, 2, 6, 8],
        ]),
    );
}

#[test]
fn encode_gather() {
    let n = node(
        Op::Gather(Gather { axis: 1 }),
        vec![P(0), V(0)],
        info(&[5, 3], 7, 16),
    );
    check(
        &n,
        &[8, 1, 2, 1, 0, 1, 2, 0, 8, 0, 0, 1, 1, 0, 16, 2, 5, 3, 7, 16],
    );
}

#[test]
fn bad_tags_are_rejected() {
    assert!(matches!(
        decode_node(&[10, 0, 0, 0, 16]),
        Err(DecodeError::Invalid { at: 0, .. })
    ));
    assert!(matches!(
        decode_node(&[3, 5, 1, 1, 1, 0, 16, 0, 0, 0, 16]),
        Err(DecodeError::Invalid { at: 1, .. })
    ));
    assert!(matches!(
        decode_node(&[8, 0, 1, 2, 0, 0, 0, 16]),
        Err(DecodeError::Invalid { at: 3, .. })
    ));
    // An operand's info is checked like the output's: bits 0 is not a bound.
    assert!(matches!(
        decode_node(&[8, 0, 1, 0, 0, 0, 0, 0, 0, 0, 16]),
        Err(DecodeError::Invalid { at: 7, .. })
    ));
    // An absurd length prefix fails without allocating.
    assert!(decode_node(&[8, 0, Word::from(u32::MAX), 0]).is_err());
}

#[test]
fn operand_facts_are_part_of_the_node() {
    let g = ctx();
    let n = node(Op::Rescale(rq(1, 0, 16)), vec![V(2)], info(&[3], 2, 16));
    let words = node_words(&g, &n);
    // The same node over an input of another shape, scale or bound has other words.
    for change in 0..3 {
        let mut h = g.clone();
        let i = &mut h.inputs[2].info;
        match change {
            0 => i.shape = Shape(vec![3, 1]),
            1 => i.scale = Scale::new(-2).unwrap(),
            _ => i.bits = Bits::new(15).unwrap(),
        }
        assert_ne!(node_words(&h, &n), words, "change {change}");
    }
    // So does a lookup over a table of another length.
    let l = node(
        Op::Lookup(Lookup {
            table: ParamId(3),
            lo: 0,
        }),
        vec![V(2)],
        info(&[3], 2, 16),
    );
    let mut h = g.clone();
    h.params[3].info.shape = Shape(vec![6]);
    assert_ne!(node_words(&h, &l), node_words(&g, &l));
}

#[test]
fn a_dangling_operand_is_written_but_never_decodes() {
    let g = ctx();
    let n = node(Op::Rescale(rq(1, 0, 16)), vec![V(17)], info(&[3], 2, 16));
    let words = node_words(&g, &n);
    assert_eq!(words, [2, 1, 0, 16, 1, 0, 17, 0, 0, 0, 1, 3, 2, 16]);
    assert!(matches!(
        decode_node(&words),
        Err(DecodeError::Invalid { at: 9, .. })
    ));
    let l = node(
        Op::Lookup(Lookup {
            table: ParamId(99),
            lo: 0,
        }),
        vec![V(2)],
        info(&[3], 2, 16),
    );
    assert!(decode_node(&node_words(&g, &l)).is_err());
}

fn tiny_graph() -> Graph {
    Graph {
        name: "tiny".into(),
        inputs: vec![InputSpec {
            name: "x".into(),
            info: info(&[3], 4, 16),
        }],
        params: vec![
            Param {
                name: "c".into(),
                kind: ParamKind::Weight,
                info: info(&[3], 4, 16),
                data: vec![1, -2, 3].into(),
            },
            Param {
                name: "t".into(),
                kind: ParamKind::Table,
                info: info(&[4], 4, 16),
                data: vec![0, 1, 2, 3].into(),
            },
        ],
        nodes: vec![
            node(
                Op::Binary(Binary {
                    kind: BinaryKind::Add,
                    a_mult: 1,
                    b_mult: 1,
                    requant: rq(1, 0, 16),
                }),
                vec![V(0), P(0)],
                info(&[3], 4, 16),
            ),
            node(
                Op::Lookup(Lookup {
                    table: ParamId(1),
                    lo: -2,
                }),
                vec![V(1)],
                info(&[3], 4, 16),
            ),
        ],
        outputs: vec![OutputSpec {
            name: "y".into(),
            value: ValueId(2),
        }],
    }
}

#[test]
fn header_layout_and_decoding() {
    let g = tiny_graph();
    let w = header_words(&g);
    #[rustfmt::skip]
    let want = vec![
        GRAPH_DOMAIN, ENCODING_VERSION,
        1, 1, 3, 4, 16,                  // inputs
        2, 0, 1, 3, 4, 16, 3, 2, 1, 4, 4, 16, 4, // params: kind, info, len
        1, 2,                            // outputs
        2,                               // nodes
    ];
    assert_eq!(w, want);
    let h = decode_header(&w).unwrap();
    assert_eq!(h.num_nodes, 2);
    assert_eq!(h.params[1].kind, ParamKind::Table);
    assert_eq!(h.params[1].len, 4);
    assert_eq!(h.outputs, vec![ValueId(2)]);
    // Another version (the previous one included) is rejected.
    for v in [1, ENCODING_VERSION + 1] {
        let mut other = w.clone();
        other[1] = v;
        assert!(decode_header(&other).is_err());
    }
}

#[test]
fn words_are_int256_big_endian() {
    let b = words_bytes(&[1, -1, GRAPH_DOMAIN]);
    assert_eq!(b.len(), 96);
    assert_eq!(b[31], 1);
    assert!(b[..31].iter().all(|&x| x == 0));
    assert!(b[32..64].iter().all(|&x| x == 0xff));
    assert_eq!(&b[64 + 18..96], b"verinfer.graph");
}

#[test]
fn digest_changes_with_every_semantic_field_but_not_names() {
    let g = tiny_graph();
    let d = graph_digest(&g);
    let mut renamed = g.clone();
    renamed.name = "x".into();
    renamed.inputs[0].name = "y".into();
    renamed.params[0].name = "z".into();
    renamed.outputs[0].name = "w".into();
    renamed.nodes[1].name = "v".into();
    assert_eq!(graph_digest(&renamed), d);
    let mut changes: Vec<Graph> = vec![];
    let mut c = g.clone();
    c.inputs[0].info.scale = Scale::new(5).unwrap();
    changes.push(c);
    let mut c = g.clone();
    c.params[0].kind = ParamKind::Bias;
    changes.push(c);
    let mut c = g.clone();
    c.outputs[0].value = ValueId(1);
    changes.push(c);
    let mut c = g.clone();
    c.nodes[1].op = Op::Lookup(Lookup {
        table: ParamId(1),
        lo: -3,
    });
    changes.push(c);
    let mut c = g.clone();
    c.nodes[0].inputs.swap(0, 1);
    changes.push(c);
    let mut c = g.clone();
    c.nodes.swap(0, 1);
    changes.push(c);
    for c in &changes {
        assert_ne!(graph_digest(c), d);
    }
    // Parameter data is not in the digest, but it is in the model id.
    let mut c = g.clone();
    let mut vals = c.params[0].data.to_vec();
    vals[2] = 4;
    c.params[0].data = vals.into();
    assert_eq!(graph_digest(&c), d);
    assert_ne!(
        ModelCommitment::new(&c).model_id,
        ModelCommitment::new(&g).model_id
    );
}

#[test]
fn one_node_opens_against_the_model_id() {
    let g = tiny_graph();
    let m = ModelCommitment::new(&g);
    let gt = graph_tree(&g);
    assert_eq!(gt.root(), m.graph_digest);
    // The arbiter's check for node 1: its words hash to leaf 2 of the digest tree, and the
    // digest is leaf 0 of the model tree.
    let words = node_words(&g, &g.nodes[1]);
    let leaf = words_hash(&words);
    verify_path(m.graph_digest, leaf, 2, &gt.path(2).unwrap()).unwrap();
    verify_path(m.model_id.hash(), m.graph_digest, 0, &m.graph_digest_path()).unwrap();
    verify_path(
        m.model_id.hash(),
        m.param_roots[1],
        2,
        &m.param_path(1).unwrap(),
    )
    .unwrap();
    assert!(m.param_path(2).is_err());
}

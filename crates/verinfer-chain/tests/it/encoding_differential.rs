//! The Solidity encoding constants (`contracts/src/Encoding.sol`, read through
//! `EncodingHarness` on the in-process EVM) against the Rust ones: header domain and version,
//! op tags, operand tags, binary / reduce / parameter kind words (`verinfer_commit::encode`),
//! and the ranges both decoders enforce (`Scale::LIMIT`, `Bits`, the IR's integer types).
//!
//! Changing a constant on either side fails this test. Each Rust enum is matched exhaustively
//! (`sol_*` below), so adding an op or a kind fails to compile here until its Solidity constant
//! is decided; op tags are read from `node_words` (what the encoder really writes), and the
//! largest tag and kind words the Solidity decoder accepts must be the largest ones the Rust
//! decoder accepts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;
use alloy_primitives::{I256, U256};
use alloy_sol_types::SolCall;
use common::Harness;
use verinfer_chain::bindings::EncodingHarness;
use verinfer_chain::Chain;
use verinfer_commit::decode::{decode_node, DecodeError};
use verinfer_commit::encode::{
    binary_kind_word, header_words, node_words, param_kind_word, reduce_kind_word, tag, Word,
    ENCODING_VERSION, GRAPH_DOMAIN,
};
use verinfer_ir::{
    AffineMap, Binary, BinaryKind, Bits, Contract, Div, Gather, Graph, ISqrt, Lookup, Move, Node,
    Op, ParamId, ParamKind, Reduce, ReduceKind, Requant, Scale, Shape, TensorInfo, ISQRT_MAX_SHIFT,
};

fn deploy() -> Harness {
    Harness::deploy(&EncodingHarness::BYTECODE, "deploy EncodingHarness")
}

fn call<C: SolCall>(h: &mut Harness, call: &C) -> C::Return {
    let out = h
        .chain
        .call(h.from, h.at, call.abi_encode().into())
        .unwrap();
    C::abi_decode_returns(&out).unwrap()
}

/// A Solidity unsigned constant as a word.
fn word(x: U256) -> Word {
    Word::try_from(x).unwrap()
}

/// A Solidity signed constant as a word.
fn sword(x: I256) -> Word {
    Word::try_from(x).unwrap()
}

// ------------------------------------------------------------------------------------------
// The Rust enums, matched exhaustively onto the harness's arrays (which follow their order)
// ------------------------------------------------------------------------------------------

fn sol_tag(op: &Op, tags: &[U256; 9]) -> U256 {
    tags[match op {
        Op::Contract(_) => 0,
        Op::Rescale(_) => 1,
        Op::Binary(_) => 2,
        Op::Lookup(_) => 3,
        Op::Reduce(_) => 4,
        Op::Div(_) => 5,
        Op::Move(_) => 6,
        Op::Gather(_) => 7,
        Op::ISqrt(_) => 8,
    }]
}

fn sol_binary(k: BinaryKind, kinds: &[U256; 5]) -> U256 {
    kinds[match k {
        BinaryKind::Add => 0,
        BinaryKind::Sub => 1,
        BinaryKind::Mul => 2,
        BinaryKind::Max => 3,
        BinaryKind::Min => 4,
    }]
}

fn sol_reduce(k: ReduceKind, kinds: &[U256; 3]) -> U256 {
    kinds[match k {
        ReduceKind::Sum => 0,
        ReduceKind::Max => 1,
        ReduceKind::ArgMax => 2,
    }]
}

fn sol_param(k: ParamKind, kinds: &[U256; 4]) -> U256 {
    kinds[match k {
        ParamKind::Weight => 0,
        ParamKind::Bias => 1,
        ParamKind::Table => 2,
        ParamKind::IndexMap => 3,
    }]
}

const BINARY_KINDS: [BinaryKind; 5] = [
    BinaryKind::Add,
    BinaryKind::Sub,
    BinaryKind::Mul,
    BinaryKind::Max,
    BinaryKind::Min,
];
const REDUCE_KINDS: [ReduceKind; 3] = [ReduceKind::Sum, ReduceKind::Max, ReduceKind::ArgMax];
const PARAM_KINDS: [ParamKind; 4] = [
    ParamKind::Weight,
    ParamKind::Bias,
    ParamKind::Table,
    ParamKind::IndexMap,
];

fn empty_graph() -> Graph {
    Graph {
        name: "encoding".into(),
        inputs: vec![],
        params: vec![],
        nodes: vec![],
        outputs: vec![],
    }
}

/// One op of every variant (attributes arbitrary: only the tag is looked at).
fn one_op_each() -> Vec<Op> {
    let rq = Requant::clamp_only(Bits::new(8).unwrap());
    let map = AffineMap { rows: vec![] };
    vec![
        Op::Contract(Contract {
            out_iter: vec![1],
            red: vec![1],
            x_map: map.clone(),
            w_map: map,
            bias_map: None,
            bias_shift: 0,
            requant: rq,
        }),
        Op::Rescale(rq),
        Op::Binary(Binary {
            kind: BinaryKind::Add,
            a_mult: 1,
            b_mult: 1,
            requant: rq,
        }),
        Op::Lookup(Lookup {
            table: ParamId(0),
            lo: 0,
        }),
        Op::Reduce(Reduce {
            kind: ReduceKind::Sum,
            axes: vec![],
            keep_dims: false,
            requant: rq,
        }),
        Op::Div(Div {
            shift: 0,
            requant: rq,
        }),
        Op::Move(Move {
            map: ParamId(0),
            fill: 0,
        }),
        Op::Gather(Gather { axis: 0 }),
        Op::ISqrt(ISqrt {
            shift: 0,
            requant: rq,
        }),
    ]
}

/// The word an encoder writes first for `op`: its tag.
fn rust_tag(op: &Op) -> Word {
    let node = Node {
        name: "n".into(),
        origin: "test".into(),
        op: op.clone(),
        inputs: vec![],
        out: TensorInfo {
            shape: Shape(vec![1]),
            scale: Scale::new(0).unwrap(),
            bits: Bits::new(8).unwrap(),
        },
    };
    node_words(&empty_graph(), &node)[0]
}

/// Whether the Rust decoder rejects the word at `at` of `words` as an invalid `what` (rather
/// than reading past it and running out of words).
/// Solidity's word of every kind (`sol`) is Rust's (`rust`), and Solidity's `last` is the
/// largest; returns it.
fn kind_words_agree<K: Copy + std::fmt::Debug, const N: usize>(
    kinds: [K; N],
    sol: fn(K, &[U256; N]) -> U256,
    sol_words: &[U256; N],
    rust: fn(K) -> Word,
    last: U256,
) -> Word {
    for k in kinds {
        assert_eq!(word(sol(k, sol_words)), rust(k), "{k:?}");
    }
    let last = word(last);
    assert_eq!(Some(last), kinds.map(rust).into_iter().max());
    last
}

/// Rust's decoder takes `last` as the kind word after `tag` and rejects `last + 1`.
fn kind_bound_agrees(tag: Word, last: Word, what: &str) {
    assert!(rust_rejects(&[tag, last + 1], 1, what));
    assert!(!rust_rejects(&[tag, last], 1, what));
}

fn rust_rejects(words: &[Word], at: usize, what: &str) -> bool {
    match decode_node(words) {
        Err(DecodeError::Invalid { at: a, what: w, .. }) => a == at && w == what,
        Err(DecodeError::Truncated { .. }) => false,
        other => panic!("{words:?}: unexpected {other:?}"),
    }
}

// ------------------------------------------------------------------------------------------
// The test
// ------------------------------------------------------------------------------------------

#[test]
fn header_words_match() {
    let mut h = deploy();
    let r = call(&mut h, &EncodingHarness::headerCall {});
    assert_eq!(sword(r.domain), GRAPH_DOMAIN);
    assert_eq!(sword(r.version), ENCODING_VERSION);
    assert_eq!(
        header_words(&empty_graph())[..2],
        [sword(r.domain), sword(r.version)]
    );
}

#[test]
fn op_tags_match() {
    let mut h = deploy();
    let r = call(&mut h, &EncodingHarness::opTagsCall {});
    let ops = one_op_each();
    for op in &ops {
        assert_eq!(word(sol_tag(op, &r.tags)), rust_tag(op), "{op:?}");
    }
    // The named constants are the words the encoder writes.
    let named = [
        tag::CONTRACT,
        tag::RESCALE,
        tag::BINARY,
        tag::LOOKUP,
        tag::REDUCE,
        tag::DIV,
        tag::MOVE,
        tag::GATHER,
        tag::ISQRT,
    ];
    assert_eq!(ops.iter().map(rust_tag).collect::<Vec<_>>(), named);
    // Tags 1 ..= last, and nothing else, are ops on both sides.
    let last = word(r.last);
    assert_eq!(Some(last), named.iter().copied().max());
    assert_eq!(named.iter().copied().min(), Some(1));
    assert!(rust_rejects(&[last + 1], 0, "op tag"));
    assert!(rust_rejects(&[0], 0, "op tag"));
    assert!(!rust_rejects(&[last], 0, "op tag"));
}

#[test]
fn operand_tags_match() {
    let mut h = deploy();
    let r = call(&mut h, &EncodingHarness::operandTagsCall {});
    assert_eq!(word(r.value), tag::OPERAND_VALUE);
    assert_eq!(word(r.param), tag::OPERAND_PARAM);
    assert_eq!(word(r.last), tag::OPERAND_VALUE.max(tag::OPERAND_PARAM));
}

#[test]
fn kind_words_match() {
    let mut h = deploy();

    let r = call(&mut h, &EncodingHarness::binaryKindsCall {});
    let last = kind_words_agree(BINARY_KINDS, sol_binary, &r.kinds, binary_kind_word, r.last);
    kind_bound_agrees(tag::BINARY, last, "binary kind");

    let r = call(&mut h, &EncodingHarness::reduceKindsCall {});
    let last = kind_words_agree(REDUCE_KINDS, sol_reduce, &r.kinds, reduce_kind_word, r.last);
    kind_bound_agrees(tag::REDUCE, last, "reduce kind");

    let r = call(&mut h, &EncodingHarness::paramKindsCall {});
    kind_words_agree(PARAM_KINDS, sol_param, &r.kinds, param_kind_word, r.last);
}

#[test]
fn op_limits_match() {
    let mut h = deploy();
    let r = call(&mut h, &EncodingHarness::opLimitsCall {});
    assert_eq!(word(r.isqrtMaxShift), Word::from(ISQRT_MAX_SHIFT));
    assert_eq!(
        word(r.reduceMaxSteps),
        Word::from(verinfer_ir::ops::reduce::MAX_STEPS)
    );
}

#[test]
fn bounds_match() {
    let mut h = deploy();
    let r = call(&mut h, &EncodingHarness::boundsCall {});
    assert_eq!(sword(r.i64Min), Word::from(i64::MIN));
    assert_eq!(sword(r.i64Max), Word::from(i64::MAX));
    assert_eq!(sword(r.i32Min), Word::from(i32::MIN));
    assert_eq!(sword(r.i32Max), Word::from(i32::MAX));
    assert_eq!(word(r.u32Max), Word::from(u32::MAX));
    // Rust decodes `usize` fields; the chain side assumes a 64-bit target.
    assert_eq!(word(r.usizeMax), Word::try_from(usize::MAX).unwrap());
    assert_eq!(word(r.usizeMax), Word::from(u64::MAX));

    // Scale exponents lie in [-LIMIT, LIMIT].
    let limit = sword(r.scaleLimit);
    assert_eq!(limit, Word::from(Scale::LIMIT));
    let s = i32::try_from(limit).unwrap();
    assert!(Scale::new(s).is_ok() && Scale::new(-s).is_ok());
    assert!(Scale::new(s + 1).is_err() && Scale::new(-s - 1).is_err());

    // Bit bounds lie in 1 ..= BITS_MAX.
    let b = u32::try_from(word(r.bitsMax)).unwrap();
    assert!(Bits::new(1).is_ok() && Bits::new(b).is_ok());
    assert!(Bits::new(0).is_err() && Bits::new(b + 1).is_err());
}

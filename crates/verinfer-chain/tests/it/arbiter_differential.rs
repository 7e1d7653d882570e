//! Rust scalar reference vs Solidity `Arbiter` (through `ArbiterHarness` on the in-process EVM).
//!
//! For every primitive a random single-node graph is built (and validated), its node words come
//! from `verinfer_commit::encode::node_words`, the reference interpreter computes the output,
//! and the harness — decoding the words, asking the library which operand elements each output
//! element and step reads, and recomputing with the library — must return the same integers:
//! whole output elements for every op, and for the accumulating ops (Contract, Reduce) any
//! segment `[a, b)` of the accumulation started from Rust's `acc_a` must end at Rust's `acc_b`.
//! The decoded node itself must equal Rust's decoding, and the decoder must accept exactly the
//! word lists Rust's decoder accepts (mutated, truncated and extended words included).
//!
//! `cargo test --release -p verinfer-chain --test arbiter_differential -- --ignored --nocapture`
//! prints the gas table of docs/protocol-arbiter.md.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

use crate::common;
use common::Harness;
use std::cell::RefCell;
use verinfer_testing::check::{Interpretation, Verdict};
use verinfer_testing::graph::Case;
use verinfer_testing::maps::{Conv2d, MatMul};
use verinfer_testing::ops as gen;
use verinfer_testing::{requant, Rng};

use alloy_primitives::I256;
use alloy_sol_types::SolCall;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use verinfer_chain::bindings::{Arbiter, ArbiterHarness};
use verinfer_chain::{Chain, ChainError, U256};
use verinfer_commit::decode::{decode_node, NodeSemantics};
use verinfer_commit::encode::{node_words, Word};
use verinfer_ir::ops::{self, reduce, TensorRef};
use verinfer_ir::shape::unravel_into;
use verinfer_ir::{
    AffineMap, Binary, BinaryKind, Bits, Div, Gather, Graph, ISqrt, Lookup, Move, Node, Op,
    Operand, ParamKind, Reduce, ReduceKind, Requant, TensorInfo,
};
use verinfer_testing::rng::runner;

// ------------------------------------------------------------------------------------------
// The harness on revm
// ------------------------------------------------------------------------------------------

impl Harness {
    fn arbiter() -> Self {
        Harness::deploy(&ArbiterHarness::BYTECODE, "deploy ArbiterHarness")
    }

    /// The call's result, or the decoded revert reason.
    fn call<C: SolCall>(&mut self, call: &C) -> Result<C::Return, String> {
        match self
            .chain
            .call(self.from, self.at, call.abi_encode().into())
        {
            Ok(out) => Ok(C::abi_decode_returns(&out).unwrap()),
            Err(ChainError::Reverted { reason, .. }) => Err(reason),
            Err(e) => panic!("call failed without a revert: {e}"),
        }
    }

    fn element(&mut self, t: &Tested, j: usize) -> Result<i32, String> {
        self.call(&ArbiterHarness::elementOfCall {
            words: t.sol_words.clone(),
            j: U256::from(j),
            operands: t.operands.clone(),
            attr: t.attr.clone(),
        })
    }

    fn segment(
        &mut self,
        t: &Tested,
        j: usize,
        a: usize,
        b: usize,
        acc_a: i64,
        stepwise: bool,
    ) -> Result<I256, String> {
        self.call(&ArbiterHarness::segmentOfCall {
            words: t.sol_words.clone(),
            j: U256::from(j),
            a: U256::from(a),
            b: U256::from(b),
            accA: I256::try_from(acc_a).unwrap(),
            operands: t.operands.clone(),
            stepwise,
        })
    }

    fn decode(&mut self, words: &[Word]) -> Result<Arbiter::Node, String> {
        self.call(&ArbiterHarness::decodeCall {
            words: sol_words(words),
        })
    }
}

fn sol_words(words: &[Word]) -> Vec<I256> {
    words.iter().map(|&w| I256::try_from(w).unwrap()).collect()
}

fn u(v: usize) -> U256 {
    U256::from(v)
}

fn i(v: i64) -> I256 {
    I256::try_from(v).unwrap()
}

// ------------------------------------------------------------------------------------------
// The checks
// ------------------------------------------------------------------------------------------

/// A validated case, run by the reference, in the harness's terms.
struct Tested {
    g: Graph,
    words: Vec<Word>,
    sol_words: Vec<I256>,
    /// Row-major data of each operand of the tested node.
    data: Vec<Vec<i32>>,
    operands: Vec<Vec<i32>>,
    attr: Vec<i32>,
    out: Vec<i32>,
}

impl Tested {
    fn new(c: Case) -> Self {
        verinfer_ir::validate::validate(&c.g).expect("generated graphs must validate");
        let values = verinfer_ir::reference::run(&c.g, &c.inputs).expect("reference run");
        Self::from_values(c.g, &values)
    }

    /// The last node of `g` as the tested one, its operands and output read from `values` (a
    /// reference run of `g` or of a graph that `g` is a prefix of).
    fn from_values(g: Graph, values: &[Vec<i32>]) -> Self {
        let node = g.nodes.last().unwrap();
        let words = node_words(&g, node);
        let data: Vec<Vec<i32>> = node
            .inputs
            .iter()
            .map(|&o| match o {
                Operand::Value(v) => values[v.index()].clone(),
                Operand::Param(p) => g.params[p.index()].data.to_vec(),
            })
            .collect();
        let attr = node
            .op
            .attr_param()
            .map(|p| g.params[p.index()].data.to_vec())
            .unwrap_or_default();
        Self {
            sol_words: sol_words(&words),
            words,
            operands: data.clone(),
            data,
            attr,
            out: values[g.inputs.len() + g.nodes.len() - 1].clone(),
            g,
        }
    }

    fn node(&self) -> &Node {
        self.g.nodes.last().unwrap()
    }

    fn shapes(&self) -> Vec<&[usize]> {
        self.node()
            .inputs
            .iter()
            .map(|&o| self.g.operand_info(o).unwrap().shape.dims())
            .collect()
    }

    fn refs(&self) -> Vec<TensorRef<'_>> {
        self.shapes()
            .into_iter()
            .zip(&self.data)
            .map(|(shape, data)| TensorRef { shape, data })
            .collect()
    }
}

/// Every element of `0..n` when there are at most 32, else up to `k` distinct random ones and
/// the last.
fn pick(rng: &mut Rng, n: usize, k: usize) -> Vec<usize> {
    if n <= 32 {
        return (0..n).collect();
    }
    let mut v: Vec<usize> = (0..k).map(|_| rng.size(0, n - 1)).collect();
    v.push(n - 1);
    v.sort_unstable();
    v.dedup();
    v
}

/// Rust's decoding of the words in the shape of the library's `Node` struct.
fn expected_node(ns: &NodeSemantics) -> Arbiter::Node {
    let us = |v: &[usize]| v.iter().map(|&x| u(x)).collect::<Vec<_>>();
    let ti = |t: &TensorInfo| Arbiter::TensorInfo {
        shape: us(t.shape.dims()),
        scale: i(i64::from(t.scale.exponent())),
        bits: u(t.bits.get() as usize),
    };
    let rq = |r: &Requant| Arbiter::Requant {
        mult: i(r.mult),
        shift: u(r.shift as usize),
        bits: u(r.bits.get() as usize),
    };
    let map = |m: &AffineMap| Arbiter::AffineMap {
        rows: m
            .rows
            .iter()
            .map(|r| Arbiter::AffineRow {
                out: r.out.iter().map(|&c| i(c)).collect(),
                red: r.red.iter().map(|&c| i(c)).collect(),
                offset: i(r.offset),
            })
            .collect(),
    };
    let empty_map = Arbiter::AffineMap { rows: vec![] };
    let mut n = Arbiter::Node {
        tag: U256::ZERO,
        c: Arbiter::ContractAttrs {
            outIter: vec![],
            red: vec![],
            xMap: empty_map.clone(),
            wMap: empty_map.clone(),
            hasBias: false,
            biasMap: empty_map,
            biasShift: U256::ZERO,
        },
        requant: Arbiter::Requant {
            mult: I256::ZERO,
            shift: U256::ZERO,
            bits: U256::ZERO,
        },
        kind: U256::ZERO,
        aMult: I256::ZERO,
        bMult: I256::ZERO,
        shift: U256::ZERO,
        param: U256::ZERO,
        paramInfo: Arbiter::TensorInfo {
            shape: vec![],
            scale: I256::ZERO,
            bits: U256::ZERO,
        },
        lo: I256::ZERO,
        fill: I256::ZERO,
        axes: vec![],
        keepDims: false,
        axis: U256::ZERO,
        operands: ns
            .inputs
            .iter()
            .zip(&ns.input_infos)
            .map(|(o, t)| {
                let (kind, id) = match o {
                    Operand::Value(v) => (0, v.0),
                    Operand::Param(p) => (1, p.0),
                };
                Arbiter::Operand {
                    kind: u(kind),
                    id: u(id as usize),
                    info: ti(t),
                }
            })
            .collect(),
        out: ti(&ns.out),
    };
    if let Some(t) = &ns.attr_info {
        n.paramInfo = ti(t);
    }
    match &ns.op {
        Op::Contract(c) => {
            n.tag = u(1);
            n.c = Arbiter::ContractAttrs {
                outIter: us(&c.out_iter),
                red: us(&c.red),
                xMap: map(&c.x_map),
                wMap: map(&c.w_map),
                hasBias: c.bias_map.is_some(),
                biasMap: c
                    .bias_map
                    .as_ref()
                    .map_or(Arbiter::AffineMap { rows: vec![] }, map),
                biasShift: u(c.bias_shift as usize),
            };
            n.requant = rq(&c.requant);
        }
        Op::Rescale(r) => {
            n.tag = u(2);
            n.requant = rq(r);
        }
        Op::Binary(b) => {
            n.tag = u(3);
            n.kind = u(verinfer_commit::encode::binary_kind_word(b.kind) as usize);
            n.aMult = i(b.a_mult);
            n.bMult = i(b.b_mult);
            n.requant = rq(&b.requant);
        }
        Op::Lookup(l) => {
            n.tag = u(4);
            n.param = u(l.table.index());
            n.lo = i(i64::from(l.lo));
        }
        Op::Reduce(r) => {
            n.tag = u(5);
            n.kind = u(verinfer_commit::encode::reduce_kind_word(r.kind) as usize);
            n.axes = us(&r.axes);
            n.keepDims = r.keep_dims;
            n.requant = rq(&r.requant);
        }
        Op::Div(d) => {
            n.tag = u(6);
            n.shift = u(d.shift as usize);
            n.requant = rq(&d.requant);
        }
        Op::Move(m) => {
            n.tag = u(7);
            n.param = u(m.map.index());
            n.fill = i(i64::from(m.fill));
        }
        Op::Gather(g) => {
            n.tag = u(8);
            n.axis = u(g.axis);
        }
        Op::ISqrt(s) => {
            n.tag = u(9);
            n.shift = u(s.shift as usize);
            n.requant = rq(&s.requant);
        }
    }
    n
}

/// The decoded node equals Rust's decoding; `describe` gives the element count and K; random
/// output elements equal the reference's.
fn check_elements(h: &mut Harness, t: &Tested, rng: &mut Rng) -> Result<(), TestCaseError> {
    let sol = h.decode(&t.words).map_err(TestCaseError::fail)?;
    prop_assert_eq!(sol, expected_node(&decode_node(&t.words).unwrap()));
    let node = t.node();
    let k = ops::steps(&node.op, &t.shapes());
    let d = h
        .call(&ArbiterHarness::describeCall {
            words: t.sol_words.clone(),
        })
        .map_err(TestCaseError::fail)?;
    prop_assert_eq!((d.outLen, d.steps), (u(t.out.len()), u(k)));
    for j in pick(rng, t.out.len(), 8) {
        prop_assert_eq!(
            h.element(t, j),
            Ok(t.out[j]),
            "element {} of {:?}",
            j,
            node.op
        );
    }
    // An element past the end is refused.
    prop_assert!(h.element(t, t.out.len()).is_err());
    Ok(())
}

/// For Contract and Reduce: random segments [a, b) from Rust's acc_a end at Rust's acc_b (a = 0
/// starts from the seed the library derives, whatever `accA` says), through both the segment
/// and the one-step functions; the one-step read sets equal Rust's; `finish` is the epilogue.
fn check_segments(h: &mut Harness, t: &Tested, rng: &mut Rng) -> Result<(), TestCaseError> {
    let node = t.node();
    let ins = t.refs();
    let k = ops::steps(&node.op, &t.shapes());
    let acc = |j: usize, upto: usize| ops::accumulate(&node.op, &ins, j, upto).unwrap();
    for _ in 0..3 {
        let j = rng.size(0, t.out.len() - 1);
        let mut a = rng.size(0, k);
        let mut b = rng.size(0, k);
        if a > b {
            std::mem::swap(&mut a, &mut b);
        }
        if rng.next().is_multiple_of(4) {
            a = 0;
        }
        let acc_a = if a == 0 { 12_345 } else { acc(j, a) };
        let stepwise = rng.coin();
        let got = h
            .segment(t, j, a, b, acc_a, stepwise)
            .map_err(TestCaseError::fail)?;
        prop_assert_eq!(got, i(acc(j, b)), "segment [{}, {}) of element {}", a, b, j);
    }
    // The whole sequence, then the epilogue.
    let j = rng.size(0, t.out.len() - 1);
    let acc_k = acc(j, k);
    prop_assert_eq!(h.segment(t, j, 0, k, 0, false), Ok(i(acc_k)));
    let fin = h
        .call(&ArbiterHarness::finishCall {
            words: t.sol_words.clone(),
            acc: i(acc_k),
        })
        .map_err(TestCaseError::fail)?;
    prop_assert_eq!(Some(fin), ops::finish(&node.op, acc_k));
    prop_assert_eq!(fin, t.out[j]);
    // A segment past K is refused.
    prop_assert!(h.segment(t, j, 0, k + 1, 0, false).is_err());
    // One-step read sets.
    if k > 0 {
        let r = rng.size(0, k - 1);
        match &node.op {
            Op::Contract(c) => {
                let shapes = t.shapes();
                let mut o = vec![0; c.out_iter.len()];
                unravel_into(j, &c.out_iter, &mut o);
                let mut rr = vec![0; c.red.len()];
                unravel_into(r, &c.red, &mut rr);
                let x = c.x_map.locate(&o, &rr, shapes[0]);
                let w = c.w_map.locate(&o, &rr, shapes[1]);
                let got = h
                    .call(&ArbiterHarness::contractReadsCall {
                        words: t.sol_words.clone(),
                        j: u(j),
                        r: u(r),
                    })
                    .map_err(TestCaseError::fail)?;
                prop_assert_eq!(
                    (got.xIn, got.xi, got.wIn, got.wi),
                    (
                        x.is_some(),
                        u(x.unwrap_or(0)),
                        w.is_some(),
                        u(w.unwrap_or(0))
                    )
                );
            }
            Op::Reduce(rd) => {
                let want = reduce::positions(rd, t.shapes()[0], j)[r];
                let got = h
                    .call(&ArbiterHarness::reduceReadsCall {
                        words: t.sol_words.clone(),
                        j: u(j),
                        r: u(r),
                    })
                    .map_err(TestCaseError::fail)?;
                prop_assert_eq!(got, u(want));
            }
            _ => unreachable!(),
        }
    }
    Ok(())
}

/// The Solidity arbiter on revm as an [`Interpretation`]: the decoded node, the element
/// count and random output elements against the reference, and for the accumulating ops
/// (Contract, Reduce) random segments, the epilogue and the one-step read sets.
struct OnChain(Harness);

impl Interpretation for OnChain {
    fn check(&mut self, case: &Case, rng: &mut Rng) -> Verdict {
        let t = Tested::new(case.clone());
        check_elements(&mut self.0, &t, rng).unwrap_or_else(|e| panic!("{e}"));
        if matches!(t.node().op, Op::Contract(_) | Op::Reduce(_)) {
            check_segments(&mut self.0, &t, rng).unwrap_or_else(|e| panic!("{e}"));
        }
        Verdict::Agrees
    }
}

// ------------------------------------------------------------------------------------------
// Tests
// ------------------------------------------------------------------------------------------

/// Every generator of `verinfer_testing::ops` (the convolution with stride, padding, dilation
/// and groups included) through the arbiter.
mod conformance {
    use super::{Harness, OnChain};
    verinfer_testing::op_conformance!(OnChain(Harness::arbiter()), 96);
}

#[test]
fn requant_round_shift_round_div_and_segments_match() {
    let h = RefCell::new(Harness::arbiter());
    let strategy = (
        any::<i64>(),
        prop_oneof![Just(1i64), any::<i64>(), -(1i64 << 20)..(1i64 << 20)],
        prop_oneof![0u32..40, 0u32..300],
        1u32..=32,
        any::<i64>(),
        prop_oneof![any::<i64>(), -5i64..5, Just(-1i64), Just(0i64)],
    );
    runner(256)
        .run(&strategy, |(acc, mult, shift, bits, n, d)| {
            let mut h = h.borrow_mut();
            let r = Requant {
                mult,
                shift,
                bits: Bits::new(bits).unwrap(),
            };
            let got = h.call(&ArbiterHarness::requantCall {
                acc: i(acc),
                mult: i(mult),
                shift: u(shift as usize),
                bits: u(bits as usize),
            });
            prop_assert_eq!(got, Ok(r.apply(acc)));
            let wide = i128::from(acc) * i128::from(mult);
            let got = h.call(&ArbiterHarness::roundShiftCall {
                a: I256::try_from(wide).unwrap(),
                k: u(shift as usize),
            });
            prop_assert_eq!(
                got,
                Ok(I256::try_from(verinfer_ir::round_shift(wide, shift)).unwrap())
            );
            let got = h.call(&ArbiterHarness::roundDivCall { num: i(n), d: i(d) });
            prop_assert_eq!(got, Ok(i(ops::div::round_div(n, d))));
            Ok(())
        })
        .unwrap();
    let mut h = h.borrow_mut();
    // An accumulator outside i64 is refused, as `Requant::apply` cannot take it.
    let big = I256::try_from(i128::from(i64::MAX) + 1).unwrap();
    assert!(h
        .call(&ArbiterHarness::requantCall {
            acc: big,
            mult: i(1),
            shift: U256::ZERO,
            bits: u(16),
        })
        .unwrap_err()
        .contains("AccumulatorOutOfRange"));
    // round_div saturates i64::MIN / -1 like the reference.
    assert_eq!(
        h.call(&ArbiterHarness::roundDivCall {
            num: i(i64::MIN),
            d: i(-1)
        }),
        Ok(i(i64::MAX))
    );
    // contractSegment: i64 partial sums, checked like Rust's checked_add.
    let seg = |h: &mut Harness, acc: i64, xs: Vec<i32>, ws: Vec<i32>| {
        h.call(&ArbiterHarness::contractSegmentCall {
            accStart: i(acc),
            xs,
            ws,
        })
    };
    assert_eq!(seg(&mut h, 5, vec![2, -3, 0], vec![7, 4, 9]), Ok(i(7)));
    let e = seg(
        &mut h,
        i64::MAX - 1,
        vec![i32::MIN, i32::MIN],
        vec![i32::MIN, 0],
    )
    .unwrap_err();
    assert!(e.contains("Overflow"), "{e}");
    assert!(seg(&mut h, 0, vec![1], vec![]).is_err());
}

#[test]
fn move_source_walks_the_concatenated_inputs() {
    let mut h = Harness::arbiter();
    let lens = vec![u(3), u(0), u(2)];
    let mut src = |e: i64| {
        h.call(&ArbiterHarness::moveSourceCall {
            mapEntry: i(e),
            inputLens: lens.clone(),
        })
        .map(|r| (r.isFill, r.input, r.index))
    };
    assert_eq!(src(-1), Ok((true, U256::ZERO, U256::ZERO)));
    assert_eq!(src(0), Ok((false, u(0), u(0))));
    assert_eq!(src(2), Ok((false, u(0), u(2))));
    assert_eq!(src(3), Ok((false, u(2), u(0))));
    assert_eq!(src(4), Ok((false, u(2), u(1))));
    assert!(src(5).is_err());
}

/// Values at the edges of every field's range (tags, kinds, flags, bits, scales, `u32`, `i32`,
/// `i64`, `usize`).
const EDGES: [Word; 24] = [
    -1,
    0,
    1,
    2,
    4,
    5,
    8,
    9,
    32,
    33,
    60,
    61,
    -60,
    -61,
    u32::MAX as Word,
    u32::MAX as Word + 1,
    i32::MIN as Word,
    i32::MIN as Word - 1,
    i32::MAX as Word + 1,
    i64::MIN as Word,
    i64::MIN as Word - 1,
    i64::MAX as Word + 1,
    u64::MAX as Word,
    u64::MAX as Word + 1,
];

/// Every generator's node: the decoder accepts exactly what Rust's decoder accepts — every
/// strict prefix and every extension is refused, and a word replaced by another value is
/// accepted by both or refused by both (and decoded alike when accepted).
#[test]
fn decoder_accepts_exactly_what_rust_accepts() {
    let gens = gen::ALL.map(|g| g.1);
    let h = RefCell::new(Harness::arbiter());
    runner(1024)
        .run(&any::<u64>(), |seed| {
            let mut rng = Rng(seed);
            let case = gens[rng.size(0, gens.len() - 1)](&mut rng);
            let g = case.g;
            let words = node_words(&g, g.nodes.last().unwrap());
            let mut h = h.borrow_mut();
            // Truncations (the last word and a random one) and extensions.
            for k in [words.len() - 1, rng.size(0, words.len() - 1)] {
                let r = h.decode(&words[..k]);
                prop_assert!(r.is_err(), "prefix {} of {} decoded", k, words.len());
                prop_assert!(r.unwrap_err().contains("MalformedNode"));
            }
            let mut longer = words.clone();
            longer.push(Word::from(rng.range(-2, 2)));
            prop_assert!(h.decode(&longer).is_err());
            // Replacements by values at the edges of every field's range.
            for _ in 0..8 {
                let mut m = words.clone();
                let at = rng.size(0, m.len() - 1);
                m[at] = match rng.next() % 4 {
                    0 => m[at] + 1,
                    1 => m[at] - 1,
                    2 => Word::from(rng.range(-3, 9)),
                    _ => EDGES[rng.size(0, EDGES.len() - 1)],
                };
                let rust = decode_node(&m);
                let sol = h.decode(&m);
                match (&rust, &sol) {
                    (Ok(ns), Ok(n)) => prop_assert_eq!(n, &expected_node(ns)),
                    (Err(_), Err(e)) => prop_assert!(e.contains("MalformedNode"), "{}", e),
                    _ => prop_assert!(
                        false,
                        "word {} := {}: rust {:?}, solidity {:?}",
                        at,
                        m[at],
                        rust.is_ok(),
                        sol.is_ok()
                    ),
                }
            }
            Ok(())
        })
        .unwrap();
    // Words beyond i128 (which Rust cannot even hold) are refused.
    let mut h = h.borrow_mut();
    let mut w = sol_words(&[2, 1, 0, 16, 1, 0, 0, 0, 0, 16, 0, 0, 16]);
    assert!(h
        .call(&ArbiterHarness::decodeCall { words: w.clone() })
        .is_ok());
    w[1] = I256::MAX;
    assert!(h.call(&ArbiterHarness::decodeCall { words: w }).is_err());
}

/// A function for one op refuses another op's node.
#[test]
fn one_op_functions_refuse_other_ops() {
    let mut rng = Rng(7);
    let t = Tested::new(gen::rescale(&mut rng));
    let mut h = Harness::arbiter();
    let e = h
        .call(&ArbiterHarness::contractReadsCall {
            words: t.sol_words.clone(),
            j: U256::ZERO,
            r: U256::ZERO,
        })
        .unwrap_err();
    assert!(e.contains("WrongOp"), "{e}");
    assert!(h
        .call(&ArbiterHarness::finishCall {
            words: t.sol_words,
            acc: i(1),
        })
        .unwrap_err()
        .contains("WrongOp"));
}

/// The digits MLP of the golden vectors: every node leaf's words in the golden file are this
/// build's words, decode on chain as in Rust, and random elements of every node, computed by
/// the harness from the node's real operands, equal the reference trace.
#[test]
fn digits_mlp_golden_nodes_decode_and_compute_on_chain() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/golden/v1");
    let golden: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root.join("commitments.json")).unwrap())
            .unwrap();
    let g = verinfer_ir::vmodel::load(&root.join("digits_mlp.vmodel")).unwrap();
    let input: Vec<i32> = golden["traces"]["digits_mlp"]["quantized_input"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_i64().unwrap() as i32)
        .collect();
    let values = verinfer_ir::reference::run(&g, &[input]).unwrap();
    let leaves = golden["graph"]["leaves"].as_array().unwrap();
    assert_eq!(leaves.len(), 1 + g.nodes.len());
    let mut h = Harness::arbiter();
    let mut rng = Rng(1);
    for (k, node) in g.nodes.iter().enumerate() {
        let words: Vec<Word> = leaves[1 + k]["words"]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w.as_str().unwrap().parse().unwrap())
            .collect();
        assert_eq!(words, node_words(&g, node), "node {k}");
        let sol = h.decode(&words).unwrap();
        assert_eq!(
            sol,
            expected_node(&decode_node(&words).unwrap()),
            "node {k}"
        );
        let t = Tested::from_values(
            Graph {
                nodes: g.nodes[..=k].to_vec(),
                ..g.clone()
            },
            &values,
        );
        for j in pick(&mut rng, t.out.len(), 6) {
            assert_eq!(h.element(&t, j), Ok(t.out[j]), "node {k} element {j}");
        }
    }
}

// ------------------------------------------------------------------------------------------
// Gas
// ------------------------------------------------------------------------------------------

/// Representative nodes, one per op, for the gas table.
fn gas_cases() -> Vec<(&'static str, Case)> {
    let mut rng = Rng(42);
    let mut v = vec![];
    let rq = |mult, shift| requant(mult, shift, 16);
    // Conv 3x3, 8 input channels, padding 1, with bias: K = 72.
    {
        let mut c = gen::case();
        let x = c.input_with(&[1, 8, 6, 6], 8, rng.data(288, 8));
        let w = c.param(&[4, 8, 3, 3], 8, rng.data(288, 8));
        let b = Operand::Param(c.param_id(&[4], 12, ParamKind::Bias, rng.data(4, 12)));
        let conv = Conv2d::same(1, 8, [6, 6], 4, [3, 3]);
        let op = conv.contract(rq(1, 8), Some(4));
        v.push((
            "Contract: conv 3×3, 8→4 channels, pad 1, bias (K = 72)",
            c.node_case(Op::Contract(op), vec![x, w, b], &[1, 4, 6, 6], 16),
        ));
    }
    // Gemm 1×64 · 64×10 with bias: K = 64.
    {
        let mut c = gen::case();
        let x = c.input_with(&[1, 64], 8, rng.data(64, 8));
        let w = c.param(&[64, 10], 8, rng.data(640, 8));
        let b = Operand::Param(c.param_id(&[10], 12, ParamKind::Bias, rng.data(10, 12)));
        let mm = MatMul::plain(1, 64, 10);
        let op = mm.contract(rq(1, 8), Some(4));
        v.push((
            "Contract: Gemm 1×64 · 64×10, bias (K = 64)",
            c.node_case(Op::Contract(op), vec![x, w, b], &[1, 10], 16),
        ));
    }
    {
        let mut c = gen::case();
        let x = c.input_with(&[4, 16], 24, rng.data(64, 24));
        v.push((
            "Rescale [4, 16]",
            c.node_case(Op::Rescale(rq(3, 9)), vec![x], &[4, 16], 16),
        ));
    }
    {
        let mut c = gen::case();
        let a = c.input_with(&[2, 4, 8], 16, rng.data(64, 16));
        let b = c.param(&[8], 16, rng.data(8, 16));
        let op = Binary {
            kind: BinaryKind::Add,
            a_mult: 1,
            b_mult: 2,
            requant: rq(1, 1),
        };
        v.push((
            "Binary Add, [2, 4, 8] + [8] (broadcast)",
            c.node_case(Op::Binary(op), vec![a, b], &[2, 4, 8], 16),
        ));
    }
    {
        let mut c = gen::case();
        let x = c.input_with(&[4, 16], 12, rng.data(64, 12));
        let t = c.param_id(&[4096], 16, ParamKind::Table, rng.data(4096, 16));
        v.push((
            "Lookup, table of 4,096",
            c.node_case(
                Op::Lookup(Lookup {
                    table: t,
                    lo: -2048,
                }),
                vec![x],
                &[4, 16],
                16,
            ),
        ));
    }
    for (name, kind) in [
        (
            "ReduceSum over the last axis of [4, 64] (K = 64)",
            ReduceKind::Sum,
        ),
        (
            "ReduceMax over the last axis of [4, 64] (K = 64)",
            ReduceKind::Max,
        ),
    ] {
        let mut c = gen::case();
        let x = c.input_with(&[4, 64], 16, rng.data(256, 16));
        let op = Reduce {
            kind,
            axes: vec![1],
            keep_dims: true,
            requant: rq(1, 0),
        };
        v.push((name, c.node_case(Op::Reduce(op), vec![x], &[4, 1], 16)));
    }
    {
        let mut c = gen::case();
        let a = c.input_with(&[4, 16], 16, rng.data(64, 16));
        let b = c.input_with(&[4, 1], 16, rng.data(4, 16));
        let op = Div {
            shift: 12,
            requant: rq(1, 0),
        };
        v.push((
            "Div, [4, 16] / [4, 1] (broadcast)",
            c.node_case(Op::Div(op), vec![a, b], &[4, 16], 16),
        ));
    }
    {
        let mut c = gen::case();
        let a = c.input_with(&[2, 8], 16, rng.data(16, 16));
        let b = c.input_with(&[3, 8], 16, rng.data(24, 16));
        let d = c.input_with(&[8], 16, rng.data(8, 16));
        let map: Vec<i32> = (0..48).map(|k| (k * 7 % 49) - 1).collect();
        let m = c.param_id(&[48], 16, ParamKind::IndexMap, map);
        v.push((
            "Move (concat of 3 inputs, 48 outputs)",
            c.node_case(
                Op::Move(Move { map: m, fill: 0 }),
                vec![a, b, d],
                &[6, 8],
                16,
            ),
        ));
    }
    {
        let mut c = gen::case();
        let data = c.param(&[100, 16], 16, rng.data(1600, 16));
        let idx = c.input_with(&[1, 4], 8, vec![3, -1, 99, 7]);
        v.push((
            "Gather (embedding [100, 16], indices [1, 4])",
            c.node_case(
                Op::Gather(Gather { axis: 0 }),
                vec![data, idx],
                &[1, 4, 16],
                16,
            ),
        ));
    }
    // Drawn after the others so that their data stays what the table was measured on.
    {
        let mut c = gen::case();
        let x = c.input_with(&[4, 16], 24, rng.data(64, 24));
        let op = ISqrt {
            shift: 16,
            requant: rq(1, 4),
        };
        v.push((
            "ISqrt [4, 16], shift 16",
            c.node_case(Op::ISqrt(op), vec![x], &[4, 16], 16),
        ));
    }
    {
        let mut c = gen::case();
        let x = c.input_with(&[4, 64], 16, rng.data(256, 16));
        let op = Reduce {
            kind: ReduceKind::ArgMax,
            axes: vec![1],
            keep_dims: true,
            requant: rq(1, 0),
        };
        v.push((
            "ArgMax over the last axis of [4, 64] (K = 64)",
            c.node_case(Op::Reduce(op), vec![x], &[4, 1], 16),
        ));
    }
    v
}

/// The table of docs/protocol-arbiter.md: gas of `decodeNode` and of one element (composed from
/// the read-set and step functions, all K steps for Contract and Reduce), and of a Contract
/// segment of 16 terms. Library gas only (measured with `gasleft()` inside the harness).
#[test]
#[ignore = "prints the gas table of docs/protocol-arbiter.md"]
fn gas_table() {
    let mut h = Harness::arbiter();
    println!("| node | words | decodeNode | one element |");
    println!("|---|---:|---:|---:|");
    let mut segment_case = None;
    for (name, case) in gas_cases() {
        let t = Tested::new(case);
        let j = t.out.len() / 2;
        let r = h
            .call(&ArbiterHarness::measureElementCall {
                words: t.sol_words.clone(),
                j: u(j),
                operands: t.operands.clone(),
                attr: t.attr.clone(),
            })
            .unwrap();
        assert_eq!(r.value, t.out[j]);
        println!(
            "| {name} | {} | {} | {} |",
            t.words.len(),
            r.decodeGas,
            r.elementGas
        );
        if segment_case.is_none() && matches!(t.node().op, Op::Contract(_)) {
            segment_case = Some(t);
        }
    }
    let t = segment_case.unwrap();
    let j = t.out.len() / 2;
    let (a, b) = (16, 32);
    let acc_a = ops::accumulate(&t.node().op, &t.refs(), j, a).unwrap();
    let r = h
        .call(&ArbiterHarness::measureContractSegmentCall {
            words: t.sol_words.clone(),
            j: u(j),
            a: u(a),
            b: u(b),
            accA: i(acc_a),
            operands: t.operands.clone(),
        })
        .unwrap();
    assert_eq!(
        r.acc,
        i(ops::accumulate(&t.node().op, &t.refs(), j, b).unwrap())
    );
    println!();
    println!("| conv segment of 16 terms | gas |");
    println!("|---|---:|");
    println!("| read set (`contractSegmentReads`) | {} |", r.readsGas);
    println!("| arithmetic (`contractSegment`) | {} |", r.segmentGas);
}

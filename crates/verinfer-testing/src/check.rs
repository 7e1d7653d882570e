//! Checks of one interpretation against another.

use verinfer_exec::Plan;
use verinfer_ir::Graph;

use crate::graph::Case;
use crate::ops::Gen;
use crate::rng::Rng;

/// The executor's trace equals the reference's, with 1, 2 and 8 threads and in the global
/// pool, repeated runs agree, and a streaming run hands over the same values in order.
pub fn assert_matches_reference(g: &Graph, inputs: &[Vec<i32>]) {
    verinfer_ir::validate::validate(g).expect("test graph must validate");
    let want = verinfer_ir::reference::run(g, inputs).expect("reference run");
    let plan = Plan::for_graph(g.clone()).expect("plan");
    for threads in [1, 2, 8] {
        let got = plan.run_with_threads(inputs, threads).expect("fast run");
        for (v, (a, b)) in got.values().iter().zip(&want).enumerate() {
            assert_eq!(
                a, b,
                "value {v} differs from the reference with {threads} threads"
            );
        }
        assert_eq!(got.len(), want.len());
    }
    let again = plan.run(inputs).expect("fast run");
    assert_eq!(again.into_values(), want, "global pool run");
    // Streaming: the same values in value order, and the graph outputs.
    let mut streamed = Vec::new();
    let outs = plan
        .run_streaming(inputs, |v, d| {
            assert_eq!(v.index(), streamed.len(), "values out of order");
            streamed.push(d.to_vec());
        })
        .expect("streaming run");
    assert_eq!(streamed, want, "streaming run");
    let want_outs: Vec<Vec<i32>> = g
        .outputs
        .iter()
        .map(|o| want[o.value.index()].clone())
        .collect();
    assert_eq!(outs, want_outs, "streaming outputs");
}

/// The one-step reads (what the opML game and the Solidity arbiter compute from a node's
/// operands): every output element of every node, recomputed alone with
/// `verinfer_ir::ops::element` from the reference's values, equals the reference's; for the
/// accumulating ops, so does `finish` of the whole accumulation.
pub fn assert_one_step_reads_match(g: &Graph, inputs: &[Vec<i32>]) {
    use verinfer_ir::ops::{self, TensorRef};
    use verinfer_ir::Operand;
    let values = verinfer_ir::reference::run(g, inputs).expect("reference run");
    for (n, node) in g.nodes.iter().enumerate() {
        let ins: Vec<TensorRef<'_>> = node
            .inputs
            .iter()
            .map(|&o| TensorRef {
                shape: g.operand_info(o).expect("operand").shape.dims(),
                data: match o {
                    Operand::Value(v) => &values[v.index()],
                    Operand::Param(p) => &g.params[p.index()].data,
                },
            })
            .collect();
        let attr = node.op.attr_param().map(|p| TensorRef {
            shape: g.params[p.index()].info.shape.dims(),
            data: &g.params[p.index()].data,
        });
        let shapes: Vec<&[usize]> = ins.iter().map(|t| t.shape).collect();
        let k = ops::steps(&node.op, &shapes);
        let out = &values[g.node_value(n).index()];
        for (j, &want) in out.iter().enumerate() {
            let got = ops::element(&node.op, &ins, attr, node.out.shape.dims(), j);
            assert_eq!(got, Some(want), "node {n}, element {j}: one-step read");
            if k > 0 {
                let acc = ops::accumulate(&node.op, &ins, j, k).expect("accumulator");
                assert_eq!(
                    ops::finish(&node.op, acc),
                    Some(want),
                    "node {n}, element {j}: accumulated over {k} steps"
                );
            }
        }
    }
}

/// One interpretation of the op semantics (the executor, the circuit witness, the Solidity
/// arbiter, the one-step reads), checked against the scalar reference one case at a time.
///
/// An interpretation lives in its own crate's tests (this crate depends on none of them), and
/// [`op_conformance!`](crate::op_conformance) runs every generator of [`crate::ops`] through
/// it.
pub trait Interpretation {
    /// Check `case` (a validated one-node graph with its input data) against
    /// `verinfer_ir::reference::run`, panicking with a message naming the first disagreement.
    /// `rng` continues the stream the case was drawn from (for sampling elements or segments).
    fn check(&mut self, case: &Case, rng: &mut Rng) -> Verdict;
}

/// What an interpretation made of a case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// It computed the case and agrees with the reference.
    Agrees,
    /// It refuses the case by design with a typed error (the circuit's exact-width limit): a
    /// refusal, never a wrong answer. [`conformance`] requires most cases to agree.
    Refuses,
}

/// The executor ([`assert_matches_reference`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct Executor;

impl Interpretation for Executor {
    fn check(&mut self, case: &Case, _: &mut Rng) -> Verdict {
        assert_matches_reference(&case.g, &case.inputs);
        Verdict::Agrees
    }
}

/// The one-step reads ([`assert_one_step_reads_match`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct OneStepReads;

impl Interpretation for OneStepReads {
    fn check(&mut self, case: &Case, _: &mut Rng) -> Verdict {
        assert_one_step_reads_match(&case.g, &case.inputs);
        Verdict::Agrees
    }
}

/// `cases` cases of `gen` (seeds `0..cases`), each validated and then checked by `interp`; a
/// failure names the seed. At least three quarters of the cases must be computed (not
/// refused), so that a refusal cannot hide the op.
pub fn conformance(interp: &mut dyn Interpretation, gen: Gen, cases: u64) {
    let mut refused = 0;
    for seed in 0..cases {
        let mut rng = Rng::new(seed);
        let case = gen(&mut rng);
        verinfer_ir::validate::validate(&case.g)
            .unwrap_or_else(|e| panic!("seed {seed}: generated graph must validate: {e}"));
        let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            interp.check(&case, &mut rng)
        }));
        match run {
            Ok(Verdict::Agrees) => {}
            Ok(Verdict::Refuses) => refused += 1,
            Err(e) => {
                eprintln!(
                    "conformance failure at seed {seed}: {:?}",
                    case.g.nodes.last()
                );
                std::panic::resume_unwind(e);
            }
        }
    }
    eprintln!(
        "{} of {cases} cases computed, {refused} refused",
        cases - refused
    );
    assert!(
        refused * 4 <= cases,
        "{refused} of {cases} cases refused: the op is hardly covered"
    );
}

/// One test per generator of [`crate::ops::ALL`] — every primitive, the convolution with
/// stride, padding, dilation and groups included — each running [`conformance`] on
/// `cases × weight` cases (the weight is the generator's in `ALL`) through the
/// [`Interpretation`] `interp` builds; plus a test that the list below is exactly `ALL`, so
/// a new generator runs through every interpretation or fails all of them.
///
/// ```ignore
/// verinfer_testing::op_conformance!(verinfer_testing::check::Executor, 64);
/// ```
#[macro_export]
macro_rules! op_conformance {
    ($interp:expr, $cases:expr) => {
        $crate::op_conformance!(@each $interp, $cases;
            conv, matmul, affine, rescale, binary, div, lookup, reduce, move_, gather, isqrt,
            argmax);
    };
    (@each $interp:expr, $cases:expr; $($gen:ident),*) => {
        $(
            #[test]
            fn $gen() {
                let (gen, weight) = $crate::ops::by_fn_name(stringify!($gen));
                let mut interp = $interp;
                eprintln!("{}: {} cases", stringify!($gen), $cases * weight);
                $crate::check::conformance(&mut interp, gen, $cases * weight);
            }
        )*

        #[test]
        fn every_generator_runs() {
            let here = [$(stringify!($gen)),*];
            let all: Vec<&str> = $crate::ops::ALL.iter().map(|g| g.0).collect();
            assert_eq!(here.to_vec(), all, "op_conformance! must list every generator");
        }
    };
}

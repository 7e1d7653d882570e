//! Checks of one interpretation against another.

use verinfer_exec::Plan;
use verinfer_ir::Graph;

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

/// `cases` cases of `gen` (seeds `0..cases`), each through every interpretation this crate
/// reaches: the executor against the reference ([`assert_matches_reference`]) and the one-step
/// reads ([`assert_one_step_reads_match`]).
pub fn conformance(gen: crate::ops::Gen, cases: u64) {
    for seed in 0..cases {
        let case = gen(&mut crate::rng::Rng::new(seed));
        assert_matches_reference(&case.g, &case.inputs);
        assert_one_step_reads_match(&case.g, &case.inputs);
    }
}

/// One test per `name => generator, cases;` line, running [`conformance`]: every
/// interpretation of the op's one-node cases agrees with the scalar reference.
///
/// ```ignore
/// verinfer_testing::op_conformance! {
///     conv => verinfer_testing::ops::conv, 64;
/// }
/// ```
#[macro_export]
macro_rules! op_conformance {
    ($($name:ident => $gen:path, $cases:expr;)*) => {
        $(
            #[test]
            fn $name() {
                $crate::check::conformance($gen, $cases);
            }
        )*
    };
}

//! Checks of one interpretation against another.

use verinfer_exec::Plan;
use verinfer_ir::Graph;

/// The executor's trace equals the reference's, with 1, 2 and 8 threads and in the global
/// pool, and repeated runs agree.
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
}

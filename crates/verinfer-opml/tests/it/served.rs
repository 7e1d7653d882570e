//! A served model answers any number of inputs from one copy of its weights and one model
//! commitment (issue 11: the node used to clone the graph, re-plan and re-hash the model on
//! every request).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use verinfer_ir::Model;
use verinfer_opml::{Execution, ServedModel};

#[test]
fn a_hundred_runs_share_one_graph_and_one_commitment() {
    let (g, input) = verinfer_testing::models::bundled("digits_mlp");
    let served = ServedModel::new(Model::new(g.clone()).unwrap()).unwrap();
    let reference = Execution::run(g, &input).unwrap();
    let mut runs = Vec::new();
    for k in 0..100i32 {
        let mut x = input.clone();
        x[0][0] = (x[0][0] + k).clamp(-100, 100);
        let e = served.run(&x).unwrap();
        // The same allocations, not equal copies.
        assert!(
            std::ptr::eq(e.graph(), served.graph()),
            "run {k} copied the graph"
        );
        assert!(
            std::ptr::eq(e.model(), served.commitment()),
            "run {k} hashed the model again"
        );
        runs.push(e);
    }
    // And the same answers as a run from the graph.
    assert_eq!(runs[0].values(), reference.values());
    assert_eq!(runs[0].trace().root(), reference.trace().root());
    assert_eq!(served.commitment().model_id, reference.model().model_id);
    // A trace loaded back (a claim defended after a restart) shares them too.
    let again = served.execution_of(runs[7].values().to_vec()).unwrap();
    assert!(std::ptr::eq(again.graph(), served.graph()));
    assert_eq!(again.trace().root(), runs[7].trace().root());
}

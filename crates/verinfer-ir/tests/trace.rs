//! `Graph::check_trace`: a trace fits its graph only with one value per input and node, each
//! as long as its shape.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use verinfer_ir::TraceMisfit;
use verinfer_testing::graph::tiny_add;

#[test]
fn a_trace_fits_its_graph_only_with_every_count_right() {
    let g = tiny_add();
    let good = vec![vec![1, 2, 3], vec![2, 0, 6]];
    g.check_trace(&good).unwrap();
    assert_eq!(
        g.check_trace(&good[..1]),
        Err(TraceMisfit::Count {
            expected: 2,
            got: 1
        })
    );
    let mut long = good.clone();
    long.push(vec![]);
    assert_eq!(
        g.check_trace(&long),
        Err(TraceMisfit::Count {
            expected: 2,
            got: 3
        })
    );
    for v in 0..2 {
        let mut short = good.clone();
        short[v].pop();
        assert_eq!(
            g.check_trace(&short),
            Err(TraceMisfit::Length {
                value: v,
                expected: 3,
                got: 2
            })
        );
    }
}

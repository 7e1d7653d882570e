//! Hand-made checks of the movement lowerings.

use super::testutil::{float, int, ints, iota, node, run, string, Arg};
use crate::fgraph::FOp;

#[test]
fn reshape_zero_and_minus_one() {
    let n = node("Reshape", &["x", "s"], &["y"], vec![]);
    let (o, _) = run(&n, 13, vec![Arg::Input("x", vec![2, 3, 4], iota(&[2, 3, 4])), Arg::Const("s", vec![2], vec![0.0, -1.0])]).unwrap();
    assert_eq!(o[0].0, vec![2, 12]);
    assert_eq!(o[0].1, iota(&[24]));
}

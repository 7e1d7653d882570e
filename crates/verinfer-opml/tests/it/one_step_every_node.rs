//! Every node of the bundled models, driven to a one-step against an honest submitter: the
//! Solidity verifier (over the Arbiter) must agree with the Rust execution on every op the
//! models use — Contract (conv, matmul, gemm; segments from the seed and from a checkpoint),
//! Rescale, Binary, Lookup, Reduce, Div, Move — or the honest submitter would lose.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;

use verinfer_chain::Chain;
use verinfer_opml::{
    simulate, Challenger, ChallengerStrategy, Execution, Submitter, SubmitterStrategy,
};

fn every_node(name: &str) -> BTreeMap<&'static str, usize> {
    let (g, inputs) = verinfer_testing::models::bundled(name);
    let (mut chain, c) = verinfer_testing::chain::deployed_opml();
    let a = chain.accounts();
    let mut covered = BTreeMap::new();
    let mut max_gas = 0;
    for n in 0..g.nodes.len() {
        let value = g.inputs.len() + n;
        let len = g.nodes[n].out.shape.numel();
        let element = (len / 2 + n) % len.max(1);
        let mut submitter = Submitter::new(
            Execution::run(g.clone(), &inputs).unwrap(),
            a[0],
            SubmitterStrategy::Honest,
        );
        let mut challenger = Challenger::new(
            Execution::run(g.clone(), &inputs).unwrap(),
            a[1],
            ChallengerStrategy::Target { value, element },
        );
        let r = simulate(&mut chain, &c, &mut submitter, &mut challenger, true).unwrap();
        assert_eq!(
            (r.winner.as_str(), r.reason.as_str()),
            ("submitter", "one-step re-execution"),
            "{name} node {n} ({}) element {element}: {r:#?}",
            g.nodes[n].op.name()
        );
        for (label, gas) in &r.transactions {
            if *gas > 400_000 {
                eprintln!("{name} node {n} ({}): {label} {gas}", g.nodes[n].op.name());
            }
        }
        max_gas = max_gas.max(r.max_step_gas);
        *covered.entry(g.nodes[n].op.name()).or_insert(0) += 1;
    }
    eprintln!("{name}: {covered:?}, max move gas {max_gas}");
    assert!(max_gas < 500_000, "{name}: a move costs {max_gas} gas");
    covered
}

#[test]
fn digits_mlp_every_node() {
    let c = every_node("digits_mlp");
    assert!(c.contains_key("Contract"), "{c:?}");
}

#[test]
fn mnist_cnn_every_node() {
    let c = every_node("mnist_cnn");
    assert!(
        c.contains_key("Contract") && c.contains_key("ReduceMax"),
        "{c:?}"
    );
}

#[test]
fn transformer_block_every_node() {
    let c = every_node("transformer_block");
    for op in [
        "Contract",
        "Lookup",
        "ReduceSum",
        "ReduceMax",
        "Div",
        "Move",
    ] {
        assert!(c.contains_key(op), "{op} not covered: {c:?}");
    }
}

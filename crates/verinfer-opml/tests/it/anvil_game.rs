//! End to end on a real anvil node started by the test: a wrong claim on the MNIST CNN is
//! challenged and rejected; a correct claim survives a malicious challenger and finalizes.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use verinfer_chain::{dev_signers, Anvil, Chain, Deployments, RpcChain};
use verinfer_opml::{
    ensure_opml, lying_execution, simulate, Challenger, ChallengerStrategy, Execution, GameParams,
    SimReport, Submitter, SubmitterStrategy, TraceLie,
};

fn contracts_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../contracts")
}

#[test]
fn mnist_disputes_on_anvil() {
    let (g, inputs) = verinfer_testing::models::bundled("mnist_cnn");
    let anvil = Anvil::spawn(&contracts_dir(), &[]).expect("anvil (npm ci --prefix contracts)");
    let mut chain = RpcChain::connect(anvil.url(), dev_signers().unwrap()).unwrap();
    let a = chain.accounts();
    let params = GameParams {
        window: 600,
        clock: 300,
        ..GameParams::default()
    };
    let (c, _) = ensure_opml(&mut chain, &mut Deployments::default(), a[0], &params).unwrap();

    // A wrong claim (one output logit off by one) is challenged and rejected.
    let last = g.nodes.len() - 1;
    let lie = TraceLie {
        node: last,
        element: 2,
        delta: 1,
        propagate: false,
    };
    let mut liar = Submitter::new(
        lying_execution(g.clone(), &inputs, lie).unwrap(),
        a[0],
        SubmitterStrategy::Honest,
    );
    let mut honest = Challenger::new(
        Execution::run(g.clone(), &inputs).unwrap(),
        a[1],
        ChallengerStrategy::Honest,
    );
    let r = simulate(&mut chain, &c, &mut liar, &mut honest, false).unwrap();
    ended(&r, ("challenger", "rejected"), "wrong claim");

    // A correct claim survives a challenger that picks at random, and finalizes.
    let mut submitter = Submitter::new(
        Execution::run(g.clone(), &inputs).unwrap(),
        a[2],
        SubmitterStrategy::Honest,
    );
    let mut rogue = Challenger::new(
        Execution::run(g, &inputs).unwrap(),
        a[3],
        ChallengerStrategy::Random(99),
    );
    let r = simulate(&mut chain, &c, &mut submitter, &mut rogue, true).unwrap();
    ended(&r, ("submitter", "finalized"), "correct claim");
}

/// `r` ended with `want` (winner, claim status); its figures printed under `label`.
fn ended(r: &SimReport, want: (&str, &str), label: &str) {
    assert_eq!((r.winner.as_str(), r.claim_status.as_str()), want, "{r:#?}");
    eprintln!(
        "{label}: {} moves, {} gas, {} ms",
        r.moves, r.total_gas, r.wall_ms
    );
}

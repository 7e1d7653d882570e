//! A reorganisation on a real node (anvil's `anvil_reorg`) that removes a wrong claim the
//! node had seen and challenged, and a correct claim from someone else that then takes the
//! same claim id. The node must notice (the hash of the last block it read changed), keep its
//! records (the vanished game is marked, not forgotten), and never act on the vanished claim:
//! in particular not challenge the honest claim that now has its id.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

use crate::common;
use common::*;
use verinfer_chain::{dev_signers, Anvil, Chain, Deployments, RpcChain};
use verinfer_node::state::{GameStanding, Verdict};
use verinfer_node::{Node, NodeState};
use verinfer_opml::{lying_execution, Execution, Submitter, SubmitterStrategy, TraceLie};
use verinfer_testing::chain::game_params;
use verinfer_testing::oracle::{deploy_stack, register_and_learn, Stack};

/// Replaces the last `depth` blocks with empty ones.
fn reorg(chain: &mut RpcChain, depth: u64) {
    let object = serde_json::json!([{ "depth": depth, "txBlockPairs": [] }]);
    if chain.raw_request("anvil_reorg", object).is_err() {
        chain
            .raw_request("anvil_reorg", serde_json::json!([depth, []]))
            .expect("anvil_reorg");
    }
}

#[test]
fn attack_reorg_replaces_a_seen_claim_under_the_same_id() {
    let contracts = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../contracts");
    let anvil = Anvil::spawn(&contracts, &[]).expect("anvil (npm ci --prefix contracts)");
    let mut chain = RpcChain::connect(anvil.url(), dev_signers().unwrap()).unwrap();
    let a = chain.accounts();
    let (owner, someone, honest, liar) = (a[0], a[1], a[2], a[3]);
    let Stack { c, cfg, oracle, .. } = deploy_stack(
        &mut chain,
        &mut Deployments::default(),
        owner,
        &game_params(600, 300),
    );
    let (g, input) = mlp().clone();
    register_and_learn(&mut chain, &c, owner, &g);
    let dir = tmpdir("anvil-reorg");
    let models = models_dir(&dir);
    let state_dir = dir.join("node");
    let open = |chain: &mut RpcChain| -> Node {
        open_node(
            chain,
            oracle.address,
            honest,
            state_dir.clone(),
            &models,
            common::honest,
        )
    };
    let mut node = open(&mut chain);
    node.tick(&mut chain).unwrap();

    // A wrong claim, with its input posted: the node challenges it at once.
    let lie = TraceLie {
        node: 1,
        element: 2,
        delta: 3,
        propagate: true,
    };
    let before = chain.block().unwrap().number;
    let mut s = Submitter::new(
        lying_execution(g.clone(), &input, lie).unwrap(),
        liar,
        SubmitterStrategy::Silent,
    );
    s.publish_inputs = true;
    let (claim, _) = s.claim(&mut chain, &c.game, &cfg).unwrap();
    node.tick(&mut chain).unwrap();
    let seen = node.state().checked[&claim].clone();
    assert_eq!(seen.check.verdict, Verdict::Wrong);
    assert_eq!(seen.submitter, liar);
    let game = seen.check.game.expect("challenged");
    let depth = chain.block().unwrap().number - before;

    // The blocks holding the claim and the challenge are replaced; an honest claim by someone
    // else now gets the same id.
    reorg(&mut chain, depth);
    assert!(
        c.game.game(&mut chain, game).is_err()
            || c.game.game(&mut chain, game).unwrap().challenger != honest,
        "the game is gone"
    );
    let mut s = Submitter::new(
        Execution::run(g.clone(), &input).unwrap(),
        someone,
        SubmitterStrategy::Honest,
    );
    s.publish_inputs = true;
    let (same, _) = s.claim(&mut chain, &c.game, &cfg).unwrap();
    assert_eq!(same, claim, "the id is reused");

    let r = node.tick(&mut chain).unwrap();
    assert_eq!(r.transactions, 0, "nothing sent against the honest claim");
    let st = node.state();
    assert!(st.halted.is_none(), "a reorganisation is not a restart");
    let now = &st.checked[&claim];
    assert_eq!(
        now.submitter, someone,
        "the record is the claim on chain now"
    );
    assert_eq!(now.check.verdict, Verdict::Correct);
    assert!(now.check.game.is_none());
    let g_rec = &st.games[&game];
    assert_eq!(g_rec.standing, GameStanding::Vanished, "{g_rec:?}");
    // And the state on disk says the same (nothing lost, the game kept for the record).
    let on_disk = NodeState::load(&state_dir).unwrap().unwrap();
    assert_eq!(&on_disk, node.state());
    // Later ticks stay quiet.
    assert_eq!(node.tick(&mut chain).unwrap().transactions, 0);
    drop(anvil);
}

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

mod common;

use common::*;
use verinfer_chain::{dev_signers, Anvil, Chain, Deployments, RpcChain, U256};
use verinfer_node::state::Verdict;
use verinfer_node::{Contracts, ModelStore, Node, NodeConfig, NodeState};
use verinfer_opml::facts::model_opening;
use verinfer_opml::{
    ensure_opml, lying_execution, Execution, GameParams, Submitter, SubmitterStrategy, TraceLie,
};
use verinfer_oracle::{OracleClient, OracleParams};

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
    let gp = GameParams {
        window: 600,
        clock: 300,
        ..GameParams::default()
    };
    let (c, _) = ensure_opml(&mut chain, &mut Deployments::default(), owner, &gp).unwrap();
    let cfg = c.game.config(&mut chain).unwrap();
    let params = OracleParams {
        fee: U256::from(10u64).pow(U256::from(16u64)),
        owner_share_bps: 1_000,
        cancel_delay: 3_600,
        max_callback_gas: 2_000_000,
    };
    let (oracle, _) = OracleClient::deploy(
        &mut chain,
        owner,
        c.registry.address,
        c.game.address,
        &params,
    )
    .unwrap();
    let (g, input) = mlp().clone();
    let model = verinfer_node::model_id_of(&g);
    c.registry
        .register(&mut chain, owner, model, "test://digits_mlp")
        .unwrap();
    let m = verinfer_commit::ModelCommitment::new(&g);
    c.game
        .learn_model(&mut chain, owner, model, model_opening(&g, &m).unwrap())
        .unwrap();
    let dir = tmpdir("anvil-reorg");
    let models = models_dir(&dir);
    let state_dir = dir.join("node");
    let open = |chain: &mut RpcChain| -> Node {
        let contracts = Contracts::at(chain, oracle.address).unwrap();
        Node::open(
            chain,
            NodeConfig::new(honest, state_dir.clone()),
            ModelStore::load_dir(&models).unwrap(),
            contracts,
        )
        .unwrap()
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
    assert_eq!(seen.verdict, Verdict::Wrong);
    assert_eq!(seen.submitter, liar);
    let game = seen.game.expect("challenged");
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
    assert_eq!(now.verdict, Verdict::Correct);
    assert!(now.game.is_none());
    let g_rec = &st.games[&game];
    assert!(g_rec.over && g_rec.phase == "Vanished", "{g_rec:?}");
    // And the state on disk says the same (nothing lost, the game kept for the record).
    let on_disk = NodeState::load(&state_dir).unwrap().unwrap();
    assert_eq!(&on_disk, node.state());
    // Later ticks stay quiet.
    assert_eq!(node.tick(&mut chain).unwrap().transactions, 0);
    drop(anvil);
}

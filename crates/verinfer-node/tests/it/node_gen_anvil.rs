//! Two nodes serving the tiny LLaMA against a real JSON-RPC endpoint (anvil): a text request,
//! a lying node's answer (a wrong token), the honest node's answer beside it, its challenge
//! played to the end over RPC, the liar's claim rejected, the honest answer settled and the
//! consumer called back with the honest tokens.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;
use std::path::Path;
use std::sync::Arc;

use common::gen::text_node;
use verinfer_chain::{dev_signers, Anvil, Chain, Deployments, RpcChain, U256};
use verinfer_node::gen_state::TextRequestState;
use verinfer_node::state::OwnClaimStatus;
use verinfer_node::Node;
use verinfer_opml::generation::{GenLie, GenModel};
use verinfer_opml::ClaimStatus;
use verinfer_oracle::TextRequestId;
use verinfer_testing::chain::game_params;
use verinfer_testing::llm::{
    deploy_text_stack, honest_tokens, received, request_text, tiny_llm, tiny_prompt, TextStack,
};
use verinfer_testing::oracle::{deploy_stack, Stack};

const N: u32 = 8;
const WINDOW: u64 = 600;
const CLOCK: u64 = 300;

#[test]
fn a_lying_node_loses_to_an_honest_node_over_json_rpc() {
    let contracts = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../contracts");
    let anvil = Anvil::spawn(&contracts, &[]).expect("anvil (npm ci --prefix contracts)");
    let mut chain = RpcChain::connect(anvil.url(), dev_signers().unwrap()).unwrap();
    let a = chain.accounts();
    let (owner, requester, honest, liar) = (a[0], a[1], a[2], a[3]);
    let gp = game_params(WINDOW, CLOCK);
    let Stack { c, oracle, .. } = deploy_stack(&mut chain, &mut Deployments::default(), owner, &gp);

    let graph = tiny_llm(16);
    let m = Arc::new(GenModel::new(graph.clone()).unwrap());
    let dir = common::tmpdir("gen-anvil");
    let models = common::models_dir(&dir);
    verinfer_ir::vmodel::save(&graph, &models.join("llama_tiny.vmodel")).unwrap();
    let TextStack {
        game,
        text,
        consumer,
        word,
        ..
    } = deploy_text_stack(&mut chain, owner, &c, &m, &gp);

    let open = |chain: &mut RpcChain, who, name: &str, lie| -> Node {
        let cfg = text_node(text.address, lie);
        common::open_node(chain, oracle.address, who, dir.join(name), &models, cfg)
    };
    // The first generated token read back wrong at the next step.
    let mut l = open(
        &mut chain,
        liar,
        "liar",
        Some(GenLie::WrongToken { step: 4 }),
    );
    let mut h = open(&mut chain, honest, "honest", None);

    let prompt = tiny_prompt(&m, 0);
    let (id, _) = request_text(
        &mut chain, &text, requester, word, &prompt, N, consumer, 300_000,
    );

    let start = std::time::Instant::now();
    let mut quiet = 0;
    for _ in 0..400 {
        let sent =
            l.tick(&mut chain).unwrap().transactions + h.tick(&mut chain).unwrap().transactions;
        if sent > 0 {
            quiet = 0;
            continue;
        }
        quiet += 1;
        if text.status(&mut chain, id).unwrap() == verinfer_oracle::RequestStatus::Fulfilled {
            break;
        }
        let open_game = h.state().generation.games.values().any(|g| !g.over);
        chain
            .advance_time(if open_game { CLOCK + 1 } else { WINDOW + 1 })
            .unwrap();
        assert!(quiet < 20, "the nodes never finished");
    }
    eprintln!(
        "two nodes over JSON-RPC: {:.1} s",
        start.elapsed().as_secs_f64()
    );

    let (&lclaim, lrec) = l
        .state()
        .generation
        .claims
        .iter()
        .next()
        .expect("the liar answered");
    assert!(lrec.lie);
    assert_eq!(lrec.status, OwnClaimStatus::Rejected);
    assert_eq!(
        game.status(&mut chain, lclaim).unwrap(),
        ClaimStatus::Rejected
    );
    let g = h.state().generation.games.values().next().expect("a game");
    assert_eq!(g.phase, "ChallengerWon");
    assert_eq!(
        h.state().generation.requests[&id.index()].state,
        TextRequestState::Fulfilled { ours: true }
    );
    let want = honest_tokens(&m, &prompt, N);
    let got = text
        .tokens_of(&mut chain, TextRequestId::new(id.index()))
        .unwrap();
    assert_eq!(got.iter().map(|&t| t as i32).collect::<Vec<_>>(), want);
    assert_eq!(received(&mut chain, owner, consumer), (U256::from(1), want));
    eprintln!(
        "honest: {} transactions, {} gas; liar: {} transactions, {} gas",
        h.state().transactions,
        h.state().gas_used,
        l.state().transactions,
        l.state().gas_used
    );
    drop(anvil);
}

//! Issue 17 item 8, defence in depth on chain: the game refuses a node that reads a value not
//! computed before it, and the one-step verifier refuses an op tag it does not know (instead of
//! reading it as some other op). Both are graphs our own decoder refuses; a model publisher
//! can still register their commitment, so the contracts must not rely on that.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use alloy_primitives::I256;
use verinfer_chain::bindings::OneStepVerifier;
use verinfer_chain::{view, Chain};
use verinfer_commit::encode::node_words;
use verinfer_ir::{Operand, ValueId};
use verinfer_opml::simulate::prepare_model;
use verinfer_opml::{
    Challenger, ChallengerStrategy, Execution, OpmlError, Party, Phase, Submitter,
    SubmitterStrategy,
};

/// A publisher commits a graph whose second node reads the last node's output (a forward,
/// circular read). The submitter posts the honest values; a challenger whose trace differs at
/// that node descends to it and names it: the game must refuse the node there rather than
/// start a dispute over a node whose operands are not in the trace before it.
#[test]
fn attack_forward_operand_node() {
    let (g, inputs) = verinfer_testing::models::bundled("digits_mlp");
    let honest = Execution::run(g.clone(), &inputs).unwrap();
    let mut values = honest.values().to_vec();
    let mut bad = g.clone();
    let last = ValueId((bad.num_values() - 1) as u32);
    let k = 1;
    let slot = bad.nodes[k]
        .inputs
        .iter()
        .position(|o| matches!(o, Operand::Value(_)))
        .expect("node 1 reads a value");
    bad.nodes[k].inputs[slot] = Operand::Value(last);
    assert!(
        verinfer_ir::validate::validate(&bad).is_err(),
        "our own decoder refuses the graph; only the contract is under test here"
    );

    let (mut chain, c) = verinfer_testing::chain::deployed_opml();
    let a = chain.accounts();
    let submitter_exec = Execution::from_values(bad.clone(), values.clone()).unwrap();
    let target = bad.inputs.len() + k;
    values[target][0] = values[target][0].wrapping_add(1);
    let challenger_exec = Execution::from_values(bad.clone(), values).unwrap();
    let mut submitter = Submitter::new(submitter_exec, a[0], SubmitterStrategy::Honest);
    let mut challenger = Challenger::new(challenger_exec, a[1], ChallengerStrategy::Honest);
    prepare_model(&mut chain, &c.registry, &c.game, &submitter).unwrap();
    let cfg = c.game.config(&mut chain).unwrap();
    let (claim, _) = submitter.claim(&mut chain, &c.game, &cfg).unwrap();
    let (game, _) = c
        .game
        .challenge(&mut chain, a[1], cfg.challenger_bond, claim)
        .unwrap();
    // Play until the challenger's move is refused: it must be the naming of that node.
    let mut refused = None;
    for _ in 0..64 {
        let phase = Phase::from_u8(c.game.game(&mut chain, game).unwrap().phase).unwrap();
        assert!(
            !phase.is_over(),
            "the game ended in {phase:?} before the node was named"
        );
        if phase.submitter_moves() {
            submitter.act(&mut chain, &c.game, &cfg, game).unwrap();
        } else if let Err(e) = challenger.act(&mut chain, &c.game, &cfg, game) {
            assert_eq!(phase, Phase::NodeWords, "{e}");
            refused = Some(e);
            break;
        } else if phase == Phase::NodeWords {
            panic!(
                "the game accepted a node that reads value {} at value {target}",
                last.0
            );
        }
    }
    let err = refused.expect("the challenger reached the node");
    assert!(matches!(err, OpmlError::Chain(_)), "{err:?}");
    assert!(
        err.to_string().contains("operand id not below"),
        "nameNode must refuse the node: {err}"
    );
}

/// Every word that could stand where a node's op tag is but names no op is refused by the
/// one-step verifier's decoder (it used to be read as a Gather when above the last tag).
#[test]
fn attack_unknown_op_tag() {
    let (g, _) = verinfer_testing::models::bundled("digits_mlp");
    let (mut chain, c) = verinfer_testing::chain::deployed_opml();
    let from = chain.accounts()[0];
    let words = node_words(&g, &g.nodes[0]);
    let mut check = |w: &[i128], ok: bool| {
        let call = OneStepVerifier::describeCall {
            words: w.iter().map(|&x| I256::try_from(x).unwrap()).collect(),
        };
        let r = view(
            &mut chain,
            from,
            c.verifier,
            &call,
            "OneStepVerifier.describe",
        );
        assert_eq!(r.is_ok(), ok, "tag {}: {:?}", w[0], r.err());
        if let Err(e) = r {
            assert!(e.to_string().contains("MalformedNode"), "tag {}: {e}", w[0]);
        }
    };
    check(&words, true);
    for tag in [0i128, 9, 10, 255, 256, -1, i128::from(i64::MAX)] {
        let mut m = words.clone();
        m[0] = tag;
        check(&m, false);
    }
}

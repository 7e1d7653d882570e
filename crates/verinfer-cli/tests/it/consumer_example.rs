//! contracts/examples/ClassifierConsumer.sol, the consumer contract a dApp copies: it asks the
//! InferenceOracle for the digits MLP, an honest node answers optimistically, the answer
//! settles after its window, and the callback stores the predicted class — on revm.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use alloy_sol_types::{SolCall, SolConstructor};
use verinfer_chain::{view, Chain, ChainError, Tx, U256};
use verinfer_opml::{Execution, Submitter, SubmitterStrategy};
use verinfer_oracle::RequestId;
use verinfer_testing::models::golden_mlp;
use verinfer_testing::oracle::{mlp_oracle, outputs};

alloy_sol_types::sol!(
    #[sol(all_derives)]
    ClassifierConsumer,
    "../../contracts/artifacts/ClassifierConsumer.json"
);

#[test]
fn the_example_consumer_asks_and_receives_the_class() {
    let mut env = mlp_oracle(3600, 600);
    let (owner, requester, node) = (env.accounts[0], env.accounts[1], env.accounts[2]);
    let chain = &mut env.chain;
    let oracle = env.stack.oracle.address;
    let mut init = ClassifierConsumer::BYTECODE.to_vec();
    init.extend(
        ClassifierConsumer::constructorCall {
            oracle_: oracle,
            modelId_: env.model,
        }
        .abi_encode(),
    );
    let consumer = chain
        .send(Tx::deploy(owner, init, "deploy ClassifierConsumer"))
        .unwrap()
        .contract_address
        .unwrap();

    let (graph, input) = golden_mlp();
    let fee: U256 = view(
        chain,
        requester,
        consumer,
        &ClassifierConsumer::feeCall {},
        "fee",
    )
    .unwrap();
    let ask = ClassifierConsumer::askCall {
        input: input.clone(),
    };
    // Underpaid: the oracle refuses, and nothing is pending.
    let short =
        Tx::call(requester, consumer, ask.abi_encode(), "ask").with_value(fee - U256::from(1));
    assert!(matches!(
        chain.send(short),
        Err(ChainError::Reverted { .. })
    ));
    chain
        .send(Tx::call(requester, consumer, ask.abi_encode(), "ask").with_value(fee))
        .unwrap();
    let req = RequestId::new(0);
    let pending = |chain: &mut dyn Chain| -> bool {
        view(
            chain,
            requester,
            consumer,
            &ClassifierConsumer::pendingCall(U256::ZERO),
            "pending",
        )
        .unwrap()
    };
    assert!(pending(chain));

    // Only the oracle may call back.
    let forged = ClassifierConsumer::onInferenceCall {
        requestId: U256::ZERO,
        modelId_: env.model,
        outputs: vec![vec![0, 9]],
    };
    let r = chain.send(Tx::call(
        requester,
        consumer,
        forged.abi_encode(),
        "forged callback",
    ));
    assert!(matches!(r, Err(ChainError::Reverted { .. })), "{r:?}");

    // An honest node answers by claim; after the window the claim finalizes and settles.
    let exec = Execution::run(graph.clone(), input).unwrap();
    let outs = outputs(&exec);
    let sub = Submitter::new(exec, node, SubmitterStrategy::Honest);
    let (game, cfg) = (env.stack.c.game, env.stack.cfg);
    let (claim, _) = env
        .stack
        .oracle
        .answer(chain, &game, &cfg, &sub, req)
        .unwrap();
    chain.advance_time(cfg.window + 1).unwrap();
    game.finalize(chain, node, claim).unwrap();
    env.stack.oracle.settle(chain, node, req, &outs).unwrap();

    let logits = &outs[0];
    let best = (0..logits.len()).fold(0, |b, i| if logits[i] > logits[b] { i } else { b });
    let predicted: U256 = view(
        chain,
        requester,
        consumer,
        &ClassifierConsumer::predictedCall(U256::ZERO),
        "predicted",
    )
    .unwrap();
    assert_eq!(predicted, U256::from(best));
    let answered: U256 = view(
        chain,
        requester,
        consumer,
        &ClassifierConsumer::answeredCall {},
        "answered",
    )
    .unwrap();
    assert_eq!(answered, U256::from(1));
    assert!(!pending(chain));
}

//! InferenceOracle, optimistic path, on the in-process chain with the real InferenceGame and
//! real claims of the digits MLP: request → claim → answer → finalize → settle → callback;
//! a lying answer challenged, rejected, reopened and answered honestly; every malformed
//! request and mismatching answer reverted with its custom error; callbacks that revert or
//! burn their gas; cancellation.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use verinfer_chain::bindings_oracle::InferenceOracle::{self, InferenceOracleErrors as E};
use verinfer_chain::bindings_oracle::{GasBurningConsumer, RevertingConsumer};
use verinfer_chain::{Address, Chain, Tx, B256, U256};
use verinfer_opml::{lying_execution, ClaimStatus, TraceLie};
use verinfer_oracle::{
    roots_hash, tensor_roots, CallbackOutcome, InferenceOracleEvents, OracleClient, OracleError,
    RequestStatus,
};

fn lie_at_output(env: &Env) -> verinfer_opml::Execution {
    let (g, input) = mlp();
    let _ = env;
    lying_execution(
        g.clone(),
        input,
        TraceLie {
            node: g.nodes.len() - 1,
            element: 3,
            delta: 1,
            propagate: false,
        },
    )
    .unwrap()
}

#[test]
fn optimistic_request_settles_pays_and_calls_back() {
    let mut env = env();
    let (g, input) = mlp().clone();
    let fee = env.params.fee;
    let (req, r) = env
        .oracle
        .request(
            &mut env.chain,
            env.who.requester,
            env.model,
            &input,
            env.consumer,
            CALLBACK_GAS,
            fee,
        )
        .unwrap();
    gas("request (64-element input, callback)", r.gas_used);
    // The Requested event carries the input and its roots; the views agree.
    let ev = env.oracle.requested_event(&mut env.chain, req).unwrap();
    assert_eq!(ev.input, input);
    assert_eq!(ev.inputRoots, tensor_roots(&input));
    assert_eq!(ev.modelId, env.model);
    assert_eq!(ev.fee, fee);
    assert_eq!(env.oracle.input_of(&mut env.chain, req).unwrap(), input);
    assert_eq!(
        env.oracle.input_roots(&mut env.chain, req).unwrap(),
        tensor_roots(&input)
    );
    let info = env.oracle.get_request(&mut env.chain, req).unwrap();
    assert_eq!(info.inputsHash, roots_hash(&input));
    assert_eq!(info.requester, env.who.requester);
    assert_eq!(
        env.oracle.status(&mut env.chain, req).unwrap(),
        RequestStatus::Open
    );

    // An honest node claims in the game (outputs posted) and answers with the claim.
    let e = exec(&g, &input);
    let outs = outputs(&e);
    let node = env.who.node;
    let (claim, _) = env.claim(e, node);
    let r = env
        .oracle
        .answer_with_claim(&mut env.chain, node, req, claim, &outs)
        .unwrap();
    gas("answerWithClaim (10 outputs)", r.gas_used);
    let evs = env.oracle.receipt_events(&r);
    assert!(
        matches!(&evs[..], [InferenceOracleEvents::AnsweredWithClaim(a)]
        if a.requestId == U256::from(req) && a.claimId == U256::from(claim) && a.answerer == node && a.outputs == outs)
    );
    assert_eq!(
        env.oracle.status(&mut env.chain, req).unwrap(),
        RequestStatus::Claimed
    );
    assert_eq!(env.oracle.outputs_of(&mut env.chain, req).unwrap(), outs);

    // Not final yet: settle refuses (status 1 = Pending).
    let err = oracle_err(env.oracle.settle(&mut env.chain, env.who.requester, req));
    assert_eq!(
        err,
        E::ClaimNotFinalized(InferenceOracle::ClaimNotFinalized {
            claimId: U256::from(claim),
            status: 1
        })
    );
    // A pending claim cannot be "reopened" either.
    let err = oracle_err(env.oracle.reopen(&mut env.chain, env.who.requester, req));
    assert!(matches!(err, E::ClaimNotRejected(_)));

    env.finalize(claim);
    let oracle_balance = env.chain.balance(env.oracle.address).unwrap();
    assert_eq!(oracle_balance, fee);
    let s = env
        .oracle
        .settle(&mut env.chain, env.who.liar, req)
        .unwrap();
    gas("settle (callback storing 10 outputs)", s.receipt.gas_used);
    assert_eq!(s.callback, CallbackOutcome::Delivered);
    assert_eq!(s.answerer, node);
    assert_eq!(s.model_owner, env.who.owner);
    // Fee split: 10% to the model owner, 90% to the node.
    assert_eq!(s.owner_share, fee / U256::from(10));
    assert_eq!(s.answerer_share, fee - fee / U256::from(10));
    assert_eq!(
        env.oracle.status(&mut env.chain, req).unwrap(),
        RequestStatus::Fulfilled
    );

    // The consumer got exactly the outputs, from the oracle, once.
    assert_eq!(env.consumer_outputs(), outs);
    assert_eq!(env.consumer_calls(), U256::from(1));
    let from = env.who.owner;
    let caller = verinfer_chain::view(
        &mut env.chain,
        from,
        env.consumer,
        &verinfer_chain::bindings_oracle::ConsumerHarness::lastCallerCall {},
        "lastCaller",
    )
    .unwrap();
    assert_eq!(caller, env.oracle.address);
    let last_model = verinfer_chain::view(
        &mut env.chain,
        from,
        env.consumer,
        &verinfer_chain::bindings_oracle::ConsumerHarness::lastModelIdCall {},
        "lastModelId",
    )
    .unwrap();
    assert_eq!(last_model, env.model);

    // Pull payments, measured on balances.
    let owed_owner = env.oracle.owed(&mut env.chain, env.who.owner).unwrap();
    let owed_node = env.oracle.owed(&mut env.chain, node).unwrap();
    assert_eq!(owed_owner + owed_node, fee);
    assert_eq!(owed_owner, eth_milli(1));
    let before = env.chain.balance(node).unwrap();
    let r = env.oracle.withdraw(&mut env.chain, node).unwrap();
    gas("withdraw", r.gas_used);
    let after = env.chain.balance(node).unwrap();
    // In-process transactions cost no ether (zero gas price): the whole share arrives.
    assert_eq!(after - before, owed_node);
    assert_eq!(env.oracle.owed(&mut env.chain, node).unwrap(), U256::ZERO);
    env.oracle.withdraw(&mut env.chain, env.who.owner).unwrap();
    assert_eq!(env.chain.balance(env.oracle.address).unwrap(), U256::ZERO);
    assert!(matches!(
        oracle_err(env.oracle.withdraw(&mut env.chain, node)),
        E::NothingOwed(_)
    ));

    // Settled once: settle, answer and cancel all refuse now.
    assert!(matches!(
        oracle_err(env.oracle.settle(&mut env.chain, node, req)),
        E::NotClaimed(_)
    ));
    let (claim2, _) = env.claim(exec(&g, &input), node);
    assert!(matches!(
        oracle_err(
            env.oracle
                .answer_with_claim(&mut env.chain, node, req, claim2, &outs)
        ),
        E::NotOpen(_)
    ));
    assert_eq!(
        env.oracle.claims_of(&mut env.chain, req).unwrap(),
        vec![claim]
    );
}

#[test]
fn lying_answer_is_rejected_reopened_and_answered_honestly() {
    let mut env = env();
    let (g, input) = mlp().clone();
    let req = env.request(&input);

    // The liar's claim has a wrong output element; its posted outputs match its own claim, so
    // the oracle accepts the answer (it cannot know better) — the game will not.
    let lie = lie_at_output(&env);
    let lying_outs = outputs(&lie);
    let honest_outs = outputs(&exec(&g, &input));
    assert_ne!(lying_outs, honest_outs);
    let liar = env.who.liar;
    let (bad_claim, mut liar_sub) = env.claim(lie, liar);
    env.oracle
        .answer_with_claim(&mut env.chain, liar, req, bad_claim, &lying_outs)
        .unwrap();

    // The requester challenges and wins the game: the claim is rejected.
    let requester = env.who.requester;
    env.dispute(bad_claim, &mut liar_sub, requester);
    assert_eq!(env.claim_status(bad_claim), ClaimStatus::Rejected);
    let err = oracle_err(env.oracle.settle(&mut env.chain, requester, req));
    assert_eq!(
        err,
        E::ClaimNotFinalized(InferenceOracle::ClaimNotFinalized {
            claimId: U256::from(bad_claim),
            status: 3
        })
    );

    // Anyone reopens it.
    let r = env
        .oracle
        .reopen(&mut env.chain, env.who.owner, req)
        .unwrap();
    gas("reopen", r.gas_used);
    assert!(
        matches!(&env.oracle.receipt_events(&r)[..], [InferenceOracleEvents::Reopened(e)]
        if e.requestId == U256::from(req) && e.claimId == U256::from(bad_claim))
    );
    assert_eq!(
        env.oracle.status(&mut env.chain, req).unwrap(),
        RequestStatus::Open
    );
    assert!(env
        .oracle
        .outputs_of(&mut env.chain, req)
        .unwrap()
        .is_empty());

    // An honest node answers and settles; the consumer sees the honest outputs only.
    let node = env.who.node;
    let (good_claim, _) = env.claim(exec(&g, &input), node);
    env.oracle
        .answer_with_claim(&mut env.chain, node, req, good_claim, &honest_outs)
        .unwrap();
    env.finalize(good_claim);
    let s = env.oracle.settle(&mut env.chain, node, req).unwrap();
    assert_eq!(s.callback, CallbackOutcome::Delivered);
    assert_eq!(env.consumer_outputs(), honest_outs);
    assert_eq!(env.consumer_calls(), U256::from(1));
    assert_eq!(
        env.oracle.claims_of(&mut env.chain, req).unwrap(),
        vec![bad_claim, good_claim]
    );
    assert_eq!(env.oracle.owed(&mut env.chain, liar).unwrap(), U256::ZERO);
    assert_eq!(
        env.oracle.owed(&mut env.chain, node).unwrap(),
        env.params.fee - env.params.fee / U256::from(10)
    );
}

#[test]
fn malformed_requests_revert_with_custom_errors() {
    let mut env = env();
    let input = mlp().1.clone();
    let (req, model, fee, consumer) = (env.who.requester, env.model, env.params.fee, env.consumer);
    let o = env.oracle;
    let mut call = |model: B256, input: &[Vec<i32>], gas: u64, fee: U256| {
        oracle_err(o.request(&mut env.chain, req, model, input, consumer, gas, fee))
    };
    let unknown = B256::repeat_byte(7);
    assert_eq!(
        call(unknown, &input, 0, fee),
        E::UnknownModel(InferenceOracle::UnknownModel { modelId: unknown })
    );
    assert_eq!(
        call(model, &input, 0, fee - U256::from(1)),
        E::FeeTooLow(InferenceOracle::FeeTooLow {
            required: fee,
            paid: fee - U256::from(1)
        })
    );
    let two = vec![input[0].clone(), input[0].clone()];
    assert_eq!(
        call(model, &two, 0, fee),
        E::WrongInputCount(InferenceOracle::WrongInputCount {
            expected: U256::from(1),
            got: U256::from(2)
        })
    );
    assert_eq!(
        call(model, &[], 0, fee),
        E::EmptyInput(InferenceOracle::EmptyInput {})
    );
    assert_eq!(
        call(model, &input, 2_000_001, fee),
        E::CallbackGasTooHigh(InferenceOracle::CallbackGasTooHigh {
            max: U256::from(2_000_000),
            got: U256::from(2_000_001)
        })
    );
    // Overpaying is fine: the whole value is the fee.
    let (id, _) = o
        .request(
            &mut env.chain,
            req,
            model,
            &input,
            consumer,
            0,
            fee * U256::from(2),
        )
        .unwrap();
    assert_eq!(
        o.get_request(&mut env.chain, id).unwrap().fee,
        fee * U256::from(2)
    );
    // Views of a request that does not exist.
    assert!(matches!(
        oracle_err(o.get_request(&mut env.chain, 99)),
        E::NoSuchRequest(_)
    ));
    assert!(matches!(
        oracle_err(o.settle(&mut env.chain, req, 99)),
        E::NoSuchRequest(_)
    ));
    assert_eq!(o.request_count(&mut env.chain).unwrap(), 1);
}

#[test]
fn answers_that_do_not_match_the_request_revert() {
    let mut env = env();
    let (g, input) = mlp().clone();
    let req = env.request(&input);
    let node = env.who.node;
    let outs = outputs(&exec(&g, &input));

    // A claim on another input.
    let x2 = other_input();
    let e2 = exec(&g, &x2);
    let outs2 = outputs(&e2);
    let (c_other_input, _) = env.claim(e2, node);
    assert_eq!(
        oracle_err(
            env.oracle
                .answer_with_claim(&mut env.chain, node, req, c_other_input, &outs2)
        ),
        E::InputMismatch(InferenceOracle::InputMismatch {
            requestId: U256::from(req),
            claimId: U256::from(c_other_input)
        })
    );

    // A claim of another model on the same input.
    let g2 = other_mlp();
    let m2 = register_and_learn(&mut env, &g2);
    let e3 = exec(&g2, &input);
    let outs3 = outputs(&e3);
    let (c_other_model, _) = env.claim(e3, node);
    assert_eq!(
        oracle_err(
            env.oracle
                .answer_with_claim(&mut env.chain, node, req, c_other_model, &outs3)
        ),
        E::ModelMismatch(InferenceOracle::ModelMismatch {
            requestModel: env.model,
            claimModel: m2
        })
    );

    // The right claim, answered by someone else than its submitter.
    let (good, _) = env.claim(exec(&g, &input), node);
    let liar = env.who.liar;
    assert_eq!(
        oracle_err(
            env.oracle
                .answer_with_claim(&mut env.chain, liar, req, good, &outs)
        ),
        E::NotClaimSubmitter(InferenceOracle::NotClaimSubmitter {
            claimId: U256::from(good),
            submitter: node,
            caller: liar
        })
    );
    // Outputs that are not the claim's.
    let mut wrong = outs.clone();
    wrong[0][0] += 1;
    assert_eq!(
        oracle_err(
            env.oracle
                .answer_with_claim(&mut env.chain, node, req, good, &wrong)
        ),
        E::OutputMismatch(InferenceOracle::OutputMismatch {
            claimId: U256::from(good)
        })
    );
    // A truncated output (trailing zero removed would hash alike: lengths are checked first).
    let mut short = outs.clone();
    short[0].pop();
    assert_eq!(
        oracle_err(
            env.oracle
                .answer_with_claim(&mut env.chain, node, req, good, &short)
        ),
        E::WrongOutputLength(InferenceOracle::WrongOutputLength {
            index: U256::ZERO,
            expected: U256::from(10),
            got: U256::from(9)
        })
    );
    let extra = vec![outs[0].clone(), outs[0].clone()];
    assert!(matches!(
        oracle_err(
            env.oracle
                .answer_with_claim(&mut env.chain, node, req, good, &extra)
        ),
        E::WrongOutputCount(_)
    ));
    // A claim that does not exist.
    assert_eq!(
        oracle_err(
            env.oracle
                .answer_with_claim(&mut env.chain, node, req, 1_000, &outs)
        ),
        E::NoSuchClaim(InferenceOracle::NoSuchClaim {
            claimId: U256::from(1_000)
        })
    );
    // A claim already final is not "pending".
    let (done, _) = env.claim(exec(&g, &input), node);
    env.finalize(done);
    assert_eq!(
        oracle_err(
            env.oracle
                .answer_with_claim(&mut env.chain, node, req, done, &outs)
        ),
        E::ClaimNotPending(InferenceOracle::ClaimNotPending {
            claimId: U256::from(done),
            status: 2
        })
    );
    // The request is untouched by all this and still answerable.
    assert_eq!(
        env.oracle.status(&mut env.chain, req).unwrap(),
        RequestStatus::Open
    );
    assert!(env
        .oracle
        .claims_of(&mut env.chain, req)
        .unwrap()
        .is_empty());
}

/// Answers `req` honestly and lets the claim finalize; returns the claim.
fn answer_and_finalize(env: &mut Env, req: u64) -> (u64, Vec<Vec<i32>>) {
    let (g, input) = mlp().clone();
    let e = exec(&g, &input);
    let outs = outputs(&e);
    let node = env.who.node;
    let (claim, _) = env.claim(e, node);
    env.oracle
        .answer_with_claim(&mut env.chain, node, req, claim, &outs)
        .unwrap();
    env.finalize(claim);
    (claim, outs)
}

#[test]
fn failing_callbacks_do_not_block_settlement() {
    let mut env = env();
    let input = mlp().1.clone();
    let owner = env.who.owner;
    let reverting = deploy_contract(
        &mut env.chain,
        owner,
        &RevertingConsumer::BYTECODE,
        "deploy RevertingConsumer",
    );
    let burning = deploy_contract(
        &mut env.chain,
        owner,
        &GasBurningConsumer::BYTECODE,
        "deploy GasBurningConsumer",
    );
    let eoa = env.who.liar;

    for (label, target, gas_limit, want) in [
        (
            "reverting callback",
            reverting,
            300_000,
            CallbackOutcome::Failed,
        ),
        (
            "gas-burning callback (1M)",
            burning,
            1_000_000,
            CallbackOutcome::Failed,
        ),
        (
            "callback to an account without code",
            eoa,
            300_000,
            CallbackOutcome::Failed,
        ),
        ("no callback", Address::ZERO, 0, CallbackOutcome::NoCallback),
    ] {
        let req = env.request_with(&input, target, gas_limit);
        let (_, outs) = answer_and_finalize(&mut env, req);
        let s = env.oracle.settle(&mut env.chain, owner, req).unwrap();
        gas(&format!("settle, {label}"), s.receipt.gas_used);
        assert_eq!(s.callback, want, "{label}");
        assert_eq!(
            env.oracle.status(&mut env.chain, req).unwrap(),
            RequestStatus::Fulfilled,
            "{label}"
        );
        // The answer stays readable, and the node is paid.
        assert_eq!(env.oracle.outputs_of(&mut env.chain, req).unwrap(), outs);
        if target == burning {
            // The callback got its whole limit and burned it.
            assert!(s.receipt.gas_used > gas_limit, "{}", s.receipt.gas_used);
        }
    }
    let node = env.who.node;
    assert_eq!(
        env.oracle.owed(&mut env.chain, node).unwrap(),
        (env.params.fee - env.params.fee / U256::from(10)) * U256::from(4)
    );
}

#[test]
fn settling_with_too_little_gas_for_the_callback_reverts() {
    let mut env = env();
    let input = mlp().1.clone();
    let owner = env.who.owner;
    let burning = deploy_contract(
        &mut env.chain,
        owner,
        &GasBurningConsumer::BYTECODE,
        "deploy GasBurningConsumer",
    );
    let req = env.request_with(&input, burning, 1_000_000);
    answer_and_finalize(&mut env, req);
    // A settler that sends less gas than the callback's limit cannot starve it: the whole
    // settlement reverts instead of running the callback short.
    let call = InferenceOracle::settleCall {
        requestId: U256::from(req),
    };
    let mut tx = Tx::call(
        owner,
        env.oracle.address,
        alloy_sol_types::SolCall::abi_encode(&call),
        "InferenceOracle.settle",
    );
    tx.gas_limit = Some(900_000);
    let err: OracleError = env.chain.send(tx).unwrap_err().into();
    assert!(matches!(
        err.oracle_error(),
        Some(E::InsufficientGasForCallback(_))
    ));
    assert_eq!(
        env.oracle.status(&mut env.chain, req).unwrap(),
        RequestStatus::Claimed
    );
    // With enough gas it settles (the callback fails, the request is fulfilled).
    let s = env.oracle.settle(&mut env.chain, owner, req).unwrap();
    assert_eq!(s.callback, CallbackOutcome::Failed);
}

#[test]
fn cancel_rules() {
    let mut env = env();
    let input = mlp().1.clone();
    let requester = env.who.requester;
    let fee = env.params.fee;
    let req = env.request(&input);

    // Too early, and not by someone else.
    let err = oracle_err(env.oracle.cancel(&mut env.chain, requester, req));
    assert!(matches!(err, E::CancelTooEarly(_)), "{err:?}");
    let node = env.who.node;
    assert_eq!(
        oracle_err(env.oracle.cancel(&mut env.chain, node, req)),
        E::NotRequester(InferenceOracle::NotRequester {
            requestId: U256::from(req),
            caller: node
        })
    );
    env.chain.advance_time(env.params.cancel_delay).unwrap();
    let r = env.oracle.cancel(&mut env.chain, requester, req).unwrap();
    gas("cancel", r.gas_used);
    assert!(
        matches!(&env.oracle.receipt_events(&r)[..], [InferenceOracleEvents::Cancelled(c)] if c.refund == fee)
    );
    assert_eq!(
        env.oracle.status(&mut env.chain, req).unwrap(),
        RequestStatus::Cancelled
    );
    assert_eq!(env.oracle.owed(&mut env.chain, requester).unwrap(), fee);
    assert!(matches!(
        oracle_err(env.oracle.cancel(&mut env.chain, requester, req)),
        E::NotOpen(_)
    ));
    // A cancelled request cannot be answered.
    let (g, x) = mlp().clone();
    let e = exec(&g, &x);
    let outs = outputs(&e);
    let (claim, _) = env.claim(e, node);
    assert!(matches!(
        oracle_err(
            env.oracle
                .answer_with_claim(&mut env.chain, node, req, claim, &outs)
        ),
        E::NotOpen(_)
    ));
    let before = env.chain.balance(requester).unwrap();
    env.oracle.withdraw(&mut env.chain, requester).unwrap();
    assert_eq!(env.chain.balance(requester).unwrap() - before, fee);

    // A claimed request cannot be cancelled, even after the delay.
    let req2 = env.request(&input);
    env.oracle
        .answer_with_claim(&mut env.chain, node, req2, claim, &outs)
        .unwrap();
    env.chain.advance_time(env.params.cancel_delay).unwrap();
    assert!(matches!(
        oracle_err(env.oracle.cancel(&mut env.chain, requester, req2)),
        E::NotOpen(_)
    ));
    // reopen / settle of an Open request.
    let req3 = env.request(&input);
    assert!(matches!(
        oracle_err(env.oracle.reopen(&mut env.chain, node, req3)),
        E::NotClaimed(_)
    ));
    assert!(matches!(
        oracle_err(env.oracle.settle(&mut env.chain, node, req3)),
        E::NotClaimed(_)
    ));
}

#[test]
fn one_claim_may_answer_several_requests_of_the_same_input() {
    let mut env = env();
    let (g, input) = mlp().clone();
    let a = env.request(&input);
    let b = env.request(&input);
    let e = exec(&g, &input);
    let outs = outputs(&e);
    let node = env.who.node;
    let (claim, _) = env.claim(e, node);
    for req in [a, b] {
        env.oracle
            .answer_with_claim(&mut env.chain, node, req, claim, &outs)
            .unwrap();
    }
    env.finalize(claim);
    for req in [a, b] {
        env.oracle.settle(&mut env.chain, node, req).unwrap();
    }
    assert_eq!(env.consumer_calls(), U256::from(2));
}

#[test]
fn deployment_parameters_are_checked_and_readable() {
    let mut env = env();
    let owner = env.who.owner;
    let p = env.oracle.params(&mut env.chain).unwrap();
    assert_eq!(p, env.params);
    let bad = verinfer_oracle::OracleParams {
        owner_share_bps: 10_001,
        ..env.params
    };
    let (registry, game) = (env.c.registry.address, env.c.game.address);
    let err = oracle_err(OracleClient::deploy(
        &mut env.chain,
        owner,
        registry,
        game,
        &bad,
    ));
    assert!(matches!(err, E::InvalidParameter(_)));
    let err = oracle_err(OracleClient::deploy(
        &mut env.chain,
        owner,
        Address::repeat_byte(1),
        game,
        &env.params,
    ));
    assert!(matches!(err, E::InvalidParameter(_)));
    let (_, r) = OracleClient::deploy(&mut env.chain, owner, registry, game, &env.params).unwrap();
    gas("deploy InferenceOracle", r.gas_used);
    assert!(OracleClient::at(&mut env.chain, env.oracle.address).is_ok());
    assert!(OracleClient::at(&mut env.chain, env.consumer).is_err());
}

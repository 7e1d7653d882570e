//! InferenceOracle, optimistic path, on the in-process chain with the real InferenceGame and
//! real claims of the digits MLP: request → answer (claimAndCall) → finalize → settle →
//! callback; a lying answer challenged and rejected while an honest answer to the same
//! request settles it; every malformed request and mismatching answer reverted with its
//! custom error; callbacks that revert or burn their gas; cancellation.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;
use common::*;
use verinfer_chain::bindings::InferenceGame::InferenceGameErrors as G;
use verinfer_chain::bindings_oracle::InferenceOracle::{self, InferenceOracleErrors as E};
use verinfer_chain::bindings_oracle::{ConsumerHarness, GasBurningConsumer, RevertingConsumer};
use verinfer_chain::{Address, Chain, Tx, B256, U256};
use verinfer_opml::{ClaimStatus, Submitter, SubmitterStrategy};
use verinfer_oracle::{
    roots_hash, tensor_roots, CallbackOutcome, InferenceOracleEvents, OracleClient, OracleError,
    RequestStatus,
};

/// A view of the test's consumer, called from the owner's account.
fn consumer_view<C: alloy_sol_types::SolCall>(env: &mut Env, call: &C, label: &str) -> C::Return {
    verinfer_chain::view(&mut env.chain, env.who.owner, env.consumer, call, label).unwrap()
}

fn output_lie(env: &Env) -> verinfer_opml::Execution {
    let _ = env;
    lie_at_element(3)
}

/// The sample input's execution with output element `element` off by one.
fn lie_at_element(element: usize) -> verinfer_opml::Execution {
    lie_at_output(&mlp().1, element)
}

/// A fresh environment, a request for the MLP's bundled input, and its honest outputs.
fn requested() -> (Env, verinfer_oracle::RequestId, Vec<Vec<i32>>) {
    let mut env = env();
    let (g, input) = mlp();
    let req = env.request(input);
    (env, req, outputs(&exec(g, input)))
}

#[test]
fn optimistic_request_settles_pays_and_calls_back() {
    let mut env = env();
    let (g, input) = mlp().clone();
    let fee = env.params.fee;
    assert_eq!(
        env.oracle
            .required_fee(&mut env.chain, CALLBACK_GAS)
            .unwrap(),
        fee,
        "no base fee in process: the required fee is the fee"
    );
    let model_id = env.model_id();
    let (req, r) = env
        .oracle
        .request(
            &mut env.chain,
            env.who.requester,
            model_id,
            &input,
            env.consumer,
            CALLBACK_GAS,
            fee,
            0,
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
    assert_eq!(info.zkVersion, 0);
    assert_eq!(env.status(req), RequestStatus::Open);

    // An honest node answers: its claim (outputs posted) goes through the game's claimAndCall.
    let e = exec(&g, &input);
    let outs = outputs(&e);
    let node = env.who.node;
    let sub = Submitter::new(e, node, SubmitterStrategy::Honest);
    let (claim, r) = env
        .oracle
        .answer(&mut env.chain, &env.c.game, &env.cfg, &sub, req)
        .unwrap();
    gas("answer (claimAndCall, 10 outputs)", r.gas_used);
    let evs = env.oracle.receipt_events(&r);
    assert!(
        matches!(&evs[..], [InferenceOracleEvents::AnsweredWithClaim(a)]
        if a.requestId == U256::from(req) && a.claimId == U256::from(claim) && a.answerer == node),
        "{evs:?}"
    );
    assert_eq!(env.status(req), RequestStatus::Claimed);
    // Outputs are the request's only once fulfilled.
    assert!(env.outputs(req).is_empty());

    // Not final yet: settle refuses.
    let err = oracle_err(
        env.oracle
            .settle(&mut env.chain, env.who.requester, req, &outs),
    );
    assert_eq!(
        err,
        E::NotFinal(InferenceOracle::NotFinal {
            requestId: U256::from(req)
        })
    );
    // A standing answer keeps the requester from cancelling, even after the delay.
    env.chain.advance_time(env.params.cancel_delay).unwrap();
    let err = oracle_err(env.oracle.cancel(&mut env.chain, env.who.requester, req));
    assert_eq!(
        err,
        E::AnswerStanding(InferenceOracle::AnswerStanding {
            requestId: U256::from(req),
            claimId: U256::from(claim)
        })
    );

    env.finalize(claim);
    let oracle_balance = env.chain.balance(env.oracle.address).unwrap();
    assert_eq!(oracle_balance, fee);
    let s = env.settle(env.who.liar, req, &outs);
    gas("settle (callback storing 10 outputs)", s.receipt.gas_used);
    assert_eq!(s.callback, CallbackOutcome::Delivered);
    assert_eq!(s.answerer, node);
    assert_eq!(s.model_owner, env.who.owner);
    // Fee split: 10% to the model owner, 90% to the node.
    assert_eq!(s.owner_share, fee / U256::from(10));
    assert_eq!(s.answerer_share, fee - fee / U256::from(10));
    assert_eq!(env.status(req), RequestStatus::Fulfilled);
    assert_eq!(env.outputs(req), outs);
    let info = env.oracle.get_request(&mut env.chain, req).unwrap();
    assert_eq!(info.claimId, U256::from(claim));
    assert_eq!(info.answerer, node);
    assert!(!info.viaProof);

    // The consumer got exactly the outputs, from the oracle, once.
    assert_eq!(env.consumer_outputs(), outs);
    assert_eq!(env.consumer_calls(), U256::from(1));
    let caller = consumer_view(&mut env, &ConsumerHarness::lastCallerCall {}, "lastCaller");
    assert_eq!(caller, env.oracle.address);
    let last_model = consumer_view(
        &mut env,
        &ConsumerHarness::lastModelIdCall {},
        "lastModelId",
    );
    assert_eq!(last_model, env.model);

    // Pull payments, measured on balances.
    let owed_owner = env.owed(env.who.owner);
    let owed_node = env.owed(node);
    assert_eq!(owed_owner + owed_node, fee);
    assert_eq!(owed_owner, eth_milli(1));
    let before = env.chain.balance(node).unwrap();
    let r = env.oracle.withdraw(&mut env.chain, node).unwrap();
    gas("withdraw", r.gas_used);
    let after = env.chain.balance(node).unwrap();
    // In-process transactions cost no ether (zero gas price): the whole share arrives.
    assert_eq!(after - before, owed_node);
    assert_eq!(env.owed(node), U256::ZERO);
    env.oracle.withdraw(&mut env.chain, env.who.owner).unwrap();
    assert_eq!(env.chain.balance(env.oracle.address).unwrap(), U256::ZERO);
    assert!(matches!(
        oracle_err(env.oracle.withdraw(&mut env.chain, node)),
        E::NothingOwed(_)
    ));

    // Settled once: settle, answer and cancel all refuse now.
    assert!(matches!(
        oracle_err(env.oracle.settle(&mut env.chain, node, req, &outs)),
        E::NotClaimed(_)
    ));
    let sub2 = Submitter::new(exec(&g, &input), node, SubmitterStrategy::Honest);
    assert!(matches!(env.answer_refused(&sub2, req), E::NotOpen(_)));
    assert!(matches!(
        oracle_err(env.oracle.cancel(&mut env.chain, env.who.requester, req)),
        E::NotOpen(_)
    ));
    assert_eq!(env.claims(req), vec![claim]);
}

#[test]
fn lying_answer_is_rejected_and_an_honest_answer_settles_the_request() {
    let mut env = env();
    let (g, input) = mlp().clone();
    let req = env.request(&input);

    // The liar's claim has a wrong output element; it is for the request's model and input,
    // so the oracle accepts it as an answer (it cannot know better) — the game will not.
    let lie = output_lie(&env);
    let lying_outs = outputs(&lie);
    let honest_outs = outputs(&exec(&g, &input));
    assert_ne!(lying_outs, honest_outs);
    let liar = env.who.liar;
    let (bad_claim, mut liar_sub) = env.answer_with(lie, liar, req);

    // The requester challenges and wins the game: the claim is rejected.
    let requester = env.who.requester;
    env.dispute(bad_claim, &mut liar_sub, requester);
    assert_eq!(env.claim_status(bad_claim), ClaimStatus::Rejected);
    for outs in [&lying_outs, &honest_outs] {
        assert_eq!(
            oracle_err(env.oracle.settle(&mut env.chain, requester, req, outs)),
            E::NotFinal(InferenceOracle::NotFinal {
                requestId: U256::from(req)
            })
        );
    }
    // No reopening needed: the request stays answerable while Claimed, with no outputs.
    assert_eq!(env.status(req), RequestStatus::Claimed);
    assert!(env.outputs(req).is_empty());

    // An honest node answers and settles; the consumer sees the honest outputs only.
    let node = env.who.node;
    let (good_claim, _) = env.answer(node, req);
    env.finalize(good_claim);
    // The liar's outputs still cannot settle it (their claim is rejected).
    assert!(matches!(
        oracle_err(env.oracle.settle(&mut env.chain, liar, req, &lying_outs)),
        E::NotFinal(_)
    ));
    let s = env.settle(node, req, &honest_outs);
    assert_eq!(s.callback, CallbackOutcome::Delivered);
    assert_eq!(s.answerer, node);
    assert_eq!(env.consumer_outputs(), honest_outs);
    assert_eq!(env.consumer_calls(), U256::from(1));
    assert_eq!(env.outputs(req), honest_outs);
    assert_eq!(env.claims(req), vec![bad_claim, good_claim]);
    assert_eq!(env.owed(liar), U256::ZERO);
    assert_eq!(env.owed(node), env.answerer_earnings(1));
}

#[test]
fn an_honest_answer_standing_beside_a_lie_settles_first() {
    let (mut env, req, honest_outs) = requested();
    // The liar answers first; the honest node answers while the lie stands (Claimed).
    let liar = env.who.liar;
    let (bad, _liar_sub) = env.answer_with(output_lie(&env), liar, req);
    let node = env.who.node;
    let (good, _) = env.answer(node, req);
    assert_eq!(env.claims(req), vec![bad, good]);
    // Nobody challenged the lie in time, but the honest claim finalizes too: the settler
    // names the outputs, and the honest node is paid for them.
    env.finalize(good);
    let s = env.settle(node, req, &honest_outs);
    assert_eq!(s.answerer, node);
    assert_eq!(env.consumer_outputs(), honest_outs);
    assert_eq!(env.owed(liar), U256::ZERO);
}

#[test]
fn at_most_max_answers_stand() {
    let mut env = env();
    let req = env.request(&mlp().1);
    let max = 8;
    let mut claims = Vec::new();
    // Every further answer must disagree with the standing ones: eight different lies.
    for k in 0..max {
        let liar = env.who.liar;
        claims.push(env.answer_with(lie_at_element(k), liar, req).0);
    }
    let s = Submitter::new(lie_at_element(max), env.who.liar, SubmitterStrategy::Honest);
    assert_eq!(
        env.answer_refused(&s, req),
        E::TooManyAnswers(InferenceOracle::TooManyAnswers {
            requestId: U256::from(req)
        })
    );
    assert_eq!(env.claims(req), claims);
}

#[test]
fn an_answer_agreeing_with_a_standing_one_is_refused_until_that_one_is_rejected() {
    let (mut env, req, honest_outs) = requested();
    let (g, input) = mlp().clone();
    let node = env.who.node;
    let (first, _) = env.answer(node, req);
    // Another honest answer (another node, same outputs): a copy of a standing answer cannot
    // share its fee.
    let liar = env.who.liar;
    let s = Submitter::new(exec(&g, &input), liar, SubmitterStrategy::Honest);
    assert_eq!(
        env.answer_refused(&s, req),
        E::DuplicateAnswer(InferenceOracle::DuplicateAnswer {
            requestId: U256::from(req),
            standingClaimId: U256::from(first)
        })
    );
    // The same lie twice: refused too; once it is rejected, the same outputs may be posted
    // again (here: the lie, which will be rejected again).
    let req2 = env.request(&input);
    let (bad, mut bad_sub) = env.answer_with(output_lie(&env), liar, req2);
    let s2 = Submitter::new(output_lie(&env), liar, SubmitterStrategy::Honest);
    assert!(matches!(
        env.answer_refused(&s2, req2),
        E::DuplicateAnswer(_)
    ));
    let requester = env.who.requester;
    env.dispute(bad, &mut bad_sub, requester);
    assert_eq!(env.claim_status(bad), ClaimStatus::Rejected);
    let (again, _) = env.answer_with(output_lie(&env), liar, req2);
    assert_eq!(env.claims(req2), vec![bad, again]);
    // The first request settles with its one honest answer.
    env.finalize(first);
    let s = env.settle(node, req, &honest_outs);
    assert_eq!(s.answerer, node);
}

#[test]
fn malformed_requests_revert_with_custom_errors() {
    let mut env = env();
    let input = mlp().1.clone();
    let (req, model, fee, consumer) = (env.who.requester, env.model, env.params.fee, env.consumer);
    let (_, bits) = verinfer_chain::view(
        &mut env.chain,
        req,
        env.c.game.address,
        &verinfer_chain::bindings::InferenceGame::modelInputsCall { modelId: model },
        "InferenceGame.modelInputs",
    )
    .map(|r| (r.lens, r.bits))
    .unwrap();
    let o = env.oracle;
    let mut call = |model: B256, input: &[Vec<i32>], gas: u64, fee: U256, zk: u32| {
        let model = verinfer_oracle::model_id_of(model);
        oracle_err(o.request(&mut env.chain, req, model, input, consumer, gas, fee, zk))
    };
    let unknown = B256::repeat_byte(7);
    assert_eq!(
        call(unknown, &input, 0, fee, 0),
        E::UnknownModel(InferenceOracle::UnknownModel { modelId: unknown })
    );
    assert_eq!(
        call(model, &input, 0, fee - U256::from(1), 0),
        E::FeeTooLow(InferenceOracle::FeeTooLow {
            required: fee,
            paid: fee - U256::from(1)
        })
    );
    // The input must be one the game's executor runs: the game says why not.
    let invalid = |e: E| -> G {
        use alloy_sol_types::SolInterface;
        match e {
            E::InvalidInput(i) => G::abi_decode(&i.reason).unwrap(),
            other => panic!("expected InvalidInput, got {other:?}"),
        }
    };
    let two = vec![input[0].clone(), input[0].clone()];
    assert!(
        matches!(invalid(call(model, &two, 0, fee, 0)), G::WrongCount(w)
        if w.what == "input tensors" && w.expected == U256::from(1) && w.got == U256::from(2))
    );
    let mut short = input.clone();
    short[0].pop();
    let len = input[0].len();
    assert!(
        matches!(invalid(call(model, &short, 0, fee, 0)), G::InputLength(l)
        if l.tensor == U256::ZERO && l.expected == U256::from(len) && l.got == U256::from(len - 1))
    );
    let b = bits[0];
    assert!(b < 32, "the MLP's input is narrower than int32 ({b} bits)");
    let mut wide = input.clone();
    wide[0][5] = 1 << (b - 1);
    assert!(
        matches!(invalid(call(model, &wide, 0, fee, 0)), G::InputOutOfRange(r)
        if r.tensor == U256::ZERO && r.index == U256::from(5) && r.bits == U256::from(b))
    );
    assert_eq!(
        call(model, &[], 0, fee, 0),
        E::EmptyInput(InferenceOracle::EmptyInput {})
    );
    assert_eq!(
        call(model, &input, 2_000_001, fee, 0),
        E::CallbackGasTooHigh(InferenceOracle::CallbackGasTooHigh {
            max: U256::from(2_000_000),
            got: U256::from(2_000_001)
        })
    );
    // No zk configuration published: version 1 does not exist.
    assert_eq!(
        call(model, &input, 0, fee, 1),
        E::NoSuchZkVersion(InferenceOracle::NoSuchZkVersion {
            modelId: model,
            version: 1
        })
    );
    // A registered model the game has not learned.
    let g2 = other_mlp();
    let m2 = model_id(&g2);
    let owner = env.who.owner;
    env.c
        .registry
        .register(&mut env.chain, owner, m2, "test://unlearned")
        .unwrap();
    assert_eq!(
        oracle_err(o.request(
            &mut env.chain,
            req,
            verinfer_oracle::model_id_of(m2),
            &input,
            consumer,
            0,
            fee,
            0
        )),
        E::ModelNotLearned(InferenceOracle::ModelNotLearned { modelId: m2 })
    );
    // Overpaying is fine: the whole value is the fee.
    let (id, _) = o
        .request(
            &mut env.chain,
            req,
            verinfer_oracle::model_id_of(model),
            &input,
            consumer,
            0,
            fee * U256::from(2),
            0,
        )
        .unwrap();
    assert_eq!(
        o.get_request(&mut env.chain, id).unwrap().fee,
        fee * U256::from(2)
    );
    // Views of a request that does not exist.
    assert!(matches!(
        oracle_err(o.get_request(&mut env.chain, verinfer_oracle::RequestId::new(99))),
        E::NoSuchRequest(_)
    ));
    assert!(matches!(
        oracle_err(o.settle(
            &mut env.chain,
            req,
            verinfer_oracle::RequestId::new(99),
            &input
        )),
        E::NoSuchRequest(_)
    ));
    assert_eq!(o.request_count(&mut env.chain).unwrap(), 1);
}

#[test]
fn answers_that_do_not_match_the_request_revert() {
    let (mut env, req, outs) = requested();
    let (g, input) = mlp().clone();
    let node = env.who.node;
    let sub = |e| Submitter::new(e, node, SubmitterStrategy::Honest);
    let claims_before = env.claim_count();

    // A claim on another input.
    let s_other_input = sub(exec(&g, &other_input()));
    assert_eq!(
        env.answer_refused(&s_other_input, req),
        E::InputMismatch(InferenceOracle::InputMismatch {
            requestId: U256::from(req),
            claimId: U256::from(claims_before)
        })
    );

    // A claim of another model on the same input.
    let g2 = other_mlp();
    let m2 = register_and_learn(&mut env, &g2);
    let s_other_model = sub(exec(&g2, &input));
    assert_eq!(
        env.answer_refused(&s_other_model, req),
        E::ModelMismatch(InferenceOracle::ModelMismatch {
            requestModel: env.model,
            claimModel: m2
        })
    );
    // A request that does not exist.
    let s_good = sub(exec(&g, &input));
    assert!(matches!(
        answer_err(env.oracle.answer(
            &mut env.chain,
            &env.c.game,
            &env.cfg,
            &s_good,
            verinfer_oracle::RequestId::new(1_000)
        )),
        E::NoSuchRequest(_)
    ));
    // Nobody but the game tells the oracle of a claim: an answer is always bound to the
    // submitter that posted it (someone else's claim cannot be passed off as one's answer).
    let (someone_elses, _) = env.claim(exec(&g, &input), node);
    let liar = env.who.liar;
    let call = InferenceOracle::onClaimCall {
        claimId: U256::from(someone_elses),
        submitter: liar,
        requestId: U256::from(req),
    };
    let tx = Tx::call(
        liar,
        env.oracle.address,
        alloy_sol_types::SolCall::abi_encode(&call),
        "InferenceOracle.onClaim",
    );
    let err: OracleError = env.chain.send(tx).unwrap_err().into();
    assert_eq!(
        err.oracle_error(),
        Some(&E::NotGame(InferenceOracle::NotGame { caller: liar }))
    );
    // Nothing of this reached the game either: the refused answers' claims were reverted.
    assert_eq!(env.claim_count(), claims_before + 1);

    // The request is untouched by all this and still answerable.
    assert_eq!(env.status(req), RequestStatus::Open);
    assert!(env.claims(req).is_empty());

    // Settling checks the outputs it is given against the model's shape and the final
    // answering claim's outputs.
    let (good, _) = env.answer(node, req);
    env.finalize(good);
    let mut wrong = outs.clone();
    wrong[0][0] += 1;
    assert_eq!(
        oracle_err(env.oracle.settle(&mut env.chain, node, req, &wrong)),
        E::NotFinal(InferenceOracle::NotFinal {
            requestId: U256::from(req)
        })
    );
    // A truncated output (trailing zero removed would hash alike: lengths are checked first).
    let mut short = outs.clone();
    short[0].pop();
    assert_eq!(
        oracle_err(env.oracle.settle(&mut env.chain, node, req, &short)),
        E::WrongOutputLength(InferenceOracle::WrongOutputLength {
            index: U256::ZERO,
            expected: U256::from(10),
            got: U256::from(9)
        })
    );
    let extra = vec![outs[0].clone(), outs[0].clone()];
    assert!(matches!(
        oracle_err(env.oracle.settle(&mut env.chain, node, req, &extra)),
        E::WrongOutputCount(_)
    ));
    // The claim finalized outside the request (`someone_elses`, same model, input and
    // outputs) answers nothing; the request's own final answer settles it.
    env.c
        .game
        .finalize(&mut env.chain, node, someone_elses)
        .unwrap();
    let s = env.settle(node, req, &outs);
    assert_eq!(s.answerer, node);
    assert_eq!(
        env.oracle.get_request(&mut env.chain, req).unwrap().claimId,
        U256::from(good)
    );
}

/// Answers `req` honestly and lets the claim finalize; returns the claim and its outputs.
fn answer_and_finalize(env: &mut Env, req: verinfer_oracle::RequestId) -> (u64, Vec<Vec<i32>>) {
    let (g, input) = mlp().clone();
    let outs = outputs(&exec(&g, &input));
    let node = env.who.node;
    let (claim, _) = env.answer(node, req);
    env.finalize(claim);
    (claim, outs)
}

#[test]
fn failing_callbacks_do_not_block_settlement() {
    let mut env = env();
    let input = mlp().1.clone();
    let owner = env.who.owner;
    let reverting = env.deploy(&RevertingConsumer::BYTECODE, "RevertingConsumer");
    let burning = env.deploy(&GasBurningConsumer::BYTECODE, "GasBurningConsumer");
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
        let s = env.settle(owner, req, &outs);
        gas(&format!("settle, {label}"), s.receipt.gas_used);
        assert_eq!(s.callback, want, "{label}");
        assert_eq!(env.status(req), RequestStatus::Fulfilled, "{label}");
        // The answer stays readable, and the node is paid.
        assert_eq!(env.outputs(req), outs);
        if target == burning {
            // The callback got its whole limit and burned it.
            assert!(s.receipt.gas_used > gas_limit, "{}", s.receipt.gas_used);
        }
    }
    let node = env.who.node;
    assert_eq!(env.owed(node), env.answerer_earnings(4));
}

#[test]
fn settling_with_too_little_gas_for_the_callback_reverts() {
    let mut env = env();
    let input = mlp().1.clone();
    let owner = env.who.owner;
    let burning = env.deploy(&GasBurningConsumer::BYTECODE, "GasBurningConsumer");
    let req = env.request_with(&input, burning, 1_000_000);
    let (_, outs) = answer_and_finalize(&mut env, req);
    // A settler that sends less gas than the callback's limit cannot starve it: the whole
    // settlement reverts instead of running the callback short.
    let call = InferenceOracle::settleCall {
        requestId: U256::from(req),
        outputs: outs.clone(),
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
    assert_eq!(env.status(req), RequestStatus::Claimed);
    // With enough gas it settles (the callback fails, the request is fulfilled).
    let s = env.settle(owner, req, &outs);
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
    assert_eq!(env.status(req), RequestStatus::Cancelled);
    assert_eq!(env.owed(requester), fee);
    assert!(matches!(
        oracle_err(env.oracle.cancel(&mut env.chain, requester, req)),
        E::NotOpen(_)
    ));
    // A cancelled request cannot be answered.
    let (g, x) = mlp().clone();
    let outs = outputs(&exec(&g, &x));
    let s = Submitter::new(exec(&g, &x), node, SubmitterStrategy::Honest);
    assert!(matches!(env.answer_refused(&s, req), E::NotOpen(_)));
    let before = env.chain.balance(requester).unwrap();
    env.oracle.withdraw(&mut env.chain, requester).unwrap();
    assert_eq!(env.chain.balance(requester).unwrap() - before, fee);

    // A request with a standing answer cannot be cancelled.
    let req2 = env.request(&input);
    let liar = env.who.liar;
    let (bad, mut liar_sub) = env.answer_with(output_lie(&env), liar, req2);
    assert_eq!(
        oracle_err(env.oracle.cancel(&mut env.chain, requester, req2)),
        E::AnswerStanding(InferenceOracle::AnswerStanding {
            requestId: U256::from(req2),
            claimId: U256::from(bad)
        })
    );
    // Once every answer is rejected, the Claimed request can be cancelled (after the delay).
    env.dispute(bad, &mut liar_sub, requester);
    assert_eq!(env.claim_status(bad), ClaimStatus::Rejected);
    assert_eq!(env.status(req2), RequestStatus::Claimed);
    assert!(matches!(
        oracle_err(env.oracle.cancel(&mut env.chain, requester, req2)),
        E::CancelTooEarly(_)
    ));
    env.chain.advance_time(env.params.cancel_delay).unwrap();
    env.oracle.cancel(&mut env.chain, requester, req2).unwrap();
    assert_eq!(env.status(req2), RequestStatus::Cancelled);
    assert_eq!(env.owed(requester), fee);
    assert!(matches!(
        oracle_err(env.oracle.settle(&mut env.chain, node, req2, &outs)),
        E::NotClaimed(_)
    ));

    // A final answer stands too (it can still settle the request), even after the delay.
    let req3 = env.request(&input);
    answer_and_finalize(&mut env, req3);
    env.chain.advance_time(env.params.cancel_delay).unwrap();
    assert!(matches!(
        oracle_err(env.oracle.cancel(&mut env.chain, requester, req3)),
        E::AnswerStanding(_)
    ));
    // settle of an Open request.
    let req4 = env.request(&input);
    assert!(matches!(
        oracle_err(env.oracle.settle(&mut env.chain, node, req4, &outs)),
        E::NotClaimed(_)
    ));
}

#[test]
fn each_answer_is_bound_to_one_request() {
    let mut env = env();
    let (g, input) = mlp().clone();
    let a = env.request(&input);
    let b = env.request(&input);
    let outs = outputs(&exec(&g, &input));
    let node = env.who.node;
    // Two requests of the same input: each needs an answer (a claim) of its own.
    let (ca, _) = env.answer(node, a);
    let (cb, _) = env.answer(node, b);
    assert_ne!(ca, cb);
    assert_eq!(env.claims(a), vec![ca]);
    assert_eq!(env.claims(b), vec![cb]);
    // Request a's claim final does not settle b.
    env.finalize(ca);
    assert!(matches!(
        oracle_err(env.oracle.settle(&mut env.chain, node, b, &outs)),
        E::NotFinal(_)
    ));
    env.settle(node, a, &outs);
    env.finalize(cb);
    env.settle(node, b, &outs);
    assert_eq!(env.consumer_calls(), U256::from(2));
    assert_eq!(env.owed(node), env.answerer_earnings(2));
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

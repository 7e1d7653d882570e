//! Text requests through `GenerationOracle` on the in-process chain, on the tiny LLaMA step
//! graph: an honest answer settles and the callback receives the tokens; a lying answer is
//! challenged, loses, and the honest answer after it settles; the fee comes back when every
//! answer lost; hostile requests, answers and settlements are refused by name.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use alloy_primitives::U256;
use verinfer_chain::{Address, Chain, B256};
use verinfer_opml::generation::{GenExecution, GenLie, GenSubmitter};
use verinfer_opml::ClaimStatus;
use verinfer_oracle::bindings_text::GenerationOracle::{self, GenerationOracleErrors as E};
use verinfer_oracle::{CallbackOutcome, RequestStatus, TextRequestId};
use verinfer_testing::llm::{
    honest_generation as honest, lying_generation, midway_lie, tiny_model as model, tiny_prompt,
    TextEnv, TINY_CTX as CTX, TINY_NEW_TOKENS as N,
};
use verinfer_testing::oracle::oracle_params;
use verinfer_testing::reverts::text_err;

const CALLBACK_GAS: u64 = 300_000;

fn prompt() -> Vec<u32> {
    tiny_prompt(&model(), 0)
}

fn gas(label: &str, g: u64) {
    eprintln!("gas {label}: {g}");
}

/// The shared environment's steps with their gas printed (the figures of docs/oracle.md).
trait Metered {
    /// `requester` asks for `N` tokens after `prompt`, with the consumer called back.
    fn ask_metered(&mut self, prompt: &[u32]) -> TextRequestId;
    /// `who` posts `gen` as a generation claim; returns its id.
    fn post(&mut self, who: Address, gen: &GenExecution) -> u64;
    /// The claim's window passes and it is finalized.
    fn finalize_claim(&mut self, claim: u64);
}

impl Metered for TextEnv {
    fn ask_metered(&mut self, prompt: &[u32]) -> TextRequestId {
        let (id, r) = self.request(prompt, self.consumer, CALLBACK_GAS);
        gas("request (4-token prompt)", r.gas_used);
        id
    }

    fn post(&mut self, who: Address, gen: &GenExecution) -> u64 {
        let (id, r) = self.claim(who, gen);
        gas("GenerationGame.claim (8 tokens)", r.gas_used);
        id
    }

    fn finalize_claim(&mut self, claim: u64) {
        let r = self.finalize(claim);
        gas("GenerationGame.finalize", r.gas_used);
    }
}

/// The `GenerationOracle` error of a move these tests expect refused.
trait Refused {
    fn answer_err(&mut self, from: Address, id: TextRequestId, claim: u64) -> E;
    fn settle_err(&mut self, from: Address, id: TextRequestId, tokens: &[u32]) -> E;
    fn cancel_err(&mut self, from: Address, id: TextRequestId) -> E;
}

impl Refused for TextEnv {
    fn answer_err(&mut self, from: Address, id: TextRequestId, claim: u64) -> E {
        text_err(
            self.oracle
                .answer(&mut self.chain, from, id, claim)
                .unwrap_err(),
        )
    }

    fn settle_err(&mut self, from: Address, id: TextRequestId, tokens: &[u32]) -> E {
        text_err(
            self.oracle
                .settle(&mut self.chain, from, id, tokens)
                .unwrap_err(),
        )
    }

    fn cancel_err(&mut self, from: Address, id: TextRequestId) -> E {
        text_err(self.oracle.cancel(&mut self.chain, from, id).unwrap_err())
    }
}

fn env() -> TextEnv {
    let env = TextEnv::new();
    gas("deploy GenerationOracle", env.text_deploy_gas);
    env
}

#[test]
fn an_honest_answer_settles_and_the_callback_receives_the_tokens() {
    let params = oracle_params();
    let mut env = env();
    let p = prompt();
    let id = env.ask_metered(&p);
    let gen = honest(&p);
    let claim = env.post(env.node, &gen);
    let r = env
        .oracle
        .answer(&mut env.chain, env.node, id, claim)
        .unwrap();
    gas("GenerationOracle.answer", r.gas_used);
    assert_eq!(
        env.oracle.status(&mut env.chain, id).unwrap(),
        RequestStatus::Claimed
    );
    // Not final yet: the claim is in its window.
    assert!(matches!(
        env.settle_err(env.requester, id, gen.tokens()),
        E::NotFinal(_)
    ));

    env.finalize_claim(claim);
    let s = env
        .oracle
        .settle(&mut env.chain, env.requester, id, gen.tokens())
        .unwrap();
    gas(
        "GenerationOracle.settle + callback (8 tokens)",
        s.receipt.gas_used,
    );
    assert_eq!(s.callback, CallbackOutcome::Delivered);
    assert_eq!(s.answerer, env.node);
    assert_eq!(s.model_owner, env.owner);
    assert_eq!(
        env.oracle.status(&mut env.chain, id).unwrap(),
        RequestStatus::Fulfilled
    );
    assert_eq!(
        env.oracle.tokens_of(&mut env.chain, id).unwrap(),
        gen.tokens()
    );
    let (calls, toks) = env.received();
    assert_eq!(calls, U256::from(1));
    let want: Vec<i32> = gen.tokens().iter().map(|&t| t as i32).collect();
    assert_eq!(toks, want);
    let fee = s.owner_share + s.answerer_share;
    assert_eq!(
        s.owner_share,
        fee * U256::from(params.owner_share_bps) / U256::from(10_000)
    );
    assert_eq!(
        env.oracle.owed(&mut env.chain, env.node).unwrap(),
        s.answerer_share
    );
}

#[test]
fn a_lying_answer_is_challenged_and_loses_then_the_honest_one_settles() {
    let mut env = env();
    let p = prompt();
    let id = env.ask_metered(&p);
    let lie = lying_generation(&p, midway_lie(&p));
    assert_ne!(
        lie.tokens(),
        honest(&p).tokens(),
        "the lie must change the tokens"
    );
    let bad = env.post(env.liar, &lie);
    env.oracle
        .answer(&mut env.chain, env.liar, id, bad)
        .unwrap();

    // A watcher re-executes the claim and wins the dispute.
    let mut sub = GenSubmitter::new(lie, env.liar);
    let report = env.contest(&mut sub, bad);
    eprintln!(
        "dispute: winner {} ({}), {} moves, {} rounds, total gas {}, largest {}",
        report.winner,
        report.reason,
        report.moves,
        report.rounds,
        report.total_gas,
        report.max_step_gas
    );
    assert_eq!(report.winner, "challenger");
    assert_eq!(
        env.game.status(&mut env.chain, bad).unwrap(),
        ClaimStatus::Rejected
    );
    // The lie can never settle the request.
    assert!(matches!(
        env.settle_err(env.requester, id, sub.gen.tokens()),
        E::NotFinal(_)
    ));

    let gen = honest(&p);
    let good = env.post(env.node, &gen);
    env.oracle
        .answer(&mut env.chain, env.node, id, good)
        .unwrap();
    assert_eq!(
        env.oracle.claims_of(&mut env.chain, id).unwrap(),
        vec![bad, good]
    );
    env.finalize_claim(good);
    let s = env
        .oracle
        .settle(&mut env.chain, env.requester, id, gen.tokens())
        .unwrap();
    assert_eq!(s.answerer, env.node);
    assert_eq!(s.callback, CallbackOutcome::Delivered);
    assert_eq!(
        env.oracle.tokens_of(&mut env.chain, id).unwrap(),
        gen.tokens()
    );
}

#[test]
fn the_fee_comes_back_once_every_answer_lost() {
    let params = oracle_params();
    let mut env = env();
    let p = prompt();
    let id = env.ask_metered(&p);
    let lie = lying_generation(&p, GenLie::WrongToken { step: 0 });
    let bad = env.post(env.liar, &lie);
    env.oracle
        .answer(&mut env.chain, env.liar, id, bad)
        .unwrap();
    // A standing answer blocks the refund.
    assert!(matches!(
        env.cancel_err(env.requester, id),
        E::AnswerStanding(_)
    ));

    let mut sub = GenSubmitter::new(lie, env.liar);
    let report = env.contest(&mut sub, bad);
    assert_eq!(report.winner, "challenger");
    assert!(matches!(
        env.cancel_err(env.requester, id),
        E::CancelTooEarly(_)
    ));
    env.chain.advance_time(params.cancel_delay + 1).unwrap();
    assert!(matches!(env.cancel_err(env.owner, id), E::NotRequester(_)));
    env.oracle
        .cancel(&mut env.chain, env.requester, id)
        .unwrap();
    assert_eq!(
        env.oracle.status(&mut env.chain, id).unwrap(),
        RequestStatus::Cancelled
    );
    let fee = env.oracle.get_request(&mut env.chain, id).unwrap().fee;
    assert_eq!(env.oracle.owed(&mut env.chain, env.requester).unwrap(), fee);
    // Cancelled: no later answer is taken.
    let good = env.post(env.node, &honest(&p));
    assert!(matches!(env.answer_err(env.node, id, good), E::NotOpen(_)));
}

#[test]
fn hostile_requests_are_refused_by_name() {
    let params = oracle_params();
    let mut env = env();
    let vocab = model().layout().vocab;
    let fee = env
        .oracle
        .required_fee(&mut env.chain, CALLBACK_GAS)
        .unwrap();
    let base = GenerationOracle::requestCall {
        modelId: env.model,
        prompt: prompt().iter().map(|&t| t as i32).collect(),
        maxNewTokens: N,
        seed: 0,
        temp: 0,
        callback: env.consumer,
        callbackGasLimit: CALLBACK_GAS,
    };
    let mut refused = |call: GenerationOracle::requestCall, value: U256| {
        text_err(
            env.oracle
                .request_raw(&mut env.chain, env.requester, &call, value)
                .unwrap_err(),
        )
    };
    // The tiny model is compiled without the noise input: it cannot sample.
    let seeded = GenerationOracle::requestCall {
        seed: 7,
        temp: 1 << 16,
        ..base.clone()
    };
    assert!(matches!(refused(seeded, fee), E::ModelCannotSample(e) if e.modelId == base.modelId));
    let hot = GenerationOracle::requestCall {
        seed: 7,
        temp: (8 << 16) + 1,
        ..base.clone()
    };
    assert!(matches!(refused(hot, fee), E::TemperatureTooHigh(_)));
    let mut outside = base.clone();
    outside.prompt[2] = vocab as i32;
    assert!(matches!(refused(outside, fee), E::TokenOutsideVocab(e) if e.index == U256::from(2)));
    let mut negative = base.clone();
    negative.prompt[0] = -1;
    assert!(matches!(refused(negative, fee), E::TokenOutsideVocab(_)));
    let long = GenerationOracle::requestCall {
        prompt: vec![1; CTX],
        ..base.clone()
    };
    assert!(matches!(refused(long, fee), E::TooLongForContext(_)));
    let too_many = GenerationOracle::requestCall {
        maxNewTokens: CTX as u32 - 2,
        ..base.clone()
    };
    // 4 + 14 − 1 = 17 steps: one more than the 16 cache rows.
    assert!(matches!(refused(too_many, fee), E::TooLongForContext(_)));
    let empty = GenerationOracle::requestCall {
        prompt: vec![],
        ..base.clone()
    };
    assert!(matches!(refused(empty, fee), E::EmptyPrompt(_)));
    let none = GenerationOracle::requestCall {
        maxNewTokens: 0,
        ..base.clone()
    };
    assert!(matches!(refused(none, fee), E::NoNewTokens(_)));
    let unknown = GenerationOracle::requestCall {
        modelId: B256::repeat_byte(7),
        ..base.clone()
    };
    assert!(matches!(refused(unknown, fee), E::UnknownModel(_)));
    assert!(matches!(
        refused(base.clone(), fee - U256::from(1)),
        E::FeeTooLow(_)
    ));
    let greedy = GenerationOracle::requestCall {
        callbackGasLimit: params.max_callback_gas + 1,
        ..base
    };
    assert!(matches!(refused(greedy, fee), E::CallbackGasTooHigh(_)));
}

#[test]
fn hostile_answers_and_settlements_are_refused_by_name() {
    let mut env = env();
    let p = prompt();
    let gen = honest(&p);
    // A claim made before the request cannot answer it.
    let early = env.post(env.node, &gen);
    let id = env.ask_metered(&p);
    assert!(matches!(
        env.answer_err(env.node, id, early),
        E::ClaimBeforeRequest(_)
    ));
    // Another prompt.
    let mut q = p.clone();
    q[0] = (q[0] + 1) % model().layout().vocab as u32;
    let other = env.post(env.node, &honest(&q));
    assert!(matches!(
        env.answer_err(env.node, id, other),
        E::PromptMismatch(_)
    ));
    // Fewer tokens than asked (a true prefix is still not the answer).
    let short = GenExecution::run(model(), &p, N as usize - 1, None).unwrap();
    let short = env.post(env.node, &short);
    assert!(matches!(
        env.answer_err(env.node, id, short),
        E::WrongTokenCount(_)
    ));
    // Someone else's claim.
    let good = env.post(env.node, &gen);
    assert!(matches!(
        env.answer_err(env.liar, id, good),
        E::NotSubmitter(_)
    ));
    // A copy posted after the original answers first; the original takes its place.
    let copy = env.post(env.liar, &gen);
    env.oracle
        .answer(&mut env.chain, env.liar, id, copy)
        .unwrap();
    let r = env
        .oracle
        .answer(&mut env.chain, env.node, id, good)
        .unwrap();
    assert!(env.oracle.receipt_events(&r).iter().any(|e| matches!(
        e,
        GenerationOracle::GenerationOracleEvents::AnswerReplaced(_)
    )));
    assert_eq!(
        env.oracle.claims_of(&mut env.chain, id).unwrap(),
        vec![good]
    );
    // The copy cannot come back, nor the original answer twice.
    assert!(matches!(
        env.answer_err(env.liar, id, copy),
        E::DuplicateAnswer(_)
    ));
    assert!(matches!(
        env.answer_err(env.node, id, good),
        E::DuplicateAnswer(_)
    ));
    env.finalize_claim(good);
    // Wrong lengths and wrong tokens do not settle.
    assert!(matches!(
        env.settle_err(env.requester, id, &gen.tokens()[1..]),
        E::WrongTokenCount(_)
    ));
    let mut wrong = gen.tokens().to_vec();
    wrong[0] ^= 1;
    assert!(matches!(
        env.settle_err(env.requester, id, &wrong),
        E::NotFinal(_)
    ));
    let s = env
        .oracle
        .settle(&mut env.chain, env.requester, id, gen.tokens())
        .unwrap();
    // The original's submitter is paid, not the copier.
    assert_eq!(s.answerer, env.node);
    assert!(matches!(env.answer_err(env.node, id, good), E::NotOpen(_)));
}

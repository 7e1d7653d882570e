//! Text requests through `GenerationOracle` on the in-process chain, on the tiny LLaMA step
//! graph: an honest answer settles and the callback receives the tokens; a lying answer is
//! challenged, loses, and the honest answer after it settles; the fee comes back when every
//! answer lost; hostile requests, answers and settlements are refused by name.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr,
    missing_docs
)]

use std::sync::{Arc, OnceLock};

use alloy_sol_types::SolCall;
use verinfer_chain::{Address, Chain, RevmChain, B256, U256};
use verinfer_opml::generation::bindings::GenerationGame;
use verinfer_opml::generation::{
    contest, GenChallenger, GenChallengerStrategy, GenClient, GenContracts, GenExecution, GenLie,
    GenModel, GenSubmitter,
};
use verinfer_opml::{ClaimStatus, OpmlContracts};
use verinfer_oracle::bindings_text::GenerationConsumerHarness as Consumer;
use verinfer_oracle::bindings_text::GenerationOracle::{self, GenerationOracleErrors as E};
use verinfer_oracle::{
    model_id_of, CallbackOutcome, OracleError, OracleParams, RequestStatus, TextOracleClient,
    TextRequest, TextRequestId,
};
use verinfer_testing::llm::{deploy_text_stack, tiny_gen_model, tiny_prompt, TextStack};

/// Context of the compiled step graph: a prompt of 4 and 8 new tokens fit (11 steps).
const CTX: usize = 16;
const N: u32 = 8;
const CALLBACK_GAS: u64 = 300_000;

fn model() -> Arc<GenModel> {
    static M: OnceLock<Arc<GenModel>> = OnceLock::new();
    Arc::clone(M.get_or_init(|| tiny_gen_model(CTX)))
}

fn prompt() -> Vec<u32> {
    tiny_prompt(&model(), 0)
}

fn gas(label: &str, g: u64) {
    eprintln!("gas {label}: {g}");
}

struct Env {
    chain: RevmChain,
    c: OpmlContracts,
    game: GenClient,
    oracle: TextOracleClient,
    params: OracleParams,
    consumer: Address,
    model: B256,
    owner: Address,
    requester: Address,
    node: Address,
    liar: Address,
}

impl Env {
    /// An honest watcher (`node`) disputes `sub`'s claim `claim`, played out.
    fn contest(
        &mut self,
        sub: &mut GenSubmitter,
        claim: u64,
    ) -> verinfer_opml::generation::GenReport {
        let h = honest(sub.gen.prompt());
        let mut cha = GenChallenger::new(h, self.node, GenChallengerStrategy::Honest);
        let (registry, steps, game) = (self.c.registry, self.c.game, self.game);
        let ctx = GenContracts {
            registry: &registry,
            steps: &steps,
            game: &game,
        };
        contest(&mut self.chain, ctx, sub, &mut cha, claim).unwrap()
    }

    fn request(&mut self, prompt: &[u32]) -> TextRequestId {
        let req = TextRequest {
            model: model_id_of(self.model),
            prompt: prompt.to_vec(),
            max_new_tokens: N,
            seed: 0,
            callback: self.consumer,
            callback_gas_limit: CALLBACK_GAS,
        };
        let fee = self
            .oracle
            .required_fee(&mut self.chain, CALLBACK_GAS)
            .unwrap();
        let (id, r) = self
            .oracle
            .request(&mut self.chain, self.requester, &req, fee)
            .unwrap();
        gas("request (4-token prompt)", r.gas_used);
        id
    }

    /// `who` posts `gen` as a generation claim; returns its id.
    fn claim(&mut self, who: Address, gen: &GenExecution) -> u64 {
        let call = GenerationGame::claimCall {
            modelId: self.model,
            prompt: gen.prompt().iter().map(|&t| t as i32).collect(),
            tokens: gen.tokens().iter().map(|&t| t as i32).collect(),
            root: B256::from(gen.root().to_bytes()),
        };
        let bond = self.game.config(&mut self.chain).unwrap().submitter_bond;
        let (id, r) = self.game.claim(&mut self.chain, who, bond, call).unwrap();
        gas("GenerationGame.claim (8 tokens)", r.gas_used);
        id
    }

    fn finalize(&mut self, claim: u64) {
        let w = self.game.config(&mut self.chain).unwrap().window;
        self.chain.advance_time(w + 1).unwrap();
        let call = GenerationGame::finalizeCall {
            claimId: U256::from(claim),
        };
        let r = self.game.send(&mut self.chain, self.node, &call).unwrap();
        gas("GenerationGame.finalize", r.gas_used);
    }

    fn received(&mut self) -> (U256, Vec<i32>) {
        let from = self.owner;
        let view = |chain: &mut RevmChain, data: Vec<u8>| {
            chain.call(from, self.consumer, data.into()).unwrap()
        };
        let calls = view(&mut self.chain, Consumer::callsCall {}.abi_encode());
        let toks = view(&mut self.chain, Consumer::receivedCall {}.abi_encode());
        (
            Consumer::callsCall::abi_decode_returns(&calls).unwrap(),
            Consumer::receivedCall::abi_decode_returns(&toks).unwrap(),
        )
    }
}

fn honest(p: &[u32]) -> GenExecution {
    GenExecution::run(model(), p, N as usize, None).unwrap()
}

fn env() -> Env {
    let (mut chain, c) = verinfer_testing::chain::deployed_opml();
    let a = chain.accounts();
    let (owner, requester, node, liar) = (a[0], a[1], a[2], a[3]);
    let params = verinfer_testing::chain::game_params(600, 300);
    let TextStack {
        game,
        text: oracle,
        consumer,
        word,
        text_deploy_gas,
    } = deploy_text_stack(&mut chain, owner, &c, &model(), &params);
    gas("deploy GenerationOracle", text_deploy_gas);
    let oparams = verinfer_testing::oracle::oracle_params();
    Env {
        chain,
        c,
        game,
        oracle,
        params: oparams,
        consumer,
        model: word,
        owner,
        requester,
        node,
        liar,
    }
}

fn text_err(e: OracleError) -> E {
    match e {
        OracleError::Text { error, .. } => *error,
        other => panic!("expected a GenerationOracle error, got {other}"),
    }
}

#[test]
fn an_honest_answer_settles_and_the_callback_receives_the_tokens() {
    let mut env = env();
    let p = prompt();
    let id = env.request(&p);
    let gen = honest(&p);
    let claim = env.claim(env.node, &gen);
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
    let e = env
        .oracle
        .settle(&mut env.chain, env.requester, id, gen.tokens())
        .unwrap_err();
    assert!(matches!(text_err(e), E::NotFinal(_)));

    env.finalize(claim);
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
        fee * U256::from(env.params.owner_share_bps) / U256::from(10_000)
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
    let id = env.request(&p);
    let t = p.len() + N as usize - 1;
    let lie = GenExecution::run(
        model(),
        &p,
        N as usize,
        Some(GenLie::WrongToken { step: t / 2 }),
    )
    .unwrap();
    assert_ne!(
        lie.tokens(),
        honest(&p).tokens(),
        "the lie must change the tokens"
    );
    let bad = env.claim(env.liar, &lie);
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
    let e = env
        .oracle
        .settle(&mut env.chain, env.requester, id, sub.gen.tokens())
        .unwrap_err();
    assert!(matches!(text_err(e), E::NotFinal(_)));

    let gen = honest(&p);
    let good = env.claim(env.node, &gen);
    env.oracle
        .answer(&mut env.chain, env.node, id, good)
        .unwrap();
    assert_eq!(
        env.oracle.claims_of(&mut env.chain, id).unwrap(),
        vec![bad, good]
    );
    env.finalize(good);
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
    let mut env = env();
    let p = prompt();
    let id = env.request(&p);
    let lie = GenExecution::run(
        model(),
        &p,
        N as usize,
        Some(GenLie::WrongToken { step: 0 }),
    )
    .unwrap();
    let bad = env.claim(env.liar, &lie);
    env.oracle
        .answer(&mut env.chain, env.liar, id, bad)
        .unwrap();
    // A standing answer blocks the refund.
    let e = env
        .oracle
        .cancel(&mut env.chain, env.requester, id)
        .unwrap_err();
    assert!(matches!(text_err(e), E::AnswerStanding(_)));

    let mut sub = GenSubmitter::new(lie, env.liar);
    let report = env.contest(&mut sub, bad);
    assert_eq!(report.winner, "challenger");
    let e = env
        .oracle
        .cancel(&mut env.chain, env.requester, id)
        .unwrap_err();
    assert!(matches!(text_err(e), E::CancelTooEarly(_)));
    env.chain.advance_time(env.params.cancel_delay + 1).unwrap();
    let e = env
        .oracle
        .cancel(&mut env.chain, env.owner, id)
        .unwrap_err();
    assert!(matches!(text_err(e), E::NotRequester(_)));
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
    let good = env.claim(env.node, &honest(&p));
    let e = env
        .oracle
        .answer(&mut env.chain, env.node, id, good)
        .unwrap_err();
    assert!(matches!(text_err(e), E::NotOpen(_)));
}

#[test]
fn hostile_requests_are_refused_by_name() {
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
    let seeded = GenerationOracle::requestCall {
        seed: 7,
        ..base.clone()
    };
    assert!(matches!(refused(seeded, fee), E::SamplingUnsupported(e) if e.seed == 7));
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
        callbackGasLimit: env.params.max_callback_gas + 1,
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
    let early = env.claim(env.node, &gen);
    let id = env.request(&p);
    let e = env
        .oracle
        .answer(&mut env.chain, env.node, id, early)
        .unwrap_err();
    assert!(matches!(text_err(e), E::ClaimBeforeRequest(_)));
    // Another prompt.
    let mut q = p.clone();
    q[0] = (q[0] + 1) % model().layout().vocab as u32;
    let other = env.claim(env.node, &honest(&q));
    let e = env
        .oracle
        .answer(&mut env.chain, env.node, id, other)
        .unwrap_err();
    assert!(matches!(text_err(e), E::PromptMismatch(_)));
    // Fewer tokens than asked (a true prefix is still not the answer).
    let short = GenExecution::run(model(), &p, N as usize - 1, None).unwrap();
    let short = env.claim(env.node, &short);
    let e = env
        .oracle
        .answer(&mut env.chain, env.node, id, short)
        .unwrap_err();
    assert!(matches!(text_err(e), E::WrongTokenCount(_)));
    // Someone else's claim.
    let good = env.claim(env.node, &gen);
    let e = env
        .oracle
        .answer(&mut env.chain, env.liar, id, good)
        .unwrap_err();
    assert!(matches!(text_err(e), E::NotSubmitter(_)));
    // A copy posted after the original answers first; the original takes its place.
    let copy = env.claim(env.liar, &gen);
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
    let e = env
        .oracle
        .answer(&mut env.chain, env.liar, id, copy)
        .unwrap_err();
    assert!(matches!(text_err(e), E::DuplicateAnswer(_)));
    let e = env
        .oracle
        .answer(&mut env.chain, env.node, id, good)
        .unwrap_err();
    assert!(matches!(text_err(e), E::DuplicateAnswer(_)));
    env.finalize(good);
    // Wrong lengths and wrong tokens do not settle.
    let e = env
        .oracle
        .settle(&mut env.chain, env.requester, id, &gen.tokens()[1..])
        .unwrap_err();
    assert!(matches!(text_err(e), E::WrongTokenCount(_)));
    let mut wrong = gen.tokens().to_vec();
    wrong[0] ^= 1;
    let e = env
        .oracle
        .settle(&mut env.chain, env.requester, id, &wrong)
        .unwrap_err();
    assert!(matches!(text_err(e), E::NotFinal(_)));
    let s = env
        .oracle
        .settle(&mut env.chain, env.requester, id, gen.tokens())
        .unwrap();
    // The original's submitter is paid, not the copier.
    assert_eq!(s.answerer, env.node);
    let e = env
        .oracle
        .answer(&mut env.chain, env.node, id, good)
        .unwrap_err();
    assert!(matches!(text_err(e), E::NotOpen(_)));
}

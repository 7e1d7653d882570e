//! Sampled text requests through `GenerationOracle` on the in-process chain, on the tiny
//! LLaMA compiled as a sampling step graph: the request's seed and temperature bind the
//! answer (a claim of another seed or temperature, however correct for its own, answers
//! nothing), a sampled request settles with the sampled tokens and the callback receives
//! them, a lying sampled answer (wrong token, wrong noise) loses its game and the honest one
//! settles, and temperature 0 is greedy.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use alloy_primitives::U256;
use verinfer_chain::Address;
use verinfer_llm::noise::Sampling;
use verinfer_opml::generation::{
    contest, GenChallenger, GenChallengerStrategy, GenContracts, GenExecution, GenLie, GenSubmitter,
};
use verinfer_opml::ClaimStatus;
use verinfer_oracle::bindings_text::GenerationOracle::GenerationOracleErrors as E;
use verinfer_oracle::{RequestStatus, TextRequest, TextRequestId};
use verinfer_testing::llm::{tiny_prompt, tiny_sampling_model, TextEnv, TINY_NEW_TOKENS as N};
use verinfer_testing::reverts::text_err;

const CALLBACK_GAS: u64 = 300_000;
const SEED: u64 = 7;
const T1: u32 = 1 << 16;

fn env() -> (TextEnv, Vec<u32>) {
    let env = TextEnv::with_model(&tiny_sampling_model());
    (env, tiny_prompt(&tiny_sampling_model(), 0))
}

fn run(prompt: &[u32], sampling: Option<(u64, u32)>, lie: Option<GenLie>) -> GenExecution {
    let s = sampling.map(|(seed, t)| Sampling::new(seed, t).unwrap());
    GenExecution::run_sampled(tiny_sampling_model(), prompt, N as usize, s, lie).unwrap()
}

/// `requester` asks for `N` tokens after `prompt` sampled with `seed` at `temp`, with the
/// consumer called back.
fn ask(env: &mut TextEnv, prompt: &[u32], seed: u64, temp: u32) -> TextRequestId {
    let req = TextRequest {
        model: verinfer_oracle::model_id_of(env.model),
        prompt: prompt.to_vec(),
        max_new_tokens: N,
        seed,
        temp,
        callback: env.consumer,
        callback_gas_limit: CALLBACK_GAS,
    };
    let fee = env
        .oracle
        .required_fee(&mut env.chain, CALLBACK_GAS)
        .unwrap();
    let requester = env.requester;
    env.oracle
        .request(&mut env.chain, requester, &req, fee)
        .unwrap()
        .0
}

/// `who` posts `gen` (`claimSampled` when it is sampled); returns the claim id and its
/// submitter.
fn post(env: &mut TextEnv, who: Address, gen: GenExecution) -> (u64, GenSubmitter) {
    let bond = env.game.config(&mut env.chain).unwrap().submitter_bond;
    let sub = GenSubmitter::new(gen, who);
    let id = sub.post(&mut env.chain, &env.game, bond).unwrap().0;
    (id, sub)
}

#[test]
fn a_claim_of_another_seed_does_not_answer_a_greedy_request() {
    let (mut env, p) = env();
    let id = ask(&mut env, &p, 0, 0);
    // A correct sampled generation of seed 7 (nobody can win a game against it), offered as
    // the answer to a greedy request.
    let other = run(&p, Some((SEED, T1)), None);
    let greedy =
        GenExecution::run(Arc::clone(&tiny_sampling_model()), &p, N as usize, None).unwrap();
    assert_ne!(
        other.tokens(),
        greedy.tokens(),
        "seed 7 must change the tokens"
    );
    let tokens = other.tokens().to_vec();
    let liar = env.liar;
    let (claim, _) = post(&mut env, liar, other);
    let answered = env.oracle.answer(&mut env.chain, liar, id, claim);
    let refused = answered.is_err();
    if let Err(e) = answered {
        assert!(matches!(text_err(e), E::SamplingMismatch(_)));
    } else {
        env.finalize(claim);
        let _ = env.oracle.settle(&mut env.chain, liar, id, &tokens);
    }
    assert_ne!(
        env.oracle.status(&mut env.chain, id).unwrap(),
        RequestStatus::Fulfilled,
        "a seed-7 claim settled a greedy request"
    );
    assert!(refused, "a seed-7 claim answered a greedy request");
}

#[test]
fn a_sampled_request_binds_seed_and_temperature_and_settles_with_the_sampled_tokens() {
    let (mut env, p) = env();
    let id = ask(&mut env, &p, SEED, T1);
    let r = env.oracle.get_request(&mut env.chain, id).unwrap();
    assert_eq!((r.seed, r.temp), (SEED, T1));
    let node = env.node;
    for wrong in [None, Some((SEED + 1, T1)), Some((SEED, T1 / 2))] {
        let (claim, _) = post(&mut env, node, run(&p, wrong, None));
        let e = env
            .oracle
            .answer(&mut env.chain, node, id, claim)
            .unwrap_err();
        assert!(
            matches!(text_err(e), E::SamplingMismatch(_)),
            "{wrong:?} answered a seed-7 T-1 request"
        );
    }
    let honest = run(&p, Some((SEED, T1)), None);
    let tokens = honest.tokens().to_vec();
    let (claim, _) = post(&mut env, node, honest);
    env.oracle.answer(&mut env.chain, node, id, claim).unwrap();
    env.finalize(claim);
    env.oracle
        .settle(&mut env.chain, env.requester, id, &tokens)
        .unwrap();
    assert_eq!(env.oracle.tokens_of(&mut env.chain, id).unwrap(), tokens);
    let (calls, got) = env.received();
    assert_eq!(calls, U256::from(1));
    assert_eq!(got, tokens.iter().map(|&t| t as i32).collect::<Vec<_>>());
}

#[test]
fn temperature_zero_is_a_greedy_request() {
    let (mut env, p) = env();
    let id = ask(&mut env, &p, SEED, 0);
    let r = env.oracle.get_request(&mut env.chain, id).unwrap();
    assert_eq!((r.seed, r.temp), (0, 0), "stored as greedy");
    let node = env.node;
    let (claim, _) = post(&mut env, node, run(&p, None, None));
    env.oracle.answer(&mut env.chain, node, id, claim).unwrap();
}

/// A lying sampled answer (told with `lie`) is challenged by an honest watcher re-running the
/// request's sampling, loses for `reason`, and the honest answer after it settles.
fn liar_loses(lie: GenLie, reason: &str) {
    let (mut env, p) = env();
    let id = ask(&mut env, &p, SEED, T1);
    let liar = env.liar;
    let (bad, mut sub) = post(&mut env, liar, run(&p, Some((SEED, T1)), Some(lie)));
    env.oracle.answer(&mut env.chain, liar, id, bad).unwrap();
    let mut cha = GenChallenger::new(
        run(&p, Some((SEED, T1)), None),
        env.node,
        GenChallengerStrategy::Honest,
    );
    let (registry, steps, game) = (env.c.registry, env.c.game, env.game);
    let ctx = GenContracts {
        registry: &registry,
        steps: &steps,
        game: &game,
    };
    let rep = contest(&mut env.chain, ctx, &mut sub, &mut cha, bad).unwrap();
    assert_eq!(rep.reason, reason, "{lie:?}");
    assert_eq!(
        env.game.status(&mut env.chain, bad).unwrap(),
        ClaimStatus::Rejected
    );
    let node = env.node;
    let honest = run(&p, Some((SEED, T1)), None);
    let tokens = honest.tokens().to_vec();
    let (good, _) = post(&mut env, node, honest);
    env.oracle.answer(&mut env.chain, node, id, good).unwrap();
    env.finalize(good);
    let s = env
        .oracle
        .settle(&mut env.chain, env.requester, id, &tokens)
        .unwrap();
    assert_eq!(s.answerer, node);
    assert_eq!(env.received().1.len(), N as usize);
}

#[test]
fn a_wrong_sampled_token_loses_and_the_honest_answer_settles() {
    liar_loses(GenLie::WrongToken { step: 5 }, "derived input");
}

#[test]
fn wrong_noise_loses_and_the_honest_answer_settles() {
    liar_loses(GenLie::WrongNoise { step: 5 }, "sampling noise");
}

/// `AIGCText` tokens are greedy generations: a sampled claim or a settled sampled request
/// (correct for its seed) is no evidence of the prompt's greedy text.
#[test]
fn sampled_evidence_does_not_mint_greedy_text() {
    use verinfer_oracle::bindings_text::AIGCText::AIGCTextErrors as A;
    use verinfer_oracle::{AigcTextClient, TextPrompt, TextProof, TextVocab};
    use verinfer_testing::llm::aigc_err;
    let (mut env, p) = env();
    let v = tiny_sampling_model().layout().vocab;
    let vocab = TextVocab::new((0..v).map(|i| format!(" t{i}").into_bytes()).collect()).unwrap();
    let (owner, node, requester) = (env.owner, env.node, env.requester);
    let (aigc, _) = AigcTextClient::deploy(
        &mut env.chain,
        owner,
        ("text", "TXT"),
        verinfer_oracle::model_id_of(env.model),
        env.oracle.address,
        &vocab,
    )
    .unwrap();
    let id = ask(&mut env, &p, SEED, T1);
    let gen = run(&p, Some((SEED, T1)), None);
    let tokens = gen.tokens().to_vec();
    let text = vocab.text(&tokens).unwrap();
    let (claim, _) = post(&mut env, node, gen);
    env.oracle.answer(&mut env.chain, node, id, claim).unwrap();
    let tp = TextPrompt {
        ids: p.clone(),
        max_new_tokens: N,
    };
    let by_claim = TextProof::Claim {
        claim,
        tokens: tokens.clone(),
    };
    let e = aigc
        .mint(&mut env.chain, (node, node), &tp, &text, "", &by_claim)
        .map_err(aigc_err);
    assert!(
        matches!(e, Err(A::ClaimDoesNotMatch(_))),
        "a sampled claim minted the prompt's greedy text: {e:?}"
    );
    env.finalize(claim);
    env.oracle
        .settle(&mut env.chain, requester, id, &tokens)
        .unwrap();
    let e = aigc
        .mint(
            &mut env.chain,
            (requester, requester),
            &tp,
            &text,
            "",
            &TextProof::Request(id),
        )
        .map_err(aigc_err);
    assert!(
        e.is_err(),
        "a settled sampled request minted the prompt's greedy text"
    );
}

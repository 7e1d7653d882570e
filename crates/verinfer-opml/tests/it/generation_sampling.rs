//! Sampled generations on the in-process chain (`testdata/gguf/llama_tiny.gguf` compiled with
//! a `noise` input): the claim states seed and temperature, the contract recomputes the one
//! disputed noise element, so a submitter whose noise (or sampled token) is wrong at the first,
//! a middle or the last step loses to the honest challenger, and a challenger disputing right
//! noise loses to the honest submitter.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, OnceLock};

use verinfer_llm::noise::Sampling;
use verinfer_llm::session::generate_sampled;
use verinfer_opml::generation::{GenChallengerStrategy, GenLie, GenModel, GenReport};
use verinfer_testing::generation::{gen_prompt, gguf_step_graph_with, GenDuel};

use crate::generation_game::{assert_caught, lies_at};

const CTX: usize = 24;
const PROMPT: usize = 4;
const N: usize = 8;
const T: usize = PROMPT + N - 1;

fn model() -> Arc<GenModel> {
    static M: OnceLock<Arc<GenModel>> = OnceLock::new();
    Arc::clone(M.get_or_init(|| {
        let g = gguf_step_graph_with("gguf/llama_tiny.gguf", "llama_tiny", CTX, true);
        Arc::new(GenModel::new(g).unwrap())
    }))
}

fn sampling() -> Sampling {
    Sampling::new(0x5EED, 3 << 15).unwrap()
}

fn run(lie: Option<GenLie>, strategy: GenChallengerStrategy) -> GenReport {
    let m = model();
    let prompt = gen_prompt(&m, PROMPT, 0);
    let mut d = GenDuel::new_sampled(&m, &prompt, N, Some(sampling()), lie, strategy);
    d.simulate()
}

#[test]
fn an_honest_sampled_claim_stands_and_is_the_session_s_sample() {
    let m = model();
    let prompt = gen_prompt(&m, PROMPT, 0);
    let mut d = GenDuel::new_sampled(
        &m,
        &prompt,
        N,
        Some(sampling()),
        None,
        GenChallengerStrategy::Honest,
    );
    let r = d.simulate();
    assert_eq!(r.winner, "none", "{r:#?}");
    assert_eq!(r.claim_status, "finalized");
    let g = generate_sampled(
        &d_engine(&m),
        &prompt,
        N,
        None,
        Some(sampling()),
        &mut |_| {},
    );
    assert_eq!(d.sub.gen.tokens(), g.unwrap().as_slice());
    let greedy =
        verinfer_opml::generation::GenExecution::run(Arc::clone(&m), &prompt, N, None).unwrap();
    assert_ne!(
        greedy.tokens(),
        d.sub.gen.tokens(),
        "the sample equals the greedy continuation: the test shows nothing"
    );
}

fn d_engine(m: &GenModel) -> verinfer_llm::IntEngine {
    let g = m.served().graph().clone();
    verinfer_llm::IntEngine::new(verinfer_exec::Plan::for_graph(g).unwrap()).unwrap()
}

#[test]
fn a_wrong_noise_or_sampled_token_loses_at_the_first_a_middle_and_the_last_step() {
    let mid = T / 2;
    let cases = [
        lies_at(
            |step| GenLie::WrongNoise { step },
            "sampling noise",
            [0, mid, T - 1],
        ),
        // The first sampled token (read by step P), a middle one and the last.
        lies_at(
            |step| GenLie::WrongToken { step },
            "derived input",
            [PROMPT, mid + 1, T - 1],
        ),
    ]
    .concat();
    for (lie, reason, step) in cases {
        let r = run(Some(lie), GenChallengerStrategy::Honest);
        eprintln!(
            "{lie:?}: {} ({}), step {:?}, {} rounds, {} gas, largest {} gas",
            r.winner, r.reason, r.step, r.rounds, r.total_gas, r.max_step_gas
        );
        assert_caught(&r, &lie, reason, step);
    }
}

#[test]
fn a_challenger_disputing_right_noise_loses() {
    let m = model();
    let noise = m.layout().noise.unwrap();
    let vocab = m.layout().vocab;
    for (step, element) in [(0, 0), (T / 2, 5), (T - 1, vocab - 1)] {
        let strategy = GenChallengerStrategy::DisputeInput {
            step,
            input: noise,
            element,
        };
        let r = run(None, strategy);
        eprintln!(
            "{strategy:?}: {} ({}), {} gas, largest {} gas",
            r.winner, r.reason, r.total_gas, r.max_step_gas
        );
        assert_eq!(r.winner, "submitter", "{strategy:?}: {r:#?}");
        assert_eq!(r.reason, "sampling noise", "{strategy:?}");
        assert_eq!(r.claim_status, "finalized", "{strategy:?}");
    }
}

//! The any-trust matrix of generation claims on the in-process chain, on the Shakespeare step
//! graph (4 layers, d = 128): every lying submitter loses to the honest challenger at the
//! first, a middle and the last step, every lying challenger loses to the honest submitter in
//! both modes; and the figures of a 64-token generation dispute.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use verinfer_chain::U256;
use verinfer_opml::generation::{GenChallengerStrategy, GenExecution, GenLie, GenModel, GenReport};
use verinfer_testing::generation::{gen_prompt, shakespeare_gen_model, GenDuel};

/// Context of the compiled step graph: a prompt of 8 and 64 new tokens fit.
const CTX: usize = 80;
const PROMPT: usize = 8;

fn model() -> Arc<GenModel> {
    static M: OnceLock<Arc<GenModel>> = OnceLock::new();
    Arc::clone(M.get_or_init(|| {
        let t = Instant::now();
        let m = shakespeare_gen_model(CTX);
        eprintln!("compiled in {:.1} s", t.elapsed().as_secs_f64());
        m
    }))
}

fn prompt(m: &GenModel) -> Vec<u32> {
    gen_prompt(m, PROMPT, 0)
}

fn eth(milli: u64) -> U256 {
    U256::from(milli) * U256::from(10u64).pow(U256::from(15u64))
}

fn run(
    n_new: usize,
    lie: Option<GenLie>,
    strategy: GenChallengerStrategy,
) -> (GenReport, U256, U256) {
    let m = model();
    let mut d = GenDuel::new(&m, &prompt(&m), n_new, lie, strategy);
    let r = d.simulate();
    let a = d.accounts;
    let owed_sub = d.game.owed(&mut d.chain, a[0]).unwrap();
    let owed_cha = d.game.owed(&mut d.chain, a[1]).unwrap();
    (r, owed_sub, owed_cha)
}

const N: usize = 16;
const T: usize = PROMPT + N - 1;

/// `lie(s)` for each step `s` of `steps`, each to be caught for `reason` at step `s`.
pub(crate) fn lies_at(
    lie: fn(usize) -> GenLie,
    reason: &'static str,
    steps: [usize; 3],
) -> [(GenLie, &'static str, usize); 3] {
    steps.map(|s| (lie(s), reason, s))
}

/// The honest challenger won `r` against `lie`: the claim rejected for `reason` at `step`.
pub(crate) fn assert_caught(r: &GenReport, lie: &GenLie, reason: &str, step: usize) {
    assert_eq!(r.winner, "challenger", "{lie:?}: {r:#?}");
    assert_eq!(r.claim_status, "rejected", "{lie:?}");
    assert_eq!(r.reason, reason, "{lie:?}");
    assert_eq!(r.step, Some(step), "{lie:?}");
}

#[test]
fn every_lying_submitter_loses_at_the_first_a_middle_and_the_last_step() {
    let mid = T / 2;
    let cases = [
        lies_at(
            |step| GenLie::WrongToken { step },
            "derived input",
            [0, mid, T - 1],
        ),
        // Step 0 has no cache row to alter: row 0 is first read by step 1.
        lies_at(
            |step| GenLie::WrongKvRow { step },
            "derived input",
            [1, mid, T - 1],
        ),
        lies_at(
            |step| GenLie::WrongNode { step },
            "step trace (sub-claim)",
            [0, mid, T - 1],
        ),
        // Generated token `index` is read by step `PROMPT - 1 + index`.
        [0, N / 2, N - 1].map(|index| {
            let lie = GenLie::WrongPromptBinding { index };
            (lie, "posted token", PROMPT - 1 + index)
        }),
    ]
    .concat();
    for (lie, reason, step) in cases {
        let t = Instant::now();
        let (r, sub, cha) = run(N, Some(lie), GenChallengerStrategy::Honest);
        eprintln!(
            "{lie:?}: {} ({}), step {:?}, {} moves, {} rounds, {} gas, largest {} gas, {} ms",
            r.winner,
            r.reason,
            r.step,
            r.moves,
            r.rounds,
            r.total_gas,
            r.max_step_gas,
            t.elapsed().as_millis()
        );
        assert_caught(&r, &lie, reason, step);
        assert_eq!(cha, eth(1800), "{lie:?}");
        assert_eq!(sub, U256::ZERO, "{lie:?}");
        if let Some(s) = &r.sub {
            assert_eq!(s.winner, "challenger", "{lie:?}: {s:#?}");
        }
    }
}

#[test]
fn every_lying_challenger_loses_to_the_honest_submitter_in_both_modes() {
    let mid = T / 2;
    let m = model();
    let row = m.layout().row;
    let cases = [
        // Bisection, then a derived input that is right: the token from the prompt, the
        // token from the previous step, a cache row below s − 1, the row s − 1, the position
        // and a row not yet written.
        (
            GenChallengerStrategy::DisputeInput {
                step: 3,
                input: 0,
                element: 0,
            },
            "derived input",
        ),
        (
            GenChallengerStrategy::DisputeInput {
                step: T - 1,
                input: 0,
                element: 0,
            },
            "derived input",
        ),
        (
            GenChallengerStrategy::DisputeInput {
                step: mid,
                input: 2,
                element: 1,
            },
            "derived input",
        ),
        (
            GenChallengerStrategy::DisputeInput {
                step: mid,
                input: 5,
                element: (mid - 1) * row + 3,
            },
            "derived input",
        ),
        (
            GenChallengerStrategy::DisputeInput {
                step: mid,
                input: 1,
                element: 0,
            },
            "position",
        ),
        (
            GenChallengerStrategy::DisputeInput {
                step: 1,
                input: 3,
                element: 2 * row,
            },
            "cache row not yet written",
        ),
        // Bisection, then the step's own trace (a random challenger in the single-step game).
        (
            GenChallengerStrategy::DisputeStep { step: 0 },
            "step trace (sub-claim)",
        ),
        (
            GenChallengerStrategy::DisputeStep { step: T - 1 },
            "step trace (sub-claim)",
        ),
        // Binding mode on a token that is right.
        (
            GenChallengerStrategy::DisputeToken { index: 0 },
            "posted token",
        ),
        (
            GenChallengerStrategy::DisputeToken { index: N - 1 },
            "posted token",
        ),
    ];
    for (strategy, reason) in cases {
        let (r, sub, cha) = run(N, None, strategy);
        eprintln!(
            "{strategy:?}: {} ({}), {} moves, {} gas",
            r.winner, r.reason, r.moves, r.total_gas
        );
        assert_eq!(r.winner, "submitter", "{strategy:?}: {r:#?}");
        assert_eq!(r.claim_status, "finalized", "{strategy:?}");
        assert_eq!(r.reason, reason, "{strategy:?}");
        assert_eq!(sub, eth(1800), "{strategy:?}");
        assert_eq!(cha, U256::ZERO, "{strategy:?}");
    }
    // And an honest challenger leaves a right claim alone.
    let (r, sub, _) = run(N, None, GenChallengerStrategy::Honest);
    assert_eq!(
        (r.mode.as_str(), r.claim_status.as_str()),
        ("none", "finalized")
    );
    assert_eq!(sub, eth(1000));
}

/// Figures of a 64-token generation dispute (prompt 8, T = 71 steps): a wrong token in the
/// middle (derivation) and a wrong node in the middle (the single-step game).
#[test]
fn a_64_token_generation_dispute() {
    let n = 64;
    let t = PROMPT + n - 1;
    // The honest challenger's off-chain work: its own run (every step root streamed), then the
    // disputed step rebuilt in full.
    let m = model();
    let start = Instant::now();
    let mut own = GenExecution::run(Arc::clone(&m), &prompt(&m), n, None).unwrap();
    let run_ms = start.elapsed().as_millis();
    let start = Instant::now();
    own.step(t / 2).unwrap();
    eprintln!(
        "64 tokens: re-execution of {t} steps {run_ms} ms, step {} rebuilt in {} ms",
        t / 2,
        start.elapsed().as_millis()
    );
    for lie in [
        GenLie::WrongToken { step: t / 2 },
        GenLie::WrongNode { step: t / 2 },
    ] {
        let start = Instant::now();
        let (r, _, _) = run(n, Some(lie), GenChallengerStrategy::Honest);
        eprintln!(
            "64 tokens, {lie:?}: winner {}, {} moves, {} rounds, total {} gas (claim {} gas), largest move {} gas, game wall {} ms, whole case {} ms",
            r.winner,
            r.moves,
            r.rounds,
            r.total_gas,
            r.claim_gas,
            r.max_step_gas,
            r.wall_ms,
            start.elapsed().as_millis()
        );
        for (label, gas) in r
            .transactions
            .iter()
            .chain(r.sub.iter().flat_map(|s| &s.transactions))
        {
            eprintln!("    {label:<32} {gas:>9} gas");
        }
        assert_eq!(r.winner, "challenger", "{r:#?}");
        assert!(r.rounds <= 12, "{r:#?}");
        assert!(r.max_step_gas <= 500_000, "{r:#?}");
    }
}

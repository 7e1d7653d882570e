//! `verinfer game simulate` of generation claims, run as the real binary on the tiny llama
//! model (compiled once, then a GGUF file directly): the honest challenger beats every lying
//! submitter, the honest submitter beats every lying challenger, an honest claim finalizes
//! unchallenged, and bad arguments are refused by name.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;
use common::gen_anvil::{claim_args, finish, forced_challenge, spawn, AnvilGen, PROMPT};
use common::{compile_tiny_llama, outcome as verinfer, testdata, tmpdir};

/// Prompt of 4, 6 new tokens: T = 9 steps (0..=8).
const T: usize = 9;

fn simulate(model: &str, extra: &[&str]) -> serde_json::Value {
    let mut args = vec![
        "game",
        "simulate",
        model,
        "--prompt-ids",
        PROMPT,
        "--max-new-tokens",
        "6",
    ];
    args.extend_from_slice(extra);
    let (ok, out, err) = verinfer(&args);
    assert!(ok, "{extra:?}: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{extra:?}: {e}: {out}"))
}

fn refused(model: &str, extra: &[&str]) -> String {
    let mut args = vec!["game", "simulate", model, "--max-new-tokens", "6"];
    args.extend_from_slice(extra);
    common::refused(&args)
}

#[test]
fn every_liar_loses_and_bad_arguments_are_refused() {
    let dir = tmpdir("generation_game");
    let (gguf, vm) = compile_tiny_llama(&dir, "16");
    let (gguf, vm) = (gguf.as_str(), vm.as_str());

    let last = (T - 1).to_string();
    let submitter_lies: [(&[&str], &str, usize); 6] = [
        (
            &["--strategy", "wrong-token", "--at-step", "0"],
            "derived input",
            0,
        ),
        (
            &["--strategy", "wrong-kv-row", "--at-step", &last],
            "derived input",
            T - 1,
        ),
        (
            &["--strategy", "wrong-node", "--at-step", "4"],
            "step trace (sub-claim)",
            4,
        ),
        (
            &["--strategy", "wrong-node", "--at-step", "2", "--node", "7"],
            "step trace (sub-claim)",
            2,
        ),
        // Posted token 5 is step P − 1 + 5 = 8's `next`.
        (
            &["--strategy", "wrong-prompt-binding", "--at-token", "5"],
            "posted token",
            8,
        ),
        (&["--strategy", "silent", "--at-step", "3"], "", 0),
    ];
    for (extra, reason, step) in submitter_lies {
        let r = simulate(vm, extra);
        assert_eq!(r["winner"], "challenger", "{extra:?}: {r:#}");
        assert_eq!(r["claim_status"], "rejected", "{extra:?}");
        assert_eq!(r["steps"], T, "{extra:?}");
        for key in ["rounds", "moves", "total_gas", "max_step_gas", "wall_ms"] {
            assert!(r[key].is_u64(), "{extra:?}: {key} missing: {r:#}");
        }
        if !reason.is_empty() {
            assert_eq!(r["reason"], reason, "{extra:?}");
            assert_eq!(r["disputed_step"], step, "{extra:?}");
        }
    }

    let challenger_lies: [&[&str]; 4] = [
        &[
            "--strategy",
            "dispute-input",
            "--at-step",
            "5",
            "--disputed-input",
            "0",
        ],
        &[
            "--strategy",
            "dispute-input",
            "--at-step",
            "3",
            "--disputed-input",
            "1",
        ],
        &["--strategy", "dispute-step", "--at-step", &last],
        &["--strategy", "dispute-token", "--at-token", "0"],
    ];
    for extra in challenger_lies {
        let mut args = vec!["--liar", "challenger"];
        args.extend_from_slice(extra);
        let r = simulate(vm, &args);
        assert_eq!(r["winner"], "submitter", "{extra:?}: {r:#}");
        assert_eq!(r["claim_status"], "finalized", "{extra:?}");
    }

    let r = simulate(vm, &["--liar", "none"]);
    assert_eq!(
        (r["winner"].as_str(), r["mode"].as_str()),
        (Some("none"), Some("none"))
    );
    assert_eq!(r["claim_status"], "finalized");
    assert_eq!(r["tokens"].as_array().unwrap().len(), 6);

    // A GGUF file directly, prompt as text (its own tokenizer): compiled for the request.
    let (ok, out, err) = verinfer(&[
        "game",
        "simulate",
        gguf,
        "--prompt",
        "Be not",
        "--max-new-tokens",
        "4",
        "--strategy",
        "wrong-token",
    ]);
    assert!(ok, "{err}");
    let r: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["winner"], "challenger", "{r:#}");

    for (extra, want) in [
        (
            &["--prompt-ids", PROMPT, "--at-step", "9"][..],
            "--at-step 9 is outside the generation: it has 9 steps",
        ),
        (
            &[
                "--prompt-ids",
                PROMPT,
                "--strategy",
                "wrong-kv-row",
                "--at-step",
                "0",
            ],
            "step 0 reads no cache row",
        ),
        (
            &["--prompt-ids", PROMPT, "--at-token", "6"],
            "--at-token 6 is outside the generation",
        ),
        (
            &[
                "--prompt-ids",
                PROMPT,
                "--strategy",
                "wrong-node",
                "--node",
                "100000",
            ],
            "--node 100000 is outside the step graph",
        ),
        (
            &["--prompt-ids", PROMPT, "--strategy", "wrong-output"],
            "unknown submitter strategy \"wrong-output\" for a generation claim",
        ),
        (
            &[
                "--prompt-ids",
                PROMPT,
                "--liar",
                "challenger",
                "--strategy",
                "dispute-input",
                "--disputed-input",
                "99",
            ],
            "--disputed-input 99 is outside the step graph",
        ),
        (
            &["--prompt-ids", "1,2,3,4,5,6,7,8,9,10,11,12,13,14"],
            "the model was compiled for a context of 16",
        ),
        (&["--prompt-ids", "1,70000"], "outside the vocabulary"),
        (
            &["--prompt-ids", PROMPT, "--window", "10", "--clock", "60"],
            "--window 10 is shorter than --clock 60",
        ),
        (&[], "--input"),
    ] {
        let err = refused(vm, extra);
        assert!(err.contains(want), "{extra:?}: {err}");
    }
    let mlp = testdata(verinfer_testing::models::GOLDEN_MLP);
    let err = refused(mlp.to_str().unwrap(), &["--prompt-ids", PROMPT]);
    assert!(
        err.contains("is not a language model's step graph"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// `bench-game --llm` on the smallest synthetic shape: the honest side wins and every figure
/// is reported; an unknown shape and a request past the shape's context are refused.
#[test]
fn bench_game_llm_on_a_synthetic_shape() {
    let dir = tmpdir("bench_game_llm");
    let d = dir.to_str().unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec![
            "bench-game",
            "--llm",
            "tiny",
            "--tokens",
            "8",
            "--json",
            "--dir",
            d,
        ];
        args.extend_from_slice(extra);
        verinfer(&args)
    };
    for (extra, winner, reason) in [
        (&[][..], "challenger", "step trace (sub-claim)"),
        (
            &["--strategy", "wrong-kv-row", "--at-step", "3"],
            "challenger",
            "derived input",
        ),
        (
            &["--liar", "challenger", "--strategy", "dispute-token"],
            "submitter",
            "posted token",
        ),
    ] {
        let (ok, out, err) = run(extra);
        assert!(ok, "{extra:?}: {err}");
        let r: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert_eq!(
            (r["winner"].as_str(), r["reason"].as_str()),
            (Some(winner), Some(reason)),
            "{r:#}"
        );
        for key in [
            "moves",
            "rounds",
            "total_gas",
            "max_step_gas",
            "game_wall_ms",
            "honest_run_ms",
            "step_rebuild_ms",
            "compile_ms",
        ] {
            assert!(r[key].is_u64(), "{key}: {r:#}");
        }
        assert!(r["peak_rss_mib"].is_f64(), "{r:#}");
    }
    let (ok, _, err) = verinfer(&["bench-game", "--llm", "gpt5", "--dir", d]);
    assert!(!ok && err.contains("unknown shape \"gpt5\""), "{err}");
    let (ok, _, err) = verinfer(&["bench-game", "--llm", "tiny", "--tokens", "200", "--dir", d]);
    assert!(
        !ok && err.contains("shape tiny has a context of 128"),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

/// `claim --defend` and `challenge --generation` of a generation claim as separate processes
/// against anvil (a block a second): the honest challenger finds nothing to dispute, a model
/// that is not the claim's is refused, a forced challenger (bisection to the middle step, its
/// sub-claim challenged at random) loses, and the claim finalizes.
#[test]
fn generation_claim_and_challenge_processes_on_anvil() {
    let env = AnvilGen::new("generation_game_anvil");
    let vm = env.vm.as_str();
    let defender = spawn(&env.claim(&["--defend"]));
    let challenge = |extra: &[&str]| {
        let mut args = vec!["challenge", "0", "--generation"];
        args.extend_from_slice(extra);
        verinfer(&env.playing(&args))
    };
    // The honest challenger: once the claim exists, nothing to dispute.
    let mut honest = None;
    for _ in 0..200 {
        std::thread::sleep(std::time::Duration::from_millis(100));
        let (ok, out, _) = challenge(&["--model", vm]);
        if ok {
            honest = Some(out);
            break;
        }
    }
    let honest = honest.expect("no generation claim appeared");
    assert!(honest.contains("nothing to challenge"), "{honest}");
    let mlp = testdata(verinfer_testing::models::GOLDEN_MLP);
    let (ok, _, err) = challenge(&["--model", mlp.to_str().unwrap()]);
    assert!(
        !ok && err.contains("is not a language model's step graph"),
        "{err}"
    );
    let key = verinfer_chain::DEV_PRIVATE_KEYS[1];
    let (ok, out, err) = challenge(&["--model", vm, "--force", "--private-key", key]);
    assert!(ok, "{err}");
    assert!(
        out.contains("generation game 0: SubmitterWon"),
        "{out}\n{err}"
    );
    finish(defender, "generation claim 0: Finalized");
}

/// `verinfer defend CLAIM --generation` after the claiming process is gone, on the in-process
/// chain kept in a state file: every command makes its moves and returns, so each `defend`
/// is a restart (G rebuilt from the kept step roots, the disputed step replayed, its
/// sub-claim's defender rebuilt). A lying challenger (`--force`: bisection to the middle
/// step, its sub-claim challenged at random, itself restarted every round) loses; the claim
/// finalizes; a wrong model, a missing, foreign or altered steps file, and another claim's
/// id are refused by name.
#[test]
fn generation_claim_defended_across_restarts_with_a_state_file() {
    let dir = tmpdir("generation_defend");
    let (gguf, vm) = compile_tiny_llama(&dir, "16");
    let vm = vm.as_str();
    let state = dir.join("chain.json");
    let traces = dir.join("traces");
    let (s, t) = (state.to_str().unwrap(), traces.to_str().unwrap());
    let run = |args: &[&str]| {
        let (ok, out, err) = verinfer(args);
        assert!(ok, "{args:?}: {err}");
        out
    };
    run(&claim_args(vm, &["--state", s, "--trace-dir", t]));
    let steps = traces.join("gen-claim-0.steps.json");
    assert!(steps.exists());
    let st = steps.to_str().unwrap();
    let defend = |model: &str, claim: &str, trace: &str| {
        verinfer(&[
            "defend",
            claim,
            "--generation",
            "--model",
            model,
            "--trace",
            trace,
            "--state",
            s,
        ])
    };
    let challenge = |extra: &[&str]| {
        let mut args = forced_challenge(vm);
        args.extend(["--state", s]);
        args.extend_from_slice(extra);
        run(&args)
    };
    let out = challenge(&[]);
    assert!(out.contains("generation game 0 opened"), "{out}");
    let json = |args: &[&str]| -> serde_json::Value { serde_json::from_str(&run(args)).unwrap() };
    let mut ended = false;
    for _ in 0..60 {
        let (ok, _, err) = defend(vm, "0", st);
        assert!(ok, "{err}");
        let out = challenge(&["--game", "0"]);
        if out.contains("generation game 0: SubmitterWon") {
            ended = true;
            break;
        }
        assert!(!out.contains("ChallengerWon"), "{out}");
        // Once the step's single-step game is over, its claim finalizes after its window
        // (no clock runs in AwaitStep): then `settle` decides the generation game.
        let g = json(&[
            "game",
            "status",
            "0",
            "--generation",
            "--json",
            "--state",
            s,
        ]);
        if g["games"][0]["phase"] == "AwaitStep" {
            let sub = g["games"][0]["sub_claim"].to_string();
            let sub_status = json(&["game", "status", &sub, "--json", "--state", s]);
            let games = sub_status["games"].as_array().unwrap();
            if !games.is_empty() && games.iter().all(|x| x["phase"] == "SubmitterWon") {
                run(&["game", "advance", "3700", "--state", s]);
            }
        }
    }
    assert!(ended, "the lying challenger's game did not end");
    run(&["game", "advance", "4000", "--state", s]);
    let (ok, out, err) = defend(vm, "0", st);
    assert!(ok, "{err}");
    assert!(out.contains("generation claim 0: Finalized"), "{out}");

    // Bad input, each refused by name.
    let other = dir.join("other.vmodel");
    let (ok, _, err) = verinfer(&[
        "compile",
        gguf.as_str(),
        "-o",
        common::s(&other),
        "--ctx",
        "32",
    ]);
    assert!(ok, "{err}");
    let refused = |model: &str, claim: &str, trace: &str, want: &str| {
        let (ok, out, err) = defend(model, claim, trace);
        assert!(!ok, "{model} {claim} {trace} was accepted: {out}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(err.contains(want), "{want}: {err}");
    };
    refused(
        common::s(&other),
        "0",
        st,
        "generation claim 0 is about model",
    );
    let mlp = testdata(verinfer_testing::models::GOLDEN_MLP);
    refused(
        common::s(&mlp),
        "0",
        st,
        "is not a language model's step graph",
    );
    let missing = dir.join("none.steps.json");
    refused(
        vm,
        "0",
        common::s(&missing),
        "no step roots of generation claim 0",
    );
    let foreign = dir.join("foreign.json");
    std::fs::write(&foreign, br#"{"claim_id": 0}"#).unwrap();
    refused(
        vm,
        "0",
        common::s(&foreign),
        "is not a generation claim's step roots",
    );
    refused(vm, "3", st, "not of claim 3");
    let mut saved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&steps).unwrap()).unwrap();
    saved["roots"][4] = serde_json::Value::String(format!("0x{}", "11".repeat(32)));
    let altered = dir.join("altered.steps.json");
    std::fs::write(&altered, saved.to_string()).unwrap();
    refused(
        vm,
        "0",
        common::s(&altered),
        "is not the steps of generation claim 0",
    );
    std::fs::remove_dir_all(&dir).ok();
}

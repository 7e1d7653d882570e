//! `verinfer game simulate` of generation claims, run as the real binary on the tiny llama
//! model (compiled once, then a GGUF file directly): the honest challenger beats every lying
//! submitter, the honest submitter beats every lying challenger, an honest claim finalizes
//! unchallenged, and bad arguments are refused by name.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{outcome as verinfer, testdata, tmpdir};

/// Prompt of 4, 6 new tokens: T = 9 steps (0..=8).
const PROMPT: &str = "1,5,9,13";
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
    let (ok, out, err) = verinfer(&args);
    assert!(!ok, "{extra:?} was accepted: {out}");
    assert!(!err.contains("panicked"), "{extra:?}: {err}");
    err
}

#[test]
fn every_liar_loses_and_bad_arguments_are_refused() {
    let dir = tmpdir("generation_game");
    let gguf = testdata("gguf/llama_tiny.gguf");
    let gguf = gguf.to_str().unwrap();
    let vm = dir.join("tiny.vmodel");
    let vm = vm.to_str().unwrap();
    let (ok, _, err) = verinfer(&["compile", gguf, "-o", vm, "--ctx", "16"]);
    assert!(ok, "{err}");

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

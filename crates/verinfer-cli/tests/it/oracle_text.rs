//! Text requests and ERC-7007 text tokens from the command line, on the in-process chain kept
//! in a state file, with the tiny LLaMA step graph: `oracle text-request`, a generation claim
//! (`claim --prompt-ids`), `oracle text-answer`, `text-settle` refused until the claim is final
//! then settling, `text-status`, and `mint-text` refused before settlement, verified after.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;
use common::{compile_tiny_llama, outcome, refused, tmpdir};

const PROMPT: &str = "1,5,9,13";

fn ok(args: &[&str]) -> String {
    let (ok, out, err) = outcome(args);
    assert!(ok, "{args:?}: {err}");
    assert!(!err.contains("panicked"), "{err}");
    out
}

#[test]
fn a_text_request_is_answered_settled_and_minted_as_erc7007_text() {
    let d = tmpdir("oracle-text-cli");
    let (gguf, vm) = compile_tiny_llama(&d, "16");
    let (g, vm) = (gguf.as_str(), vm.as_str());
    let state = d.join("chain.json");
    let s = state.to_str().unwrap();
    let with = |args: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        v.extend(["--state".to_string(), s.to_string()]);
        v
    };
    let run = |args: &[&str]| ok(&with(args).iter().map(String::as_str).collect::<Vec<_>>());
    let fail = |args: &[&str]| refused(&with(args).iter().map(String::as_str).collect::<Vec<_>>());

    // Refused by name: a seedless request beyond the context.
    let request = |n| {
        [
            "oracle",
            "text-request",
            vm,
            "--prompt-ids",
            PROMPT,
            "--max-new-tokens",
            n,
        ]
    };
    let err = fail(&request("20"));
    assert!(err.contains("context") || err.contains("ctx"), "{err}");
    let out = run(&request("6"));
    assert!(out.contains("text request 0"), "{out}");
    let out = run(&["oracle", "text-status", "0"]);
    assert!(out.contains("text request 0: Open"), "{out}");
    assert!(out.contains("[1, 5, 9, 13]"), "{out}");
    let err = fail(&["oracle", "text-settle", "0"]);
    assert!(err.contains("no answers"), "{err}");
    let err = fail(&["oracle", "text-status", "3"]);
    assert!(err.contains("no text request 3"), "{err}");

    // A node's generation claim answers it.
    let out = run(&["claim", vm, "--prompt-ids", PROMPT, "--max-new-tokens", "6"]);
    assert!(out.contains("generation claim 0"), "{out}");
    run(&["oracle", "text-answer", "0", "--claim", "0"]);
    let out = run(&["oracle", "text-status", "0"]);
    assert!(out.contains("Claimed"), "{out}");
    // Not final yet: no settlement, no token on the request.
    let err = fail(&["oracle", "text-settle", "0"]);
    assert!(err.contains("claim 0: Pending"), "{err}");
    let err = fail(&["mint-text", g, "--request", "0"]);
    assert!(err.contains("not fulfilled"), "{err}");
    let err = fail(&["mint-text", g]);
    assert!(err.contains("--request ID"), "{err}");

    run(&["game", "advance", "3601"]);
    let out = run(&["oracle", "text-settle", "0"]);
    assert!(out.contains("fulfilled by claim 0 (6 tokens"), "{out}");
    let out = run(&["oracle", "text-status", "0", "--tokenizer", g]);
    assert!(out.contains("Fulfilled"), "{out}");
    assert!(out.contains("text:"), "{out}");
    let out = run(&["mint-text", g, "--request", "0", "--uri", "demo://t"]);
    assert!(out.contains("verify() = true"), "{out}");
    // One token per prompt and length: the claim cannot mint it again.
    let err = fail(&["mint-text", g, "--claim", "0"]);
    assert!(err.contains("TokenAlreadyMinted"), "{err}");
}

//! `verinfer demo`, the README's first command: every stage (MNIST and text) runs and says
//! what it showed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;
use common::{stderr, verinfer};

#[test]
fn demo_runs_every_stage() {
    let o = verinfer(&["demo"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    // The accuracy report goes to stderr with the compile report.
    assert!(stderr(&o).contains("argmax agreement"), "{}", stderr(&o));
    for needle in [
        "integer inference",
        "a lying node answers first",
        "winner challenger, claim rejected",
        "the requester contract receives digit",
        "answered with a proof",
        "ERC-7007 mint by the requester of the zk-answered request",
        "settled by the finalized optimistic claim",
        "verified = true",
        "text: the bundled Shakespeare LLM",
        "mints the ERC-7007 token of its text at once",
        "re-executes the generation, challenges and wins",
        "winner challenger, claim rejected",
        "the request settles and the requester contract receives 24 tokens: ROMEO:",
        "ERC-7007 update: the lost claim's token",
        "(owner kept: true), verified = true; the lie's text verifies: false",
        "done in",
    ] {
        assert!(out.contains(needle), "missing {needle:?} in:\n{out}");
    }
    // The MNIST tokens (the zk-answered request's, the claim-settled request's) and the text
    // token once it holds the settled text verify; only the lying claim's fresh token did not.
    assert_eq!(out.matches("verified = true").count(), 3, "{out}");
    assert_eq!(out.matches("verified = false").count(), 1, "{out}");
}

//! `verinfer demo`, the README's first command: every stage runs and says what it showed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

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
        "done in",
    ] {
        assert!(out.contains(needle), "missing {needle:?} in:\n{out}");
    }
    // Both tokens (the zk-answered request's, the claim-settled request's) verify.
    assert_eq!(out.matches("verified = true").count(), 2, "{out}");
    assert!(!out.contains("verified = false"), "{out}");
}

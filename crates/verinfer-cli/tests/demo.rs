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
        "ERC-7007 mint with the zk proof",
        "verify() = true",
        "done in",
    ] {
        assert!(out.contains(needle), "missing {needle:?} in:\n{out}");
    }
    assert_eq!(out.matches("verify() = true").count(), 2, "{out}");
}

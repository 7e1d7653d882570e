//! `verinfer inspect --zk`: constraint counts per op, or a clear word on what is not supported.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{compile_folder, stderr, testdata, tmpdir, verinfer};

#[test]
fn inspect_zk_counts_constraints_or_names_the_missing_op() {
    let o = verinfer(&[
        "inspect",
        testdata("golden/v1/digits_mlp.vmodel").to_str().unwrap(),
        "--zk",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("zk circuit (Groth16, BN254):") && out.contains("Contract"),
        "{out}"
    );

    let d = tmpdir("zk-inspect");
    let m = d.join("t.vmodel");
    assert!(compile_folder("transformer_block", &m).status.success());
    let o = verinfer(&["inspect", m.to_str().unwrap(), "--zk"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(
        out.contains("not available yet") && out.contains("Lookup"),
        "{out}"
    );
}

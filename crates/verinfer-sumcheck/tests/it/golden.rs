//! Golden vectors of the transcript, a sumcheck proof and a HyperKZG opening (SRS from the
//! snarkjs-made `testdata/ptau/pot8_beacon_final.ptau`), in
//! `testdata/golden/v1/sumcheck_vectors.json`: what the Solidity verifier's differential tests
//! (next session) replay, and a tripwire for any change of the byte layout. Every value is a
//! 0x-prefixed 32-byte big-endian word, as the EVM sees it.
//!
//! `golden_vectors_are_unchanged` replays the file; `regenerate_sumcheck_golden` (ignored)
//! rewrites it after a deliberate change.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use ark_bn254::{Fr, G1Affine};
use ark_ff::PrimeField;
use serde_json::{json, Value};
use verinfer_ptau::Ptau;
use verinfer_sumcheck::pcs::{self, Srs};
use verinfer_sumcheck::sumcheck;
use verinfer_sumcheck::transcript::{fr_word, g1_words};
use verinfer_sumcheck::{DenseMle, Transcript};

fn golden_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../testdata/golden/v1/sumcheck_vectors.json")
}

fn hex(w: &[u8; 32]) -> String {
    let mut s = String::from("0x");
    for b in w {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

fn fr(x: &Fr) -> Value {
    json!(hex(&fr_word(x)))
}

fn frs(xs: &[Fr]) -> Value {
    Value::Array(xs.iter().map(fr).collect())
}

fn g1(p: &G1Affine) -> Value {
    let [x, y] = g1_words(p);
    json!([hex(&x), hex(&y)])
}

/// Deterministic "random" scalars: keccak of a counter, reduced (no RNG crate in the file's
/// definition, so the Solidity side can rebuild the inputs too).
fn scalars(tag: &str, n: usize) -> Vec<Fr> {
    (0..n)
        .map(|i| {
            let h = verinfer_sumcheck::transcript::keccak256(format!("{tag}/{i}").as_bytes());
            Fr::from_be_bytes_mod_order(&h)
        })
        .collect()
}

fn fresh_golden() -> Value {
    // 1. The transcript: a scripted sequence of absorbs and challenges.
    let mut t = Transcript::new(b"verinfer.golden.v1");
    let a = scalars("absorb", 3);
    let mut ops = vec![];
    t.absorb_u64(42);
    ops.push(json!({ "absorb_u64": 42 }));
    t.absorb_frs(&a);
    ops.push(json!({ "absorb_frs": frs(&a) }));
    let c1 = t.challenge();
    ops.push(json!({ "challenge": fr(&c1) }));
    let c2 = t.challenge();
    ops.push(json!({ "challenge": fr(&c2) }));
    let g = G1Affine::new(ark_bn254::Fq::from(1u64), ark_bn254::Fq::from(2u64));
    t.absorb_g1(&g);
    ops.push(json!({ "absorb_g1": g1(&g) }));
    let c3 = t.challenge();
    ops.push(json!({ "challenge": fr(&c3) }));

    // 2. A degree-3 sumcheck over 4 variables.
    let fs: Vec<DenseMle> = (0..3)
        .map(|i| DenseMle::new(scalars(&format!("f{i}"), 16)).unwrap())
        .collect();
    let evals: Vec<Value> = fs.iter().map(|f| frs(f.evals())).collect();
    let p = sumcheck::prove(fs, &mut Transcript::new(b"verinfer.golden.sumcheck")).unwrap();
    let rounds: Vec<Value> = p.proof.rounds.iter().map(|r| frs(&r.0)).collect();

    // 3. A HyperKZG opening of a 6-variable polynomial with the pot8 SRS.
    let ptau = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/ptau/pot8_beacon_final.ptau");
    let srs = Srs::from_ptau(&mut Ptau::open(&ptau).unwrap(), 6).unwrap();
    let f = DenseMle::new(scalars("hyperkzg", 64)).unwrap();
    let c = pcs::commit(&srs.commit_key, &f).unwrap();
    let point = scalars("point", 6);
    let (proof, eval) = pcs::open(
        &srs.commit_key,
        &f,
        &c,
        &point,
        &mut Transcript::new(b"verinfer.golden.hyperkzg"),
    )
    .unwrap();
    let vk = &srs.verifier_key;
    let g2 = |p: &ark_bn254::G2Affine| {
        use ark_ec::AffineRepr;
        let (x, y) = p.xy().unwrap();
        // EIP-197 order: x.c1, x.c0, y.c1, y.c0.
        let w = |v: &ark_bn254::Fq| {
            let mut out = [0u8; 32];
            let be = ark_ff::BigInteger::to_bytes_be(&v.into_bigint());
            out[32 - be.len()..].copy_from_slice(&be);
            hex(&out)
        };
        json!([w(&x.c1), w(&x.c0), w(&y.c1), w(&y.c0)])
    };

    json!({
        "format": "verinfer-sumcheck-golden/1",
        "note": "words are 32-byte big-endian; G1 = [x, y]; G2 in EIP-197 order [x.c1, x.c0, y.c1, y.c0]; inputs are keccak256(\"<tag>/<i>\") mod r",
        "transcript": { "label": "verinfer.golden.v1", "ops": ops },
        "sumcheck": {
            "label": "verinfer.golden.sumcheck",
            "num_vars": 4,
            "degree": 3,
            "factors": evals,
            "claim": fr(&p.claim),
            "rounds": rounds,
            "final_evals": frs(&p.proof.final_evals),
            "point": frs(&p.reduced.point),
        },
        "hyperkzg": {
            "label": "verinfer.golden.hyperkzg",
            "srs": "testdata/ptau/pot8_beacon_final.ptau",
            "g2": g2(&vk.g2),
            "tau_g2": g2(&vk.tau_g2),
            "num_vars": 6,
            "coefficients": frs(f.evals()),
            "commitment": g1(&c.0),
            "point": frs(&point),
            "eval": fr(&eval),
            "folds": Value::Array(proof.folds.iter().map(g1).collect()),
            "evals": Value::Array(proof.evals.iter().map(|e| frs(e)).collect()),
            "witnesses": Value::Array(proof.witnesses.iter().map(g1).collect()),
        },
    })
}

#[test]
fn golden_vectors_are_unchanged() {
    let text = std::fs::read_to_string(golden_path()).expect("golden file present");
    let stored: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        stored,
        fresh_golden(),
        "the transcript, sumcheck or HyperKZG bytes changed; if deliberate, run \
         `cargo test --release -p verinfer-sumcheck --test golden -- --ignored` and say why"
    );
}

#[test]
#[ignore = "regenerates the sumcheck golden file; run on purpose after a deliberate change"]
fn regenerate_sumcheck_golden() {
    std::fs::write(
        golden_path(),
        serde_json::to_string_pretty(&fresh_golden()).unwrap() + "\n",
    )
    .unwrap();
}

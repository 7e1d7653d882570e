//! Native proving and verifying of a tape's circuit.

use ark_ff::{Field, One};
use rand_chacha::rand_core::SeedableRng;
use verinfer_tape::{Fr, TapeBuilder, TapeError};
use verinfer_wrap::{srs, WrapError};

use crate::common::fixture;

#[test]
fn honest_proof_verifies() {
    let f = fixture();
    verinfer_wrap::verify(&f.srs, &f.keys, &f.values.public, &f.proof).unwrap();
}

#[test]
fn tampered_public_input_is_rejected() {
    let f = fixture();
    for i in 0..f.values.public.len() {
        let mut public = f.values.public.clone();
        public[i] += Fr::ONE;
        assert!(matches!(
            verinfer_wrap::verify(&f.srs, &f.keys, &public, &f.proof),
            Err(WrapError::Rejected)
        ));
    }
    assert!(matches!(
        verinfer_wrap::verify(&f.srs, &f.keys, &f.values.public[1..], &f.proof),
        Err(WrapError::PublicCount { .. })
    ));
}

#[test]
fn flipped_proof_byte_is_rejected() {
    let f = fixture();
    for at in [0, 40, f.proof.len() / 2, f.proof.len() - 1] {
        let mut proof = f.proof.clone();
        proof[at] ^= 1;
        assert!(
            verinfer_wrap::verify(&f.srs, &f.keys, &f.values.public, &proof).is_err(),
            "byte {at}"
        );
    }
    assert!(verinfer_wrap::verify(&f.srs, &f.keys, &f.values.public, &f.proof[..64]).is_err());
}

#[test]
fn a_flipped_witness_is_refused_before_proving_naming_the_op() {
    let f = fixture();
    let mut values = f.values.clone();
    values.witness[1] += Fr::ONE;
    let err = verinfer_wrap::prove(
        &f.srs,
        &f.keys,
        &f.tape,
        &values,
        rand_chacha::ChaCha20Rng::seed_from_u64(1),
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            WrapError::Tape(TapeError::AssertFailed {
                kind: "assert_eq",
                ..
            })
        ),
        "{err}"
    );
}

/// Every op kind (inv, assert_zero, mul_add, hash of odd length) in one small tape, keyed
/// on an SRS read from the repository's 2^8 powers-of-tau file.
#[test]
fn every_op_proves_on_the_ptau_srs() {
    let mut b = TapeBuilder::new();
    let x = b.public(Fr::from(3u64));
    let w = b.witness(Fr::from(5u64));
    let c = b.constant(Fr::from(7u64));
    let i = b.inv(x).unwrap();
    let one = b.mul(i, x).unwrap();
    let k1 = b.constant(Fr::one());
    let z = b.sub(one, k1).unwrap();
    b.assert_zero(z).unwrap();
    let m = b.mul_add(w, c, x).unwrap(); // 38
    let h = b.hash(&[m]).unwrap();
    let hv = b.value(h).unwrap();
    let out = b.public(hv);
    b.assert_eq(out, h).unwrap();
    let s = b.add(m, w).unwrap();
    let s2 = b.constant(Fr::from(43u64));
    b.assert_eq(s, s2).unwrap();
    let (tape, values) = b.finish();
    verinfer_tape::check(&tape, &values).unwrap();

    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata/ptau");
    let mut ptau = verinfer_ptau::Ptau::open(&root.join("pot8_beacon_final.ptau")).unwrap();
    let srs = srs::from_ptau(&mut ptau, 8).unwrap();
    let (keys, proof) = crate::common::keyed_proof(&srs, &tape, &values, 2);
    verinfer_wrap::verify(&srs, &keys, &values.public, &proof).unwrap();
    let mut bad = values.public.clone();
    bad[0] = Fr::from(4u64);
    assert!(verinfer_wrap::verify(&srs, &keys, &bad, &proof).is_err());
    assert!(matches!(
        srs::from_ptau(&mut ptau, 9),
        Err(WrapError::Ptau(_))
    ));
}

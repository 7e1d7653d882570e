//! The HyperKZG SRS from a real snarkjs powers-of-tau file (testdata/ptau, made by snarkjs
//! 0.7.6 with a public beacon: τ is public, tests only): the points read, checked, and used
//! to commit, open and verify; a file too small for the request is refused.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use ark_bn254::{Fr, G1Affine};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{One, UniformRand};
use ark_std::rand::{rngs::StdRng, SeedableRng};
use verinfer_ptau::Ptau;
use verinfer_sumcheck::pcs::{self, Srs};
use verinfer_sumcheck::{DenseMle, PcsError, Transcript};

fn ptau(name: &str) -> Ptau<std::io::BufReader<std::fs::File>> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../testdata/ptau")
        .join(name);
    Ptau::open(&p).unwrap()
}

#[test]
fn srs_from_pot8_commits_opens_and_verifies() {
    let srs = Srs::from_ptau(&mut ptau("pot8_beacon_final.ptau"), 8).unwrap();
    assert_eq!(srs.commit_key.powers().len(), 256);
    assert_eq!(srs.verifier_key.g1, G1Affine::generator());
    let mut rng = StdRng::seed_from_u64(3);
    for n in [0, 1, 5, 8] {
        let f = DenseMle::new((0..1 << n).map(|_| Fr::rand(&mut rng)).collect()).unwrap();
        let c = pcs::commit(&srs.commit_key, &f).unwrap();
        let point: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
        let (proof, eval) =
            pcs::open(&srs.commit_key, &f, &c, &point, &mut Transcript::new(b"t")).unwrap();
        let vk = &srs.verifier_key;
        pcs::verify(vk, &c, &point, eval, &proof, &mut Transcript::new(b"t")).unwrap();
        assert!(pcs::verify(
            vk,
            &c,
            &point,
            eval + Fr::one(),
            &proof,
            &mut Transcript::new(b"t")
        )
        .is_err());
    }
}

#[test]
fn a_smaller_request_reads_a_prefix_and_a_larger_one_is_refused() {
    let small = Srs::from_ptau(&mut ptau("pot8_beacon_final.ptau"), 3).unwrap();
    let full = Srs::from_ptau(&mut ptau("pot8_beacon_final.ptau"), 8).unwrap();
    assert_eq!(small.commit_key.powers(), &full.commit_key.powers()[..8]);
    assert_eq!(small.verifier_key, full.verifier_key);
    assert!(matches!(
        Srs::from_ptau(&mut ptau("pot8_beacon_final.ptau"), 9),
        Err(PcsError::SrsTooSmall { num_vars: 9, .. })
    ));
    assert!(matches!(
        Srs::from_ptau(&mut ptau("pot2_beacon_final.ptau"), 3),
        Err(PcsError::SrsTooSmall { .. })
    ));
}

#[test]
fn a_ptau_srs_with_another_tau_in_g2_is_refused_by_check() {
    let mut srs = Srs::from_ptau(&mut ptau("pot8_beacon_final.ptau"), 4).unwrap();
    srs.check().unwrap();
    srs.verifier_key.tau_g2 = (srs.verifier_key.g2 * Fr::from(2u64)).into_affine();
    assert!(matches!(srs.check(), Err(PcsError::InconsistentSrs(_))));
}

//! The phase-2 ceremony on a small graph: an honest chain of three contributions and a beacon
//! verifies and its keys prove and verify (natively and on the EVM); every tampering —
//! a wrong δ, a bad proof of knowledge, reordered, dropped or replaced contributions, a
//! modified L or H query — is rejected naming the contribution.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;
use ark_bn254::{Fr, G1Affine};
use ark_ec::{AffineRepr, CurveGroup};
use ark_std::rand::{rngs::StdRng, SeedableRng};
use verinfer_zk::ceremony::{self, Beacon, CeremonyError, Params};
use verinfer_zk::{Groth16, ProofSystem, Visibility};

/// Initial parameters and three contributions plus a beacon: files 0..=4.
fn chain(rng: &mut StdRng) -> Vec<Params> {
    let g = common::mixed();
    let p0 = Params::new(&g, "mixed".into(), Visibility::default(), rng).unwrap();
    let p1 = p0.contribute("alice", rng).unwrap();
    let p2 = p1.contribute("bob", rng).unwrap();
    let p3 = p2.contribute("carol", rng).unwrap();
    let p4 = p3
        .beacon(Beacon {
            value: b"block 0xabc".to_vec(),
            iterations_exp: 4,
        })
        .unwrap();
    vec![p0, p1, p2, p3, p4]
}

fn contribution_err(r: Result<ceremony::Verified, CeremonyError>) -> (usize, String, String) {
    match r {
        Err(CeremonyError::Contribution { index, name, what }) => (index, name, what),
        other => panic!("expected a contribution error, got {other:?}"),
    }
}

#[test]
fn honest_ceremony_verifies_and_its_keys_prove_on_the_evm() {
    let mut rng = StdRng::seed_from_u64(1);
    let files = chain(&mut rng);
    let last = files.last().unwrap();
    // Through every file, and from the initial file straight to the last.
    let all = ceremony::verify(&files).unwrap();
    let ends = ceremony::verify(&[files[0].clone(), last.clone()]).unwrap();
    assert_eq!(all, ends);
    let names: Vec<&str> = all.contributions.iter().map(|c| c.0.as_str()).collect();
    assert_eq!(names, ["alice", "bob", "carol", "beacon"]);
    assert!(all.contributions[3].2);
    // Each contributor's published hash is the transcript of its own output file.
    for (k, f) in files.iter().enumerate().skip(1) {
        assert_eq!(all.contributions[k - 1].1, f.transcript());
    }
    assert_eq!(all.final_hash(), last.transcript());

    // The file format round-trips.
    let back = Params::from_bytes(&last.to_bytes()).unwrap();
    assert_eq!(&back, last);

    // The keys prove and verify, natively and with the generic EVM verifier.
    let g = common::mixed();
    let (pk, vk, manifest) = last.keys();
    assert_eq!(
        manifest.ceremony.as_deref(),
        Some(verinfer_zk::files::to_hex(&all.final_hash()).as_str())
    );
    let trace = verinfer_ir::reference::run(&g, &common::mixed_inputs(3)).unwrap();
    let (proof, public) = Groth16::prove(&pk, &g, trace, &mut rng).unwrap();
    Groth16::verify(&vk, &public, &proof).unwrap();
    assert_eq!(common::evm_accepts(&vk, &proof, &[&public]), [true]);
    // A proof from the initial (δ = 1) key does not verify under the ceremony's key.
    let trace = verinfer_ir::reference::run(&g, &common::mixed_inputs(3)).unwrap();
    let (p0_proof, _) = Groth16::prove(&files[0].pk, &g, trace, &mut rng).unwrap();
    assert!(Groth16::verify(&vk, &public, &p0_proof).is_err());
}

#[test]
fn tampered_contributions_are_rejected_by_name() {
    let mut rng = StdRng::seed_from_u64(2);
    let files = chain(&mut rng);
    let (p0, last) = (files[0].clone(), files[4].clone());

    // A bad proof of knowledge: bob's r·δ′ replaced.
    let mut f = last.clone();
    f.contributions[1].r_delta = (f.contributions[1].r_delta * Fr::from(2u8)).into_affine();
    let (i, name, what) = contribution_err(ceremony::verify(&[p0.clone(), f]));
    assert_eq!((i, name.as_str()), (2, "bob"), "{what}");
    assert!(what.contains("proof of knowledge"), "{what}");

    // A wrong δ: carol's recorded δ is not the previous one times her δ′.
    let mut f = last.clone();
    f.contributions[2].delta_after = (f.contributions[2].delta_after * Fr::from(3u8)).into_affine();
    let (i, name, _) = contribution_err(ceremony::verify(&[p0.clone(), f]));
    assert_eq!((i, name.as_str()), (3, "carol"));

    // Reordered: bob and carol swapped.
    let mut f = last.clone();
    f.contributions.swap(1, 2);
    let (i, name, what) = contribution_err(ceremony::verify(&[p0.clone(), f]));
    assert_eq!((i, name.as_str()), (2, "carol"), "{what}");

    // Dropped: bob left out.
    let mut f = last.clone();
    f.contributions.remove(1);
    let (i, name, _) = contribution_err(ceremony::verify(&[p0.clone(), f]));
    assert_eq!((i, name.as_str()), (2, "carol"));

    // A modified L query in bob's output: the step from alice's file names bob.
    let mut bad = files.clone();
    bad[2].pk.l_query[0] = (bad[2].pk.l_query[0] + G1Affine::generator()).into_affine();
    let (i, name, what) = contribution_err(ceremony::verify(&bad));
    assert_eq!((i, name.as_str()), (2, "bob"), "{what}");
    assert!(what.contains("L query"), "{what}");
    // … and in the final file, checked against the initial one.
    let mut f = last.clone();
    f.pk.h_query[1] = f.pk.h_query[0];
    match ceremony::verify(&[p0.clone(), f]) {
        Err(CeremonyError::Invalid(what)) => assert!(what.contains("1..=4"), "{what}"),
        other => panic!("expected the query check to fail, got {other:?}"),
    }

    // A key whose δ is not the last contribution's (δ changed without a contribution).
    let mut f = last.clone();
    f.pk.delta_g1 = (f.pk.delta_g1 * Fr::from(5u8)).into_affine();
    f.pk.vk.delta_g2 = (f.pk.vk.delta_g2 * Fr::from(5u8)).into_affine();
    assert!(matches!(
        ceremony::verify(&[p0.clone(), f]),
        Err(CeremonyError::Invalid(_))
    ));

    // A beacon contribution whose δ′ is not the beacon value's.
    let fake = files[3]
        .contribute_with_secret(
            "beacon",
            Fr::from(7u8),
            Fr::from(9u8),
            Some(Beacon {
                value: b"block 0xabc".to_vec(),
                iterations_exp: 4,
            }),
        )
        .unwrap();
    let (i, _, what) = contribution_err(ceremony::verify(&[p0.clone(), fake]));
    assert_eq!(i, 4);
    assert!(what.contains("beacon"), "{what}");

    // A phase-1 element changed: not the same circuit.
    let mut f = last.clone();
    f.pk.a_query[0] = f.pk.a_query[1];
    assert!(matches!(
        ceremony::verify(&[p0.clone(), f]),
        Err(CeremonyError::Invalid(_))
    ));
    // An initial file that is not at δ = 1.
    assert!(ceremony::verify(&[files[1].clone(), last]).is_err());
}

/// Without a ceremony, whoever ran `setup` knows δ. With one, a forger who ran every
/// contribution but one knows only its own δ′s: the final δ is none of them and not their
/// product, and the honest contribution cannot be dropped or swapped for the forger's own
/// without the honest contributor's published hash disappearing from the report.
#[test]
fn attack_single_party_setup() {
    let mut rng = StdRng::seed_from_u64(3);
    let g = common::mixed();
    let p0 = Params::new(&g, "mixed".into(), Visibility::default(), &mut rng).unwrap();
    let (d1, d3) = (Fr::from(1234u32), Fr::from(98765u32));
    let p1 = p0
        .contribute_with_secret("forger-1", d1, Fr::from(11u8), None)
        .unwrap();
    let p2 = p1.contribute("honest", &mut rng).unwrap();
    let honest_hash = p2.transcript();
    let p3 = p2
        .contribute_with_secret("forger-2", d3, Fr::from(13u8), None)
        .unwrap();
    let report = ceremony::verify(&[p0.clone(), p3.clone()]).unwrap();
    assert!(report.contributions.iter().any(|c| c.1 == honest_hash));
    let forged = (G1Affine::generator() * (d1 * d3)).into_affine();
    let delta = p3.pk.delta_g1;
    assert_ne!(delta, forged);
    for p in [&p0, &p1] {
        assert_ne!(delta, p.pk.delta_g1);
    }
    assert_eq!(
        ceremony::verify(std::slice::from_ref(&p0))
            .unwrap()
            .contributions
            .len(),
        0
    );
    // The forger replays its own chain without the honest step: it verifies, but the honest
    // contributor's hash is gone, so the honest party rejects the keys.
    let solo = p1
        .contribute_with_secret("forger-2", d3, Fr::from(13u8), None)
        .unwrap();
    let report = ceremony::verify(&[p0.clone(), solo.clone()]).unwrap();
    assert!(report.contributions.iter().all(|c| c.1 != honest_hash));
    assert_eq!(solo.pk.delta_g1, forged);
    // Splicing the honest record into the forger's chain does not verify.
    let mut spliced = solo;
    spliced.contributions.insert(1, p2.contributions[1].clone());
    assert!(ceremony::verify(&[p0, spliced]).is_err());
}

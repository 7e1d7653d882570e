//! Tests of the logUp range check: honest proofs, out-of-range values, tampering, and cheating
//! provers that each verifier check is needed against.

use super::*;
use crate::pcs::Srs;
use ark_ec::AffineRepr;
use ark_std::rand::{rngs::StdRng, Rng, SeedableRng};

/// A cheating prover's 3-bit range proof of `a` (16 values) with its own `table` and
/// multiplicities `counts`, and what the verifier says.
fn verify_cheat(
    srs: &Srs,
    a: &DenseMle,
    counts: Vec<u64>,
    table: Vec<u64>,
) -> Result<RangeClaim, LogupError> {
    let mult = DenseMle::new(counts.into_iter().map(Fr::from).collect()).unwrap();
    let table = DenseMle::new(table.into_iter().map(Fr::from).collect()).unwrap();
    let ck = &srs.commit_key;
    let (proof, _) = prove_with(ck, 3, a, None, &mult, table, &mut Transcript::new(b"r")).unwrap();
    verify_range(
        &srs.verifier_key,
        3,
        4,
        None,
        &proof,
        &mut Transcript::new(b"r"),
    )
}

fn setup() -> (Srs, StdRng) {
    let mut rng = StdRng::seed_from_u64(21);
    (Srs::insecure_local_setup_for_tests(8, &mut rng), rng)
}

fn vector(rng: &mut StdRng, m: usize, bits: u32) -> DenseMle {
    DenseMle::new(
        (0..1u64 << m)
            .map(|_| Fr::from(rng.gen_range(0..1u64 << bits)))
            .collect(),
    )
    .unwrap()
}

fn run(srs: &Srs, bits: u32, a: &DenseMle) -> Result<(), LogupError> {
    let (proof, claim) = prove_range(&srs.commit_key, bits, a, None, &mut Transcript::new(b"r"))?;
    let got = verify_range(
        &srs.verifier_key,
        bits,
        a.num_vars(),
        None,
        &proof,
        &mut Transcript::new(b"r"),
    )?;
    assert_eq!(got, claim);
    assert_eq!(a.evaluate(&got.point)?, got.eval);
    Ok(())
}

#[test]
fn identity_table_is_the_mle_of_t() {
    let k = 5;
    let t = DenseMle::new((0..1u64 << k).map(Fr::from).collect()).unwrap();
    let p: Vec<Fr> = (0..k)
        .map(|i| Fr::from(3u64 + i as u64) / Fr::from(7u64))
        .collect();
    assert_eq!(identity_table_eval(&p), t.evaluate(&p).unwrap());
}

#[test]
fn values_in_range_prove_and_verify() {
    let (srs, mut rng) = setup();
    for (m, bits) in [(0, 0), (0, 3), (3, 0), (4, 4), (6, 8), (8, 2), (2, 8)] {
        let a = vector(&mut rng, m, bits);
        run(&srs, bits, &a).unwrap_or_else(|e| panic!("m {m} bits {bits}: {e}"));
    }
    // Every value at the edges.
    let edge = DenseMle::new(vec![
        Fr::zero(),
        Fr::from(255u64),
        Fr::from(255u64),
        Fr::zero(),
    ])
    .unwrap();
    run(&srs, 8, &edge).unwrap();
}

#[test]
fn a_committed_vector_is_opened_with_h_and_another_commitment_is_rejected() {
    let (srs, mut rng) = setup();
    let (m, bits) = (5, 4);
    let a = vector(&mut rng, m, bits);
    let ca = pcs::commit(&srs.commit_key, &a).unwrap();
    let (proof, claim) = prove_range(
        &srs.commit_key,
        bits,
        &a,
        Some(&ca),
        &mut Transcript::new(b"r"),
    )
    .unwrap();
    let vk = &srs.verifier_key;
    let v = |c: &Commitment| verify_range(vk, bits, m, Some(c), &proof, &mut Transcript::new(b"r"));
    assert_eq!(v(&ca).unwrap(), claim);
    let other = pcs::commit(&srs.commit_key, &vector(&mut rng, m, bits)).unwrap();
    assert!(matches!(v(&other), Err(LogupError::Pcs(_))));
    // The proof is for the committed mode: verifying it as the plain one fails.
    assert!(verify_range(vk, bits, m, None, &proof, &mut Transcript::new(b"r")).is_err());
}

#[test]
fn a_deferred_range_check_settles_in_one_batched_opening() {
    let (srs, mut rng) = setup();
    let (m, bits) = (6, 5);
    let a = vector(&mut rng, m, bits);
    let ca = pcs::commit(&srs.commit_key, &a).unwrap();
    let t = &mut Transcript::new(b"d");
    let (arg, opens, claim) = prove_range_deferred(&srs.commit_key, bits, &a, t).unwrap();
    let mut polys: Vec<(&DenseMle, &Commitment, &[Fr])> = opens
        .iter()
        .map(|o| (&o.poly, &o.claim.commitment, &o.claim.point[..]))
        .collect();
    polys.push((&a, &ca, &claim.point[..]));
    let (batch, _) = pcs::open_batch(&srs.commit_key, &polys, t).unwrap();
    let check = |arg: &RangeArgument| -> Result<(), LogupError> {
        let t = &mut Transcript::new(b"d");
        let (claims, values) = verify_range_deferred(bits, m, arg, t)?;
        let mut all: Vec<pcs::Claim<'_>> = claims
            .iter()
            .map(|c| pcs::Claim {
                commitment: &c.commitment,
                point: &c.point,
                eval: c.eval,
            })
            .collect();
        all.push(pcs::Claim {
            commitment: &ca,
            point: &values.point,
            eval: values.eval,
        });
        Ok(pcs::verify_batch(&srs.verifier_key, &all, &batch, t)?)
    };
    check(&arg).unwrap();
    let mut bad = arg.clone();
    bad.sum += Fr::one();
    assert!(check(&bad).is_err());
    let mut bad = arg.clone();
    bad.values.final_evals[1] += Fr::one();
    assert!(check(&bad).is_err());
}

#[test]
fn a_value_out_of_range_has_no_proof() {
    let (srs, mut rng) = setup();
    let mut v = vector(&mut rng, 4, 6).into_evals();
    v[9] = Fr::from(64u64);
    let a = DenseMle::new(v.clone()).unwrap();
    assert!(matches!(
        prove_range(&srs.commit_key, 6, &a, None, &mut Transcript::new(b"r")),
        Err(LogupError::OutOfRange { index: 9, bits: 6 })
    ));
    v[9] = -Fr::one();
    let a = DenseMle::new(v).unwrap();
    assert!(matches!(
        prove_range(&srs.commit_key, 6, &a, None, &mut Transcript::new(b"r")),
        Err(LogupError::OutOfRange { index: 9, .. })
    ));
    assert!(matches!(
        prove_range(&srs.commit_key, 25, &a, None, &mut Transcript::new(b"r")),
        Err(LogupError::TooWide { .. })
    ));
}

#[test]
fn a_proof_for_other_values_or_tampered_parts_is_rejected() {
    let (srs, mut rng) = setup();
    let (m, bits) = (5, 4);
    let a = vector(&mut rng, m, bits);
    let (proof, claim) =
        prove_range(&srs.commit_key, bits, &a, None, &mut Transcript::new(b"r")).unwrap();
    let vk = &srs.verifier_key;
    let v = |p: &RangeProof| verify_range(vk, bits, m, None, p, &mut Transcript::new(b"r"));
    assert_eq!(v(&proof).unwrap(), claim);
    // The proof is about `a`: the claim it leaves is false for another vector.
    let b = vector(&mut rng, m, bits);
    assert_ne!(b.evaluate(&claim.point).unwrap(), claim.eval);
    let g = ark_bn254::G1Affine::generator();
    let bump = |c: &Commitment| Commitment((c.0 + g).into_affine());
    let mut bad = proof.clone();
    bad.argument.sum += Fr::one();
    assert!(v(&bad).is_err());
    for which in 0..3 {
        let mut bad = proof.clone();
        match which {
            0 => bad.argument.mult = bump(&bad.argument.mult),
            1 => bad.argument.h = bump(&bad.argument.h),
            _ => bad.argument.g = bump(&bad.argument.g),
        }
        assert!(v(&bad).is_err(), "commitment {which}");
    }
    let mut bad = proof.clone();
    bad.argument.values.rounds[1].0[0] += Fr::one();
    assert!(v(&bad).is_err());
    let mut bad = proof.clone();
    bad.argument.table.final_evals[2] += Fr::one();
    assert!(v(&bad).is_err());
    let mut bad = proof.clone();
    bad.h_opening.evals[0][1] += Fr::one();
    assert!(v(&bad).is_err());
    // Another range, another size.
    assert!(verify_range(vk, bits + 1, m, None, &proof, &mut Transcript::new(b"r")).is_err());
    assert!(verify_range(vk, bits, m + 1, None, &proof, &mut Transcript::new(b"r")).is_err());
}

#[test]
fn a_cheating_prover_with_an_out_of_range_value_is_rejected() {
    // The vector holds 100 in a 3-bit range; the prover counts it as 7 (or drops it) and
    // runs the rest of the protocol honestly.
    let (srs, mut rng) = setup();
    let mut v = vector(&mut rng, 4, 3).into_evals();
    v[3] = Fr::from(100u64);
    let a = DenseMle::new(v.clone()).unwrap();
    for fake in [Some(7u64), None] {
        let mut counts = vec![0u64; 8];
        for (i, x) in v.iter().enumerate() {
            if i == 3 {
                if let Some(f) = fake {
                    counts[f as usize] += 1;
                }
            } else {
                counts[x.into_bigint().as_ref()[0] as usize] += 1;
            }
        }
        let r = verify_cheat(&srs, &a, counts, (0..8).collect());
        assert!(r.is_err(), "{fake:?}");
    }
    // A prover that swaps the table entry 7 for 100 (multiplicities then honest for its
    // table) passes both sumchecks; only the verifier's own T̃(ρ) catches it.
    let v: Vec<Fr> = v
        .iter()
        .map(|x| if *x == Fr::from(7u64) { Fr::zero() } else { *x })
        .collect();
    let a = DenseMle::new(v.clone()).unwrap();
    let mut counts = vec![0u64; 8];
    let mut table: Vec<u64> = (0..8).collect();
    table[7] = 100;
    for x in &v {
        let x = x.into_bigint().as_ref()[0];
        counts[table.iter().position(|&t| t == x).unwrap()] += 1;
    }
    assert!(matches!(
        verify_cheat(&srs, &a, counts, table),
        Err(LogupError::Rejected(_))
    ));
}

/// A cheating prover that replaces `eq(z, ·)` by zero (so the inverse check vanishes)
/// and pretends the out-of-range value is 7: every sumcheck and opening is consistent,
/// only the verifier's own `eq(z, ρ)` catches it.
#[test]
fn a_prover_with_a_fake_eq_polynomial_is_rejected() {
    let (srs, mut rng) = setup();
    let ck = &srs.commit_key;
    let (m, bits) = (4usize, 3u32);
    let mut v = vector(&mut rng, m, bits).into_evals();
    v[3] = Fr::from(100u64);
    let a = DenseMle::new(v.clone()).unwrap();
    let mut counts = vec![0u64; 8];
    for (i, x) in v.iter().enumerate() {
        counts[if i == 3 {
            7
        } else {
            x.into_bigint().as_ref()[0] as usize
        }] += 1;
    }
    let mult = DenseMle::new(counts.into_iter().map(Fr::from).collect()).unwrap();
    let t = &mut Transcript::new(b"r");
    t.absorb_u64(m as u64);
    t.absorb_u64(u64::from(bits));
    let c_mult = pcs::commit(ck, &mult).unwrap();
    t.absorb_g1(&c_mult.0);
    let beta = t.challenge();
    let inv = |x: Fr| ark_ff::Field::inverse(&x).unwrap();
    let h: Vec<Fr> = v
        .iter()
        .enumerate()
        .map(|(i, x)| inv(beta + if i == 3 { Fr::from(7u64) } else { *x }))
        .collect();
    let g: Vec<Fr> = (0..8u64)
        .map(|j| mult.evals()[j as usize] * inv(beta + Fr::from(j)))
        .collect();
    let (h, g) = (DenseMle::new(h).unwrap(), DenseMle::new(g).unwrap());
    let sum: Fr = h.evals().iter().sum();
    let (c_h, c_g) = (pcs::commit(ck, &h).unwrap(), pcs::commit(ck, &g).unwrap());
    t.absorb_g1(&c_h.0);
    t.absorb_g1(&c_g.0);
    t.absorb_fr(&sum);
    let _z_a = t.challenges(m);
    let z_t = t.challenges(bits as usize);
    let lambda = t.challenge();
    let fake_eq = DenseMle::new(vec![Fr::zero(); 1 << m]).unwrap();
    let pv = sumcheck::prove_terms(
        &terms(m, beta, lambda, false).unwrap(),
        vec![fake_eq, h.clone(), a],
        t,
    )
    .unwrap();
    let table = DenseMle::new((0..8u64).map(Fr::from).collect()).unwrap();
    let pt = sumcheck::prove_terms(
        &terms(bits as usize, beta, lambda, true).unwrap(),
        vec![
            DenseMle::new(eq_table(&z_t)).unwrap(),
            g.clone(),
            table,
            mult.clone(),
        ],
        t,
    )
    .unwrap();
    assert_eq!(pv.claim, sum);
    assert_eq!(pt.claim, sum);
    let nu = t.challenge();
    let (h_opening, _) = pcs::open(ck, &h, &c_h, &pv.reduced.point, t).unwrap();
    let comb: Vec<Fr> = g
        .evals()
        .iter()
        .zip(mult.evals())
        .map(|(x, c)| *x + nu * c)
        .collect();
    let c_comb = Commitment((c_g.0 + c_mult.0 * nu).into_affine());
    let (table_opening, _) = pcs::open(
        ck,
        &DenseMle::new(comb).unwrap(),
        &c_comb,
        &pt.reduced.point,
        t,
    )
    .unwrap();
    let proof = RangeProof {
        argument: RangeArgument {
            mult: c_mult,
            h: c_h,
            g: c_g,
            sum,
            values: pv.proof,
            table: pt.proof,
        },
        h_opening,
        table_opening,
    };
    assert!(matches!(
        verify_range(
            &srs.verifier_key,
            bits,
            m,
            None,
            &proof,
            &mut Transcript::new(b"r")
        ),
        Err(LogupError::Rejected(_))
    ));
}

//! Phase 1 from a public powers-of-tau file: the `.ptau` reader against a file snarkjs 0.7.6
//! made (testdata/ptau, scripts/gen_ptau.sh), the key built from it against arkworks' own
//! generator for the same τ, α, β, a whole ceremony from that file to proofs the native and EVM
//! verifiers accept, and hostile files refused with typed errors.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;
use std::io::Cursor;

use ark_bn254::{Bn254, Fq, Fr, G1Affine, G1Projective, G2Affine};
use ark_ec::{AffineRepr, CurveGroup, PrimeGroup};
use ark_ff::{BigInteger, Field, PrimeField, UniformRand};
use ark_groth16::Groth16 as ArkGroth16;
use ark_poly::{EvaluationDomain, Radix2EvaluationDomain};
use ark_std::rand::{rngs::StdRng, SeedableRng};
use verinfer_ir::Graph;
use verinfer_zk::ceremony::ptau::{Section, MAX_POWER};
use verinfer_zk::ceremony::{self, Beacon, CeremonyError, CheckDomain, Params, Ptau, PtauError};
use verinfer_zk::circuit::GraphCircuit;
use verinfer_zk::{Groth16, ProofSystem, VerifyError, Visibility};

/// Two 8-bit inputs of shape [3], an Add, a Mul and a Rescale: small enough for the
/// power-8 test file (domain 256), every query kind non-trivial.
fn small() -> Graph {
    verinfer_testing::graph::small_circuit()
}

fn small_inputs() -> Vec<Vec<i32>> {
    vec![vec![-128, 77, 127], vec![3, 127, -1]]
}

const SNARKJS_FILE: &str = "testdata/ptau/pot8_beacon_final.ptau";

fn snarkjs_bytes() -> Vec<u8> {
    std::fs::read(verinfer_testing::models::repo().join(SNARKJS_FILE)).unwrap()
}

fn open(b: Vec<u8>) -> Result<Ptau<Cursor<Vec<u8>>>, PtauError> {
    Ptau::from_reader(Cursor::new(b))
}

/// Byte offset of section `id`'s data in a well-formed file.
fn section_offset(b: &[u8], id: u32) -> (usize, usize) {
    let n = u32::from_le_bytes(b[8..12].try_into().unwrap());
    let mut pos = 12;
    for _ in 0..n {
        let t = u32::from_le_bytes(b[pos..pos + 4].try_into().unwrap());
        let size = u64::from_le_bytes(b[pos + 4..pos + 12].try_into().unwrap()) as usize;
        if t == id {
            return (pos, size);
        }
        pos += 12 + size;
    }
    panic!("no section {id}");
}

// ---- a writer for synthetic files with known τ, α, β (the snarkjs layout, our own code) ----

fn put_fq(out: &mut Vec<u8>, x: Fq) {
    // Montgomery form, little-endian: arkworks' internal representation.
    out.extend_from_slice(&x.0.to_bytes_le());
}

fn put_g1(out: &mut Vec<u8>, p: G1Affine) {
    match p.xy() {
        Some((x, y)) => {
            put_fq(out, x);
            put_fq(out, y);
        }
        None => out.extend_from_slice(&[0; 64]),
    }
}

fn put_g2(out: &mut Vec<u8>, p: G2Affine) {
    match p.xy() {
        Some((x, y)) => {
            for c in [x.c0, x.c1, y.c0, y.c1] {
                put_fq(out, c);
            }
        }
        None => out.extend_from_slice(&[0; 128]),
    }
}

fn g1s(k: impl IntoIterator<Item = Fr>) -> Vec<G1Affine> {
    let v: Vec<G1Projective> = k
        .into_iter()
        .map(|s| G1Projective::generator() * s)
        .collect();
    G1Projective::normalize_batch(&v)
}

fn g2s(k: impl IntoIterator<Item = Fr>) -> Vec<G2Affine> {
    k.into_iter()
        .map(|s| (G2Affine::generator() * s).into_affine())
        .collect()
}

/// A prepared `.ptau` of `power` for secrets τ, α, β.
fn synthetic(power: u32, tau: Fr, alpha: Fr, beta: Fr) -> Vec<u8> {
    let n = 1usize << power;
    let pw = |k: usize| -> Vec<Fr> { (0..k).map(|i| tau.pow([i as u64])).collect() };
    let lag = |p: u32| -> Vec<Fr> {
        Radix2EvaluationDomain::<Fr>::new(1 << p)
            .unwrap()
            .evaluate_all_lagrange_coefficients(tau)
    };
    let lag_all = |top: u32| -> Vec<Fr> { (0..=top).flat_map(lag).collect() };
    let scaled = |v: Vec<Fr>, k: Fr| -> Vec<Fr> { v.into_iter().map(|x| x * k).collect() };
    let mut sections: Vec<(u32, Vec<u8>)> = Vec::new();
    let mut h = Vec::new();
    h.extend_from_slice(&32u32.to_le_bytes());
    h.extend_from_slice(&Fq::MODULUS.to_bytes_le());
    h.extend_from_slice(&power.to_le_bytes());
    h.extend_from_slice(&power.to_le_bytes());
    sections.push((1, h));
    let g1sec = |v: Vec<Fr>| {
        let mut o = Vec::new();
        g1s(v).into_iter().for_each(|p| put_g1(&mut o, p));
        o
    };
    let g2sec = |v: Vec<Fr>| {
        let mut o = Vec::new();
        g2s(v).into_iter().for_each(|p| put_g2(&mut o, p));
        o
    };
    sections.push((2, g1sec(pw(2 * n - 1))));
    sections.push((3, g2sec(pw(n))));
    sections.push((4, g1sec(scaled(pw(n), alpha))));
    sections.push((5, g1sec(scaled(pw(n), beta))));
    sections.push((6, g2sec(vec![beta])));
    sections.push((7, 0u32.to_le_bytes().to_vec()));
    sections.push((12, g1sec(lag_all(power + 1))));
    sections.push((13, g2sec(lag_all(power))));
    sections.push((14, g1sec(scaled(lag_all(power), alpha))));
    sections.push((15, g1sec(scaled(lag_all(power), beta))));
    let mut out = b"ptau".to_vec();
    out.extend_from_slice(&1u32.to_le_bytes());
    out.extend_from_slice(&(sections.len() as u32).to_le_bytes());
    for (id, data) in sections {
        out.extend_from_slice(&id.to_le_bytes());
        out.extend_from_slice(&(data.len() as u64).to_le_bytes());
        out.extend_from_slice(&data);
    }
    out
}

// ---- conformance ----

#[test]
fn snarkjs_file_reads_and_its_lagrange_blocks_match_arkworks_domain() {
    let mut p = open(snarkjs_bytes()).unwrap();
    assert_eq!((p.power(), p.ceremony_power()), (8, 8));
    let tau: Vec<G1Affine> = p.points(Section::TauG1, 0, 511).unwrap();
    assert_eq!(tau[0], G1Affine::generator());
    let tau2: Vec<G2Affine> = p.points(Section::TauG2, 0, 256).unwrap();
    assert_eq!(tau2[0], G2Affine::generator());
    // Our own inverse FFT of the powers over arkworks' radix-2 domain gives snarkjs's
    // Lagrange blocks, for every domain size (same root of unity, same element order).
    for log_n in 0..=8u32 {
        let n = 1usize << log_n;
        let d = Radix2EvaluationDomain::<Fr>::new(n).unwrap();
        let mut v: Vec<G1Projective> = tau[..n].iter().map(|x| x.into_group()).collect();
        d.ifft_in_place(&mut v);
        let ours = G1Projective::normalize_batch(&v);
        let theirs: Vec<G1Affine> = p.lagrange(Section::LTauG1, log_n).unwrap();
        assert_eq!(ours, theirs, "lTauG1 block 2^{log_n}");
        p.check_domain(log_n).unwrap();
    }
    // The hash is the file's BLAKE2b-512 (what `b2sum` prints and ceremonies publish).
    let h = verinfer_zk::files::to_hex(&p.blake2b().unwrap());
    assert!(h.starts_with("0xdf62a2587bfbc134"), "{h}");
}

#[test]
fn key_from_ptau_equals_arkworks_generator_for_the_same_secrets() {
    let g = common::mixed();
    let vis = Visibility::default();
    // arkworks samples τ as the first Fr from its rng: replay it.
    let seed = 42;
    let tau = Fr::rand(&mut StdRng::seed_from_u64(seed));
    let (alpha, beta) = (Fr::from(1234567u64), Fr::from(7654321u64));
    let theirs = ArkGroth16::<Bn254>::generate_parameters_with_qap(
        GraphCircuit::blank_with_visibility(&g, vis).unwrap(),
        alpha,
        beta,
        Fr::ONE,
        Fr::ONE,
        G1Projective::generator(),
        ark_bn254::G2Projective::generator(),
        &mut StdRng::seed_from_u64(seed),
    )
    .unwrap();
    let n = theirs.h_query.len() + 1;
    let power = n.trailing_zeros();
    let mut file = open(synthetic(power, tau, alpha, beta)).unwrap();
    let p = Params::from_ptau(&g, "mixed".into(), vis, &mut file).unwrap();
    assert_eq!(p.pk.vk, theirs.vk);
    assert_eq!(p.pk.a_query, theirs.a_query);
    assert_eq!(p.pk.b_g1_query, theirs.b_g1_query);
    assert_eq!(p.pk.b_g2_query, theirs.b_g2_query);
    assert_eq!(p.pk.h_query, theirs.h_query);
    assert_eq!(p.pk.l_query, theirs.l_query);
    assert_eq!(p.pk, theirs);
    let rec = p.manifest.phase1.clone().unwrap();
    assert_eq!((rec.power, rec.ceremony_power), (power, power));
}

#[test]
fn ceremony_from_snarkjs_ptau_proves_and_verifies_on_the_evm() {
    let g = small();
    let mut rng = StdRng::seed_from_u64(3);
    let mut file = open(snarkjs_bytes()).unwrap();
    let t = std::time::Instant::now();
    let p0 = Params::from_ptau(&g, "small".into(), Visibility::default(), &mut file).unwrap();
    eprintln!(
        "TIMING: ceremony new from ptau ({} constraints): {:?}",
        p0.manifest.constraints,
        t.elapsed()
    );
    // Deterministic: anyone with the file and the model rebuilds the same initial file.
    let again = Params::from_ptau(
        &g,
        "small".into(),
        Visibility::default(),
        &mut open(snarkjs_bytes()).unwrap(),
    )
    .unwrap();
    assert_eq!(again, p0);
    let rec = p0.manifest.phase1.clone().unwrap();
    assert_eq!(rec.power, 8);
    assert!(rec.ptau_blake2b.starts_with("0xdf62a2587bfbc134"));

    let p1 = p0.contribute("alice", &mut rng).unwrap();
    let p2 = p1
        .beacon(Beacon {
            value: b"block 0x1".to_vec(),
            iterations_exp: 3,
        })
        .unwrap();
    let v = ceremony::verify(&[p0.clone(), p1, p2.clone()]).unwrap();
    assert_eq!(v.phase1, Some(rec));
    assert_eq!(v.contributions.len(), 2);
    // The file round-trips with the record.
    assert_eq!(Params::from_bytes(&p2.to_bytes()).unwrap(), p2);

    let (pk, vk, _) = p2.keys();
    let trace = verinfer_ir::reference::run(&g, &small_inputs()).unwrap();
    let (proof, public) = Groth16::prove(&pk, &g, trace, &mut rng).unwrap();
    Groth16::verify(&vk, &public, &proof).unwrap();
    // A wrong statement: another output claimed for the same proof.
    let mut wrong = public.clone();
    wrong.outputs[0][0] += 1;
    assert!(matches!(
        Groth16::verify(&vk, &wrong, &proof),
        Err(VerifyError::Rejected)
    ));
    assert_eq!(
        common::evm_accepts(&vk, &proof, &[&public, &wrong]),
        [true, false]
    );
}

// ---- hostile files ----

fn err(b: Vec<u8>) -> PtauError {
    match open(b) {
        Err(e) => e,
        Ok(_) => panic!("a hostile file was accepted"),
    }
}

#[test]
fn hostile_headers_and_tables_are_refused() {
    let good = snarkjs_bytes();
    // Wrong magic.
    let mut b = good.clone();
    b[..4].copy_from_slice(b"zkey");
    assert!(matches!(err(b), PtauError::Magic(m) if &m == b"zkey"));
    // Unknown version.
    let mut b = good.clone();
    b[4] = 2;
    assert!(matches!(err(b), PtauError::Version(2)));
    // Truncated: inside the header, inside the table, inside a section.
    assert!(matches!(err(good[..7].to_vec()), PtauError::Truncated(_)));
    assert!(matches!(
        err(good[..good.len() - 1].to_vec()),
        PtauError::SectionPastEnd { .. }
    ));
    assert!(matches!(err(Vec::new()), PtauError::Truncated(_)));
    // A section size that lies (a huge one, and one a point short with the file cut to match).
    let (pos, _) = section_offset(&good, 2);
    let mut b = good.clone();
    b[pos + 4..pos + 12].copy_from_slice(&u64::MAX.to_le_bytes());
    assert!(matches!(err(b), PtauError::SectionPastEnd { id: 2, .. }));
    let mut b = good.clone();
    b[pos + 4..pos + 12].copy_from_slice(&(1u64 << 62).to_le_bytes());
    assert!(matches!(err(b), PtauError::SectionPastEnd { id: 2, .. }));
    // An absurd section count.
    let mut b = good.clone();
    b[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
    assert!(matches!(err(b), PtauError::TooManySections(_)));
    // More sections declared than present.
    let mut b = good.clone();
    b[8] += 1;
    assert!(matches!(err(b), PtauError::Truncated(_)));
    // A power that disagrees with the section sizes, and one past BN254's two-adicity.
    let (hpos, _) = section_offset(&good, 1);
    let mut b = good.clone();
    b[hpos + 12 + 36] = 9;
    b[hpos + 12 + 40] = 9;
    match err(b) {
        PtauError::SectionSize {
            id,
            expected,
            actual,
            power,
            ..
        } => {
            assert_eq!((id, power), (2, 9));
            assert!(expected > actual);
        }
        e => panic!("{e}"),
    }
    let mut b = good.clone();
    b[hpos + 12 + 36] = (MAX_POWER + 1) as u8;
    assert!(matches!(err(b), PtauError::PowerTooLarge { power: 29 }));
    // Another curve's modulus.
    let mut b = good.clone();
    b[hpos + 12 + 4] ^= 1;
    assert!(matches!(err(b), PtauError::WrongCurve));
    // Not prepared: the Lagrange sections renamed away.
    let (lpos, _) = section_offset(&good, 12);
    let mut b = good.clone();
    b[lpos..lpos + 4].copy_from_slice(&99u32.to_le_bytes());
    assert!(matches!(err(b), PtauError::NotPrepared));
    // A duplicated section.
    let mut b = good.clone();
    b[lpos..lpos + 4].copy_from_slice(&2u32.to_le_bytes());
    assert!(matches!(err(b), PtauError::DuplicateSection(2)));
    // Every error names its problem.
    assert!(err(good[..7].to_vec()).to_string().contains("truncated"));
}

#[test]
fn hostile_points_are_refused_by_index() {
    let good = snarkjs_bytes();
    let g = small();
    let (pos, _) = section_offset(&good, 2);
    // τ^3·G1's y nudged: off the curve.
    let mut b = good.clone();
    b[pos + 12 + 3 * 64 + 32] ^= 1;
    let mut p = open(b).unwrap();
    match Params::from_ptau(&g, "m".into(), Visibility::default(), &mut p) {
        Err(CeremonyError::Ptau(PtauError::BadPoint {
            id: 2,
            index: 3,
            what,
            ..
        })) => {
            assert!(what.contains("curve"), "{what}");
        }
        other => panic!("{other:?}"),
    }
    // A coordinate at or above the modulus.
    let mut b = good.clone();
    b[pos + 12 + 64..pos + 12 + 96].fill(0xff);
    let e = open(b).unwrap().points::<G1Affine>(Section::TauG1, 0, 4);
    assert!(
        matches!(e, Err(PtauError::BadPoint { index: 1, what, .. }) if what.contains("modulus"))
    );
    // A G2 point off the curve.
    let (pos3, _) = section_offset(&good, 3);
    let mut b = good.clone();
    b[pos3 + 12 + 128 + 100] ^= 4;
    let e = open(b).unwrap().points::<G2Affine>(Section::TauG2, 0, 2);
    assert!(matches!(
        e,
        Err(PtauError::BadPoint {
            id: 3,
            index: 1,
            ..
        })
    ));
    // Valid points that are not the Lagrange transform of the powers: a swapped pair.
    let (lpos, _) = section_offset(&good, 15);
    let mut b = good.clone();
    let at = lpos + 12 + 255 * 64;
    let (x, y) = (b[at..at + 64].to_vec(), b[at + 64..at + 128].to_vec());
    b[at..at + 64].copy_from_slice(&y);
    b[at + 64..at + 128].copy_from_slice(&x);
    let mut p = open(b).unwrap();
    match Params::from_ptau(&g, "m".into(), Visibility::default(), &mut p) {
        Err(CeremonyError::Ptau(PtauError::Inconsistent(what))) => {
            assert!(what.contains("β·τ Lagrange"), "{what}");
        }
        other => panic!("{other:?}"),
    }
    // Asking past a section is an error, not a panic.
    let mut p = open(good).unwrap();
    assert!(p.points::<G1Affine>(Section::TauG1, 500, 12).is_err());
    assert!(p.points::<G1Affine>(Section::TauG1, u64::MAX, 2).is_err());
    assert!(p.points::<G2Affine>(Section::TauG1, 0, 1).is_err());
    assert!(p.lagrange::<G1Affine>(Section::LTauG1, 11).is_err());
}

#[test]
fn a_ptau_too_small_for_the_circuit_names_both_sizes() {
    let (g, _) = verinfer_testing::models::golden_mlp_trace();
    let mut p = open(snarkjs_bytes()).unwrap();
    match Params::from_ptau(&g, "d".into(), Visibility::default(), &mut p) {
        Err(CeremonyError::Ptau(
            e @ PtauError::TooSmall {
                power: 8, needed, ..
            },
        )) => {
            assert!(needed > 8);
            let s = e.to_string();
            assert!(
                s.contains(&format!("2^{needed}")) && s.contains("power 8"),
                "{s}"
            );
        }
        other => panic!("{other:?}"),
    }
}

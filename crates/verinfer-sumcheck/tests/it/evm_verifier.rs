//! The Solidity verifier (`contracts/src/sumcheck/*.sol`) against this crate on the in-process
//! EVM (revm): the transcript byte for byte on random sequences and the golden vectors; every
//! Rust-made sumcheck, HyperKZG opening, batched opening and `Contract` node proof verifies on
//! chain with the same reduced claims; and every tampered word, claim, public value and weight
//! commitment gets the verdict the Rust verifier gives (rejected).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common::evm;

use ark_bn254::{Fr, G1Affine};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{One, UniformRand};
use ark_std::rand::{rngs::StdRng, Rng, SeedableRng};
use evm::*;
use serde_json::Value;
use verinfer_chain::U256;
use verinfer_sumcheck::contract::{
    prove_contract, verify_contract, ContractError, WeightCommitments,
};
use verinfer_sumcheck::evm::{contract_from_words, contract_words, opening_words, sumcheck_words};
use verinfer_sumcheck::pcs::{self, Commitment, OpeningProof, Srs};
use verinfer_sumcheck::sumcheck;
use verinfer_sumcheck::{DenseMle, Transcript};
use verinfer_sumcheck::{EvmDecodeError, LogupError, MatmulError, PcsError, SumcheckError};

fn golden() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/golden/v1/sumcheck_vectors.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn hex_u(v: &Value) -> U256 {
    U256::from_str_radix(v.as_str().unwrap().trim_start_matches("0x"), 16).unwrap()
}

fn hex_us(v: &Value) -> Vec<U256> {
    v.as_array().unwrap().iter().map(hex_u).collect()
}

#[test]
fn transcript_matches_rust_byte_for_byte() {
    let mut evm = Evm::new();
    let at = evm.harness();
    let mut rng = StdRng::seed_from_u64(1);
    for case in 0..60 {
        let label: Vec<u8> = (0..rng.gen_range(0..40)).map(|_| rng.gen()).collect();
        let segments: Vec<usize> = (0..rng.gen_range(1..6))
            .map(|_| rng.gen_range(0..20))
            .collect();
        let words = random_words(&mut rng, segments.iter().sum());
        let mut t = Transcript::new(&label);
        let mut expected = Vec::new();
        let mut it = words.iter();
        for &s in &segments {
            for w in it.by_ref().take(s) {
                t.absorb_word(w);
            }
            expected.push(fr_u(&t.challenge()));
        }
        let got = evm
            .view(
                at,
                &SumcheckHarness::transcriptCall {
                    label: label.clone().into(),
                    words: us(&words),
                    segments: segments.iter().map(|&s| U256::from(s)).collect(),
                },
            )
            .unwrap();
        assert_eq!(got.cs, expected, "case {case}: challenges");
        assert_eq!(got.state.0, t.state(), "case {case}: state");
    }

    // The golden transcript script.
    let g = golden();
    let tr = &g["transcript"];
    let (mut words, mut segments, mut expected) = (Vec::new(), Vec::new(), Vec::new());
    let mut pending = 0usize;
    for op in tr["ops"].as_array().unwrap() {
        let (name, v) = op.as_object().unwrap().iter().next().unwrap();
        match name.as_str() {
            "absorb_u64" => {
                words.push(U256::from(v.as_u64().unwrap()));
                pending += 1;
            }
            "absorb_frs" | "absorb_g1" => {
                let ws = hex_us(v);
                pending += ws.len();
                words.extend(ws);
            }
            "challenge" => {
                segments.push(U256::from(pending));
                pending = 0;
                expected.push(hex_u(v));
            }
            other => panic!("unknown golden op {other}"),
        }
    }
    let got = evm
        .view(
            at,
            &SumcheckHarness::transcriptCall {
                label: tr["label"].as_str().unwrap().as_bytes().to_vec().into(),
                words,
                segments,
            },
        )
        .unwrap();
    assert_eq!(got.cs, expected, "golden transcript");
}

/// `w + 1` (wrapping): a tamper that keeps every other word.
fn bump(w: &mut [u8; 32]) {
    for b in w.iter_mut().rev() {
        let (v, carry) = b.overflowing_add(1);
        *b = v;
        if !carry {
            break;
        }
    }
}

#[test]
fn sumcheck_proofs_verify_on_chain_and_tampers_are_rejected_alike() {
    let mut evm = Evm::new();
    let at = evm.harness();
    let mut rng = StdRng::seed_from_u64(2);
    let label = b"verinfer.evm.sumcheck".to_vec();
    for (n, d) in [(1, 1), (3, 2), (4, 3), (6, 3), (5, 1), (2, 2)] {
        let factors: Vec<DenseMle> = (0..d).map(|_| random_mle(&mut rng, n)).collect();
        let proved = sumcheck::prove(factors, &mut Transcript::new(&label)).unwrap();
        let mut words = Vec::new();
        sumcheck_words(&proved.proof, &mut words);
        let call = |claim: Fr, words: &[[u8; 32]]| SumcheckHarness::sumcheckProductCall {
            label: label.clone().into(),
            numVars: U256::from(n),
            degree: U256::from(d),
            claim: fr_u(&claim),
            proof: us(words),
        };
        let got = evm.view(at, &call(proved.claim, &words)).unwrap();
        assert_eq!(got.point, frs_u(&proved.reduced.point), "{n}/{d}: point");
        assert_eq!(got.evals, frs_u(&proved.reduced.evals), "{n}/{d}: evals");
        // Every word tampered, and the claim: Rust and Solidity both reject.
        for i in 0..words.len() {
            let mut bad = words.clone();
            bump(&mut bad[i]);
            let mut proof = proved.proof.clone();
            let (r, j) = (i / d, i % d);
            match proof.rounds.get_mut(r) {
                Some(m) => m.0[j] += Fr::one(),
                None => proof.final_evals[i - n * d] += Fr::one(),
            }
            let rust = sumcheck::verify(n, d, proved.claim, &proof, &mut Transcript::new(&label));
            assert!(
                matches!(rust, Err(SumcheckError::Rejected)),
                "{n}/{d}: word {i}"
            );
            let sol = evm.view(at, &call(proved.claim, &bad));
            assert_eq!(sol.err().as_ref().and_then(rejection_code), Some(10));
        }
        let wrong = proved.claim + Fr::one();
        let rust = sumcheck::verify(n, d, wrong, &proved.proof, &mut Transcript::new(&label));
        assert!(matches!(rust, Err(SumcheckError::Rejected)));
        let sol = evm.view(at, &call(wrong, &words));
        assert_eq!(sol.err().as_ref().and_then(rejection_code), Some(10));
    }

    // The golden proof reduces to the golden point.
    let g = golden();
    let s = &g["sumcheck"];
    let mut proof: Vec<U256> = s["rounds"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(hex_us)
        .collect();
    proof.extend(hex_us(&s["final_evals"]));
    let got = evm
        .view(
            at,
            &SumcheckHarness::sumcheckProductCall {
                label: s["label"].as_str().unwrap().as_bytes().to_vec().into(),
                numVars: U256::from(s["num_vars"].as_u64().unwrap()),
                degree: U256::from(s["degree"].as_u64().unwrap()),
                claim: hex_u(&s["claim"]),
                proof,
            },
        )
        .unwrap();
    assert_eq!(got.point, hex_us(&s["point"]), "golden sumcheck point");
}

/// Every single-part tamper of an opening: a scalar +1, a point moved by `G1`.
fn opening_tampers(p: &OpeningProof) -> Vec<OpeningProof> {
    let g = G1Affine::generator();
    let mut out = Vec::new();
    for i in 0..p.folds.len() {
        let mut q = p.clone();
        q.folds[i] = (q.folds[i] + g).into_affine();
        out.push(q);
    }
    for i in 0..p.evals.len() * 3 {
        let mut q = p.clone();
        q.evals[i / 3][i % 3] += Fr::one();
        out.push(q);
    }
    for i in 0..p.witnesses.len() {
        let mut q = p.clone();
        q.witnesses[i] = (q.witnesses[i] + g).into_affine();
        out.push(q);
    }
    out
}

#[test]
fn hyperkzg_openings_verify_on_chain_and_tampers_are_rejected_alike() {
    let mut evm = Evm::new();
    let at = evm.harness();
    let mut rng = StdRng::seed_from_u64(3);
    let srs = Srs::insecure_local_setup_for_tests(6, &mut rng);
    let vk = &srs.verifier_key;
    let label = b"verinfer.evm.hyperkzg".to_vec();
    for ell in 0..=6 {
        let f = random_mle(&mut rng, ell);
        let c = pcs::commit(&srs.commit_key, &f).unwrap();
        let point: Vec<Fr> = (0..ell).map(|_| Fr::rand(&mut rng)).collect();
        let (proof, eval) = pcs::open(
            &srs.commit_key,
            &f,
            &c,
            &point,
            &mut Transcript::new(&label),
        )
        .unwrap();
        let call = |c: &Commitment, eval: Fr, proof: &OpeningProof| {
            let mut words = Vec::new();
            opening_words(proof, &mut words);
            SumcheckHarness::hyperkzgCall {
                label: label.clone().into(),
                vk: vk_u(vk),
                commitment: g1_u(&c.0),
                point: frs_u(&point),
                eval: fr_u(&eval),
                proof: us(&words),
            }
        };
        // Both verdicts as codes: 0 accepted, else Solidity's code for Rust's rejection.
        let mut verdicts = |c: &Commitment, eval: Fr, proof: &OpeningProof| {
            let rust = pcs::verify(vk, c, &point, eval, proof, &mut Transcript::new(&label))
                .map_or_else(|e| pcs_code(&e), |()| 0);
            let sol = verdict_code(evm.view(at, &call(c, eval, proof)));
            (rust, sol)
        };
        assert_eq!(verdicts(&c, eval, &proof), (0, 0), "ℓ = {ell}");
        for (i, bad) in opening_tampers(&proof).iter().enumerate() {
            let (rust, sol) = verdicts(&c, eval, bad);
            assert_ne!(rust, 0, "ℓ = {ell}: Rust accepts tamper {i}");
            assert_eq!(rust, sol, "ℓ = {ell}: tamper {i}");
        }
        let wrong_c = Commitment((c.0 + G1Affine::generator()).into_affine());
        for (cc, e) in [(&c, eval + Fr::one()), (&wrong_c, eval)] {
            let (rust, sol) = verdicts(cc, e, &proof);
            assert_ne!(rust, 0, "ℓ = {ell}: Rust accepts a false statement");
            assert_eq!(rust, sol, "ℓ = {ell}: statement");
        }
    }

    // The golden opening under the snarkjs-made SRS.
    let g = golden();
    let h = &g["hyperkzg"];
    let mut proof: Vec<U256> = h["folds"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(hex_us)
        .collect();
    proof.extend(h["evals"].as_array().unwrap().iter().flat_map(hex_us));
    proof.extend(h["witnesses"].as_array().unwrap().iter().flat_map(hex_us));
    let mut key = hex_us(&h["g2"]);
    key.extend(hex_us(&h["tau_g2"]));
    let commitment = hex_us(&h["commitment"]);
    let call = SumcheckHarness::hyperkzgCall {
        label: h["label"].as_str().unwrap().as_bytes().to_vec().into(),
        vk: key.try_into().unwrap(),
        commitment: [commitment[0], commitment[1]],
        point: hex_us(&h["point"]),
        eval: hex_u(&h["eval"]),
        proof,
    };
    assert!(evm.view(at, &call).unwrap(), "golden opening");
}

#[test]
fn batched_openings_verify_on_chain_and_false_claims_are_rejected_alike() {
    let mut evm = Evm::new();
    let at = evm.harness();
    let mut rng = StdRng::seed_from_u64(4);
    let srs = Srs::insecure_local_setup_for_tests(5, &mut rng);
    let vk = &srs.verifier_key;
    let label = b"verinfer.evm.batch".to_vec();
    let batch = RandomBatch::new(&mut rng, &srs.commit_key, &[5, 3, 5, 0, 2], &label);
    let verdicts = |evm: &mut Evm, evals: &[Fr]| {
        let claims = batch.claims(evals);
        let rust = pcs::verify_batch(vk, &claims, &batch.proof, &mut Transcript::new(&label))
            .map_or_else(|e| pcs_code(&e), |()| 0);
        let sol = verdict_code(evm.view(at, &batch_call(&label, vk, &claims, &batch.proof)));
        (rust, sol)
    };
    assert_eq!(verdicts(&mut evm, &batch.evals), (0, 0));
    for j in 0..batch.evals.len() {
        let mut bad = batch.evals.clone();
        bad[j] += Fr::one();
        let (rust, sol) = verdicts(&mut evm, &bad);
        assert_ne!(rust, 0, "claim {j}: Rust accepts a false claim");
        assert_eq!(rust, sol, "claim {j}");
    }
}

/// The Solidity verifier's code for what the Rust decoder refuses.
fn decode_code(e: &EvmDecodeError) -> u64 {
    match e {
        EvmDecodeError::NonCanonical { .. } => 1,
        EvmDecodeError::NotOnCurve { .. } => 3,
        other => panic!("a tamper changed the proof's length: {other}"),
    }
}

/// The Solidity verifier's code (`SumcheckRejected`) for a rejected opening.
fn pcs_code(e: &PcsError) -> u64 {
    match e {
        PcsError::Rejected("the batching sumcheck") => 10,
        PcsError::Rejected("the constant differs from the commitment") => 20,
        PcsError::DegenerateChallenge => 21,
        PcsError::Rejected("a fold is inconsistent with the next") => 22,
        PcsError::Rejected("the KZG openings do not verify") => 23,
        PcsError::Rejected("an eq value differs from eq(p, ρ)") => 31,
        other => panic!("no Solidity code for {other}"),
    }
}

/// The Solidity verifier's code (`SumcheckRejected`) for each rejection of the Rust verifier.
fn rust_code(e: &ContractError) -> u64 {
    match e {
        ContractError::Matmul(MatmulError::Sumcheck(SumcheckError::Rejected))
        | ContractError::Logup(LogupError::Sumcheck(SumcheckError::Rejected)) => 10,
        ContractError::Pcs(e) => pcs_code(e),
        ContractError::Logup(LogupError::Rejected("the eq value differs from eq(z, ρ)")) => 40,
        ContractError::Logup(LogupError::Rejected("the table value differs from T̃(ρ)")) => 41,
        other => panic!("no Solidity code for {other}"),
    }
}

#[test]
fn contract_node_proofs_verify_on_chain_and_every_tamper_is_rejected_alike() {
    let mut evm = Evm::new();
    let mut rng = StdRng::seed_from_u64(5);
    let srs = Srs::insecure_local_setup_for_tests(8, &mut rng);
    let (ck, vk) = (&srs.commit_key, &srs.verifier_key);
    for (dims, mult, shift, bias) in [
        ((4, 4, 4), 1, 6, None),
        ((3, 5, 7), 3, 8, Some(4)),
        ((1, 9, 2), 1, 0, None),
        ((6, 3, 5), -5, 7, Some(0)),
    ] {
        let c = Case::random(&mut rng, dims, mult, shift, bias);
        let cw = WeightCommitments::commit(ck, &c.node, c.weights()).unwrap();
        let proof = prove_contract(ck, &c.node, &c.x, c.weights(), &cw, &c.y).unwrap();
        verify_contract(vk, &c.node, &c.x, &cw, &c.y, &proof).unwrap();
        let words = contract_words(&proof);
        assert_eq!(
            contract_from_words(&c.node, &words).unwrap(),
            proof,
            "{dims:?}: decode"
        );
        let (at, size) = deploy_node(&mut evm, &c.node, &cw, vk).unwrap();
        assert!(size < 24_576, "{dims:?}: {size} bytes");
        assert!(
            node_verdict(&mut evm, at, &c.x, &c.y, &words).unwrap(),
            "{dims:?}"
        );

        // Every word of the proof tampered: Rust (decoding the words as the chain reads
        // them, then verifying) and Solidity reject it for the same reason.
        for i in 0..words.len() {
            let mut bad = words.clone();
            bump(&mut bad[i]);
            let rust = contract_from_words(&c.node, &bad)
                .map_err(|e| decode_code(&e))
                .and_then(|p| {
                    verify_contract(vk, &c.node, &c.x, &cw, &c.y, &p).map_err(|e| rust_code(&e))
                });
            let sol = node_verdict(&mut evm, at, &c.x, &c.y, &bad);
            let sol_code = sol.as_ref().err().and_then(rejection_code);
            assert!(rust.is_err(), "{dims:?}: Rust accepts word {i} tampered");
            assert_eq!(rust.err(), sol_code, "{dims:?}: word {i}: {sol:?}");
        }
        let mut short = words.clone();
        short.pop();
        assert!(node_verdict(&mut evm, at, &c.x, &c.y, &short).is_err());
        let mut long = words.clone();
        long.push([0u8; 32]);
        assert!(node_verdict(&mut evm, at, &c.x, &c.y, &long).is_err());

        // Public values: one element of x or y changed.
        for (dx, dy) in [(1, 0), (0, 1)] {
            let (mut x, mut y) = (c.x.clone(), c.y.clone());
            let i = rng.gen_range(0..x.len());
            let j = rng.gen_range(0..y.len());
            x[i] += dx;
            y[j] += dy;
            assert!(verify_contract(vk, &c.node, &x, &cw, &y, &proof).is_err());
            assert!(
                node_verdict(&mut evm, at, &x, &y, &words).is_err(),
                "{dims:?}: public"
            );
        }
        // An output outside the 16-bit bound is refused by both.
        let mut y = c.y.clone();
        y[0] = 1 << 15;
        assert!(verify_contract(vk, &c.node, &c.x, &cw, &y, &proof).is_err());
        assert!(node_verdict(&mut evm, at, &c.x, &y, &words).is_err());

        // Another weight commitment (a verifier deployed for other weights).
        let other = WeightCommitments {
            w: Commitment((cw.w.0 + G1Affine::generator()).into_affine()),
            bias: cw.bias,
        };
        assert!(verify_contract(vk, &c.node, &c.x, &other, &c.y, &proof).is_err());
        let (at2, _) = deploy_node(&mut evm, &c.node, &other, vk).unwrap();
        assert!(
            node_verdict(&mut evm, at2, &c.x, &c.y, &words).is_err(),
            "{dims:?}: C_W"
        );
    }
}

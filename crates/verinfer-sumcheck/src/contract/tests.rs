//! Tests of the `Contract` node proof: outputs from verinfer-ir's reference, tampering of
//! every part and byte, cheating provers, refused traces.

use super::*;
use crate::pcs::Srs;
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::One;
use ark_std::rand::{rngs::StdRng, Rng, SeedableRng};
use verinfer_ir::Bits;

/// The Contract the ONNX lowering makes for `MatMul([m,k], [k,n])`.
fn matmul_contract(m: usize, k: usize, n: usize, requant: Requant) -> Contract {
    super::matmul_contract((m, k, n), requant, None)
}

struct Case {
    node: MatmulNode,
    x: Vec<i32>,
    w: Vec<i32>,
    bias: Option<Vec<i32>>,
    y: Vec<i32>,
}

fn weights(c: &Case) -> Weights<'_> {
    Weights {
        w: &c.w,
        bias: c.bias.as_deref(),
    }
}

/// 8-bit activations and weights, an output requantized into 8 bits without clamping
/// (the shift brings `|acc·mult|` well inside the bound). `y` from verinfer-ir's reference.
fn case(rng: &mut StdRng, m: usize, k: usize, n: usize, mult: i64, shift: u32) -> Case {
    case_with_bias(rng, (m, k, n), mult, shift, None)
}

/// As [`case`], with a bias `bias[j]·2^bias_shift` (8-bit bias values) when asked.
fn case_with_bias(
    rng: &mut StdRng,
    (m, k, n): (usize, usize, usize),
    mult: i64,
    shift: u32,
    bias_shift: Option<u32>,
) -> Case {
    let requant = Requant {
        mult,
        shift,
        bits: Bits::new(16).unwrap(),
    };
    let c = super::matmul_contract((m, k, n), requant, bias_shift);
    let x: Vec<i32> = (0..m * k).map(|_| rng.gen_range(-128..128)).collect();
    let w: Vec<i32> = (0..k * n).map(|_| rng.gen_range(-128..128)).collect();
    let bias: Option<Vec<i32>> =
        bias_shift.map(|_| (0..n).map(|_| rng.gen_range(-128..128)).collect());
    let node = MatmulNode::from_contract(&c).unwrap();
    let y = reference_outputs(
        &c,
        &node,
        &x,
        Weights {
            w: &w,
            bias: bias.as_deref(),
        },
    )
    .unwrap();
    Case {
        node,
        x,
        w,
        bias,
        y,
    }
}

fn setup() -> (Srs, StdRng) {
    let mut rng = StdRng::seed_from_u64(31);
    (Srs::insecure_local_setup_for_tests(8, &mut rng), rng)
}

fn commit_w(srs: &Srs, c: &Case) -> WeightCommitments {
    WeightCommitments::commit(&srs.commit_key, &c.node, weights(c)).unwrap()
}

#[test]
fn requantized_matmuls_prove_and_verify() {
    let (srs, mut rng) = setup();
    for (m, k, n, mult, shift) in [
        (4, 4, 4, 1, 6),
        (3, 5, 7, 3, 8),
        (1, 9, 2, 1, 0),
        (6, 3, 5, 5, 7),
        (2, 16, 8, 1, 1),
    ] {
        let c = case(&mut rng, m, k, n, mult, shift);
        let cw = commit_w(&srs, &c);
        let p = prove_contract(&srs.commit_key, &c.node, &c.x, weights(&c), &cw, &c.y)
            .unwrap_or_else(|e| panic!("{m}x{k}x{n}: {e}"));
        verify_contract(&srs.verifier_key, &c.node, &c.x, &cw, &c.y, &p)
            .unwrap_or_else(|e| panic!("{m}x{k}x{n}: {e}"));
    }
}

#[test]
fn gemm_with_a_bias_proves_and_verifies_and_the_bias_is_bound() {
    let (srs, mut rng) = setup();
    for (dims, shift, bias_shift) in [
        ((3, 5, 7), 8, 4),
        ((4, 4, 4), 6, 0),
        ((1, 9, 2), 7, 2),
        ((2, 3, 5), 4, 0),
    ] {
        let c = case_with_bias(&mut rng, dims, 3, shift, Some(bias_shift));
        let cw = commit_w(&srs, &c);
        let p = prove_contract(&srs.commit_key, &c.node, &c.x, weights(&c), &cw, &c.y)
            .unwrap_or_else(|e| panic!("{dims:?}: {e}"));
        let vk = &srs.verifier_key;
        verify_contract(vk, &c.node, &c.x, &cw, &c.y, &p).unwrap();
        // Another bias (committed), a tampered bias value, a proof without it.
        let mut b = c.bias.clone().unwrap();
        b[0] += 1;
        let other = WeightCommitments::commit(
            &srs.commit_key,
            &c.node,
            Weights {
                w: &c.w,
                bias: Some(&b),
            },
        )
        .unwrap();
        assert!(verify_contract(vk, &c.node, &c.x, &other, &c.y, &p).is_err());
        let mut bad = p.clone();
        bad.bias_eval = bad.bias_eval.map(|e| e + Fr::one());
        assert!(verify_contract(vk, &c.node, &c.x, &cw, &c.y, &bad).is_err());
        let mut bad = p.clone();
        bad.bias_eval = None;
        assert!(matches!(
            verify_contract(vk, &c.node, &c.x, &cw, &c.y, &bad),
            Err(ContractError::Malformed(_))
        ));
        // Weights without the bias the node has.
        assert!(matches!(
            prove_contract(
                &srs.commit_key,
                &c.node,
                &c.x,
                Weights {
                    w: &c.w,
                    bias: None
                },
                &cw,
                &c.y
            ),
            Err(ContractError::Malformed(_))
        ));
    }
}

#[test]
fn wrong_outputs_weights_and_tampered_proofs_are_rejected() {
    let (srs, mut rng) = setup();
    let c = case(&mut rng, 3, 5, 4, 3, 6);
    let cw = commit_w(&srs, &c);
    let p = prove_contract(&srs.commit_key, &c.node, &c.x, weights(&c), &cw, &c.y).unwrap();
    let vk = &srs.verifier_key;
    let v = |x: &[i32], cw: &WeightCommitments, y: &[i32], p: &ContractProof| {
        verify_contract(vk, &c.node, x, cw, y, p)
    };
    assert!(v(&c.x, &cw, &c.y, &p).is_ok());
    // Another output (by one), another input, other weights.
    let mut y = c.y.clone();
    y[5] += 1;
    assert!(v(&c.x, &cw, &y, &p).is_err());
    let mut x = c.x.clone();
    x[2] -= 1;
    assert!(v(&x, &cw, &c.y, &p).is_err());
    let mut w = c.w.clone();
    w[0] += 1;
    let other = commit_w(
        &srs,
        &Case {
            w,
            ..case(&mut rng, 3, 5, 4, 3, 6)
        },
    );
    assert!(v(&c.x, &other, &c.y, &p).is_err());
    // Every part of the proof.
    let g = ark_bn254::G1Affine::generator();
    let mut bad = p.clone();
    bad.rem = Commitment((bad.rem.0 + g).into_affine());
    assert!(v(&c.x, &cw, &c.y, &bad).is_err());
    let mut bad = p.clone();
    bad.rem_eval += Fr::one();
    assert!(v(&c.x, &cw, &c.y, &bad).is_err());
    let mut bad = p.clone();
    bad.matmul.sumcheck.final_evals[1] += Fr::one();
    assert!(v(&c.x, &cw, &c.y, &bad).is_err());
    let mut bad = p.clone();
    bad.range.sum += Fr::one();
    assert!(v(&c.x, &cw, &c.y, &bad).is_err());
    let mut bad = p.clone();
    bad.openings.opening.witnesses[0] = (bad.openings.opening.witnesses[0] + g).into_affine();
    assert!(v(&c.x, &cw, &c.y, &bad).is_err());
    let mut bad = p.clone();
    bad.range.table.final_evals[1] += Fr::one();
    assert!(v(&c.x, &cw, &c.y, &bad).is_err());
    // An output outside the bound is a malformed statement.
    let mut y = c.y.clone();
    y[0] = 1 << 20;
    assert!(matches!(
        v(&c.x, &cw, &y, &p),
        Err(ContractError::OutputOutOfBound { index: 0, .. })
    ));
}

#[test]
fn an_output_off_by_one_needs_a_remainder_out_of_range() {
    // y[0] + 1 with rem[0] − 2^s satisfies the identity and the matmul; only the range
    // check stands in the way, and the (honest) logUp prover has no proof for it.
    let (srs, mut rng) = setup();
    let c = case(&mut rng, 2, 4, 2, 1, 5);
    let cw = commit_w(&srs, &c);
    let mut rem = remainders(&c.node, &c.x, weights(&c), &c.y)
        .unwrap()
        .into_evals();
    rem[0] -= Fr::from(32u64);
    let mut y = c.y.clone();
    y[0] += 1;
    let rem = DenseMle::new(rem).unwrap();
    assert!(matches!(
        prove_with_remainders(
            &srs.commit_key,
            &c.node,
            Io {
                statement: None,
                x: &c.x,
                y: &y
            },
            weights(&c),
            &cw,
            &rem
        ),
        Err(ContractError::Logup(LogupError::OutOfRange {
            index: 0,
            bits: 5
        }))
    ));
}

#[test]
fn the_prover_refuses_wrong_traces_clamps_and_other_contracts() {
    let (srs, mut rng) = setup();
    let c = case(&mut rng, 2, 3, 2, 1, 4);
    let cw = commit_w(&srs, &c);
    let mut y = c.y.clone();
    y[3] += 1;
    assert!(matches!(
        prove_contract(&srs.commit_key, &c.node, &c.x, weights(&c), &cw, &y),
        Err(ContractError::TraceMismatch { index: 3, .. })
    ));
    // No shift: |acc| reaches 3·2^14 > 2^15, so some output clamps into 16 bits.
    let x = vec![-128; 6];
    let w = vec![-128; 6];
    let node = MatmulNode::from_contract(&matmul_contract(
        2,
        3,
        2,
        Requant {
            mult: 1,
            shift: 0,
            bits: Bits::new(16).unwrap(),
        },
    ))
    .unwrap();
    assert!(matches!(
        prove_contract(
            &srs.commit_key,
            &node,
            &x,
            Weights { w: &w, bias: None },
            &cw,
            &[i16::MAX.into(); 4]
        ),
        Err(ContractError::Clamped { index: 0, bits: 16 })
    ));
    let rq = Requant {
        mult: 1,
        shift: 2,
        bits: Bits::new(8).unwrap(),
    };
    let mut with_bias = super::matmul_contract((2, 3, 2), rq, Some(0));
    // A bias along the rows (bias[i]) is not the Gemm form.
    if let Some(bm) = with_bias.bias_map.as_mut() {
        bm.rows[0].out = vec![1, 0];
    }
    assert!(matches!(
        MatmulNode::from_contract(&with_bias),
        Err(ContractError::Unsupported(_))
    ));
    let mut transposed = matmul_contract(2, 3, 2, rq);
    transposed.w_map.rows.swap(0, 1);
    assert!(matches!(
        MatmulNode::from_contract(&transposed),
        Err(ContractError::Unsupported(_))
    ));
    assert!(matches!(
        prove_contract(&srs.commit_key, &c.node, &c.x[1..], weights(&c), &cw, &c.y),
        Err(ContractError::Length { what: "x", .. })
    ));
}

/// The proof as bytes (arkworks compressed): every byte flipped
/// (its lowest bit) either fails to decode or fails to verify.
#[test]
fn every_proof_byte_matters() {
    use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
    let (srs, mut rng) = setup();
    let c = case(&mut rng, 2, 3, 2, 1, 3);
    let cw = commit_w(&srs, &c);
    let p = prove_contract(&srs.commit_key, &c.node, &c.x, weights(&c), &cw, &c.y).unwrap();
    let mut bytes = Vec::new();
    p.serialize_compressed(&mut bytes).unwrap();
    let back = ContractProof::deserialize_compressed(&bytes[..]).unwrap();
    assert_eq!(back, p);
    let vk = &srs.verifier_key;
    for at in 0..bytes.len() {
        let mut bad = bytes.clone();
        bad[at] ^= 0x01;
        let verdict = ContractProof::deserialize_compressed(&bad[..])
            .map(|q| verify_contract(vk, &c.node, &c.x, &cw, &c.y, &q));
        assert!(
            !matches!(verdict, Ok(Ok(()))),
            "byte {at} of {}",
            bytes.len()
        );
    }
    assert!(ContractProof::deserialize_compressed(&bytes[..bytes.len() - 1]).is_err());
}

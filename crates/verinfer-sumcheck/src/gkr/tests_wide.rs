//! Outputs wider than the range tables (the RMSNorm's 31-bit `x·x`, row sum, `Rescale` and
//! `+ ε`): checked as two limbs in the `[0, 2^16)` table. One token's RMSNorm
//! (`verinfer_testing::graph::rms_norm_wide_17`: the LLM's shape with `q` and the quotient at 17
//! bits, so that no proof here pays for the `2^20` range table) and its prefixes (each wide step the public
//! output) prove; a value past the 31-bit bound and a changed limb are rejected; a 31-bit
//! output of another kind is refused on the spec's bytes.

use ark_bn254::Fr;
use verinfer_ir::Graph;
use verinfer_testing::graph::rms_norm_wide_17 as rms_norm_wide;

use super::*;

/// `|x| < 2^15` (x·x unclamped), from `seed`.
fn wide_input(g: &Graph, seed: u64) -> Vec<i32> {
    super::random_input(g, seed, -32_000..32_000)
}

/// The whole norm and its prefixes ending at each 31-bit step after the first (a one-node
/// prefix commits nothing: not a layered proof) and at the root.
fn graphs() -> Vec<(String, Graph)> {
    let g = rms_norm_wide(8);
    let mut v: Vec<(String, Graph)> = (2..=5)
        .map(|n| (format!("first {n} nodes"), prefix(&g, n)))
        .collect();
    v.push(("rms norm".into(), g));
    v
}

#[test]
fn wide_outputs_are_recognised_with_limbs() {
    let spec = ChainSpec::recognise(&rms_norm_wide(8)).unwrap();
    let kinds: Vec<_> = spec.layers.iter().map(|l| kind_name(&l.kind)).collect();
    assert_eq!(
        kinds,
        ["binary", "sum", "binary", "binary", "isqrt", "clip", "div"]
    );
    let bits: Vec<u32> = spec.layers.iter().map(|l| l.bits.get()).collect();
    assert_eq!(bits[..4], [31; 4]);
    let committed = columns::committed(&spec);
    for i in 0..4 {
        assert!(committed.contains(&columns::Poly::OutHi(i)), "layer {i}");
    }
    assert!(!committed.contains(&columns::Poly::OutHi(4)));
    // The 31-bit columns are limbs: no table past the 24-bit ones.
    assert!(columns::groups(&spec).keys().all(|&b| b <= 24));
    assert_eq!(ChainSpec::from_bytes(&spec.to_bytes()).unwrap(), spec);
    // 31 bits on a kind checked in one table (the root), or 33 bits: refused on decoding.
    let mut bad = spec.clone();
    bad.layers[4].bits = verinfer_ir::Bits::new(31).unwrap();
    assert!(ChainSpec::from_bytes(&bad.to_bytes()).is_err());
    assert!(!columns::output_bits_fit(&spec.layers[0].kind, 33));
}

#[test]
fn wide_outputs_prove_and_round_trip() {
    assert_graphs_prove(&graphs(), wide_input);
    // The largest squares: `x = ±(2^15 − 1)`, every step near its bound.
    let g = rms_norm_wide(8);
    let f = fixture_with(&g, vec![32_767, -32_767, 32_767, -32_767, 1, 0, -5, 32_767]);
    assert!(f.trace[1].iter().any(|&v| v > 1 << 29));
    f.assert_proves_and_round_trips("largest squares");
}

#[test]
fn a_value_past_31_bits_is_rejected() {
    // `x = −2^15`: `x·x = 2^30`, one past the 31-bit bound (the IR clamps it to `2^30 − 1`).
    // The forged square keeps the product's relation and the row sum is recomputed from it,
    // so only the limbs stand in the way.
    let g = prefix(&rms_norm_wide(8), 2);
    let mut f = fixture_with(&g, vec![-32_768, 3, 4, 5, 6, 7, 8, 9]);
    assert_eq!(f.trace[1][0], (1 << 30) - 1);
    // The IR's clamped trace has no honest proof: refused naming the saturating element.
    let r = f.prove_honest();
    assert!(
        matches!(
            r,
            Err(GkrError::Clamped {
                node: 0,
                index: 0,
                bits: 31
            })
        ),
        "{r:?}"
    );
    f.trace[1][0] = 1 << 30;
    let sum: i64 = f.trace[1].iter().map(|&v| i64::from(v)).sum();
    f.trace[2][0] = i32::try_from((sum + 4) >> 3).unwrap();
    f.assert_cheat_stopped("x·x = 2^30");
}

#[test]
fn a_changed_limb_is_rejected() {
    let g = rms_norm_wide(8);
    let f = fixture_with(&g, wide_input(&g, 3));
    for i in 0..4 {
        let hi = columns::Poly::OutHi(i);
        // The limb alone, and the limb with the value moved by `2^16` (the low limb unchanged).
        for with_value in [false, true] {
            let r = f.prove_tampered(&f.trace, true, &|w| {
                bump(w, hi, 0, Fr::from(1u64));
                if with_value {
                    bump(w, columns::Poly::Hidden(i), 0, Fr::from(1u64 << 16));
                }
                Ok(())
            });
            match r {
                Err(GkrError::Logup(crate::error::LogupError::OutOfRange { .. })) => {}
                Err(e) => panic!("layer {i}: {e}"),
                Ok(p) => {
                    let err = f.verify(f.output(), &p).unwrap_err();
                    assert!(err.is_rejection(), "layer {i} value {with_value}: {err}");
                }
            }
        }
    }
    let p = f.prove();
    f.assert_every_word_checked(&p);
}

//! Conversions between arkworks' BN254 types (the rest of verinfer) and halo2curves' (the
//! outer prover), by canonical bytes: both crates hold the same fields and curves.

use ark_ec::AffineRepr;
use ark_ff::{BigInteger, PrimeField};
use halo2_base::halo2_proofs::halo2curves::bn256::{Fq, Fq2, Fr as HFr, G1Affine, G2Affine};
use halo2_base::halo2_proofs::halo2curves::ff::PrimeField as _;
use halo2_base::halo2_proofs::halo2curves::group::prime::PrimeCurveAffine;
use halo2_base::halo2_proofs::halo2curves::CurveAffine;

use crate::WrapError;

fn le32<F: PrimeField>(x: &F) -> [u8; 32] {
    let mut out = [0u8; 32];
    for (o, b) in out.iter_mut().zip(x.into_bigint().to_bytes_le()) {
        *o = b;
    }
    out
}

/// An arkworks scalar as halo2's (the same integer below the modulus).
pub fn fr_to_halo2(x: &ark_bn254::Fr) -> HFr {
    // A canonical ark element is below the shared modulus, so from_repr always succeeds.
    Option::from(HFr::from_repr(le32(x))).unwrap_or_default()
}

/// A halo2 scalar as arkworks'.
pub fn fr_from_halo2(x: &HFr) -> ark_bn254::Fr {
    ark_bn254::Fr::from_le_bytes_mod_order(&x.to_repr())
}

fn fq(x: &ark_bn254::Fq) -> Result<Fq, WrapError> {
    Option::from(Fq::from_repr(le32(x)))
        .ok_or_else(|| WrapError::Srs("a base-field coordinate".into()))
}

/// An arkworks G1 point as halo2curves' (the identity maps to the identity).
///
/// # Errors
/// [`WrapError::Srs`] if halo2curves refuses the coordinates (never for a valid point).
pub fn g1_to_halo2(p: &ark_bn254::G1Affine) -> Result<G1Affine, WrapError> {
    let Some((x, y)) = p.xy() else {
        return Ok(G1Affine::identity());
    };
    Option::from(G1Affine::from_xy(fq(&x)?, fq(&y)?))
        .ok_or_else(|| WrapError::Srs("a G1 point off the curve".into()))
}

/// An arkworks G2 point as halo2curves'.
///
/// # Errors
/// [`WrapError::Srs`] if halo2curves refuses the coordinates.
pub fn g2_to_halo2(p: &ark_bn254::G2Affine) -> Result<G2Affine, WrapError> {
    let Some((x, y)) = p.xy() else {
        return Ok(G2Affine::identity());
    };
    let x = Fq2 {
        c0: fq(&x.c0)?,
        c1: fq(&x.c1)?,
    };
    let y = Fq2 {
        c0: fq(&y.c0)?,
        c1: fq(&y.c1)?,
    };
    Option::from(G2Affine::from_xy(x, y))
        .ok_or_else(|| WrapError::Srs("a G2 point off the curve".into()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn scalars_round_trip() {
        for v in [0u64, 1, 5, u64::MAX] {
            let a = ark_bn254::Fr::from(v);
            assert_eq!(fr_to_halo2(&a), HFr::from(v));
            assert_eq!(fr_from_halo2(&HFr::from(v)), a);
        }
        let m = -ark_bn254::Fr::from(1u64);
        assert_eq!(fr_to_halo2(&m), -HFr::from(1u64));
    }

    #[test]
    fn generators_match() {
        assert_eq!(
            g1_to_halo2(&ark_bn254::G1Affine::generator()).unwrap(),
            G1Affine::generator()
        );
        assert_eq!(
            g2_to_halo2(&ark_bn254::G2Affine::generator()).unwrap(),
            G2Affine::generator()
        );
    }
}

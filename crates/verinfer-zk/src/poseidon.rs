//! The Poseidon hash of a tensor class (hashed visibility), circomlib-compatible.
//!
//! Each step is circomlib's `Poseidon(12)` (BN254, x⁵ S-box, width 13, zero domain tag; the
//! parameters come from `light-poseidon`), chained over the packed elements
//! ([`crate::packing`]): `acc₀ = n` (the element count, so no padding ambiguity), then for each
//! chunk of 11 elements (the last zero-padded) `acc ← Poseidon(acc, chunk…)`; an empty class
//! hashes one all-zero chunk. A circom circuit recomputes it with `Poseidon(12)` templates.

use ark_bn254::Fr;
use light_poseidon::parameters::bn254_x5::get_poseidon_parameters;
use light_poseidon::{Poseidon, PoseidonError, PoseidonHasher, PoseidonParameters};

/// Inputs of one permutation (circomlib `Poseidon(12)`).
pub const ARITY: usize = 12;

/// Packed elements absorbed per step (one input slot carries the chain value).
pub const RATE: usize = ARITY - 1;

/// The permutation parameters (width `ARITY + 1`).
///
/// # Errors
/// Never for the built-in width; the error type is light-poseidon's.
pub fn parameters() -> Result<PoseidonParameters<Fr>, PoseidonError> {
    #[allow(clippy::cast_possible_truncation)]
    get_poseidon_parameters::<Fr>((ARITY + 1) as u8)
}

/// [`parameters`], built once (the gadget needs them for every permutation).
pub(crate) fn shared_parameters() -> Option<&'static PoseidonParameters<Fr>> {
    static P: std::sync::OnceLock<Option<PoseidonParameters<Fr>>> = std::sync::OnceLock::new();
    P.get_or_init(|| parameters().ok()).as_ref()
}

/// The chunks hashed in order: the count first, then zero-padded chunks of [`RATE`].
pub(crate) fn chunks(elements: &[Fr]) -> Vec<Vec<Fr>> {
    let mut out: Vec<Vec<Fr>> = elements.chunks(RATE).map(<[Fr]>::to_vec).collect();
    if out.is_empty() {
        out.push(Vec::new());
    }
    for c in &mut out {
        c.resize(RATE, Fr::from(0u8));
    }
    out
}

/// The hash of packed elements.
///
/// # Errors
/// Never for the built-in parameters; the error type is light-poseidon's.
pub fn hash(elements: &[Fr]) -> Result<Fr, PoseidonError> {
    let mut h = Poseidon::<Fr>::new_circom(ARITY)?;
    let mut acc = Fr::from(elements.len() as u64);
    for chunk in chunks(elements) {
        let mut inputs = Vec::with_capacity(ARITY);
        inputs.push(acc);
        inputs.extend(chunk);
        acc = h.hash(&inputs)?;
    }
    Ok(acc)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_separates_padding() {
        let a = hash(&[Fr::from(1u8)]).unwrap();
        let b = hash(&[Fr::from(1u8), Fr::from(0u8)]).unwrap();
        assert_ne!(a, b);
        assert_ne!(hash(&[]).unwrap(), hash(&[Fr::from(0u8)]).unwrap());
        let long: Vec<Fr> = (0..30u64).map(Fr::from).collect();
        assert_eq!(chunks(&long).len(), 3);
        assert_eq!(hash(&long).unwrap(), hash(&long).unwrap());
    }
}

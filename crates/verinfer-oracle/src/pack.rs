//! The public-input packing of `contracts/src/PublicInputs.sol`, in Rust.
//!
//! The words are the prover's own packing (`verinfer_zk::packing`, the single definition),
//! converted to EVM words, so `tests/pack_differential.rs` differential-tests the contract
//! against the prover itself on random values and widths: the oracle checks a proof against
//! the vector the contract builds, so any difference would make every honest proof fail.
//!
//! Spec (docs/oracle.md §4): a class of values (all input tensors concatenated in order,
//! row-major; likewise outputs) at width `W` in `1..=32`: `v` with `−2^(W−1) ≤ v < 2^(W−1)`
//! becomes `u = v + 2^(W−1)` in `[0, 2^W)`; `k = ⌊253 / W⌋` values per field element, element
//! `e = Σ_{i<k} u_{e·k+i} · 2^(W·i)` (little-endian inside the element), the last holding the
//! remainder. [`public_inputs`] puts them after the context word, or hashes them all.

use alloy_primitives::U256;

/// Why a class cannot be packed (the contract reverts `BadBitWidth` / `ValueOutOfRange`): the
/// prover's own error, so both sides name a refusal alike.
pub use verinfer_zk::packing::PackError;
pub use verinfer_zk::packing::{MAX_WIDTH, PACK_BITS};

/// Values per field element at `width` (`⌊253 / W⌋`).
///
/// # Errors
/// [`PackError::Width`] outside `1..=32`.
pub fn per_element(width: u32) -> Result<usize, PackError> {
    if !(1..=MAX_WIDTH).contains(&width) {
        return Err(PackError::Width(width));
    }
    Ok(verinfer_zk::packing::per_element(width))
}

/// Field elements needed for `n` values at `width`.
///
/// # Errors
/// [`PackError::Width`] outside `1..=32`.
pub fn packed_len(n: usize, width: u32) -> Result<usize, PackError> {
    per_element(width)?;
    Ok(verinfer_zk::packing::element_count(n, width))
}

/// Packs `values` (one class, already concatenated) at `width`: the prover's own packing
/// (`verinfer_zk::packing::pack`, the one definition) as EVM words.
///
/// # Errors
/// [`PackError`] for a width outside `1..=32` or a value outside the signed range.
pub fn pack_public(values: &[i32], width: u32) -> Result<Vec<U256>, PackError> {
    let packed = verinfer_zk::packing::pack(values, width)?;
    Ok(verinfer_zk::evm::public_words(&packed))
}

/// Packs a list of tensors as one class (concatenated in order).
///
/// # Errors
/// As [`pack_public`].
pub fn pack_tensors(tensors: &[Vec<i32>], width: u32) -> Result<Vec<U256>, PackError> {
    let flat: Vec<i32> = tensors.iter().flatten().copied().collect();
    pack_public(&flat, width)
}

/// The public inputs `InferenceOracle` verifies a proof against (`ZkStatement`): the context
/// word and the packed classes, or (`digest`) their one SHA-256 digest — from
/// `verinfer_zk::binding`, the one definition, as EVM words.
///
/// # Errors
/// As [`pack_public`].
pub fn public_inputs(
    ctx: &verinfer_zk::Context,
    inputs: &[Vec<i32>],
    input_bits: u32,
    param_hash: Option<U256>,
    outputs: &[Vec<i32>],
    output_bits: u32,
    digest: bool,
) -> Result<Vec<U256>, PackError> {
    use ark_ff::PrimeField;
    let fr = |w: &U256| ark_bn254::Fr::from_be_bytes_mod_order(&w.to_be_bytes::<32>());
    let elements = |t: &[Vec<i32>], w: u32| -> Result<Vec<ark_bn254::Fr>, PackError> {
        Ok(pack_tensors(t, w)?.iter().map(fr).collect())
    };
    let statement = if digest {
        verinfer_zk::Statement::Digest
    } else {
        verinfer_zk::Statement::Packed
    };
    let public = verinfer_zk::binding::public_inputs(
        statement,
        ctx,
        &elements(inputs, input_bits)?,
        param_hash.map(|h| fr(&h)).as_ref(),
        &elements(outputs, output_bits)?,
    );
    Ok(verinfer_zk::evm::public_words(&public))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout() {
        // (-128 + 128) + (5 + 128)·2^8
        assert_eq!(
            pack_public(&[-128, 5], 8).unwrap(),
            vec![U256::from(133u64 * 256)]
        );
        assert_eq!(per_element(8).unwrap(), 31);
        assert_eq!(packed_len(64, 8).unwrap(), 3);
        assert_eq!(pack_public(&[], 16).unwrap(), Vec::<U256>::new());
        let full = pack_public(&[i32::MAX; 7], 32).unwrap();
        assert_eq!(full.len(), 1);
        assert!(full[0].bit_len() <= 224);
        assert_eq!(
            pack_public(&[128], 8),
            Err(PackError::OutOfRange {
                index: 0,
                value: 128,
                width: 8
            })
        );
        assert_eq!(pack_public(&[0], 0), Err(PackError::Width(0)));
        assert_eq!(pack_public(&[0], 33), Err(PackError::Width(33)));
        // Width 1: only -1 and 0.
        assert_eq!(pack_public(&[-1, 0], 1).unwrap(), vec![U256::from(2u8)]);
        let ctx = verinfer_zk::Context::default();
        // One input, a params root, one output; packed as words, or as one digest.
        let inputs = |digest| {
            public_inputs(
                &ctx,
                &[vec![1]],
                8,
                Some(U256::from(7u8)),
                &[vec![-1]],
                4,
                digest,
            )
            .unwrap()
        };
        let v = inputs(false);
        assert_eq!(v.len(), 4);
        assert_eq!(
            v[1..],
            [U256::from(129u8), U256::from(7u8), U256::from(7u8)]
        );
        assert!(v[0].bit_len() <= 253);
        assert_eq!(inputs(true).len(), 1);
    }
}

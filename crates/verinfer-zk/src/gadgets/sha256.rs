//! The digest statement of [`crate::binding`] in R1CS, over ark-crypto-primitives' SHA-256
//! gadget (a maintained implementation; the words it hashes are ours). About 40k constraints
//! per 64-byte block: the price of a verification cost that does not grow with the model.
//!
//! Each statement element becomes a 32-byte big-endian word from its bit decomposition: a
//! packed element (below 2^253 by construction) takes 253 bits and one linking constraint —
//! any 253-bit decomposition is the canonical one, as 2^253 < r; a Poseidon hash can be any
//! field element, so it takes ark-r1cs-std's strict decomposition (which also proves the bits
//! encode an integer below r). The context word is free witness bytes: the prover chooses the
//! context, the digest fixes it. The one public input is the digest's top 253 bits.

use ark_bn254::Fr;
use ark_crypto_primitives::crh::sha256::constraints::{DigestVar, Sha256Gadget};
use ark_ff::{AdditiveGroup, BigInteger, Field, PrimeField};
use ark_r1cs_std::alloc::AllocVar;
use ark_r1cs_std::boolean::Boolean;
use ark_r1cs_std::convert::ToBitsGadget;
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::uint8::UInt8;
use ark_relations::gr1cs::LinearCombination;

use super::{Builder, GResult};
use crate::binding::{self, Context};
use crate::wire::Lc;

/// One statement element: a linear combination of the circuit and its witness value.
#[derive(Clone)]
pub(crate) struct Element {
    pub(crate) lc: Lc,
    pub(crate) val: Fr,
    /// A packed class element (below 2^253); otherwise any field element (a Poseidon hash).
    pub(crate) packed: bool,
}

/// Bits of a packed element.
const PACKED_BITS: usize = 253;

/// `bits` (little-endian, at most 256) as a 32-byte big-endian word of bytes.
fn be_word(mut bits: Vec<Boolean<Fr>>) -> Vec<UInt8<Fr>> {
    bits.resize(256, Boolean::FALSE);
    (0..32)
        .map(|i| {
            let lo = 8 * (31 - i);
            UInt8::from_bits_le(&bits[lo..lo + 8])
        })
        .collect()
}

/// The element's 32-byte word, bound to its linear combination.
fn element_word(b: &Builder, e: &Element) -> GResult<Vec<UInt8<Fr>>> {
    let v = e.val.into_bigint();
    if e.packed {
        let bits = (0..PACKED_BITS)
            .map(|i| Boolean::new_witness(b.cs.clone(), || Ok(v.get_bit(i))))
            .collect::<Result<Vec<_>, _>>()?;
        let mut sum = LinearCombination(Vec::with_capacity(PACKED_BITS));
        let mut pow = Fr::ONE;
        for bit in &bits {
            sum = sum + (pow, &bit.lc());
            pow.double_in_place();
        }
        b.enforce_eq(sum, e.lc.clone())?;
        return Ok(be_word(bits));
    }
    let x = FpVar::new_witness(b.cs.clone(), || Ok(e.val))?;
    if let FpVar::Var(a) = &x {
        b.enforce_eq(super::var(a.variable), e.lc.clone())?;
    }
    Ok(be_word(x.to_bits_le()?))
}

/// The in-circuit [`binding::class_digest`] of `elements`.
fn class_digest(b: &Builder, elements: &[Element]) -> GResult<Vec<UInt8<Fr>>> {
    if elements.is_empty() {
        return Ok(UInt8::constant_vec(&binding::class_digest(&[])));
    }
    let mut msg = Vec::with_capacity(32 * elements.len());
    for e in elements {
        msg.extend(element_word(b, e)?);
    }
    Ok(Sha256Gadget::digest(&msg)?.0)
}

/// Enforce the digest statement of `ctx` and the class elements; returns the digest as a
/// linear combination and its value, for the caller to bind to the one public input.
pub(crate) fn statement(
    b: &Builder,
    ctx: &Context,
    inputs: &[Element],
    params: Option<&Element>,
    outputs: &[Element],
) -> GResult<(Lc, Fr)> {
    let mut msg = UInt8::new_witness_vec(b.cs.clone(), &binding::context_word(ctx))?;
    msg.extend(class_digest(b, inputs)?);
    match params {
        Some(p) => msg.extend(element_word(b, p)?),
        None => msg.extend(UInt8::constant_vec(&[0u8; 32])),
    }
    msg.extend(class_digest(b, outputs)?);
    let DigestVar(d) = Sha256Gadget::digest(&msg)?;
    // uint256(d) >> 3: byte i, bit j (little-endian) is bit 8·(31 − i) + j of the integer.
    let mut lc = LinearCombination(Vec::with_capacity(253));
    for (i, byte) in d.iter().enumerate() {
        for (j, bit) in byte.to_bits_le()?.iter().enumerate() {
            let p = 8 * (31 - i) + j;
            if p >= 3 {
                lc = lc + (Fr::from(2u8).pow([(p - 3) as u64]), &bit.lc());
            }
        }
    }
    let val = binding::statement_digest(
        ctx,
        &native_class(inputs),
        params.map(|p| &p.val),
        &native_class(outputs),
    );
    Ok((lc, val))
}

fn native_class(elements: &[Element]) -> [u8; 32] {
    let vals: Vec<Fr> = elements.iter().map(|e| e.val).collect();
    binding::class_digest(&vals)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{Address, B256, U256};
    use ark_relations::gr1cs::ConstraintSystem;

    fn packed(b: &Builder, v: u64) -> Element {
        let x = b.witness(Fr::from(v)).unwrap();
        Element {
            lc: super::super::var(x),
            val: Fr::from(v),
            packed: true,
        }
    }

    #[test]
    fn circuit_digest_equals_native_and_binds_every_part() {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let b = Builder { cs: cs.clone() };
        let ctx = Context {
            model_id: B256::repeat_byte(3),
            chain_id: U256::from(31337),
            contract: Address::repeat_byte(9),
            tag: U256::from(5),
            answerer: Address::repeat_byte(4),
        };
        let ins: Vec<Element> = (0..3).map(|i| packed(&b, 1000 + i)).collect();
        let hv = Fr::from(-7i64); // a hash near r: needs the strict decomposition
        let h = b.witness(hv).unwrap();
        let param = Element {
            lc: super::super::var(h),
            val: hv,
            packed: false,
        };
        let outs = vec![packed(&b, 42)];
        let before = cs.num_constraints();
        let (lc, val) = statement(&b, &ctx, &ins, Some(&param), &outs).unwrap();
        let x = b.instance(val).unwrap();
        b.enforce_eq(super::super::var(x), lc).unwrap();
        assert!(cs.is_satisfied().unwrap());
        println!(
            "statement over 3+1+1 elements: {} constraints",
            cs.num_constraints() - before
        );
        let want = binding::statement_digest(
            &ctx,
            &binding::class_digest(&[Fr::from(1000u64), Fr::from(1001u64), Fr::from(1002u64)]),
            Some(&hv),
            &binding::class_digest(&[Fr::from(42u64)]),
        );
        assert_eq!(val, want);

        // A wrong public value is unsatisfiable.
        let cs2 = ConstraintSystem::<Fr>::new_ref();
        let b2 = Builder { cs: cs2.clone() };
        let ins2: Vec<Element> = (0..3).map(|i| packed(&b2, 1000 + i)).collect();
        let (lc2, val2) = statement(&b2, &ctx, &ins2, None, &[]).unwrap();
        let x2 = b2.instance(val2 + Fr::ONE).unwrap();
        b2.enforce_eq(super::super::var(x2), lc2).unwrap();
        assert!(!cs2.is_satisfied().unwrap());
    }
}

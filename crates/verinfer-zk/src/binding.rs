//! What binds a proof to its use: the context word (model, chain, contract, tag, answerer) and,
//! for the one-input statement, the SHA-256 digest of the context and the tensor classes.
//!
//! A proof that states only data can be replayed for another request, or copied by whoever
//! sees it in the mempool. Every statement therefore carries the context word
//!
//! ```text
//! contextWord = sha256(DOMAIN ‖ modelId ‖ chainId ‖ contract ‖ tag ‖ answerer)
//! ```
//!
//! every item a 32-byte big-endian word (addresses left-padded with zeros). Under the packed
//! statement it is the first public input (`uint256(contextWord) >> 3`), followed by the class
//! elements; the circuit does not touch it (arkworks' reduction adds one constraint per public
//! input, so the proof binds it all the same). Under the digest statement the one public input
//! is
//!
//! ```text
//! digest = uint256(sha256(contextWord ‖ inputDigest ‖ paramsWord ‖ outputDigest)) >> 3
//! classDigest = sha256(element₀ ‖ element₁ ‖ …)
//! ```
//!
//! A class's elements are its packed values when public, its Poseidon hash when hashed, none
//! when private ([`crate::statement`]); `paramsWord` is the weights' Poseidon hash when hashed,
//! else zero. The shift keeps a word below 2^253 < r, a canonical field element. SHA-256 is the
//! EVM's precompile (a few hundred gas here), and hashing the classes apart lets a contract
//! hash a request's input once, when it is made, and store 32 bytes instead of the input.
//! `ZkStatement.sol` computes the same words.

use alloy_primitives::B256;
use ark_bn254::Fr;
use ark_ff::{BigInteger, PrimeField};

pub use verinfer_prove::context::{address_word, context_word, Context, STATEMENT_DOMAIN};

/// A field element as a 32-byte big-endian word.
#[must_use]
pub fn fr_word(x: &Fr) -> [u8; 32] {
    let bytes = x.into_bigint().to_bytes_be();
    let mut w = [0u8; 32];
    w[32 - bytes.len()..].copy_from_slice(&bytes);
    w
}

/// `sha256(element₀ ‖ element₁ ‖ …)`, each element a 32-byte big-endian word.
#[must_use]
pub fn class_digest(elements: &[Fr]) -> [u8; 32] {
    let words: Vec<B256> = elements.iter().map(|e| B256::from(fr_word(e))).collect();
    verinfer_prove::context::class_digest(&words)
}

/// The packed statement's first public input: `uint256(contextWord) >> 3`.
#[must_use]
pub fn context_input(ctx: &Context) -> Fr {
    digest_to_fr(&context_word(ctx))
}

/// The digest statement's one public input (see the module docs) from the context, the two
/// class digests and the hashed weights (`None`: public or private weights, a zero word).
#[must_use]
pub fn statement_digest(
    ctx: &Context,
    input_digest: &[u8; 32],
    params: Option<&Fr>,
    output_digest: &[u8; 32],
) -> Fr {
    let params = params.map(|p| B256::from(fr_word(p)));
    let w = verinfer_prove::context::statement_digest(
        ctx,
        input_digest,
        params.as_ref(),
        output_digest,
    );
    Fr::from_be_bytes_mod_order(w.as_slice())
}

/// A backend-neutral word as a field element (`None` at or above the modulus).
#[must_use]
pub fn word_to_fr(w: &B256) -> Option<Fr> {
    let x = Fr::from_be_bytes_mod_order(w.as_slice());
    (fr_word(&x) == w.0).then_some(x)
}

/// The public inputs of a statement of kind `statement` over `ctx` and the class elements:
/// `[contextWord >> 3, inputs…, params?, outputs…]` (packed) or the one digest.
#[must_use]
pub fn public_inputs(
    statement: crate::visibility::Statement,
    ctx: &Context,
    inputs: &[Fr],
    params: Option<&Fr>,
    outputs: &[Fr],
) -> Vec<Fr> {
    match statement {
        crate::visibility::Statement::Digest => vec![statement_digest(
            ctx,
            &class_digest(inputs),
            params,
            &class_digest(outputs),
        )],
        crate::visibility::Statement::Packed => {
            let mut out = Vec::with_capacity(1 + inputs.len() + 1 + outputs.len());
            out.push(context_input(ctx));
            out.extend_from_slice(inputs);
            out.extend(params.copied());
            out.extend_from_slice(outputs);
            out
        }
    }
}

/// A SHA-256 output as the field element `uint256(d) >> 3`.
#[must_use]
pub fn digest_to_fr(d: &[u8; 32]) -> Fr {
    Fr::from_be_bytes_mod_order(verinfer_prove::context::shifted(d).as_slice())
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::{Address, U256};

    #[test]
    fn empty_class_digest_is_sha256_of_nothing() {
        // sha256("") = e3b0c442…b855
        assert_eq!(
            alloy_primitives::hex::encode(class_digest(&[])),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    /// The field forms are the neutral words (verinfer-prove tests that those move with every
    /// context word); the context input moves with the context.
    #[test]
    fn field_forms_are_the_neutral_words() {
        let d = [1u8; 32];
        for ctx in [
            Context::of_model(B256::repeat_byte(7)),
            Context {
                answerer: Address::repeat_byte(1),
                tag: U256::from(3),
                ..Context::of_model(B256::repeat_byte(8))
            },
        ] {
            for params in [None, Some(Fr::from(5u8))] {
                let neutral = verinfer_prove::context::statement_digest(
                    &ctx,
                    &d,
                    params.map(|p| B256::from(fr_word(&p))).as_ref(),
                    &d,
                );
                let x = statement_digest(&ctx, &d, params.as_ref(), &d);
                assert_eq!(fr_word(&x), neutral.0);
                assert!(x.into_bigint().num_bits() <= 253);
            }
            assert_eq!(
                fr_word(&context_input(&ctx)),
                verinfer_prove::context::shifted(&context_word(&ctx)).0
            );
        }
        assert_ne!(
            context_input(&Context::of_model(B256::repeat_byte(7))),
            context_input(&Context::of_model(B256::repeat_byte(8)))
        );
    }

    #[test]
    fn word_encodings() {
        assert_eq!(fr_word(&Fr::from(258u32))[30..], [1, 2]);
        let a = Address::repeat_byte(0xab);
        let w = address_word(a);
        assert_eq!(w[..12], [0u8; 12]);
        assert_eq!(&w[12..], a.as_slice());
        let mut top = [0xffu8; 32];
        top[31] = 0xf8;
        let x = digest_to_fr(&top);
        assert_eq!(fr_word(&x)[0], 0x1f);
    }
}

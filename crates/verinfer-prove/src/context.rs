//! What binds a proof to its use — the context word (model, chain, contract, tag, answerer) —
//! and the one 32-byte statement digest every backend's proof of a digest statement attests.
//!
//! ```text
//! contextWord = sha256(DOMAIN ‖ modelId ‖ chainId ‖ contract ‖ tag ‖ answerer)
//! digest      = uint256(sha256(contextWord ‖ inputDigest ‖ paramsWord ‖ outputDigest)) >> 3
//! classDigest = sha256(element₀ ‖ element₁ ‖ …)
//! ```
//!
//! every item a 32-byte big-endian word (addresses left-padded with zeros). A class's elements
//! are its packed values when public, its hash when hashed, none when private
//! ([`crate::statement`]); `paramsWord` is the weights' hash when hashed, else zero. The shift
//! keeps a word below 2^253, so it is one canonical element of any ≥254-bit prime field (BN254's
//! scalar field included): the digest is what `IProofVerifier.verify(proof, statement)` takes on
//! chain, whatever the backend. `ZkStatement.sol` computes the same words.

use alloy_primitives::{Address, B256, U256};
use sha2::{Digest, Sha256};

/// The statement's domain separator: the ASCII of `verinfer.zk.statement.v1`, right-padded with
/// zeros to 32 bytes (Solidity's `bytes32("verinfer.zk.statement.v1")`).
pub const STATEMENT_DOMAIN: [u8; 32] = *b"verinfer.zk.statement.v1\0\0\0\0\0\0\0\0";

/// Who and where a statement speaks for. A contract accepts a proof only under its own
/// context (its chain, its address, the request it answers, the caller), so a proof cannot be
/// replayed for another request or taken over by someone else. The zero context is a proof
/// "for anyone, anywhere" (what `verinfer prove` makes unless told otherwise).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Context {
    /// The model id (its registry commitment).
    pub model_id: B256,
    /// EIP-155 chain id (0: none).
    pub chain_id: U256,
    /// The contract that accepts the proof (zero: none).
    pub contract: Address,
    /// What the proof answers there: a request id, a token id (0: none).
    pub tag: U256,
    /// Who may use the proof (zero: anyone).
    pub answerer: Address,
}

impl Context {
    /// The zero context of `model_id`.
    #[must_use]
    pub fn of_model(model_id: B256) -> Self {
        Self {
            model_id,
            ..Self::default()
        }
    }

    /// The five context words, in statement order.
    #[must_use]
    pub fn words(&self) -> [[u8; 32]; 5] {
        [
            self.model_id.0,
            self.chain_id.to_be_bytes::<32>(),
            address_word(self.contract),
            self.tag.to_be_bytes::<32>(),
            address_word(self.answerer),
        ]
    }
}

/// An address as a 32-byte word (12 zero bytes, then the address).
#[must_use]
pub fn address_word(a: Address) -> [u8; 32] {
    let mut w = [0u8; 32];
    w[12..].copy_from_slice(a.as_slice());
    w
}

/// `sha256(DOMAIN ‖ modelId ‖ chainId ‖ contract ‖ tag ‖ answerer)`.
#[must_use]
pub fn context_word(ctx: &Context) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(STATEMENT_DOMAIN);
    for w in ctx.words() {
        h.update(w);
    }
    h.finalize().into()
}

/// `sha256(element₀ ‖ element₁ ‖ …)`, each element a 32-byte big-endian word.
#[must_use]
pub fn class_digest(elements: &[B256]) -> [u8; 32] {
    let mut h = Sha256::new();
    for e in elements {
        h.update(e.0);
    }
    h.finalize().into()
}

/// A SHA-256 output as the word `uint256(d) >> 3` (below 2^253: a canonical field element).
#[must_use]
pub fn shifted(d: &[u8; 32]) -> B256 {
    B256::from(U256::from_be_bytes(*d) >> 3usize)
}

/// The digest statement's one public word (see the module docs) from the context, the two
/// class digests and the hashed weights (`None`: public or private weights, a zero word).
#[must_use]
pub fn statement_digest(
    ctx: &Context,
    input_digest: &[u8; 32],
    params: Option<&B256>,
    output_digest: &[u8; 32],
) -> B256 {
    let mut h = Sha256::new();
    h.update(context_word(ctx));
    h.update(input_digest);
    h.update(params.map_or([0u8; 32], |p| p.0));
    h.update(output_digest);
    let d: [u8; 32] = h.finalize().into();
    shifted(&d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_is_below_2_pow_253_and_moves_with_every_context_word() {
        let base = Context::of_model(B256::repeat_byte(7));
        let d = [1u8; 32];
        let x = statement_digest(&base, &d, None, &d);
        assert!(U256::from_be_bytes(x.0).bit_len() <= 253);
        for v in [
            Context {
                chain_id: U256::from(1),
                ..base
            },
            Context {
                contract: Address::repeat_byte(1),
                ..base
            },
            Context {
                tag: U256::from(1),
                ..base
            },
            Context {
                answerer: Address::repeat_byte(1),
                ..base
            },
            Context::of_model(B256::repeat_byte(8)),
        ] {
            assert_ne!(statement_digest(&v, &d, None, &d), x, "{v:?}");
        }
        assert_ne!(
            statement_digest(&base, &d, Some(&B256::with_last_byte(1)), &d),
            x
        );
        assert_eq!(statement_digest(&base, &d, Some(&B256::ZERO), &d), x);
        let mut top = [0xffu8; 32];
        top[31] = 0xf8;
        assert_eq!(shifted(&top)[0], 0x1f);
    }
}

//! The Fiat–Shamir transcript: a Keccak-256 hash chain that a Solidity verifier replays with
//! the `keccak256` opcode and one `mod r`, no other hashing.
//!
//! # Byte layout (the specification the Solidity twin implements)
//!
//! Every item is a **32-byte big-endian word**:
//!
//! * a scalar `x ∈ Fr` is its canonical integer `0 ≤ x < r`;
//! * a `G1` point is two words `x ‖ y` (base-field coordinates, canonical, affine), the point
//!   at infinity `0 ‖ 0` — the encoding of the EVM's `ecAdd`/`ecMul`/`ecPairing` precompiles,
//!   so calldata is absorbed as it arrives;
//! * an integer (a size, a count) is the word `uint256(n)`.
//!
//! The transcript holds a 32-byte `state` and a buffer of absorbed words:
//!
//! ```text
//! new(label):   state = keccak256(label)                  (label: raw bytes, e.g. "verinfer.matmul.v1")
//! absorb(w):    buffer = buffer ‖ w
//! challenge():  state  = keccak256(state ‖ buffer); buffer = ""
//!               c      = uint256(state) mod r
//! ```
//!
//! Consecutive challenges with nothing absorbed between them hash `state` alone, so each is
//! fresh. Absorbing many words and hashing once (instead of hashing per word) is what keeps the
//! on-chain replay cheap: one `keccak256` over a memory slice per challenge.
//!
//! No lengths or separators are absorbed: every protocol here sends messages of a length fixed
//! by the statement (the number of variables, the degree), and each protocol absorbs its sizes
//! first, so two different message sequences never produce the same byte string.
//!
//! **Bias.** `uint256 mod r` is not uniform: `2^256 = 5r + s` with `s < r`, so a residue has
//! probability at most `6/2^256 < 1.14/r`. Every soundness bound in `docs/sumcheck.md` that
//! counts "bad challenges out of `r`" is multiplied by at most 1.14 — negligible, and cheaper
//! on chain than rejection sampling or a wide reduction.

use ark_bn254::{Fq, Fr, G1Affine};
use ark_ec::AffineRepr;
use ark_ff::{BigInteger, PrimeField};
use tiny_keccak::{Hasher, Keccak};

/// Keccak-256 of `data` (the EVM's `keccak256`).
#[must_use]
pub fn keccak256(data: &[u8]) -> [u8; 32] {
    let mut k = Keccak::v256();
    k.update(data);
    let mut out = [0u8; 32];
    k.finalize(&mut out);
    out
}

/// The 32-byte big-endian word of a scalar (its canonical integer).
#[must_use]
pub fn fr_word(x: &Fr) -> [u8; 32] {
    word_of(x.into_bigint().to_bytes_be())
}

fn fq_word(x: &Fq) -> [u8; 32] {
    word_of(x.into_bigint().to_bytes_be())
}

/// Right-align big-endian bytes in a word (BN254's fields are 4 limbs, so exactly 32 bytes).
fn word_of(be: Vec<u8>) -> [u8; 32] {
    let mut w = [0u8; 32];
    let n = be.len().min(32);
    w[32 - n..].copy_from_slice(&be[be.len() - n..]);
    w
}

/// The two words of a `G1` point as the EVM precompiles take it (infinity is `0 ‖ 0`).
#[must_use]
pub fn g1_words(p: &G1Affine) -> [[u8; 32]; 2] {
    match p.xy() {
        Some((x, y)) => [fq_word(&x), fq_word(&y)],
        None => [[0u8; 32]; 2],
    }
}

/// `keccak256` of `values` packed as 4-byte big-endian two's-complement integers — how a
/// public `i32` tensor enters a transcript: one word, which an EVM verifier computes with one
/// hash over the calldata it receives (Solidity's `keccak256(abi.encodePacked(int32[]...))`
/// over the raw bytes), instead of absorbing one word per element.
#[must_use]
pub fn packed_i32_digest(values: &[i32]) -> [u8; 32] {
    let mut k = Keccak::v256();
    for v in values {
        k.update(&v.to_be_bytes());
    }
    let mut out = [0u8; 32];
    k.finalize(&mut out);
    out
}

/// A Keccak-256 Fiat–Shamir transcript (layout in the module docs).
///
/// The prover and the verifier must absorb exactly the same words in the same order; any
/// difference changes every later challenge, which is what makes a tampered message fail.
#[derive(Clone, Debug)]
pub struct Transcript {
    state: [u8; 32],
    buffer: Vec<u8>,
}

impl Transcript {
    /// A transcript whose first state is `keccak256(label)`: the label separates protocols
    /// (a matmul proof's challenges never equal a lookup proof's).
    #[must_use]
    pub fn new(label: &[u8]) -> Self {
        Self {
            state: keccak256(label),
            buffer: Vec::new(),
        }
    }

    /// The current state (after the last challenge), for tests and for a verifier that wants
    /// to compare transcripts.
    #[must_use]
    pub fn state(&self) -> [u8; 32] {
        self.state
    }

    /// Absorb one raw 32-byte word.
    pub fn absorb_word(&mut self, w: &[u8; 32]) {
        self.buffer.extend_from_slice(w);
    }

    /// Absorb an integer as the word `uint256(n)`.
    pub fn absorb_u64(&mut self, n: u64) {
        let mut w = [0u8; 32];
        w[24..].copy_from_slice(&n.to_be_bytes());
        self.absorb_word(&w);
    }

    /// Absorb a scalar.
    pub fn absorb_fr(&mut self, x: &Fr) {
        self.absorb_word(&fr_word(x));
    }

    /// Absorb scalars in order.
    pub fn absorb_frs(&mut self, xs: &[Fr]) {
        for x in xs {
            self.absorb_fr(x);
        }
    }

    /// Absorb a `G1` point (two words).
    pub fn absorb_g1(&mut self, p: &G1Affine) {
        for w in g1_words(p) {
            self.absorb_word(&w);
        }
    }

    /// Squeeze a challenge: hash the state and everything absorbed since the last challenge.
    pub fn challenge(&mut self) -> Fr {
        let mut k = Keccak::v256();
        k.update(&self.state);
        k.update(&self.buffer);
        k.finalize(&mut self.state);
        self.buffer.clear();
        Fr::from_be_bytes_mod_order(&self.state)
    }

    /// `n` challenges in a row.
    pub fn challenges(&mut self, n: usize) -> Vec<Fr> {
        (0..n).map(|_| self.challenge()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ec::CurveGroup;
    use ark_ff::Zero;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    #[test]
    fn keccak_is_the_evm_keccak() {
        // keccak256("") and keccak256("abc") as the EVM computes them (not SHA3-256).
        assert_eq!(
            hex(&keccak256(b"")),
            "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
        );
        assert_eq!(
            hex(&keccak256(b"abc")),
            "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"
        );
    }

    #[test]
    fn challenge_is_the_documented_hash_chain() {
        let mut t = Transcript::new(b"verinfer.test");
        let x = Fr::from(7u64);
        let g = G1Affine::generator();
        t.absorb_fr(&x);
        t.absorb_g1(&g);
        t.absorb_u64(3);
        let c1 = t.challenge();
        let c2 = t.challenge();

        let s0 = keccak256(b"verinfer.test");
        let mut bytes = s0.to_vec();
        let mut w = [0u8; 32];
        w[31] = 7;
        bytes.extend_from_slice(&w);
        // G1 generator of BN254 is (1, 2).
        w[31] = 1;
        bytes.extend_from_slice(&w);
        w[31] = 2;
        bytes.extend_from_slice(&w);
        w[31] = 3;
        bytes.extend_from_slice(&w);
        let s1 = keccak256(&bytes);
        assert_eq!(c1, Fr::from_be_bytes_mod_order(&s1));
        let s2 = keccak256(&s1);
        assert_eq!(c2, Fr::from_be_bytes_mod_order(&s2));
        assert_eq!(t.state(), s2);
    }

    #[test]
    fn infinity_is_two_zero_words() {
        assert_eq!(g1_words(&G1Affine::zero()), [[0u8; 32]; 2]);
        let p = (G1Affine::generator() * Fr::from(5u64)).into_affine();
        assert_ne!(g1_words(&p), [[0u8; 32]; 2]);
    }

    #[test]
    fn scalar_word_is_big_endian_canonical() {
        let minus_one = -Fr::from(1u64);
        let w = fr_word(&minus_one);
        // r − 1 = 0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000000
        assert_eq!(
            hex(&w),
            "30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000000"
        );
        assert!(fr_word(&Fr::zero()).iter().all(|&b| b == 0));
    }

    #[test]
    fn every_absorbed_word_changes_the_challenge() {
        let base = |a: u64, b: u64| {
            let mut t = Transcript::new(b"l");
            t.absorb_fr(&Fr::from(a));
            t.absorb_fr(&Fr::from(b));
            t.challenge()
        };
        let c = base(1, 2);
        assert_ne!(c, base(1, 3));
        assert_ne!(c, base(0, 2));
        assert_ne!(c, base(2, 1));
        let mut t = Transcript::new(b"other label");
        t.absorb_frs(&[Fr::from(1u64), Fr::from(2u64)]);
        assert_ne!(c, t.challenge());
    }
}

//! The verifier's arithmetic as an interface, so that one verifier is written once and read
//! two ways: natively over `Fr` (what `verify` runs today), and — for the outer proof that
//! wraps a layered proof for the EVM (docs/sumcheck.md, "Reaching ≤ 2M gas") — over cells
//! that write each operation down as it runs, so the run becomes a circuit. This is the
//! "write the constraints once, interpret them many times" idiom the op semantics already
//! follow in `verinfer-ir`.
//!
//! Rules a verifier written over [`Fe`] keeps:
//!
//! - every value the proof supplies enters once, through [`Fe::witness`] (a proof word read
//!   twice as two witnesses would be two unrelated cells in the outer circuit);
//! - every value fixed by the statement's shape (sizes, shifts, a term's coefficient) enters
//!   through [`Fe::constant`], so the recorded program is the same for every proof of one
//!   model;
//! - an equality the verifier checks goes through [`Fe::same`], never `==` (which [`Fe`] does
//!   not offer): natively a comparison, recorded a constraint as well;
//! - challenges come from an [`Fs`] transcript, which absorbs and squeezes values of the same
//!   type.

use std::fmt::Debug;
use std::iter::{Product, Sum};
use std::ops::{Add, AddAssign, Mul, MulAssign, Neg, Sub, SubAssign};

use ark_bn254::Fr;
use ark_ff::{Field, One, Zero};

/// A field element of BN254's scalar field as a verifier computes with it.
pub trait Fe:
    Copy
    + Debug
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
    + Sum
    + Product
    + 'static
{
    /// A value fixed by the statement's shape (the same in every run of one verifier).
    fn constant(c: Fr) -> Self;

    /// A value the proof supplies.
    fn witness(v: Fr) -> Self;

    /// The value itself.
    fn value(self) -> Fr;

    /// `1/self`, or `None` for zero.
    fn inverse(self) -> Option<Self>;

    /// Whether `self = other`. A recording interpretation also writes the equality down as a
    /// constraint, so a verifier must return an error when this is false.
    #[must_use]
    fn same(self, other: Self) -> bool;

    /// The constant 0.
    #[must_use]
    fn zero() -> Self {
        Self::constant(<Fr as Zero>::zero())
    }

    /// The constant 1.
    #[must_use]
    fn one() -> Self {
        Self::constant(<Fr as One>::one())
    }

    /// The constant `n`.
    #[must_use]
    fn from_u64(n: u64) -> Self {
        Self::constant(Fr::from(n))
    }

    /// The constant `v mod r` of a signed integer.
    #[must_use]
    fn from_i64(v: i64) -> Self {
        Self::constant(crate::field::fr_from_i64(v))
    }

    /// The constant `2^k`.
    #[must_use]
    fn pow2(k: u32) -> Self {
        Self::constant(Fr::from(2u64).pow([u64::from(k)]))
    }
}

impl Fe for Fr {
    fn constant(c: Fr) -> Self {
        c
    }

    fn witness(v: Fr) -> Self {
        v
    }

    fn value(self) -> Fr {
        self
    }

    fn inverse(self) -> Option<Self> {
        Field::inverse(&self)
    }

    fn same(self, other: Self) -> bool {
        self == other
    }
}

/// A Fiat–Shamir transcript over values of `F`: what a verifier written over [`Fe`] draws its
/// challenges from. [`crate::Transcript`] (Keccak, replayed on chain) is the native one.
pub trait Fs<F: Fe> {
    /// Absorb a value.
    fn absorb(&mut self, x: F);

    /// Absorb values in order.
    fn absorb_all(&mut self, xs: &[F]) {
        for &x in xs {
            self.absorb(x);
        }
    }

    /// Absorb a size or count of the statement.
    fn absorb_size(&mut self, n: u64);

    /// Squeeze a challenge.
    fn challenge(&mut self) -> F;

    /// `n` challenges in a row.
    fn challenges(&mut self, n: usize) -> Vec<F> {
        (0..n).map(|_| self.challenge()).collect()
    }
}

impl Fs<Fr> for crate::Transcript {
    fn absorb(&mut self, x: Fr) {
        self.absorb_fr(&x);
    }

    fn absorb_size(&mut self, n: u64) {
        self.absorb_u64(n);
    }

    fn challenge(&mut self) -> Fr {
        crate::Transcript::challenge(self)
    }

    fn challenges(&mut self, n: usize) -> Vec<Fr> {
        crate::Transcript::challenges(self, n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Transcript;

    /// The trait's transcript is the Keccak transcript itself: the same challenges for the
    /// same absorbed values (a verifier over `Fr` replays the on-chain transcript unchanged).
    #[test]
    fn the_native_transcript_is_the_keccak_one() {
        let mut a = Transcript::new(b"l");
        let mut b = Transcript::new(b"l");
        a.absorb_u64(3);
        a.absorb_frs(&[Fr::from(5u64), Fr::from(7u64)]);
        Fs::<Fr>::absorb_size(&mut b, 3);
        Fs::absorb_all(&mut b, &[Fr::from(5u64), Fr::from(7u64)]);
        assert_eq!(a.challenges(2), Fs::<Fr>::challenges(&mut b, 2));
        assert_eq!(a.state(), b.state());
    }

    #[test]
    fn native_same_compares_and_inverse_refuses_zero() {
        assert!(Fe::same(Fr::from(4u64), Fr::from(4u64)));
        assert!(!Fe::same(Fr::from(4u64), Fr::from(5u64)));
        assert!(Fe::inverse(<Fr as Fe>::zero()).is_none());
        assert_eq!(<Fr as Fe>::pow2(10), Fr::from(1024u64));
        assert_eq!(
            <Fr as Fe>::from_i64(-3) + Fr::from(3u64),
            <Fr as Fe>::zero()
        );
    }
}

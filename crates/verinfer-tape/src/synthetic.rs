//! Synthetic tapes shaped like a sumcheck verifier's, for tests and measurements: each round
//! reads a degree-2 round polynomial's values at 0, 1, 2 (three witnesses), checks that the
//! first two sum to the running claim, draws the challenge by hashing the transcript state
//! with the three words, and interpolates the polynomial at the challenge (Lagrange over
//! 0, 1, 2) for the next claim. Public inputs: the starting claim, the transcript seed and
//! the final claim.

use ark_bn254::Fr;
use ark_ff::{Field, UniformRand};
use ark_std::rand::{rngs::StdRng, SeedableRng};

use crate::{Tape, TapeBuilder, TapeError, Values, Var};

/// Ops a round records (three witnesses, an add, an assertion, a hash, eleven arithmetic ops).
pub const OPS_PER_ROUND: usize = 17;

/// An honest run of `rounds` rounds with round polynomials drawn from `seed`: its tape
/// (the same for every seed) and values.
///
/// # Errors
/// Only a [`TapeError`] of the builder, which an honest run never meets.
pub fn sumcheck_like(rounds: usize, seed: u64) -> Result<(Tape, Values), TapeError> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut b = TapeBuilder::new();
    let one = b.constant(Fr::ONE);
    let two = b.constant(Fr::from(2u64));
    let half = b.constant(Fr::from(2u64).inverse().unwrap_or_default());
    let mut claim = b.public(Fr::rand(&mut rng));
    let mut state = b.public(Fr::rand(&mut rng));
    for _ in 0..rounds {
        let c = b.value(claim)?;
        let p0 = Fr::rand(&mut rng);
        let p2 = Fr::rand(&mut rng);
        let w0 = b.witness(p0);
        let w1 = b.witness(c - p0);
        let w2 = b.witness(p2);
        let s = b.add(w0, w1)?;
        b.assert_eq(s, claim)?;
        state = b.hash(&[state, w0, w1, w2])?;
        claim = lagrange_012(&mut b, [w0, w1, w2], state, one, two, half)?;
    }
    let last = b.value(claim)?;
    let out = b.public(last);
    b.assert_eq(out, claim)?;
    Ok(b.finish())
}

/// `p(r)` for the degree-2 `p` with `p(0), p(1), p(2) = w`.
fn lagrange_012(
    b: &mut TapeBuilder,
    w: [Var; 3],
    r: Var,
    one: Var,
    two: Var,
    half: Var,
) -> Result<Var, TapeError> {
    let r1 = b.sub(r, one)?;
    let r2 = b.sub(r, two)?;
    let a = b.mul(r1, r2)?;
    let l0 = b.mul(a, half)?; // (r-1)(r-2)/2
    let m = b.mul(r, r2)?; // -L1 = r(r-2)
    let c = b.mul(r, r1)?;
    let l2 = b.mul(c, half)?; // r(r-1)/2
    let t = b.mul(w[0], l0)?;
    let t = b.mul_add(w[2], l2, t)?;
    let u = b.mul(w[1], m)?;
    b.sub(t, u)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{check, TapeError};

    #[test]
    fn honest_runs_check_and_share_one_tape() {
        let (t1, v1) = sumcheck_like(5, 1).unwrap();
        let (t2, v2) = sumcheck_like(5, 2).unwrap();
        assert_eq!(t1, t2);
        assert_ne!(v1, v2);
        check(&t1, &v1).unwrap();
        check(&t2, &v2).unwrap();
        assert_eq!(t1.ops().len(), 3 + 2 + 5 * OPS_PER_ROUND + 2);
    }

    #[test]
    fn flipped_witness_fails_naming_the_op() {
        let (tape, mut values) = sumcheck_like(4, 3).unwrap();
        values.witness[4] += Fr::ONE; // round 1's p(1): its sum check fails
        let err = check(&tape, &values).unwrap_err();
        let TapeError::AssertFailed { op, kind } = err else {
            panic!("{err:?}")
        };
        assert_eq!(kind, "assert_eq");
        assert!(matches!(tape.ops()[op], crate::Op::AssertEq(..)));
        assert_eq!(op, 5 + OPS_PER_ROUND + 4);
        // a flipped p(2) passes its own round's check and fails the next one
        let (tape, mut values) = sumcheck_like(4, 3).unwrap();
        values.witness[2] += Fr::ONE;
        let err = check(&tape, &values).unwrap_err();
        assert_eq!(
            err,
            TapeError::AssertFailed {
                op: 5 + OPS_PER_ROUND + 4,
                kind: "assert_eq"
            }
        );
    }

    #[test]
    fn wrong_counts_and_public_inputs_fail() {
        let (tape, values) = sumcheck_like(2, 4).unwrap();
        let mut short = values.clone();
        short.witness.pop();
        assert!(matches!(
            check(&tape, &short),
            Err(TapeError::CountMismatch { .. })
        ));
        let mut bad = values;
        bad.public[2] += Fr::ONE;
        assert!(matches!(
            check(&tape, &bad),
            Err(TapeError::AssertFailed {
                kind: "assert_eq",
                ..
            })
        ));
    }

    #[test]
    fn builder_errors() {
        let mut b = TapeBuilder::new();
        let z = b.constant(Fr::from(0u64));
        assert_eq!(b.inv(z), Err(TapeError::InverseOfZero { op: 1 }));
        let one = b.constant(Fr::ONE);
        assert_eq!(b.constant(Fr::ONE), one);
        let w = b.inv(one).unwrap();
        assert_eq!(b.value(w).unwrap(), Fr::ONE);
        assert!(b.assert_zero(one).is_err());
        assert!(b.assert_zero(z).is_ok());
        let mut other = TapeBuilder::new();
        assert!(matches!(other.add(w, w), Err(TapeError::UnknownVar { .. })));
    }
}

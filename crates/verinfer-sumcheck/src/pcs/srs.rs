//! The structured reference string of the KZG-based commitment: `τ^i·G1` for `i < N` (the
//! commit key) and `G1, G2, τ·G2` (the verifier key), for one secret `τ` nobody knows.
//!
//! Two sources:
//!
//! * [`Srs::from_ptau`]: the powers of a public powers-of-tau ceremony's `.ptau` file (the
//!   Hermez / perpetual powers-of-tau files, read and point-checked by `verinfer-ptau`). The
//!   trust assumption is the ceremony's: one honest participant. The points read are also
//!   checked to be successive powers of one `τ` (below), so a file whose sections were spliced
//!   from different `τ` is refused instead of producing a commitment that does not bind.
//! * [`Srs::insecure_local_setup_for_tests`]: samples `τ` locally. **Whoever ran it (and
//!   anyone who saw the RNG) knows `τ` and can open any commitment to any value.** For tests
//!   and development only; its name says so on every call site.
//!
//! A file of power `p` holds `2^(p+1) − 1` powers in G1, so it commits polynomials of up to
//! `p` variables (`2^p` coefficients).

use std::io::{Read, Seek};

use ark_bn254::{Bn254, Fr, G1Affine, G1Projective, G2Affine};
use ark_ec::pairing::Pairing;
use ark_ec::scalar_mul::BatchMulPreprocessing;
use ark_ec::{AffineRepr, CurveGroup, PrimeGroup, VariableBaseMSM};
use ark_ff::{One, UniformRand, Zero};
use ark_std::rand::RngCore;
use verinfer_ptau::{Ptau, Section};

use crate::error::PcsError;
use crate::pcs::fixed_msm::{FixedBaseTable, MAX_TABLE_POINTS};
use crate::transcript::Transcript;

/// `τ^i·G1` for `i < 2^max_num_vars`: what the prover needs; with the powers' fixed-base
/// table when the key was prepared for many proofs (the MSMs then take
/// [`FixedBaseTable::msm`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommitKey {
    powers: Vec<G1Affine>,
    table: Option<FixedBaseTable>,
}

impl CommitKey {
    /// The powers `τ^i·G1`.
    pub fn powers(&self) -> &[G1Affine] {
        &self.powers
    }

    /// A key of these powers (read back from a proving key; [`Srs`] makes them).
    #[must_use]
    pub fn from_powers(powers: Vec<G1Affine>) -> Self {
        Self {
            powers,
            table: None,
        }
    }

    /// This key with its powers' fixed-base table (seconds to build for `2^16` powers; none
    /// for keys of more than [`MAX_TABLE_POINTS`] powers, whose table would not fit memory).
    #[must_use]
    pub fn with_table(mut self) -> Self {
        if self.powers.len() <= MAX_TABLE_POINTS {
            self.table = Some(FixedBaseTable::build(&self.powers));
        }
        self
    }

    /// The powers' fixed-base table, if this key has one.
    #[must_use]
    pub fn table(&self) -> Option<&FixedBaseTable> {
        self.table.as_ref()
    }

    /// The first `2^num_vars` powers, or [`PcsError::SrsTooSmall`]: the slice a node's
    /// proving key keeps.
    ///
    /// # Errors
    /// [`PcsError::SrsTooSmall`].
    pub fn truncated(&self, num_vars: usize) -> Result<Self, PcsError> {
        Ok(Self::from_powers(self.first(num_vars)?.to_vec()))
    }

    /// The most variables a committed polynomial may have.
    #[must_use]
    pub fn max_num_vars(&self) -> usize {
        self.powers.len().checked_ilog2().map_or(0, |l| l as usize)
    }

    /// The first `len` powers, or [`PcsError::SrsTooSmall`].
    pub(crate) fn first(&self, num_vars: usize) -> Result<&[G1Affine], PcsError> {
        1usize
            .checked_shl(u32::try_from(num_vars).unwrap_or(u32::MAX))
            .and_then(|len| self.powers.get(..len))
            .ok_or(PcsError::SrsTooSmall {
                num_vars,
                srs_len: self.powers.len(),
            })
    }
}

/// `G1`, `G2` and `τ·G2`: all the verifier needs (three points, whatever the size).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VerifierKey {
    /// The G1 generator (`τ^0·G1`).
    pub g1: G1Affine,
    /// The G2 generator.
    pub g2: G2Affine,
    /// `τ·G2`.
    pub tau_g2: G2Affine,
}

/// A commit key and its verifier key, from one `τ`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Srs {
    /// For the prover.
    pub commit_key: CommitKey,
    /// For the verifier.
    pub verifier_key: VerifierKey,
}

impl Srs {
    /// The SRS for polynomials of up to `max_num_vars` variables from a `.ptau` file's
    /// `tauG1` and `tauG2` sections, checked: `τ^0` is the standard generator in both groups
    /// and the G1 points are successive powers of the `τ` of `τ·G2` (one random linear
    /// combination, its coefficients drawn by Keccak from the points themselves, so the check
    /// is deterministic and a file cannot be shaped to pass it).
    ///
    /// # Errors
    /// [`PcsError::SrsTooSmall`] if the file's power is below `max_num_vars`;
    /// [`PcsError::Ptau`] for what the reader refuses; [`PcsError::InconsistentSrs`] for points
    /// that are not one `τ`'s powers.
    pub fn from_ptau<R: Read + Seek>(
        ptau: &mut Ptau<R>,
        max_num_vars: usize,
    ) -> Result<Self, PcsError> {
        let too_small = PcsError::SrsTooSmall {
            num_vars: max_num_vars,
            srs_len: (1usize << ptau.power().min(30)),
        };
        let power = usize::try_from(ptau.power()).map_err(|_| PcsError::Malformed("power"))?;
        if max_num_vars > power {
            return Err(too_small);
        }
        let n = 1u64 << max_num_vars;
        let powers: Vec<G1Affine> = ptau.points(Section::TauG1, 0, n)?;
        let g2s: Vec<G2Affine> = ptau.points(Section::TauG2, 0, 2)?;
        let (Some(&g1), Some(&g2), Some(&tau_g2)) = (powers.first(), g2s.first(), g2s.get(1))
        else {
            return Err(PcsError::InconsistentSrs("missing points"));
        };
        let srs = Self {
            commit_key: CommitKey::from_powers(powers),
            verifier_key: VerifierKey { g1, g2, tau_g2 },
        };
        srs.check()?;
        Ok(srs)
    }

    /// Check that the key describes one `τ` (see [`Srs::from_ptau`]).
    ///
    /// # Errors
    /// [`PcsError::InconsistentSrs`] naming the relation that fails.
    pub fn check(&self) -> Result<(), PcsError> {
        let VerifierKey { g1, g2, tau_g2 } = self.verifier_key;
        let p = &self.commit_key.powers;
        if g1 != G1Affine::generator() || p.first() != Some(&g1) {
            return Err(PcsError::InconsistentSrs(
                "τ^0·G1 is not the standard generator",
            ));
        }
        if g2 != G2Affine::generator() {
            return Err(PcsError::InconsistentSrs(
                "G2 is not the standard generator",
            ));
        }
        if tau_g2.is_zero() || tau_g2 == g2 {
            return Err(PcsError::InconsistentSrs("τ is 0 or 1"));
        }
        if p.len() < 2 {
            return Ok(());
        }
        // e(Σ ρ^j·P_j, τ·G2) = e(Σ ρ^j·P_(j+1), G2) iff (w.h.p. over ρ) P_(j+1) = τ·P_j.
        let mut t = Transcript::new(b"verinfer.hyperkzg.srs-check.v1");
        t.absorb_u64(p.len() as u64);
        p.iter().for_each(|x| t.absorb_g1(x));
        let rho = t.challenge();
        let k = p.len() - 1;
        let coeffs: Vec<Fr> = std::iter::successors(Some(Fr::one()), |c| Some(*c * rho))
            .take(k)
            .collect();
        let a = G1Projective::msm_unchecked(&p[..k], &coeffs).into_affine();
        let b = G1Projective::msm_unchecked(&p[1..], &coeffs).into_affine();
        if !Bn254::multi_pairing([a, -b], [tau_g2, g2]).is_zero() {
            return Err(PcsError::InconsistentSrs(
                "the G1 points are not successive powers of the τ of τ·G2",
            ));
        }
        Ok(())
    }

    /// **INSECURE — tests and development only.** An SRS for up to `max_num_vars` variables
    /// from a `τ` sampled from `rng` on this machine: whoever ran this, or can replay `rng`,
    /// knows `τ` and can open any commitment to any value, i.e. forge every proof. Real keys
    /// come from [`Srs::from_ptau`] with a public ceremony's file.
    #[must_use]
    pub fn insecure_local_setup_for_tests<R: RngCore>(max_num_vars: usize, rng: &mut R) -> Self {
        let n = 1usize << max_num_vars;
        let mut tau = Fr::rand(rng);
        while tau.is_zero() || tau.is_one() {
            tau = Fr::rand(rng);
        }
        let scalars: Vec<Fr> = std::iter::successors(Some(Fr::one()), |x| Some(*x * tau))
            .take(n)
            .collect();
        let g1 = G1Projective::generator();
        let powers = BatchMulPreprocessing::new(g1, n).batch_mul(&scalars);
        let g2 = G2Affine::generator();
        Self {
            commit_key: CommitKey::from_powers(powers),
            verifier_key: VerifierKey {
                g1: g1.into_affine(),
                g2,
                tau_g2: (g2 * tau).into_affine(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_std::rand::{rngs::StdRng, SeedableRng};

    #[test]
    fn local_setup_is_consistent_and_a_spliced_one_is_not() {
        let mut rng = StdRng::seed_from_u64(1);
        let srs = Srs::insecure_local_setup_for_tests(5, &mut rng);
        assert_eq!(srs.commit_key.powers().len(), 32);
        assert_eq!(srs.commit_key.max_num_vars(), 5);
        srs.check().unwrap();
        let other = Srs::insecure_local_setup_for_tests(5, &mut rng);
        let mut spliced = srs.clone();
        spliced.commit_key.powers[7] = other.commit_key.powers[7];
        assert!(matches!(spliced.check(), Err(PcsError::InconsistentSrs(_))));
        let mut wrong_g2 = srs.clone();
        wrong_g2.verifier_key.tau_g2 = other.verifier_key.tau_g2;
        assert!(wrong_g2.check().is_err());
    }
}

//! Proofs as the Solidity verifier reads them: a flat list of 32-byte words in the order the
//! transcript absorbs them (scalars canonical, `G1` points `x ‖ y`, `G2` points in the EIP-197
//! order `x.c1, x.c0, y.c1, y.c0`). The on-chain verifier walks the list with one cursor, so
//! the layout below *is* the calldata format of `contracts/src/sumcheck/*.sol`:
//!
//! ```text
//! sumcheck:  per round p(0), p(2), …, p(d);  then every f_i(ρ)
//! opening:   C_1 … C_(ℓ−1) (points);  f_i(r), f_i(−r), f_i(r²) per i;  W;  W'
//! batch:     sumcheck;  opening
//! range:     C_μ;  C_h;  C_g;  S;  values sumcheck;  table sumcheck
//! contract:  C_rem;  R̃em(ρ);  [b̃ias(ρ_j)];  matmul sumcheck;  range;  batch
//! ```
//!
//! The words carry exactly what the arkworks encoding carries (no lengths — the verifier
//! derives every length from the statement). [`contract_from_words`] is the inverse, with the
//! on-chain verifier's input checks (canonical scalars, points on the curve), so a word list
//! the Solidity verifier reads is one the Rust verifier can judge too.

use ark_bn254::{Fq, Fq2, Fr, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_ff::{BigInteger, PrimeField};

use crate::contract::{ContractProof, MatmulNode};
use crate::error::EvmDecodeError;
use crate::logup::RangeArgument;
use crate::matmul::MatmulProof;
use crate::pcs::{BatchOpeningProof, Commitment, OpeningProof, VerifierKey};
use crate::sumcheck::{RoundMessage, SumcheckProof};
use crate::transcript::{fr_word, g1_words};

/// One 32-byte big-endian word.
pub type Word = [u8; 32];

/// Append a sumcheck proof: round messages, then the final evaluations.
pub fn sumcheck_words(p: &SumcheckProof, out: &mut Vec<Word>) {
    for round in &p.rounds {
        out.extend(round.0.iter().map(fr_word));
    }
    out.extend(p.final_evals.iter().map(fr_word));
}

/// Append a HyperKZG opening: fold commitments, evaluation triples, the two witnesses.
pub fn opening_words(p: &OpeningProof, out: &mut Vec<Word>) {
    out.extend(p.folds.iter().flat_map(g1_words));
    out.extend(p.evals.iter().flatten().map(fr_word));
    out.extend(p.witnesses.iter().flat_map(g1_words));
}

/// Append a batched opening: its sumcheck, then its opening.
pub fn batch_words(p: &BatchOpeningProof, out: &mut Vec<Word>) {
    sumcheck_words(&p.sumcheck, out);
    opening_words(&p.opening, out);
}

/// Append a range argument (openings deferred): `C_μ, C_h, C_g, S`, the two sumchecks.
pub fn range_words(a: &RangeArgument, out: &mut Vec<Word>) {
    for c in [&a.mult, &a.h, &a.g] {
        out.extend(g1_words(&c.0));
    }
    out.push(fr_word(&a.sum));
    sumcheck_words(&a.values, out);
    sumcheck_words(&a.table, out);
}

/// A `Contract` node proof as the on-chain verifier reads it.
#[must_use]
pub fn contract_words(p: &ContractProof) -> Vec<Word> {
    let mut out = Vec::new();
    out.extend(g1_words(&p.rem.0));
    out.push(fr_word(&p.rem_eval));
    if let Some(b) = &p.bias_eval {
        out.push(fr_word(b));
    }
    sumcheck_words(&p.matmul.sumcheck, &mut out);
    range_words(&p.range, &mut out);
    batch_words(&p.openings, &mut out);
    out
}

fn fq2_words(x: &Fq2) -> [Word; 2] {
    let w = |f: &ark_bn254::Fq| {
        let be = f.into_bigint().to_bytes_be();
        let mut word = [0u8; 32];
        word[32 - be.len()..].copy_from_slice(&be);
        word
    };
    [w(&x.c1), w(&x.c0)]
}

/// A `G2` point in the EIP-197 order `x.c1, x.c0, y.c1, y.c0` (infinity: four zero words).
#[must_use]
pub fn g2_words(p: &G2Affine) -> [Word; 4] {
    match p.xy() {
        Some((x, y)) => {
            let [a, b] = fq2_words(&x);
            let [c, d] = fq2_words(&y);
            [a, b, c, d]
        }
        None => [[0u8; 32]; 4],
    }
}

/// The verifying key as the Solidity verifier's constructor takes it: `G2` then `τ·G2` (the
/// `G1` generator is the standard `(1, 2)`, checked by the SRS loader).
#[must_use]
pub fn verifier_key_words(vk: &VerifierKey) -> [Word; 8] {
    let [a, b, c, d] = g2_words(&vk.g2);
    let [e, f, g, h] = g2_words(&vk.tau_g2);
    [a, b, c, d, e, f, g, h]
}

/// Reads words in order with the on-chain verifier's checks.
pub(crate) struct Reader<'a> {
    pub(crate) words: &'a [Word],
    pub(crate) at: usize,
}

impl Reader<'_> {
    fn word(&mut self) -> Result<&Word, EvmDecodeError> {
        let w = self.words.get(self.at).ok_or(EvmDecodeError::Length {
            expected: self.at + 1,
            got: self.words.len(),
        })?;
        self.at += 1;
        Ok(w)
    }

    pub(crate) fn fr(&mut self) -> Result<Fr, EvmDecodeError> {
        let index = self.at;
        let w = self.word()?;
        let v = Fr::from_be_bytes_mod_order(w);
        (fr_word(&v) == *w)
            .then_some(v)
            .ok_or(EvmDecodeError::NonCanonical { index })
    }

    pub(crate) fn g1(&mut self) -> Result<G1Affine, EvmDecodeError> {
        let index = self.at;
        let bad = EvmDecodeError::NotOnCurve { index };
        let (wx, wy) = (*self.word()?, *self.word()?);
        if wx == [0u8; 32] && wy == [0u8; 32] {
            return Ok(G1Affine::zero());
        }
        let (x, y) = (
            Fq::from_be_bytes_mod_order(&wx),
            Fq::from_be_bytes_mod_order(&wy),
        );
        let p = G1Affine::new_unchecked(x, y);
        // BN254's G1 has cofactor 1: on the curve is in the group.
        (g1_words(&p) == [wx, wy] && p.is_on_curve())
            .then_some(p)
            .ok_or(bad)
    }

    pub(crate) fn sumcheck(
        &mut self,
        rounds: usize,
        degree: usize,
        finals: usize,
    ) -> Result<SumcheckProof, EvmDecodeError> {
        let rounds = (0..rounds)
            .map(|_| {
                (0..degree)
                    .map(|_| self.fr())
                    .collect::<Result<_, _>>()
                    .map(RoundMessage)
            })
            .collect::<Result<_, _>>()?;
        let final_evals = (0..finals).map(|_| self.fr()).collect::<Result<_, _>>()?;
        Ok(SumcheckProof {
            rounds,
            final_evals,
        })
    }

    pub(crate) fn opening(&mut self, ell: usize) -> Result<OpeningProof, EvmDecodeError> {
        if ell == 0 {
            return Ok(OpeningProof {
                folds: vec![],
                evals: vec![],
                witnesses: vec![],
            });
        }
        let folds = (1..ell).map(|_| self.g1()).collect::<Result<_, _>>()?;
        let evals = (0..ell)
            .map(|_| Ok([self.fr()?, self.fr()?, self.fr()?]))
            .collect::<Result<_, _>>()?;
        let witnesses = vec![self.g1()?, self.g1()?];
        Ok(OpeningProof {
            folds,
            evals,
            witnesses,
        })
    }
}

/// The inverse of [`contract_words`] for `node`: the proof the words encode, its shape fixed by
/// the node (rounds per sumcheck, claims in the batch).
///
/// # Errors
/// [`EvmDecodeError`] naming the first word that is not canonical or not a point, or the
/// length the node's shape needs.
pub fn contract_from_words(
    node: &MatmulNode,
    words: &[Word],
) -> Result<ContractProof, EvmDecodeError> {
    let (a, c, b) = node.log_dims();
    let shift = node.requant().shift as usize;
    let claims = if node.has_bias() { 7 } else { 6 };
    let n = (c + b).max(a + b).max(shift);
    let r = &mut Reader { words, at: 0 };
    let rem = Commitment(r.g1()?);
    let rem_eval = r.fr()?;
    let bias_eval = node.has_bias().then(|| r.fr()).transpose()?;
    let matmul = MatmulProof {
        sumcheck: r.sumcheck(c, 2, 2)?,
    };
    let range = RangeArgument {
        mult: Commitment(r.g1()?),
        h: Commitment(r.g1()?),
        g: Commitment(r.g1()?),
        sum: r.fr()?,
        values: r.sumcheck(a + b, 3, 3)?,
        table: r.sumcheck(shift, 3, 4)?,
    };
    let openings = BatchOpeningProof {
        sumcheck: r.sumcheck(n, 2, 2 * claims)?,
        opening: r.opening(n)?,
    };
    if r.at != words.len() {
        return Err(EvmDecodeError::Length {
            expected: r.at,
            got: words.len(),
        });
    }
    Ok(ContractProof {
        rem,
        rem_eval,
        bias_eval,
        matmul,
        range,
        openings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::G2Affine;

    #[test]
    fn g2_generator_is_in_eip197_order() {
        // x.c1 of BN254's G2 generator (the EIP-197 test vectors' first word).
        let w = g2_words(&G2Affine::generator());
        assert_eq!(w[0][..4], [0x19, 0x8e, 0x93, 0x93], "x.c1 = 0x198e9393…");
        assert_eq!(w[1][..4], [0x18, 0x00, 0xde, 0xef], "x.c0 = 0x1800deef…");
    }
}

//! Native Poseidon over BN254's `Fr`, equal to halo2-base 0.5's in-circuit
//! `PoseidonHasher::<Fr, 3, 2>::hash_fix_len_array` with `OptimizedPoseidonSpec::new::<8, 57, 0>()`
//! (width 3, rate 2, x^5, 8 full and 57 partial rounds, the Grain-generated constants of
//! `poseidon-primitives` 0.2): the outer circuit hashes with that chip, so a tape's `hash`
//! must mean the same function natively. The constants are a generated table
//! (`poseidon_constants.rs`); `verinfer-wrap`'s tests compare it and the hash with halo2-base's.

use ark_bn254::Fr;
use ark_ff::{AdditiveGroup, Field, PrimeField};
use std::sync::OnceLock;

use crate::poseidon_constants::{MDS, ROUND_CONSTANTS};

/// State width.
pub const T: usize = 3;
/// Sponge rate (field elements absorbed per permutation).
pub const RATE: usize = 2;
/// Full rounds (half before, half after the partial rounds).
pub const R_F: usize = 8;
/// Partial rounds.
pub const R_P: usize = 57;

/// The parsed constants: round constants (R_F + R_P rows of T) and the MDS matrix.
pub struct PoseidonConstants {
    /// Round constants, one row of `T` per round.
    pub round_constants: Vec<[Fr; T]>,
    /// The MDS matrix, row-major.
    pub mds: [[Fr; T]; T],
}

fn parse(hex: &str) -> Fr {
    // The table is generated: every entry is 64 hex digits, big-endian, canonical.
    let mut bytes = [0u8; 32];
    for (i, b) in bytes.iter_mut().enumerate() {
        let hi = hex.as_bytes().get(2 * i).copied().unwrap_or(b'0');
        let lo = hex.as_bytes().get(2 * i + 1).copied().unwrap_or(b'0');
        *b = (nibble(hi) << 4) | nibble(lo);
    }
    Fr::from_be_bytes_mod_order(&bytes)
}

fn nibble(c: u8) -> u8 {
    match c {
        b'0'..=b'9' => c - b'0',
        b'a'..=b'f' => c - b'a' + 10,
        b'A'..=b'F' => c - b'A' + 10,
        _ => 0,
    }
}

/// The constants, parsed once.
pub fn constants() -> &'static PoseidonConstants {
    static C: OnceLock<PoseidonConstants> = OnceLock::new();
    C.get_or_init(|| PoseidonConstants {
        round_constants: ROUND_CONSTANTS
            .iter()
            .map(|row| [parse(row[0]), parse(row[1]), parse(row[2])])
            .collect(),
        mds: MDS.map(|row| row.map(parse)),
    })
}

fn sbox(x: Fr) -> Fr {
    let x2 = x.square();
    x2.square() * x
}

/// The Poseidon permutation (unoptimised form; halo2-base's optimised form computes the same).
pub fn permute(state: &mut [Fr; T]) {
    let c = constants();
    let apply_mds = |s: &mut [Fr; T]| {
        let mut out = [Fr::ZERO; T];
        for (o, row) in out.iter_mut().zip(c.mds.iter()) {
            *o = row.iter().zip(s.iter()).map(|(m, x)| *m * x).sum();
        }
        *s = out;
    };
    for (round, rc) in c.round_constants.iter().enumerate() {
        for (x, k) in state.iter_mut().zip(rc.iter()) {
            *x += k;
        }
        let full = !(R_F / 2..R_F / 2 + R_P).contains(&round);
        if full {
            for x in state.iter_mut() {
                *x = sbox(*x);
            }
        } else {
            state[0] = sbox(state[0]);
        }
        apply_mds(state);
    }
}

/// The fixed-length Poseidon hash of `inputs`: halo2-base's sponge (capacity word `2^64`,
/// inputs absorbed `RATE` at a time into words 1.., a single `1` padding after a short last
/// chunk, one extra permutation absorbing only the padding when the length is a multiple of
/// `RATE`, including zero), output word 1.
pub fn hash(inputs: &[Fr]) -> Fr {
    let mut state = [Fr::from(1u128 << 64), Fr::ZERO, Fr::ZERO];
    for chunk in inputs.chunks(RATE) {
        for (i, x) in chunk.iter().enumerate() {
            state[i + 1] += x;
        }
        if chunk.len() < RATE {
            state[chunk.len() + 1] += Fr::ONE;
        }
        permute(&mut state);
    }
    if inputs.len().is_multiple_of(RATE) {
        state[1] += Fr::ONE;
        permute(&mut state);
    }
    state[1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_every_round() {
        let c = constants();
        assert_eq!(c.round_constants.len(), R_F + R_P);
        assert!(c.mds.iter().flatten().all(|m| *m != Fr::ZERO));
    }

    #[test]
    fn hash_depends_on_every_input_and_length() {
        let a = [Fr::from(1u64), Fr::from(2u64), Fr::from(3u64)];
        let h = hash(&a);
        assert_ne!(h, hash(&[Fr::from(1u64), Fr::from(2u64), Fr::from(4u64)]));
        assert_ne!(h, hash(&[Fr::from(1u64), Fr::from(2u64)]));
        assert_ne!(hash(&[]), hash(&[Fr::ZERO]));
    }
}

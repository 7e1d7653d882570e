//! Many Merkle parents at once: Keccak-256 of eight 64-byte messages in one pass of the
//! permutation, each of the eight states in one 64-bit lane of the AVX-512 registers.
//!
//! Committing a trace is almost all Merkle parents (`keccak(left ‖ right)`, one permutation
//! each) and the parents of one level are independent, so eight of them go through Keccak-f
//! together: the 25 state words are 25 `zmm` registers, rotations are `vprolvq`, the three-input
//! XOR of θ and the `a ^ (!b & c)` of χ are one `vpternlogq` each. Same permutation, same
//! padding, same bytes out as [`crate::hash::keccak_pair`] (property-tested below); elsewhere
//! (no AVX-512F, another architecture, fewer than eight parents left) the scalar
//! `keccak-asm` path runs.
//!
//! **The crate's one module with `unsafe`.** Why sound: the AVX-512 function is only called
//! after `is_x86_feature_detected!("avx512f")` returned true; it reads and writes only the
//! fixed-size arrays it is given (unaligned loads and stores of exactly 64 bytes from
//! `[u64; 8]` arrays); nothing else is unsafe.
#![allow(unsafe_code)]

use crate::hash::{keccak_pair, Hash32};

/// Parents hashed per permutation pass.
const WAYS: usize = 8;

/// Keccak-f\[1600\] round constants (ι).
const RC: [u64; 24] = [
    0x0000_0000_0000_0001,
    0x0000_0000_0000_8082,
    0x8000_0000_0000_808a,
    0x8000_0000_8000_8000,
    0x0000_0000_0000_808b,
    0x0000_0000_8000_0001,
    0x8000_0000_8000_8081,
    0x8000_0000_0000_8009,
    0x0000_0000_0000_008a,
    0x0000_0000_0000_0088,
    0x0000_0000_8000_8009,
    0x0000_0000_8000_000a,
    0x0000_0000_8000_808b,
    0x8000_0000_0000_008b,
    0x8000_0000_0000_8089,
    0x8000_0000_0000_8003,
    0x8000_0000_0000_8002,
    0x8000_0000_0000_0080,
    0x0000_0000_0000_800a,
    0x8000_0000_8000_000a,
    0x8000_0000_8000_8081,
    0x8000_0000_0000_8080,
    0x0000_0000_8000_0001,
    0x8000_0000_8000_8008,
];
/// ρ offsets along the π walk (the walk of `tiny-keccak`'s reference permutation).
const RHO: [u32; 24] = [
    1, 3, 6, 10, 15, 21, 28, 36, 45, 55, 2, 14, 27, 41, 56, 8, 25, 43, 62, 18, 39, 61, 20, 44,
];
/// π: the lane each step of the walk moves into.
const PI: [usize; 24] = [
    10, 7, 11, 17, 18, 3, 5, 16, 8, 21, 24, 4, 15, 23, 19, 13, 12, 2, 20, 14, 22, 9, 6, 1,
];

/// Whether this CPU takes the eight-way path.
#[must_use]
pub fn multi_buffer_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512f")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// `out[i] = keccak(l ‖ r)` where `(l, r) = pair(i)`: eight at a time where the CPU allows.
pub(crate) fn hash_pairs(out: &mut [Hash32], pair: impl Fn(usize) -> (Hash32, Hash32)) {
    let mut done = 0;
    #[cfg(target_arch = "x86_64")]
    if out.len() >= WAYS && multi_buffer_available() {
        for (c, chunk) in out.chunks_exact_mut(WAYS).enumerate() {
            // Word j of message s, lane s of state word j.
            let mut words = [[0u64; WAYS]; WAYS];
            // A transpose: `s` indexes the inner arrays.
            #[allow(clippy::needless_range_loop)]
            for s in 0..WAYS {
                let (l, r) = pair(c * WAYS + s);
                for (j, w) in l.as_bytes().chunks_exact(8).enumerate() {
                    words[j][s] = u64::from_le_bytes(w.try_into().unwrap_or_default());
                }
                for (j, w) in r.as_bytes().chunks_exact(8).enumerate() {
                    words[4 + j][s] = u64::from_le_bytes(w.try_into().unwrap_or_default());
                }
            }
            // SAFETY: AVX-512F was detected just above.
            let digest = unsafe { avx512::keccak64_x8(&words) };
            for (s, o) in chunk.iter_mut().enumerate() {
                let mut b = [0u8; 32];
                for (j, d) in digest.iter().enumerate() {
                    b[8 * j..8 * j + 8].copy_from_slice(&d[s].to_le_bytes());
                }
                *o = Hash32::new(b);
            }
        }
        done = out.len() / WAYS * WAYS;
    }
    for (i, o) in out.iter_mut().enumerate().skip(done) {
        let (l, r) = pair(i);
        *o = keccak_pair(&l, &r);
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use std::arch::x86_64::{
        __m512i, _mm512_loadu_si512, _mm512_rolv_epi64, _mm512_set1_epi64, _mm512_setzero_si512,
        _mm512_storeu_si512, _mm512_ternarylogic_epi64, _mm512_xor_si512,
    };

    use super::{PI, RC, RHO, WAYS};

    /// Rotate each lane left by `n`.
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn rol(x: __m512i, n: u32) -> __m512i {
        _mm512_rolv_epi64(x, _mm512_set1_epi64(i64::from(n)))
    }

    /// `a ^ b ^ c`.
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn xor3(a: __m512i, b: __m512i, c: __m512i) -> __m512i {
        _mm512_ternarylogic_epi64::<0x96>(a, b, c)
    }

    /// Keccak-256 of eight 64-byte messages: `words[j][s]` is little-endian word `j` of message
    /// `s`; returns the digests the same way (`[j][s]`, four words).
    ///
    /// # Safety
    /// AVX-512F must be present.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn keccak64_x8(words: &[[u64; WAYS]; WAYS]) -> [[u64; WAYS]; 4] {
        let mut a = [_mm512_setzero_si512(); 25];
        for (j, w) in words.iter().enumerate() {
            // SAFETY: reads exactly the 64 bytes of `w`.
            a[j] = unsafe { _mm512_loadu_si512(w.as_ptr().cast()) };
        }
        // Keccak padding of a 64-byte message at rate 136: 0x01 after it, 0x80 in the last
        // byte of the rate.
        a[8] = _mm512_set1_epi64(1);
        a[16] = _mm512_set1_epi64(i64::MIN);
        for rc in RC {
            // θ
            let mut c = [_mm512_setzero_si512(); 5];
            for (x, cx) in c.iter_mut().enumerate() {
                *cx = xor3(xor3(a[x], a[x + 5], a[x + 10]), a[x + 15], a[x + 20]);
            }
            for x in 0..5 {
                let d = _mm512_xor_si512(c[(x + 4) % 5], rol(c[(x + 1) % 5], 1));
                for y in 0..5 {
                    a[5 * y + x] = _mm512_xor_si512(a[5 * y + x], d);
                }
            }
            // ρ and π
            let mut last = a[1];
            for (&p, &r) in PI.iter().zip(&RHO) {
                let next = a[p];
                a[p] = rol(last, r);
                last = next;
            }
            // χ
            for y in 0..5 {
                let row = [
                    a[5 * y],
                    a[5 * y + 1],
                    a[5 * y + 2],
                    a[5 * y + 3],
                    a[5 * y + 4],
                ];
                for x in 0..5 {
                    a[5 * y + x] = _mm512_ternarylogic_epi64::<0xD2>(
                        row[x],
                        row[(x + 1) % 5],
                        row[(x + 2) % 5],
                    );
                }
            }
            // ι (the constant's bits, as the lane's two's-complement pattern)
            a[0] = _mm512_xor_si512(
                a[0],
                _mm512_set1_epi64(i64::from_ne_bytes(rc.to_ne_bytes())),
            );
        }
        let mut out = [[0u64; WAYS]; 4];
        for (j, o) in out.iter_mut().enumerate() {
            // SAFETY: writes exactly the 64 bytes of `o`.
            unsafe { _mm512_storeu_si512(o.as_mut_ptr().cast(), a[j]) };
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn h(seed: u64) -> Hash32 {
        let mut b = [0u8; 32];
        for (k, x) in b.iter_mut().enumerate() {
            *x = (seed
                .wrapping_mul(0x9e37_79b9_7f4a_7c15)
                .rotate_left(k as u32)
                >> 7) as u8;
        }
        Hash32::new(b)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Every parent equals the scalar `keccak-asm` one, at every count (full groups of
        /// eight and the scalar tail).
        #[test]
        fn eight_way_equals_scalar(n in 0usize..40, seed in any::<u64>()) {
            let kids: Vec<Hash32> = (0..2 * n as u64).map(|i| h(seed ^ i)).collect();
            let mut out = vec![Hash32::ZERO; n];
            hash_pairs(&mut out, |i| (kids[2 * i], kids[2 * i + 1]));
            for (i, o) in out.iter().enumerate() {
                prop_assert_eq!(*o, keccak_pair(&kids[2 * i], &kids[2 * i + 1]));
            }
        }
    }

    #[test]
    fn eight_way_matches_ethereum_vector() {
        // keccak256(bytes32(0) ‖ bytes32(0)), eight times over.
        let mut out = [Hash32::ZERO; 8];
        hash_pairs(&mut out, |_| (Hash32::ZERO, Hash32::ZERO));
        for o in out {
            assert_eq!(
                o.to_string(),
                "0xad3228b676f7d3cd4284a5443f17f1962b36e491b30a40b2405849e597ba5fb5"
            );
        }
    }
}

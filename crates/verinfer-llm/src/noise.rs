//! Seeded sampling noise: `N(seed, T, s, j)`, the Gumbel noise a sampling step graph adds to
//! logit `j` of step `s`, as an exact integer function of the request.
//!
//! Sampling is Gumbel-max: `next = ArgMax(logits + T·G)` with `G` independent standard Gumbel
//! draws is a draw from `softmax(logits / T)`. Here the draw is not random but a function of a
//! Keccak hash of `(seed, s, j)`, so the sample is a function of the request — never of the
//! node — and the dispute game's contract recomputes the one element it is shown
//! (`contracts/src/GumbelNoise.sol`, the same integer operations in the same order).
//!
//! The function, in integers only:
//!
//! 1. `h` = the first 8 bytes (big-endian) of `keccak256(abi.encode(uint64 seed, uint64 s,
//!    uint64 j))`; `a = 2h + 1`, so `u = a / 2^65` is uniform on `(0, 1)`, never 0 or 1.
//! 2. `L = 65·2^R − log2(a)`: `−log2 u` in `Q.R` (`R` = 32 fractional bits), at least 1.
//! 3. `t = R·2^R − log2(L) + C` with `C = −log2(ln 2)·2^R`, so `G = −ln(−ln u) = t·ln 2 / 2^R`.
//! 4. `noise = ⌊t · LN2 · temp / 2^(2R)⌋` with `LN2 = ln 2 · 2^R`: `G · T` in `Q.16`, the
//!    fixed point the step graph reads (it adds `logits · 2^16 + noise` exactly).
//!
//! `log2` of an integer is bit-serial: the integer part is the bit length, each fractional
//! bit one squaring of the normalized mantissa (62 fractional bits, truncating). `G` lies in
//! about `[−3.81, 22.6]` (the Gumbel tail beyond is cut at probability `2^-32` per element),
//! so with `T ≤ 8` every noise value fits [`NOISE_BITS`] signed bits. Seed 0 is greedy: its
//! noise is 0 (what a claim without sampling states).

use tiny_keccak::{Hasher, Keccak};

use crate::error::LlmError;

/// Fractional bits of the noise (and of the logits as the sampling sum reads them).
pub const NOISE_FRAC: u32 = 16;
/// Fractional bits of a temperature: `temp = T · 2^16`.
pub const TEMP_FRAC: u32 = 16;
/// Largest temperature accepted: 8.0.
pub const MAX_TEMP: u32 = 8 << TEMP_FRAC;
/// Signed width of every noise value at temperatures up to [`MAX_TEMP`].
pub const NOISE_BITS: u32 = 25;

/// Fractional bits of the logarithms.
const R: u32 = 32;
/// Fractional bits of the mantissa squared in [`log2_fix`].
const P: u32 = 62;
/// `round(−log2(ln 2) · 2^32)`.
const C: i128 = 2_271_034_279;
/// `round(ln 2 · 2^32)`.
const LN2: i128 = 2_977_044_472;

/// A sampled request's parameters: the seed and the temperature in `Q.16`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sampling {
    /// Seed (part of the request; 0 is greedy).
    pub seed: u64,
    /// Temperature `T · 2^16` (65536 is T = 1).
    pub temp: u32,
}

impl Sampling {
    /// Checked parameters.
    ///
    /// # Errors
    /// A temperature above [`MAX_TEMP`].
    pub fn new(seed: u64, temp: u32) -> Result<Self, LlmError> {
        if temp > MAX_TEMP {
            return Err(LlmError::BadRequest(format!(
                "temperature {temp}/65536 is above the largest supported, 8.0 ({MAX_TEMP})"
            )));
        }
        Ok(Self { seed, temp })
    }

    /// The noise row of step `s` over a vocabulary of `vocab`.
    #[must_use]
    pub fn row(&self, s: u64, vocab: usize) -> Vec<i32> {
        (0..vocab as u64)
            .map(|j| noise(self.seed, self.temp, s, j))
            .collect()
    }
}

/// Parses a temperature given as a decimal (`0.8`) into `Q.16`, rounded to the nearest.
///
/// # Errors
/// Not a finite non-negative number, or above 8.
pub fn parse_temperature(s: &str) -> Result<u32, LlmError> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| LlmError::BadRequest(format!("temperature '{s}' is not a number")))?;
    if !v.is_finite() || !(0.0..=8.0).contains(&v) {
        return Err(LlmError::BadRequest(format!(
            "temperature {s} is outside 0..=8"
        )));
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let q = (v * f64::from(1u32 << TEMP_FRAC)).round() as u32;
    Ok(q)
}

/// The 64-bit draw of element `j` of step `s`: the first 8 bytes of
/// `keccak256(abi.encode(uint64 seed, uint64 s, uint64 j))`.
#[must_use]
pub fn draw(seed: u64, s: u64, j: u64) -> u64 {
    let mut buf = [0u8; 96];
    buf[24..32].copy_from_slice(&seed.to_be_bytes());
    buf[56..64].copy_from_slice(&s.to_be_bytes());
    buf[88..96].copy_from_slice(&j.to_be_bytes());
    let mut k = Keccak::v256();
    k.update(&buf);
    let mut h = [0u8; 32];
    k.finalize(&mut h);
    let mut first = [0u8; 8];
    first.copy_from_slice(&h[..8]);
    u64::from_be_bytes(first)
}

/// `log2(x)` of an integer `x ≥ 1` in `Q.32`, truncated bit by bit (0 for `x = 0`).
#[must_use]
pub fn log2_fix(x: u128) -> u128 {
    if x == 0 {
        return 0;
    }
    let n = 127 - x.leading_zeros();
    let mut y = if n <= P { x << (P - n) } else { x >> (n - P) };
    let mut r = u128::from(n) << R;
    for i in (0..R).rev() {
        y = (y * y) >> P;
        if y >= 2u128 << P {
            y >>= 1;
            r |= 1u128 << i;
        }
    }
    r
}

/// Standard Gumbel value of a draw, as `t` with `G = t · ln 2 / 2^32` (see the module doc).
#[must_use]
pub fn gumbel_t(h: u64) -> i128 {
    let a = 2 * u128::from(h) + 1;
    let l = (65u128 << R) - log2_fix(a);
    let lg = i128::try_from(log2_fix(l)).unwrap_or(i128::MAX);
    (i128::from(R) << R) - lg + C
}

/// `N(seed, temp, s, j)`: the noise added to logit `j` of step `s`, `G · T` in `Q.16`; 0 for
/// seed 0 (a claim's seed 0 is greedy).
#[must_use]
pub fn noise(seed: u64, temp: u32, s: u64, j: u64) -> i32 {
    if seed == 0 {
        return 0;
    }
    let t = gumbel_t(draw(seed, s, j));
    let v = (t * LN2 * i128::from(temp)) >> (2 * R);
    i32::try_from(v).unwrap_or(if v < 0 { i32::MIN } else { i32::MAX })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log2_of_powers_of_two_is_exact_and_close_elsewhere() {
        for k in 0..100u32 {
            assert_eq!(log2_fix(1u128 << k), u128::from(k) << 32);
        }
        for x in [3u128, 5, 7, 1000, 123_456_789, (1 << 65) - 1] {
            #[allow(clippy::cast_precision_loss)]
            let exact = (x as f64).log2();
            #[allow(clippy::cast_precision_loss)]
            let got = log2_fix(x) as f64 / 2f64.powi(32);
            assert!((got - exact).abs() < 1e-8, "{x}: {got} vs {exact}");
        }
    }

    #[test]
    fn gumbel_matches_the_float_formula() {
        for h in [
            0u64,
            1,
            12345,
            1 << 40,
            u64::MAX / 3,
            u64::MAX - (1 << 40),
            u64::MAX,
        ] {
            // −ln u as 65·ln 2 − ln a for u ≤ 1/2, and from 1 − u (exact in integers) above,
            // so u near 0 and near 1 both keep their precision in f64.
            let a = 2 * u128::from(h) + 1;
            #[allow(clippy::cast_precision_loss)]
            let neg_ln_u = if a <= 1u128 << 64 {
                65.0 * std::f64::consts::LN_2 - (a as f64).ln()
            } else {
                -(-(((1u128 << 65) - a) as f64 / 2f64.powi(65))).ln_1p()
            };
            let g = -neg_ln_u.ln();
            #[allow(clippy::cast_precision_loss)]
            let got = gumbel_t(h) as f64 * std::f64::consts::LN_2 / 2f64.powi(32);
            if g > 22.0 {
                // The tail beyond −ln u < 2^-32 is cut (module doc).
                assert!(got > 21.0 && got < g, "h {h}: {got} vs {g}");
            } else {
                let tol = if g > 15.0 { 5e-2 } else { 1e-6 };
                assert!((got - g).abs() < tol, "h {h}: {got} vs {g}");
            }
        }
    }

    #[test]
    fn noise_is_bounded_zero_at_zero_temperature_and_scales() {
        for j in 0..2000u64 {
            assert_eq!(noise(9, 0, 3, j), 0);
            let n = noise(9, MAX_TEMP, 3, j);
            assert!(n.unsigned_abs() < 1 << (NOISE_BITS - 1));
        }
        assert_eq!(noise(0, MAX_TEMP, 3, 7), 0);
        let n1 = noise(1, 1 << 16, 0, 0);
        let n2 = noise(1, 2 << 16, 0, 0);
        assert!((n2 - 2 * n1).abs() <= 1);
    }

    #[test]
    fn temperatures_parse_to_q16() {
        assert_eq!(parse_temperature("1").unwrap(), 65536);
        assert_eq!(parse_temperature("0.5").unwrap(), 32768);
        assert_eq!(parse_temperature("0").unwrap(), 0);
        assert!(parse_temperature("-1").is_err());
        assert!(parse_temperature("9").is_err());
        assert!(parse_temperature("x").is_err());
        assert!(Sampling::new(1, MAX_TEMP + 1).is_err());
    }
}

//! Integers embedded in `Fr`: a signed value `v` is `v mod r` (a negative one is `r − |v|`), so
//! an integer identity whose every intermediate stays below `r/2` in magnitude holds in `Fr`
//! exactly when it holds over the integers. That bound is the caller's obligation (an `i32`
//! matrix product over `K` terms stays below `K·2^62`, far under `r/2 ≈ 2^253`).

use ark_bn254::Fr;

/// `v mod r`.
#[must_use]
pub fn fr_from_i64(v: i64) -> Fr {
    let m = Fr::from(v.unsigned_abs());
    if v < 0 {
        -m
    } else {
        m
    }
}

/// `v mod r` for a wide integer (a matrix-product accumulator).
#[must_use]
pub fn fr_from_i128(v: i128) -> Fr {
    let m = Fr::from(v.unsigned_abs());
    if v < 0 {
        -m
    } else {
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::{One, Zero};

    #[test]
    fn negative_values_are_r_minus_magnitude() {
        assert_eq!(fr_from_i64(-1), -Fr::one());
        assert_eq!(fr_from_i64(0), Fr::zero());
        assert_eq!(fr_from_i64(i64::MIN) + Fr::from(1u64 << 63), Fr::zero());
        assert_eq!(fr_from_i128(-5) + fr_from_i128(5), Fr::zero());
        assert_eq!(fr_from_i64(-3) * fr_from_i64(-4), fr_from_i64(12));
    }
}

//! `Div`: rounded integer division with broadcasting.

use crate::op::Div;

/// `n / d` rounded half away from zero; 0 when `d = 0` (a total function, so the arbiter and
/// the circuits never face an undefined step).
#[must_use]
pub fn round_div(n: i64, d: i64) -> i64 {
    if d == 0 {
        return 0;
    }
    let (n, d) = (i128::from(n), i128::from(d));
    let q = n / d;
    let r = n % d;
    let q = if 2 * r.abs() >= d.abs() {
        q + (n.signum() * d.signum())
    } else {
        q
    };
    // |q| <= |n| fits i64 except for i64::MIN / -1, which saturates.
    #[allow(clippy::cast_possible_truncation)]
    let q = q.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64;
    q
}

/// The exact (pre-requant) quotient, `None` on overflow of the shifted numerator.
#[must_use]
pub fn exact(shift: u32, a: i64, b: i64) -> Option<i64> {
    if shift >= 62 {
        return None;
    }
    let n = a.checked_mul(1i64 << shift)?;
    Some(round_div(n, b))
}

/// `requant(round_div(a · 2^shift, b))` of the operand pair `(a, b)` an output element reads
/// (broadcast as `Binary`'s, [`super::binary::operands`]).
#[must_use]
pub fn element(op: &Div, (a, b): (i64, i64)) -> Option<i32> {
    exact(op.shift, a, b).map(|v| op.requant.apply(v))
}

#[cfg(test)]
mod tests {
    use super::round_div;

    #[test]
    fn rounds_half_away_from_zero() {
        assert_eq!(round_div(5, 2), 3);
        assert_eq!(round_div(-5, 2), -3);
        assert_eq!(round_div(5, -2), -3);
        assert_eq!(round_div(7, 3), 2);
        assert_eq!(round_div(8, 3), 3);
        assert_eq!(round_div(-8, 3), -3);
        assert_eq!(round_div(1, 0), 0);
    }
}

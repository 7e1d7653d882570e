//! Row element types of a contraction and their dot products.
//!
//! Every dot product is exact. The validator proved `Σ |x·w| < 2^62` for every output, so no
//! partial sum in any order overflows `i64`; the narrow (`i32`-accumulating) variants are only
//! chosen when the plan proved the same sum below `2^31`, and `i16` rows only when every
//! operand value fits `i16`. The `wrapping_*` operations therefore never wrap: they only tell
//! the compiler that the order of the additions is free, so it can vectorize (with `i16` rows
//! into multiply-add instructions that exist even on baseline x86-64). Wide `i16` dot products
//! go through exact `i32` pair sums (see [`super::pairs`]), which bound their own partial sums.

/// An element type of packed contraction rows.
pub(crate) trait Elem: Copy + Default + Send + Sync + 'static {
    /// Convert an operand value; the plan guarantees it fits.
    fn from_i32(v: i32) -> Self;

    /// The operand itself as rows, when no conversion is needed.
    fn borrow(data: &[i32]) -> Option<&[Self]>;

    /// Widen.
    fn to_i64(self) -> i64;

    /// `Σ a[s]·b[s]`; `NARROW`: the plan proved `Σ |a·b| < 2^31`.
    fn dot<const NARROW: bool>(a: &[Self], b: &[Self]) -> i64;

    /// Four dot products sharing the row `a` (loaded once); every `b` has `a`'s length.
    fn shared4<const NARROW: bool>(a: &[Self], b: [&[Self]; 4]) -> [i64; 4];
}

impl Elem for i32 {
    #[inline]
    fn from_i32(v: i32) -> Self {
        v
    }

    fn borrow(data: &[i32]) -> Option<&[i32]> {
        Some(data)
    }

    fn to_i64(self) -> i64 {
        i64::from(self)
    }

    #[inline]
    fn dot<const NARROW: bool>(a: &[i32], b: &[i32]) -> i64 {
        if NARROW {
            i64::from(
                a.iter()
                    .zip(b)
                    .fold(0i32, |acc, (&x, &y)| acc.wrapping_add(x.wrapping_mul(y))),
            )
        } else {
            super::simd::dot_wide(a, b)
        }
    }

    #[inline]
    fn shared4<const NARROW: bool>(a: &[i32], b: [&[i32]; 4]) -> [i64; 4] {
        let k = a.len();
        let (b0, b1, b2, b3) = (&b[0][..k], &b[1][..k], &b[2][..k], &b[3][..k]);
        if NARROW {
            let mut s = [0i32; 4];
            for i in 0..k {
                let x = a[i];
                s[0] = s[0].wrapping_add(x.wrapping_mul(b0[i]));
                s[1] = s[1].wrapping_add(x.wrapping_mul(b1[i]));
                s[2] = s[2].wrapping_add(x.wrapping_mul(b2[i]));
                s[3] = s[3].wrapping_add(x.wrapping_mul(b3[i]));
            }
            s.map(i64::from)
        } else {
            super::simd::shared4_wide(a, b)
        }
    }
}

impl Elem for i16 {
    #[inline]
    fn from_i32(v: i32) -> Self {
        // The plan uses i16 rows only for operands bounded by 16 bits.
        v as i16
    }

    fn borrow(_: &[i32]) -> Option<&[i16]> {
        None
    }

    fn to_i64(self) -> i64 {
        i64::from(self)
    }

    /// `NARROW`: `i32` accumulator; otherwise exact `i32` pair sums added in `i64` (see
    /// [`super::pairs`]).
    #[inline]
    fn dot<const NARROW: bool>(a: &[i16], b: &[i16]) -> i64 {
        if !NARROW {
            return super::pairs::dot(a, b);
        }
        i64::from(a.iter().zip(b).fold(0i32, |acc, (&x, &y)| {
            acc.wrapping_add(i32::from(x).wrapping_mul(i32::from(y)))
        }))
    }

    #[inline]
    fn shared4<const NARROW: bool>(a: &[i16], b: [&[i16]; 4]) -> [i64; 4] {
        if !NARROW {
            return super::pairs::shared4(a, b);
        }
        let k = a.len();
        let (b0, b1, b2, b3) = (&b[0][..k], &b[1][..k], &b[2][..k], &b[3][..k]);
        let mut s = [0i32; 4];
        for i in 0..k {
            let x = i32::from(a[i]);
            s[0] = s[0].wrapping_add(x.wrapping_mul(i32::from(b0[i])));
            s[1] = s[1].wrapping_add(x.wrapping_mul(i32::from(b1[i])));
            s[2] = s[2].wrapping_add(x.wrapping_mul(i32::from(b2[i])));
            s[3] = s[3].wrapping_add(x.wrapping_mul(i32::from(b3[i])));
        }
        s.map(i64::from)
    }
}

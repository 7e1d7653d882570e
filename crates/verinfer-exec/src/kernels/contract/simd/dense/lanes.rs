//! Elementwise loops compiled for the vector unit: `out[i] = f(a[i], b[i])` and `out[i] =
//! f(x[i])` for the `Binary`, `Div`, `Lookup` and `ISqrt` kernels, whose closures requantize
//! in `i64` (a multiply, a rounding shift, a clamp).
//!
//! The workspace builds for baseline x86-64 (SSE2), which has no `i64` multiply, arithmetic
//! shift, minimum or maximum in vectors, so those loops ran one element at a time (a third of
//! the bundled transformer block's time). Here the same safe loop is also compiled with
//! AVX-512F/BW/DQ/VL enabled, where LLVM forms eight `i64` lanes at a time (`vpmullq`,
//! `vpsraq`, `vpmaxsq`/`vpminsq`, `vpmovqd`), and called when the CPU has them. The closure is
//! the caller's own code: it is inlined into the loop, so what it computes is unchanged, only
//! the instructions chosen for it. Elsewhere the loop runs as it is.
//!
//! Part of the SIMD-kernel module ([`super`]) and under its rules. Why sound: the loops are
//! safe Rust (iterators, no raw pointers); the one `unsafe` is the call of the
//! feature-enabled copy, made only after `is_x86_feature_detected!` returned true for all four
//! features. Property-tested equal to the plain loop below, and the kernels that use them are
//! property-tested against the reference interpreter.
#![allow(unsafe_code)]

/// `out[i] = f(a[i], b[i])` over the common length.
#[inline]
pub(crate) fn zip_map<F: Fn(i32, i32) -> i32>(a: &[i32], b: &[i32], out: &mut [i32], f: F) {
    #[cfg(target_arch = "x86_64")]
    if uses_avx512() {
        // SAFETY: the features are present (checked just above).
        unsafe { avx512::zip_map(a, b, out, f) };
        return;
    }
    zip_map_loop(a, b, out, f);
}

/// `out[i] = f(x[i])` over the common length.
#[inline]
pub(crate) fn map<F: Fn(i32) -> i32>(x: &[i32], out: &mut [i32], f: F) {
    #[cfg(target_arch = "x86_64")]
    if uses_avx512() {
        // SAFETY: the features are present (checked just above).
        unsafe { avx512::map(x, out, f) };
        return;
    }
    map_loop(x, out, f);
}

/// Whether the loops run in their AVX-512 copies on this machine.
pub(crate) fn uses_avx512() -> bool {
    cpu_has!("avx512f", "avx512bw", "avx512dq", "avx512vl")
}

#[inline(always)]
fn zip_map_loop<F: Fn(i32, i32) -> i32>(a: &[i32], b: &[i32], out: &mut [i32], f: F) {
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        *o = f(x, y);
    }
}

#[inline(always)]
fn map_loop<F: Fn(i32) -> i32>(x: &[i32], out: &mut [i32], f: F) {
    for (o, &v) in out.iter_mut().zip(x) {
        *o = f(v);
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::{map_loop, zip_map_loop};

    /// [`super::zip_map`] compiled with AVX-512.
    ///
    /// # Safety
    /// AVX-512F/BW/DQ/VL must be present.
    #[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl")]
    pub(super) unsafe fn zip_map<F: Fn(i32, i32) -> i32>(
        a: &[i32],
        b: &[i32],
        out: &mut [i32],
        f: F,
    ) {
        zip_map_loop(a, b, out, f);
    }

    /// [`super::map`] compiled with AVX-512.
    ///
    /// # Safety
    /// AVX-512F/BW/DQ/VL must be present.
    #[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl")]
    pub(super) unsafe fn map<F: Fn(i32) -> i32>(x: &[i32], out: &mut [i32], f: F) {
        map_loop(x, out, f);
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// A requantizing product like `Binary`'s: multiply in `i64`, round, shift, clamp.
    fn requant_mul(x: i32, y: i32) -> i32 {
        let v = ((i64::from(x) * i64::from(y) + (1 << 11)) >> 12).clamp(-32768, 32767);
        v as i32
    }

    #[test]
    fn this_cpu_takes_the_vector_path_when_it_can() {
        #[cfg(target_arch = "x86_64")]
        assert_eq!(
            uses_avx512(),
            std::arch::is_x86_feature_detected!("avx512f")
                && std::arch::is_x86_feature_detected!("avx512dq")
                && std::arch::is_x86_feature_detected!("avx512bw")
                && std::arch::is_x86_feature_detected!("avx512vl")
        );
    }

    proptest! {
        /// Equal to the plain loops, any length (vector bodies and tails), extremes included.
        #[test]
        fn loops_equal_plain(
            a in prop::collection::vec(prop_oneof![any::<i32>(), Just(i32::MIN), Just(i32::MAX)], 0..80),
            b in prop::collection::vec(prop_oneof![any::<i32>(), Just(i32::MIN), Just(i32::MAX)], 0..80),
        ) {
            let n = a.len().min(b.len());
            let mut got = vec![7; n];
            zip_map(&a, &b, &mut got, requant_mul);
            let want: Vec<i32> = a.iter().zip(&b).map(|(&x, &y)| requant_mul(x, y)).collect();
            prop_assert_eq!(&got, &want);
            let mut got = vec![7; a.len()];
            map(&a, &mut got, |x| requant_mul(x, -3));
            let want: Vec<i32> = a.iter().map(|&x| requant_mul(x, -3)).collect();
            prop_assert_eq!(got, want);
        }
    }
}

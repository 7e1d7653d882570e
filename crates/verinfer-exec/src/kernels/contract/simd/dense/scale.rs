//! Requantization of `i32` values by a multiplier and a shift in vectors: `out[i] =
//! clamp((x[i]·mult + half) >> shift, lo, hi)` (a `Rescale` node, a multiplier that is not a
//! power of two), where the per-element form of `Requant::apply` checks the product and the
//! rounding addition for overflow and so is not vectorized.
//!
//! Part of the SIMD-kernel module ([`super`]) and under its rules. [`scale_i32`] accepts only
//! `|mult| ≤ 2^31` and `shift ≤ 62`: then `|x·mult| ≤ 2^31·2^31 = 2^62` for every `i32` `x` and
//! `half = 2^(shift-1) ≤ 2^61`, so `x·mult + half` lies strictly inside `i64` and the loop,
//! which has no branch, is the definition (`Requant::apply`'s `i64` path) for every input. On
//! x86-64 with AVX-512F/DQ (detected at run time) the same safe loop is compiled with those
//! features, so LLVM forms eight lanes at a time (`vpmovsxdq`, `vpmullq`, `vpsraq`,
//! `vpmaxsq`/`vpminsq`, `vpmovqd`); elsewhere it runs as it is. Property-tested against
//! `Requant::apply` through `FastRequant::apply_i32_into` (`requant.rs`).
//!
//! Why sound: the vector function's body is safe Rust indexing through iterators; the one
//! `unsafe` is its call, made only after `is_x86_feature_detected!` returned true for both
//! features.
#![allow(unsafe_code)]

/// `out[i] = clamp((xs[i]·mult + half) >> shift, lo, hi)` over the common length, when the
/// arguments are in the range where that cannot overflow (see the module doc); `false`
/// (nothing written) otherwise. `lo ≤ hi` are `i32` bounds.
pub(crate) fn scale_i32(
    xs: &[i32],
    (mult, half, shift): (i64, i64, u32),
    (lo, hi): (i32, i32),
    out: &mut [i32],
) -> bool {
    if mult.unsigned_abs() > 1 << 31 || !(0..=1 << 61).contains(&half) || shift > 62 || lo > hi {
        return false;
    }
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx512dq")
    {
        // SAFETY: the features are present (checked just above).
        unsafe { scale_avx512(xs, (mult, half, shift), (lo, hi), out) };
        return true;
    }
    scale_loop(xs, (mult, half, shift), (lo, hi), out);
    true
}

/// The loop of [`scale_i32`] (arguments in its range).
#[inline(always)]
fn scale_loop(
    xs: &[i32],
    (mult, half, shift): (i64, i64, u32),
    (lo, hi): (i32, i32),
    out: &mut [i32],
) {
    let (lo, hi) = (i64::from(lo), i64::from(hi));
    for (o, &x) in out.iter_mut().zip(xs) {
        // In range of i32: clamped to i32 bounds. No overflow (module doc).
        *o = ((i64::from(x) * mult + half) >> shift).clamp(lo, hi) as i32;
    }
}

/// [`scale_loop`] compiled with AVX-512F/DQ.
///
/// # Safety
/// AVX-512F and AVX-512DQ must be present.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512dq")]
unsafe fn scale_avx512(xs: &[i32], params: (i64, i64, u32), bounds: (i32, i32), out: &mut [i32]) {
    scale_loop(xs, params, bounds, out);
}

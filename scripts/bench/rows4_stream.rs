//! Stage 1 of the exact Q8_0 import (`P[r, b] = Σ_i x[32b + i]·q[r, b, i]`, 20-bit `x`, `i8`
//! `q`) over matrices that do not fit the caches, as a decoding step reads them: the
//! executor's four-row AVX2 kernel without and with the next four rows prefetched (the
//! executor now prefetches), two AVX-512 VNNI forms tried against it (activations split into
//! `i16` halves with `vpdpwssd`; unsigned byte planes with `vpdpbusd`), and a plain read of
//! the same bytes (the bandwidth a sequential stream gets). Every kernel's sums are checked
//! against an `i64` reference. Standalone (no crates):
//!
//!   rustc -C opt-level=3 --edition 2021 scripts/bench/rows4_stream.rs -o /tmp/rows4_stream
//!   /tmp/rows4_stream ROWS COLS MATRICES     (default 11008 4096 4: llama2-7b's FFN shape)
//!
//! Prints the best of 9 passes over all matrices for each kernel (wall time of the kernel
//! only), twice in alternation. Needs AVX2 and AVX-512 VNNI.
#![allow(unsafe_op_in_unsafe_fn, clippy::all)]
use std::arch::x86_64::*;
use std::time::Instant;

#[target_feature(enable = "avx2")]
unsafe fn reduce8(acc: &[__m256i; 8]) -> __m256i {
    let h01 = _mm256_hadd_epi32(acc[0], acc[1]);
    let h23 = _mm256_hadd_epi32(acc[2], acc[3]);
    let h45 = _mm256_hadd_epi32(acc[4], acc[5]);
    let h67 = _mm256_hadd_epi32(acc[6], acc[7]);
    let lo4 = _mm256_hadd_epi32(h01, h23);
    let hi4 = _mm256_hadd_epi32(h45, h67);
    _mm256_add_epi32(
        _mm256_permute2x128_si256::<0x20>(lo4, hi4),
        _mm256_permute2x128_si256::<0x31>(lo4, hi4),
    )
}

#[inline(always)]
unsafe fn lw(p: *const i8, i: usize) -> __m256i {
    _mm256_cvtepi8_epi32(_mm_loadl_epi64(p.add(i).cast()))
}

// current kernel
#[target_feature(enable = "avx2")]
unsafe fn rows4_cur(x: &[i32], w: &[i8], k: usize, n: usize, out: &mut [i64], pf: bool) {
    let seg = n * k;
    let xp = x.as_ptr();
    let p = w.as_ptr();
    let mut j = 0;
    while j < n {
        let pair = j + 1 < n;
        let (b0, b1) = (j * k, (j + 1) * k);
        if pf {
            // As the kernel: the next four rows' bytes, 8k a step (two segments of four rows), into L2.
            let base = 4 * seg + j / 2 * 8 * k;
            let mut l = 0;
            while l < 8 * k {
                _mm_prefetch::<_MM_HINT_T1>(p.wrapping_add(base + l).cast());
                l += 64;
            }
        }
        let mut acc = [_mm256_setzero_si256(); 8];
        let mut s = 0;
        while s < k {
            let x0 = _mm256_loadu_si256(xp.add(b0 + s).cast());
            for r in 0..4 {
                acc[r] = _mm256_add_epi32(acc[r], _mm256_mullo_epi32(x0, lw(p, r * seg + b0 + s)));
            }
            if pair {
                let x1 = _mm256_loadu_si256(xp.add(b1 + s).cast());
                for r in 0..4 {
                    acc[4 + r] = _mm256_add_epi32(
                        acc[4 + r],
                        _mm256_mullo_epi32(x1, lw(p, r * seg + b1 + s)),
                    );
                }
            }
            s += 8;
        }
        let mut sums = [0i32; 8];
        _mm256_storeu_si256(sums.as_mut_ptr().cast(), reduce8(&acc));
        for r in 0..4 {
            out[r * n + j] = sums[r] as i64;
            if pair {
                out[r * n + j + 1] = sums[4 + r] as i64;
            }
        }
        j += 2;
    }
}

// split x = hi*2^15 + lo (i16 each), vpdpwssd 256-bit, 4 rows x 2 segments, k multiple of 16
#[target_feature(enable = "avx2,avx512f,avx512vl,avx512bw,avx512vnni")]
unsafe fn rows4_vnni(lo: &[i16], hi: &[i16], w: &[i8], k: usize, n: usize, out: &mut [i64]) {
    let seg = n * k;
    let p = w.as_ptr();
    let mut j = 0;
    while j + 2 <= n {
        let (b0, b1) = (j * k, (j + 1) * k);
        let mut ah = [_mm256_setzero_si256(); 8];
        let mut al = [_mm256_setzero_si256(); 8];
        let mut s = 0;
        while s < k {
            let h0 = _mm256_loadu_si256(hi.as_ptr().add(b0 + s).cast());
            let l0 = _mm256_loadu_si256(lo.as_ptr().add(b0 + s).cast());
            let h1 = _mm256_loadu_si256(hi.as_ptr().add(b1 + s).cast());
            let l1 = _mm256_loadu_si256(lo.as_ptr().add(b1 + s).cast());
            for r in 0..4 {
                let w0 = _mm256_cvtepi8_epi16(_mm_loadu_si128(p.add(r * seg + b0 + s).cast()));
                let w1 = _mm256_cvtepi8_epi16(_mm_loadu_si128(p.add(r * seg + b1 + s).cast()));
                ah[r] = _mm256_dpwssd_epi32(ah[r], h0, w0);
                al[r] = _mm256_dpwssd_epi32(al[r], l0, w0);
                ah[4 + r] = _mm256_dpwssd_epi32(ah[4 + r], h1, w1);
                al[4 + r] = _mm256_dpwssd_epi32(al[4 + r], l1, w1);
            }
            s += 16;
        }
        let acc: [__m256i; 8] =
            std::array::from_fn(|i| _mm256_add_epi32(_mm256_slli_epi32::<15>(ah[i]), al[i]));
        let mut sums = [0i32; 8];
        _mm256_storeu_si256(sums.as_mut_ptr().cast(), reduce8(&acc));
        for r in 0..4 {
            out[r * n + j] = sums[r] as i64;
            out[r * n + j + 1] = sums[4 + r] as i64;
        }
        j += 2;
    }
}

// u8 planes + dpbusd: u = x + 2^23 = u0 + u1*2^8 + u2*2^16 ; result = S0 + S1<<8 + S2<<16 - Sw<<23
#[target_feature(enable = "avx2,avx512f,avx512vl,avx512bw,avx512vnni")]
unsafe fn rows4_busd(
    u: &[[u8; 3]],
    _x: (),
    w: &[i8],
    k: usize,
    n: usize,
    out: &mut [i64],
    planes: &[Vec<u8>; 3],
) {
    let _ = u;
    let seg = n * k;
    let p = w.as_ptr();
    let ones = _mm256_set1_epi8(1);
    let mut j = 0;
    // k == 32: one segment per 32 bytes
    while j + 2 <= n {
        let (b0, b1) = (j * k, (j + 1) * k);
        let mut a = [[_mm256_setzero_si256(); 8]; 4];
        let mut s = 0;
        while s < k {
            let u0 = [
                _mm256_loadu_si256(planes[0].as_ptr().add(b0 + s).cast()),
                _mm256_loadu_si256(planes[0].as_ptr().add(b1 + s).cast()),
            ];
            let u1 = [
                _mm256_loadu_si256(planes[1].as_ptr().add(b0 + s).cast()),
                _mm256_loadu_si256(planes[1].as_ptr().add(b1 + s).cast()),
            ];
            let u2 = [
                _mm256_loadu_si256(planes[2].as_ptr().add(b0 + s).cast()),
                _mm256_loadu_si256(planes[2].as_ptr().add(b1 + s).cast()),
            ];
            for r in 0..4 {
                for t in 0..2 {
                    let wv = _mm256_loadu_si256(p.add(r * seg + [b0, b1][t] + s).cast());
                    a[0][t * 4 + r] = _mm256_dpbusd_epi32(a[0][t * 4 + r], u0[t], wv);
                    a[1][t * 4 + r] = _mm256_dpbusd_epi32(a[1][t * 4 + r], u1[t], wv);
                    a[2][t * 4 + r] = _mm256_dpbusd_epi32(a[2][t * 4 + r], u2[t], wv);
                    a[3][t * 4 + r] = _mm256_dpbusd_epi32(a[3][t * 4 + r], ones, wv);
                }
            }
            s += 32;
        }
        let s0 = reduce8(&a[0]);
        let s1 = reduce8(&a[1]);
        let s2 = reduce8(&a[2]);
        let s3 = reduce8(&a[3]);
        let v = _mm256_add_epi32(
            s0,
            _mm256_slli_epi32::<8>(_mm256_add_epi32(
                s1,
                _mm256_slli_epi32::<8>(_mm256_sub_epi32(s2, _mm256_slli_epi32::<7>(s3))),
            )),
        );
        let mut sums = [0i32; 8];
        _mm256_storeu_si256(sums.as_mut_ptr().cast(), v);
        for r in 0..4 {
            out[r * n + j] = sums[r] as i64;
            out[r * n + j + 1] = sums[4 + r] as i64;
        }
        j += 2;
    }
}

#[target_feature(enable = "avx2")]
unsafe fn stream(w: &[i8]) -> i64 {
    let mut a = _mm256_setzero_si256();
    let mut i = 0;
    while i + 32 <= w.len() {
        a = _mm256_add_epi8(a, _mm256_loadu_si256(w.as_ptr().add(i).cast()));
        i += 32;
    }
    _mm256_extract_epi64::<0>(a)
}
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let rows: usize = args.get(1).map(|s| s.parse().unwrap()).unwrap_or(11008);
    let cols: usize = args.get(2).map(|s| s.parse().unwrap()).unwrap_or(4096);
    let mats: usize = args.get(3).map(|s| s.parse().unwrap()).unwrap_or(4);
    let k = 32;
    let n = cols / k;
    let mut seed = 12345u64;
    let mut rnd = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let x: Vec<i32> = (0..cols)
        .map(|_| ((rnd() >> 40) as i32 & 0xFFFFF) - (1 << 19))
        .collect();
    let ws: Vec<Vec<i8>> = (0..mats)
        .map(|_| (0..rows * cols).map(|_| (rnd() >> 56) as i8).collect())
        .collect();
    let mut refo = vec![vec![0i64; rows * n]; mats];
    for m in 0..mats {
        for r in 0..rows {
            for j in 0..n {
                let mut s = 0i64;
                for t in 0..k {
                    s += x[j * k + t] as i64 * ws[m][r * cols + j * k + t] as i64;
                }
                refo[m][r * n + j] = s;
            }
        }
    }
    let lo: Vec<i16> = x.iter().map(|&v| (v & 0x7fff) as i16).collect();
    let hi: Vec<i16> = x.iter().map(|&v| (v >> 15) as i16).collect();
    let planes: [Vec<u8>; 3] = std::array::from_fn(|b| {
        x.iter()
            .map(|&v| (((v + (1 << 23)) as u32) >> (8 * b)) as u8)
            .collect()
    });
    let mut out = vec![0i64; rows * n];
    for variant in [
        "stream",
        "avx2",
        "avx2_prefetch",
        "vnni_split",
        "dpbusd",
        "stream",
        "avx2",
        "avx2_prefetch",
        "vnni_split",
        "dpbusd",
    ] {
        let pf = variant == "avx2_prefetch";
        let mut best = f64::MAX;
        for _ in 0..9 {
            let mut el = 0.0;
            for m in 0..mats {
                let t = Instant::now();
                let w = &ws[m];
                let mut r = 0;
                while r + 4 <= rows {
                    let o = &mut out[r * n..(r + 4) * n];
                    let wr = &w[r * cols..];
                    unsafe {
                        match variant {
                            "stream" => {
                                o[0] = stream(&wr[..4 * cols]);
                            }
                            "avx2" | "avx2_prefetch" => rows4_cur(&x, wr, k, n, o, pf),
                            "vnni_split" => rows4_vnni(&lo, &hi, wr, k, n, o),
                            _ => rows4_busd(&[], (), wr, k, n, o, &planes),
                        }
                    }
                    r += 4;
                }
                el += t.elapsed().as_secs_f64();
                if variant != "stream" {
                    assert!(out == refo[m], "{variant} wrong");
                }
            }
            best = best.min(el);
        }
        let bytes = (mats * rows * cols) as f64;
        println!(
            "{variant:14} {:.3} ms  {:.2} GB/s  {:.4} ns/product",
            best * 1e3,
            bytes / best / 1e9,
            best * 1e9 / bytes
        );
    }
}

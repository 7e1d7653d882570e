//! What committing one LLM decoding step costs at a given shape, without the model: the values
//! a step graph hands its trace sink, in value order, with the sparsity a decode step has.
//!
//! `cargo run --release --example step_trace -- LAYERS CTX KV_WIDTH DENSE STEPS`, e.g.
//! llama2-7b's shapes (`4 128 4096 250000 6`: per layer two cache inputs and the four
//! cache-append outputs `[ctx, kv_width]`, and about 250,000 dense elements of activations,
//! scores and projections). Per step: the cache inputs gain one row; the one-hot product
//! (`onehot·row`) moves its row from `p − 1` to `p`; the appended caches gain row `p`; every
//! dense value changes everywhere. Prints seconds per step (after the first, which builds
//! every tree) and the leaves committed and hashed again.

// The figures are this program's output.
#![allow(clippy::print_stdout)]

use std::time::Instant;

use verinfer_commit::IncrementalTrace;

fn arg(i: usize, default: usize) -> usize {
    std::env::args()
        .nth(i)
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// A deterministic "random" row.
fn row(seed: usize, n: usize) -> Vec<i32> {
    (0..n)
        .map(|i| {
            let x = (seed.wrapping_mul(0x9e37_79b9) ^ i.wrapping_mul(0x85eb_ca6b)) as u32;
            (x >> 12) as i32 - (1 << 19)
        })
        .collect()
}

fn main() {
    let layers = arg(1, 4);
    let ctx = arg(2, 128);
    let w = arg(3, 4096);
    let dense = arg(4, 250_000);
    let steps = arg(5, 6);
    let mut caches = vec![vec![0i32; ctx * w]; 2 * layers];
    let mut inc = IncrementalTrace::new();
    let mut times = Vec::new();
    for p in 0..steps.min(ctx) {
        let mut hashing = 0.0;
        let mut push = |inc: &mut IncrementalTrace, d: &[i32]| {
            let t = Instant::now();
            inc.push(d);
            hashing += t.elapsed().as_secs_f64();
        };
        for c in &caches {
            push(&mut inc, c);
        }
        for l in 0..layers {
            for kv in 0..2 {
                let new = row(p * 1000 + l * 2 + kv, w);
                let mut onehot_row = vec![0i32; ctx * w];
                onehot_row[p * w..(p + 1) * w].copy_from_slice(&new);
                let mut appended = caches[2 * l + kv].clone();
                appended[p * w..(p + 1) * w].copy_from_slice(&new);
                push(&mut inc, &onehot_row);
                push(&mut inc, &appended);
                caches[2 * l + kv] = appended;
            }
            push(&mut inc, &row(p * 7919 + l, dense));
        }
        let t = Instant::now();
        let _ = inc.finish_run();
        times.push(hashing + t.elapsed().as_secs_f64());
    }
    let s = inc.stats();
    let later: Vec<String> = times.iter().skip(1).map(|t| format!("{t:.4}")).collect();
    println!(
        "layers {layers} ctx {ctx} width {w} dense {dense}: first step {:.3} s, later steps {} s; leaves {} rehashed {} kept {} MiB",
        times.first().copied().unwrap_or(0.0),
        later.join(" "),
        s.leaves,
        s.rehashed,
        inc.kept_bytes() >> 20
    );
}

//! Prove and verify one `Y = X·W` by the matmul sumcheck plus HyperKZG openings of `X̃` and
//! `W̃`, then the whole `Contract` node proof (`Y = requant(X·W)`: matmul sumcheck, logUp of
//! the remainders, three openings) on 8-bit operands, and print the times: the figures the
//! next sessions improve on.
//!
//! ```text
//! cargo run --release -p verinfer-sumcheck --example matmul_timing [-- M K N]   (default 256 256 256)
//! ```
//!
//! The SRS is the INSECURE local one (a `.ptau` of power ≥ log2(max(M·K, K·N)) gives the same
//! timings). Committing `W` is per model (registration), committing `X` stands for the previous
//! layer's commitment; both are printed apart from the proof.
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

#[path = "support/dims.rs"]
mod dims;

use std::time::Instant;

use ark_std::rand::{rngs::StdRng, Rng, SeedableRng};
use verinfer_ir::{Bits, Requant};
use verinfer_sumcheck::contract::{
    matmul_contract, prove_contract, reference_outputs, verify_contract, MatmulNode,
    WeightCommitments, Weights,
};
use verinfer_sumcheck::field::fr_from_i128;
use verinfer_sumcheck::matmul::{self, FieldMatrix, MatmulShape};
use verinfer_sumcheck::pcs::{self, Srs};
use verinfer_sumcheck::Transcript;

fn main() {
    let (m, k, n) = dims::from_args();
    let mut rng = StdRng::seed_from_u64(1);
    let xs: Vec<i32> = (0..m * k)
        .map(|_| rng.gen_range(-(1 << 15)..1 << 15))
        .collect();
    let ws: Vec<i32> = (0..k * n).map(|_| rng.gen_range(-128..128)).collect();
    let x = FieldMatrix::from_i32(m, k, &xs).unwrap();
    let w = FieldMatrix::from_i32(k, n, &ws).unwrap();
    let shape = MatmulShape::of(&x, &w).unwrap();
    let mut y = vec![0i128; m * n];
    for i in 0..m {
        for l in 0..k {
            let a = i128::from(xs[i * k + l]);
            for j in 0..n {
                y[i * n + j] += a * i128::from(ws[l * n + j]);
            }
        }
    }
    let y = FieldMatrix::new(m, n, y.into_iter().map(fr_from_i128).collect()).unwrap();
    let (x_mle, w_mle, y_mle) = (x.to_mle(), w.to_mle(), y.to_mle());
    let vars = x_mle.num_vars().max(w_mle.num_vars());
    println!(
        "matmul {m}×{k}×{n} ({} threads); X̃ {} vars, W̃ {} vars",
        rayon::current_num_threads(),
        x_mle.num_vars(),
        w_mle.num_vars()
    );

    let t = Instant::now();
    let srs = Srs::insecure_local_setup_for_tests(vars, &mut rng);
    println!("insecure SRS (2^{vars} G1 powers): {:?}", t.elapsed());

    let t = Instant::now();
    let cw = pcs::commit(&srs.commit_key, &w_mle).unwrap();
    println!("commit W (per model): {:?}", t.elapsed());
    let t = Instant::now();
    let cx = pcs::commit(&srs.commit_key, &x_mle).unwrap();
    println!("commit X (previous layer): {:?}", t.elapsed());

    let start = |t: &mut Transcript| {
        t.absorb_g1(&cx.0);
        t.absorb_g1(&cw.0);
        t.absorb_frs(y.data());
        t.challenges(shape.y_vars())
    };

    let t0 = Instant::now();
    let mut tp = Transcript::new(b"verinfer.example.matmul");
    let rho = start(&mut tp);
    let proved = matmul::prove(&x, &w, &rho, &mut tp).unwrap();
    let t_sumcheck = t0.elapsed();
    let c = &proved.claims;
    let (px, _) = pcs::open(&srs.commit_key, &x_mle, &cx, &c.x_point, &mut tp).unwrap();
    let (pw, _) = pcs::open(&srs.commit_key, &w_mle, &cw, &c.w_point, &mut tp).unwrap();
    let t_prove = t0.elapsed();
    println!(
        "prove: {t_prove:?} (sumcheck {t_sumcheck:?}, two HyperKZG openings {:?})",
        t_prove - t_sumcheck
    );

    let t0 = Instant::now();
    let mut tv = Transcript::new(b"verinfer.example.matmul");
    let rho = start(&mut tv);
    let y_eval = y_mle.evaluate(&rho).unwrap();
    let t_y = t0.elapsed();
    let claims = matmul::verify(shape, &rho, y_eval, &proved.proof, &mut tv).unwrap();
    let vk = &srs.verifier_key;
    pcs::verify(vk, &cx, &claims.x_point, claims.x_eval, &px, &mut tv).unwrap();
    pcs::verify(vk, &cw, &claims.w_point, claims.w_eval, &pw, &mut tv).unwrap();
    let t_verify = t0.elapsed();
    println!("verify: {t_verify:?} (of which evaluating the public Ỹ at ρ: {t_y:?})");
    // The same two claims with one batched opening (when X̃ and W̃ have as many variables).
    if x_mle.num_vars() == w_mle.num_vars() {
        let t0 = Instant::now();
        let mut tb = Transcript::new(b"verinfer.example.batch");
        let (bp, evals) = pcs::open_batch(
            &srs.commit_key,
            &[(&x_mle, &cx, &c.x_point[..]), (&w_mle, &cw, &c.w_point[..])],
            &mut tb,
        )
        .unwrap();
        let t_open = t0.elapsed();
        let t0 = Instant::now();
        let claims = [
            pcs::Claim {
                commitment: &cx,
                point: &c.x_point,
                eval: evals[0],
            },
            pcs::Claim {
                commitment: &cw,
                point: &c.w_point,
                eval: evals[1],
            },
        ];
        pcs::verify_batch(
            &srs.verifier_key,
            &claims,
            &bp,
            &mut Transcript::new(b"verinfer.example.batch"),
        )
        .unwrap();
        println!(
            "the two openings batched into one: open {t_open:?}, verify {:?}",
            t0.elapsed()
        );
    }
    let fr = 32usize;
    let g1 = 64usize;
    let size = proved.proof.sumcheck.rounds.len() * 2 * fr
        + 2 * fr
        + [&px, &pw]
            .iter()
            .map(|p| (p.folds.len() + p.witnesses.len()) * g1 + p.evals.len() * 3 * fr)
            .sum::<usize>();
    println!("proof size (uncompressed words): {size} bytes");

    // The Contract node: 8-bit X and W, 16-bit output, shift 8 (no output clamps).
    let xs: Vec<i32> = (0..m * k).map(|_| rng.gen_range(-128..128)).collect();
    let ws: Vec<i32> = (0..k * n).map(|_| rng.gen_range(-128..128)).collect();
    let c = matmul_contract(
        (m, k, n),
        Requant {
            mult: 1,
            shift: 8,
            bits: Bits::new(16).unwrap(),
        },
        None,
    );
    let node = MatmulNode::from_contract(&c).unwrap();
    let weights = Weights { w: &ws, bias: None };
    let ys = reference_outputs(&c, &node, &xs, weights).unwrap();
    let cw = WeightCommitments::commit(&srs.commit_key, &node, weights).unwrap();
    let t0 = Instant::now();
    let proof = prove_contract(&srs.commit_key, &node, &xs, weights, &cw, &ys).unwrap();
    let t_prove = t0.elapsed();
    let t0 = Instant::now();
    verify_contract(&srs.verifier_key, &node, &xs, &cw, &ys, &proof).unwrap();
    println!(
        "Contract node {m}×{k}×{n} + requant (shift 8): prove {t_prove:?}, verify {:?}",
        t0.elapsed()
    );
}

//! The `Contract` node proof on the EVM: prove one `Y = requant(X·W)` (8-bit operands, shift 8,
//! 16-bit output), verify it natively and on the in-process EVM (revm), and print the proof
//! size, prove and verify times, the verifier's bytecode size and the gas of the whole
//! verification and of each piece (standalone sumcheck, HyperKZG opening and batched opening
//! through `SumcheckHarness`, at the node's sizes).
//!
//! ```text
//! cargo run --release -p verinfer-sumcheck --example evm_gas [-- M K N]   (default 256 256 256)
//! ```
//!
//! Gas is a transaction's (21 000 and calldata included). The SRS is the INSECURE local one.
#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

#[path = "support/dims.rs"]
mod dims;
#[path = "../tests/it/common/evm.rs"]
mod evm;

use std::time::Instant;

use alloy_sol_types::SolCall;
use ark_bn254::Fr;
use ark_ff::UniformRand;
use ark_serialize::CanonicalSerialize;
use ark_std::rand::{rngs::StdRng, SeedableRng};
use evm::*;
use verinfer_chain::{Chain, ChainError, Tx, U256};
use verinfer_sumcheck::contract::{prove_contract, verify_contract, WeightCommitments};
use verinfer_sumcheck::evm::{contract_words, opening_words, sumcheck_words};
use verinfer_sumcheck::pcs::{self, Srs};
use verinfer_sumcheck::{sumcheck, DenseMle, Transcript};

fn main() {
    let (m, k, n) = dims::from_args();
    let mut rng = StdRng::seed_from_u64(1);
    let c = Case::random(&mut rng, (m, k, n), 1, 8, None);
    let (a, lk, b) = c.node.log_dims();
    let vars = (a + b).max(lk + b).max(8);
    let srs = Srs::insecure_local_setup_for_tests(vars, &mut rng);
    let (ck, vk) = (&srs.commit_key, &srs.verifier_key);
    let cw = WeightCommitments::commit(ck, &c.node, c.weights()).unwrap();

    let t = Instant::now();
    let proof = prove_contract(ck, &c.node, &c.x, c.weights(), &cw, &c.y).unwrap();
    let prove = t.elapsed();
    let t = Instant::now();
    verify_contract(vk, &c.node, &c.x, &cw, &c.y, &proof).unwrap();
    let verify = t.elapsed();
    let words = contract_words(&proof);

    let mut chain = Evm::new();
    let (at, size) = deploy_node(&mut chain, &c.node, &cw, vk).unwrap();
    // Past the per-transaction cap (2^24 gas) the call halts: say so instead of a figure.
    let gas = match node_verdict(&mut chain, at, &c.x, &c.y, &words) {
        Ok(true) => node_gas(&mut chain, at, &c.x, &c.y, &words).to_string(),
        Ok(false) => panic!("the verifier returned false"),
        Err(e) => format!("none: {e}"),
    };
    // The same transaction with `y` one element short: it stops at the length check, so its
    // gas is the transaction's base and calldata cost alone.
    let short = ContractNodeVerifier::verifyCall {
        x: packed(&c.x),
        y: packed(&c.y[1..]),
        proof: us(&words),
    };
    let mut tx = Tx::call(chain.from, at, short.abi_encode(), "calldata only");
    tx.gas_limit = Some(TX_GAS_CAP);
    let base = match chain.chain.send(tx) {
        Err(ChainError::Reverted { gas_used, .. }) => gas_used.to_string(),
        Err(ChainError::Halted { reason, .. }) => format!("none ({reason})"),
        other => panic!("expected the length check to revert: {other:?}"),
    };
    println!(
        "Contract node {m}×{k}×{n} (shift 8, 8-bit operands), {} threads",
        rayon::current_num_threads()
    );
    println!(
        "  proof: {} bytes (arkworks, compressed), {} words = {} bytes of EVM calldata",
        proof.compressed_size(),
        words.len(),
        32 * words.len()
    );
    println!(
        "  prove {:.3} s, verify natively {:.1} ms",
        prove.as_secs_f64(),
        verify.as_secs_f64() * 1e3
    );
    println!("  ContractNodeVerifier: {size} bytes deployed; verify tx {gas} gas, a transaction carrying the same calldata and stopping at once: {base} (x, y: {} bytes)", 4 * (m * k + m * n));

    // The pieces, standalone at the node's sizes.
    let harness = chain.harness();
    let label = b"verinfer.evm.gas".to_vec();
    for (nv, d) in [(lk, 2), (a + b, 3), (vars, 2)] {
        let factors: Vec<DenseMle> = (0..d).map(|_| random_mle(&mut rng, nv)).collect();
        let p = sumcheck::prove(factors, &mut Transcript::new(&label)).unwrap();
        let mut w = Vec::new();
        sumcheck_words(&p.proof, &mut w);
        let g = chain.gas(
            harness,
            &SumcheckHarness::sumcheckProductCall {
                label: label.clone().into(),
                numVars: U256::from(nv),
                degree: U256::from(d),
                claim: fr_u(&p.claim),
                proof: us(&w),
            },
        );
        println!("  sumcheck, {nv} variables, degree {d}: {g} gas");
    }
    let f = random_mle(&mut rng, vars);
    let cf = pcs::commit(ck, &f).unwrap();
    let point: Vec<Fr> = (0..vars).map(|_| Fr::rand(&mut rng)).collect();
    let (op, eval) = pcs::open(ck, &f, &cf, &point, &mut Transcript::new(&label)).unwrap();
    let mut w = Vec::new();
    opening_words(&op, &mut w);
    let g = chain.gas(
        harness,
        &SumcheckHarness::hyperkzgCall {
            label: label.clone().into(),
            vk: vk_u(vk),
            commitment: g1_u(&cf.0),
            point: frs_u(&point),
            eval: fr_u(&eval),
            proof: us(&w),
        },
    );
    println!("  HyperKZG opening, {vars} variables: {g} gas");
    let batch = RandomBatch::new(&mut rng, ck, &[vars; 6], &label);
    let claims = batch.claims(&batch.evals);
    let g = chain.gas(harness, &batch_call(&label, vk, &claims, &batch.proof));
    println!("  batched opening, 6 claims of {vars} variables: {g} gas");
}

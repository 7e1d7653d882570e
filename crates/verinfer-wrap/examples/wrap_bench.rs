//! Measures the outer proof of a synthetic sumcheck-shaped tape (`verinfer_tape::synthetic`):
//! tape size, circuit size, keygen, prove, native verify, proof bytes, and — when `node` and
//! the repository's solc-js are installed (`npm ci --prefix contracts`) — the EVM verifier's
//! deployed size and gas on the in-process revm chain.
//!
//! `cargo run --release --example wrap_bench -- ROUNDS [MAX_ADVICE_COLUMNS]`
//! (peak memory: run the built binary under `/usr/bin/time -v`).
//!
//! The SRS is the insecure test one (its generation is timed apart, not part of keygen).
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::Instant;

use rand_chacha::rand_core::SeedableRng;
use verinfer_chain::{Chain, RevmChain, Tx};
use verinfer_tape::synthetic;
use verinfer_wrap::{evm, srs};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let rounds: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(100);
    let max_advice: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(4);

    let t = Instant::now();
    let (tape, values) = synthetic::sumcheck_like(rounds, 1).unwrap();
    let record_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    verinfer_tape::check(&tape, &values).unwrap();
    let check_s = t.elapsed().as_secs_f64();
    let shape = verinfer_wrap::circuit_shape(&tape).unwrap();
    let k = shape.k_for_columns(max_advice);
    println!(
        "rounds {rounds}: {} ops ({:?}), {} publics, {} witnesses; record {record_s:.3} s, native check {check_s:.3} s",
        tape.ops().len(),
        tape.op_counts(),
        tape.num_public(),
        tape.num_witness()
    );
    println!(
        "circuit: {} advice cells, {} constants; k = {k} for <= {max_advice} advice columns",
        shape.advice_cells, shape.fixed_cells
    );

    let t = Instant::now();
    let params = srs::insecure_for_tests(k, 1);
    println!(
        "insecure SRS 2^{k}: {:.2} s (not part of keygen)",
        t.elapsed().as_secs_f64()
    );

    let t = Instant::now();
    let keys = verinfer_wrap::keygen(&params, &tape).unwrap();
    println!(
        "keygen: {:.2} s (k = {}, {} advice columns, {} fixed columns)",
        t.elapsed().as_secs_f64(),
        keys.k(),
        keys.num_advice(),
        keys.config.num_fixed
    );

    let t = Instant::now();
    let proof = verinfer_wrap::prove(
        &params,
        &keys,
        &tape,
        &values,
        rand_chacha::ChaCha20Rng::seed_from_u64(3),
    )
    .unwrap();
    println!(
        "prove: {:.2} s, {} proof bytes",
        t.elapsed().as_secs_f64(),
        proof.len()
    );

    let t = Instant::now();
    verinfer_wrap::verify(&params, &keys, &values.public, &proof).unwrap();
    println!("native verify: {:.1} ms", t.elapsed().as_secs_f64() * 1e3);

    let t = Instant::now();
    let source = evm::solidity(&params, &keys).unwrap();
    println!(
        "solidity: {} bytes of source, generated in {:.2} s",
        source.len(),
        t.elapsed().as_secs_f64()
    );
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let scratch = root.join("target/wrap-bench");
    match evm::compile_with_solc_js(&root.join("contracts"), &scratch, &source) {
        Err(e) => println!("EVM: skipped ({e})"),
        Ok(code) => {
            let mut chain = RevmChain::new().unwrap();
            let from = chain.accounts()[0];
            let deployed = match chain.send(Tx::deploy(from, code.clone(), "Halo2Verifier")) {
                Ok(d) => d,
                Err(e) => {
                    println!(
                        "EVM: {} bytes creation code; deploy failed: {e}",
                        code.len()
                    );
                    return;
                }
            };
            let at = deployed.contract_address.unwrap();
            let size = chain.code_at(at).unwrap().len();
            let calldata = evm::calldata(&values.public, &proof);
            let r = chain.send(Tx::call(from, at, calldata.clone(), "verify"));
            match r {
                Ok(r) => println!(
                    "EVM: {} bytes creation code, {size} bytes deployed (EIP-170 limit 24576), deploy {} gas, verify {} gas (transaction, {} calldata bytes)",
                    code.len(),
                    deployed.gas_used,
                    r.gas_used,
                    calldata.len()
                ),
                Err(e) => println!("EVM: verify failed: {e}"),
            }
        }
    }
}

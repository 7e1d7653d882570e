//! Shared fixtures: a small sumcheck-shaped tape, its keys on an insecure test SRS, a proof.

use std::sync::OnceLock;

use rand_chacha::rand_core::SeedableRng;
use verinfer_tape::{synthetic, Tape, Values};
use verinfer_wrap::{srs, Bn256, ParamsKZG, WrapKeys};

/// Rounds of the shared fixture's tape (one 4-word Poseidon hash a round: three permutations).
pub const ROUNDS: usize = 2;

pub struct Fixture {
    pub srs: ParamsKZG<Bn256>,
    pub tape: Tape,
    pub values: Values,
    pub keys: WrapKeys,
    pub proof: Vec<u8>,
}

/// The fixture, built once per test binary.
pub fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let (tape, values) = synthetic::sumcheck_like(ROUNDS, 7).unwrap();
        let shape = verinfer_wrap::circuit_shape(&tape).unwrap();
        let k = shape.k_for_columns(4);
        assert!(k <= 13, "k = {k}");
        let srs = srs::insecure_for_tests(k, 1);
        let (keys, proof) = keyed_proof(&srs, &tape, &values, 9);
        Fixture {
            srs,
            tape,
            values,
            keys,
            proof,
        }
    })
}

/// Keys of `tape` on `srs` and a proof of `values` with a prover seeded by `seed`.
pub fn keyed_proof(
    srs: &ParamsKZG<Bn256>,
    tape: &Tape,
    values: &Values,
    seed: u64,
) -> (WrapKeys, Vec<u8>) {
    let keys = verinfer_wrap::keygen(srs, tape).unwrap();
    let rng = rand_chacha::ChaCha20Rng::seed_from_u64(seed);
    let proof = verinfer_wrap::prove(srs, &keys, tape, values, rng).unwrap();
    (keys, proof)
}

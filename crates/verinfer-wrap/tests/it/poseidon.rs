//! The native Poseidon of `verinfer-tape` is halo2-base's: its constants equal
//! `poseidon-primitives`' generated ones, and its hash equals the in-circuit
//! `PoseidonHasher::hash_fix_len_array` on random inputs of every length up to 7.

use ark_ff::UniformRand;
use ark_std::rand::{rngs::StdRng, SeedableRng};
use halo2_base::gates::circuit::builder::BaseCircuitBuilder;
use halo2_base::gates::GateChip;
use halo2_base::halo2_proofs::halo2curves::bn256::Fr as HFr;
use halo2_base::halo2_proofs::halo2curves::ff::Field;
use halo2_base::poseidon::hasher::{spec::OptimizedPoseidonSpec, PoseidonHasher};
use poseidon_primitives::poseidon::primitives::Spec;
use verinfer_tape::poseidon;
use verinfer_wrap::convert::{fr_from_halo2, fr_to_halo2};

#[derive(Debug)]
struct P128Pow5T3;

impl Spec<HFr, 3, 2> for P128Pow5T3 {
    fn full_rounds() -> usize {
        8
    }
    fn partial_rounds() -> usize {
        57
    }
    fn sbox(val: HFr) -> HFr {
        val.pow_vartime([5])
    }
    fn secure_mds() -> usize {
        0
    }
}

#[test]
fn native_constants_are_poseidon_primitives() {
    let (rc, mds, _) = P128Pow5T3::constants();
    let ours = poseidon::constants();
    assert_eq!(rc.len(), ours.round_constants.len());
    for (a, b) in rc.iter().zip(&ours.round_constants) {
        for (x, y) in a.iter().zip(b) {
            assert_eq!(fr_from_halo2(x), *y);
        }
    }
    for (a, b) in mds.iter().zip(&ours.mds) {
        for (x, y) in a.iter().zip(b) {
            assert_eq!(fr_from_halo2(x), *y);
        }
    }
}

#[test]
fn native_hash_is_the_in_circuit_hash() {
    let mut rng = StdRng::seed_from_u64(5);
    let gate = GateChip::<HFr>::default();
    let mut builder = BaseCircuitBuilder::<HFr>::new(false);
    let ctx = builder.main(0);
    let mut hasher = PoseidonHasher::<HFr, 3, 2>::new(OptimizedPoseidonSpec::new::<8, 57, 0>());
    hasher.initialize_consts(ctx, &gate);
    for len in 0..8 {
        for _ in 0..3 {
            let xs: Vec<ark_bn254::Fr> = (0..len).map(|_| ark_bn254::Fr::rand(&mut rng)).collect();
            let cells: Vec<_> = xs
                .iter()
                .map(|x| ctx.load_witness(fr_to_halo2(x)))
                .collect();
            let h = hasher.hash_fix_len_array(ctx, &gate, &cells);
            assert_eq!(
                fr_from_halo2(h.value()),
                poseidon::hash(&xs),
                "length {len}"
            );
        }
    }
}

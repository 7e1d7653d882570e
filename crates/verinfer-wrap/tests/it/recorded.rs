//! A real verifier wrapped end to end: a matrix-product sumcheck proof (verinfer-sumcheck,
//! Poseidon transcript), its verification recorded as a tape, the tape proven by the outer
//! circuit, and that proof checked natively and by the generated EVM verifier.

use ark_ff::Field;
use verinfer_chain::{Chain, ChainError, Tx};
use verinfer_sumcheck::matmul::{self, FieldMatrix, MatmulShape};
use verinfer_sumcheck::record::{self, PoseidonTranscript};
use verinfer_tape::Fr;
use verinfer_wrap::{evm, srs};

const LABEL: &[u8] = b"verinfer.wrap.matmul-test";

/// `Y = X·W` for a `2×8` by `8×4` product of small seeded integers, proven at a fixed point:
/// the shape, the point, `Ỹ(point)` and the sumcheck.
fn proven_product() -> (
    MatmulShape,
    Vec<Fr>,
    Fr,
    verinfer_sumcheck::sumcheck::SumcheckProof,
) {
    let (m, k, n) = (2, 8, 4);
    let x: Vec<i32> = (0..m * k).map(|i| (i as i32 * 5) % 13 - 6).collect();
    let w: Vec<i32> = (0..k * n).map(|i| (i as i32 * 7) % 11 - 5).collect();
    let shape = MatmulShape::new(m, k, n).unwrap();
    let point: Vec<Fr> = (0..shape.y_vars())
        .map(|i| Fr::from(i as u64 + 17))
        .collect();
    let xm = FieldMatrix::from_i32(m, k, &x).unwrap();
    let wm = FieldMatrix::from_i32(k, n, &w).unwrap();
    let mut t = PoseidonTranscript::<Fr>::new(LABEL);
    let proved = matmul::prove(&xm, &wm, &point, &mut t).unwrap();
    (shape, point, proved.y_eval, proved.proof.sumcheck)
}

#[test]
#[allow(clippy::print_stdout)]
fn a_recorded_matrix_product_verifier_proves_and_verifies_on_the_evm() {
    let (shape, point, y_eval, proof) = proven_product();
    let (tape, values) = record::matmul(shape, &point, y_eval, &proof, LABEL).unwrap();
    let k = verinfer_wrap::circuit_shape(&tape)
        .unwrap()
        .k_for_columns(4);
    assert!(k <= 14, "k = {k}");
    let srs = srs::insecure_for_tests(k, 3);
    let (keys, outer) = crate::common::keyed_proof(&srs, &tape, &values, 5);
    verinfer_wrap::verify(&srs, &keys, &values.public, &outer).unwrap();

    // A false claim `Ỹ(point) = y + 1` is refused: natively, and the honest proof of the
    // true claim does not verify for it.
    let mut claim = values.public.clone();
    claim[point.len()] += Fr::ONE;
    assert!(verinfer_wrap::verify(&srs, &keys, &claim, &outer).is_err());

    let (chain, from, at, size) = crate::evm::deploy(&srs, &keys, "wrap-recorded");
    let call = |public: &[Fr]| {
        let mut chain = chain.clone();
        chain.send(Tx::call(from, at, evm::calldata(public, &outer), "verify"))
    };
    let ok = call(&values.public).unwrap();
    println!(
        "recorded matmul verifier: {} ops, {} public inputs, k = {k}, {size} bytes deployed, \
         {} proof bytes, {} gas",
        tape.ops().len(),
        values.public.len(),
        outer.len(),
        ok.gas_used
    );
    assert!(matches!(call(&claim), Err(ChainError::Reverted { .. })));
}

//! The generated EVM verifier (compiled with the pinned solc-js, deployed on the in-process
//! revm chain) accepts the honest proof and reverts on a tampered public input or proof byte.

use std::path::{Path, PathBuf};

use ark_ff::Field;
use verinfer_chain::{Chain, ChainError, RevmChain, Tx};
use verinfer_tape::Fr;
use verinfer_wrap::evm;

use crate::common::fixture;

/// EIP-170: the most bytes of deployed code.
const MAX_CODE: usize = 24_576;

/// The generated verifier of `keys`, compiled in `scratch` and deployed on a fresh in-process
/// chain: the chain, the sender, the contract and its deployed size (checked against EIP-170).
pub fn deploy(
    srs: &verinfer_wrap::ParamsKZG<verinfer_wrap::Bn256>,
    keys: &verinfer_wrap::WrapKeys,
    scratch: &str,
) -> (
    RevmChain,
    verinfer_chain::Address,
    verinfer_chain::Address,
    usize,
) {
    let source = evm::solidity(srs, keys).unwrap();
    let contracts = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../contracts");
    let scratch = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(scratch);
    let code = evm::compile_with_solc_js(&contracts, &scratch, &source).unwrap();
    let mut chain = RevmChain::new().unwrap();
    let from = chain.accounts()[0];
    let deployed = chain.send(Tx::deploy(from, code, "Halo2Verifier")).unwrap();
    let at = deployed.contract_address.unwrap();
    let size = chain.code_at(at).unwrap().len();
    assert!(size <= MAX_CODE, "{size} bytes deployed");
    (chain, from, at, size)
}

#[test]
#[allow(clippy::print_stdout)]
fn evm_verifier_accepts_honest_and_rejects_tampered() {
    let f = fixture();
    let (chain, from, at, size) = deploy(&f.srs, &f.keys, "wrap-evm");

    let call = |data: Vec<u8>| {
        let mut chain = chain.clone();
        chain.send(Tx::call(from, at, data, "verify"))
    };
    let honest = call(evm::calldata(&f.values.public, &f.proof)).unwrap();
    println!(
        "wrap EVM verifier: k = {}, {} advice columns, {} deployed bytes, {} proof bytes, {} gas",
        f.keys.k(),
        f.keys.num_advice(),
        size,
        f.proof.len(),
        honest.gas_used
    );

    let mut public = f.values.public.clone();
    public[0] += Fr::ONE;
    assert!(matches!(
        call(evm::calldata(&public, &f.proof)),
        Err(ChainError::Reverted { .. })
    ));
    for at_byte in [0, f.proof.len() / 2, f.proof.len() - 1] {
        let mut proof = f.proof.clone();
        proof[at_byte] ^= 1;
        assert!(
            call(evm::calldata(&f.values.public, &proof)).is_err(),
            "byte {at_byte}"
        );
    }
}

//! Groth16 through the proof-system seam (`verinfer_prove`): the object-safe form proves and
//! verifies, its statement words are the field elements the circuit binds, keys of another
//! type are refused, a changed statement is rejected, and the proof calldata is the generic
//! verifier's eight words, which the `IProofVerifier` adapter (`Groth16ProofVerifier.sol`)
//! checks against the digest statement on chain. On the digits MLP's shape in small
//! (`verinfer_testing::models::small_mlp_trace`), so that setups and proofs take seconds.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use alloy_primitives::{B256, U256};
use ark_std::rand::{rngs::StdRng, SeedableRng};
use verinfer_chain::bindings_zk::Groth16ProofVerifier::Groth16ProofVerifierErrors;
use verinfer_chain::{Chain, RevmChain};
use verinfer_ir::Model;
use verinfer_prove::{
    AnyKey, Context, DynBackend, ProofBackend, ProveError, Statement, Vis, Visibility,
};
use verinfer_zk::evm::EvmError;
use verinfer_zk::{binding, evm, Bn254Values, Groth16, PublicValues};

fn words_of(p: &PublicValues) -> Vec<B256> {
    p.to_field_elements()
        .unwrap()
        .iter()
        .map(|x| B256::from(binding::fr_word(x)))
        .collect()
}

#[test]
fn groth16_through_the_dyn_form() {
    let (g, trace) = verinfer_testing::models::small_mlp_trace();
    let model = Model::new(g).unwrap();
    let backend: Box<dyn DynBackend> = Box::new(Groth16);
    assert_eq!(backend.name(), "groth16");
    let vis = Visibility {
        params: Vis::Hashed,
        statement: Statement::Digest,
        ..Visibility::default()
    };
    backend.supports(&model, vis).unwrap();
    assert!(backend.size(&model, vis).unwrap() > 0);
    let mut rng = StdRng::seed_from_u64(5);
    let keys = backend.setup(&model, vis, &mut rng).unwrap();
    assert_eq!(backend.public_inputs(&keys.verifying).unwrap(), 1);
    let ctx = Context {
        model_id: B256::repeat_byte(3),
        chain_id: U256::from(31337u64),
        tag: U256::from(9u8),
        ..Context::default()
    };
    let proved = backend
        .prove(&keys.proving, &model, vis, &ctx, trace.clone(), &mut rng)
        .unwrap();
    backend
        .verify(&keys.verifying, &proved.public, &proved.proof)
        .unwrap();
    assert_eq!(
        proved.public.param_hash,
        Some(backend.param_hash(&model).unwrap())
    );

    // The neutral words are the circuit's public inputs, under both statement kinds.
    let ours = PublicValues::from_neutral(&proved.public).unwrap();
    assert_eq!(ours.to_neutral(), proved.public);
    assert_eq!(proved.public.words().unwrap(), words_of(&ours));
    assert_eq!(
        proved.public.digest().unwrap(),
        B256::from(binding::fr_word(&ours.digest().unwrap()))
    );
    let mut packed = proved.public.clone();
    packed.visibility.statement = Statement::Packed;
    let mut packed_ours = ours.clone();
    packed_ours.visibility.statement = Statement::Packed;
    assert_eq!(packed.words().unwrap(), words_of(&packed_ours));

    // Keys and proofs round-trip through bytes.
    let vk_bytes = backend.write_verifying_key(&keys.verifying).unwrap();
    let vk = backend.read_verifying_key(&vk_bytes).unwrap();
    let pk = backend
        .read_proving_key(&backend.write_proving_key(&keys.proving).unwrap())
        .unwrap();
    let again = backend
        .prove(&pk, &model, vis, &ctx, trace, &mut rng)
        .unwrap();
    backend.verify(&vk, &again.public, &again.proof).unwrap();

    // Another context, another output: rejected.
    let mut other = proved.public.clone();
    other.context.tag = U256::from(10u8);
    assert!(matches!(
        backend.verify(&vk, &other, &proved.proof),
        Err(ProveError::Rejected)
    ));
    let mut other = proved.public.clone();
    other.outputs[0][0] ^= 1;
    assert!(matches!(
        backend.verify(&vk, &other, &proved.proof),
        Err(ProveError::Rejected)
    ));
    // A hash at or above the modulus is a bad statement, not a rejection.
    let mut other = proved.public.clone();
    other.param_hash = Some(B256::repeat_byte(0xff));
    let e = backend.verify(&vk, &other, &proved.proof).unwrap_err();
    assert!(matches!(e, ProveError::Statement(_)), "{e}");
    assert!(!e.is_transient());

    // Keys of another type, garbage proof bytes.
    let foreign = AnyKey::new("other", 7u32);
    assert!(matches!(
        backend.verify(&foreign, &proved.public, &proved.proof),
        Err(ProveError::WrongBackend {
            expected: "groth16",
            found: "other"
        })
    ));
    assert!(matches!(
        backend.verify(&vk, &proved.public, &[1, 2, 3]),
        Err(ProveError::Malformed { what: "proof", .. })
    ));

    // The calldata is abi.encode(uint256[8]) of the generic verifier's words.
    let calldata = backend.proof_calldata(&proved.proof).unwrap();
    let proof = ProofBackend::read_proof(&Groth16, &proved.proof).unwrap();
    let words: Vec<u8> = evm::proof_words(&proof)
        .iter()
        .flat_map(|w| w.to_be_bytes::<32>())
        .collect();
    assert_eq!(calldata, words);
    assert!(backend
        .solidity_verifier(&vk)
        .unwrap()
        .contains("contract Verifier"));
}

#[test]
fn the_proof_verifier_adapter_checks_the_digest_statement() {
    let (g, trace) = verinfer_testing::models::small_mlp_trace();
    let model = Model::new(g).unwrap();
    let backend: Box<dyn DynBackend> = Box::new(Groth16);
    let digest = Visibility {
        statement: Statement::Digest,
        ..Visibility::default()
    };
    let mut rng = StdRng::seed_from_u64(8);
    let keys = backend.setup(&model, digest, &mut rng).unwrap();
    let ctx = Context::of_model(B256::repeat_byte(4));
    let proved = backend
        .prove(&keys.proving, &model, digest, &ctx, trace.clone(), &mut rng)
        .unwrap();
    let calldata = backend.proof_calldata(&proved.proof).unwrap();
    let statement = proved.public.digest().unwrap();

    let mut chain = RevmChain::new().unwrap();
    let from = chain.accounts()[0];
    let vk = ProofBackend::read_verifying_key(
        &Groth16,
        &backend.write_verifying_key(&keys.verifying).unwrap(),
    )
    .unwrap();
    let (groth16, _) = evm::deploy_verifier(&mut chain, from, &vk).unwrap();
    let (adapter, receipt) = evm::deploy_proof_verifier(&mut chain, from, groth16).unwrap();
    eprintln!("GAS: Groth16ProofVerifier deploy: {}", receipt.gas_used);
    let check = |chain: &mut RevmChain, proof: &[u8], st: B256| {
        evm::check_statement_on_chain(chain, from, adapter, proof, st)
    };
    assert!(check(&mut chain, &calldata, statement).unwrap());
    // What the adapter costs over the generic verifier (one call, the bytes decoding).
    let words: [U256; 8] =
        std::array::from_fn(|i| U256::from_be_slice(&calldata[32 * i..32 * (i + 1)]));
    let direct = evm::verify_words_on_chain(
        &mut chain,
        from,
        groth16,
        &words,
        &[U256::from_be_bytes(statement.0)],
    )
    .unwrap();
    assert!(direct.accepted);
    let call = verinfer_chain::bindings_zk::Groth16ProofVerifier::verifyCall {
        proof: calldata.clone().into(),
        statement,
    };
    let via = verinfer_chain::send_call(&mut chain, from, adapter, &call, "verify").unwrap();
    eprintln!(
        "GAS: digest proof, Groth16Verifier.verifyProof {} / IProofVerifier.verify {} (tx gas)",
        direct.gas_used, via.gas_used
    );
    // Another statement (another request, another output) is refused.
    let mut other = proved.public.clone();
    other.context.tag = U256::from(1u8);
    assert!(!check(&mut chain, &calldata, other.digest().unwrap()).unwrap());
    let mut other = proved.public.clone();
    other.outputs[0][0] ^= 1;
    assert!(!check(&mut chain, &calldata, other.digest().unwrap()).unwrap());
    // A tampered proof word is refused; a proof of another length reverts by name.
    let mut tampered = calldata.clone();
    tampered[31] ^= 1;
    assert!(!matches!(check(&mut chain, &tampered, statement), Ok(true)));
    match check(&mut chain, &calldata[..255], statement) {
        Err(EvmError::AdapterReverted(Groth16ProofVerifierErrors::MalformedProof(e))) => {
            assert_eq!(e.length, U256::from(255u16));
        }
        other => panic!("expected MalformedProof, got {other:?}"),
    }

    // The adapter refuses a packed-statement key at deployment.
    let packed = backend
        .setup(&model, Visibility::default(), &mut rng)
        .unwrap();
    let vk = ProofBackend::read_verifying_key(
        &Groth16,
        &backend.write_verifying_key(&packed.verifying).unwrap(),
    )
    .unwrap();
    let (g16, _) = evm::deploy_verifier(&mut chain, from, &vk).unwrap();
    match evm::deploy_proof_verifier(&mut chain, from, g16) {
        Err(EvmError::AdapterReverted(Groth16ProofVerifierErrors::NotADigestKey(e))) => {
            assert!(e.publicInputs > U256::from(1u8));
        }
        other => panic!("expected NotADigestKey, got {other:?}"),
    }
}

/// The proof-system conformance suite (verinfer-testing) over Groth16.
mod conformance {
    verinfer_testing::proof_system_conformance!(verinfer_zk::Groth16);
}

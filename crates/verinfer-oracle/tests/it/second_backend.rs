//! A second proof backend behind `IProofVerifier`, with no change to the oracle or AIGC:
//! `SignedStatementVerifier` (contracts/harness) accepts a secp256k1 signature by one attesting
//! key over its own encoding of the digest statement — another proof system, another proof
//! encoding (65 bytes, not Groth16's 256), another statement encoding. Published as a zk
//! configuration, it answers oracle requests and backs AIGC zk evidence exactly as the Groth16
//! adapter does: the same deployed `InferenceOracle` and `AIGC` bytecode, the same calls.
//! Forged, misbound and malformed "proofs" are refused by name.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;
use alloy::signers::local::PrivateKeySigner;
use alloy::signers::SignerSync;
use alloy_sol_types::{SolConstructor, SolInterface, SolValue};
use common::*;
use verinfer_chain::bindings_oracle::InferenceOracle::InferenceOracleErrors as E;
use verinfer_chain::bindings_oracle::SignedStatementVerifier::{
    self, SignedStatementVerifierErrors as S,
};
use verinfer_chain::bindings_oracle::AIGC::AIGCErrors as A;
use verinfer_chain::{Address, Bytes, Chain, Tx, B256, U256};
use verinfer_oracle::{AigcProof, CallbackOutcome, RequestStatus, ZkSettings};

/// secp256k1 group order.
fn n() -> U256 {
    U256::from_be_slice(&[
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xfe, 0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36,
        0x41, 0x41,
    ])
}

fn key(byte: u8) -> PrivateKeySigner {
    verinfer_chain::parse_key(&format!("0x{}", hex_byte(byte).repeat(32))).unwrap()
}

fn hex_byte(b: u8) -> String {
    format!("{b:02x}")
}

/// The backend's "prover": `signer`'s signature `r ‖ s ‖ v` over the verifier's encoding of
/// `statement` (computed here, checked against the contract's `digestOf`).
fn attest(env: &mut Env, signer: &PrivateKeySigner, verifier: Address, statement: B256) -> Bytes {
    let chain_id = U256::from(env.chain.chain_id());
    let domain = B256::right_padding_from(b"verinfer.signed-statement.v1");
    let digest = alloy_primitives::keccak256((domain, chain_id, verifier, statement).abi_encode());
    let on_chain: B256 = verinfer_chain::view(
        &mut env.chain,
        env.who.owner,
        verifier,
        &SignedStatementVerifier::digestOfCall { statement },
        "SignedStatementVerifier.digestOf",
    )
    .unwrap();
    assert_eq!(digest, on_chain);
    Bytes::from(signer.sign_hash_sync(&digest).unwrap().as_bytes().to_vec())
}

/// The digest statement of `input` → `outputs` bound to `contract`, `tag` and `answerer`, as
/// the prover computes it (the Rust mirror of `ZkStatement`).
fn statement(
    env: &Env,
    cfg: &ZkSettings,
    contract: Address,
    tag: U256,
    answerer: Address,
    input: &[Vec<i32>],
    outputs: &[Vec<i32>],
) -> B256 {
    let ctx = env.zk_context(contract, tag, answerer);
    let words = verinfer_oracle::public_inputs(
        &ctx,
        input,
        u32::from(cfg.input_bits),
        cfg.param_hash,
        outputs,
        u32::from(cfg.output_bits),
        true,
    )
    .unwrap();
    B256::from(words[0])
}

fn signed_reason(e: E) -> S {
    let E::VerifierReverted(v) = e else {
        panic!("expected VerifierReverted, got {e:?}")
    };
    S::abi_decode(&v.reason).unwrap()
}

#[test]
fn a_second_backend_answers_requests_and_backs_aigc_evidence_unchanged() {
    let mut env = env();
    let (g, input) = mlp().clone();
    let outs = outputs(&exec(&g, &input));
    let (owner, node, holder) = (env.who.owner, env.who.node, env.who.requester);
    let (attester, forger) = (key(0x11), key(0x22));

    let mut code = SignedStatementVerifier::BYTECODE.to_vec();
    code.extend_from_slice(
        &SignedStatementVerifier::constructorCall {
            signer_: attester.address(),
        }
        .abi_encode(),
    );
    let r = env
        .chain
        .send(Tx::deploy(
            owner,
            Bytes::from(code),
            "deploy SignedStatementVerifier",
        ))
        .unwrap();
    let verifier = r.contract_address.unwrap();
    let cfg = publish_verifier(&mut env, &g, verifier, None);

    // The oracle asks the new backend about the same statement it asks Groth16 about.
    let req = env.request_zk(&input, 1);
    let oracle = env.oracle.address;
    let st = statement(&env, &cfg, oracle, U256::from(req), node, &input, &outs);
    assert_eq!(
        env.oracle_statement(1, req, node, &input, &outs).unwrap(),
        st
    );
    let good = attest(&mut env, &attester, verifier, st);
    assert_eq!(good.len(), 65);
    let answer = |env: &mut Env, from: Address, outputs: &[Vec<i32>], proof: Bytes| {
        env.oracle
            .answer_with_proof(&mut env.chain, from, req, outputs, proof)
    };

    // Forged: another key; misbound: the right key over another answerer's or another
    // output's statement; copied: someone else sending the node's proof.
    let forged = attest(&mut env, &forger, verifier, st);
    assert!(matches!(
        oracle_err(answer(&mut env, node, &outs, forged)),
        E::InvalidProof(_)
    ));
    let for_thief = statement(&env, &cfg, oracle, U256::from(req), owner, &input, &outs);
    let misbound = attest(&mut env, &attester, verifier, for_thief);
    assert!(matches!(
        oracle_err(answer(&mut env, node, &outs, misbound)),
        E::InvalidProof(_)
    ));
    let mut lie = outs.clone();
    lie[0][0] += 1;
    assert!(matches!(
        oracle_err(answer(&mut env, node, &lie, good.clone())),
        E::InvalidProof(_)
    ));
    assert!(matches!(
        oracle_err(answer(&mut env, owner, &outs, good.clone())),
        E::InvalidProof(_)
    ));
    // Malformed for this backend: its own errors, named through the oracle's VerifierReverted.
    let short = good.slice(..64);
    assert!(matches!(
        signed_reason(oracle_err(answer(&mut env, node, &outs, short))),
        S::MalformedProof(m) if m.length == U256::from(64) && m.why == "length"
    ));
    let groth16_sized = Bytes::from(vec![7u8; 256]);
    assert!(matches!(
        signed_reason(oracle_err(answer(&mut env, node, &outs, groth16_sized))),
        S::MalformedProof(m) if m.length == U256::from(256)
    ));
    // The malleable twin (s → n − s, v flipped) of the valid signature.
    let mut twin = good.to_vec();
    let s = U256::from_be_slice(&twin[32..64]);
    twin[32..64].copy_from_slice(&(n() - s).to_be_bytes::<32>());
    twin[64] = if twin[64] == 27 { 28 } else { 27 };
    assert!(matches!(
        signed_reason(oracle_err(answer(&mut env, node, &outs, Bytes::from(twin)))),
        S::MalformedProof(m) if m.why == "high s"
    ));
    assert_eq!(env.status(req), RequestStatus::Open);

    // The attested answer settles, final at once.
    let s = answer(&mut env, node, &outs, good).unwrap();
    gas(
        "answerWithProof, second backend (65-byte signature), callback storing 10 outputs",
        s.receipt.gas_used,
    );
    assert_eq!(s.answerer, node);
    assert_eq!(s.callback, CallbackOutcome::Delivered);
    assert!(
        env.oracle
            .get_request(&mut env.chain, req)
            .unwrap()
            .viaProof
    );
    assert_eq!(env.consumer_outputs(), outs);

    // AIGC pinned to the same configuration takes the backend's evidence the same way.
    let c = collection(&mut env, 1);
    let token = verinfer_oracle::token_id(&input);
    let st = statement(&env, &cfg, c.address, token, holder, &input, &outs);
    let sig = attest(&mut env, &attester, verifier, st);
    let zk = AigcProof::Zk {
        prover: holder,
        proof: sig.clone(),
    };
    assert!(c.verify(&mut env.chain, &input, &outs, &zk).unwrap());
    let forged = AigcProof::Zk {
        prover: holder,
        proof: attest(&mut env, &forger, verifier, st),
    };
    assert!(!c.verify(&mut env.chain, &input, &outs, &forged).unwrap());
    assert!(!c.verify(&mut env.chain, &input, &lie, &zk).unwrap());
    assert!(matches!(
        aigc_err(c.mint(&mut env.chain, holder, holder, &input, &outs, "", &forged)),
        A::InvalidZkProof(_)
    ));
    let malformed = AigcProof::Zk {
        prover: holder,
        proof: Bytes::from(vec![1u8; 10]),
    };
    let err = aigc_err(c.mint(
        &mut env.chain,
        holder,
        holder,
        &input,
        &outs,
        "",
        &malformed,
    ));
    let A::ZkVerifierReverted(r) = err else {
        panic!("{err:?}")
    };
    assert!(
        matches!(S::abi_decode(&r.reason).unwrap(), S::MalformedProof(m) if m.length == U256::from(10))
    );
    // Renamed to another prover: the statement differs.
    let renamed = AigcProof::Zk {
        prover: node,
        proof: sig,
    };
    assert!(matches!(
        aigc_err(c.mint(&mut env.chain, node, node, &input, &outs, "", &renamed)),
        A::InvalidZkProof(_)
    ));
    let (_, ev) = mint_verified(
        &mut env,
        &c,
        holder,
        &input,
        &outs,
        &zk,
        "AIGC.mint, second backend's zk evidence",
    );
    assert_eq!(ev.kind, AigcProof::ZK);
    // The zero signer is refused at deployment (ecrecover's failure value is never a signer).
    let mut zero = SignedStatementVerifier::BYTECODE.to_vec();
    zero.extend_from_slice(
        &SignedStatementVerifier::constructorCall {
            signer_: Address::ZERO,
        }
        .abi_encode(),
    );
    assert!(env
        .chain
        .send(Tx::deploy(
            owner,
            Bytes::from(zero),
            "deploy SignedStatementVerifier"
        ))
        .is_err());
}

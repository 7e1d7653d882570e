//! The zk path end to end with REAL Groth16 proofs of a small MLP of the digits MLP's layers
//! and input and output shapes (`common::zk_mlp`: the path is the point, not the model;
//! verinfer-zk: local dev setup, prove; digest statement) through the Groth16 `IProofVerifier` adapter: the oracle's
//! statement equals the prover's digest (and the Rust mirror's), `answerWithProof` settles at
//! once, every way a zk answer can be wrong or malformed is refused by name; packed-statement
//! keys are refused; requests pin the zk configuration they accept; `AIGC` verifies zk
//! evidence against the configuration it pinned and mints zk answers through their oracle
//! request, and a token whose claim was rejected is repaired with a zk-answered request.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;
use common::*;
use verinfer_chain::bindings_oracle::InferenceOracle::{self, InferenceOracleErrors as E};
use verinfer_chain::bindings_oracle::AIGC::AIGCErrors as A;
use verinfer_chain::bindings_zk::Groth16ProofVerifier::Groth16ProofVerifierErrors as G;
use verinfer_chain::{Address, Bytes, U256};
use verinfer_opml::ClaimStatus;
use verinfer_oracle::{
    public_inputs, token_id, AigcClient, AigcProof, CallbackOutcome, RequestStatus, ZkSettings,
};
use verinfer_zk::evm::public_words;
use verinfer_zk::{param_hash, Bn254Values};

fn vis(hashed_params: bool) -> verinfer_zk::Visibility {
    digest_vis(hashed_params)
}

fn keys(hashed_params: bool) -> &'static ZkKeys {
    zk_keys(hashed_params)
}

/// A proof of `input`, bound to the contract, `tag` and `answerer`: its bytes, the outputs,
/// the widths, the weight hash and the statement.
struct Proven {
    proof: Bytes,
    outputs: Vec<Vec<i32>>,
    input_bits: u8,
    output_bits: u8,
    param_hash: Option<U256>,
    statement: verinfer_chain::B256,
}

fn the_param_hash(hashed_params: bool) -> Option<U256> {
    hashed_params.then(|| public_words(&[param_hash(&zk_mlp().0).unwrap()])[0])
}

fn prove_at(
    env: &Env,
    hashed_params: bool,
    input: &[Vec<i32>],
    contract: Address,
    tag: U256,
    answerer: Address,
) -> Proven {
    let g = &zk_mlp().0;
    let (pk, _) = keys(hashed_params);
    let (proof, pv) = zk_prove(
        env,
        pk,
        g,
        vis(hashed_params),
        input,
        contract,
        tag,
        answerer,
    );
    Proven {
        proof,
        outputs: pv.outputs.clone(),
        input_bits: pv.input_width as u8,
        output_bits: pv.output_width as u8,
        param_hash: the_param_hash(hashed_params),
        statement: verinfer_chain::B256::from(public_words(&pv.to_field_elements().unwrap())[0]),
    }
}

/// A proof answering oracle request `req`, sent by `answerer`.
fn prove(
    env: &Env,
    hashed_params: bool,
    input: &[Vec<i32>],
    req: verinfer_oracle::RequestId,
    answerer: Address,
) -> Proven {
    prove_at(
        env,
        hashed_params,
        input,
        env.oracle.address,
        U256::from(req),
        answerer,
    )
}

/// Deploys the keys' `IProofVerifier` and configures the model with it.
fn configure(env: &mut Env, hashed_params: bool) -> ZkSettings {
    let model = env.model_id();
    let s = publish_zk(
        env,
        &zk_mlp().0,
        &keys(hashed_params).1,
        the_param_hash(hashed_params),
    );
    assert_eq!(
        env.oracle.zk_config(&mut env.chain, model).unwrap(),
        Some((s, 1))
    );
    s
}

fn zk_answer_settles(hashed_params: bool) {
    let mut env = zk_env();
    let input = zk_mlp().1.clone();
    configure(&mut env, hashed_params);
    let req = env.request_zk(&input, 1);
    let node = env.who.node;
    let p = prove(&env, hashed_params, &input, req, node);
    // One public input, whatever the model.
    assert_eq!(keys(hashed_params).1.gamma_abc_g1.len(), 2);

    // The contract's statement is the prover's digest and the Rust mirror's, bit for bit.
    let on_chain = env
        .oracle_statement(1, req, node, &input, &p.outputs)
        .unwrap();
    assert_eq!(on_chain, p.statement);
    let ctx = env.zk_context(env.oracle.address, U256::from(req), node);
    assert_eq!(
        public_inputs(
            &ctx,
            &input,
            u32::from(p.input_bits),
            p.param_hash,
            &p.outputs,
            u32::from(p.output_bits),
            true
        )
        .unwrap(),
        vec![U256::from_be_bytes(p.statement.0)]
    );

    let s = env
        .oracle
        .answer_with_proof(&mut env.chain, node, req, &p.outputs, p.proof.clone())
        .unwrap();
    let weights = if hashed_params {
        "hashed weights"
    } else {
        "public weights"
    };
    gas(
        &format!("answerWithProof (digest statement, {weights}, callback storing 10 outputs)"),
        s.receipt.gas_used,
    );
    assert_eq!(s.callback, CallbackOutcome::Delivered);
    assert_eq!(s.answerer, node);
    assert_eq!(s.owner_share, env.params.fee / U256::from(10));
    assert_eq!(env.status(req), RequestStatus::Fulfilled);
    let info = env.oracle.get_request(&mut env.chain, req).unwrap();
    assert!(info.viaProof);
    assert_eq!(env.consumer_outputs(), p.outputs);
    assert_eq!(env.outputs(req), p.outputs);
    // Without a callback, for the gas table.
    if !hashed_params {
        let req = env.request_full(&input, Address::ZERO, 0, 1);
        let p = prove(&env, hashed_params, &input, req, node);
        let s = env
            .oracle
            .answer_with_proof(&mut env.chain, node, req, &p.outputs, p.proof.clone())
            .unwrap();
        assert_eq!(s.callback, CallbackOutcome::NoCallback);
        gas(
            "answerWithProof (digest statement, public weights, no callback)",
            s.receipt.gas_used,
        );
    }
    // Answered once.
    assert!(matches!(
        env.zk_answer_err(node, req, &p.outputs, p.proof.clone()),
        E::NotOpen(_)
    ));
}

#[test]
fn zk_answer_settles_at_once_public_weights() {
    zk_answer_settles(false);
}

#[test]
fn zk_answer_settles_at_once_hashed_weights() {
    zk_answer_settles(true);
}

#[test]
fn wrong_zk_answers_are_refused() {
    let mut env = zk_env();
    let input = zk_mlp().1.clone();
    let model = env.model;
    let model_id = env.model_id();
    let node = env.who.node;
    // Bound to no request yet: what is refused before any verification needs no more.
    let p = prove(
        &env,
        false,
        &input,
        verinfer_oracle::RequestId::new(0),
        node,
    );

    // No configuration yet: a request cannot pin one, and a request pinning none refuses
    // zk answers.
    let (requester, consumer, fee) = (env.who.requester, env.consumer, env.params.fee);
    assert_eq!(
        oracle_err(env.oracle.request(
            &mut env.chain,
            requester,
            model_id,
            &input,
            consumer,
            CALLBACK_GAS,
            fee,
            1
        )),
        E::NoSuchZkVersion(InferenceOracle::NoSuchZkVersion {
            modelId: model,
            version: 1
        })
    );
    assert!(matches!(
        oracle_err(env.oracle_statement(
            1,
            verinfer_oracle::RequestId::new(0),
            node,
            &input,
            &p.outputs
        )),
        E::NoZkVerifier(_)
    ));
    let early = env.request(&input);
    // Refused while the model has no configuration, and after it has one (the request keeps
    // the configuration it was made under).
    let refuses_early = |env: &mut Env| {
        assert_eq!(
            env.zk_answer_err(node, early, &p.outputs, p.proof.clone()),
            E::ZkRefused(InferenceOracle::ZkRefused {
                requestId: U256::from(early)
            })
        );
    };
    refuses_early(&mut env);
    // Only the model's owner configures it, with a contract and widths in 1..=32.
    let mut deployer = verinfer_oracle::ChainDeployer::new(&mut env.chain, node);
    let verifier = verinfer_prove::EvmVerifiable::deploy_adapter(
        &verinfer_zk::Groth16,
        &keys(false).1,
        &mut deployer,
    )
    .unwrap();
    let w = verinfer_zk::Widths::of(&zk_mlp().0);
    let s = ZkSettings {
        verifier,
        input_bits: w.input as u8,
        output_bits: w.output as u8,
        param_hash: None,
    };
    let configure = |env: &mut Env, who: Address, s: &ZkSettings| {
        oracle_err(env.oracle.set_zk_verifier(&mut env.chain, who, model_id, s))
    };
    assert_eq!(
        configure(&mut env, node, &s),
        E::NotModelOwner(InferenceOracle::NotModelOwner {
            modelId: model,
            caller: node
        })
    );
    let owner = env.who.owner;
    let no_code = ZkSettings {
        verifier: Address::repeat_byte(5),
        ..s
    };
    assert!(matches!(
        configure(&mut env, owner, &no_code),
        E::NotAContract(_)
    ));
    let wide = ZkSettings {
        output_bits: 33,
        ..s
    };
    assert!(matches!(
        configure(&mut env, owner, &wide),
        E::BadBitWidth(_)
    ));
    env.oracle
        .set_zk_verifier(&mut env.chain, owner, model_id, &s)
        .unwrap();

    // A request made before the configuration keeps the configuration it was made under
    // (none: it still refuses zk answers).
    refuses_early(&mut env);

    let req = env.request_zk(&input, 1);
    let p = prove(&env, false, &input, req, node);
    let answer = |env: &mut Env, outputs: &[Vec<i32>], proof: Bytes| {
        env.zk_answer_err(node, req, outputs, proof)
    };
    // Other outputs: the proof does not verify.
    let mut wrong = p.outputs.clone();
    wrong[0][0] += 1;
    assert_eq!(
        answer(&mut env, &wrong, p.proof.clone()),
        E::InvalidProof(InferenceOracle::InvalidProof {
            requestId: U256::from(req)
        })
    );
    // A proof of another input (the request's input is bound by the digest it stored).
    let other = prove(&env, false, &other_input_of(&zk_mlp().1), req, node);
    assert!(matches!(
        answer(&mut env, &p.outputs, other.proof.clone()),
        E::InvalidProof(_)
    ));
    // A tampered proof (A replaced by another curve point, the generator (1, 2)).
    let words: [U256; 8] = alloy_sol_types::SolValue::abi_decode(&p.proof).unwrap();
    let mut tampered = words;
    tampered[0] = U256::from(1);
    tampered[1] = U256::from(2);
    assert!(matches!(
        answer(&mut env, &p.outputs, proof_bytes(tampered)),
        E::InvalidProof(_)
    ));
    // Malformed proofs revert by name, the verifier's reason inside: another length (empty,
    // one word short, one word more, garbage bytes), a coordinate ≥ q.
    for len in [0usize, 31, 224, 288] {
        let mut bytes = p.proof.to_vec();
        bytes.resize(len, 0xab);
        assert_eq!(
            adapter_reason(answer(&mut env, &p.outputs, Bytes::from(bytes))),
            G::MalformedProof(
                verinfer_chain::bindings_zk::Groth16ProofVerifier::MalformedProof {
                    length: U256::from(len)
                }
            ),
            "a proof of {len} bytes"
        );
    }
    let mut off_field = words;
    off_field[6] = U256::MAX;
    let err = answer(&mut env, &p.outputs, proof_bytes(off_field));
    assert!(matches!(err, E::VerifierReverted(_)), "{err:?}");
    // Values outside the configured width are refused before any verification.
    let mut too_wide = p.outputs.clone();
    too_wide[0][0] = 1 << (p.output_bits - 1);
    assert!(matches!(
        answer(&mut env, &too_wide, p.proof.clone()),
        E::ValueOutOfRange(_)
    ));
    // The model's output shape.
    let mut short = p.outputs.clone();
    short[0].pop();
    assert!(matches!(
        answer(&mut env, &short, p.proof.clone()),
        E::WrongOutputLength(_)
    ));
    // A configuration whose layout does not fit the key (a parameter hash the circuit does not
    // take): the statement differs, the proof does not verify. It is version 2; version 1
    // stays as it was.
    let s2 = ZkSettings {
        param_hash: Some(U256::from(7)),
        ..s
    };
    assert_eq!(env.configure_zk(&s2), Some((s2, 2)));
    assert_eq!(
        env.oracle
            .zk_config_at(&mut env.chain, model_id, 1)
            .unwrap(),
        Some((s, 1))
    );
    assert_eq!(
        env.oracle
            .zk_config_at(&mut env.chain, model_id, 3)
            .unwrap(),
        None
    );
    let req2 = env.request_zk(&input, 2);
    let p2 = prove(&env, false, &input, req2, node);
    let err = env.zk_answer_err(node, req2, &p2.outputs, p2.proof.clone());
    assert_eq!(
        err,
        E::InvalidProof(InferenceOracle::InvalidProof {
            requestId: U256::from(req2)
        })
    );
    // Nothing was fulfilled by all this; the request is still open.
    assert_eq!(env.status(req), RequestStatus::Open);
    // A claim answers it meanwhile (Claimed); the proof under the request's own version 1 —
    // not the latest, 2 — still answers it, final at once.
    let (claim, _) = env.answer(node, req);
    assert_eq!(env.status(req), RequestStatus::Claimed);
    let settled = env
        .oracle
        .answer_with_proof(&mut env.chain, node, req, &p.outputs, p.proof.clone())
        .unwrap();
    assert_eq!(settled.answerer, node);
    assert_eq!(env.status(req), RequestStatus::Fulfilled);
    assert_eq!(env.consumer_outputs(), p.outputs);
    // The standing claim has nothing left to settle.
    env.finalize(claim);
    assert!(matches!(
        oracle_err(env.oracle.settle(&mut env.chain, node, req, &p.outputs)),
        E::NotClaimed(_)
    ));
}

/// Packed-statement keys (one public input per packed element) are refused by name: by the
/// backend before anything is deployed, and on chain by the adapter's constructor.
#[test]
fn packed_statement_keys_are_refused() {
    use verinfer_zk::ProofSystem;
    let mut env = zk_env();
    let g = &zk_mlp().0;
    let (_, vk) = verinfer_zk::Groth16::setup_with(
        g,
        verinfer_zk::Visibility::default(),
        &mut verinfer_zk::groth16::os_rng(),
    )
    .unwrap();
    let owner = env.who.owner;
    let mut deployer = verinfer_oracle::ChainDeployer::new(&mut env.chain, owner);
    let err =
        verinfer_prove::EvmVerifiable::deploy_adapter(&verinfer_zk::Groth16, &vk, &mut deployer)
            .unwrap_err();
    assert!(deployer.receipts.is_empty(), "nothing was deployed");
    assert!(
        matches!(&err, verinfer_prove::ProveError::Unsupported(u) if u.reason.contains("packed-statement key")),
        "{err}"
    );
    let (groth16, _) = verinfer_zk::evm::deploy_verifier(&mut env.chain, owner, &vk).unwrap();
    let err = verinfer_zk::evm::deploy_proof_verifier(&mut env.chain, owner, groth16).unwrap_err();
    assert!(
        matches!(
            err,
            verinfer_zk::evm::EvmError::AdapterReverted(G::NotADigestKey(_))
        ),
        "{err}"
    );
}

#[test]
fn aigc_zk_mint_verify_and_repair_of_a_rejected_claim() {
    let mut env = zk_env();
    configure(&mut env, false);
    let (g, input) = zk_mlp().clone();
    let owner = env.who.owner;
    let c = collection(&mut env, 1);
    // A proof for this collection is bound to it, the prompt's token id and its prover.
    let holder = env.who.requester;
    let p = prove_at(&env, false, &input, c.address, token_id(&input), holder);
    let zk = AigcProof::Zk {
        prover: holder,
        proof: p.proof.clone(),
    };

    // verify: true for the proven pair, false for anything else.
    assert!(c.verify(&mut env.chain, &input, &p.outputs, &zk).unwrap());
    let r = verinfer_chain::send_call(
        &mut env.chain,
        holder,
        c.address,
        &aigc_verify_call(&input, &p.outputs, zk.encode()),
        "AIGC.verify",
    )
    .unwrap();
    gas("AIGC.verify (zk, as a transaction)", r.gas_used);
    let mut wrong = p.outputs.clone();
    wrong[0][1] -= 1;
    assert!(!c.verify(&mut env.chain, &input, &wrong, &zk).unwrap());
    assert!(!c
        .verify(
            &mut env.chain,
            &other_input_of(&zk_mlp().1),
            &p.outputs,
            &zk
        )
        .unwrap());
    let mut bad_words: [U256; 8] = alloy_sol_types::SolValue::abi_decode(&p.proof).unwrap();
    bad_words[6] = U256::MAX; // a coordinate ≥ q: the verifier reverts, verify says false
    let off_field = AigcProof::Zk {
        prover: holder,
        proof: proof_bytes(bad_words),
    };
    // The holder's mint of the honest outputs on `proof`, refused: the AIGC's error.
    let refused_mint = |env: &mut Env, proof: &AigcProof| {
        aigc_err(c.mint(
            &mut env.chain,
            holder,
            holder,
            &input,
            &p.outputs,
            "",
            proof,
        ))
    };
    assert!(!c
        .verify(&mut env.chain, &input, &p.outputs, &off_field)
        .unwrap());
    // mint names the verifier's revert; a proof of the wrong length likewise.
    assert!(matches!(
        refused_mint(&mut env, &off_field),
        A::ZkVerifierReverted(_)
    ));
    let short = AigcProof::Zk {
        prover: holder,
        proof: p.proof.slice(..224),
    };
    assert!(!c
        .verify(&mut env.chain, &input, &p.outputs, &short)
        .unwrap());
    let err = refused_mint(&mut env, &short);
    let A::ZkVerifierReverted(r) = err else {
        panic!("{err:?}")
    };
    assert_eq!(
        <G as alloy_sol_types::SolInterface>::abi_decode(&r.reason).unwrap(),
        G::MalformedProof(
            verinfer_chain::bindings_zk::Groth16ProofVerifier::MalformedProof {
                length: U256::from(224)
            }
        )
    );
    // Evidence bytes that are not the canonical `abi.encode(uint8(1), address, bytes)` are
    // refused by name (another offset, a dirty address word, a truncated or padded tail,
    // non-zero padding), by verify and by mint alike.
    let good = zk.encode().to_vec();
    let mut variants: Vec<Vec<u8>> = Vec::new();
    let mut offset = good.clone();
    offset[95] = 0x80;
    variants.push(offset);
    let mut dirty = good.clone();
    dirty[32] = 1;
    variants.push(dirty);
    variants.push(good[..good.len() - 32].to_vec());
    let mut longer = good.clone();
    longer.extend_from_slice(&[0u8; 32]);
    variants.push(longer);
    variants.push(good[..127].to_vec());
    let mut padded = AigcProof::Zk {
        prover: holder,
        proof: p.proof.slice(..255),
    }
    .encode()
    .to_vec();
    let n = padded.len();
    padded[n - 1] = 1;
    variants.push(padded);
    for bad in &variants {
        let r = verinfer_chain::view(
            &mut env.chain,
            holder,
            c.address,
            &aigc_verify_call(&input, &p.outputs, Bytes::from(bad.clone())),
            "AIGC.verify",
        );
        let err = aigc_err(r.map_err(verinfer_oracle::OracleError::from));
        assert!(
            matches!(&err, A::MalformedProof(m) if m.kind == U256::from(1) && m.length == U256::from(bad.len())),
            "{err:?}"
        );
    }
    // Another prover's name on the proof: false.
    let node = env.who.node;
    let renamed = AigcProof::Zk {
        prover: node,
        proof: p.proof.clone(),
    };
    assert!(!c
        .verify(&mut env.chain, &input, &p.outputs, &renamed)
        .unwrap());
    // A proof answering an oracle request is bound to the oracle: no evidence here.
    let req0 = env.request_zk(&input, 1);
    let for_oracle = prove(&env, false, &input, req0, holder);
    assert!(!c
        .verify(
            &mut env.chain,
            &input,
            &p.outputs,
            &AigcProof::Zk {
                prover: holder,
                proof: for_oracle.proof.clone()
            }
        )
        .unwrap());
    // A collection that pinned no zk configuration verifies no zk proof.
    let c0 = collection(&mut env, 0);
    assert!(!c0.verify(&mut env.chain, &input, &p.outputs, &zk).unwrap());

    // Only the prover mints with it: a copy seen in the mempool is useless, a renamed one does
    // not verify. The wrong data mints nothing.
    assert!(matches!(
        aigc_err(c.mint(&mut env.chain, node, node, &input, &p.outputs, "", &zk)),
        A::NotEvidenceHolder(h) if h.caller == node && h.holder == holder
    ));
    assert_eq!(
        aigc_err(c.mint(&mut env.chain, node, node, &input, &p.outputs, "", &renamed)),
        A::InvalidZkProof(verinfer_chain::bindings_oracle::AIGC::InvalidZkProof {})
    );
    assert_eq!(
        aigc_err(c.mint(&mut env.chain, holder, holder, &input, &wrong, "", &zk)),
        A::InvalidZkProof(verinfer_chain::bindings_oracle::AIGC::InvalidZkProof {})
    );
    // The holder mints the prompt and the proven outputs, by the evidence given.
    let mint = |env: &mut Env, c: &AigcClient, proof: &AigcProof, how: &str| {
        let label = format!("AIGC.mint ({how})");
        mint_verified(env, c, holder, &input, &p.outputs, proof, &label)
    };
    let (_, ev) = mint(&mut env, &c, &zk, "zk proof bound to the minter");
    assert_eq!(ev.kind, AigcProof::ZK);

    // zk-answered oracle requests mint through the request, by its requester: final at once.
    // (A collection minting the same prompt by request: a second collection.)
    let c = collection(&mut env, 1);
    let req = env.request_zk(&input, 1);
    let pr = prove(&env, false, &input, req, node);
    env.oracle
        .answer_with_proof(&mut env.chain, node, req, &pr.outputs, pr.proof.clone())
        .unwrap();
    let by_request = AigcProof::Request(req);
    assert!(c
        .verify(&mut env.chain, &input, &p.outputs, &by_request)
        .unwrap());
    assert!(matches!(
        aigc_err(c.mint(&mut env.chain, node, node, &input, &p.outputs, "", &by_request)),
        A::NotEvidenceHolder(h) if h.caller == node && h.holder == holder
    ));
    let (_, ev) = mint(&mut env, &c, &by_request, "oracle request answered by zk");
    assert_eq!(ev.kind, AigcProof::REQUEST);
    assert_eq!(ev.claim_id, req.index());
    // A request-backed token stands for ever: nothing to replace.
    assert!(matches!(
        aigc_err(c.replace(&mut env.chain, node, &input, &p.outputs, "", &by_request)),
        A::NothingToReplace(_)
    ));

    // Another prompt minted on a lying claim (by its submitter), rejected, repaired with a
    // zk-answered request of the truth.
    let x2 = other_input_of(&zk_mlp().1);
    let e2 = exec(&g, &x2);
    let lie = lie_at_output_of(&g, &x2, 0);
    let lying_outs = outputs(&lie);
    let liar = env.who.liar;
    let (bad, mut liar_sub) = env.claim_posting_input(lie, liar);
    let (id2, _) = c
        .mint(
            &mut env.chain,
            liar,
            holder,
            &x2,
            &lying_outs,
            "",
            &AigcProof::Opml(bad),
        )
        .unwrap();
    env.dispute(bad, &mut liar_sub, owner);
    assert_eq!(env.claim_status(bad), ClaimStatus::Rejected);
    assert!(!c.is_verified(&mut env.chain, id2).unwrap());

    let honest2 = outputs(&e2);
    // A proof answering another request cannot replace it.
    let req2 = env.request_zk(&x2, 1);
    let p2 = prove(&env, false, &x2, req2, node);
    assert_eq!(p2.outputs, honest2);
    assert_eq!(
        aigc_err(c.replace(
            &mut env.chain,
            node,
            &x2,
            &honest2,
            "",
            &AigcProof::Zk {
                prover: node,
                proof: p2.proof.clone()
            },
        )),
        A::InvalidZkProof(verinfer_chain::bindings_oracle::AIGC::InvalidZkProof {})
    );
    env.oracle
        .answer_with_proof(&mut env.chain, node, req2, &honest2, p2.proof.clone())
        .unwrap();
    let r = c
        .replace(
            &mut env.chain,
            node,
            &x2,
            &honest2,
            "",
            &AigcProof::Request(req2),
        )
        .unwrap();
    gas(
        "AIGC.update(prompt, aigcData, uri, proof) (zk-answered request replacement)",
        r.gas_used,
    );
    let ev = c.evidence_of(&mut env.chain, id2).unwrap();
    assert_eq!(ev.kind, AigcProof::REQUEST);
    assert_eq!(ev.claim_id, req2.index());
    assert!(c.is_verified(&mut env.chain, id2).unwrap());
    assert_eq!(c.owner_of(&mut env.chain, id2).unwrap(), holder);
}

//! The zk path end to end with REAL Groth16 proofs of the digits MLP (verinfer-zk: local dev
//! setup, prove) against the generic `Groth16Verifier`: the oracle's public inputs equal the
//! prover's (and the Rust mirror's), `answerWithProof` settles at once, every way a zk answer
//! can be wrong is refused; requests pin the zk configuration they accept; `AIGC` verifies
//! zk proofs against the configuration it pinned and mints zk answers through their oracle
//! request, and a token whose claim was rejected is repaired with a zk-answered request.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::OnceLock;

use common::*;
use verinfer_chain::bindings_oracle::InferenceOracle::{self, InferenceOracleErrors as E};
use verinfer_chain::bindings_oracle::AIGC::AIGCErrors as A;
use verinfer_chain::{Address, U256};
use verinfer_opml::{lying_execution, ClaimStatus, TraceLie};
use verinfer_oracle::{
    public_inputs, token_id, AigcProof, CallbackOutcome, RequestStatus, ZkSettings,
};
use verinfer_zk::evm::{deploy_verifier, public_words};
use verinfer_zk::groth16::{os_rng, ProvingKey, VerifyingKey};
use verinfer_zk::{param_hash, Groth16, ProofSystem, Visibility, Widths};

/// Keys of the digits MLP under `vis` (set up once per process).
fn keys(hashed_params: bool) -> &'static (ProvingKey, VerifyingKey) {
    static PUBLIC: OnceLock<(ProvingKey, VerifyingKey)> = OnceLock::new();
    static HASHED: OnceLock<(ProvingKey, VerifyingKey)> = OnceLock::new();
    let cell = if hashed_params { &HASHED } else { &PUBLIC };
    cell.get_or_init(|| Groth16::setup_with(&mlp().0, vis(hashed_params), &mut os_rng()).unwrap())
}

fn vis(hashed_params: bool) -> Visibility {
    if hashed_params {
        Visibility::hashed_params()
    } else {
        Visibility::default()
    }
}

/// A proof of `input`, bound to the oracle, `tag` and `answerer`: the 8 words, the outputs,
/// the widths and the public words.
struct Proven {
    words: [U256; 8],
    outputs: Vec<Vec<i32>>,
    input_bits: u8,
    output_bits: u8,
    param_hash: Option<U256>,
    public: Vec<U256>,
}

fn prove_at(
    env: &Env,
    hashed_params: bool,
    input: &[Vec<i32>],
    contract: Address,
    tag: U256,
    answerer: Address,
) -> Proven {
    let g = &mlp().0;
    let (pk, _) = keys(hashed_params);
    let (words, pv) = zk_prove(
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
        words,
        outputs: pv.outputs.clone(),
        input_bits: pv.input_width as u8,
        output_bits: pv.output_width as u8,
        param_hash: hashed_params.then(|| public_words(&[param_hash(g).unwrap()])[0]),
        public: public_words(&pv.to_field_elements().unwrap()),
    }
}

/// A proof answering oracle request `req`, sent by `answerer`.
fn prove(
    env: &Env,
    hashed_params: bool,
    input: &[Vec<i32>],
    req: u64,
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

/// The zk settings of the keys' verifier at `verifier`.
fn settings(hashed_params: bool, verifier: Address) -> ZkSettings {
    let g = &mlp().0;
    let w = Widths::of(g);
    ZkSettings {
        verifier,
        input_bits: w.input as u8,
        output_bits: w.output as u8,
        param_hash: hashed_params.then(|| public_words(&[param_hash(g).unwrap()])[0]),
        digest: false,
    }
}

/// Deploys the verifier of the keys and configures the model with it.
fn configure(env: &mut Env, hashed_params: bool) -> ZkSettings {
    let owner = env.who.owner;
    let (verifier, r) = deploy_verifier(&mut env.chain, owner, &keys(hashed_params).1).unwrap();
    gas("deploy Groth16Verifier (digits MLP key)", r.gas_used);
    let model = env.model;
    let s = settings(hashed_params, verifier);
    let r = env
        .oracle
        .set_zk_verifier(&mut env.chain, owner, model, &s)
        .unwrap();
    gas("setZkVerifier", r.gas_used);
    assert_eq!(
        env.oracle.zk_config(&mut env.chain, model).unwrap(),
        Some((s, 1))
    );
    s
}

fn zk_answer_settles(hashed_params: bool) {
    let mut env = env();
    let input = mlp().1.clone();
    let cfg = configure(&mut env, hashed_params);
    let req = env.request_zk(&input, 1);
    let node = env.who.node;
    let p = prove(&env, hashed_params, &input, req, node);

    // The contract's public inputs are the prover's and the Rust mirror's, word for word.
    let model = env.model;
    let oracle = env.oracle.address;
    let on_chain = env
        .oracle
        .zk_public_inputs(
            &mut env.chain,
            model,
            1,
            oracle,
            U256::from(req),
            node,
            &input,
            &p.outputs,
        )
        .unwrap();
    assert_eq!(on_chain, p.public);
    let ctx = verinfer_zk::Context {
        model_id: model,
        chain_id: U256::from(verinfer_chain::Chain::chain_id(&env.chain)),
        contract: oracle,
        tag: U256::from(req),
        answerer: node,
    };
    assert_eq!(
        public_inputs(
            &ctx,
            &input,
            u32::from(p.input_bits),
            p.param_hash,
            &p.outputs,
            u32::from(p.output_bits),
            false
        )
        .unwrap(),
        p.public
    );

    let elements = cfg.input_elements(&input).unwrap();
    let s = env
        .oracle
        .answer_with_proof(
            &mut env.chain,
            node,
            req,
            elements.clone(),
            &p.outputs,
            p.words,
        )
        .unwrap();
    gas(
        &format!(
            "answerWithProof ({} public inputs, callback storing 10 outputs)",
            p.public.len()
        ),
        s.receipt.gas_used,
    );
    assert_eq!(s.callback, CallbackOutcome::Delivered);
    assert_eq!(s.answerer, node);
    assert_eq!(s.owner_share, env.params.fee / U256::from(10));
    assert_eq!(
        env.oracle.status(&mut env.chain, req).unwrap(),
        RequestStatus::Fulfilled
    );
    let info = env.oracle.get_request(&mut env.chain, req).unwrap();
    assert!(info.viaProof);
    assert_eq!(env.consumer_outputs(), p.outputs);
    assert_eq!(
        env.oracle.outputs_of(&mut env.chain, req).unwrap(),
        p.outputs
    );
    // Without a callback, for the gas table.
    if !hashed_params {
        let req = env.request_full(&input, Address::ZERO, 0, 1);
        let p = prove(&env, hashed_params, &input, req, node);
        let s = env
            .oracle
            .answer_with_proof(
                &mut env.chain,
                node,
                req,
                elements.clone(),
                &p.outputs,
                p.words,
            )
            .unwrap();
        assert_eq!(s.callback, CallbackOutcome::NoCallback);
        gas(
            &format!(
                "answerWithProof ({} public inputs, no callback)",
                p.public.len()
            ),
            s.receipt.gas_used,
        );
    }
    // Answered once.
    assert!(matches!(
        oracle_err(env.oracle.answer_with_proof(
            &mut env.chain,
            node,
            req,
            elements,
            &p.outputs,
            p.words
        )),
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
    let mut env = env();
    let input = mlp().1.clone();
    let model = env.model;
    let node = env.who.node;
    let oracle = env.oracle.address;
    // Bound to no request yet: what is refused before any verification needs no more.
    let p = prove(&env, false, &input, 0, node);
    let elements = settings(false, Address::ZERO)
        .input_elements(&input)
        .unwrap();

    // No configuration yet: a request cannot pin one, and a request pinning none refuses
    // zk answers.
    let (requester, consumer, fee) = (env.who.requester, env.consumer, env.params.fee);
    assert_eq!(
        oracle_err(env.oracle.request(
            &mut env.chain,
            requester,
            model,
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
        oracle_err(env.oracle.zk_public_inputs(
            &mut env.chain,
            model,
            1,
            oracle,
            U256::ZERO,
            node,
            &input,
            &p.outputs
        )),
        E::NoZkVerifier(_)
    ));
    let early = env.request(&input);
    assert_eq!(
        oracle_err(env.oracle.answer_with_proof(
            &mut env.chain,
            node,
            early,
            elements.clone(),
            &p.outputs,
            p.words
        )),
        E::ZkRefused(InferenceOracle::ZkRefused {
            requestId: U256::from(early)
        })
    );
    // Only the model's owner configures it, with a contract and widths in 1..=32.
    let (verifier, _) = deploy_verifier(&mut env.chain, node, &keys(false).1).unwrap();
    let s = settings(false, verifier);
    assert_eq!(
        oracle_err(env.oracle.set_zk_verifier(&mut env.chain, node, model, &s)),
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
        oracle_err(
            env.oracle
                .set_zk_verifier(&mut env.chain, owner, model, &no_code)
        ),
        E::NotAContract(_)
    ));
    let wide = ZkSettings {
        output_bits: 33,
        ..s
    };
    assert!(matches!(
        oracle_err(
            env.oracle
                .set_zk_verifier(&mut env.chain, owner, model, &wide)
        ),
        E::BadBitWidth(_)
    ));
    env.oracle
        .set_zk_verifier(&mut env.chain, owner, model, &s)
        .unwrap();

    // A request made before the configuration keeps the configuration it was made under
    // (none: it still refuses zk answers).
    assert_eq!(
        oracle_err(env.oracle.answer_with_proof(
            &mut env.chain,
            node,
            early,
            elements.clone(),
            &p.outputs,
            p.words
        )),
        E::ZkRefused(InferenceOracle::ZkRefused {
            requestId: U256::from(early)
        })
    );

    let req = env.request_zk(&input, 1);
    let p = prove(&env, false, &input, req, node);
    // Other outputs: the proof does not verify.
    let mut wrong = p.outputs.clone();
    wrong[0][0] += 1;
    assert_eq!(
        oracle_err(env.oracle.answer_with_proof(
            &mut env.chain,
            node,
            req,
            elements.clone(),
            &wrong,
            p.words
        )),
        E::InvalidProof(InferenceOracle::InvalidProof {
            requestId: U256::from(req)
        })
    );
    // A tampered proof (A replaced by another curve point, the generator (1, 2)).
    let mut tampered = p.words;
    tampered[0] = U256::from(1);
    tampered[1] = U256::from(2);
    assert!(matches!(
        oracle_err(env.oracle.answer_with_proof(
            &mut env.chain,
            node,
            req,
            elements.clone(),
            &p.outputs,
            tampered
        )),
        E::InvalidProof(_)
    ));
    // Values outside the configured width are refused before any verification.
    let mut too_wide = p.outputs.clone();
    too_wide[0][0] = 1 << (p.output_bits - 1);
    assert!(matches!(
        oracle_err(env.oracle.answer_with_proof(
            &mut env.chain,
            node,
            req,
            elements.clone(),
            &too_wide,
            p.words
        )),
        E::ValueOutOfRange(_)
    ));
    // The model's output shape.
    let mut short = p.outputs.clone();
    short[0].pop();
    assert!(matches!(
        oracle_err(env.oracle.answer_with_proof(
            &mut env.chain,
            node,
            req,
            elements.clone(),
            &short,
            p.words
        )),
        E::WrongOutputLength(_)
    ));
    // A configuration whose layout does not fit the key (a parameter hash the circuit does not
    // take): the count is checked before the verifier is asked. It is version 2; version 1
    // stays as it was.
    let s2 = ZkSettings {
        param_hash: Some(U256::from(7)),
        ..s
    };
    env.oracle
        .set_zk_verifier(
            &mut env.chain,
            owner,
            model,
            &ZkSettings {
                param_hash: Some(U256::from(7)),
                ..s
            },
        )
        .unwrap();
    assert_eq!(
        env.oracle.zk_config(&mut env.chain, model).unwrap(),
        Some((s2, 2))
    );
    assert_eq!(
        env.oracle.zk_config_at(&mut env.chain, model, 1).unwrap(),
        Some((s, 1))
    );
    assert_eq!(
        env.oracle.zk_config_at(&mut env.chain, model, 3).unwrap(),
        None
    );
    let req2 = env.request_zk(&input, 2);
    let err = oracle_err(env.oracle.answer_with_proof(
        &mut env.chain,
        node,
        req2,
        elements.clone(),
        &p.outputs,
        p.words,
    ));
    assert_eq!(
        err,
        E::ZkInputCountMismatch(InferenceOracle::ZkInputCountMismatch {
            expected: U256::from(p.public.len()),
            got: U256::from(p.public.len() + 1)
        })
    );
    // Nothing was fulfilled by all this; the request is still open.
    assert_eq!(
        env.oracle.status(&mut env.chain, req).unwrap(),
        RequestStatus::Open
    );
    // A claim answers it meanwhile (Claimed); the proof under the request's own version 1 —
    // not the latest, 2 — still answers it, final at once.
    let (claim, _) = env.answer(node, req);
    assert_eq!(
        env.oracle.status(&mut env.chain, req).unwrap(),
        RequestStatus::Claimed
    );
    let settled = env
        .oracle
        .answer_with_proof(
            &mut env.chain,
            node,
            req,
            elements.clone(),
            &p.outputs,
            p.words,
        )
        .unwrap();
    assert_eq!(settled.answerer, node);
    assert_eq!(
        env.oracle.status(&mut env.chain, req).unwrap(),
        RequestStatus::Fulfilled
    );
    assert_eq!(env.consumer_outputs(), p.outputs);
    // The standing claim has nothing left to settle.
    env.finalize(claim);
    assert!(matches!(
        oracle_err(env.oracle.settle(&mut env.chain, node, req, &p.outputs)),
        E::NotClaimed(_)
    ));
}

#[test]
fn aigc_zk_mint_verify_and_repair_of_a_rejected_claim() {
    let mut env = env();
    let cfg = configure(&mut env, false);
    let (g, input) = mlp().clone();
    let owner = env.who.owner;
    let c = collection(&mut env, 1);
    // A proof for this collection is bound to it, the prompt's token id and its prover.
    let holder = env.who.requester;
    let p = prove_at(&env, false, &input, c.address, token_id(&input), holder);
    let zk = AigcProof::Zk {
        prover: holder,
        proof: p.words,
    };

    // verify: true for the proven pair, false for anything else.
    assert!(c.verify(&mut env.chain, &input, &p.outputs, &zk).unwrap());
    let r = verinfer_chain::send_call(
        &mut env.chain,
        holder,
        c.address,
        &verinfer_chain::bindings_oracle::AIGC::verifyCall {
            prompt: verinfer_oracle::encode_tensors(&input),
            aigcData: verinfer_oracle::encode_tensors(&p.outputs),
            proof: zk.encode(),
        },
        "AIGC.verify",
    )
    .unwrap();
    gas("AIGC.verify (zk, as a transaction)", r.gas_used);
    let mut wrong = p.outputs.clone();
    wrong[0][1] -= 1;
    assert!(!c.verify(&mut env.chain, &input, &wrong, &zk).unwrap());
    assert!(!c
        .verify(&mut env.chain, &other_input(), &p.outputs, &zk)
        .unwrap());
    let mut bad_words = p.words;
    bad_words[6] = U256::MAX; // a coordinate ≥ q: the verifier reverts, verify says false
    assert!(!c
        .verify(
            &mut env.chain,
            &input,
            &p.outputs,
            &AigcProof::Zk {
                prover: holder,
                proof: bad_words
            }
        )
        .unwrap());
    // Another prover's name on the proof: false.
    let node = env.who.node;
    let renamed = AigcProof::Zk {
        prover: node,
        proof: p.words,
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
                proof: for_oracle.words
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
    let (zk_token, r) = c
        .mint(
            &mut env.chain,
            holder,
            holder,
            &input,
            &p.outputs,
            "ipfs://zk",
            &zk,
        )
        .unwrap();
    gas("AIGC.mint (zk proof bound to the minter)", r.gas_used);
    assert!(c.is_verified(&mut env.chain, zk_token).unwrap());
    let ev = c.evidence_of(&mut env.chain, zk_token).unwrap();
    assert_eq!(ev.kind, AigcProof::ZK);

    // zk-answered oracle requests mint through the request, by its requester: final at once.
    // (A collection minting the same prompt by request: a second collection.)
    let c = collection(&mut env, 1);
    let elements = cfg.input_elements(&input).unwrap();
    let req = env.request_zk(&input, 1);
    let pr = prove(&env, false, &input, req, node);
    env.oracle
        .answer_with_proof(&mut env.chain, node, req, elements, &pr.outputs, pr.words)
        .unwrap();
    let by_request = AigcProof::Request(req);
    assert!(c
        .verify(&mut env.chain, &input, &p.outputs, &by_request)
        .unwrap());
    assert!(matches!(
        aigc_err(c.mint(&mut env.chain, node, node, &input, &p.outputs, "", &by_request)),
        A::NotEvidenceHolder(h) if h.caller == node && h.holder == holder
    ));
    let (id, r) = c
        .mint(
            &mut env.chain,
            holder,
            holder,
            &input,
            &p.outputs,
            "ipfs://zk",
            &by_request,
        )
        .unwrap();
    gas("AIGC.mint (oracle request answered by zk)", r.gas_used);
    assert!(c.is_verified(&mut env.chain, id).unwrap());
    let ev = c.evidence_of(&mut env.chain, id).unwrap();
    assert_eq!(ev.kind, AigcProof::REQUEST);
    assert_eq!(ev.claim_id, req);
    // A request-backed token stands for ever: nothing to replace.
    assert!(matches!(
        aigc_err(c.replace(&mut env.chain, node, &input, &p.outputs, "", &by_request)),
        A::NothingToReplace(_)
    ));

    // Another prompt minted on a lying claim (by its submitter), rejected, repaired with a
    // zk-answered request of the truth.
    let x2 = other_input();
    let e2 = exec(&g, &x2);
    let lie = lying_execution(
        g.clone(),
        &x2,
        TraceLie {
            node: g.nodes.len() - 1,
            element: 0,
            delta: 1,
            propagate: false,
        },
    )
    .unwrap();
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
                proof: p2.words
            },
        )),
        A::InvalidZkProof(verinfer_chain::bindings_oracle::AIGC::InvalidZkProof {})
    );
    let elements2 = cfg.input_elements(&x2).unwrap();
    env.oracle
        .answer_with_proof(&mut env.chain, node, req2, elements2, &honest2, p2.words)
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
    assert_eq!(ev.claim_id, req2);
    assert!(c.is_verified(&mut env.chain, id2).unwrap());
    assert_eq!(c.owner_of(&mut env.chain, id2).unwrap(), holder);
}

/// Digest-statement keys: one public input, whatever the model. The oracle recomputes it from
/// the input digest it stored at request time and the outputs; the answer settles, a copy by
/// another account and wrong outputs are refused, and input elements are not taken.
#[test]
fn zk_answer_settles_digest_statement() {
    let mut env = env();
    let (g, input) = mlp().clone();
    let v: Visibility = "statement=digest".parse().unwrap();
    let (pk, vk) = Groth16::setup_with(&g, v, &mut os_rng()).unwrap();
    assert_eq!(vk.gamma_abc_g1.len(), 2);
    let cfg = publish_zk(&mut env, &g, &vk, true);
    let (model, verifier) = (env.model, cfg.verifier);
    let req = env.request_zk(&input, 1);
    let (node, thief, oracle) = (env.who.node, env.who.liar, env.oracle.address);
    let (words, pv) = zk_prove(&env, &pk, &g, v, &input, oracle, U256::from(req), node);
    let public = public_words(&pv.to_field_elements().unwrap());
    assert_eq!(public.len(), 1);
    assert_eq!(
        env.oracle
            .zk_public_inputs(
                &mut env.chain,
                model,
                1,
                oracle,
                U256::from(req),
                node,
                &input,
                &pv.outputs
            )
            .unwrap(),
        public
    );
    assert!(cfg.input_elements(&input).unwrap().is_empty());
    let err = oracle_err(env.oracle.answer_with_proof(
        &mut env.chain,
        node,
        req,
        settings(false, verifier).input_elements(&input).unwrap(),
        &pv.outputs,
        words,
    ));
    assert!(matches!(err, E::ZkInputMismatch(_)), "{err:?}");
    let err = oracle_err(env.oracle.answer_with_proof(
        &mut env.chain,
        thief,
        req,
        Vec::new(),
        &pv.outputs,
        words,
    ));
    assert!(matches!(err, E::InvalidProof(_)), "{err:?}");
    let mut wrong = pv.outputs.clone();
    wrong[0][2] += 1;
    let err = oracle_err(env.oracle.answer_with_proof(
        &mut env.chain,
        node,
        req,
        Vec::new(),
        &wrong,
        words,
    ));
    assert!(matches!(err, E::InvalidProof(_)), "{err:?}");
    let s = env
        .oracle
        .answer_with_proof(&mut env.chain, node, req, Vec::new(), &pv.outputs, words)
        .unwrap();
    gas(
        "answerWithProof (digest statement: 1 public input, callback storing 10 outputs)",
        s.receipt.gas_used,
    );
    assert_eq!(s.answerer, node);
    assert_eq!(env.consumer_outputs(), pv.outputs);
}

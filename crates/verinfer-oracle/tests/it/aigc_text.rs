//! ERC-7007 tokens of generated text (`AIGCText`) on the in-process chain, on the tiny LLaMA
//! step graph: a token minted on a pending generation claim verifies once the claim is final;
//! one minted on a settled text request verifies at once; a lying claim's token loses its text
//! when the claim loses and takes the true text through `update`; unsettled requests, lost
//! claims, tampered text and malformed encodings are refused by name.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use alloy_sol_types::{sol_data, SolType};
use verinfer_chain::{Bytes, B256, U256};
use verinfer_opml::generation::{GenExecution, GenSubmitter};
use verinfer_opml::ClaimStatus;
use verinfer_oracle::bindings_text::AIGCText::{self, AIGCTextErrors as E};
use verinfer_oracle::{
    model_id_of, AigcTextClient, TextPrompt, TextProof, TextRequestId, TextVocab,
};
use verinfer_testing::llm::{
    aigc_err, honest_generation as honest, lying_generation, midway_lie, tiny_model as model,
    tiny_prompt, TextEnv, TINY_NEW_TOKENS as N,
};

/// A vocabulary of pieces of every kind: words with a leading space, bare words, single
/// bytes, multi-byte UTF-8 and empty (control) pieces.
fn vocab() -> TextVocab {
    let v = model().layout().vocab;
    let pieces = (0..v)
        .map(|i| match i % 5 {
            0 => format!(" w{i}").into_bytes(),
            1 => format!("s{i}").into_bytes(),
            2 => vec![(i % 256) as u8],
            3 => "é".as_bytes().to_vec(),
            _ => Vec::new(),
        })
        .collect();
    TextVocab::new(pieces).unwrap()
}

fn prompt_ids(shift: u32) -> Vec<u32> {
    tiny_prompt(&model(), shift)
}

fn gas(label: &str, g: u64) {
    eprintln!("gas {label}: {g}");
}

/// The text stack with a collection of the model (vocabulary [`vocab`]) beside it.
fn env() -> (TextEnv, AigcTextClient) {
    let mut env = TextEnv::new();
    let (aigc, r) = AigcTextClient::deploy(
        &mut env.chain,
        env.owner,
        ("verinfer text", "VTXT"),
        model_id_of(env.model),
        env.oracle.address,
        &vocab(),
    )
    .unwrap();
    gas(
        &format!("deploy AIGCText ({} tokens)", vocab().len()),
        r.gas_used,
    );
    (env, aigc)
}

/// A fresh collection and a request for `N` tokens after prompt `shift`, answered by the
/// node's honest claim (pending): what most tests start from. In order: the environment, the
/// collection, the request, the honest generation, its claim, its text and
/// the prompt as the collection takes it.
type Answered = (
    TextEnv,
    AigcTextClient,
    TextRequestId,
    GenExecution,
    u64,
    Vec<u8>,
    TextPrompt,
);

fn answered(shift: u32) -> Answered {
    let (mut env, aigc) = env();
    let ids = prompt_ids(shift);
    let req = env.ask(&ids);
    let gen = honest(&ids);
    let claim = env.answer(env.node, &gen, req);
    let text = text_of(gen.tokens());
    let p = prompt(&ids);
    (env, aigc, req, gen, claim, text, p)
}

fn text_of(tokens: &[u32]) -> Vec<u8> {
    vocab().text(tokens).unwrap()
}

fn prompt(ids: &[u32]) -> TextPrompt {
    TextPrompt {
        ids: ids.to_vec(),
        max_new_tokens: N,
    }
}

#[test]
fn a_claim_token_verifies_once_the_claim_is_final() {
    let (mut env, aigc, _, gen, claim, text, p) = answered(0);
    // The collection decodes exactly as the off-chain vocabulary does.
    assert_eq!(aigc.text_of(&mut env.chain, gen.tokens()).unwrap(), text);
    let proof = TextProof::Claim {
        claim,
        tokens: gen.tokens().to_vec(),
    };
    // Only the claim's submitter mints with it.
    let e = env
        .mint(aigc, (env.liar, env.liar), &p, &text, &proof)
        .unwrap_err();
    assert!(matches!(e, E::NotEvidenceHolder(_)));
    let (tok, r) = aigc
        .mint(
            &mut env.chain,
            (env.node, env.requester),
            &p,
            &text,
            "ipfs://pending",
            &proof,
        )
        .unwrap();
    gas("AIGCText.mint (claim, 8 tokens)", r.gas_used);
    assert_eq!(tok, p.token_id().unwrap());
    assert_eq!(aigc.owner_of(&mut env.chain, tok).unwrap(), env.requester);
    // Pending: minted, not yet verified.
    assert!(!aigc.is_verified(&mut env.chain, tok).unwrap());
    assert!(!env.verifies(aigc, &p, &text, &proof));
    env.finalize(claim);
    assert!(aigc.is_verified(&mut env.chain, tok).unwrap());
    assert!(env.verifies(aigc, &p, &text, &proof));
    // Another text, another token count, another prompt: false.
    let mut tampered = text.clone();
    tampered[0] ^= 1;
    assert!(!env.verifies(aigc, &p, &tampered, &proof));
    let longer = TextPrompt {
        max_new_tokens: N + 1,
        ..p.clone()
    };
    assert!(!env.verifies(aigc, &longer, &text, &proof));
    assert!(!env.verifies(aigc, &prompt(&prompt_ids(1)), &text, &proof));
    // The EIP's update: the owner sets the uri, with the token's own text only.
    let e = aigc
        .update_uri(&mut env.chain, env.requester, &p, &tampered, "x")
        .unwrap_err();
    assert!(matches!(aigc_err(e), E::DataMismatch(_)));
    let e = aigc
        .update_uri(&mut env.chain, env.liar, &p, &text, "x")
        .unwrap_err();
    assert!(matches!(aigc_err(e), E::NotAuthorized(_)));
    aigc.update_uri(&mut env.chain, env.requester, &p, &text, "ipfs://final")
        .unwrap();
    assert_eq!(aigc.token_uri(&mut env.chain, tok).unwrap(), "ipfs://final");
    // Nothing to replace while the claim stands.
    let e = aigc
        .replace(&mut env.chain, env.node, &p, &text, &proof)
        .unwrap_err();
    assert!(matches!(aigc_err(e), E::NothingToReplace(_)));
}

#[test]
fn a_request_token_mints_only_once_settled_and_only_with_its_text() {
    let (mut env, aigc, req, gen, claim, text, p) = answered(2);
    let proof = TextProof::Request(req);
    let rr = (env.requester, env.requester);
    // Unsettled: refused (answered, then final but not settled).
    let e = env.mint(aigc, rr, &p, &text, &proof).unwrap_err();
    assert!(matches!(e, E::RequestNotUsable(x) if x.why == "not fulfilled"));
    env.finalize(claim);
    let e = env.mint(aigc, rr, &p, &text, &proof).unwrap_err();
    assert!(matches!(e, E::RequestNotUsable(x) if x.why == "not fulfilled"));
    assert!(!env.verifies(aigc, &p, &text, &proof));
    env.oracle
        .settle(&mut env.chain, env.node, req, gen.tokens())
        .unwrap();
    // Tampered text, a changed byte or a dropped one.
    let mut tampered = text.clone();
    *tampered.last_mut().unwrap() ^= 0x20;
    let e = env.mint(aigc, rr, &p, &tampered, &proof).unwrap_err();
    assert!(matches!(e, E::RequestNotUsable(x) if x.why == "aigcData"));
    let e = env
        .mint(aigc, rr, &p, &text[..text.len() - 1], &proof)
        .unwrap_err();
    assert!(matches!(e, E::RequestNotUsable(x) if x.why == "aigcData"));
    // Another count of tokens for the same prompt ids.
    let e = env
        .mint(
            aigc,
            rr,
            &TextPrompt {
                max_new_tokens: N - 1,
                ..p.clone()
            },
            &text,
            &proof,
        )
        .unwrap_err();
    assert!(matches!(e, E::RequestNotUsable(x) if x.why == "token count"));
    // Only the requester.
    let e = env
        .mint(aigc, (env.node, env.node), &p, &text, &proof)
        .unwrap_err();
    assert!(matches!(e, E::NotEvidenceHolder(_)));
    let (tok, r) = env.mint(aigc, rr, &p, &text, &proof).unwrap();
    gas("AIGCText.mint (settled request, 8 tokens)", r.gas_used);
    assert!(aigc.is_verified(&mut env.chain, tok).unwrap());
    assert!(env.verifies(aigc, &p, &text, &proof));
    assert!(!env.verifies(aigc, &p, &tampered, &proof));
    let ev = aigc.evidence_of(&mut env.chain, tok).unwrap();
    assert_eq!((ev.kind, ev.id), (TextProof::REQUEST, req.index()));
    let e = env.mint(aigc, rr, &p, &text, &proof).unwrap_err();
    assert!(matches!(e, E::TokenAlreadyMinted(_)));
}

#[test]
fn a_lying_claims_token_loses_its_text_and_takes_the_true_one() {
    let (mut env, aigc) = env();
    let ids = prompt_ids(3);
    let req = env.ask(&ids);
    let lie = lying_generation(&ids, midway_lie(&ids));
    let bad = env.answer(env.liar, &lie, req);
    let lie_text = text_of(lie.tokens());
    let p = prompt(&ids);
    let lie_proof = TextProof::Claim {
        claim: bad,
        tokens: lie.tokens().to_vec(),
    };
    // While pending, the liar can mint its text (not verified).
    let (tok, _) = env
        .mint(aigc, (env.liar, env.requester), &p, &lie_text, &lie_proof)
        .unwrap();
    assert!(!aigc.is_verified(&mut env.chain, tok).unwrap());
    let mut sub = GenSubmitter::new(lie, env.liar);
    assert_eq!(env.contest(&mut sub, bad).winner, "challenger");
    assert_eq!(
        env.game.status(&mut env.chain, bad).unwrap(),
        ClaimStatus::Rejected
    );
    assert!(!aigc.is_verified(&mut env.chain, tok).unwrap());
    assert!(!env.verifies(aigc, &p, &lie_text, &lie_proof));
    let e = aigc
        .update_uri(&mut env.chain, env.requester, &p, &lie_text, "x")
        .unwrap_err();
    assert!(matches!(aigc_err(e), E::EvidenceDefeated(_)));
    // A lost claim mints nothing (a second collection of the same model).
    let (other, _) = AigcTextClient::deploy(
        &mut env.chain,
        env.owner,
        ("b", "B"),
        model_id_of(env.model),
        env.oracle.address,
        &vocab(),
    )
    .unwrap();
    let e = env
        .mint(other, (env.liar, env.liar), &p, &lie_text, &lie_proof)
        .unwrap_err();
    assert!(matches!(e, E::ClaimNotUsable(x) if x.status == 3));

    // The honest answer settles; anyone puts the true text into the token.
    let gen = honest(&ids);
    let good = env.answer(env.node, &gen, req);
    env.finalize(good);
    env.oracle
        .settle(&mut env.chain, env.node, req, gen.tokens())
        .unwrap();
    let text = text_of(gen.tokens());
    assert_ne!(text, lie_text);
    let proof = TextProof::Request(req);
    let e = aigc
        .replace(&mut env.chain, env.node, &p, &lie_text, &proof)
        .unwrap_err();
    assert!(matches!(aigc_err(e), E::RequestNotUsable(x) if x.why == "aigcData"));
    let r = aigc
        .replace(&mut env.chain, env.node, &p, &text, &proof)
        .unwrap();
    gas("AIGCText.update(proof) (settled request)", r.gas_used);
    assert!(aigc
        .receipt_events(&r)
        .iter()
        .any(|e| matches!(e, AIGCText::AIGCTextEvents::Update(_))));
    assert_eq!(aigc.owner_of(&mut env.chain, tok).unwrap(), env.requester);
    assert!(aigc.is_verified(&mut env.chain, tok).unwrap());
    assert!(env.verifies(aigc, &p, &text, &proof));
    let ev = aigc.evidence_of(&mut env.chain, tok).unwrap();
    assert_eq!(ev.aigc_data_hash, alloy_primitives::keccak256(&text));
}

#[test]
fn malformed_prompts_proofs_and_vocabularies_are_refused_by_name() {
    let (mut env, aigc, _, gen, claim, text, p) = answered(4);
    let good = AIGCText::mintCall {
        to: env.node,
        prompt: p.encode().unwrap(),
        aigcData: Bytes::from(text.clone()),
        uri: String::new(),
        proof: TextProof::Claim {
            claim,
            tokens: gen.tokens().to_vec(),
        }
        .encode()
        .unwrap(),
    };
    let mut refused = |call: AIGCText::mintCall| {
        aigc_err(aigc.mint_raw(&mut env.chain, env.node, &call).unwrap_err())
    };
    // A prompt with a trailing byte (same ids, another token id).
    let mut long = good.prompt.to_vec();
    long.push(0);
    let c = AIGCText::mintCall {
        prompt: Bytes::from(long),
        ..good.clone()
    };
    assert!(matches!(refused(c), E::NonCanonicalEncoding(_)));
    // Unknown tag, short proof, non-canonical claim evidence.
    let c = AIGCText::mintCall {
        proof: Bytes::from(
            <(sol_data::Uint<8>, sol_data::Uint<256>)>::abi_encode_params(&(9u8, U256::ZERO)),
        ),
        ..good.clone()
    };
    assert!(matches!(refused(c), E::UnknownProofKind(_)));
    let c = AIGCText::mintCall {
        proof: Bytes::from(vec![0u8; 31]),
        ..good.clone()
    };
    assert!(matches!(refused(c), E::MalformedProof(_)));
    let mut padded = good.proof.to_vec();
    padded.extend_from_slice(&[0; 32]);
    let c = AIGCText::mintCall {
        proof: Bytes::from(padded),
        ..good.clone()
    };
    assert!(matches!(refused(c), E::MalformedProof(_)));
    // Claim evidence whose tokens are not the claim's (though their text might be).
    let mut other = gen.tokens().to_vec();
    other[0] = (other[0] + 5) % model().layout().vocab as u32;
    let c = AIGCText::mintCall {
        proof: TextProof::Claim {
            claim,
            tokens: other,
        }
        .encode()
        .unwrap(),
        ..good.clone()
    };
    assert!(matches!(refused(c), E::ClaimDoesNotMatch(x) if x.what == "tokens"));
    let c = AIGCText::mintCall {
        proof: TextProof::Claim {
            claim: claim + 10,
            tokens: gen.tokens().to_vec(),
        }
        .encode()
        .unwrap(),
        ..good.clone()
    };
    assert!(matches!(refused(c), E::ClaimDoesNotMatch(x) if x.what == "no such claim"));
    let c = AIGCText::mintCall {
        proof: TextProof::Request(TextRequestId::new(99)).encode().unwrap(),
        ..good.clone()
    };
    assert!(matches!(refused(c), E::RequestNotUsable(x) if x.why == "no such request"));
    aigc.mint_raw(&mut env.chain, env.node, &good).unwrap();

    // Vocabularies of the wrong size; a token outside the vocabulary.
    let v = model().layout().vocab;
    for pieces in [vec![b"a".to_vec(); v - 1], vec![b"a".to_vec(); v + 1]] {
        let e = AigcTextClient::deploy(
            &mut env.chain,
            env.owner,
            ("x", "X"),
            model_id_of(env.model),
            env.oracle.address,
            &TextVocab::new(pieces).unwrap(),
        )
        .unwrap_err();
        assert!(matches!(aigc_err(e), E::BadVocabulary(_)));
    }
    let e = AigcTextClient::deploy(
        &mut env.chain,
        env.owner,
        ("x", "X"),
        model_id_of(B256::repeat_byte(7)),
        env.oracle.address,
        &vocab(),
    )
    .unwrap_err();
    assert!(matches!(aigc_err(e), E::UnknownModel(_)));
    let e = aigc.text_of(&mut env.chain, &[v as u32]).unwrap_err();
    assert!(matches!(aigc_err(e), E::TokenOutsideVocab(_)));
}

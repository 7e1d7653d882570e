//! ERC-7007 tokens of generated text (`AIGCText`) on the in-process chain, on the tiny LLaMA
//! step graph: a token minted on a pending generation claim verifies once the claim is final;
//! one minted on a settled text request verifies at once; a lying claim's token loses its text
//! when the claim loses and takes the true text through `update`; unsettled requests, lost
//! claims, tampered text and malformed encodings are refused by name.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr,
    missing_docs
)]

use std::sync::{Arc, OnceLock};

use alloy_sol_types::{sol_data, SolType};
use verinfer_chain::{Address, Bytes, Chain, RevmChain, B256, U256};
use verinfer_opml::generation::bindings::GenerationGame;
use verinfer_opml::generation::{
    contest, GenChallenger, GenChallengerStrategy, GenClient, GenContracts, GenExecution, GenLie,
    GenModel, GenSubmitter,
};
use verinfer_opml::{ClaimStatus, OpmlContracts};
use verinfer_oracle::bindings_text::AIGCText::{self, AIGCTextErrors as E};
use verinfer_oracle::{
    model_id_of, AigcTextClient, OracleError, TextOracleClient, TextPrompt, TextProof, TextRequest,
    TextRequestId, TextVocab,
};
use verinfer_testing::llm::{deploy_text_stack, tiny_gen_model, tiny_prompt, TextStack};

const CTX: usize = 16;
const N: u32 = 8;

fn model() -> Arc<GenModel> {
    static M: OnceLock<Arc<GenModel>> = OnceLock::new();
    Arc::clone(M.get_or_init(|| tiny_gen_model(CTX)))
}

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

struct Env {
    chain: RevmChain,
    c: OpmlContracts,
    game: GenClient,
    oracle: TextOracleClient,
    aigc: AigcTextClient,
    model: B256,
    owner: Address,
    requester: Address,
    node: Address,
    liar: Address,
}

fn honest(p: &[u32]) -> GenExecution {
    GenExecution::run(model(), p, N as usize, None).unwrap()
}

fn env() -> Env {
    let (mut chain, c) = verinfer_testing::chain::deployed_opml();
    let a = chain.accounts();
    let (owner, requester, node, liar) = (a[0], a[1], a[2], a[3]);
    let params = verinfer_testing::chain::game_params(600, 300);
    let TextStack {
        game,
        text: oracle,
        word,
        ..
    } = deploy_text_stack(&mut chain, owner, &c, &model(), &params);
    let (aigc, r) = AigcTextClient::deploy(
        &mut chain,
        owner,
        ("verinfer text", "VTXT"),
        model_id_of(word),
        oracle.address,
        &vocab(),
    )
    .unwrap();
    gas(
        &format!("deploy AIGCText ({} tokens)", vocab().len()),
        r.gas_used,
    );
    Env {
        chain,
        c,
        game,
        oracle,
        aigc,
        model: word,
        owner,
        requester,
        node,
        liar,
    }
}

fn aigc_err(e: OracleError) -> E {
    match e {
        OracleError::AigcText { error, .. } => *error,
        other => panic!("expected an AIGCText error, got {other}"),
    }
}

impl Env {
    fn request(&mut self, p: &[u32]) -> TextRequestId {
        let req = TextRequest {
            model: model_id_of(self.model),
            prompt: p.to_vec(),
            max_new_tokens: N,
            seed: 0,
            callback: Address::ZERO,
            callback_gas_limit: 0,
        };
        let fee = self.oracle.required_fee(&mut self.chain, 0).unwrap();
        self.oracle
            .request(&mut self.chain, self.requester, &req, fee)
            .unwrap()
            .0
    }

    /// `who` posts `gen` as a generation claim and answers `req` with it.
    fn answer(&mut self, who: Address, gen: &GenExecution, req: TextRequestId) -> u64 {
        let call = GenerationGame::claimCall {
            modelId: self.model,
            prompt: gen.prompt().iter().map(|&t| t as i32).collect(),
            tokens: gen.tokens().iter().map(|&t| t as i32).collect(),
            root: B256::from(gen.root().to_bytes()),
        };
        let bond = self.game.config(&mut self.chain).unwrap().submitter_bond;
        let (id, _) = self.game.claim(&mut self.chain, who, bond, call).unwrap();
        self.oracle.answer(&mut self.chain, who, req, id).unwrap();
        id
    }

    fn finalize(&mut self, claim: u64) {
        let w = self.game.config(&mut self.chain).unwrap().window;
        self.chain.advance_time(w + 1).unwrap();
        let call = GenerationGame::finalizeCall {
            claimId: U256::from(claim),
        };
        self.game.send(&mut self.chain, self.node, &call).unwrap();
    }

    fn contest(&mut self, sub: &mut GenSubmitter, claim: u64) -> String {
        let h = honest(sub.gen.prompt());
        let mut cha = GenChallenger::new(h, self.node, GenChallengerStrategy::Honest);
        let (registry, steps, game) = (self.c.registry, self.c.game, self.game);
        let ctx = GenContracts {
            registry: &registry,
            steps: &steps,
            game: &game,
        };
        contest(&mut self.chain, ctx, sub, &mut cha, claim)
            .unwrap()
            .winner
    }

    fn text(&self, tokens: &[u32]) -> Vec<u8> {
        vocab().text(tokens).unwrap()
    }
}

fn prompt(ids: &[u32]) -> TextPrompt {
    TextPrompt {
        ids: ids.to_vec(),
        max_new_tokens: N,
    }
}

#[test]
fn a_claim_token_verifies_once_the_claim_is_final() {
    let mut env = env();
    let ids = prompt_ids(0);
    let req = env.request(&ids);
    let gen = honest(&ids);
    let claim = env.answer(env.node, &gen, req);
    let text = env.text(gen.tokens());
    // The collection decodes exactly as the off-chain vocabulary does.
    assert_eq!(
        env.aigc.text_of(&mut env.chain, gen.tokens()).unwrap(),
        text
    );
    let proof = TextProof::Claim {
        claim,
        tokens: gen.tokens().to_vec(),
    };
    let p = prompt(&ids);
    // Only the claim's submitter mints with it.
    let e = env
        .aigc
        .mint(&mut env.chain, (env.liar, env.liar), &p, &text, "", &proof)
        .unwrap_err();
    assert!(matches!(aigc_err(e), E::NotEvidenceHolder(_)));
    let (tok, r) = env
        .aigc
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
    assert_eq!(
        env.aigc.owner_of(&mut env.chain, tok).unwrap(),
        env.requester
    );
    // Pending: minted, not yet verified.
    assert!(!env.aigc.is_verified(&mut env.chain, tok).unwrap());
    assert!(!env.aigc.verify(&mut env.chain, &p, &text, &proof).unwrap());
    env.finalize(claim);
    assert!(env.aigc.is_verified(&mut env.chain, tok).unwrap());
    assert!(env.aigc.verify(&mut env.chain, &p, &text, &proof).unwrap());
    // Another text, another token count, another prompt: false.
    let mut tampered = text.clone();
    tampered[0] ^= 1;
    assert!(!env
        .aigc
        .verify(&mut env.chain, &p, &tampered, &proof)
        .unwrap());
    let longer = TextPrompt {
        max_new_tokens: N + 1,
        ..p.clone()
    };
    assert!(!env
        .aigc
        .verify(&mut env.chain, &longer, &text, &proof)
        .unwrap());
    assert!(!env
        .aigc
        .verify(&mut env.chain, &prompt(&prompt_ids(1)), &text, &proof)
        .unwrap());
    // The EIP's update: the owner sets the uri, with the token's own text only.
    let e = env
        .aigc
        .update_uri(&mut env.chain, env.requester, &p, &tampered, "x")
        .unwrap_err();
    assert!(matches!(aigc_err(e), E::DataMismatch(_)));
    let e = env
        .aigc
        .update_uri(&mut env.chain, env.liar, &p, &text, "x")
        .unwrap_err();
    assert!(matches!(aigc_err(e), E::NotAuthorized(_)));
    env.aigc
        .update_uri(&mut env.chain, env.requester, &p, &text, "ipfs://final")
        .unwrap();
    assert_eq!(
        env.aigc.token_uri(&mut env.chain, tok).unwrap(),
        "ipfs://final"
    );
    // Nothing to replace while the claim stands.
    let e = env
        .aigc
        .replace(&mut env.chain, env.node, &p, &text, &proof)
        .unwrap_err();
    assert!(matches!(aigc_err(e), E::NothingToReplace(_)));
}

#[test]
fn a_request_token_mints_only_once_settled_and_only_with_its_text() {
    let mut env = env();
    let ids = prompt_ids(2);
    let req = env.request(&ids);
    let gen = honest(&ids);
    let claim = env.answer(env.node, &gen, req);
    let text = env.text(gen.tokens());
    let p = prompt(&ids);
    let proof = TextProof::Request(req);
    // Unsettled: refused (answered, then final but not settled).
    let e = env
        .aigc
        .mint(
            &mut env.chain,
            (env.requester, env.requester),
            &p,
            &text,
            "",
            &proof,
        )
        .unwrap_err();
    assert!(matches!(aigc_err(e), E::RequestNotUsable(x) if x.why == "not fulfilled"));
    env.finalize(claim);
    let e = env
        .aigc
        .mint(
            &mut env.chain,
            (env.requester, env.requester),
            &p,
            &text,
            "",
            &proof,
        )
        .unwrap_err();
    assert!(matches!(aigc_err(e), E::RequestNotUsable(x) if x.why == "not fulfilled"));
    assert!(!env.aigc.verify(&mut env.chain, &p, &text, &proof).unwrap());
    env.oracle
        .settle(&mut env.chain, env.node, req, gen.tokens())
        .unwrap();
    // Tampered text, a changed byte or a dropped one.
    let mut tampered = text.clone();
    *tampered.last_mut().unwrap() ^= 0x20;
    let e = env
        .aigc
        .mint(
            &mut env.chain,
            (env.requester, env.requester),
            &p,
            &tampered,
            "",
            &proof,
        )
        .unwrap_err();
    assert!(matches!(aigc_err(e), E::RequestNotUsable(x) if x.why == "aigcData"));
    let e = env
        .aigc
        .mint(
            &mut env.chain,
            (env.requester, env.requester),
            &p,
            &text[..text.len() - 1],
            "",
            &proof,
        )
        .unwrap_err();
    assert!(matches!(aigc_err(e), E::RequestNotUsable(x) if x.why == "aigcData"));
    // Another count of tokens for the same prompt ids.
    let e = env
        .aigc
        .mint(
            &mut env.chain,
            (env.requester, env.requester),
            &TextPrompt {
                max_new_tokens: N - 1,
                ..p.clone()
            },
            &text,
            "",
            &proof,
        )
        .unwrap_err();
    assert!(matches!(aigc_err(e), E::RequestNotUsable(x) if x.why == "token count"));
    // Only the requester.
    let e = env
        .aigc
        .mint(&mut env.chain, (env.node, env.node), &p, &text, "", &proof)
        .unwrap_err();
    assert!(matches!(aigc_err(e), E::NotEvidenceHolder(_)));
    let (tok, r) = env
        .aigc
        .mint(
            &mut env.chain,
            (env.requester, env.requester),
            &p,
            &text,
            "",
            &proof,
        )
        .unwrap();
    gas("AIGCText.mint (settled request, 8 tokens)", r.gas_used);
    assert!(env.aigc.is_verified(&mut env.chain, tok).unwrap());
    assert!(env.aigc.verify(&mut env.chain, &p, &text, &proof).unwrap());
    assert!(!env
        .aigc
        .verify(&mut env.chain, &p, &tampered, &proof)
        .unwrap());
    let ev = env.aigc.evidence_of(&mut env.chain, tok).unwrap();
    assert_eq!((ev.kind, ev.id), (TextProof::REQUEST, req.index()));
    let e = env
        .aigc
        .mint(
            &mut env.chain,
            (env.requester, env.requester),
            &p,
            &text,
            "",
            &proof,
        )
        .unwrap_err();
    assert!(matches!(aigc_err(e), E::TokenAlreadyMinted(_)));
}

#[test]
fn a_lying_claims_token_loses_its_text_and_takes_the_true_one() {
    let mut env = env();
    let ids = prompt_ids(3);
    let req = env.request(&ids);
    let t = ids.len() + N as usize - 1;
    let lie = GenExecution::run(
        model(),
        &ids,
        N as usize,
        Some(GenLie::WrongToken { step: t / 2 }),
    )
    .unwrap();
    let bad = env.answer(env.liar, &lie, req);
    let lie_text = env.text(lie.tokens());
    let p = prompt(&ids);
    let lie_proof = TextProof::Claim {
        claim: bad,
        tokens: lie.tokens().to_vec(),
    };
    // While pending, the liar can mint its text (not verified).
    let (tok, _) = env
        .aigc
        .mint(
            &mut env.chain,
            (env.liar, env.requester),
            &p,
            &lie_text,
            "",
            &lie_proof,
        )
        .unwrap();
    assert!(!env.aigc.is_verified(&mut env.chain, tok).unwrap());
    let mut sub = GenSubmitter::new(lie, env.liar);
    assert_eq!(env.contest(&mut sub, bad), "challenger");
    assert_eq!(
        env.game.status(&mut env.chain, bad).unwrap(),
        ClaimStatus::Rejected
    );
    assert!(!env.aigc.is_verified(&mut env.chain, tok).unwrap());
    assert!(!env
        .aigc
        .verify(&mut env.chain, &p, &lie_text, &lie_proof)
        .unwrap());
    let e = env
        .aigc
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
    let e = other
        .mint(
            &mut env.chain,
            (env.liar, env.liar),
            &p,
            &lie_text,
            "",
            &lie_proof,
        )
        .unwrap_err();
    assert!(matches!(aigc_err(e), E::ClaimNotUsable(x) if x.status == 3));

    // The honest answer settles; anyone puts the true text into the token.
    let gen = honest(&ids);
    let good = env.answer(env.node, &gen, req);
    env.finalize(good);
    env.oracle
        .settle(&mut env.chain, env.node, req, gen.tokens())
        .unwrap();
    let text = env.text(gen.tokens());
    assert_ne!(text, lie_text);
    let proof = TextProof::Request(req);
    let e = env
        .aigc
        .replace(&mut env.chain, env.node, &p, &lie_text, &proof)
        .unwrap_err();
    assert!(matches!(aigc_err(e), E::RequestNotUsable(x) if x.why == "aigcData"));
    let r = env
        .aigc
        .replace(&mut env.chain, env.node, &p, &text, &proof)
        .unwrap();
    gas("AIGCText.update(proof) (settled request)", r.gas_used);
    assert!(env
        .aigc
        .receipt_events(&r)
        .iter()
        .any(|e| matches!(e, AIGCText::AIGCTextEvents::Update(_))));
    assert_eq!(
        env.aigc.owner_of(&mut env.chain, tok).unwrap(),
        env.requester
    );
    assert!(env.aigc.is_verified(&mut env.chain, tok).unwrap());
    assert!(env.aigc.verify(&mut env.chain, &p, &text, &proof).unwrap());
    let ev = env.aigc.evidence_of(&mut env.chain, tok).unwrap();
    assert_eq!(ev.aigc_data_hash, alloy_primitives::keccak256(&text));
}

#[test]
fn malformed_prompts_proofs_and_vocabularies_are_refused_by_name() {
    let mut env = env();
    let ids = prompt_ids(4);
    let req = env.request(&ids);
    let gen = honest(&ids);
    let claim = env.answer(env.node, &gen, req);
    let text = env.text(gen.tokens());
    let p = prompt(&ids);
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
        aigc_err(
            env.aigc
                .mint_raw(&mut env.chain, env.node, &call)
                .unwrap_err(),
        )
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
    env.aigc.mint_raw(&mut env.chain, env.node, &good).unwrap();

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
    let e = env.aigc.text_of(&mut env.chain, &[v as u32]).unwrap_err();
    assert!(matches!(aigc_err(e), E::TokenOutsideVocab(_)));
}

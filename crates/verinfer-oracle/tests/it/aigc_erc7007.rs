//! ERC-7007 conformance of `AIGC` on the in-process chain, opML mode, with real claims of the
//! digits MLP: interface ids (computed by the Solidity compiler) and `supportsInterface`;
//! Mint/Transfer events; mint (by the claim's submitter, of a claim that posted its input)
//! while the claim is pending, `verify` false until it is final; mint through a fulfilled
//! oracle request by its requester; duplicate prompts; the Update extension after a rejected claim; ERC-721 transfers,
//! approvals, operators and `safeTransferFrom` to contracts that do or do not accept tokens.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;
use alloy_primitives::keccak256;
use alloy_sol_types::{SolCall, SolEvent};
use common::*;
use verinfer_chain::bindings_oracle::AIGC::{self, AIGCErrors as A};
use verinfer_chain::bindings_oracle::{PackHarness, ReceiverHarness};
use verinfer_chain::{view, Address, Bytes, U256};
use verinfer_opml::ClaimStatus;
use verinfer_oracle::{encode_tensors, model_shapes, token_id, AIGCEvents, AigcClient, AigcProof};

/// A collection, the sample input, its honest outputs, and the node's claim of them that
/// posted its input.
fn posted_claim(env: &mut Env) -> (AigcClient, Vec<Vec<i32>>, Vec<Vec<i32>>, u64) {
    let c = collection(env);
    let (g, input) = mlp().clone();
    let e = exec(&g, &input);
    let outs = outputs(&e);
    let node = env.who.node;
    let (claim, _) = env.claim_posting_input(e, node);
    (c, input, outs, claim)
}

fn collection(env: &mut Env) -> AigcClient {
    let (ins, outs) = model_shapes(&mlp().0).unwrap();
    let owner = env.who.owner;
    let (model, oracle) = (env.model_id(), env.oracle.address);
    let (c, r) = AigcClient::deploy(
        &mut env.chain,
        owner,
        "Digits",
        "DGT",
        model,
        oracle,
        &ins,
        &outs,
        0,
    )
    .unwrap();
    gas("deploy AIGC", r.gas_used);
    c
}

fn selector_xor() -> [u8; 4] {
    let a = AIGC::mintCall::SELECTOR;
    let b = AIGC::verifyCall::SELECTOR;
    [a[0] ^ b[0], a[1] ^ b[1], a[2] ^ b[2], a[3] ^ b[3]]
}

#[test]
fn interface_ids_and_supports_interface() {
    let mut env = env();
    let owner = env.who.owner;
    let h = env.deploy(&PackHarness::BYTECODE, "PackHarness");
    let ids = view(
        &mut env.chain,
        owner,
        h,
        &PackHarness::interfaceIdsCall {},
        "interfaceIds",
    )
    .unwrap();
    let ids: Vec<[u8; 4]> = ids.iter().map(|b| b.0).collect();
    // type(I).interfaceId as solc computes it, against the EIPs' published ids.
    assert_eq!(ids[0], [0x01, 0xff, 0xc9, 0xa7], "IERC165");
    assert_eq!(ids[1], [0x80, 0xac, 0x58, 0xcd], "IERC721");
    assert_eq!(ids[2], [0x5b, 0x5e, 0x13, 0x9f], "IERC721Metadata");
    // IERC7007 as specified (mint with `address to`): solc's id is mint ^ verify = 0x2a8ab591.
    assert_eq!(ids[3], selector_xor(), "IERC7007 = mint ^ verify");
    assert_eq!(ids[3], [0x2a, 0x8a, 0xb5, 0x91], "IERC7007");
    // The EIP publishes 0x7e52e423, which is the id of the draft `mint` without `to`:
    // mint(bytes,bytes,string,bytes) ^ verify(bytes,bytes,bytes).
    let draft_mint = &keccak256("mint(bytes,bytes,string,bytes)")[..4];
    let published: Vec<u8> = draft_mint
        .iter()
        .zip(AIGC::verifyCall::SELECTOR)
        .map(|(a, b)| a ^ b)
        .collect();
    assert_eq!(published, [0x7e, 0x52, 0xe4, 0x23]);
    assert_eq!(ids[4], AIGC::update_0Call::SELECTOR, "IERC7007Updatable");
    assert_eq!(ids[4], [0x89, 0x84, 0x55, 0x28]);

    let c = collection(&mut env);
    let mut all = ids.clone();
    all.push([0x7e, 0x52, 0xe4, 0x23]);
    for id in &all {
        assert!(
            c.supports_interface(&mut env.chain, *id).unwrap(),
            "{id:02x?}"
        );
    }
    for id in [[0xff; 4], [0; 4], [0x12, 0x34, 0x56, 0x78]] {
        assert!(
            !c.supports_interface(&mut env.chain, id).unwrap(),
            "{id:02x?}"
        );
    }
    assert_eq!(c.name(&mut env.chain).unwrap(), "Digits");
    assert_eq!(c.symbol(&mut env.chain).unwrap(), "DGT");
}

#[test]
fn opml_mint_then_verify_after_finalization() {
    let mut env = env();
    let (c, input, outs, claim) = posted_claim(&mut env);
    let node = env.who.node;
    let holder = env.who.requester;
    let proof = AigcProof::Opml(claim);

    // Only the claim's submitter mints with it (to whom it likes).
    assert_eq!(
        aigc_err(c.mint(&mut env.chain, holder, holder, &input, &outs, "", &proof)),
        A::NotEvidenceHolder(AIGC::NotEvidenceHolder {
            caller: holder,
            holder: node
        })
    );
    // Mint while the claim is pending: allowed; verify is false until it is final.
    let (id, r) = c
        .mint(
            &mut env.chain,
            node,
            holder,
            &input,
            &outs,
            "ipfs://digit",
            &proof,
        )
        .unwrap();
    gas("AIGC.mint (opML, 64-in/10-out)", r.gas_used);
    assert_eq!(id, token_id(&input));
    assert_eq!(id, U256::from_be_bytes(keccak256(encode_tensors(&input)).0));
    let evs = c.receipt_events(&r);
    assert_eq!(evs.len(), 2, "{evs:?}");
    match &evs[0] {
        AIGCEvents::Transfer(t) => {
            assert_eq!((t.from, t.to, t.tokenId), (Address::ZERO, holder, id));
        }
        other => panic!("{other:?}"),
    }
    match &evs[1] {
        AIGCEvents::Mint(m) => {
            assert_eq!(m.to, holder);
            assert_eq!(m.tokenId, id);
            // `bytes indexed prompt`: the topic is keccak256(prompt).
            assert_eq!(m.prompt, keccak256(encode_tensors(&input)));
            assert_eq!(m.aigcData, encode_tensors(&outs));
            assert_eq!(m.uri, "ipfs://digit");
            assert_eq!(m.proof, proof.encode());
        }
        other => panic!("{other:?}"),
    }
    // The raw log's topics are what the EIP's event signature says.
    let raw = r
        .logs
        .iter()
        .find(|l| l.address == c.address && l.topics()[0] == AIGC::Mint::SIGNATURE_HASH)
        .unwrap();
    assert_eq!(raw.topics().len(), 4);
    assert_eq!(
        AIGC::Mint::SIGNATURE,
        "Mint(address,uint256,bytes,bytes,string,bytes)"
    );

    assert_eq!(c.owner_of(&mut env.chain, id).unwrap(), holder);
    assert_eq!(c.balance_of(&mut env.chain, holder).unwrap(), U256::from(1));
    assert_eq!(c.token_uri(&mut env.chain, id).unwrap(), "ipfs://digit");
    let ev = c.evidence_of(&mut env.chain, id).unwrap();
    assert_eq!((ev.kind, ev.claim_id), (AigcProof::OPML, claim));
    assert_eq!(ev.aigc_data_hash, keccak256(encode_tensors(&outs)));
    assert!(!c.verify(&mut env.chain, &input, &outs, &proof).unwrap());
    assert!(!c.is_verified(&mut env.chain, id).unwrap());

    env.finalize(claim);
    assert!(c.verify(&mut env.chain, &input, &outs, &proof).unwrap());
    // What a contract calling verify pays (sent as a transaction to measure it).
    let r = verinfer_chain::send_call(
        &mut env.chain,
        holder,
        c.address,
        &AIGC::verifyCall {
            prompt: encode_tensors(&input),
            aigcData: encode_tensors(&outs),
            proof: proof.encode(),
        },
        "AIGC.verify",
    )
    .unwrap();
    gas("AIGC.verify (opML, as a transaction)", r.gas_used);
    assert!(c.is_verified(&mut env.chain, id).unwrap());
    // verify is about its arguments: other data, another prompt, another claim are false.
    let mut wrong = outs.clone();
    wrong[0][0] += 1;
    assert!(!c.verify(&mut env.chain, &input, &wrong, &proof).unwrap());
    assert!(!c
        .verify(&mut env.chain, &other_input(), &outs, &proof)
        .unwrap());
    assert!(!c
        .verify(&mut env.chain, &input, &outs, &AigcProof::Opml(99))
        .unwrap());
    let mut short = outs.clone();
    short[0].pop();
    assert!(!c.verify(&mut env.chain, &input, &short, &proof).unwrap());

    // A prompt is minted once, whoever asks and whatever the evidence.
    let liar = env.who.liar;
    assert_eq!(
        aigc_err(c.mint(&mut env.chain, liar, liar, &input, &outs, "again", &proof)),
        A::TokenAlreadyMinted(AIGC::TokenAlreadyMinted { tokenId: id })
    );
}

#[test]
fn mint_refuses_what_it_cannot_verify() {
    let mut env = env();
    let (c, input, outs, claim) = posted_claim(&mut env);
    let g = &mlp().0;
    let node = env.who.node;
    let to = env.who.requester;
    let p = AigcProof::Opml(claim);
    let mint = |env: &mut Env, input: &[Vec<i32>], outs: &[Vec<i32>], proof: &AigcProof| {
        c.mint(&mut env.chain, node, to, input, outs, "", proof)
    };

    let mut wrong = outs.clone();
    wrong[0][3] -= 1;
    assert_eq!(
        aigc_err(mint(&mut env, &input, &wrong, &p)),
        A::ClaimDoesNotMatch(AIGC::ClaimDoesNotMatch {
            claimId: U256::from(claim),
            what: "output roots".into()
        })
    );
    assert_eq!(
        aigc_err(mint(&mut env, &other_input(), &outs, &p)),
        A::ClaimDoesNotMatch(AIGC::ClaimDoesNotMatch {
            claimId: U256::from(claim),
            what: "input roots".into()
        })
    );
    let mut short = outs.clone();
    short[0].pop();
    assert!(matches!(
        aigc_err(mint(&mut env, &input, &short, &p)),
        A::WrongTensorLength(_)
    ));
    assert!(matches!(
        aigc_err(mint(&mut env, &[], &outs, &p)),
        A::WrongTensorCount(_)
    ));
    assert_eq!(
        aigc_err(mint(&mut env, &input, &outs, &AigcProof::Opml(77))),
        A::NoSuchClaim(AIGC::NoSuchClaim {
            claimId: U256::from(77)
        })
    );
    // A zk proof that does not verify (this collection pinned no zk configuration) mints
    // nothing.
    let prover = env.who.requester;
    assert_eq!(
        aigc_err(mint(
            &mut env,
            &input,
            &outs,
            &AigcProof::Zk {
                prover,
                proof: proof_bytes([U256::ZERO; 8])
            }
        )),
        A::InvalidZkProof(AIGC::InvalidZkProof {})
    );
    // A claim that did not post its input (only its roots) is no evidence: nobody could
    // re-execute it from the chain.
    let (rootless, _) = env.claim(exec(g, &input), node);
    assert_eq!(
        aigc_err(mint(&mut env, &input, &outs, &AigcProof::Opml(rootless))),
        A::InputNotPosted(AIGC::InputNotPosted {
            claimId: U256::from(rootless)
        })
    );
    // Someone else than the claim's submitter.
    assert_eq!(
        aigc_err(c.mint(&mut env.chain, to, to, &input, &outs, "", &p)),
        A::NotEvidenceHolder(AIGC::NotEvidenceHolder {
            caller: to,
            holder: node
        })
    );
    // A prompt the model's executor does not run (a value beyond the input's bit width): the
    // game's reason comes through.
    let mut wide = input.clone();
    wide[0][0] = i32::MAX;
    let err = aigc_err(mint(&mut env, &wide, &outs, &p));
    match err {
        A::InvalidPrompt(ip) => {
            use alloy_sol_types::SolInterface;
            let why = verinfer_chain::bindings::InferenceGame::InferenceGameErrors::abi_decode(
                &ip.reason,
            )
            .unwrap();
            assert!(
                matches!(
                    why,
                    verinfer_chain::bindings::InferenceGame::InferenceGameErrors::InputOutOfRange(
                        _
                    )
                ),
                "{why:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(!c.verify(&mut env.chain, &wide, &outs, &p).unwrap());
    // Requests that are not usable evidence.
    assert_eq!(
        aigc_err(mint(
            &mut env,
            &input,
            &outs,
            &AigcProof::Request(verinfer_oracle::RequestId::new(5))
        )),
        A::RequestNotUsable(AIGC::RequestNotUsable {
            requestId: U256::from(5),
            why: "no such request".into()
        })
    );
    let req = env.request(&input);
    assert_eq!(
        aigc_err(mint(&mut env, &input, &outs, &AigcProof::Request(req))),
        A::RequestNotUsable(AIGC::RequestNotUsable {
            requestId: U256::from(req),
            why: "not fulfilled".into()
        })
    );

    // Raw bytes: unknown tag, wrong proof length, non-canonical prompt encoding.
    let to2 = to;
    let raw = |env: &mut Env, prompt: Bytes, data: Bytes, proof: Bytes| {
        c.mint_raw(&mut env.chain, node, to2, prompt, data, "", proof)
    };
    let (pi, po) = (encode_tensors(&input), encode_tensors(&outs));
    let mut tag4 = p.encode().to_vec();
    tag4[31] = 4;
    assert_eq!(
        aigc_err(raw(&mut env, pi.clone(), po.clone(), tag4.into())),
        A::UnknownProofKind(AIGC::UnknownProofKind {
            kind: U256::from(4)
        })
    );
    let mut long = p.encode().to_vec();
    long.extend([0u8; 32]);
    assert!(matches!(
        aigc_err(raw(&mut env, pi.clone(), po.clone(), long.into())),
        A::MalformedProof(_)
    ));
    assert!(matches!(
        aigc_err(raw(&mut env, pi.clone(), po.clone(), Bytes::new())),
        A::MalformedProof(_)
    ));
    // The same tensors with 32 trailing bytes decode alike but would be another token id.
    let mut padded = pi.to_vec();
    padded.extend([0u8; 32]);
    assert_eq!(
        aigc_err(raw(&mut env, padded.into(), po.clone(), p.encode())),
        A::NonCanonicalEncoding(AIGC::NonCanonicalEncoding {
            what: "prompt".into()
        })
    );
    // A rejected or unknown-status claim is not usable; neither is the zero address.
    assert!(matches!(
        aigc_err(c.mint(&mut env.chain, node, Address::ZERO, &input, &outs, "", &p)),
        A::ERC721InvalidReceiver(_)
    ));
    // Minting to a contract that does not accept ERC-721 tokens reverts.
    let consumer = env.consumer;
    assert_eq!(
        aigc_err(c.mint(&mut env.chain, node, consumer, &input, &outs, "", &p)),
        A::ERC721InvalidReceiver(AIGC::ERC721InvalidReceiver { receiver: consumer })
    );
    // After all that, the honest mint works.
    c.mint(&mut env.chain, node, to, &input, &outs, "", &p)
        .unwrap();
}

#[test]
fn update_after_a_rejected_claim() {
    let mut env = env();
    let c = collection(&mut env);
    let (g, input) = mlp().clone();
    let lie = lie_at_output(&input, 3);
    let lying_outs = outputs(&lie);
    let liar = env.who.liar;
    let (bad, mut liar_sub) = env.claim_posting_input(lie, liar);
    let holder = env.who.requester;
    // Minted on the lying claim while it is pending (the EIP allows minting before finality),
    // by its submitter, to the holder.
    let (id, _) = c
        .mint(
            &mut env.chain,
            liar,
            holder,
            &input,
            &lying_outs,
            "ipfs://v1",
            &AigcProof::Opml(bad),
        )
        .unwrap();

    // While the claim stands, the replacing update has nothing to replace.
    let node = env.who.node;
    let honest_outs = outputs(&exec(&g, &input));
    let (good, _) = env.claim_posting_input(exec(&g, &input), node);
    // The node replaces the token's data with `outs` on `claim`, asking for `uri`.
    let replace = |env: &mut Env, outs: &[Vec<i32>], uri: &str, claim: u64| {
        c.replace(
            &mut env.chain,
            node,
            &input,
            outs,
            uri,
            &AigcProof::Opml(claim),
        )
    };
    assert_eq!(
        aigc_err(replace(&mut env, &honest_outs, "", good)),
        A::NothingToReplace(AIGC::NothingToReplace { tokenId: id })
    );

    // The claim is challenged and rejected.
    let owner = env.who.owner;
    env.dispute(bad, &mut liar_sub, owner);
    assert_eq!(env.claim_status(bad), ClaimStatus::Rejected);
    assert!(!c
        .verify(&mut env.chain, &input, &lying_outs, &AigcProof::Opml(bad))
        .unwrap());
    assert!(!c.is_verified(&mut env.chain, id).unwrap());
    // The EIP's three-argument update (uri only) refuses a defeated token.
    assert_eq!(
        aigc_err(c.update(&mut env.chain, holder, &input, &lying_outs, "ipfs://v2")),
        A::EvidenceDefeated(AIGC::EvidenceDefeated { tokenId: id })
    );
    // A replacement must itself be acceptable: not the rejected claim, not mismatching data.
    assert!(matches!(
        aigc_err(replace(&mut env, &lying_outs, "", bad)),
        A::ClaimNotUsable(_)
    ));
    assert!(matches!(
        aigc_err(replace(&mut env, &lying_outs, "", good)),
        A::ClaimDoesNotMatch(_)
    ));
    // A stranger may not change the uri while replacing.
    assert_eq!(
        aigc_err(replace(&mut env, &honest_outs, "ipfs://mine", good)),
        A::NotAuthorized(AIGC::NotAuthorized {
            caller: node,
            tokenId: id
        })
    );
    // Anyone holding a pending (or final) matching claim replaces the data; the uri stays.
    let r = replace(&mut env, &honest_outs, "", good).unwrap();
    gas(
        "AIGC.update(prompt, aigcData, uri, proof) (replacement claim)",
        r.gas_used,
    );
    match &c.receipt_events(&r)[..] {
        [AIGCEvents::Update(u)] => {
            assert_eq!(u.tokenId, id);
            assert_eq!(u.prompt, keccak256(encode_tensors(&input)));
            assert_eq!(u.aigcData, keccak256(encode_tensors(&honest_outs)));
            assert_eq!(u.uri, "ipfs://v1");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        AIGC::Update::SIGNATURE,
        "Update(uint256,bytes,bytes,string)"
    );
    let ev = c.evidence_of(&mut env.chain, id).unwrap();
    assert_eq!((ev.kind, ev.claim_id), (AigcProof::OPML, good));
    assert_eq!(ev.aigc_data_hash, keccak256(encode_tensors(&honest_outs)));
    assert_eq!(c.owner_of(&mut env.chain, id).unwrap(), holder);
    assert_eq!(c.token_uri(&mut env.chain, id).unwrap(), "ipfs://v1");
    assert!(!c.is_verified(&mut env.chain, id).unwrap());
    env.finalize(good);
    assert!(c.is_verified(&mut env.chain, id).unwrap());
    assert!(c
        .verify(&mut env.chain, &input, &honest_outs, &AigcProof::Opml(good))
        .unwrap());
    // Now it stands again: nothing to replace.
    assert!(matches!(
        aigc_err(replace(&mut env, &honest_outs, "", good)),
        A::NothingToReplace(_)
    ));

    // The three-argument update: the owner (or approved) changes the uri of its current data.
    assert_eq!(
        aigc_err(c.update(&mut env.chain, node, &input, &honest_outs, "ipfs://v2")),
        A::NotAuthorized(AIGC::NotAuthorized {
            caller: node,
            tokenId: id
        })
    );
    assert_eq!(
        aigc_err(c.update(&mut env.chain, holder, &input, &lying_outs, "ipfs://v2")),
        A::DataMismatch(AIGC::DataMismatch { tokenId: id })
    );
    let r = c
        .update(&mut env.chain, holder, &input, &honest_outs, "ipfs://v2")
        .unwrap();
    gas("AIGC.update(prompt, aigcData, uri) (uri only)", r.gas_used);
    assert!(matches!(&c.receipt_events(&r)[..], [AIGCEvents::Update(u)] if u.uri == "ipfs://v2"));
    assert_eq!(c.token_uri(&mut env.chain, id).unwrap(), "ipfs://v2");
    assert!(matches!(
        aigc_err(c.update(&mut env.chain, holder, &other_input(), &honest_outs, "x")),
        A::ERC721NonexistentToken(_)
    ));
}

fn receiver_last(env: &mut Env, at: Address) -> (Address, Address, U256, Bytes) {
    fn get<C: alloy_sol_types::SolCall>(env: &mut Env, at: Address, call: C) -> C::Return {
        let from = env.who.owner;
        view(&mut env.chain, from, at, &call, "ReceiverHarness").unwrap()
    }
    (
        get(env, at, ReceiverHarness::lastOperatorCall {}),
        get(env, at, ReceiverHarness::lastFromCall {}),
        get(env, at, ReceiverHarness::lastTokenIdCall {}),
        get(env, at, ReceiverHarness::lastDataCall {}),
    )
}

#[test]
fn erc721_transfers_approvals_and_receivers() {
    let mut env = env();
    let c = collection(&mut env);
    let (g, input) = mlp().clone();
    let e = exec(&g, &input);
    let outs = outputs(&e);
    let node = env.who.node;
    let (claim, _) = env.claim_posting_input(e, node);
    let (alice, bob, carol) = (env.who.requester, env.who.node, env.who.liar);
    let (id, _) = c
        .mint(
            &mut env.chain,
            node,
            alice,
            &input,
            &outs,
            "u",
            &AigcProof::Opml(claim),
        )
        .unwrap();

    // Queries.
    assert!(matches!(
        aigc_err(c.balance_of(&mut env.chain, Address::ZERO)),
        A::ERC721InvalidOwner(_)
    ));
    let missing = U256::from(42);
    for err in [
        aigc_err(c.owner_of(&mut env.chain, missing)),
        aigc_err(c.get_approved(&mut env.chain, missing)),
        aigc_err(c.token_uri(&mut env.chain, missing)),
    ] {
        assert_eq!(
            err,
            A::ERC721NonexistentToken(AIGC::ERC721NonexistentToken { tokenId: missing })
        );
    }
    assert_eq!(c.get_approved(&mut env.chain, id).unwrap(), Address::ZERO);

    // A stranger can neither move nor approve.
    assert_eq!(
        aigc_err(c.transfer_from(&mut env.chain, bob, alice, bob, id)),
        A::ERC721InsufficientApproval(AIGC::ERC721InsufficientApproval {
            operator: bob,
            tokenId: id
        })
    );
    assert_eq!(
        aigc_err(c.approve(&mut env.chain, bob, bob, id)),
        A::ERC721InvalidApprover(AIGC::ERC721InvalidApprover { approver: bob })
    );
    // Wrong `from`, zero `to`.
    assert_eq!(
        aigc_err(c.transfer_from(&mut env.chain, alice, bob, carol, id)),
        A::ERC721IncorrectOwner(AIGC::ERC721IncorrectOwner {
            sender: bob,
            tokenId: id,
            owner: alice
        })
    );
    assert!(matches!(
        aigc_err(c.transfer_from(&mut env.chain, alice, alice, Address::ZERO, id)),
        A::ERC721InvalidReceiver(_)
    ));

    // Approval: bob may move it once; the approval is cleared by the transfer.
    let r = c.approve(&mut env.chain, alice, bob, id).unwrap();
    gas("AIGC.approve", r.gas_used);
    assert!(
        matches!(&c.receipt_events(&r)[..], [AIGCEvents::Approval(a)]
        if a.owner == alice && a.approved == bob && a.tokenId == id)
    );
    assert_eq!(c.get_approved(&mut env.chain, id).unwrap(), bob);
    let r = c
        .transfer_from(&mut env.chain, bob, alice, carol, id)
        .unwrap();
    gas("AIGC.transferFrom (approved)", r.gas_used);
    assert!(
        matches!(&c.receipt_events(&r)[..], [AIGCEvents::Transfer(t)]
        if t.from == alice && t.to == carol && t.tokenId == id)
    );
    assert_eq!(c.owner_of(&mut env.chain, id).unwrap(), carol);
    assert_eq!(c.get_approved(&mut env.chain, id).unwrap(), Address::ZERO);
    assert_eq!(c.balance_of(&mut env.chain, alice).unwrap(), U256::ZERO);
    assert_eq!(c.balance_of(&mut env.chain, carol).unwrap(), U256::from(1));
    assert!(matches!(
        aigc_err(c.transfer_from(&mut env.chain, bob, carol, bob, id)),
        A::ERC721InsufficientApproval(_)
    ));

    // Operator: carol lets alice manage all her tokens; alice may then approve and transfer.
    let r = c
        .set_approval_for_all(&mut env.chain, carol, alice, true)
        .unwrap();
    gas("AIGC.setApprovalForAll", r.gas_used);
    assert!(
        matches!(&c.receipt_events(&r)[..], [AIGCEvents::ApprovalForAll(a)]
        if a.owner == carol && a.operator == alice && a.approved)
    );
    assert!(c.is_approved_for_all(&mut env.chain, carol, alice).unwrap());
    assert!(matches!(
        aigc_err(c.set_approval_for_all(&mut env.chain, carol, Address::ZERO, true)),
        A::ERC721InvalidOperator(_)
    ));
    c.approve(&mut env.chain, alice, bob, id).unwrap();
    assert_eq!(c.get_approved(&mut env.chain, id).unwrap(), bob);
    let r = c
        .transfer_from(&mut env.chain, alice, carol, alice, id)
        .unwrap();
    gas("AIGC.transferFrom (operator)", r.gas_used);
    assert_eq!(c.owner_of(&mut env.chain, id).unwrap(), alice);
    c.set_approval_for_all(&mut env.chain, carol, alice, false)
        .unwrap();
    assert!(!c.is_approved_for_all(&mut env.chain, carol, alice).unwrap());

    // safeTransferFrom to a contract without onERC721Received reverts (both overloads).
    let consumer = env.consumer;
    for data in [None, Some(Bytes::from_static(b"hi"))] {
        assert_eq!(
            aigc_err(c.safe_transfer_from(&mut env.chain, alice, alice, consumer, id, data)),
            A::ERC721InvalidReceiver(AIGC::ERC721InvalidReceiver { receiver: consumer })
        );
    }
    assert_eq!(c.owner_of(&mut env.chain, id).unwrap(), alice);
    // ... to an account: fine; to a receiver contract: fine, and it sees operator/from/data.
    let r = c
        .safe_transfer_from(&mut env.chain, alice, alice, bob, id, None)
        .unwrap();
    gas("AIGC.safeTransferFrom (to an account)", r.gas_used);
    let recv = env.deploy(&ReceiverHarness::BYTECODE, "ReceiverHarness");
    let r = c
        .safe_transfer_from(
            &mut env.chain,
            bob,
            bob,
            recv,
            id,
            Some(Bytes::from_static(b"data")),
        )
        .unwrap();
    gas(
        "AIGC.safeTransferFrom (to a receiver contract, 4 bytes data)",
        r.gas_used,
    );
    assert_eq!(c.owner_of(&mut env.chain, id).unwrap(), recv);
    assert_eq!(
        receiver_last(&mut env, recv),
        (bob, bob, id, Bytes::from_static(b"data"))
    );
}

#[test]
fn deployment_checks_the_shape_against_the_game() {
    let mut env = env();
    let owner = env.who.owner;
    let (model, oracle) = (env.model_id(), env.oracle.address);
    let (ins, outs) = model_shapes(&mlp().0).unwrap();
    assert_eq!((ins.clone(), outs.clone()), (vec![64], vec![10]));
    let deploy = |env: &mut Env, model, ins: &[usize], outs: &[usize]| {
        AigcClient::deploy(&mut env.chain, owner, "n", "s", model, oracle, ins, outs, 0)
    };
    // A zk configuration that was never published.
    assert_eq!(
        aigc_err(AigcClient::deploy(
            &mut env.chain,
            owner,
            "n",
            "s",
            model,
            oracle,
            &ins,
            &outs,
            1
        )),
        A::NoSuchZkVersion(AIGC::NoSuchZkVersion { version: 1 })
    );
    assert!(matches!(
        aigc_err(deploy(&mut env, model, &ins, &[9])),
        A::BadShape(_)
    ));
    assert!(matches!(
        aigc_err(deploy(&mut env, model, &[64, 1], &outs)),
        A::BadShape(_)
    ));
    assert!(matches!(
        aigc_err(deploy(&mut env, model, &[], &outs)),
        A::BadShape(_)
    ));
    assert!(matches!(
        aigc_err(deploy(
            &mut env,
            verinfer_oracle::model_id_of(verinfer_chain::B256::repeat_byte(9)),
            &ins,
            &outs
        )),
        A::UnknownModel(_)
    ));
    deploy(&mut env, model, &ins, &outs).unwrap();
}

#[test]
fn request_mint_by_the_requester() {
    let mut env = env();
    let c = collection(&mut env);
    let (g, input) = mlp().clone();
    let outs = outputs(&exec(&g, &input));
    let req = env.request(&input);
    let node = env.who.node;
    let (claim, _) = env.answer(node, req);
    let holder = env.who.requester;
    let proof = AigcProof::Request(req);
    // Not usable until the request is fulfilled.
    assert!(!c.verify(&mut env.chain, &input, &outs, &proof).unwrap());
    env.finalize(claim);
    env.settle(node, req, &outs);
    assert!(c.verify(&mut env.chain, &input, &outs, &proof).unwrap());
    // Only the request's outputs and its own input.
    let mut wrong = outs.clone();
    wrong[0][0] += 1;
    assert!(!c.verify(&mut env.chain, &input, &wrong, &proof).unwrap());
    assert_eq!(
        aigc_err(c.mint(&mut env.chain, holder, holder, &input, &wrong, "", &proof)),
        A::RequestNotUsable(AIGC::RequestNotUsable {
            requestId: U256::from(req),
            why: "aigcData".into()
        })
    );
    assert_eq!(
        aigc_err(c.mint(
            &mut env.chain,
            holder,
            holder,
            &other_input(),
            &outs,
            "",
            &proof
        )),
        A::RequestNotUsable(AIGC::RequestNotUsable {
            requestId: U256::from(req),
            why: "prompt".into()
        })
    );
    // The node answered, but the request is the requester's.
    assert_eq!(
        aigc_err(c.mint(&mut env.chain, node, node, &input, &outs, "", &proof)),
        A::NotEvidenceHolder(AIGC::NotEvidenceHolder {
            caller: node,
            holder
        })
    );
    let (id, r) = c
        .mint(
            &mut env.chain,
            holder,
            holder,
            &input,
            &outs,
            "ipfs://req",
            &proof,
        )
        .unwrap();
    gas("AIGC.mint (oracle request, 64-in/10-out)", r.gas_used);
    let ev = c.evidence_of(&mut env.chain, id).unwrap();
    assert_eq!((ev.kind, ev.claim_id), (AigcProof::REQUEST, req.index()));
    assert_eq!(ev.aigc_data_hash, keccak256(encode_tensors(&outs)));
    assert!(c.is_verified(&mut env.chain, id).unwrap());
    assert_eq!(c.owner_of(&mut env.chain, id).unwrap(), holder);
    // A request of another model's collection is not evidence here.
    let g2 = other_mlp();
    let m2 = register_and_learn(&mut env, &g2);
    let (ins, outs2) = model_shapes(&g2).unwrap();
    let (owner, oracle) = (env.who.owner, env.oracle.address);
    let (c2, _) = AigcClient::deploy(
        &mut env.chain,
        owner,
        "Other",
        "OTH",
        verinfer_oracle::model_id_of(m2),
        oracle,
        &ins,
        &outs2,
        0,
    )
    .unwrap();
    assert_eq!(
        aigc_err(c2.mint(&mut env.chain, holder, holder, &input, &outs, "", &proof)),
        A::RequestNotUsable(AIGC::RequestNotUsable {
            requestId: U256::from(req),
            why: "model".into()
        })
    );
}

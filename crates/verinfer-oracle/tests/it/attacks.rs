//! Issue 17's attacks at the trust edges, each played on the in-process chain against the real
//! contracts (registry, game, oracle, AIGC, Groth16 verifier) with real claims of the digits
//! MLP and real proofs of a small MLP of its shapes (`common::zk_mlp`). Every test asserts that the attacker gains nothing and that the consumer receives
//! the honest output (or the request stays open). docs/security.md lists them with their
//! defences.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crate::common;
use alloy_sol_types::SolInterface;
use common::*;
use verinfer_chain::bindings_oracle::AlwaysTrueVerifier;
use verinfer_chain::bindings_oracle::InferenceOracle::InferenceOracleErrors as E;
use verinfer_chain::bindings_oracle::AIGC::AIGCErrors as A;
use verinfer_chain::{Address, Chain, ChainError, B256, U256};
use verinfer_opml::{ClaimStatus, Execution, OpmlError, Submitter, SubmitterStrategy};
use verinfer_oracle::{AigcProof, OracleError, RequestId, RequestStatus, ZkSettings};

/// A lie in the MLP's output node: element 3 raised by one.
fn lie() -> Execution {
    lie_at_output(&mlp().1, 3)
}

fn honest() -> Execution {
    let (g, input) = mlp();
    exec(g, input)
}

fn submitter(e: Execution, who: Address) -> Submitter {
    Submitter::new(e, who, SubmitterStrategy::Honest)
}

/// The revert reason of a chain-level failure (panics on success).
fn reason<T: std::fmt::Debug>(r: Result<T, impl std::fmt::Debug>) -> String {
    format!("{:?}", r.expect_err("the attack must be refused"))
}

/// An oracle answer through the game's `claimAndCall`.
fn answer(env: &mut Env, s: &Submitter, req: RequestId) -> Result<u64, OracleError> {
    let (game, cfg) = (env.c.game, env.cfg);
    env.oracle
        .answer(&mut env.chain, &game, &cfg, s, req)
        .map(|(c, _)| c)
}

fn settle_ok(env: &mut Env, req: RequestId, outs: &[Vec<i32>]) -> verinfer_oracle::Settlement {
    let who = env.who.owner;
    env.settle(who, req, outs)
}

/// The honest answer `good` passes its window and settles `req`: the honest node is paid, the
/// consumer receives the honest output, and `attacker` is owed nothing by the oracle.
fn honest_answer_settles(env: &mut Env, req: RequestId, good: u64, attacker: Address) {
    env.finalize(good);
    let s = settle_ok(env, req, &outputs(&honest()));
    assert_eq!(s.answerer, env.who.node);
    assert_eq!(env.consumer_outputs(), outputs(&honest()));
    assert_eq!(owed(env, attacker), U256::ZERO);
}

fn owed(env: &mut Env, who: Address) -> U256 {
    env.owed(who)
}

/// Item 1: a lying claim made in advance for an input nobody else knew, finalized unwatched,
/// cannot answer the request for that input when it appears; only claims made through the
/// request (input public for their whole window) answer, and the lie made then is challenged.
#[test]
fn attack_stale_hidden_input_claim() {
    let mut env = env();
    let liar = env.who.liar;
    let (old, _) = env.claim(lie(), liar);
    env.finalize(old);
    assert_eq!(env.claim_status(old), ClaimStatus::Finalized);

    let req = env.request(&mlp().1);
    let lie_outs = outputs(&lie());
    // The finalized claim is no answer: the request is Open and cannot settle with it.
    let err = oracle_err(env.oracle.settle(&mut env.chain, liar, req, &lie_outs));
    assert!(matches!(err, E::NotClaimed(_)), "{err:?}");
    assert_eq!(env.status(req), RequestStatus::Open);

    // Answering now means a fresh claim, watched for a whole window: challenged and rejected.
    let mut liar_sub = submitter(lie(), liar);
    let bad = answer(&mut env, &liar_sub, req).unwrap();
    let node = env.who.node;
    let good = answer(&mut env, &submitter(honest(), node), req).unwrap();
    env.dispute(bad, &mut liar_sub, node);
    assert_eq!(env.claim_status(bad), ClaimStatus::Rejected);
    honest_answer_settles(&mut env, req, good, liar);
}

/// Item 5: copying an honest answer's public data (its trace root, roots, paths and outputs)
/// into an answer of one's own takes no part of the fee: the claim and the answer are one call,
/// and a further answer must disagree with the standing ones.
#[test]
fn attack_clone_answer() {
    let mut env = env();
    let req = env.request(&mlp().1);
    let node = env.who.node;
    let honest_sub = submitter(honest(), node);
    let good = answer(&mut env, &honest_sub, req).unwrap();

    // The cloner replays the honest claim's data (all public in its transaction) as its own.
    let cloner = env.who.liar;
    let data = honest_sub.claim_request().unwrap();
    let (game, bond, oracle) = (env.c.game, env.cfg.submitter_bond, env.oracle.address);
    let r = game.claim_and_call(
        &mut env.chain,
        cloner,
        bond,
        data.clone(),
        oracle,
        req.index(),
    );
    assert!(reason(r).contains("DuplicateAnswer"));
    // A plain claim of the same data answers nothing.
    let (copy, _) = game.claim(&mut env.chain, cloner, bond, data).unwrap();
    env.finalize(good);
    env.finalize(copy);
    let s = settle_ok(&mut env, req, &outputs(&honest()));
    assert_eq!(s.answerer, node);
    assert_eq!(env.claims(req), vec![good]);
    assert_eq!(owed(&mut env, cloner), U256::ZERO);
    assert_eq!(env.consumer_outputs(), outputs(&honest()));
}

/// Item 7: a lying answer does not lock the request until its game ends: the honest answer is
/// accepted beside it, and settles as soon as its own window has passed.
#[test]
fn attack_lying_answer_locks_request() {
    let mut env = env();
    let req = env.request(&mlp().1);
    let (liar, node) = (env.who.liar, env.who.node);
    let mut liar_sub = submitter(lie(), liar);
    let bad = answer(&mut env, &liar_sub, req).unwrap();
    let good = answer(&mut env, &submitter(honest(), node), req).unwrap();
    assert_eq!(env.claims(req), vec![bad, good]);
    // The lie cannot settle the request even while it stands unchallenged.
    let err = oracle_err(
        env.oracle
            .settle(&mut env.chain, liar, req, &outputs(&lie())),
    );
    assert!(matches!(err, E::NotFinal(_)), "{err:?}");
    env.dispute(bad, &mut liar_sub, node);
    honest_answer_settles(&mut env, req, good, liar);
}

/// Item 3: a model owner (or whoever registered the id first) who publishes an always-true
/// verifier answers nothing: requests and collections pinned the configuration they trust, and
/// requests that pinned none refuse zk answers.
#[test]
fn attack_zk_verifier_swap() {
    let mut env = zk_env();
    let (g, input) = zk_mlp().clone();
    let owner = env.who.owner;
    let (pk, vk) = zk_keys(false);
    let vis = digest_vis(false);
    let e = exec(&g, &input);
    let honest_cfg = publish_zk(&mut env, &g, vk, None);
    let pinned = env.request_zk(&input, 1);
    let refusing = env.request_zk(&input, 0);
    let aigc = collection(&mut env, 1);
    let node = env.who.node;
    let oracle = env.oracle.address;
    let (proof, _) = zk_prove(&env, pk, &g, vis, &input, oracle, U256::from(pinned), node);

    // The owner turns hostile: version 2 accepts anything.
    let fake = verinfer_testing::chain::deploy_contract(
        &mut env.chain,
        owner,
        &AlwaysTrueVerifier::BYTECODE,
        "deploy AlwaysTrueVerifier",
    );
    let evil = ZkSettings {
        verifier: fake,
        ..honest_cfg
    };
    assert_eq!(env.configure_zk(&evil), Some((evil, 2)));

    let mut lie_outs = outputs(&e);
    lie_outs[0][0] += 1;
    let garbage = proof_bytes([U256::from(1); 8]);
    let err = env.zk_answer_err(owner, pinned, &lie_outs, garbage.clone());
    assert!(matches!(err, E::InvalidProof(_)), "{err:?}");
    let err = env.zk_answer_err(owner, refusing, &lie_outs, garbage.clone());
    assert!(matches!(err, E::ZkRefused(_)), "{err:?}");
    assert!(!aigc
        .verify(
            &mut env.chain,
            &input,
            &lie_outs,
            &AigcProof::Zk {
                prover: owner,
                proof: garbage
            }
        )
        .unwrap());

    // The honest proof still answers the pinned request; the consumer gets the truth.
    let s = env
        .oracle
        .answer_with_proof(&mut env.chain, node, pinned, &outputs(&e), proof)
        .unwrap();
    gas(
        "answerWithProof, digest statement, callback storing 10 outputs",
        s.receipt.gas_used,
    );
    assert_eq!(s.answerer, node);
    // For the collection, a proof bound to it, the prompt's token and its prover.
    let (proof, _) = zk_prove(
        &env,
        pk,
        &g,
        vis,
        &input,
        aigc.address,
        verinfer_oracle::token_id(&input),
        node,
    );
    let zk = AigcProof::Zk {
        prover: node,
        proof: proof.clone(),
    };
    let r = verinfer_chain::send_call(
        &mut env.chain,
        owner,
        aigc.address,
        &aigc_verify_call(&input, &outputs(&e), zk.encode()),
        "AIGC.verify",
    )
    .unwrap();
    gas("AIGC.verify sent as a transaction, zk", r.gas_used);
    assert_eq!(env.consumer_outputs(), outputs(&e));
    assert!(aigc
        .verify(&mut env.chain, &input, &outputs(&e), &zk)
        .unwrap());
    // The proof names its prover: the owner can neither mint with it as it stands nor claim
    // it as its own.
    let err = aigc_err(aigc.mint(&mut env.chain, owner, owner, &input, &outputs(&e), "", &zk));
    assert!(matches!(err, A::NotEvidenceHolder(_)), "{err:?}");
    let stolen = AigcProof::Zk {
        prover: owner,
        proof,
    };
    let err = aigc_err(aigc.mint(
        &mut env.chain,
        owner,
        owner,
        &input,
        &outputs(&e),
        "",
        &stolen,
    ));
    assert!(matches!(err, A::InvalidZkProof(_)), "{err:?}");
}

/// Item 6: a zk answer seen in the mempool cannot be taken over, nor replayed for another
/// request: the proof is bound to the oracle, the request and its answerer. (Before, the
/// public inputs were the data alone: the copy paid the copier, the replay answered any
/// request on the same input.)
#[test]
fn attack_zk_proof_front_run_and_replay() {
    let mut env = zk_env();
    let (g, input) = zk_mlp().clone();
    let (node, thief) = (env.who.node, env.who.liar);
    let oracle = env.oracle.address;
    let (pk, vk) = zk_keys(false);
    let vis = digest_vis(false);
    publish_zk(&mut env, &g, vk, None);
    let first = env.request_zk(&input, 1);
    let second = env.request_zk(&input, 1);
    let outs = outputs(&exec(&g, &input));
    // A proof of `input` bound to `contract`, request `tag` and `answerer`.
    let prove = |env: &Env, input: &[Vec<i32>], contract, tag, answerer| {
        zk_prove(env, pk, &g, vis, input, contract, tag, answerer)
    };
    let (proof, _) = prove(&env, &input, oracle, U256::from(first), node);
    // The thief copies the pending transaction's proof and outputs.
    let err = env.zk_answer_err(thief, first, &outs, proof.clone());
    assert!(matches!(err, E::InvalidProof(_)), "{err:?}");
    // The same proof for another request on the same input.
    let err = env.zk_answer_err(node, second, &outs, proof.clone());
    assert!(matches!(err, E::InvalidProof(_)), "{err:?}");
    // A proof bound to nothing (the zero context).
    let (unbound, _) = prove(&env, &input, Address::ZERO, U256::ZERO, Address::ZERO);
    let err = env.zk_answer_err(node, second, &outs, unbound);
    assert!(matches!(err, E::InvalidProof(_)), "{err:?}");
    // A proof of another input for this request (the input is bound by the digest the
    // request stored: no input argument to lie with).
    let (elsewhere, pv) = prove(
        &env,
        &other_input_of(&input),
        oracle,
        U256::from(first),
        node,
    );
    let err = env.zk_answer_err(node, first, &pv.outputs, elsewhere);
    assert!(matches!(err, E::InvalidProof(_)), "{err:?}");
    // Neither request was touched; the prover's own answer pays the prover.
    assert_eq!(env.status(second), RequestStatus::Open);
    let s = env
        .oracle
        .answer_with_proof(&mut env.chain, node, first, &outs, proof)
        .unwrap();
    assert_eq!(s.answerer, node);
    assert_eq!(env.owed(thief), U256::ZERO);
    assert_eq!(env.consumer_outputs(), outs);
}

/// Item 3: registration cannot be front-run. A squatter who sees the publisher's `register`
/// transaction holds no commitment from an earlier block, cannot use the publisher's, and its
/// own arrives too late.
#[test]
fn attack_register_front_run() {
    let mut env = env();
    let (publisher, squatter) = (env.who.requester, env.who.liar);
    let registry = env.c.registry;
    let id = model_id(&other_mlp());
    let salt = B256::repeat_byte(7);
    let commitment = verinfer_chain::commitment_of(id, publisher, salt);
    verinfer_chain::send_call(
        &mut env.chain,
        publisher,
        registry.address,
        &verinfer_chain::bindings::ModelRegistry::commitCall { commitment },
        "commit",
    )
    .unwrap();
    // The squatter copies the reveal (same salt) from the mempool: not its commitment.
    let r = registry.reveal(&mut env.chain, squatter, id, "squat://", salt);
    assert!(reason(r).contains("NoCommitment"));
    // It commits now, but the publisher's reveal lands first.
    let squat_salt = B256::repeat_byte(9);
    verinfer_chain::send_call(
        &mut env.chain,
        squatter,
        registry.address,
        &verinfer_chain::bindings::ModelRegistry::commitCall {
            commitment: verinfer_chain::commitment_of(id, squatter, squat_salt),
        },
        "commit",
    )
    .unwrap();
    registry
        .reveal(&mut env.chain, publisher, id, "publisher://", salt)
        .unwrap();
    let r = registry.reveal(&mut env.chain, squatter, id, "squat://", squat_salt);
    assert!(reason(r).contains("AlreadyRegistered"));
    assert_eq!(registry.model(&mut env.chain, id).unwrap().owner, publisher);
}

/// Item 4: inputs the executor refuses are refused on chain — a value outside the input's
/// bit width, a zero-padded tensor, a re-split tensor list — in requests, claims with data and
/// ERC-7007 prompts, so an honest node can execute (and police) everything the chain accepts.
#[test]
fn attack_out_of_range_input() {
    let mut env = env();
    let (g, input) = mlp().clone();
    let bits = g.inputs[0].info.bits.get();
    let too_big = 1i32 << (bits - 1);
    let mut wide = input.clone();
    wide[0][5] = too_big;
    let mut padded = input.clone();
    padded[0].push(0);
    let split = vec![input[0][..32].to_vec(), input[0][32..].to_vec()];
    for (what, bad) in [
        ("InputOutOfRange", &wide),
        ("InputLength", &padded),
        ("WrongCount", &split),
    ] {
        let (model, fee, requester, consumer) = (
            env.model_id(),
            env.params.fee,
            env.who.requester,
            env.consumer,
        );
        let err = oracle_err(env.oracle.request(
            &mut env.chain,
            requester,
            model,
            bad,
            consumer,
            CALLBACK_GAS,
            fee,
            0,
        ));
        assert!(matches!(err, E::InvalidInput(_)), "{what}: {err:?}");
        if let E::InvalidInput(e) = err {
            let inner =
                verinfer_chain::bindings::InferenceGame::InferenceGameErrors::abi_decode(&e.reason)
                    .unwrap();
            assert!(format!("{inner:?}").contains(what), "{inner:?}");
        }
    }

    // A claim posting an out-of-range input: its trace is consistent, the chain refuses it.
    let mut values = exec(&g, &input).values().to_vec();
    values[0][5] = too_big;
    let forged = Execution::from_values(g.clone(), values).unwrap();
    let mut s = submitter(forged, env.who.liar);
    s.publish_inputs = true;
    let (game, cfg) = (env.c.game, env.cfg);
    match s.claim(&mut env.chain, &game, &cfg) {
        Err(OpmlError::Chain(ChainError::Reverted { reason, .. })) => {
            assert!(reason.contains("InputOutOfRange"), "{reason}")
        }
        other => panic!("expected InputOutOfRange, got {other:?}"),
    }

    // An ERC-7007 prompt out of range.
    let owner = env.who.owner;
    let aigc = collection(&mut env, 0);
    let err = aigc_err(aigc.mint(
        &mut env.chain,
        owner,
        owner,
        &wide,
        &outputs(&honest()),
        "",
        &AigcProof::Opml(0),
    ));
    assert!(matches!(err, A::InvalidPrompt(_)), "{err:?}");
}

/// Item 5: a liar whose own second address challenges its lie and wins the first game does not
/// take the forfeited bond: every challenger whose game was open shares it equally.
#[test]
fn attack_sock_puppet_challenge() {
    let mut env = env();
    let liar = env.who.liar;
    let puppet = env.who.requester;
    let honest_challenger = env.who.node;
    let (claim, _) = env.claim(lie(), liar);
    let (game, bond) = (env.c.game, env.cfg.challenger_bond);
    let (g_honest, _) = game
        .challenge(&mut env.chain, honest_challenger, bond, claim)
        .unwrap();
    let (g_puppet, _) = game.challenge(&mut env.chain, puppet, bond, claim).unwrap();
    // The liar lets its puppet's game time out first (it moves in neither).
    env.chain.advance_time(env.cfg.clock + 1).unwrap();
    game.timeout(&mut env.chain, puppet, g_puppet).unwrap();
    assert_eq!(env.claim_status(claim), ClaimStatus::Rejected);
    game.close_moot(&mut env.chain, honest_challenger, g_honest)
        .unwrap();

    let sub_bond = env.cfg.submitter_bond;
    let burn = sub_bond * U256::from(env.cfg.burn_bps) / U256::from(10_000u64);
    let share = (sub_bond - burn) / U256::from(2u64);
    let honest_owed = game.owed(&mut env.chain, honest_challenger).unwrap();
    let puppet_owed = game.owed(&mut env.chain, puppet).unwrap();
    assert_eq!(honest_owed, bond + share);
    assert_eq!(puppet_owed, bond + share);
    // The liar's side (liar + puppet) lost at least the burn and the honest share.
    assert!(sub_bond - share >= burn + share);
    assert!(share > U256::ZERO);
}

/// Item 2: an ERC-7007 token cannot be minted on a claim whose prompt was never public during
/// its window (so nobody could check it), nor on anybody else's evidence.
#[test]
fn attack_aigc_hidden_prompt_and_stolen_evidence() {
    let mut env = env();
    let (g, input) = mlp().clone();
    let aigc = collection(&mut env, 0);

    // The liar finalizes a lie on an unpublished prompt, unwatched, then mints.
    let liar = env.who.liar;
    let (hidden, _) = env.claim(lie(), liar);
    env.finalize(hidden);
    let lie_outs = outputs(&lie());
    let err = aigc_err(aigc.mint(
        &mut env.chain,
        liar,
        liar,
        &input,
        &lie_outs,
        "",
        &AigcProof::Opml(hidden),
    ));
    assert!(matches!(err, A::InputNotPosted(_)), "{err:?}");
    assert!(!aigc
        .verify(&mut env.chain, &input, &lie_outs, &AigcProof::Opml(hidden))
        .unwrap());

    // The requester pays for an answer; a thief cannot mint with the request or the claim.
    let (model, fee, requester, consumer) = (
        env.model_id(),
        env.params.fee,
        env.who.requester,
        env.consumer,
    );
    let (req, r) = env
        .oracle
        .request(
            &mut env.chain,
            requester,
            model,
            &input,
            consumer,
            CALLBACK_GAS,
            fee,
            0,
        )
        .unwrap();
    gas("request (64-element input, callback)", r.gas_used);
    let node = env.who.node;
    let mut s = submitter(exec(&g, &input), node);
    s.publish_inputs = true;
    let (game, cfg) = (env.c.game, env.cfg);
    let (good, r) = env
        .oracle
        .answer(&mut env.chain, &game, &cfg, &s, req)
        .unwrap();
    gas(
        "answer: claimAndCall posting the input (64) and outputs (10)",
        r.gas_used,
    );
    env.finalize(good);
    let st = settle_ok(&mut env, req, &outputs(&honest()));
    gas(
        "settle, callback storing the 10 outputs",
        st.receipt.gas_used,
    );
    let thief = liar;
    for proof in [AigcProof::Request(req), AigcProof::Opml(good)] {
        let err = aigc_err(aigc.mint(
            &mut env.chain,
            thief,
            thief,
            &input,
            &outputs(&honest()),
            "",
            &proof,
        ));
        assert!(matches!(err, A::NotEvidenceHolder(_)), "{err:?}");
    }
    let (tok, r) = aigc
        .mint(
            &mut env.chain,
            requester,
            requester,
            &input,
            &outputs(&honest()),
            "",
            &AigcProof::Request(req),
        )
        .unwrap();
    gas("AIGC.mint, oracle request", r.gas_used);
    assert!(aigc.is_verified(&mut env.chain, tok).unwrap());
    assert_eq!(aigc.owner_of(&mut env.chain, tok).unwrap(), requester);
}

//! Issue 17's attacks 1, 3 and 4 end to end: a real anvil node (a block a second), the
//! contracts deployed on it, and two `verinfer node` processes — the honest node and a second
//! one (the attacker's lying node, or a second honest watcher). The attacker's own moves are
//! made from the test through the library clients (and the CLI where it has the command).
//! Each test asserts that the attacker gains nothing and that the consumer contract receives
//! the honest output, or that the chain refuses the input with its typed error. The
//! in-process versions are in `crates/verinfer-oracle/tests/it/attacks.rs`; docs/security.md
//! lists both.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

use crate::common;
use common::anvil::{
    checked, free_port, model_path, outputs_of, sample_input, status, wait_for, AnvilEnv,
    HONEST_KEY, LIAR_KEY, WATCHER_KEY,
};
use common::{s, stderr, testdata, verinfer};
use verinfer_chain::bindings::ModelRegistry;
use verinfer_chain::bindings_oracle::AlwaysTrueVerifier;
use verinfer_chain::bindings_oracle::InferenceOracle::{self, InferenceOracleErrors as E};
use verinfer_chain::bindings_oracle::AIGC::AIGCErrors as A;
use verinfer_chain::{
    commitment_of, revert_reason, send_call, Address, Bytes, ChainError, B256, DEV_PRIVATE_KEYS,
    U256,
};
use verinfer_ir::Graph;
use verinfer_opml::{
    lying_execution, ClaimStatus, Execution, OpmlError, Phase, Submitter, SubmitterStrategy,
    TraceLie,
};
use verinfer_oracle::{AigcClient, AigcProof, RequestStatus, ZkSettings};
use verinfer_testing::reverts::{aigc_err, oracle_err};

/// The callback gas of every request here.
const CALLBACK_GAS: u64 = 500_000;

/// A lie in the MLP's output node on `input`: element 3 raised by one, the trace consistent
/// with it everywhere else (what a liar defends).
/// Waits, the nodes kept alive, for the consumer's callback: it received `outs` and request
/// `req` is Fulfilled; the request as the oracle holds it.
fn fulfilled(
    env: &mut AnvilEnv,
    nodes: [&mut common::anvil::NodeProc; 2],
    consumer: Address,
    req: u64,
    outs: &[Vec<i32>],
) -> InferenceOracle::Request {
    let [a, b] = nodes;
    wait_for(150, "the consumer's callback", || {
        a.assert_running();
        b.assert_running();
        (env.consumer_calls(consumer) > U256::ZERO).then_some(())
    });
    println!("callback at {:?}", env.elapsed());
    assert_eq!(env.consumer_received(consumer), outs);
    let info = env
        .oracle
        .get_request(&mut env.chain, verinfer_oracle::RequestId::new(req))
        .unwrap();
    assert_eq!(
        RequestStatus::from_u8(info.status).unwrap(),
        RequestStatus::Fulfilled
    );
    info
}

fn lie_on(g: &Graph, input: &[Vec<i32>]) -> Execution {
    lying_execution(
        g.clone(),
        input,
        TraceLie {
            node: g.nodes.len() - 1,
            element: 3,
            delta: 1,
            propagate: false,
        },
    )
    .unwrap()
}

/// Starts the honest node (account 2; serving `/status` on the returned port) with `extra`
/// arguments, and waits until it answers.
fn honest_node(env: &mut AnvilEnv, extra: &[&str]) -> (common::anvil::NodeProc, u16) {
    let port = free_port();
    let serve = format!("127.0.0.1:{port}");
    let mut args = vec!["--serve", serve.as_str()];
    args.extend_from_slice(extra);
    let node = env.start_node("honest", HONEST_KEY, &args);
    wait_for(60, "the honest node's /status", || status(port));
    (node, port)
}

/// Item 1. The attacker knows an input before anyone requests it and posts a lying claim of it
/// without posting the input. Both nodes see the claim and cannot check it (no input anywhere),
/// so its window passes unchallenged and it finalizes. When the request for that input appears,
/// the finalized lie answers nothing (settling with its outputs is refused); the lying node's
/// fresh answer is made after the request, watched for a whole window, challenged and
/// rejected; the honest node's answer settles and the consumer receives the honest output.
/// The attacker's hand account ends no richer, its node one bond poorer.
#[test]
fn attack_anvil_stale_hidden_input_claim() {
    let mut env = AnvilEnv::deploy("attack-anvil-stale");
    env.register_and_learn();
    let who = env.who;
    let (game, oracle, cfg, consumer) = (env.c.game, env.oracle, env.cfg, env.consumer);
    let input = sample_input();
    let honest_outs = env.honest_outputs(&input);
    let (attacker_before, liar_before) = (env.worth(who.attacker), env.worth(who.liar));

    let mut liar = env.start_node("liar", LIAR_KEY, &["--lie"]);
    // The honest node lets a request sit 8 s of chain time: the lying node answers first.
    let (mut honest, port) = honest_node(&mut env, &["--answer-delay-secs", "8"]);

    // The lie, claimed before any request, its input kept back (only its roots are posted).
    let lie = lie_on(&env.graph, &input);
    let lie_outs = outputs_of(&lie);
    let (stale, _) = Submitter::new(lie, who.attacker, SubmitterStrategy::Honest)
        .claim(&mut env.chain, &game, &cfg)
        .unwrap();
    wait_for(60, "the honest node to find no input for the claim", || {
        (checked(port, stale)?["verdict"] == "awaiting_input").then_some(())
    });
    // Unchallengeable for want of its input, it outlives its window and finalizes.
    wait_for(90, "the hidden-input claim's window to pass", || {
        liar.assert_running();
        honest.assert_running();
        game.finalize(&mut env.chain, who.attacker, stale).ok()
    });
    assert_eq!(
        game.status(&mut env.chain, stale).unwrap(),
        ClaimStatus::Finalized
    );
    println!("hidden-input claim {stale} final at {:?}", env.elapsed());

    // The request for exactly that input.
    let req = env.request(&input, consumer, 0);
    // The finalized lie is no answer: the request is Open (NotClaimed), or Claimed by the
    // lying node's fresh claim, which is not final (NotFinal).
    let err = oracle_err(oracle.settle(
        &mut env.chain,
        who.attacker,
        verinfer_oracle::RequestId::new(req),
        &lie_outs,
    ));
    assert!(matches!(err, E::NotClaimed(_) | E::NotFinal(_)), "{err:?}");

    // The lying node answers at once with a fresh claim (made after the request, so watched);
    // the honest node challenges it, wins, answers, and settles after its own window.
    let info = fulfilled(
        &mut env,
        [&mut liar, &mut honest],
        consumer,
        req,
        &honest_outs,
    );
    assert_eq!(info.answerer, who.honest, "the honest node was paid");
    assert!(!info.viaProof);
    assert_eq!(
        oracle
            .outputs_of(&mut env.chain, verinfer_oracle::RequestId::new(req))
            .unwrap(),
        honest_outs
    );
    // Two answers, neither the stale claim: the fresh lie (rejected), then the honest one.
    let bad = env.rejected_lie_then_honest(req);
    let claims = oracle
        .claims_of(&mut env.chain, verinfer_oracle::RequestId::new(req))
        .unwrap();
    assert!(!claims.contains(&stale), "{claims:?}");
    let s = status(port).unwrap();
    let g = s["games"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["claim"].as_u64() == Some(bad))
        .unwrap_or_else(|| panic!("the honest node's game on claim {bad}: {s}"));
    let g = game
        .game(&mut env.chain, g["game"].as_u64().unwrap())
        .unwrap();
    assert_eq!(Phase::from_u8(g.phase).unwrap(), Phase::ChallengerWon);

    // The attacker gained nothing: no fee, its stale claim's bond merely returned, the lying
    // node's bond forfeited.
    assert_eq!(
        oracle.owed(&mut env.chain, who.attacker).unwrap(),
        U256::ZERO
    );
    assert_eq!(oracle.owed(&mut env.chain, who.liar).unwrap(), U256::ZERO);
    assert!(env.worth(who.attacker) <= attacker_before);
    assert!(env.worth(who.liar) + cfg.submitter_bond <= liar_before);
    println!("done at {:?}", env.elapsed());
}

/// `from` reveals a registration of the MLP with `salt` (as a front-runner would, copying a
/// pending reveal or after committing late): a call says why it is refused (`why`), and the
/// transaction itself fails on chain.
fn squat_reveal(env: &mut AnvilEnv, from: Address, salt: B256, why: &str) {
    let (registry, model) = (env.c.registry, env.model);
    let call = ModelRegistry::registerCall {
        modelId: model,
        uri: "squat://digits_mlp".into(),
        salt,
    };
    match verinfer_chain::view(
        &mut env.chain,
        from,
        registry.address,
        &call,
        "ModelRegistry.register",
    ) {
        Err(ChainError::Reverted { reason, .. }) => assert!(reason.contains(why), "{reason}"),
        Err(other) => panic!("expected {why}, got {other:?}"),
        Ok(_) => panic!("expected {why}, but the call succeeded"),
    }
    let r = registry.reveal(&mut env.chain, from, model, "squat://digits_mlp", salt);
    assert!(r.is_err(), "the squatter's reveal was accepted: {r:?}");
}

/// An `AlwaysTrueVerifier` (an `IProofVerifier` accepting every proof), deployed by `from`.
fn deploy_always_true(env: &mut AnvilEnv, from: Address) -> Address {
    verinfer_testing::chain::deploy_contract(
        &mut env.chain,
        from,
        &AlwaysTrueVerifier::BYTECODE,
        "deploy AlwaysTrueVerifier",
    )
}

/// `verinfer oracle request` of the bundled sample input by the requester, calling back
/// `consumer`, trusting zk configuration `zk_version`; returns the request id.
fn cli_request(env: &mut AnvilEnv, consumer: Address, zk_version: u32) -> u64 {
    let (m, i) = (model_path(), testdata("models/digits_mlp/input.json"));
    let (c, gas, v) = (
        consumer.to_string(),
        CALLBACK_GAS.to_string(),
        zk_version.to_string(),
    );
    let o = env.cli(
        &[
            "oracle",
            "request",
            "--model",
            s(&m),
            "--input",
            s(&i),
            "--callback",
            &c,
            "--callback-gas",
            &gas,
            "--zk-version",
            &v,
        ],
        DEV_PRIVATE_KEYS[1],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    out.lines()
        .find_map(|l| {
            l.strip_prefix("request ")?
                .split_whitespace()
                .next()?
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("no request id in {out}"))
}

/// Item 3. The squatter cannot take the model id: a copied reveal is not its commitment, and
/// its own late commitment loses to the publisher's reveal (commit–reveal); not owning the
/// model, it cannot publish a verifier either. The owner publishes its circuit's verifier
/// (`verinfer setup`, `verinfer oracle set-zk`: configuration 1); a request pins it and
/// another refuses zk (`verinfer oracle request --zk-version 1|0`); then the owner turns
/// hostile and publishes an always-true verifier as configuration 2. It applies to neither
/// request: its "proof" of a lie is refused (InvalidProof under the pinned 1, ZkRefused where
/// zk is refused). The honest node (`--mode zk`) answers the pinned request with a real proof
/// under configuration 1 and the refusing one optimistically; a second honest node checks
/// that claim; both consumers receive the honest output, the squatter is owed nothing and the
/// owner only its share of the fees.
#[test]
fn attack_anvil_zk_verifier_swap_and_squat() {
    let mut env = AnvilEnv::deploy("attack-anvil-zk");
    let who = env.who;
    let (registry, oracle, model) = (env.c.registry, env.oracle, env.model);

    // The publisher commits to (model, itself, salt) ...
    let salt = B256::repeat_byte(7);
    send_call(
        &mut env.chain,
        who.publisher,
        registry.address,
        &ModelRegistry::commitCall {
            commitment: commitment_of(model, who.publisher, salt),
        },
        "ModelRegistry.commit",
    )
    .unwrap();
    // ... the squatter copies its reveal (same salt): not the squatter's commitment ...
    squat_reveal(&mut env, who.attacker, salt, "NoCommitment");
    // ... commits itself on seeing the id, but the publisher's reveal lands first.
    let squat_salt = B256::repeat_byte(9);
    send_call(
        &mut env.chain,
        who.attacker,
        registry.address,
        &ModelRegistry::commitCall {
            commitment: commitment_of(model, who.attacker, squat_salt),
        },
        "ModelRegistry.commit",
    )
    .unwrap();
    registry
        .reveal(
            &mut env.chain,
            who.publisher,
            model,
            "test://digits_mlp",
            salt,
        )
        .unwrap();
    squat_reveal(&mut env, who.attacker, squat_salt, "AlreadyRegistered");
    let r = registry.register(&mut env.chain, who.attacker, model, "squat://digits_mlp");
    assert!(
        matches!(&r, Err(ChainError::Reverted { reason, .. }) if reason.contains("AlreadyRegistered")),
        "{r:?}"
    );
    assert_eq!(
        registry.model(&mut env.chain, model).unwrap().owner,
        who.publisher
    );
    env.learn();

    // The owner publishes its circuit: dev keys beside the model (where a zk node finds
    // them), their verifier deployed and registered as configuration 1.
    let keys = env.models.join("digits_mlp.keys");
    let (m, k) = (model_path(), keys.clone());
    let o = verinfer(&[
        "setup",
        s(&m),
        "--visibility",
        "input=public,params=public,output=public,statement=digest",
        "-o",
        s(&k),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = env.cli(
        &["oracle", "set-zk", "--model", s(&m), "--keys", s(&k)],
        DEV_PRIVATE_KEYS[0],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains("zk configuration version 1"), "{out}");
    let (honest_cfg, v) = oracle
        .zk_config(&mut env.chain, verinfer_oracle::model_id_of(model))
        .unwrap()
        .unwrap();
    assert_eq!(v, 1);

    // Not the owner, the squatter cannot publish a verifier.
    let fake = deploy_always_true(&mut env, who.attacker);
    let evil = ZkSettings {
        verifier: fake,
        ..honest_cfg
    };
    let err = oracle_err(oracle.set_zk_verifier(
        &mut env.chain,
        who.attacker,
        verinfer_oracle::model_id_of(model),
        &evil,
    ));
    assert!(matches!(err, E::NotModelOwner(_)), "{err:?}");

    // Two requests through the CLI: one pins configuration 1, the other refuses zk.
    let pinned_consumer = env.consumer;
    let refusing_consumer = env.deploy_consumer();
    let pinned = cli_request(&mut env, pinned_consumer, 1);
    let refusing = cli_request(&mut env, refusing_consumer, 0);
    let req_input = oracle
        .input_of(&mut env.chain, verinfer_oracle::RequestId::new(pinned))
        .unwrap();
    assert_eq!(
        oracle
            .input_of(&mut env.chain, verinfer_oracle::RequestId::new(refusing))
            .unwrap(),
        req_input
    );
    let honest_outs = env.honest_outputs(&req_input);

    // The owner turns hostile: configuration 2 accepts anything ...
    oracle
        .set_zk_verifier(
            &mut env.chain,
            who.publisher,
            verinfer_oracle::model_id_of(model),
            &evil,
        )
        .unwrap();
    assert_eq!(
        oracle
            .zk_config(&mut env.chain, verinfer_oracle::model_id_of(model))
            .unwrap(),
        Some((evil, 2))
    );
    // ... but the requests pinned what they trust, and its "proof" of a lie is refused.
    assert_eq!(
        oracle
            .get_request(&mut env.chain, verinfer_oracle::RequestId::new(pinned))
            .unwrap()
            .zkVersion,
        1
    );
    let mut lie_outs = honest_outs.clone();
    lie_outs[0][0] += 1;
    let garbage = Bytes::from(alloy_sol_types::SolValue::abi_encode(&[U256::from(1); 8]));
    // Each request with how the oracle refuses the lie on it.
    type Refused = fn(&E) -> bool;
    let refusals: [(u64, Refused); 2] = [
        (pinned, |e| matches!(e, E::InvalidProof(_))),
        (refusing, |e| matches!(e, E::ZkRefused(_))),
    ];
    for (r, refused) in refusals {
        let err = oracle_err(oracle.answer_with_proof(
            &mut env.chain,
            who.publisher,
            verinfer_oracle::RequestId::new(r),
            &lie_outs,
            garbage.clone(),
        ));
        assert!(refused(&err), "request {r}: {err:?}");
    }
    for r in [pinned, refusing] {
        assert_eq!(
            oracle
                .status(&mut env.chain, verinfer_oracle::RequestId::new(r))
                .unwrap(),
            RequestStatus::Open
        );
    }
    println!("attacks refused at {:?}", env.elapsed());

    // The honest node proves where a request pinned its configuration; a second honest node
    // watches (it would answer only after an hour).
    let (mut honest, port) = honest_node(&mut env, &["--mode", "zk"]);
    let s = status(port).unwrap();
    assert_eq!(s["models"][0]["zk"], true, "{s}");
    let wport = free_port();
    let wserve = format!("127.0.0.1:{wport}");
    let mut watcher = env.start_node(
        "watcher",
        WATCHER_KEY,
        &["--answer-delay-secs", "3600", "--serve", &wserve],
    );
    wait_for(120, "both consumers' callbacks", || {
        honest.assert_running();
        watcher.assert_running();
        let calls = |env: &mut AnvilEnv, c| env.consumer_calls(c) > U256::ZERO;
        (calls(&mut env, pinned_consumer) && calls(&mut env, refusing_consumer)).then_some(())
    });
    println!("callbacks at {:?}", env.elapsed());

    // The pinned request: fulfilled at once by the honest node's proof under configuration 1.
    let info = oracle
        .get_request(&mut env.chain, verinfer_oracle::RequestId::new(pinned))
        .unwrap();
    assert_eq!(
        RequestStatus::from_u8(info.status).unwrap(),
        RequestStatus::Fulfilled
    );
    assert!(info.viaProof, "answered with a proof");
    assert_eq!(info.answerer, who.honest);
    assert_eq!(env.consumer_received(pinned_consumer), honest_outs);
    // The refusing request: by the honest node's claim, checked by the watcher.
    let info = oracle
        .get_request(&mut env.chain, verinfer_oracle::RequestId::new(refusing))
        .unwrap();
    assert_eq!(
        RequestStatus::from_u8(info.status).unwrap(),
        RequestStatus::Fulfilled
    );
    assert!(!info.viaProof, "answered by a claim");
    assert_eq!(info.answerer, who.honest);
    assert_eq!(env.consumer_received(refusing_consumer), honest_outs);
    let claims = oracle
        .claims_of(&mut env.chain, verinfer_oracle::RequestId::new(refusing))
        .unwrap();
    assert_eq!(claims.len(), 1, "{claims:?}");
    wait_for(30, "the watcher's verdict on the honest claim", || {
        (checked(wport, claims[0])?["verdict"] == "correct").then_some(())
    });

    // The squatter owns nothing and is owed nothing; the hostile owner is owed its share of
    // the two fees and not a wei more.
    assert_eq!(
        registry.model(&mut env.chain, model).unwrap().owner,
        who.publisher
    );
    assert_eq!(
        oracle.owed(&mut env.chain, who.attacker).unwrap(),
        U256::ZERO
    );
    let bps = U256::from(env.params.owner_share_bps);
    let mut shares = U256::ZERO;
    for r in [pinned, refusing] {
        shares += oracle
            .get_request(&mut env.chain, verinfer_oracle::RequestId::new(r))
            .unwrap()
            .fee
            * bps
            / U256::from(10_000u64);
    }
    assert_eq!(oracle.owed(&mut env.chain, who.publisher).unwrap(), shares);
    println!("done at {:?}", env.elapsed());
}

/// Item 4. Inputs the executor refuses are refused on chain with the game's typed reason: a
/// value above and one below the input's bit range, a zero-padded tensor and a re-split
/// tensor list in requests; an out-of-range input posted with a claim; an out-of-range ERC-7007
/// prompt. No request exists afterwards. Whatever the chain does accept, the honest node
/// polices: inputs at both ends of the range run, so the lying node's answer to a request at
/// the range's ends loses its game, the honest answer settles and the consumer receives it;
/// and a lying claim posting such an input is challenged.
#[test]
fn attack_anvil_out_of_range_input() {
    let mut env = AnvilEnv::deploy("attack-anvil-range");
    env.register_and_learn();
    let who = env.who;
    let (game, oracle, cfg, consumer, model) =
        (env.c.game, env.oracle, env.cfg, env.consumer, env.model);
    let g = env.graph.clone();
    let input = sample_input();
    let liar_before = env.worth(who.liar);

    let mut liar = env.start_node("liar", LIAR_KEY, &["--lie"]);
    let (mut honest, port) = honest_node(&mut env, &["--answer-delay-secs", "8"]);

    let bits = g.inputs[0].info.bits.get();
    let (lo, hi) = (-(1i32 << (bits - 1)), (1i32 << (bits - 1)) - 1);
    let mut above = input.clone();
    above[0][5] = hi + 1;
    let mut below = input.clone();
    below[0][6] = lo - 1;
    let mut padded = input.clone();
    padded[0].push(0);
    let half = input[0].len() / 2;
    let split = vec![input[0][..half].to_vec(), input[0][half..].to_vec()];
    let fee = oracle.required_fee(&mut env.chain, CALLBACK_GAS).unwrap();
    for (why, bad) in [
        ("InputOutOfRange", &above),
        ("InputOutOfRange", &below),
        ("InputLength", &padded),
        ("WrongCount", &split),
    ] {
        let err = oracle_err(oracle.request(
            &mut env.chain,
            who.attacker,
            verinfer_oracle::model_id_of(model),
            bad,
            consumer,
            CALLBACK_GAS,
            fee,
            0,
        ));
        match err {
            E::InvalidInput(e) => {
                let reason = revert_reason(&e.reason);
                assert!(reason.contains(why), "{why}: {reason}");
            }
            other => panic!("{why}: expected InvalidInput, got {other:?}"),
        }
    }
    assert_eq!(oracle.request_count(&mut env.chain).unwrap(), 0);

    // A claim posting an out-of-range input, its trace consistent with it: refused.
    let mut values = Execution::run(g.clone(), &input).unwrap().values().to_vec();
    values[0][5] = hi + 1;
    let mut forged = Submitter::new(
        Execution::from_values(g.clone(), values).unwrap(),
        who.attacker,
        SubmitterStrategy::Honest,
    );
    forged.publish_inputs = true;
    match forged.claim(&mut env.chain, &game, &cfg) {
        Err(OpmlError::Chain(ChainError::Reverted { reason, .. })) => {
            assert!(reason.contains("InputOutOfRange"), "{reason}")
        }
        other => panic!("expected InputOutOfRange, got {other:?}"),
    }

    // An ERC-7007 prompt out of range.
    let (in_lens, out_lens) = verinfer_oracle::model_shapes(&g).unwrap();
    let (aigc, _) = AigcClient::deploy(
        &mut env.chain,
        who.attacker,
        "digits",
        "D",
        verinfer_oracle::model_id_of(model),
        oracle.address,
        &in_lens,
        &out_lens,
        0,
    )
    .unwrap();
    let outs = env.honest_outputs(&input);
    let err = aigc_err(aigc.mint(
        &mut env.chain,
        who.attacker,
        who.attacker,
        &above,
        &outs,
        "",
        &AigcProof::Opml(0),
    ));
    assert!(matches!(err, A::InvalidPrompt(_)), "{err:?}");
    println!("out-of-range inputs refused at {:?}", env.elapsed());

    // The ends of the range are accepted, and executed by the nodes: the lying node's answer
    // to a request of such an input loses its game, and the honest answer settles.
    let mut edge = input.clone();
    edge[0][5] = hi;
    edge[0][6] = lo;
    let edge_outs = env.honest_outputs(&edge);
    let req = env.request(&edge, consumer, 0);
    let info = fulfilled(
        &mut env,
        [&mut liar, &mut honest],
        consumer,
        req,
        &edge_outs,
    );
    assert_eq!(info.answerer, who.honest);
    env.rejected_lie_then_honest(req);
    // Nothing paid to the attacker; the lying node lost its bond.
    assert_eq!(
        oracle.owed(&mut env.chain, who.attacker).unwrap(),
        U256::ZERO
    );
    assert_eq!(oracle.owed(&mut env.chain, who.liar).unwrap(), U256::ZERO);
    assert!(env.worth(who.liar) + cfg.submitter_bond <= liar_before);

    // A lying claim posting an input at the ends of the range (no request) is challenged too.
    let mut posted = Submitter::new(lie_on(&g, &edge), who.attacker, SubmitterStrategy::Honest);
    posted.publish_inputs = true;
    let (posted, _) = posted.claim(&mut env.chain, &game, &cfg).unwrap();
    let posted_game = wait_for(60, "the honest node's challenge of the posted lie", || {
        honest.assert_running();
        checked(port, posted)?["game"].as_u64()
    });
    assert_eq!(checked(port, posted).unwrap()["verdict"], "wrong");
    let pg = game.game(&mut env.chain, posted_game).unwrap();
    assert_eq!(u64::try_from(pg.claimId).unwrap(), posted);
    assert_eq!(
        game.status(&mut env.chain, posted).unwrap(),
        ClaimStatus::Pending,
        "held by the game (its submitter never moves: it loses on time)"
    );
    println!("done at {:?}", env.elapsed());
}

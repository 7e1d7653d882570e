//! Generation disputes on anvil (a block a second) whose honest party crashes: its process
//! is killed with SIGKILL in the middle of the game and started again with the command a user
//! would type (`defend N --generation --model M`, `challenge N --generation --game G`); it
//! reads its game back from the chain, plays on and wins.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use verinfer_chain::{Chain, Deployments, RpcChain, DEV_PRIVATE_KEYS};
use verinfer_opml::generation::{GenClient, GenExecution, GenLie, GenModel, GenSubmitter};

use crate::common::gen_anvil::{crash, finish, forced_challenge, spawn, AnvilGen, PROMPT};
use crate::common::outcome as verinfer;

/// The generation game recorded in `env`'s deployments, and a connection to its node.
fn generation_game(env: &AnvilGen) -> (GenClient, RpcChain) {
    let rpc = RpcChain::connect(env.anvil.url(), verinfer_chain::dev_signers().unwrap()).unwrap();
    let recs = Deployments::load(&env.deployments).unwrap();
    let address = recs
        .get(rpc.chain_id(), "GenerationGame")
        .expect("generation game recorded");
    (GenClient { address }, rpc)
}

/// The defender of a generation claim is killed (SIGKILL) twice in the middle of its game
/// against a lying challenger (`challenge --generation --force`, another process and key):
/// during the step descent (its turn to reveal), and once its step is in play in the
/// single-step game (`AwaitStep`). Each time `defend 0 --generation --model M` starts again from the step
/// roots `claim` kept and what the chain shows; the liar's game ends `SubmitterWon`, the claim
/// finalizes and the generation game owes the defender more than its bond (its bond back and
/// the liar's, less the burn).
#[test]
fn generation_defender_killed_mid_game_on_anvil_restarts_and_is_paid() {
    let env = AnvilGen::new("generation_defender_killed");
    let vm = env.vm.as_str();
    let traces = env.dir.join("traces");
    let claim = ["--defend", "--trace-dir", traces.to_str().unwrap()];
    let mut defender = spawn(&env.claim(&claim));
    let steps = traces.join("gen-claim-0.steps.json");
    for _ in 0..300 {
        if steps.exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert!(steps.exists(), "no claim was posted");
    let mut liar = forced_challenge(vm);
    liar.extend(["--private-key", DEV_PRIVATE_KEYS[1]]);
    let liar = spawn(&env.playing(&liar));
    let defend = env.playing(&["defend", "0", "--generation", "--model", vm]);
    let defend: Vec<&str> = defend
        .into_iter()
        .chain(["--trace", steps.to_str().unwrap()])
        .collect();
    // Crash 1: during the step descent, its turn to reveal.
    let phase = env.wait_for_game("0", |g| g["phase"] == "StepReveal");
    crash(&mut defender);
    eprintln!("defender killed in {phase}");
    let mut defender = spawn(&defend);
    // Crash 2: its step handed to the single-step game (its claim played there).
    let phase = env.wait_for_game("0", |g| g["phase"] == "AwaitStep");
    crash(&mut defender);
    eprintln!("defender killed in {phase}");
    let defender = spawn(&defend);
    finish(liar, "generation game 0: SubmitterWon");
    finish(defender, "generation claim 0: Finalized");
    let (game, mut rpc) = generation_game(&env);
    let me = verinfer_chain::dev_signers().unwrap()[0].address();
    let bond = game.config(&mut rpc).unwrap().submitter_bond;
    let owed = game.owed(&mut rpc, me).unwrap();
    assert!(
        owed > bond,
        "the defender is owed {owed}, its bond is {bond}"
    );
}

/// The honest challenger (`challenge 1 --generation`, a process) against a lying submitter
/// (claim 1: a wrong token at step 5, posted and defended by the test through the library from
/// another account) is killed (SIGKILL) during the step descent (its turn to pick) and
/// started again as `challenge 1 --generation --game 0`: it reads its game back from the
/// chain, plays on and wins; the lying claim is rejected.
#[test]
fn generation_challenger_killed_mid_game_on_anvil_restarts_and_wins() {
    let env = AnvilGen::new("generation_challenger_killed");
    let vm = env.vm.as_str();
    // An honest claim (0) deploys the generation game and teaches it the model.
    let traces = env.dir.join("traces");
    let (ok, _, err) = verinfer(&env.claim(&["--trace-dir", traces.to_str().unwrap()]));
    assert!(ok, "{err}");
    let (game, mut rpc) = generation_game(&env);
    let liar = rpc.accounts()[2];
    let recs = Deployments::load(&env.deployments).unwrap();
    let steps = verinfer_opml::GameClient {
        address: recs
            .get(rpc.chain_id(), "InferenceGame")
            .expect("inference game recorded"),
    };
    let m = GenModel::new(verinfer_ir::vmodel::load(std::path::Path::new(vm)).unwrap()).unwrap();
    let prompt: Vec<u32> = PROMPT.split(',').map(|t| t.parse().unwrap()).collect();
    let lie = GenLie::WrongToken { step: 5 };
    let mut sub = GenSubmitter::new(
        GenExecution::run(Arc::new(m), &prompt, 6, Some(lie)).unwrap(),
        liar,
    );
    let cfg = game.config(&mut rpc).unwrap();
    let steps_cfg = steps.config(&mut rpc).unwrap();
    let (claim, _) = sub.post(&mut rpc, &game, cfg.submitter_bond).unwrap();
    assert_eq!(claim, 1);
    let honest = spawn(&env.playing(&["challenge", "1", "--generation", "--model", vm]));
    let over = AtomicBool::new(false);
    std::thread::scope(|scope| {
        // The liar answers every move it can until the test is done.
        let liar_rpc = &mut rpc;
        scope.spawn(|| {
            while !over.load(Ordering::Relaxed) {
                for id in game.games_of(liar_rpc, claim, 0).unwrap_or_default() {
                    let d = cfg.reveal_depth;
                    let _ = sub.act(liar_rpc, &game, (&steps, &steps_cfg), d, id);
                }
                std::thread::sleep(std::time::Duration::from_millis(200));
            }
        });
        // Whatever happens here, the liar's thread is told to stop (else the scope waits).
        let done = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut honest = honest;
            // During the step descent, its turn to pick.
            let phase = env.wait_for_game("1", |g| g["phase"] == "StepPick");
            crash(&mut honest);
            eprintln!("challenger killed in {phase}");
            let restarted = spawn(&env.playing(&[
                "challenge",
                "1",
                "--generation",
                "--model",
                vm,
                "--game",
                "0",
            ]));
            finish(restarted, "generation game 0: ChallengerWon");
        }));
        over.store(true, Ordering::Relaxed);
        if let Err(e) = done {
            std::panic::resume_unwind(e);
        }
    });
    let status = game.status(&mut rpc, claim).unwrap();
    assert_eq!(status, verinfer_opml::ClaimStatus::Rejected);
}

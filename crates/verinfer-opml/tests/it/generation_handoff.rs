//! Attacks on the hand-off of a disputed step (`GenerationGame.handoff` / `disputeInput`), on
//! the in-process chain with the Shakespeare step graph: the sub-claim is a constant-size
//! trace claim, the step's input roots are shown in `handoff` (checked against `R_s` as a
//! range) and an input is disputed by one root and its path in `R_s`. Each attack is refused
//! and the game then ends as it must: the liar loses.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stderr,
    missing_docs
)]

use std::sync::{Arc, OnceLock};

use alloy_primitives::{Address, B256, U256};
use verinfer_chain::RevmChain;
use verinfer_opml::convert::b256;
use verinfer_opml::generation::bindings::GenerationGame as G;
use verinfer_opml::generation::step_inputs::{handoff_call, input_path, post_trace_claim};
use verinfer_opml::generation::{
    GenChallenger, GenChallengerStrategy, GenClient, GenLie, GenModel, GenPhase, GenSubmitter, Mode,
};
use verinfer_opml::{GameClient, GameConfig, OpmlContracts};
use verinfer_testing::generation::{gen_prompt, shakespeare_gen_model, GenDuel};

const CTX: usize = 16;
const PROMPT: usize = 4;
const N: usize = 6;

fn model() -> Arc<GenModel> {
    static M: OnceLock<Arc<GenModel>> = OnceLock::new();
    Arc::clone(M.get_or_init(|| shakespeare_gen_model(CTX)))
}

/// A claim by `lie`'s submitter (account 0), challenged in bisection by `strategy`'s
/// challenger (account 1), played until `stop` is the phase.
struct Game {
    chain: RevmChain,
    c: OpmlContracts,
    game: GenClient,
    steps_cfg: GameConfig,
    sub: GenSubmitter,
    cha: GenChallenger,
    id: u64,
    d: u8,
}

impl Game {
    fn new(lie: Option<GenLie>, strategy: GenChallengerStrategy) -> Self {
        let m = model();
        let mut duel = GenDuel::new(&m, &gen_prompt(&m, PROMPT, 0), N, lie, strategy);
        duel.prepare(&m);
        let GenDuel {
            mut chain,
            c,
            game,
            sub,
            mut cha,
            accounts: a,
        } = duel;
        let cfg = game.config(&mut chain).unwrap();
        let (claim, _) = game
            .claim(&mut chain, a[0], cfg.submitter_bond, sub.claim_call())
            .unwrap();
        assert_eq!(
            cha.mode(&mut chain, &game, claim, 0).unwrap(),
            Some(Mode::Bisect)
        );
        let (id, r) = game
            .challenge(&mut chain, a[1], cfg.challenger_bond, claim, None)
            .unwrap();
        cha.logs_from = r.block_number;
        let steps_cfg = c.game.config(&mut chain).unwrap();
        Self {
            chain,
            c,
            game,
            steps_cfg,
            sub,
            cha,
            id,
            d: cfg.reveal_depth,
        }
    }

    fn phase(&mut self) -> GenPhase {
        let g = self.game.game(&mut self.chain, self.id).unwrap();
        GenPhase::from_u8(g.phase).unwrap()
    }

    fn steps(&self) -> &GameClient {
        &self.c.game
    }

    /// Both parties move until the phase is `stop` or the game is over.
    fn play_until(&mut self, stop: GenPhase) -> GenPhase {
        for _ in 0..200 {
            let phase = self.phase();
            if phase == stop || phase.is_over() {
                return phase;
            }
            assert_ne!(phase, GenPhase::AwaitStep, "no step dispute expected here");
            let steps = self.c.game;
            if phase.submitter_moves() {
                let moved = self
                    .sub
                    .act(
                        &mut self.chain,
                        &self.game,
                        (&steps, &self.steps_cfg),
                        self.d,
                        self.id,
                    )
                    .unwrap();
                assert!(!moved.is_empty(), "the submitter did not move in {phase:?}");
            } else {
                let moved = self
                    .cha
                    .act(&mut self.chain, &self.game, &steps, self.d, self.id)
                    .unwrap();
                assert!(moved.is_some(), "the challenger did not move in {phase:?}");
            }
        }
        panic!("game {} did not reach {stop:?}", self.id);
    }

    fn step(&mut self) -> usize {
        let g = self.game.game(&mut self.chain, self.id).unwrap();
        usize::try_from(g.step).unwrap()
    }

    fn send<C: alloy_sol_types::SolCall>(&mut self, from: Address, call: &C) -> Result<(), String> {
        self.game
            .send(&mut self.chain, from, call)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

fn refused(what: &str, r: Result<(), String>) {
    match r {
        Ok(()) => panic!("{what}: accepted"),
        Err(e) => eprintln!("{what}: refused ({e})"),
    }
}

/// A lying submitter (wrong token read at step `s`) hands its step over showing the honest
/// input roots instead of its own (a decoy: the challenger would see nothing wrong with the
/// inputs, dispute the trace, and lose there, where inputs are not disputable), or too few
/// roots, or a path of the wrong length: every such hand-off is refused; its real hand-off
/// shows the wrong token root, and it loses the input dispute.
#[test]
fn a_handoff_showing_roots_other_than_the_steps_is_refused() {
    let s = PROMPT + 2;
    let mut g = Game::new(
        Some(GenLie::WrongToken { step: s }),
        GenChallengerStrategy::Honest,
    );
    assert_eq!(g.play_until(GenPhase::PostStep), GenPhase::PostStep);
    assert_eq!(g.step(), s);
    let a = g.sub.account;
    let exec = g.sub.gen.step_owned(s).unwrap();
    let bond = g.steps_cfg.submitter_bond;
    let steps = *g.steps();
    let (sub_claim, _) = post_trace_claim(&mut g.chain, &steps, a, bond, &exec).unwrap();
    let own = handoff_call(g.id, sub_claim, &exec).unwrap();
    let n = exec.graph().inputs.len();
    let honest: Vec<B256> = g.cha.gen.step(s).unwrap().trace().value_roots()[..n]
        .iter()
        .map(|h| b256(*h))
        .collect();
    assert_ne!(
        honest[0], own.inputRoots[0],
        "the lie is in the token's root"
    );
    let mut decoy = own.clone();
    decoy.inputRoots = honest;
    refused("decoy input roots", g.send(a, &decoy));
    let mut decoy = own.clone();
    decoy.inputRoots[n - 1] = own.inputRoots[0];
    refused("one root moved", g.send(a, &decoy));
    let mut short = own.clone();
    short.inputRoots.pop();
    refused("too few roots", g.send(a, &short));
    let mut long = own.clone();
    long.edge.push(B256::ZERO);
    refused("an edge of the wrong depth", g.send(a, &long));
    assert_eq!(g.phase(), GenPhase::PostStep);
    g.send(a, &own).unwrap();
    assert_eq!(g.play_until(GenPhase::None), GenPhase::ChallengerWon);
}

/// A lying challenger (against an honest claim) reaches `Choose` at step `s` and disputes a
/// cache input with a root that is not that input of `R_s`: another input's root and path,
/// the same input's root and path in step `s − 1`'s trace, a node value of `R_s` (a valid
/// path, past the inputs), a path of the wrong length. Each is refused; disputing the real
/// root loses the derivation.
#[test]
fn an_input_opened_at_the_wrong_leaf_or_step_is_refused() {
    let s = PROMPT + 1;
    let strategy = GenChallengerStrategy::DisputeInput {
        step: s,
        input: 2,
        element: 3,
    };
    let mut g = Game::new(None, strategy);
    assert_eq!(g.play_until(GenPhase::Choose), GenPhase::Choose);
    assert_eq!(g.step(), s);
    let a = g.cha.account;
    let id = U256::from(g.id);
    let theirs = g.cha.gen.step(s).unwrap();
    let prev = g.cha.gen.step(s - 1).unwrap();
    let path = |t: &verinfer_opml::Execution, v: usize| -> Vec<B256> {
        t.trace()
            .value_path(v as u64)
            .unwrap()
            .into_iter()
            .map(b256)
            .collect()
    };
    let root = |t: &verinfer_opml::Execution, v: usize| b256(t.trace().value_roots()[v]);
    let call = |input: usize, root: B256, path: Vec<B256>| G::disputeInputCall {
        gameId: id,
        input: U256::from(input),
        root,
        path,
    };
    refused(
        "input 3's root at leaf 2",
        g.send(a, &call(2, root(&theirs, 3), path(&theirs, 3))),
    );
    refused(
        "input 2's root of step s-1",
        g.send(a, &call(2, root(&prev, 2), path(&prev, 2))),
    );
    let n = theirs.graph().inputs.len();
    refused(
        "a node value past the inputs",
        g.send(a, &call(n, root(&theirs, n), path(&theirs, n))),
    );
    let mut long = path(&theirs, 2);
    long.push(B256::ZERO);
    refused(
        "a path of the wrong depth",
        g.send(a, &call(2, root(&theirs, 2), long)),
    );
    // The shown roots and edge rebuild the same path the trace gives.
    let shown = g.game.posted_step(&mut g.chain, g.id, 0).unwrap();
    for i in 0..n {
        assert_eq!(
            input_path(&shown.inputRoots, &shown.edge, i).unwrap(),
            path(&theirs, i)
        );
    }
    assert_eq!(g.phase(), GenPhase::Choose);
    assert_eq!(g.play_until(GenPhase::None), GenPhase::SubmitterWon);
}

/// The submitter crashes between its two `PostStep` transactions: its step's trace claim is
/// on chain, the `handoff` is not. Its restarted self (a new `GenSubmitter` over the same
/// generation, nothing kept) must hand off the claim it already posted — never a second step
/// claim with a second bond — and still win against the lying challenger.
#[test]
fn a_submitter_restarted_between_its_step_claim_and_handoff_reuses_the_claim() {
    let s = PROMPT + 1;
    let mut g = Game::new(None, GenChallengerStrategy::DisputeStep { step: s });
    assert_eq!(g.play_until(GenPhase::PostStep), GenPhase::PostStep);
    let a = g.sub.account;
    let exec = g.sub.gen.step_owned(s).unwrap();
    let bond = g.steps_cfg.submitter_bond;
    let steps = *g.steps();
    // The first of the two transactions, then the crash.
    let (posted, _) = post_trace_claim(&mut g.chain, &steps, a, bond, &exec).unwrap();
    let count = |g: &mut Game| {
        let c = g.steps().address;
        let call = verinfer_chain::bindings::InferenceGame::claimCountCall {};
        verinfer_chain::view_default(&mut g.chain, c, &call, "claimCount").unwrap()
    };
    let before = count(&mut g);
    let gen =
        verinfer_opml::generation::GenExecution::run(model(), g.sub.gen.prompt(), N, None).unwrap();
    g.sub = GenSubmitter::new(gen, a);
    let receipts = g
        .sub
        .act(&mut g.chain, &g.game, (&steps, &g.steps_cfg), g.d, g.id)
        .unwrap();
    assert_eq!(receipts.len(), 1, "only the handoff is sent");
    assert_eq!(count(&mut g), before, "no second step claim");
    let gm = g.game.game(&mut g.chain, g.id).unwrap();
    assert_eq!(gm.subClaim, U256::from(posted));
    assert_eq!(g.phase(), GenPhase::Choose);
}

//! The any-trust matrix on the in-process chain: against every lying strategy we can
//! enumerate, on either side, the honest party wins and the bonds end where they should.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::OnceLock;

use verinfer_chain::{Chain, U256};
use verinfer_ir::Graph;
use verinfer_opml::{
    lying_execution, Challenger, ChallengerStrategy, Execution, Party, SimReport, Submitter,
    SubmitterStrategy, TraceLie,
};
use verinfer_testing::game::play_claim;

fn mlp() -> &'static (Graph, Vec<Vec<i32>>) {
    static M: OnceLock<(Graph, Vec<Vec<i32>>)> = OnceLock::new();
    M.get_or_init(|| verinfer_testing::models::bundled("digits_mlp"))
}

fn cnn() -> &'static (Graph, Vec<Vec<i32>>) {
    static M: OnceLock<(Graph, Vec<Vec<i32>>)> = OnceLock::new();
    M.get_or_init(|| verinfer_testing::models::bundled("mnist_cnn"))
}

/// Index of the first node that accumulates more than `min_steps` steps.
fn long_reduction(g: &Graph, inputs: &[Vec<i32>], min_steps: usize) -> usize {
    let e = Execution::run(g.clone(), inputs).unwrap();
    (0..g.nodes.len())
        .find(|&n| e.steps(n).unwrap() > min_steps)
        .expect("a node with a long accumulation")
}

fn run(
    model: &(Graph, Vec<Vec<i32>>),
    lie: Option<TraceLie>,
    sub: SubmitterStrategy,
    cha: ChallengerStrategy,
    force: bool,
) -> (SimReport, U256, U256) {
    play_claim(&model.0, &model.1, lie, (sub, cha), force)
}

fn eth(milli: u64) -> U256 {
    U256::from(milli) * U256::from(10u64).pow(U256::from(15u64))
}

fn challenger_wins(r: &SimReport, sub: U256, cha: U256) {
    assert_eq!(r.winner, "challenger", "{r:#?}");
    assert_eq!(r.claim_status, "rejected", "{r:#?}");
    // Challenger: its bond back + the submitter's bond less 20% burned; submitter: nothing.
    assert_eq!(cha, eth(1000) + eth(800), "{r:#?}");
    assert_eq!(sub, U256::ZERO, "{r:#?}");
}

fn submitter_wins(r: &SimReport, sub: U256, cha: U256) {
    assert_eq!(r.winner, "submitter", "{r:#?}");
    assert_eq!(r.claim_status, "finalized", "{r:#?}");
    // Submitter: its bond back at finality + the challenger's bond less 20% burned.
    assert_eq!(sub, eth(1000) + eth(800), "{r:#?}");
    assert_eq!(cha, U256::ZERO, "{r:#?}");
}

fn last(m: &(Graph, Vec<Vec<i32>>)) -> usize {
    m.0.nodes.len() - 1
}

fn lie(node: usize, element: usize, propagate: bool) -> Option<TraceLie> {
    Some(TraceLie {
        node,
        element,
        delta: 1,
        propagate,
    })
}

/// A lying claim against an honest challenger: the challenger must win; the report is
/// returned for extra checks.
fn liar_loses(
    m: &(Graph, Vec<Vec<i32>>),
    lie: Option<TraceLie>,
    sub: SubmitterStrategy,
) -> SimReport {
    let (r, s, c) = run(m, lie, sub, ChallengerStrategy::Honest, false);
    challenger_wins(&r, s, c);
    r
}

/// An honest claim forced into a game by a challenger playing `cha`: the submitter must win.
fn honest_claim_survives(m: &(Graph, Vec<Vec<i32>>), cha: ChallengerStrategy) {
    let (r, s, c) = run(m, None, SubmitterStrategy::Honest, cha, true);
    submitter_wins(&r, s, c);
}

#[test]
fn honest_claim_unchallenged_finalizes() {
    let (r, sub, cha) = run(
        mlp(),
        None,
        SubmitterStrategy::Honest,
        ChallengerStrategy::Honest,
        false,
    );
    assert_eq!(r.winner, "none");
    assert_eq!(r.claim_status, "finalized");
    assert_eq!((sub, cha), (eth(1000), U256::ZERO));
}

#[test]
fn wrong_output_loses() {
    let m = mlp();
    let r = liar_loses(m, lie(last(m), 3, false), SubmitterStrategy::Honest);
    assert_eq!(r.reason, "one-step re-execution");
}

#[test]
fn wrong_middle_node_consistent_afterwards_loses() {
    let m = cnn();
    liar_loses(
        m,
        lie(m.0.nodes.len() / 2, 0, true),
        SubmitterStrategy::Honest,
    );
}

/// Each submitter strategy, lying at element 5 of a node with a long accumulation.
fn long_reduction_liar_loses(sub: SubmitterStrategy) -> SimReport {
    let m = mlp();
    liar_loses(m, lie(long_reduction(&m.0, &m.1, 16), 5, true), sub)
}

#[test]
fn wrong_element_of_a_long_reduction_loses_in_the_step_phase() {
    let r = long_reduction_liar_loses(SubmitterStrategy::Honest);
    assert!(
        r.transactions
            .iter()
            .any(|(l, _)| l.contains("revealSteps")),
        "{r:#?}"
    );
}

#[test]
fn shifted_checkpoints_lose() {
    long_reduction_liar_loses(SubmitterStrategy::ShiftedCheckpoints);
}

#[test]
fn interpolated_checkpoints_lose() {
    long_reduction_liar_loses(SubmitterStrategy::InterpolatedCheckpoints);
}

#[test]
fn honest_accumulator_behind_a_wrong_element_is_refused_then_times_out() {
    let r = long_reduction_liar_loses(SubmitterStrategy::HonestAccumulator);
    assert_eq!(r.reason, "timeout");
}

#[test]
fn silent_or_late_submitter_loses_on_time() {
    for strategy in [SubmitterStrategy::Silent, SubmitterStrategy::SilentAfter(2)] {
        let m = mlp();
        let r = liar_loses(m, lie(last(m), 0, false), strategy);
        assert_eq!(r.reason, "timeout", "{strategy:?}");
    }
}

#[test]
fn challenging_a_correct_claim_loses() {
    honest_claim_survives(mlp(), ChallengerStrategy::Honest);
}

#[test]
fn random_challenger_loses() {
    for seed in [1u64, 7, 42, 1234] {
        let m = if seed % 2 == 0 { mlp() } else { cnn() };
        honest_claim_survives(m, ChallengerStrategy::Random(seed));
    }
}

#[test]
fn garbage_openings_and_stalling_challenger_lose() {
    for strategy in [
        ChallengerStrategy::GarbageOneStep,
        ChallengerStrategy::Silent,
        ChallengerStrategy::SilentAfter(2),
    ] {
        honest_claim_survives(mlp(), strategy);
    }
}

#[test]
fn inconsistent_reveals_are_refused_and_lose_on_time() {
    let m = mlp();
    let r = liar_loses(
        m,
        lie(last(m), 1, false),
        SubmitterStrategy::InconsistentReveal,
    );
    assert_eq!(r.reason, "timeout");
}

/// A deployed game with a wrong claim (the MLP's output off by one) posted by account 0.
struct WrongClaim {
    chain: verinfer_chain::RevmChain,
    c: verinfer_opml::OpmlContracts,
    a: Vec<verinfer_chain::Address>,
    cfg: verinfer_opml::GameConfig,
    submitter: Submitter,
    claim: u64,
}

impl WrongClaim {
    /// Opens a game on the claim from account `who`; returns its id.
    fn challenge(&mut self, who: usize) -> u64 {
        let bond = self.cfg.challenger_bond;
        let (game, _) = self
            .c
            .game
            .challenge(&mut self.chain, self.a[who], bond, self.claim)
            .unwrap();
        game
    }
}

fn wrong_claim() -> WrongClaim {
    let (g, inputs) = mlp();
    let (mut chain, c) = verinfer_testing::chain::deployed_opml();
    let a = chain.accounts();
    let cfg = c.game.config(&mut chain).unwrap();
    let liar = lying_execution(g.clone(), inputs, lie(last(mlp()), 0, false).unwrap()).unwrap();
    let submitter = Submitter::new(liar, a[0], SubmitterStrategy::Honest);
    verinfer_opml::simulate::prepare_model(&mut chain, &c.registry, &c.game, &submitter).unwrap();
    let (claim, _) = submitter.claim(&mut chain, &c.game, &cfg).unwrap();
    WrongClaim {
        chain,
        c,
        a,
        cfg,
        submitter,
        claim,
    }
}

#[test]
fn a_move_after_the_clock_ran_out_is_refused() {
    use verinfer_opml::Phase;
    let mut w = wrong_claim();
    let game = w.challenge(1);
    // The clock is still running: no timeout yet.
    let err = w.c.game.timeout(&mut w.chain, w.a[1], game).unwrap_err();
    assert!(err.to_string().contains("ClockRunning"), "{err}");
    w.chain.advance_time(w.cfg.clock + 1).unwrap();
    let err = w
        .submitter
        .act(&mut w.chain, &w.c.game, &w.cfg, game)
        .unwrap_err();
    assert!(err.to_string().contains("ClockExpired"), "{err}");
    w.c.game.timeout(&mut w.chain, w.a[1], game).unwrap();
    let phase = Phase::from_u8(w.c.game.game(&mut w.chain, game).unwrap().phase).unwrap();
    assert_eq!(phase, Phase::ChallengerWon);
    // Nothing more can happen in a finished game.
    assert!(w.c.game.timeout(&mut w.chain, w.a[0], game).is_err());
}

#[test]
fn several_challengers_play_independent_games() {
    use verinfer_opml::driver::play;
    use verinfer_opml::{ClaimStatus, Phase};
    let (g, inputs) = mlp();
    // A wrong claim, two honest challengers: the first to finish rejects the claim; the
    // submitter's bond (less the burn) is shared by the two games open at the rejection, the
    // other one collecting its share (and its bond) when it becomes moot.
    let mut w = wrong_claim();
    let honest_run = || Execution::run(g.clone(), inputs).unwrap();
    let mut ch1 = Challenger::new(honest_run(), w.a[1], ChallengerStrategy::Honest);
    let mut ch2 = Challenger::new(honest_run(), w.a[2], ChallengerStrategy::Honest);
    let g1 = w.challenge(1);
    let g2 = w.challenge(2);
    // Interleave both games until the first ends.
    for _ in 0..200 {
        let p1 = Phase::from_u8(w.c.game.game(&mut w.chain, g1).unwrap().phase).unwrap();
        if p1.is_over() {
            break;
        }
        for id in [g1, g2] {
            w.submitter
                .act(&mut w.chain, &w.c.game, &w.cfg, id)
                .unwrap();
        }
        ch1.act(&mut w.chain, &w.c.game, &w.cfg, g1).unwrap();
        ch2.act(&mut w.chain, &w.c.game, &w.cfg, g2).unwrap();
    }
    assert_eq!(
        w.c.game.status(&mut w.chain, w.claim).unwrap(),
        ClaimStatus::Rejected
    );
    let end = play(&mut w.chain, &w.c.game, &mut ch2, g2, None, &mut |_| {}).unwrap();
    assert!(matches!(end, Phase::Moot | Phase::ChallengerWon), "{end:?}");
    let owed1 = w.c.game.owed(&mut w.chain, w.a[1]).unwrap();
    let owed2 = w.c.game.owed(&mut w.chain, w.a[2]).unwrap();
    // Each challenger: its bond back + half of the submitter's bond less 20% burned.
    let share: U256 = verinfer_chain::view(
        &mut w.chain,
        w.a[0],
        w.c.game.address,
        &verinfer_chain::bindings::InferenceGame::forfeitShareCall {
            claimId: U256::from(w.claim),
        },
        "InferenceGame.forfeitShare",
    )
    .unwrap();
    assert_eq!(share, eth(400));
    assert_eq!([owed1, owed2], [eth(1400), eth(1400)]);
    assert_eq!(w.c.game.owed(&mut w.chain, w.a[0]).unwrap(), U256::ZERO);

    // A correct claim, spammed by three challengers: each loses its bond to the submitter,
    // and the claim finalizes once the window has passed and the games are over.
    let mut honest = Submitter::new(honest_run(), w.a[0], SubmitterStrategy::Honest);
    let (claim, _) = honest.claim(&mut w.chain, &w.c.game, &w.cfg).unwrap();
    let mut rogues: Vec<(u64, Challenger)> = Vec::new();
    for (k, acct) in w.a[1..4].iter().enumerate() {
        let (id, _) =
            w.c.game
                .challenge(&mut w.chain, *acct, w.cfg.challenger_bond, claim)
                .unwrap();
        let ch = Challenger::new(
            honest_run(),
            *acct,
            ChallengerStrategy::Random(k as u64 + 3),
        );
        rogues.push((id, ch));
    }
    let before = w.c.game.owed(&mut w.chain, w.a[0]).unwrap();
    for _ in 0..200 {
        let mut open = false;
        for (id, ch) in rogues.iter_mut() {
            if Phase::from_u8(w.c.game.game(&mut w.chain, *id).unwrap().phase)
                .unwrap()
                .is_over()
            {
                continue;
            }
            open = true;
            honest.act(&mut w.chain, &w.c.game, &w.cfg, *id).unwrap();
            ch.act(&mut w.chain, &w.c.game, &w.cfg, *id).unwrap();
        }
        if !open {
            break;
        }
    }
    w.chain.advance_time(w.cfg.window + 1).unwrap();
    w.c.game.finalize(&mut w.chain, w.a[0], claim).unwrap();
    assert_eq!(
        w.c.game.status(&mut w.chain, claim).unwrap(),
        ClaimStatus::Finalized
    );
    let after = w.c.game.owed(&mut w.chain, w.a[0]).unwrap();
    assert_eq!(after - before, eth(1000) + eth(800) * U256::from(3u64));
}

/// A block-scaled contraction (`y = x·Wᵀ`, `W = q·d` in blocks of 32, as an exactly imported
/// `Q8_0` matrix): `K` = 256 (eight blocks), 20-bit activations, extreme quants and scales.
fn block_scaled() -> &'static (Graph, Vec<Vec<i32>>) {
    use verinfer_ir::shape::numel;
    use verinfer_ir::{Op, ParamData};
    use verinfer_testing::maps::MatMul;
    use verinfer_testing::{random_inputs, requant, GraphBuilder, Rng};
    static M: OnceLock<(Graph, Vec<Vec<i32>>)> = OnceLock::new();
    M.get_or_init(|| {
        let mm = MatMul {
            trans_w: true,
            ..MatMul::plain(1, 256, 4)
        };
        let mut rng = Rng::new(7);
        let mut b = GraphBuilder::new();
        let x = b.input(&mm.x_shape(), 20);
        let len = numel(&mm.w_shape());
        let mut q: Vec<i8> = rng.data(len, 8).iter().map(|&v| v as i8).collect();
        q[0] = i8::MIN;
        let d = rng.data(len / 32, 16);
        let w = ParamData::blocks(q, d.into(), 32).unwrap();
        let wo = b.param(&mm.w_shape(), 24, w.to_vec());
        b.node(
            Op::Contract(mm.contract(requant(1, 32, 20), None)),
            vec![x, wo],
            &mm.out_shape(),
            20,
        );
        let mut g = b.finish();
        g.params[0].data = w;
        let inputs = random_inputs(&g, 3);
        (g, inputs)
    })
}

/// A submitter whose accumulation of a block-scaled contraction goes wrong inside the first
/// block's partial sum (step 5) or the last block's (step 249 of 256) — block sums no trace
/// holds — loses to the honest challenger in the step phase, on revm's arbiter.
#[test]
fn lie_inside_a_block_loses_at_the_first_and_last_block() {
    let m = block_scaled();
    for at in [5, 249] {
        let r = liar_loses(m, lie(0, 2, false), SubmitterStrategy::LieFrom(at));
        assert_eq!(r.reason, "one-step re-execution", "{at}: {r:#?}");
        assert!(
            r.transactions
                .iter()
                .any(|(l, _)| l.contains("revealSteps")),
            "{r:#?}"
        );
    }
    // The same lie revealed as shifted or interpolated checkpoints, or stated at the end.
    for sub in [
        SubmitterStrategy::Honest,
        SubmitterStrategy::ShiftedCheckpoints,
        SubmitterStrategy::InterpolatedCheckpoints,
    ] {
        liar_loses(m, lie(0, 3, false), sub);
    }
}

/// An honest claim of a block-scaled contraction survives every lying challenger.
#[test]
fn block_scaled_honest_claim_survives_lying_challengers() {
    for cha in [ChallengerStrategy::Random(1), ChallengerStrategy::Random(2)] {
        honest_claim_survives(block_scaled(), cha);
    }
}

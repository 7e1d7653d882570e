//! A whole generation claim and its dispute on one chain, stepping time forward when a party
//! stalls, with the disputed step's single-step claim played out through [`play_out`].

use std::time::Instant;

use serde::Serialize;
use verinfer_chain::{Chain, Registry};

use alloy_primitives::U256;

use super::bindings::GenerationGame as G;
use super::challenger::{GenChallenger, Mode};
use super::client::{GenClient, GenConfig, GenPhase};
use super::execution::GenModel;
use super::submitter::GenSubmitter;
use crate::client::{ClaimStatus, GameClient};
use crate::convert::{b256, usize_of};
use crate::error::{OpmlError, Result};
use crate::simulate::{play_out, refused, SimReport};
use crate::GameConfig;

/// What happened, with every cost measured (gas of the single-step game included).
#[derive(Clone, Debug, Serialize)]
pub struct GenReport {
    /// "submitter", "challenger", or "none" when nobody challenged.
    pub winner: String,
    /// The `GameResolved` reason.
    pub reason: String,
    /// Final status of the generation claim.
    pub claim_status: String,
    /// "bisect", "bind" or "none".
    pub mode: String,
    /// The step the bisection reached (or the binding's step).
    pub step: Option<usize>,
    /// Transactions in both games (moves, sub-claim, timeouts, settle).
    pub moves: usize,
    /// Reveal/pick rounds in both games.
    pub rounds: u32,
    /// Gas of every game transaction.
    pub total_gas: u64,
    /// The largest single transaction.
    pub max_step_gas: u64,
    /// Gas of the generation claim.
    pub claim_gas: u64,
    /// The single-step game, when the step's trace was disputed.
    pub sub: Option<SimReport>,
    /// Every transaction of the generation game: label and gas.
    pub transactions: Vec<(String, u64)>,
    /// Wall time.
    pub wall_ms: u128,
}

impl GenReport {
    /// Nothing played yet: no challenge, the claim's gas `claim_gas`.
    fn empty(claim_gas: u64) -> Self {
        Self {
            winner: "none".into(),
            reason: "no challenge".into(),
            claim_status: String::new(),
            mode: "none".into(),
            step: None,
            moves: 0,
            rounds: 0,
            total_gas: 0,
            max_step_gas: 0,
            claim_gas,
            sub: None,
            transactions: Vec::new(),
            wall_ms: 0,
        }
    }
}

/// The deployed contracts a generation simulation runs on.
#[derive(Clone, Copy, Debug)]
pub struct GenContracts<'a> {
    /// The registry.
    pub registry: &'a Registry,
    /// The single-step game.
    pub steps: &'a GameClient,
    /// The generation game.
    pub game: &'a GenClient,
}

/// Registers the step graph, teaches it to both games, posts `submitter`'s claim and plays
/// the challenger's game (if it challenges) to its end; finalizes the claim if it survived.
///
/// # Errors
/// Transport errors, or an honest party's move refused.
pub fn simulate_generation(
    chain: &mut dyn Chain,
    c: GenContracts<'_>,
    submitter: &mut GenSubmitter,
    challenger: &mut GenChallenger,
) -> Result<GenReport> {
    let start = Instant::now();
    let a = submitter.account;
    prepare_generation(chain, c, a, submitter.gen.model())?;
    let cfg = c.game.config(chain)?;
    let (claim, r) = submitter.post(chain, c.game, cfg.submitter_bond)?;
    let mut report = GenReport::empty(r.gas_used);
    dispute(chain, c, submitter, challenger, claim, &mut report)?;
    if c.game.status(chain, claim)? == ClaimStatus::Pending {
        chain.advance_time(cfg.window + 1)?;
        c.game.send(
            chain,
            a,
            &G::finalizeCall {
                claimId: U256::from(claim),
            },
        )?;
    }
    report.claim_status = format!("{:?}", c.game.status(chain, claim)?).to_lowercase();
    totals(&mut report, start);
    Ok(report)
}

/// Lets `challenger` dispute the posted claim `claim` (if it disagrees) and plays the game to
/// its end, without finalizing the claim: what a watcher does with a claim someone else
/// posted (an oracle answer, say). The report's `claim_gas` is 0 (the claim is not ours).
///
/// # Errors
/// Transport errors, or an honest party's move refused.
pub fn contest(
    chain: &mut dyn Chain,
    c: GenContracts<'_>,
    submitter: &mut GenSubmitter,
    challenger: &mut GenChallenger,
    claim: u64,
) -> Result<GenReport> {
    let start = Instant::now();
    let mut report = GenReport::empty(0);
    dispute(chain, c, submitter, challenger, claim, &mut report)?;
    report.claim_status = format!("{:?}", c.game.status(chain, claim)?).to_lowercase();
    totals(&mut report, start);
    Ok(report)
}

/// The challenger's game against `claim`, if it opens one, played to its end.
fn dispute(
    chain: &mut dyn Chain,
    c: GenContracts<'_>,
    submitter: &mut GenSubmitter,
    challenger: &mut GenChallenger,
    claim: u64,
    report: &mut GenReport,
) -> Result<()> {
    let cfg = c.game.config(chain)?;
    let steps_cfg = c.steps.config(chain)?;
    if let Some(mode) = challenger.mode(chain, c.game, claim, challenger.logs_from)? {
        report.mode = if mode == Mode::Bisect {
            "bisect"
        } else {
            "bind"
        }
        .into();
        let token = match mode {
            Mode::Bisect => None,
            Mode::Bind(call) => Some(call),
        };
        let cbond = cfg.challenger_bond;
        let (game_id, r) = c
            .game
            .challenge(chain, challenger.account, cbond, claim, token)?;
        challenger.logs_from = r.block_number;
        let opened = r.block_number;
        report.transactions.push((r.label, r.gas_used));
        play(
            chain,
            c,
            (&cfg, &steps_cfg),
            submitter,
            challenger,
            game_id,
            report,
        )?;
        let g = c.game.game(chain, game_id)?;
        report.step = Some(usize_of(g.step, "step")?);
        report.winner = match GenPhase::from_u8(g.phase)? {
            GenPhase::SubmitterWon => "submitter",
            GenPhase::ChallengerWon => "challenger",
            _ => "none",
        }
        .into();
        report.reason = c.game.reason(chain, game_id, opened)?;
    }
    Ok(())
}

/// Moves, rounds, gas and wall time of both games' transactions.
fn totals(report: &mut GenReport, start: Instant) {
    let txs = &report.transactions;
    let sub_txs = report.sub.as_ref().map_or(&[][..], |s| &s.transactions[..]);
    let all = || txs.iter().chain(sub_txs);
    report.moves = all().count();
    report.rounds = all()
        .filter(|(l, _)| l.ends_with(".reveal") || l.ends_with(".revealSteps"))
        .count() as u32;
    report.total_gas = all().map(|(_, g)| g).sum();
    report.max_step_gas = all().map(|(_, g)| *g).max().unwrap_or(0);
    report.wall_ms = start.elapsed().as_millis();
}

/// Registers `model`'s step graph and teaches it to both games, where not done yet (what a
/// submitter does before its first generation claim); returns the transactions sent.
///
/// # Errors
/// Reverts or transport errors.
pub fn prepare_generation(
    chain: &mut dyn Chain,
    c: GenContracts<'_>,
    from: alloy_primitives::Address,
    model: &GenModel,
) -> Result<Vec<verinfer_chain::Receipt>> {
    let served = model.served();
    let model_id = b256(served.commitment().model_id.hash());
    let mut sent = Vec::new();
    if !c.registry.is_registered(chain, model_id)? {
        sent.push(c.registry.register(chain, from, model_id, "generation")?);
    }
    sent.extend(
        c.steps
            .ensure_learned(chain, from, served.graph(), served.commitment())?,
    );
    sent.extend(c.game.ensure_learned(chain, from, model_id)?);
    Ok(sent)
}

/// Plays game `game_id` to its end.
fn play(
    chain: &mut dyn Chain,
    c: GenContracts<'_>,
    (cfg, steps_cfg): (&GenConfig, &GameConfig),
    submitter: &mut GenSubmitter,
    challenger: &mut GenChallenger,
    game_id: u64,
    report: &mut GenReport,
) -> Result<()> {
    let d = cfg.reveal_depth;
    let (mut stalled_sub, mut stalled_cha) = (false, false);
    for _ in 0..1_000 {
        let g = c.game.game(chain, game_id)?;
        let phase = GenPhase::from_u8(g.phase)?;
        if phase.is_over() {
            return Ok(());
        }
        if phase == GenPhase::AwaitStep {
            let sub_claim = usize_of(g.subClaim, "sub-claim")? as u64;
            let (Some((_, sub)), Some(cha)) = (submitter.sub.as_mut(), challenger.sub.as_mut())
            else {
                return Err(OpmlError::Protocol(
                    "a disputed step without its parties".into(),
                ));
            };
            let force = cha.strategy != crate::ChallengerStrategy::Honest;
            let r = play_out(chain, c.steps, sub, cha, sub_claim, 0, force)?;
            report.sub = Some(r);
            let call = G::settleCall {
                gameId: U256::from(game_id),
            };
            let r = c.game.send(chain, challenger.account, &call)?;
            report.transactions.push((r.label, r.gas_used));
            continue;
        }
        let sub = phase.submitter_moves();
        let moved: Vec<_> = if sub && !stalled_sub {
            match submitter.act(chain, c.game, (c.steps, steps_cfg), d, game_id) {
                Ok(r) => r,
                Err(e) if refused(&e) => {
                    tracing::info!("submitter's move refused: {e}");
                    stalled_sub = true;
                    Vec::new()
                }
                Err(e) => return Err(e),
            }
        } else if !sub && !stalled_cha {
            match challenger.act(chain, c.game, c.steps, d, game_id) {
                Ok(r) => r.into_iter().collect(),
                Err(e) if refused(&e) => {
                    tracing::info!("challenger's move refused: {e}");
                    stalled_cha = true;
                    Vec::new()
                }
                Err(e) => return Err(e),
            }
        } else {
            Vec::new()
        };
        if moved.is_empty() {
            chain.advance_time(cfg.clock + 1)?;
            let caller = if sub {
                challenger.account
            } else {
                submitter.account
            };
            let call = G::timeoutCall {
                gameId: U256::from(game_id),
            };
            let r = c.game.send(chain, caller, &call)?;
            report.transactions.push((r.label, r.gas_used));
        }
        report
            .transactions
            .extend(moved.into_iter().map(|r| (r.label, r.gas_used)));
    }
    Err(OpmlError::Protocol(format!("game {game_id} did not end")))
}

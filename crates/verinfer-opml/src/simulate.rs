//! A whole claim and dispute between a submitter and a challenger on one chain, stepping time
//! forward when a party stalls: what `verinfer game simulate` and the any-trust tests run.

use std::time::Instant;

use serde::Serialize;
use verinfer_chain::{Chain, ChainError, Receipt, Registry};

use crate::challenger::Challenger;
use crate::client::{ClaimStatus, GameClient, Phase};
use crate::convert::b256;
use crate::deploy::OpmlContracts;
use crate::error::{OpmlError, Result};
use crate::party::Party;
use crate::submitter::Submitter;

/// What happened, with every cost measured.
#[derive(Clone, Debug, Serialize)]
pub struct SimReport {
    /// "submitter", "challenger", or "none" when nobody challenged.
    pub winner: String,
    /// Why the game ended (the contract's `GameResolved` reason).
    pub reason: String,
    /// Final claim status.
    pub claim_status: String,
    /// Transactions sent by both parties in the game (moves, including timeout calls).
    pub moves: usize,
    /// Interactive rounds: reveals of the trace tree, of the tensor tree and of checkpoints
    /// (each answered by one pick) — docs/protocol.md's `1 + log(tensor) + log(K)` in practice.
    pub rounds: u32,
    /// Gas of every game transaction.
    pub total_gas: u64,
    /// The largest single move (the one-step, normally).
    pub max_step_gas: u64,
    /// Gas of the claim itself.
    pub claim_gas: u64,
    /// Every game transaction: label and gas.
    pub transactions: Vec<(String, u64)>,
    /// Wall time of the whole simulation.
    pub wall_ms: u128,
}

/// Registers and teaches the model to the game if needed.
///
/// # Errors
/// Reverts or transport errors.
pub fn prepare_model(
    chain: &mut dyn Chain,
    registry: &Registry,
    game: &GameClient,
    submitter: &Submitter,
) -> Result<Vec<Receipt>> {
    let mut out = Vec::new();
    let model_id = b256(submitter.exec.model().model_id.hash());
    if !registry.is_registered(chain, model_id)? {
        out.push(registry.register(chain, submitter.account, model_id, "simulation")?);
    }
    let (g, m) = (submitter.exec.graph(), submitter.exec.model());
    out.extend(game.ensure_learned(chain, submitter.account, g, m)?);
    Ok(out)
}

/// A move that the contract refused: for a lying party that is how its strategy ends (it has
/// nothing valid to say); for anyone else it is an error.
pub(crate) fn refused(e: &OpmlError) -> bool {
    matches!(
        e,
        OpmlError::Chain(ChainError::Reverted { .. } | ChainError::FailedOnChain { .. })
    )
}

/// A party's move, or none when the contract refused it: the party stalls from then on (its
/// clock runs out).
fn stall_if_refused<T>(r: Result<Option<T>>, who: &str, stalled: &mut bool) -> Result<Option<T>> {
    match r {
        Err(e) if refused(&e) => {
            tracing::info!("{who}'s move refused: {e}");
            *stalled = true;
            Ok(None)
        }
        r => r,
    }
}

/// Runs a claim by `submitter` and, if `force_challenge` or the challenger disputes it, a game
/// played to the end; then finalizes the claim if it survived.
///
/// # Errors
/// Transport errors, or an honest party's move refused (a bug).
pub fn simulate(
    chain: &mut dyn Chain,
    c: &OpmlContracts,
    submitter: &mut Submitter,
    challenger: &mut Challenger,
    force_challenge: bool,
) -> Result<SimReport> {
    let game = &c.game;
    let cfg = game.config(chain)?;
    prepare_model(chain, &c.registry, game, submitter)?;
    let (claim, claim_receipt) = submitter.claim(chain, game, &cfg)?;
    play_out(
        chain,
        game,
        submitter,
        challenger,
        claim,
        claim_receipt.gas_used,
        force_challenge,
    )
}

/// Plays out an already posted `claim` of `submitter`: if `force_challenge` or the challenger
/// disputes it, a game to its end (a party whose move the contract refuses stalls and loses on
/// time); then finalizes the claim if it survived. `claim_gas` is reported as the claim's gas.
///
/// # Errors
/// Transport errors, or a move refused for a reason other than a lie.
pub fn play_out(
    chain: &mut dyn Chain,
    game: &GameClient,
    submitter: &mut Submitter,
    challenger: &mut Challenger,
    claim: u64,
    claim_gas: u64,
    force_challenge: bool,
) -> Result<SimReport> {
    let start = Instant::now();
    let cfg = game.config(chain)?;
    let mut txs: Vec<(String, u64)> = Vec::new();
    let mut report = SimReport {
        winner: "none".into(),
        reason: "no challenge".into(),
        claim_status: String::new(),
        moves: 0,
        rounds: 0,
        total_gas: 0,
        max_step_gas: 0,
        claim_gas,
        transactions: Vec::new(),
        wall_ms: 0,
    };
    if force_challenge || challenger.disputes(chain, game, claim)? {
        let (game_id, r) = game.challenge(chain, challenger.account, cfg.challenger_bond, claim)?;
        challenger.logs_from = r.block_number;
        let opened = r.block_number;
        txs.push((r.label, r.gas_used));
        let mut stalled_submitter = false;
        let mut stalled_challenger = false;
        for _ in 0..10_000 {
            let g = game.game(chain, game_id)?;
            let phase = Phase::from_u8(g.phase)?;
            if phase.is_over() {
                report.rounds = txs
                    .iter()
                    .filter(|(l, _)| l.ends_with(".reveal") || l.ends_with(".revealSteps"))
                    .count() as u32;
                report.winner = match phase {
                    Phase::SubmitterWon => "submitter",
                    Phase::ChallengerWon => "challenger",
                    _ => "none",
                }
                .into();
                report.reason = game_reason(chain, game, game_id, opened)?;
                break;
            }
            let sub = phase.submitter_moves();
            let moved = if sub && !stalled_submitter {
                let r = submitter.act(chain, game, &cfg, game_id);
                stall_if_refused(r, "submitter", &mut stalled_submitter)?
            } else if !sub && !stalled_challenger {
                let r = challenger.act(chain, game, &cfg, game_id);
                stall_if_refused(r, "challenger", &mut stalled_challenger)?
            } else {
                None
            };
            match moved {
                Some(r) => txs.push((r.label, r.gas_used)),
                None => {
                    // The party to move does not: let its clock run out, and the other side
                    // claims the win.
                    chain.advance_time(cfg.clock + 1)?;
                    let caller = if sub {
                        challenger.account
                    } else {
                        submitter.account
                    };
                    let r = game.timeout(chain, caller, game_id)?;
                    txs.push((r.label, r.gas_used));
                }
            }
        }
    }
    if game.status(chain, claim)? == ClaimStatus::Pending {
        chain.advance_time(cfg.window + 1)?;
        game.finalize(chain, submitter.account, claim)?;
    }
    report.claim_status = format!("{:?}", game.status(chain, claim)?).to_lowercase();
    report.moves = txs.len();
    report.total_gas = txs.iter().map(|(_, g)| g).sum();
    report.max_step_gas = txs.iter().map(|(_, g)| *g).max().unwrap_or(0);
    report.transactions = txs;
    report.wall_ms = start.elapsed().as_millis();
    Ok(report)
}

/// Why `game_id` ended, from its `GameResolved` log (read from the game's opening block).
fn game_reason(
    chain: &mut dyn Chain,
    game: &GameClient,
    game_id: u64,
    opened: u64,
) -> Result<String> {
    use verinfer_chain::bindings::InferenceGame;
    let at = |e: &InferenceGame::GameResolved| e.gameId == alloy_primitives::U256::from(game_id);
    Ok(
        crate::client::newest_event(chain, game.address, opened, at)?
            .map(|e| e.reason)
            .unwrap_or_default(),
    )
}

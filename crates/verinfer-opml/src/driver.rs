//! Long-running loops for the two roles against a live chain: the submitter defends a claim
//! until it is final or rejected; the challenger plays one game to its end. Each iteration
//! reads the chain, moves if it is this party's turn, and claims the win when the other
//! party's clock has run out.

use std::time::Duration;

use alloy_primitives::U256;
use alloy_sol_types::SolEvent;
use verinfer_chain::bindings::InferenceGame;
use verinfer_chain::{Chain, Receipt};

use crate::challenger::Challenger;
use crate::client::{ClaimStatus, GameClient, Phase};
use crate::error::Result;
use crate::party::Party;
use crate::submitter::Submitter;

/// Ids of the games opened against `claim` in blocks `from_block` and later (the claim's
/// block: no game on it is older).
///
/// # Errors
/// Transport errors.
pub fn games_of(
    chain: &mut dyn Chain,
    game: &GameClient,
    claim: u64,
    from_block: u64,
) -> Result<Vec<u64>> {
    let logs = chain.logs(game.address, from_block)?;
    Ok(logs
        .iter()
        .filter_map(|l| InferenceGame::GameOpened::decode_log(&l.log).ok())
        .filter(|e| e.claimId == U256::from(claim))
        .filter_map(|e| u64::try_from(e.gameId).ok())
        .collect())
}

/// Calls `timeout` when the party to move in `game_id` has run out of time (and is not us).
fn claim_timeout(
    chain: &mut dyn Chain,
    game: &GameClient,
    game_id: u64,
    we_are_submitter: bool,
    from: alloy_primitives::Address,
) -> Result<Option<Receipt>> {
    let g = game.game(chain, game_id)?;
    let phase = Phase::from_u8(g.phase)?;
    if phase.is_over() || phase.submitter_moves() == we_are_submitter {
        return Ok(None);
    }
    let left = if phase.submitter_moves() {
        g.submitterTime
    } else {
        g.challengerTime
    };
    let now = chain.block()?.timestamp;
    if now.saturating_sub(g.lastMove) > left {
        return Ok(Some(game.timeout(chain, from, game_id)?));
    }
    Ok(None)
}

/// Defends `claim` until it is finalized or rejected, polling every `poll`; with `poll` = None
/// (the in-process chain, where nobody else moves while we run) returns as soon as there is
/// nothing to do, with the status so far. `on_tx` sees each receipt (gas reporting).
///
/// # Errors
/// Transport errors or a refused honest move.
pub fn defend(
    chain: &mut dyn Chain,
    game: &GameClient,
    submitter: &mut Submitter,
    claim: u64,
    poll: Option<Duration>,
    on_tx: &mut dyn FnMut(&Receipt),
) -> Result<ClaimStatus> {
    let cfg = game.config(chain)?;
    // Games are found incrementally: each pass reads only the blocks after the last one read
    // (from the claim's block at first), never the contract's whole log again.
    let mut games = std::collections::BTreeSet::new();
    let mut next = submitter.logs_from;
    loop {
        let status = game.status(chain, claim)?;
        if status != ClaimStatus::Pending {
            return Ok(status);
        }
        let head = chain.block()?.number;
        if next <= head {
            games.extend(games_of(chain, game, claim, next)?);
            next = head.saturating_add(1);
        }
        let mut acted = false;
        for &id in &games {
            if let Some(r) = submitter.act(chain, game, &cfg, id)? {
                on_tx(&r);
                acted = true;
            }
            if let Some(r) = claim_timeout(chain, game, id, true, submitter.account)? {
                on_tx(&r);
                acted = true;
            }
        }
        let c = game.claim_info(chain, claim)?;
        if c.openGames == 0 && chain.block()?.timestamp > c.windowEnd {
            let r = game.finalize(chain, submitter.account, claim)?;
            on_tx(&r);
            continue;
        }
        if !acted {
            match poll {
                Some(p) => std::thread::sleep(p),
                None => return Ok(status),
            }
        }
    }
}

/// Plays game `game_id` as `challenger` until it ends (or, with `poll` = None, until it is the
/// other side's turn); returns the phase reached. A game whose claim another game rejected is
/// closed as moot (the bond comes back).
///
/// # Errors
/// Transport errors or a refused honest move.
pub fn play(
    chain: &mut dyn Chain,
    game: &GameClient,
    challenger: &mut Challenger,
    game_id: u64,
    poll: Option<Duration>,
    on_tx: &mut dyn FnMut(&Receipt),
) -> Result<Phase> {
    let cfg = game.config(chain)?;
    loop {
        let g = game.game(chain, game_id)?;
        let phase = Phase::from_u8(g.phase)?;
        if phase.is_over() {
            return Ok(phase);
        }
        let claim = u64::try_from(g.claimId).unwrap_or(u64::MAX);
        if game.status(chain, claim)? == ClaimStatus::Rejected {
            let r = game.close_moot(chain, challenger.account, game_id)?;
            on_tx(&r);
            continue;
        }
        let mut acted = false;
        if let Some(r) = challenger.act(chain, game, &cfg, game_id)? {
            on_tx(&r);
            acted = true;
        }
        if let Some(r) = claim_timeout(chain, game, game_id, false, challenger.account)? {
            on_tx(&r);
            acted = true;
        }
        if !acted {
            match poll {
                Some(p) => std::thread::sleep(p),
                None => return Ok(phase),
            }
        }
    }
}

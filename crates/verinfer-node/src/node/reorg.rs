//! Noticing a reorganisation and undoing what the replaced blocks told the node. The node
//! remembers the hash of the last block it read logs up to; when the chain later reports
//! another hash at that number, the blocks after the fork are gone, and with them perhaps
//! requests, claims and games the node recorded. It then reads the recent blocks again and
//! checks each record that is not final against the contracts' state: a record the chain
//! no longer backs is dropped (someone else's claim or request: the logs read again bring
//! back whatever replaced it) or marked vanished (our own claims and games, kept for the
//! record with their traces). Acting on a claim or request is always preceded by the same
//! comparison, so even a reorganisation the hash check misses cannot make the node challenge
//! or answer something that is not what its log said.

use alloy_primitives::B256;
use verinfer_chain::Chain;
use verinfer_oracle::RequestStatus;

use super::{Node, REORG_DEPTH};
use crate::error::{NodeError, Result};
use crate::state::{GameStanding, OwnClaimStatus, RequestState, SyncedBlock, Verdict};

/// What the chain says about a claim id now: `None` when there is no such claim.
pub(super) struct ClaimNow {
    pub(super) model: B256,
    pub(super) submitter: alloy_primitives::Address,
    pub(super) trace_root: B256,
    pub(super) inputs_hash: B256,
}

impl Node {
    /// The claim `id` as the game stores it, `None` when it does not exist (a revert of the
    /// getter). Transport failures are errors.
    pub(super) fn claim_now(&self, chain: &mut dyn Chain, id: u64) -> Result<Option<ClaimNow>> {
        match self.contracts.game.claim_info(chain, id) {
            Ok(c) if c.submitter.is_zero() => Ok(None),
            Ok(c) => Ok(Some(ClaimNow {
                model: c.modelId,
                submitter: c.submitter,
                trace_root: c.traceRoot,
                inputs_hash: c.inputsHash,
            })),
            Err(e) => {
                let e = NodeError::from(e);
                if e.is_transient() {
                    Err(e)
                } else {
                    Ok(None)
                }
            }
        }
    }

    /// Whether the last block read was replaced; if so, rewinds the log cursor over the
    /// recent blocks and checks every unfinished record against the contracts.
    pub(super) fn detect_reorg(&mut self, chain: &mut dyn Chain) -> Result<()> {
        let Some(seen) = self.state.synced else {
            return Ok(());
        };
        let now = chain.block_hash(seen.number)?;
        if now == Some(seen.hash) {
            return Ok(());
        }
        tracing::warn!(
            block = seen.number,
            seen = %seen.hash,
            now = ?now,
            "a block the node read was replaced (reorganisation): reading the recent blocks \
             again and checking what they said"
        );
        self.state.problem(
            seen.number,
            "reorganisation",
            &format!("block {} changed hash since it was read", seen.number),
        );
        self.state.synced = None;
        self.state.next_block = self
            .state
            .next_block
            .min(seen.number.saturating_sub(REORG_DEPTH))
            .max(self.cfg.start_block);
        self.revalidate(chain)
    }

    /// Checks every record that is not final against the contracts' state (see the module).
    pub(super) fn revalidate(&mut self, chain: &mut dyn Chain) -> Result<()> {
        let me = self.cfg.account;
        // Our pending claims.
        let ours = self.state.pending_claims();
        for (id, root) in ours {
            let still = self
                .claim_now(chain, id)?
                .is_some_and(|c| c.submitter == me && c.trace_root == root);
            if still {
                continue;
            }
            tracing::warn!(claim = id, "our claim vanished in a reorganisation");
            self.submitters.remove(&id);
            if let Some(c) = self.state.claims.get_mut(&id) {
                c.status = OwnClaimStatus::Vanished;
                let reqs: Vec<u64> = c.requests.iter().copied().collect();
                for r in reqs {
                    self.set_request(r, RequestState::Todo);
                }
            }
        }
        // Our open games.
        let games = self.state.open_games();
        for (id, claim) in games {
            let still = match self.contracts.game.game(chain, id) {
                Ok(g) => g.challenger == me && g.claimId == alloy_primitives::U256::from(claim),
                Err(e) => {
                    let e = NodeError::from(e);
                    if e.is_transient() {
                        return Err(e);
                    }
                    false
                }
            };
            if still {
                continue;
            }
            tracing::warn!(game = id, claim, "our game vanished in a reorganisation");
            self.challengers.remove(&id);
            if let Some(g) = self.state.games.get_mut(&id) {
                g.standing = GameStanding::Vanished;
            }
            if let Some(c) = self.state.checked.get_mut(&claim) {
                if c.check.game == Some(id) {
                    c.check.game = None;
                    c.check.verdict = Verdict::Unchecked;
                    c.check.challenging = false;
                }
            }
        }
        // Others' claims not settled in our books: dropped unless the chain still backs them.
        let checked: Vec<u64> = self
            .state
            .checked
            .iter()
            .filter(|(_, c)| c.check.game.is_none())
            .map(|(id, _)| *id)
            .collect();
        for id in checked {
            let Some(rec) = self.state.checked.get(&id).cloned() else {
                continue;
            };
            let backed = self.claim_now(chain, id)?.is_some_and(|c| {
                c.submitter == rec.submitter
                    && c.model == rec.model
                    && c.inputs_hash == rec.inputs_hash
            });
            if !backed {
                tracing::warn!(
                    claim = id,
                    "a claim we recorded vanished in a reorganisation"
                );
                self.state.checked.remove(&id);
            }
        }
        // Requests still to answer or being answered.
        let open: Vec<u64> = self
            .state
            .requests
            .iter()
            .filter(|(_, r)| matches!(r.state, RequestState::Todo | RequestState::Claimed { .. }))
            .map(|(id, _)| *id)
            .collect();
        for id in open {
            let Some(rec) = self.state.requests.get(&id).cloned() else {
                continue;
            };
            let backed = match self
                .contracts
                .oracle
                .get_request(chain, verinfer_oracle::RequestId::new(id))
            {
                Ok(r) => {
                    RequestStatus::from_u8(r.status).is_ok_and(|s| s != RequestStatus::None)
                        && r.modelId == rec.model
                        && r.inputsHash == rec.inputs_hash
                }
                Err(e) => {
                    let e = NodeError::from(e);
                    if e.is_transient() {
                        return Err(e);
                    }
                    false
                }
            };
            if !backed {
                tracing::warn!(
                    request = id,
                    "a request we recorded vanished in a reorganisation"
                );
                self.state.requests.remove(&id);
            } else if matches!(rec.state, RequestState::Claimed { .. }) {
                // Its answer may be what vanished: `answer` reads where it stands.
                self.set_request(id, RequestState::Todo);
            }
        }
        self.save()
    }

    /// Remembers the hash of `number`, the last block whose logs were read (chains without
    /// hashes — the in-process one — cannot reorganise, and record nothing).
    pub(super) fn remember_synced(&mut self, chain: &mut dyn Chain, number: u64) -> Result<()> {
        self.state.synced = chain
            .block_hash(number)?
            .map(|hash| SyncedBlock { number, hash });
        Ok(())
    }
}

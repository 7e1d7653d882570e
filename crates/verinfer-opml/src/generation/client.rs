//! A typed client of a deployed `GenerationGame`: deployment, one method per move, and the
//! views and events a party reads.

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{SolCall, SolConstructor, SolEvent};
use verinfer_chain::{Chain, ContractClient, Receipt};

use super::bindings::GenerationGame::{self, Game};
use crate::client::{first_event, newest_event, required_event};
use crate::convert::usize_of;
use crate::deploy::GameParams;
use crate::error::Result;

crate::convert::contract_enum! {
    /// The game's phases, as `GenerationGame.Phase` numbers them.
    pub enum GenPhase ("generation phase") {
        None, StepReveal, StepPick, PostStep, Choose, InputReveal, InputPick, InputName, Derive,
        AwaitStep, OpenToken, SubmitterWon, ChallengerWon, Moot,
    }
}

impl GenPhase {
    /// Whether the submitter must move (else the challenger, or nobody in `AwaitStep`).
    pub fn submitter_moves(self) -> bool {
        use GenPhase::*;
        matches!(
            self,
            StepReveal | PostStep | InputReveal | Derive | OpenToken
        )
    }

    /// Whether the game is over.
    pub fn is_over(self) -> bool {
        matches!(
            self,
            GenPhase::SubmitterWon | GenPhase::ChallengerWon | GenPhase::Moot | GenPhase::None
        )
    }
}

/// The two calls that post a generation claim (`claim`, `claimSampled`): both emit
/// `GenerationClaimed`, so [`GenClient::claim`] posts either.
pub trait ClaimCall: SolCall + sealed::Sealed {
    /// The label of the transaction (gas reports, errors).
    const LABEL: &'static str;
}

impl ClaimCall for GenerationGame::claimCall {
    const LABEL: &'static str = "GenerationGame.claim";
}

impl ClaimCall for GenerationGame::claimSampledCall {
    const LABEL: &'static str = "GenerationGame.claimSampled";
}

mod sealed {
    /// Only the game's two claim calls are [`super::ClaimCall`]s.
    pub trait Sealed {}
    impl Sealed for super::GenerationGame::claimCall {}
    impl Sealed for super::GenerationGame::claimSampledCall {}
}

/// A deployed `GenerationGame`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GenClient {
    /// The contract.
    pub address: Address,
}

fn u(x: u64) -> U256 {
    U256::from(x)
}

/// The ids of the games opened on `claim` among `logs`.
fn opened_on(logs: &[verinfer_chain::ChainLog], claim: u64) -> impl Iterator<Item = U256> + '_ {
    logs.iter()
        .filter_map(|l| GenerationGame::GameOpened::decode_log(&l.log).ok())
        .filter(move |e| e.claimId == u(claim))
        .map(|e| e.gameId)
}

/// The immutable parameters of a deployed generation game.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GenConfig {
    /// Submitter bond (wei).
    pub submitter_bond: U256,
    /// Challenger bond (wei).
    pub challenger_bond: U256,
    /// Challenge window (s).
    pub window: u64,
    /// Chess clock per party per game (s).
    pub clock: u64,
    /// d of the k-ary reveals.
    pub reveal_depth: u8,
}

impl ContractClient for GenClient {
    type Error = crate::error::OpmlError;

    fn at(&self) -> Address {
        self.address
    }
}

impl GenClient {
    /// The single-step game disputed steps are handed to (fixed at deployment).
    ///
    /// # Errors
    /// Transport errors.
    pub fn steps(&self, chain: &mut dyn Chain) -> Result<Address> {
        self.view(chain, &GenerationGame::stepsCall {}, "GenerationGame.steps")
    }

    /// Reads the game's parameters.
    ///
    /// # Errors
    /// Transport errors.
    pub fn config(&self, chain: &mut dyn Chain) -> Result<GenConfig> {
        use GenerationGame as G;
        Ok(GenConfig {
            submitter_bond: self.view(chain, &G::submitterBondCall {}, "submitterBond")?,
            challenger_bond: self.view(chain, &G::challengerBondCall {}, "challengerBond")?,
            window: self.view(chain, &G::challengeWindowCall {}, "challengeWindow")?,
            clock: self.view(chain, &G::clockCall {}, "clock")?,
            reveal_depth: self.view(chain, &G::revealDepthCall {}, "revealDepth")?,
        })
    }

    /// Deploys a generation game over the single-step game `steps` (whose models it reads and
    /// to which disputed steps are handed), with `p`'s bonds, window, clock, burn and d.
    ///
    /// # Errors
    /// Reverts or transport errors.
    pub fn deploy(
        chain: &mut dyn Chain,
        from: Address,
        steps: Address,
        p: &GameParams,
    ) -> Result<(Self, Receipt)> {
        let args = GenerationGame::constructorCall {
            steps_: steps,
            submitterBond_: p.submitter_bond,
            challengerBond_: p.challenger_bond,
            challengeWindow_: p.window,
            clock_: p.clock,
            burnBps_: p.burn_bps,
            revealDepth_: p.reveal_depth,
        }
        .abi_encode();
        let code = &GenerationGame::BYTECODE;
        let (address, r) = verinfer_chain::deploy_code(chain, from, code, &args, "GenerationGame")?;
        Ok((Self { address }, r))
    }

    /// Sends a move (any call of the contract; the parties build them in
    /// `generation::submitter` and `generation::challenger`), labelled
    /// `GenerationGame.<function>`.
    ///
    /// # Errors
    /// A revert or transport error.
    pub fn send<C: SolCall>(
        &self,
        chain: &mut dyn Chain,
        from: Address,
        call: &C,
    ) -> Result<Receipt> {
        let name = C::SIGNATURE.split('(').next().unwrap_or(C::SIGNATURE);
        let label = format!("GenerationGame.{name}");
        ContractClient::send(self, chain, from, call, &label)
    }

    /// `learnGeneration` unless the game knows the model already.
    ///
    /// # Errors
    /// A revert (model unknown to the single-step game, not a step graph) or transport error.
    pub fn ensure_learned(
        &self,
        chain: &mut dyn Chain,
        from: Address,
        model_id: B256,
    ) -> Result<Option<Receipt>> {
        let m = self.view(
            chain,
            &GenerationGame::genModelsCall(model_id),
            "GenerationGame.genModels",
        )?;
        if m.known {
            return Ok(None);
        }
        let call = GenerationGame::learnGenerationCall { modelId: model_id };
        Ok(Some(self.send(chain, from, &call)?))
    }

    /// Posts a generation claim, greedy (`claim`) or sampled (`claimSampled`), with the bond;
    /// returns its id, read from its `GenerationClaimed`.
    ///
    /// # Errors
    /// A revert or transport error.
    pub fn claim<C: ClaimCall>(
        &self,
        chain: &mut dyn Chain,
        from: Address,
        bond: U256,
        call: C,
    ) -> Result<(u64, Receipt)> {
        let r = self.send_value(chain, from, bond, &call, C::LABEL)?;
        let e: GenerationGame::GenerationClaimed = first_event(&r, "GenerationClaimed")?;
        Ok((usize_of(e.claimId, "claim id")? as u64, r))
    }

    /// Opens a game: bisection (`token` None) or binding of posted token `i` (`token` Some).
    ///
    /// # Errors
    /// A revert or transport error.
    pub fn challenge(
        &self,
        chain: &mut dyn Chain,
        from: Address,
        bond: U256,
        claim: u64,
        token: Option<GenerationGame::challengeTokenCall>,
    ) -> Result<(u64, Receipt)> {
        let r = match token {
            None => {
                let call = GenerationGame::challengeCall { claimId: u(claim) };
                self.send_value(chain, from, bond, &call, "GenerationGame.challenge")?
            }
            Some(call) => {
                self.send_value(chain, from, bond, &call, "GenerationGame.challengeToken")?
            }
        };
        let e: GenerationGame::GameOpened = first_event(&r, "GameOpened")?;
        Ok((usize_of(e.gameId, "game id")? as u64, r))
    }

    /// The game.
    ///
    /// # Errors
    /// Unknown game or transport error.
    pub fn game(&self, chain: &mut dyn Chain, game: u64) -> Result<Game> {
        let call = GenerationGame::getGameCall { gameId: u(game) };
        self.view(chain, &call, "GenerationGame.getGame")
    }

    /// The claim.
    ///
    /// # Errors
    /// Unknown claim or transport error.
    pub fn claim_info(&self, chain: &mut dyn Chain, claim: u64) -> Result<GenerationGame::Claim> {
        let call = GenerationGame::getClaimCall { claimId: u(claim) };
        self.view(chain, &call, "GenerationGame.getClaim")
    }

    /// The claim's status (`crate::ClaimStatus` numbering).
    ///
    /// # Errors
    /// Unknown claim or transport error.
    pub fn status(&self, chain: &mut dyn Chain, claim: u64) -> Result<crate::ClaimStatus> {
        crate::ClaimStatus::from_u8(self.claim_info(chain, claim)?.status)
    }

    /// `timeout` on `game_id` when the party opposite `submitter`'s side has overrun its
    /// clock: the one check both a defending submitter and a challenger make every round, so
    /// the CLI and the node share it. `None` when the game is over, waits on its step's
    /// single-step claim, waits on `submitter`'s own side, or the mover still has time.
    ///
    /// # Errors
    /// A revert (e.g. someone else timed the game out first) or transport error.
    pub fn timeout_if_due(
        &self,
        chain: &mut dyn Chain,
        game_id: u64,
        submitter: bool,
        from: Address,
    ) -> Result<Option<Receipt>> {
        let g = self.game(chain, game_id)?;
        let phase = GenPhase::from_u8(g.phase)?;
        if phase.is_over() || phase == GenPhase::AwaitStep || phase.submitter_moves() == submitter {
            return Ok(None);
        }
        let left = if phase.submitter_moves() {
            g.submitterTime
        } else {
            g.challengerTime
        };
        if chain.block()?.timestamp.saturating_sub(g.lastMove) <= left {
            return Ok(None);
        }
        let call = GenerationGame::timeoutCall { gameId: u(game_id) };
        self.send(chain, from, &call).map(Some)
    }

    /// `settle` on `game_id` (in `AwaitStep`) once its step's single-step claim `sub_claim`
    /// is decided in `steps`; `None` while it is pending, or when the other party settled
    /// first (anyone may).
    ///
    /// # Errors
    /// A refused settlement of a game still awaiting its step, or transport errors.
    pub fn settle_if_decided(
        &self,
        chain: &mut dyn Chain,
        steps: &crate::client::GameClient,
        game_id: u64,
        sub_claim: u64,
        from: Address,
    ) -> Result<Option<Receipt>> {
        if steps.status(chain, sub_claim)? == crate::ClaimStatus::Pending {
            return Ok(None);
        }
        let call = GenerationGame::settleCall { gameId: u(game_id) };
        match self.send(chain, from, &call) {
            Ok(r) => Ok(Some(r)),
            Err(_)
                if GenPhase::from_u8(self.game(chain, game_id)?.phase)? != GenPhase::AwaitStep =>
            {
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    /// Wei owed to `who`.
    ///
    /// # Errors
    /// Transport error.
    pub fn owed(&self, chain: &mut dyn Chain, who: Address) -> Result<U256> {
        self.view(chain, &GenerationGame::owedCall(who), "GenerationGame.owed")
    }

    /// The children of `game`'s last reveal, read from block `from_block` on.
    ///
    /// # Errors
    /// No reveal on chain, or transport error.
    pub fn last_reveal(
        &self,
        chain: &mut dyn Chain,
        game: u64,
        from_block: u64,
    ) -> Result<Vec<B256>> {
        let at = |e: &GenerationGame::Revealed| e.gameId == u(game);
        let missing = format!("game {game}: no reveal on chain");
        Ok(required_event(chain, self.address, from_block, at, &missing)?.children)
    }

    /// What the submitter showed when it handed `game`'s step over (`StepPosted`: the trace
    /// claim, the step's input roots and the path of the last one), read from `from_block` on.
    ///
    /// # Errors
    /// No hand-off on chain, or transport error.
    pub fn posted_step(
        &self,
        chain: &mut dyn Chain,
        game: u64,
        from_block: u64,
    ) -> Result<GenerationGame::StepPosted> {
        let at = |e: &GenerationGame::StepPosted| e.gameId == u(game);
        let missing = format!("game {game}: no step posted on chain");
        required_event(chain, self.address, from_block, at, &missing)
    }

    /// Ids of the games opened on `claim` in blocks `from_block` and later.
    ///
    /// # Errors
    /// Transport errors.
    pub fn games_of(&self, chain: &mut dyn Chain, claim: u64, from_block: u64) -> Result<Vec<u64>> {
        let logs = chain.logs(self.address, from_block)?;
        Ok(opened_on(&logs, claim)
            .filter_map(|g| u64::try_from(g).ok())
            .collect())
    }

    /// The single-step claims the submitter handed its disputed steps to (`StepPosted`) in
    /// the games on `claim`, from block `from_block` on: what it must finalize when nobody
    /// disputes them, found again when a crash lost its own record of them.
    ///
    /// # Errors
    /// Transport errors.
    pub fn step_claims_of(
        &self,
        chain: &mut dyn Chain,
        claim: u64,
        from_block: u64,
    ) -> Result<Vec<u64>> {
        let logs = chain.logs(self.address, from_block)?;
        let games: Vec<U256> = opened_on(&logs, claim).collect();
        Ok(logs
            .iter()
            .filter_map(|l| GenerationGame::StepPosted::decode_log(&l.log).ok())
            .filter(|e| games.contains(&e.gameId))
            .filter_map(|e| u64::try_from(e.subClaim).ok())
            .collect())
    }

    /// Why `game` ended (its `GameResolved` reason), read from block `from_block` on.
    ///
    /// # Errors
    /// Transport error.
    pub fn reason(&self, chain: &mut dyn Chain, game: u64, from_block: u64) -> Result<String> {
        let at = |e: &GenerationGame::GameResolved| e.gameId == u(game);
        Ok(newest_event(chain, self.address, from_block, at)?
            .map(|e| e.reason)
            .unwrap_or_default())
    }
}

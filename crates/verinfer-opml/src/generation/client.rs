//! A typed client of a deployed `GenerationGame`: deployment, one method per move, and the
//! views and events a party reads.

use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_sol_types::{SolCall, SolConstructor, SolEvent};
use verinfer_chain::{send_call, view, Chain, Receipt, Tx};

use super::bindings::GenerationGame::{self, Game, StepOpening};
use crate::convert::usize_of;
use crate::deploy::GameParams;
use crate::error::{OpmlError, Result};

/// The game's phases, as `GenerationGame.Phase` numbers them.
#[allow(missing_docs)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GenPhase {
    None,
    StepReveal,
    StepPick,
    PostStep,
    Choose,
    InputReveal,
    InputPick,
    InputName,
    Derive,
    AwaitStep,
    OpenToken,
    SubmitterWon,
    ChallengerWon,
    Moot,
}

impl GenPhase {
    /// From the contract's `uint8`.
    ///
    /// # Errors
    /// A number the contract does not define.
    pub fn from_u8(p: u8) -> Result<Self> {
        use GenPhase::*;
        const ALL: [GenPhase; 14] = [
            None,
            StepReveal,
            StepPick,
            PostStep,
            Choose,
            InputReveal,
            InputPick,
            InputName,
            Derive,
            AwaitStep,
            OpenToken,
            SubmitterWon,
            ChallengerWon,
            Moot,
        ];
        ALL.get(usize::from(p))
            .copied()
            .ok_or_else(|| OpmlError::Protocol(format!("unknown generation phase {p}")))
    }

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

/// A deployed `GenerationGame`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GenClient {
    /// The contract.
    pub address: Address,
}

fn u(x: u64) -> U256 {
    U256::from(x)
}

fn first_event<E: SolEvent>(r: &Receipt, what: &str) -> Result<E> {
    r.logs
        .iter()
        .find_map(|l| E::decode_log(l).ok())
        .map(|e| e.data)
        .ok_or_else(|| OpmlError::Protocol(format!("receipt without {what}")))
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

impl GenClient {
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
        let mut code = GenerationGame::BYTECODE.to_vec();
        code.extend_from_slice(&args);
        let r = chain.send(Tx::deploy(from, Bytes::from(code), "deploy GenerationGame"))?;
        let address = r
            .contract_address
            .ok_or_else(|| OpmlError::Protocol("deployment without address".into()))?;
        Ok((Self { address }, r))
    }

    fn send<C: SolCall>(
        &self,
        chain: &mut dyn Chain,
        from: Address,
        call: &C,
        label: &str,
    ) -> Result<Receipt> {
        Ok(send_call(chain, from, self.address, call, label)?)
    }

    fn send_value<C: SolCall>(
        &self,
        chain: &mut dyn Chain,
        from: Address,
        value: U256,
        call: &C,
        label: &str,
    ) -> Result<Receipt> {
        let tx = Tx::call(from, self.address, call.abi_encode(), label).with_value(value);
        Ok(chain.send(tx)?)
    }

    fn view<C: SolCall>(&self, chain: &mut dyn Chain, call: &C, label: &str) -> Result<C::Return> {
        let from = verinfer_chain::default_account(chain)?;
        Ok(view(chain, from, self.address, call, label)?)
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
        Ok(Some(self.send(
            chain,
            from,
            &call,
            "GenerationGame.learnGeneration",
        )?))
    }

    /// Posts a generation claim with the bond; returns its id.
    ///
    /// # Errors
    /// A revert or transport error.
    pub fn claim(
        &self,
        chain: &mut dyn Chain,
        from: Address,
        bond: U256,
        call: GenerationGame::claimCall,
    ) -> Result<(u64, Receipt)> {
        let r = self.send_value(chain, from, bond, &call, "GenerationGame.claim")?;
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

    /// `reveal` (submitter).
    ///
    /// # Errors
    /// A revert or transport error.
    pub fn reveal(
        &self,
        chain: &mut dyn Chain,
        from: Address,
        game: u64,
        children: Vec<B256>,
    ) -> Result<Receipt> {
        let call = GenerationGame::revealCall {
            gameId: u(game),
            children,
        };
        self.send(chain, from, &call, "GenerationGame.reveal")
    }

    /// `pick` (challenger).
    ///
    /// # Errors
    /// A revert or transport error.
    pub fn pick(
        &self,
        chain: &mut dyn Chain,
        from: Address,
        game: u64,
        children: Vec<B256>,
        index: usize,
    ) -> Result<Receipt> {
        let call = GenerationGame::pickCall {
            gameId: u(game),
            children,
            index: U256::from(index),
        };
        self.send(chain, from, &call, "GenerationGame.pick")
    }

    /// `handoff` (submitter): step `game`'s disputed root is single-step claim `sub_claim`.
    ///
    /// # Errors
    /// A revert or transport error.
    pub fn handoff(
        &self,
        chain: &mut dyn Chain,
        from: Address,
        game: u64,
        sub_claim: u64,
    ) -> Result<Receipt> {
        let call = GenerationGame::handoffCall {
            gameId: u(game),
            subClaim: u(sub_claim),
        };
        self.send(chain, from, &call, "GenerationGame.handoff")
    }

    /// `disputeStep` (challenger).
    ///
    /// # Errors
    /// A revert or transport error.
    pub fn dispute_step(&self, chain: &mut dyn Chain, from: Address, game: u64) -> Result<Receipt> {
        let call = GenerationGame::disputeStepCall { gameId: u(game) };
        self.send(chain, from, &call, "GenerationGame.disputeStep")
    }

    /// `disputeInput` (challenger): `roots` are the sub-claim's input roots.
    ///
    /// # Errors
    /// A revert or transport error.
    pub fn dispute_input(
        &self,
        chain: &mut dyn Chain,
        from: Address,
        game: u64,
        roots: Vec<B256>,
        input: usize,
    ) -> Result<Receipt> {
        let call = GenerationGame::disputeInputCall {
            gameId: u(game),
            roots,
            input: U256::from(input),
        };
        self.send(chain, from, &call, "GenerationGame.disputeInput")
    }

    /// `nameElement` (challenger).
    ///
    /// # Errors
    /// A revert or transport error.
    pub fn name_element(
        &self,
        chain: &mut dyn Chain,
        from: Address,
        game: u64,
        slot: usize,
    ) -> Result<Receipt> {
        let call = GenerationGame::nameElementCall {
            gameId: u(game),
            slot: U256::from(slot),
        };
        self.send(chain, from, &call, "GenerationGame.nameElement")
    }

    /// `derive` (submitter).
    ///
    /// # Errors
    /// A revert or transport error.
    pub fn derive(
        &self,
        chain: &mut dyn Chain,
        from: Address,
        game: u64,
        o: StepOpening,
    ) -> Result<Receipt> {
        let call = GenerationGame::deriveCall { gameId: u(game), o };
        self.send(chain, from, &call, "GenerationGame.derive")
    }

    /// `openToken` (submitter, binding mode).
    ///
    /// # Errors
    /// A revert or transport error.
    pub fn open_token(
        &self,
        chain: &mut dyn Chain,
        from: Address,
        game: u64,
        o: StepOpening,
    ) -> Result<Receipt> {
        let call = GenerationGame::openTokenCall { gameId: u(game), o };
        self.send(chain, from, &call, "GenerationGame.openToken")
    }

    /// `settle` (anyone, once the sub-claim is decided).
    ///
    /// # Errors
    /// A revert or transport error.
    pub fn settle(&self, chain: &mut dyn Chain, from: Address, game: u64) -> Result<Receipt> {
        let call = GenerationGame::settleCall { gameId: u(game) };
        self.send(chain, from, &call, "GenerationGame.settle")
    }

    /// `timeout`.
    ///
    /// # Errors
    /// A revert (clock still running) or transport error.
    pub fn timeout(&self, chain: &mut dyn Chain, from: Address, game: u64) -> Result<Receipt> {
        let call = GenerationGame::timeoutCall { gameId: u(game) };
        self.send(chain, from, &call, "GenerationGame.timeout")
    }

    /// `finalize`.
    ///
    /// # Errors
    /// A revert (window open, games open) or transport error.
    pub fn finalize(&self, chain: &mut dyn Chain, from: Address, claim: u64) -> Result<Receipt> {
        let call = GenerationGame::finalizeCall { claimId: u(claim) };
        self.send(chain, from, &call, "GenerationGame.finalize")
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
        use crate::ClaimStatus::*;
        Ok(match self.claim_info(chain, claim)?.status {
            0 => None,
            1 => Pending,
            2 => Finalized,
            3 => Rejected,
            x => return Err(OpmlError::Protocol(format!("unknown claim status {x}"))),
        })
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
        let logs = chain.logs(self.address, from_block)?;
        logs.iter()
            .rev()
            .filter_map(|l| GenerationGame::Revealed::decode_log(&l.log).ok())
            .find(|e| e.gameId == u(game))
            .map(|e| e.children.clone())
            .ok_or_else(|| OpmlError::Protocol(format!("game {game}: no reveal on chain")))
    }

    /// Why `game` ended (its `GameResolved` reason), read from block `from_block` on.
    ///
    /// # Errors
    /// Transport error.
    pub fn reason(&self, chain: &mut dyn Chain, game: u64, from_block: u64) -> Result<String> {
        let logs = chain.logs(self.address, from_block)?;
        Ok(logs
            .iter()
            .rev()
            .filter_map(|l| GenerationGame::GameResolved::decode_log(&l.log).ok())
            .find(|e| e.gameId == u(game))
            .map(|e| e.reason.clone())
            .unwrap_or_default())
    }
}

//! A typed client of a deployed `InferenceGame`: one method per move, plus the views and the
//! events a party reads to learn the other side's moves.

use alloy_primitives::{Address, B256, I256, U256};
use alloy_sol_types::SolEvent;
use verinfer_chain::bindings::InferenceGame::{self, Game, ModelOpening};
use verinfer_chain::{Chain, ContractClient, Receipt, Tx};

use crate::error::{OpmlError, Result};

crate::convert::contract_enum! {
    /// The game's phases, as `InferenceGame.Phase` numbers them.
    pub enum Phase ("phase") {
        None, NodeReveal, NodePick, NodeWords, OpenInputs, ElementReveal, ElementPick,
        ElementName, StateAcc, StepReveal, StepPick, OneStep, SubmitterWon, ChallengerWon, Moot,
    }
}

impl Phase {
    /// Whether the submitter must move (else the challenger, or nobody once over).
    pub fn submitter_moves(self) -> bool {
        matches!(
            self,
            Phase::NodeReveal
                | Phase::OpenInputs
                | Phase::ElementReveal
                | Phase::StateAcc
                | Phase::StepReveal
        )
    }

    /// Whether the game is over.
    pub fn is_over(self) -> bool {
        matches!(
            self,
            Phase::SubmitterWon | Phase::ChallengerWon | Phase::Moot | Phase::None
        )
    }
}

crate::convert::contract_enum! {
    /// Claim status as both game contracts number it.
    pub enum ClaimStatus ("claim status") { None, Pending, Finalized, Rejected }
}

/// The newest event `E` emitted by `address` from block `from_block` on that `pred` accepts:
/// how a party reads the other side's moves (reveals, checkpoints, openings) and a game's end.
///
/// # Errors
/// Transport errors.
pub fn newest_event<E: SolEvent>(
    chain: &mut dyn Chain,
    address: Address,
    from_block: u64,
    pred: impl Fn(&E) -> bool,
) -> Result<Option<E>> {
    let logs = chain.logs(address, from_block)?;
    Ok(logs
        .iter()
        .rev()
        .filter_map(|l| E::decode_log(&l.log).ok())
        .map(|e| e.data)
        .find(|e| pred(e)))
}

/// [`newest_event`] where the event must be there: `missing` is the protocol error otherwise.
///
/// # Errors
/// [`OpmlError::Protocol`] saying `missing` when there is no such event, or transport errors.
pub(crate) fn required_event<E: SolEvent>(
    chain: &mut dyn Chain,
    address: Address,
    from_block: u64,
    pred: impl Fn(&E) -> bool,
    missing: &str,
) -> Result<E> {
    newest_event(chain, address, from_block, pred)?
        .ok_or_else(|| OpmlError::Protocol(missing.to_string()))
}

/// The first event `E` of a transaction's receipt (the id a claim or challenge was given).
///
/// # Errors
/// [`OpmlError::Protocol`] naming `what` when the receipt has none.
pub(crate) fn first_event<E: SolEvent>(r: &Receipt, what: &str) -> Result<E> {
    r.logs
        .iter()
        .find_map(|l| E::decode_log(l).ok())
        .map(|e| e.data)
        .ok_or_else(|| OpmlError::Protocol(format!("receipt without {what}")))
}

/// A deployed `InferenceGame`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GameClient {
    /// The contract.
    pub address: Address,
}

fn u(x: u64) -> U256 {
    U256::from(x)
}

impl ContractClient for GameClient {
    type Error = OpmlError;

    fn at(&self) -> Address {
        self.address
    }
}

impl GameClient {
    /// `learnModel`.
    ///
    /// # Errors
    /// A revert (unregistered model, bad opening) or transport error.
    pub fn learn_model(
        &self,
        chain: &mut dyn Chain,
        from: Address,
        model_id: B256,
        o: ModelOpening,
    ) -> Result<Receipt> {
        self.send(
            chain,
            from,
            &InferenceGame::learnModelCall {
                modelId: model_id,
                o,
            },
            "InferenceGame.learnModel",
        )
    }

    /// Teaches the game the model of `graph` (committed as `model`) unless it knows it already;
    /// the receipt of `learnModel` when one was sent.
    ///
    /// # Errors
    /// A revert (unregistered model) or transport error.
    pub fn ensure_learned(
        &self,
        chain: &mut dyn Chain,
        from: Address,
        graph: &verinfer_ir::Graph,
        model: &verinfer_commit::ModelCommitment,
    ) -> Result<Option<Receipt>> {
        let id = crate::convert::b256(model.model_id.hash());
        if self.knows_model(chain, id)? {
            return Ok(None);
        }
        let opening = crate::facts::model_opening(graph, model)?;
        Ok(Some(self.learn_model(chain, from, id, opening)?))
    }

    /// Whether the game knows `model_id`.
    ///
    /// # Errors
    /// Transport errors.
    pub fn knows_model(&self, chain: &mut dyn Chain, model_id: B256) -> Result<bool> {
        Ok(self
            .view(
                chain,
                &InferenceGame::modelsCall(model_id),
                "InferenceGame.models",
            )?
            .known)
    }

    /// Posts a claim with the submitter bond; returns its id.
    ///
    /// # Errors
    /// A revert (unknown model, wrong bond, bad opening) or transport error.
    pub fn claim(
        &self,
        chain: &mut dyn Chain,
        from: Address,
        bond: U256,
        request: InferenceGame::ClaimRequest,
    ) -> Result<(u64, Receipt)> {
        let call = InferenceGame::claimCall { r: request };
        self.post_claim(chain, from, bond, &call, "InferenceGame.claim")
    }

    /// Posts a claim with the submitter bond and tells `listener` of it in the same call
    /// (`claimAndCall`; the oracle's answers); returns its id.
    ///
    /// # Errors
    /// A revert (the game's or the listener's) or transport error.
    pub fn claim_and_call(
        &self,
        chain: &mut dyn Chain,
        from: Address,
        bond: U256,
        request: InferenceGame::ClaimRequest,
        listener: Address,
        tag: u64,
    ) -> Result<(u64, Receipt)> {
        let call = InferenceGame::claimAndCallCall {
            r: request,
            listener,
            tag: u(tag),
        };
        self.post_claim(chain, from, bond, &call, "InferenceGame.claimAndCall")
    }

    fn post_claim<C: alloy_sol_types::SolCall>(
        &self,
        chain: &mut dyn Chain,
        from: Address,
        bond: U256,
        call: &C,
        label: &str,
    ) -> Result<(u64, Receipt)> {
        let tx = Tx::call(from, self.address, call.abi_encode(), label).with_value(bond);
        let r = chain.send(tx)?;
        let id = first_event::<InferenceGame::ClaimSubmitted>(&r, "ClaimSubmitted")?.claimId;
        Ok((crate::convert::usize_of(id, "claim id")? as u64, r))
    }

    /// Opens a game against `claim` with the challenger bond; returns its id.
    ///
    /// # Errors
    /// A revert (window closed, wrong bond) or transport error.
    pub fn challenge(
        &self,
        chain: &mut dyn Chain,
        from: Address,
        bond: U256,
        claim: u64,
    ) -> Result<(u64, Receipt)> {
        let call = InferenceGame::challengeCall { claimId: u(claim) };
        let tx = Tx::call(
            from,
            self.address,
            alloy_sol_types::SolCall::abi_encode(&call),
            "InferenceGame.challenge",
        )
        .with_value(bond);
        let r = chain.send(tx)?;
        let id = first_event::<InferenceGame::GameOpened>(&r, "GameOpened")?.gameId;
        Ok((crate::convert::usize_of(id, "game id")? as u64, r))
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
        self.send(
            chain,
            from,
            &InferenceGame::revealCall {
                gameId: u(game),
                children,
            },
            "InferenceGame.reveal",
        )
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
        self.send(
            chain,
            from,
            &InferenceGame::pickCall {
                gameId: u(game),
                children,
                index: U256::from(index),
            },
            "InferenceGame.pick",
        )
    }

    /// `nameNode` (challenger).
    ///
    /// # Errors
    /// A revert or transport error.
    pub fn name_node(
        &self,
        chain: &mut dyn Chain,
        from: Address,
        game: u64,
        words: Vec<I256>,
        path: Vec<B256>,
    ) -> Result<Receipt> {
        self.send(
            chain,
            from,
            &InferenceGame::nameNodeCall {
                gameId: u(game),
                words,
                digestPath: path,
            },
            "InferenceGame.nameNode",
        )
    }

    /// `openInputs` (submitter).
    ///
    /// # Errors
    /// A revert or transport error.
    pub fn open_inputs(
        &self,
        chain: &mut dyn Chain,
        from: Address,
        game: u64,
        ids: Vec<U256>,
        roots: Vec<B256>,
        paths: Vec<Vec<B256>>,
    ) -> Result<Receipt> {
        self.send(
            chain,
            from,
            &InferenceGame::openInputsCall {
                gameId: u(game),
                operandIds: ids,
                roots,
                paths,
            },
            "InferenceGame.openInputs",
        )
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
        self.send(
            chain,
            from,
            &InferenceGame::nameElementCall {
                gameId: u(game),
                slot: U256::from(slot),
            },
            "InferenceGame.nameElement",
        )
    }

    /// `stateAcc` (submitter).
    ///
    /// # Errors
    /// A revert or transport error.
    pub fn state_acc(
        &self,
        chain: &mut dyn Chain,
        from: Address,
        game: u64,
        words: Vec<I256>,
        acc: i64,
    ) -> Result<Receipt> {
        self.send(
            chain,
            from,
            &InferenceGame::stateAccCall {
                gameId: u(game),
                words,
                acc: I256::try_from(acc).unwrap_or(I256::ZERO),
            },
            "InferenceGame.stateAcc",
        )
    }

    /// `revealSteps` (submitter).
    ///
    /// # Errors
    /// A revert or transport error.
    pub fn reveal_steps(
        &self,
        chain: &mut dyn Chain,
        from: Address,
        game: u64,
        checkpoints: Vec<I256>,
    ) -> Result<Receipt> {
        self.send(
            chain,
            from,
            &InferenceGame::revealStepsCall {
                gameId: u(game),
                checkpoints,
            },
            "InferenceGame.revealSteps",
        )
    }

    /// `pickStep` (challenger).
    ///
    /// # Errors
    /// A revert or transport error.
    pub fn pick_step(
        &self,
        chain: &mut dyn Chain,
        from: Address,
        game: u64,
        checkpoints: Vec<I256>,
        index: usize,
    ) -> Result<Receipt> {
        self.send(
            chain,
            from,
            &InferenceGame::pickStepCall {
                gameId: u(game),
                checkpoints,
                index: U256::from(index),
            },
            "InferenceGame.pickStep",
        )
    }

    /// `oneStep` (challenger).
    ///
    /// # Errors
    /// A revert (e.g. an opening the verifier rejects) or transport error.
    pub fn one_step(
        &self,
        chain: &mut dyn Chain,
        from: Address,
        game: u64,
        words: Vec<I256>,
        operand_roots: Vec<B256>,
        proof: Vec<u8>,
    ) -> Result<Receipt> {
        self.send(
            chain,
            from,
            &InferenceGame::oneStepCall {
                gameId: u(game),
                words,
                operandRoots: operand_roots,
                proof: proof.into(),
            },
            "InferenceGame.oneStep",
        )
    }

    /// `timeout` (anyone).
    ///
    /// # Errors
    /// A revert (clock still running) or transport error.
    pub fn timeout(&self, chain: &mut dyn Chain, from: Address, game: u64) -> Result<Receipt> {
        self.send(
            chain,
            from,
            &InferenceGame::timeoutCall { gameId: u(game) },
            "InferenceGame.timeout",
        )
    }

    /// `closeMoot` (anyone): refunds the challenger of a game whose claim was rejected.
    ///
    /// # Errors
    /// A revert or transport error.
    pub fn close_moot(&self, chain: &mut dyn Chain, from: Address, game: u64) -> Result<Receipt> {
        self.send(
            chain,
            from,
            &InferenceGame::closeMootCall { gameId: u(game) },
            "InferenceGame.closeMoot",
        )
    }

    /// `finalize` (anyone).
    ///
    /// # Errors
    /// A revert (window open, games open) or transport error.
    pub fn finalize(&self, chain: &mut dyn Chain, from: Address, claim: u64) -> Result<Receipt> {
        self.send(
            chain,
            from,
            &InferenceGame::finalizeCall { claimId: u(claim) },
            "InferenceGame.finalize",
        )
    }

    /// `withdraw`.
    ///
    /// # Errors
    /// A revert (nothing owed) or transport error.
    pub fn withdraw(&self, chain: &mut dyn Chain, from: Address) -> Result<Receipt> {
        self.send(
            chain,
            from,
            &InferenceGame::withdrawCall {},
            "InferenceGame.withdraw",
        )
    }

    /// The game's state.
    ///
    /// # Errors
    /// Unknown game or transport error.
    pub fn game(&self, chain: &mut dyn Chain, game: u64) -> Result<Game> {
        self.view(
            chain,
            &InferenceGame::getGameCall { gameId: u(game) },
            "InferenceGame.getGame",
        )
    }

    /// The game and its phase if `submitter` (true) or the challenger (false) must move now:
    /// `None` when it is the other side's turn, the game is over, or its claim was settled by
    /// another game.
    ///
    /// # Errors
    /// Unknown game or transport error.
    pub fn turn_of(
        &self,
        chain: &mut dyn Chain,
        game: u64,
        submitter: bool,
    ) -> Result<Option<(Game, Phase)>> {
        let g = self.game(chain, game)?;
        let phase = Phase::from_u8(g.phase)?;
        if phase.is_over() || phase.submitter_moves() != submitter {
            return Ok(None);
        }
        let claim = crate::convert::usize_of(g.claimId, "claim id")? as u64;
        if self.status(chain, claim)? != ClaimStatus::Pending {
            return Ok(None);
        }
        Ok(Some((g, phase)))
    }

    /// The claim.
    ///
    /// # Errors
    /// Unknown claim or transport error.
    pub fn claim_info(&self, chain: &mut dyn Chain, claim: u64) -> Result<InferenceGame::Claim> {
        self.view(
            chain,
            &InferenceGame::getClaimCall { claimId: u(claim) },
            "InferenceGame.getClaim",
        )
    }

    /// The claim's status.
    ///
    /// # Errors
    /// Unknown claim or transport error.
    pub fn status(&self, chain: &mut dyn Chain, claim: u64) -> Result<ClaimStatus> {
        let s = self.view(
            chain,
            &InferenceGame::claimStatusCall { claimId: u(claim) },
            "InferenceGame.claimStatus",
        )?;
        ClaimStatus::from_u8(s)
    }

    /// Wei owed to `who` (withdrawable).
    ///
    /// # Errors
    /// Transport error.
    pub fn owed(&self, chain: &mut dyn Chain, who: Address) -> Result<U256> {
        self.view(chain, &InferenceGame::owedCall(who), "InferenceGame.owed")
    }

    /// The children of the last `Revealed` event of `game` (what the challenger picks from),
    /// read from block `from_block` on (the game's opening block: a reader never scans the
    /// contract's whole history, which anyone can pad with cheap events).
    ///
    /// # Errors
    /// No reveal on chain, or transport error.
    pub fn last_reveal(
        &self,
        chain: &mut dyn Chain,
        game: u64,
        from_block: u64,
    ) -> Result<Vec<B256>> {
        let at = |e: &InferenceGame::Revealed| e.gameId == U256::from(game);
        let missing = format!("game {game}: no reveal on chain");
        Ok(required_event(chain, self.address, from_block, at, &missing)?.children)
    }

    /// The checkpoints of the last `CheckpointsRevealed` event of `game`, read from block
    /// `from_block` on (the game's opening block).
    ///
    /// # Errors
    /// None on chain, or transport error.
    pub fn last_checkpoints(
        &self,
        chain: &mut dyn Chain,
        game: u64,
        from_block: u64,
    ) -> Result<Vec<I256>> {
        let at = |e: &InferenceGame::CheckpointsRevealed| e.gameId == U256::from(game);
        let missing = format!("game {game}: no checkpoints on chain");
        Ok(required_event(chain, self.address, from_block, at, &missing)?.checkpoints)
    }

    /// The `ClaimSubmitted` event of `claim`: the input roots and any posted input and output
    /// data. Read from block `from_block` on (the claim's block when known, else the game's
    /// deployment block).
    ///
    /// # Errors
    /// No such claim on chain, or transport error.
    pub fn claim_event(
        &self,
        chain: &mut dyn Chain,
        claim: u64,
        from_block: u64,
    ) -> Result<InferenceGame::ClaimSubmitted> {
        let at = |e: &InferenceGame::ClaimSubmitted| e.claimId == U256::from(claim);
        let missing = format!("claim {claim}: no ClaimSubmitted event");
        required_event(chain, self.address, from_block, at, &missing)
    }

    /// The operand ids and roots the submitter opened in `game`, read from block `from_block`
    /// on (the game's opening block).
    ///
    /// # Errors
    /// None on chain, or transport error.
    pub fn opened_inputs(
        &self,
        chain: &mut dyn Chain,
        game: u64,
        from_block: u64,
    ) -> Result<(Vec<U256>, Vec<B256>)> {
        let named = |e: &InferenceGame::NodeNamed| e.gameId == U256::from(game);
        let missing = format!("game {game}: no node named");
        let ids = required_event(chain, self.address, from_block, named, &missing)?.operandIds;
        let opened = |e: &InferenceGame::InputsOpened| e.gameId == U256::from(game);
        let missing = format!("game {game}: inputs not opened");
        let roots = required_event(chain, self.address, from_block, opened, &missing)?;
        Ok((ids, roots.operandRoots))
    }
}

/// The immutable parameters of a deployed game: the same fields it was deployed with.
pub type GameConfig = crate::deploy::GameParams;

impl GameClient {
    /// Reads the game's parameters.
    ///
    /// # Errors
    /// Transport errors.
    pub fn config(&self, chain: &mut dyn Chain) -> Result<GameConfig> {
        Ok(GameConfig {
            submitter_bond: self.view(
                chain,
                &InferenceGame::submitterBondCall {},
                "submitterBond",
            )?,
            challenger_bond: self.view(
                chain,
                &InferenceGame::challengerBondCall {},
                "challengerBond",
            )?,
            window: self.view(
                chain,
                &InferenceGame::challengeWindowCall {},
                "challengeWindow",
            )?,
            clock: self.view(chain, &InferenceGame::clockCall {}, "clock")?,
            burn_bps: self.view(chain, &InferenceGame::burnBpsCall {}, "burnBps")?,
            reveal_depth: self.view(chain, &InferenceGame::revealDepthCall {}, "revealDepth")?,
            max_segment: self.view(chain, &InferenceGame::maxSegmentCall {}, "maxSegment")?,
        })
    }
}

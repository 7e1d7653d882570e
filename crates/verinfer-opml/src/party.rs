//! What the submitter and the challenger share: taking their turn in a game. Each party says
//! which phases are its own and how it moves in them; reading the game, skipping a turn that
//! is not its own and counting moves is done once, here.

use verinfer_chain::bindings::InferenceGame::Game;
use verinfer_chain::{Chain, Receipt};

use crate::client::{GameClient, GameConfig, Phase};
use crate::convert::usize_of;
use crate::error::Result;

/// A move to make: the game as read at the party's turn and what every phase reads.
pub struct Turn<'a> {
    /// The chain the move is sent to.
    pub chain: &'a mut dyn Chain,
    /// The game contract.
    pub game: &'a GameClient,
    /// The game's id.
    pub id: u64,
    /// The game's state.
    pub g: Game,
    /// Its phase (one of the party's own).
    pub phase: Phase,
    /// The game's reveal depth (levels per reveal).
    pub depth: u8,
    /// The game's position (`g.pos`) as an index.
    pub pos: usize,
}

/// A side of the inference game: moves when the game's phase is one of its own.
pub trait Party {
    /// Whether the party moves in the submitter's phases (else in the challenger's).
    const SUBMITTER: bool;

    /// Whether the party has stopped moving (a silent strategy).
    fn silent(&self) -> bool;

    /// Makes the move `turn` asks for; `None` where the phase needs no move of this party.
    ///
    /// # Errors
    /// A revert of the move or transport error.
    fn play(&mut self, turn: Turn<'_>) -> Result<Option<Receipt>>;

    /// Makes the party's move in `game_id` if it is its turn; `None` otherwise.
    ///
    /// # Errors
    /// A revert of its own move (a lying strategy the contract refuses) or transport error.
    fn act(
        &mut self,
        chain: &mut dyn Chain,
        game: &GameClient,
        cfg: &GameConfig,
        game_id: u64,
    ) -> Result<Option<Receipt>> {
        if self.silent() {
            return Ok(None);
        }
        let Some((g, phase)) = game.turn_of(chain, game_id, Self::SUBMITTER)? else {
            return Ok(None);
        };
        let pos = usize_of(g.pos, "pos")?;
        self.play(Turn {
            chain,
            game,
            id: game_id,
            g,
            phase,
            depth: cfg.reveal_depth,
            pos,
        })
    }
}

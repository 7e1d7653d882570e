//! Finding the contracts a node serves: the `InferenceOracle` through the deployment record
//! (`.verinfer/deployments.json`, `verinfer_chain::Deployments`), then the game and registry
//! the oracle itself was deployed over (not whatever game the record names last: a game
//! redeployed with other parameters is another contract, and the oracle only trusts its own).

use alloy_primitives::Address;
use verinfer_chain::bindings::InferenceGame;
use verinfer_chain::{Chain, Deployments, Registry};
use verinfer_opml::generation::{GenClient, GenContracts};
use verinfer_opml::GameClient;
use verinfer_oracle::{OracleClient, TextOracleClient};

use crate::error::{NodeError, Result};

/// The contracts a node works with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Contracts {
    /// The oracle.
    pub oracle: OracleClient,
    /// Its game.
    pub game: GameClient,
    /// Its registry.
    pub registry: Registry,
}

impl Contracts {
    /// The oracle recorded for this chain in `deployments`, and its game and registry.
    ///
    /// # Errors
    /// [`NodeError::Missing`] naming what is missing (no record, no code, not this build's
    /// contract); transport errors.
    pub fn find(chain: &mut dyn Chain, deployments: &Deployments) -> Result<Self> {
        let id = chain.chain_id();
        let address = deployments.get(id, OracleClient::NAME).ok_or_else(|| {
            NodeError::Missing(format!(
                "no {} recorded for chain {id} in the deployments file: deploy one first \
                 (`verinfer oracle deploy`), or point --deployments at the record that has it",
                OracleClient::NAME
            ))
        })?;
        Self::at(chain, address)
    }

    /// The oracle at `address`, and its game and registry.
    ///
    /// # Errors
    /// As [`Contracts::find`].
    pub fn at(chain: &mut dyn Chain, address: Address) -> Result<Self> {
        let id = chain.chain_id();
        let oracle = OracleClient::at(chain, address).map_err(|e| match e {
            verinfer_oracle::OracleError::Protocol { .. } => NodeError::Missing(format!(
                "the recorded {} {address} has no oracle code on chain {id} (a restarted dev \
                 node? deploy it again)",
                OracleClient::NAME
            )),
            other => NodeError::Oracle(other),
        })?;
        let (registry, game) = oracle.registry_and_game(chain)?;
        let code = chain.code_at(game)?;
        if code.len() != InferenceGame::DEPLOYED_BYTECODE.len() {
            return Err(NodeError::Missing(format!(
                "the oracle's InferenceGame {game} has no game code on chain {id}"
            )));
        }
        Ok(Self {
            oracle,
            game: GameClient { address: game },
            registry: Registry { address: registry },
        })
    }

    /// Whether both the oracle and the game still have code (a dev chain restarted under us
    /// would have neither).
    ///
    /// # Errors
    /// Transport errors.
    pub fn present(&self, chain: &mut dyn Chain) -> Result<bool> {
        Ok(!chain.code_at(self.oracle.address)?.is_empty()
            && !chain.code_at(self.game.address)?.is_empty())
    }
}

/// The contracts a node serves generations through: a `GenerationOracle`, the
/// `GenerationGame` it was deployed over, the single-step `InferenceGame` that game hands
/// disputed steps to, and the oracle's registry — each read from the contract above it, never
/// taken from a record that may name a redeployed one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TextContracts {
    /// The text oracle.
    pub oracle: TextOracleClient,
    /// Its generation game.
    pub game: GenClient,
    /// The generation game's single-step game.
    pub steps: GameClient,
    /// The text oracle's registry.
    pub registry: Registry,
}

impl TextContracts {
    /// The `GenerationOracle` recorded for this chain in `deployments`, if any.
    ///
    /// # Errors
    /// As [`TextContracts::at`].
    pub fn find(chain: &mut dyn Chain, deployments: &Deployments) -> Result<Option<Self>> {
        match deployments.get(chain.chain_id(), TextOracleClient::NAME) {
            Some(a) => Self::at(chain, a).map(Some),
            None => Ok(None),
        }
    }

    /// The text oracle at `address` and the contracts below it.
    ///
    /// # Errors
    /// [`NodeError::Missing`] when an address has no code; transport errors.
    pub fn at(chain: &mut dyn Chain, address: Address) -> Result<Self> {
        let id = chain.chain_id();
        let missing = |what: &str, a: Address| {
            NodeError::Missing(format!(
                "the {what} {a} has no code on chain {id} (a restarted dev node? deploy it again)"
            ))
        };
        if chain.code_at(address)?.is_empty() {
            return Err(missing(TextOracleClient::NAME, address));
        }
        let oracle = TextOracleClient { address };
        let (registry, game) = oracle.registry_and_game(chain)?;
        if chain.code_at(game)?.is_empty() {
            return Err(missing("GenerationGame", game));
        }
        let steps = GenClient { address: game }.steps(chain)?;
        if chain.code_at(steps)?.len() != InferenceGame::DEPLOYED_BYTECODE.len() {
            return Err(missing("single-step InferenceGame", steps));
        }
        Ok(Self {
            oracle,
            game: GenClient { address: game },
            steps: GameClient { address: steps },
            registry: Registry { address: registry },
        })
    }

    /// The three as the generation engines take them.
    pub fn gen(&self) -> GenContracts<'_> {
        GenContracts {
            registry: &self.registry,
            steps: &self.steps,
            game: &self.game,
        }
    }

    /// Whether the text oracle and its game still have code.
    ///
    /// # Errors
    /// Transport errors.
    pub fn present(&self, chain: &mut dyn Chain) -> Result<bool> {
        Ok(!chain.code_at(self.oracle.address)?.is_empty()
            && !chain.code_at(self.game.address)?.is_empty())
    }
}

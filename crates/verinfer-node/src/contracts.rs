//! Finding the contracts a node serves: the `InferenceOracle` through the deployment record
//! (`.verinfer/deployments.json`, `verinfer_chain::Deployments`), then the game and registry
//! the oracle itself was deployed over (not whatever game the record names last: a game
//! redeployed with other parameters is another contract, and the oracle only trusts its own).

use alloy_primitives::Address;
use verinfer_chain::bindings::InferenceGame;
use verinfer_chain::bindings_oracle::InferenceOracle;
use verinfer_chain::{default_account, view, Chain, Deployments, Registry};
use verinfer_opml::GameClient;
use verinfer_oracle::OracleClient;

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
        let from = default_account(chain)?;
        let game = view(
            chain,
            from,
            address,
            &InferenceOracle::gameCall {},
            "InferenceOracle.game",
        )?;
        let registry = view(
            chain,
            from,
            address,
            &InferenceOracle::registryCall {},
            "InferenceOracle.registry",
        )?;
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

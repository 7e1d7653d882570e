//! Deploying (or finding) the opML contracts: registry, step verifier, game.

use alloy_primitives::{Address, U256};
use alloy_sol_types::SolConstructor;
use verinfer_chain::bindings::{InferenceGame, OneStepVerifier};
use verinfer_chain::{ensure_deployed, Chain, Deployments, Receipt, Registry};

use crate::client::GameClient;
use crate::error::{OpmlError, Result};

/// The game's constructor parameters. Defaults suit a dev chain (short window and clocks);
/// production values are a deployment decision documented in docs/protocol.md.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GameParams {
    /// Submitter bond (wei).
    pub submitter_bond: U256,
    /// Challenger bond (wei).
    pub challenger_bond: U256,
    /// Challenge window (s).
    pub window: u64,
    /// Chess clock per party per game (s).
    pub clock: u64,
    /// Burned share of a forfeited bond (basis points).
    pub burn_bps: u16,
    /// d of the k-ary reveals.
    pub reveal_depth: u8,
    /// Longest accumulation segment the one-step recomputes.
    pub max_segment: u64,
}

impl Default for GameParams {
    fn default() -> Self {
        let eth = U256::from(10u64).pow(U256::from(18u64));
        Self {
            submitter_bond: eth,
            challenger_bond: eth,
            window: 3600,
            clock: 600,
            burn_bps: 2000,
            reveal_depth: 4,
            max_segment: 8,
        }
    }
}

/// Addresses of a deployment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpmlContracts {
    /// The model registry.
    pub registry: Registry,
    /// The one-step verifier.
    pub verifier: Address,
    /// The game.
    pub game: GameClient,
}

/// Finds the recorded contracts (checking their code) or deploys what is missing. The game's
/// code embeds its parameters (immutables), so a recorded game is reused only when its
/// parameters equal `params`.
///
/// # Errors
/// Reverts or transport errors.
pub fn ensure_opml(
    chain: &mut dyn Chain,
    deployments: &mut Deployments,
    from: Address,
    params: &GameParams,
) -> Result<(OpmlContracts, Vec<Receipt>)> {
    let mut receipts = Vec::new();
    let (registry, r) = Registry::ensure(chain, deployments, from)?;
    receipts.extend(r);
    let (verifier, r) = ensure_deployed(
        chain,
        deployments,
        "OneStepVerifier",
        &OneStepVerifier::BYTECODE,
        &OneStepVerifier::DEPLOYED_BYTECODE,
        from,
    )?;
    receipts.extend(r);
    let game = match deployments.get(chain.chain_id(), "InferenceGame") {
        Some(addr)
            if !chain.code_at(addr)?.is_empty() && {
                let g = GameClient { address: addr };
                g.config(chain).map(|c| c == *params).unwrap_or(false)
            } =>
        {
            GameClient { address: addr }
        }
        _ => {
            let (g, r) = deploy_game(chain, from, registry.address, verifier, params)?;
            deployments.set_deployed(chain.chain_id(), "InferenceGame", g.address, r.block_number);
            receipts.push(r);
            g
        }
    };
    Ok((
        OpmlContracts {
            registry,
            verifier,
            game,
        },
        receipts,
    ))
}

/// Deploys a game over `registry` and `verifier`.
///
/// # Errors
/// Reverts (e.g. parameters out of range) or transport errors.
pub fn deploy_game(
    chain: &mut dyn Chain,
    from: Address,
    registry: Address,
    verifier: Address,
    p: &GameParams,
) -> Result<(GameClient, Receipt)> {
    let args = InferenceGame::constructorCall {
        registry_: registry,
        verifier_: verifier,
        submitterBond_: p.submitter_bond,
        challengerBond_: p.challenger_bond,
        challengeWindow_: p.window,
        clock_: p.clock,
        burnBps_: p.burn_bps,
        revealDepth_: p.reveal_depth,
        maxSegment_: p.max_segment,
    }
    .abi_encode();
    let (address, r) = verinfer_chain::deploy_code(
        chain,
        from,
        &InferenceGame::BYTECODE,
        &args,
        "InferenceGame",
    )?;
    Ok((GameClient { address }, r))
}

/// Finds the recorded game (and the registry and verifier it was built with) without deploying
/// anything: what read-only commands and challengers use.
///
/// # Errors
/// [`OpmlError::Mismatch`] when no game is recorded for this chain or its code is gone.
pub fn find_opml(chain: &mut dyn Chain, deployments: &Deployments) -> Result<OpmlContracts> {
    use verinfer_chain::view_default;
    let id = chain.chain_id();
    let address = deployments.get(id, "InferenceGame").ok_or_else(|| {
        OpmlError::Mismatch(format!(
            "no InferenceGame recorded for chain {id}: post a claim first (`verinfer claim`) or point --deployments at the record"
        ))
    })?;
    if chain.code_at(address)?.is_empty() {
        return Err(OpmlError::Mismatch(format!(
            "the recorded InferenceGame {address} has no code on chain {id} (a restarted dev node?)"
        )));
    }
    let registry = view_default(
        chain,
        address,
        &InferenceGame::registryCall {},
        "InferenceGame.registry",
    )?;
    let verifier = view_default(
        chain,
        address,
        &InferenceGame::verifierCall {},
        "InferenceGame.verifier",
    )?;
    Ok(OpmlContracts {
        registry: Registry { address: registry },
        verifier,
        game: GameClient { address },
    })
}

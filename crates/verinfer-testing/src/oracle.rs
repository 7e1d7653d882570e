//! The oracle's stack on any chain (feature `oracle`): registry, one-step verifier, game and
//! oracle deployed, a consumer, the digits MLP registered and learned, and the consumer's view.

use verinfer_chain::bindings_oracle::ConsumerHarness;
use verinfer_chain::{Address, Chain, Deployments, B256, U256};
use verinfer_ir::Graph;
use verinfer_opml::facts::model_opening;
use verinfer_opml::{ensure_opml, Execution, GameConfig, GameParams, OpmlContracts};
use verinfer_oracle::{OracleClient, OracleParams};

use crate::chain::deploy_contract;

/// Fee 0.01 ETH, a 10 % owner share, requests cancellable after an hour, callbacks of up to
/// 2 M gas.
pub fn oracle_params() -> OracleParams {
    OracleParams {
        fee: U256::from(10u64).pow(U256::from(16u64)),
        owner_share_bps: 1_000,
        cancel_delay: 3_600,
        max_callback_gas: 2_000_000,
    }
}

/// The contracts of an oracle deployment.
pub struct Stack {
    /// Registry, one-step verifier, game.
    pub c: OpmlContracts,
    /// The game's configuration.
    pub cfg: GameConfig,
    /// The oracle.
    pub oracle: OracleClient,
    /// Its parameters.
    pub params: OracleParams,
}

/// Deploys (or finds in `deployments`) the game under `gp` and an oracle over it with
/// [`oracle_params`], from `owner`.
pub fn deploy_stack(
    chain: &mut dyn Chain,
    deployments: &mut Deployments,
    owner: Address,
    gp: &GameParams,
) -> Stack {
    let (c, _) = ensure_opml(chain, deployments, owner, gp).unwrap();
    let cfg = c.game.config(chain).unwrap();
    let params = oracle_params();
    let (oracle, _) =
        OracleClient::deploy(chain, owner, c.registry.address, c.game.address, &params).unwrap();
    Stack {
        c,
        cfg,
        oracle,
        params,
    }
}

/// The oracle's stack on a fresh in-process chain, as the node's and the oracle's tests start
/// from it.
pub struct MlpOracle {
    /// The chain.
    pub chain: verinfer_chain::RevmChain,
    /// Its dev accounts; account 0 deployed everything and owns the model.
    pub accounts: Vec<Address>,
    /// The contracts.
    pub stack: Stack,
    /// A `ConsumerHarness`.
    pub consumer: Address,
    /// The digits MLP's model id, registered and learned.
    pub model: B256,
}

/// A fresh in-process chain with the game (`window`, `clock` seconds), an oracle over it and a
/// consumer, deployed by account 0, which registers the digits MLP and teaches it to the game.
pub fn mlp_oracle(window: u64, clock: u64) -> MlpOracle {
    let mut chain = verinfer_chain::RevmChain::new().unwrap();
    let accounts = chain.accounts();
    let owner = accounts[0];
    let gp = crate::chain::game_params(window, clock);
    let stack = deploy_stack(&mut chain, &mut Deployments::default(), owner, &gp);
    let consumer = deploy_consumer(&mut chain, owner);
    let model = register_and_learn(&mut chain, &stack.c, owner, &crate::models::golden_mlp().0);
    MlpOracle {
        chain,
        accounts,
        stack,
        consumer,
        model,
    }
}

/// A fresh `ConsumerHarness` deployed by `from`.
pub fn deploy_consumer(chain: &mut dyn Chain, from: Address) -> Address {
    deploy_contract(
        chain,
        from,
        &ConsumerHarness::BYTECODE,
        "deploy ConsumerHarness",
    )
}

/// The model id of `g`.
pub fn model_id(g: &Graph) -> B256 {
    B256::from(
        verinfer_commit::ModelCommitment::new(g)
            .model_id
            .hash()
            .to_bytes(),
    )
}

/// `owner` registers `g` (as `test://digits_mlp`) and teaches it to the game; its id.
pub fn register_and_learn(
    chain: &mut dyn Chain,
    c: &OpmlContracts,
    owner: Address,
    g: &Graph,
) -> B256 {
    let id = model_id(g);
    c.registry
        .register(chain, owner, id, "test://digits_mlp")
        .unwrap();
    learn(chain, c, owner, id, g);
    id
}

/// `owner` teaches the registered model `id` (the graph `g`) to the game.
pub fn learn(chain: &mut dyn Chain, c: &OpmlContracts, owner: Address, id: B256, g: &Graph) {
    let m = verinfer_commit::ModelCommitment::new(g);
    c.game
        .learn_model(chain, owner, id, model_opening(g, &m).unwrap())
        .unwrap();
}

/// The model's outputs in `e`, in output order.
pub fn outputs(e: &Execution) -> Vec<Vec<i32>> {
    e.graph()
        .outputs
        .iter()
        .map(|o| e.values()[o.value.index()].clone())
        .collect()
}

/// The outputs the consumer last received.
pub fn consumer_outputs(chain: &mut dyn Chain, from: Address, consumer: Address) -> Vec<Vec<i32>> {
    verinfer_chain::view(
        chain,
        from,
        consumer,
        &ConsumerHarness::receivedCall {},
        "ConsumerHarness.received",
    )
    .unwrap()
}

/// How many callbacks the consumer received.
pub fn consumer_calls(chain: &mut dyn Chain, from: Address, consumer: Address) -> U256 {
    verinfer_chain::view(
        chain,
        from,
        consumer,
        &ConsumerHarness::callsCall {},
        "ConsumerHarness.calls",
    )
    .unwrap()
}

/// `requester` asks `oracle` for `model` on `input`, paying exactly `requiredFee(gas)`, with
/// `callback` given `gas`, accepting zk answers under zk configuration `zk_version` (0: none);
/// the request's id.
#[allow(clippy::too_many_arguments)]
pub fn request(
    chain: &mut dyn Chain,
    oracle: &OracleClient,
    requester: Address,
    model: B256,
    input: &[Vec<i32>],
    callback: Address,
    gas: u64,
    zk_version: u32,
) -> u64 {
    let fee = oracle.required_fee(chain, gas).unwrap();
    oracle
        .request(
            chain,
            requester,
            verinfer_oracle::model_id_of(model),
            input,
            callback,
            gas,
            fee,
            zk_version,
        )
        .unwrap()
        .0
        .index()
}

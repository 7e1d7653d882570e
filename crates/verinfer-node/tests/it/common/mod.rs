//! A deployed registry + game + oracle + consumer on the in-process chain, the digits MLP in a
//! models directory, and nodes built over them (driven tick by tick, no threads).
#![allow(dead_code)]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::print_stdout
)]

pub mod edge;
pub mod gen;

use std::path::{Path, PathBuf};

#[allow(unused_imports)]
pub use edge::Edge;

use verinfer_chain::{Address, Chain, RevmChain, B256, U256};
use verinfer_ir::Graph;
use verinfer_node::{
    Behaviour, Contracts, HeldModel, Mode, ModelStore, Node, NodeConfig, NodeState, TickReport,
};
use verinfer_opml::{lying_execution, Execution, GameConfig, OpmlContracts, OpmlError, TraceLie};
use verinfer_oracle::{OracleClient, OracleParams};
use verinfer_testing::oracle::{consumer_calls, consumer_outputs, mlp_oracle, MlpOracle};

/// The golden digits MLP and its quantized sample input.
pub fn mlp() -> &'static (Graph, Vec<Vec<i32>>) {
    verinfer_testing::models::golden_mlp()
}

/// The honest outputs of the MLP on `input`.
pub fn honest_outputs(input: &[Vec<i32>]) -> Vec<Vec<i32>> {
    verinfer_testing::oracle::outputs(&Execution::run(mlp().0.clone(), input).unwrap())
}

/// A fresh temporary directory, removed when dropped (kept for a failing test with
/// `VERINFER_KEEP_TEST_DIRS=1`).
pub fn tmpdir(name: &str) -> verinfer_testing::TestDir {
    verinfer_testing::models::tmpdir("verinfer-node-test", name)
}

/// A models directory holding the digits MLP.
pub fn models_dir(root: &Path) -> PathBuf {
    let d = root.join("models");
    std::fs::create_dir_all(&d).unwrap();
    std::fs::copy(
        verinfer_testing::models::testdata(verinfer_testing::models::GOLDEN_MLP),
        d.join("digits_mlp.vmodel"),
    )
    .unwrap();
    d
}

pub const CALLBACK_GAS: u64 = 500_000;

/// A node of `account` over the oracle at `oracle`, its state in `state`, holding the models
/// in `models`; `f` shapes its configuration.
pub fn open_node(
    chain: &mut dyn Chain,
    oracle: Address,
    account: Address,
    state: PathBuf,
    models: &Path,
    f: impl FnOnce(&mut NodeConfig),
) -> Node {
    let mut cfg = NodeConfig::new(account, state);
    f(&mut cfg);
    let models = ModelStore::load_dir(models).unwrap();
    let contracts = Contracts::at(chain, oracle).unwrap();
    Node::open(chain, cfg, models, contracts).unwrap()
}

pub struct Env {
    pub chain: RevmChain,
    pub c: OpmlContracts,
    pub cfg: GameConfig,
    pub oracle: OracleClient,
    pub params: OracleParams,
    pub owner: Address,
    pub requester: Address,
    pub honest: Address,
    pub liar: Address,
    pub consumer: Address,
    pub model: B256,
    pub dir: verinfer_testing::TestDir,
    pub models: PathBuf,
}

/// Logs to the test's output as `VERINFER_LOG` asks (off by default):
/// `VERINFER_LOG=info cargo nextest run … --no-capture` shows every transaction with gas.
pub fn init_log() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("VERINFER_LOG")
                .unwrap_or_else(|_| "off".into()),
        )
        .with_test_writer()
        .try_init();
}

/// Registry, verifier, game (window 600 s, clock 300 s), oracle (fee 0.01 ETH), a consumer;
/// the MLP registered and learned.
pub fn env(name: &str) -> Env {
    init_log();
    let MlpOracle {
        chain,
        accounts: a,
        stack,
        consumer,
        model,
    } = mlp_oracle(600, 300);
    let (owner, requester, honest, liar) = (a[0], a[1], a[2], a[3]);
    let dir = tmpdir(name);
    let models = models_dir(&dir);
    Env {
        chain,
        c: stack.c,
        cfg: stack.cfg,
        oracle: stack.oracle,
        params: stack.params,
        owner,
        requester,
        honest,
        liar,
        consumer,
        model,
        dir,
        models,
    }
}

impl Env {
    /// The oracle's status of request `req`.
    pub fn request_status(&mut self, req: u64) -> verinfer_oracle::RequestStatus {
        self.oracle
            .status(&mut self.chain, verinfer_oracle::RequestId::new(req))
            .unwrap()
    }

    /// Dev Groth16 keys of the digits MLP (digest statement) saved where the node looks for
    /// them (`<models>/digits_mlp.keys`), their `IProofVerifier` deployed and published by the
    /// owner as the model's zk configuration 1. Returns the verifier's address.
    pub fn publish_dev_zk(&mut self) -> Address {
        use verinfer_zk::files::{save_keys, KeyManifest};
        use verinfer_zk::groth16::os_rng;
        use verinfer_zk::{Groth16, ProofSystem, Statement, Visibility, Widths};

        let g = &mlp().0;
        let vis = Visibility {
            statement: Statement::Digest,
            ..Visibility::default()
        };
        let (pk, vk) = Groth16::setup_with(g, vis, &mut os_rng()).unwrap();
        let id = verinfer_commit::ModelCommitment::new(g)
            .model_id
            .to_string();
        let manifest = KeyManifest::new(g, id, vis, &vk, 0).unwrap();
        save_keys(&self.models.join("digits_mlp.keys"), &pk, &vk, &manifest).unwrap();
        let (owner, model) = (self.owner, self.model);
        let mut deployer = verinfer_oracle::ChainDeployer::new(&mut self.chain, owner);
        let verifier =
            verinfer_prove::EvmVerifiable::deploy_adapter(&Groth16, &vk, &mut deployer).unwrap();
        let w = Widths::of(g);
        let settings = verinfer_oracle::ZkSettings {
            verifier,
            input_bits: u8::try_from(w.input).unwrap(),
            output_bits: u8::try_from(w.output).unwrap(),
            param_hash: None,
        };
        self.oracle
            .set_zk_verifier(
                &mut self.chain,
                owner,
                verinfer_oracle::model_id_of(model),
                &settings,
            )
            .unwrap();
        verifier
    }

    /// A request of `input` by the requester, the consumer as callback.
    pub fn request(&mut self, input: &[Vec<i32>]) -> u64 {
        self.request_zk(input, 0)
    }

    /// A request of `input` by the requester, the consumer as callback, accepting zk answers
    /// under the model's zk configuration `zk_version` (0: none).
    pub fn request_zk(&mut self, input: &[Vec<i32>], zk_version: u32) -> u64 {
        let (model, requester, consumer) = (self.model, self.requester, self.consumer);
        let fee = self
            .oracle
            .required_fee(&mut self.chain, CALLBACK_GAS)
            .unwrap();
        self.oracle
            .request(
                &mut self.chain,
                requester,
                verinfer_oracle::model_id_of(model),
                input,
                consumer,
                CALLBACK_GAS,
                fee,
                zk_version,
            )
            .unwrap()
            .0
            .index()
    }

    /// A node of `account` with its state in `<dir>/<name>`.
    pub fn node(&mut self, account: Address, name: &str, f: impl FnOnce(&mut NodeConfig)) -> Node {
        let (oracle, state) = (self.oracle.address, self.dir.join(name));
        open_node(&mut self.chain, oracle, account, state, &self.models, f)
    }

    /// One tick of `node`; the state file on disk is checked to be valid and equal to the
    /// node's state after it.
    pub fn tick(&mut self, node: &mut Node) -> TickReport {
        let r = node.tick(&mut self.chain).unwrap();
        let on_disk = NodeState::load(&node.config().state_dir)
            .unwrap()
            .expect("a state file");
        assert_eq!(&on_disk, node.state(), "the state file is the node's state");
        r
    }

    /// Ticks every node in turn until a whole round sends nothing; when nobody can move but a
    /// game is still open (a party stalled), time moves past a clock. Returns the rounds.
    pub fn quiesce(&mut self, nodes: &mut [&mut Node]) -> usize {
        for round in 0..500 {
            let mut sent = 0;
            for n in nodes.iter_mut() {
                sent += self.tick(n).transactions;
            }
            if sent == 0 {
                let open_game = nodes
                    .iter()
                    .any(|n| n.state().games.values().any(|g| !g.is_over()));
                if !open_game {
                    return round;
                }
                let clock = self.cfg.clock;
                self.chain.advance_time(clock + 1).unwrap();
            }
        }
        panic!("the nodes never went quiet");
    }

    pub fn consumer_outputs(&mut self) -> Vec<Vec<i32>> {
        consumer_outputs(&mut self.chain, self.owner, self.consumer)
    }

    pub fn consumer_calls(&mut self) -> U256 {
        consumer_calls(&mut self.chain, self.owner, self.consumer)
    }
}

/// Sets optimistic/zk mode.
pub fn mode(m: Mode) -> impl FnOnce(&mut NodeConfig) {
    move |c| c.mode = m
}

/// A dishonest node on the digits MLP: element 0 of its output (the last node) raised by one,
/// left inconsistent with the trace (the CLI's `--lie` tells the same lie).
#[derive(Debug)]
pub struct Liar;

impl Behaviour for Liar {
    fn execution(&self, m: &HeldModel, input: &[Vec<i32>]) -> Result<Execution, OpmlError> {
        let node = m.graph().nodes.len() - 1;
        let lie = TraceLie {
            node,
            element: 0,
            delta: 1,
            propagate: false,
        };
        lying_execution(m.graph().clone(), input, lie)
    }

    fn is_honest(&self) -> bool {
        false
    }
}

/// Makes the node lie.
pub fn lying(c: &mut NodeConfig) {
    c.behaviour = std::sync::Arc::new(Liar);
}

pub fn honest(_: &mut NodeConfig) {}

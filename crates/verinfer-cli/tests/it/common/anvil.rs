//! A real anvil node (a block every second) with the registry, game, oracle and a consumer
//! deployed and recorded where `verinfer node` and the CLI look; `verinfer node` processes
//! against it; their `/status`; polling with generous limits. Shared by the two-process tests
//! (`node.rs`, `attacks_anvil.rs`).

use std::fs::OpenOptions;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use verinfer_chain::{
    dev_signers, parse_key, Address, Anvil, Chain, Deployments, RpcChain, Tx, B256,
    DEV_PRIVATE_KEYS, U256,
};
use verinfer_ir::Graph;
use verinfer_opml::{Execution, GameConfig, OpmlContracts};
use verinfer_oracle::{OracleClient, OracleParams};
use verinfer_testing::chain::game_params;
use verinfer_testing::oracle::{
    consumer_calls, consumer_outputs, deploy_consumer, deploy_stack, learn, model_id,
    register_and_learn, request, Stack,
};

use super::{root, testdata};

/// Test-only keys beyond anvil's four dev keys, funded by the deployer at start. Public
/// knowledge: they exist only on the test's own anvil.
pub const EXTRA_KEYS: [&str; 2] = [
    "0x5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a",
    "0x5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b5b",
];
/// The honest node's key (account 2).
pub const HONEST_KEY: &str = DEV_PRIVATE_KEYS[2];
/// The lying node's key (account 3).
pub const LIAR_KEY: &str = DEV_PRIVATE_KEYS[3];
/// A second honest node's key.
pub const WATCHER_KEY: &str = EXTRA_KEYS[1];

/// The compiled digits MLP (the golden `.vmodel`).
pub fn model_path() -> PathBuf {
    testdata(verinfer_testing::models::GOLDEN_MLP)
}

/// The MLP's quantized sample input (the commitment goldens' trace input).
pub fn sample_input() -> Vec<Vec<i32>> {
    verinfer_testing::models::golden_mlp().1.clone()
}

/// The outputs of an execution, in the graph's output order.
pub fn outputs_of(e: &Execution) -> Vec<Vec<i32>> {
    verinfer_testing::oracle::outputs(e)
}

/// A node process; killed when dropped.
pub struct NodeProc {
    child: Option<Child>,
    name: String,
}

impl NodeProc {
    /// `verinfer node ARGS`, its log (`VERINFER_LOG=info`) appended to `log`.
    pub fn start(name: &str, args: &[String], log: &Path) -> Self {
        let out = OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_verinfer"))
            .arg("node")
            .args(args)
            .env("VERINFER_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::from(out))
            .spawn()
            .unwrap();
        Self {
            child: Some(child),
            name: name.to_string(),
        }
    }

    /// SIGKILL: no shutdown path at all, as in a crash.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Panics if the process has exited (a node never exits on its own).
    pub fn assert_running(&mut self) {
        let exited = self
            .child
            .as_mut()
            .and_then(|c| c.try_wait().ok().flatten());
        assert!(
            exited.is_none(),
            "the {} node exited: {exited:?}",
            self.name
        );
    }
}

impl Drop for NodeProc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A free local TCP port (for `--serve`).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `GET path` on 127.0.0.1:port; `None` while nothing answers.
pub fn http_get(port: u16, path: &str) -> Option<String> {
    let mut c = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    c.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    write!(
        c,
        "GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut out = String::new();
    c.read_to_string(&mut out).ok()?;
    let body = out.split_once("\r\n\r\n")?.1.to_string();
    Some(body)
}

/// A node's `GET /status` JSON; `None` while it does not answer.
pub fn status(port: u16) -> Option<serde_json::Value> {
    serde_json::from_str(&http_get(port, "/status")?).ok()
}

/// The entry of `/status`'s `checked` (other people's claims) for `claim`.
pub fn checked(port: u16, claim: u64) -> Option<serde_json::Value> {
    status(port)?["checked"]
        .as_array()?
        .iter()
        .find(|c| c["claim"].as_u64() == Some(claim))
        .cloned()
}

/// Polls `f` every 200 ms until it gives `Some` or `secs` pass (then panics naming `what`).
pub fn wait_for<T>(secs: u64, what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(x) = f() {
            return x;
        }
        assert!(
            start.elapsed() < Duration::from_secs(secs),
            "timed out after {secs} s waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The accounts of a scenario.
#[derive(Clone, Copy, Debug)]
pub struct Who {
    /// Deploys everything; the model's publisher and owner (account 0).
    pub publisher: Address,
    /// Pays for requests (account 1).
    pub requester: Address,
    /// The honest node (account 2, [`HONEST_KEY`]).
    pub honest: Address,
    /// The lying node (account 3, [`LIAR_KEY`]).
    pub liar: Address,
    /// The attacker's account for moves made by hand ([`EXTRA_KEYS`]\[0\]).
    pub attacker: Address,
    /// A second honest node ([`WATCHER_KEY`]).
    pub watcher: Address,
}

/// An anvil with the contracts deployed, a models directory holding the digits MLP, and the
/// node logs to print if the test fails.
pub struct AnvilEnv {
    /// The anvil process (killed on drop).
    pub anvil: Anvil,
    /// The test's own client, signing for every account of [`Who`].
    pub chain: RpcChain,
    /// Registry, one-step verifier, game.
    pub c: OpmlContracts,
    /// The game's configuration (window 15 s, clocks 60 s).
    pub cfg: GameConfig,
    /// The oracle.
    pub oracle: OracleClient,
    /// Its parameters.
    pub params: OracleParams,
    /// The accounts.
    pub who: Who,
    /// A `ConsumerHarness` (the requester's callback).
    pub consumer: Address,
    /// The test's directory.
    pub dir: verinfer_testing::TestDir,
    /// The deployments file the nodes and the CLI read.
    pub deployments: PathBuf,
    /// The nodes' models directory (`digits_mlp.vmodel`).
    pub models: PathBuf,
    /// The MLP.
    pub graph: Graph,
    /// Its model id.
    pub model: B256,
    logs: Vec<PathBuf>,
    started: Instant,
}

impl AnvilEnv {
    /// Starts anvil with a block a second and deploys registry, step verifier, game (15 s
    /// window, 60 s clocks), oracle (fee 0.01 ETH, 10% to the owner) and a consumer; funds the
    /// extra accounts. The model is not registered yet ([`AnvilEnv::register_and_learn`]).
    pub fn deploy(name: &str) -> Self {
        let started = Instant::now();
        let anvil = Anvil::spawn(&root().join("contracts"), &["--block-time", "1"])
            .expect("anvil (npm ci --prefix contracts)");
        let dir = super::tmpdir(name);
        let deployments_path = dir.join("deployments.json");
        let models = dir.join("models");
        std::fs::create_dir_all(&models).unwrap();
        std::fs::copy(model_path(), models.join("digits_mlp.vmodel")).unwrap();

        let mut chain = Self::connect(&anvil);
        let a = chain.accounts();
        let who = Who {
            publisher: a[0],
            requester: a[1],
            honest: a[2],
            liar: a[3],
            attacker: a[4],
            watcher: a[5],
        };
        for to in [who.attacker, who.watcher] {
            let eth100 = U256::from(100u64) * U256::from(10u64).pow(U256::from(18u64));
            chain
                .send(Tx::call(who.publisher, to, Vec::new(), "fund").with_value(eth100))
                .unwrap();
        }
        let mut deployments = Deployments::default();
        let Stack {
            c,
            cfg,
            oracle,
            params,
        } = deploy_stack(
            &mut chain,
            &mut deployments,
            who.publisher,
            &game_params(15, 60),
        );
        deployments.set(chain.chain_id(), OracleClient::NAME, oracle.address);
        deployments.save(&deployments_path).unwrap();
        let graph = verinfer_ir::vmodel::load(&model_path()).unwrap();
        let model = model_id(&graph);
        let mut env = Self {
            anvil,
            chain,
            c,
            cfg,
            oracle,
            params,
            who,
            consumer: Address::ZERO,
            dir,
            deployments: deployments_path,
            models,
            graph,
            model,
            logs: Vec::new(),
            started,
        };
        env.consumer = env.deploy_consumer();
        env
    }

    /// A fresh `ConsumerHarness`.
    pub fn deploy_consumer(&mut self) -> Address {
        deploy_consumer(&mut self.chain, self.who.publisher)
    }

    /// The publisher registers the MLP (commit–reveal) and teaches it to the game.
    pub fn register_and_learn(&mut self) {
        register_and_learn(&mut self.chain, &self.c, self.who.publisher, &self.graph);
    }

    /// The publisher teaches the registered MLP to the game.
    pub fn learn(&mut self) {
        let (publisher, model) = (self.who.publisher, self.model);
        learn(&mut self.chain, &self.c, publisher, model, &self.graph);
    }

    /// The honest outputs of the MLP on `input`.
    pub fn honest_outputs(&self, input: &[Vec<i32>]) -> Vec<Vec<i32>> {
        outputs_of(&Execution::run(self.graph.clone(), input).unwrap())
    }

    /// A request of `input` by the requester paying `requiredFee`, with `callback`, trusting
    /// zk configuration `zk_version` (0: none). Returns its id.
    pub fn request(&mut self, input: &[Vec<i32>], callback: Address, zk_version: u32) -> u64 {
        let (model, requester) = (self.model, self.who.requester);
        request(
            &mut self.chain,
            &self.oracle,
            requester,
            model,
            input,
            callback,
            500_000,
            zk_version,
        )
    }

    /// The claims that answered request `req`, asserting there are two: the liar's, rejected,
    /// then the honest answer. Returns the lie.
    pub fn rejected_lie_then_honest(&mut self, req: u64) -> u64 {
        let claims = self
            .oracle
            .claims_of(&mut self.chain, verinfer_oracle::RequestId::new(req))
            .unwrap();
        assert_eq!(
            claims.len(),
            2,
            "the lie, then the honest answer: {claims:?}"
        );
        let game = self.c.game;
        let lie = claims[0];
        let submitter = game.claim_info(&mut self.chain, lie).unwrap().submitter;
        assert_eq!(submitter, self.who.liar, "the first answer is the liar's");
        assert_eq!(
            game.status(&mut self.chain, lie).unwrap(),
            verinfer_opml::ClaimStatus::Rejected
        );
        lie
    }

    /// How many callbacks `consumer` received.
    pub fn consumer_calls(&mut self, consumer: Address) -> U256 {
        consumer_calls(&mut self.chain, self.who.publisher, consumer)
    }

    /// The outputs of `consumer`'s last callback.
    pub fn consumer_received(&mut self, consumer: Address) -> Vec<Vec<i32>> {
        consumer_outputs(&mut self.chain, self.who.publisher, consumer)
    }

    /// Balance plus what the game and the oracle owe `who`: everything it could walk away with.
    pub fn worth(&mut self, who: Address) -> U256 {
        let balance = self.chain.balance(who).unwrap();
        let game = self.c.game.owed(&mut self.chain, who).unwrap();
        let oracle = self.oracle.owed(&mut self.chain, who).unwrap();
        balance + game + oracle
    }

    /// The arguments every node of this environment takes: the chain, `key`, the models
    /// directory, the deployments file, its own state directory `<dir>/<name>`, 200 ms ticks.
    pub fn node_args(&self, name: &str, key: &str) -> Vec<String> {
        let s = |p: &Path| p.to_str().unwrap().to_string();
        vec![
            "--rpc-url".into(),
            self.anvil.url().into(),
            "--private-key".into(),
            key.into(),
            "--models".into(),
            s(&self.models),
            "--deployments".into(),
            s(&self.deployments),
            "--state-dir".into(),
            s(&self.dir.join(name)),
            "--poll-ms".into(),
            "200".into(),
        ]
    }

    /// Starts `verinfer node` as `name` (state `<dir>/<name>`, log `<dir>/<name>.log`, printed
    /// if the test fails) signing with `key`, with `extra` arguments.
    pub fn start_node(&mut self, name: &str, key: &str, extra: &[&str]) -> NodeProc {
        let mut args = self.node_args(name, key);
        args.extend(extra.iter().map(|s| s.to_string()));
        let log = self.dir.join(format!("{name}.log"));
        if !self.logs.contains(&log) {
            self.logs.push(log.clone());
        }
        NodeProc::start(name, &args, &log)
    }

    /// Runs `verinfer ARGS` on this environment's chain and deployments file, signing with
    /// `key`; then reconnects the test's client, whose cached nonce of that account the
    /// command made stale.
    pub fn cli(&mut self, args: &[&str], key: &str) -> Output {
        let d = self.deployments.to_str().unwrap().to_string();
        let mut all: Vec<&str> = args.to_vec();
        all.extend([
            "--rpc-url",
            self.anvil.url(),
            "--private-key",
            key,
            "--deployments",
            &d,
        ]);
        let o = super::verinfer(&all);
        self.chain = Self::connect(&self.anvil);
        o
    }

    fn connect(anvil: &Anvil) -> RpcChain {
        let mut signers = dev_signers().unwrap();
        signers.extend(EXTRA_KEYS.iter().map(|k| parse_key(k).unwrap()));
        RpcChain::connect(anvil.url(), signers).unwrap()
    }

    /// Time since [`AnvilEnv::deploy`] began.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }
}

impl Drop for AnvilEnv {
    /// Prints the tail of every node's log if the test fails.
    fn drop(&mut self) {
        if std::thread::panicking() {
            for p in &self.logs {
                let text = std::fs::read_to_string(p).unwrap_or_default();
                let tail: Vec<&str> = text.lines().rev().take(150).collect();
                eprintln!("===== {} (last {} lines) =====", p.display(), tail.len());
                for l in tail.iter().rev() {
                    eprintln!("{l}");
                }
            }
        }
    }
}

//! Choosing the chain a command talks to: the in-process revm chain (default; optionally
//! persisted in a state file) or a JSON-RPC node.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use verinfer_chain::{dev_signers, parse_key, Address, Chain, Deployments, RevmChain, RpcChain};

/// Flags shared by every command that touches a chain.
#[derive(clap::Args, Clone, Debug)]
pub struct ChainArgs {
    /// JSON-RPC endpoint of a node (e.g. http://127.0.0.1:8545); without it, an in-process
    /// EVM (revm) runs the contracts, with nothing to install or start.
    #[arg(long)]
    pub rpc_url: Option<String>,
    /// Hex private key to sign with; default: anvil's first dev key (dev chains only).
    #[arg(long, env = "VERINFER_PRIVATE_KEY", hide_env_values = true)]
    pub private_key: Option<String>,
    /// In-process chain only: load the chain from this file if it exists and save it back
    /// afterwards, so that separate commands see one chain.
    #[arg(long)]
    pub state: Option<PathBuf>,
    /// Where contract addresses are recorded per chain id (RPC chains).
    #[arg(long, default_value = ".verinfer/deployments.json")]
    pub deployments: PathBuf,
    /// Blocks per eth_getLogs query (RPC chains): the provider's cap; a query the endpoint
    /// refuses as too wide is split further anyway.
    #[arg(long, default_value_t = verinfer_chain::DEFAULT_LOG_RANGE)]
    pub log_range: u64,
}

/// The chain flags and `--json`, which every command that sends transactions takes.
#[derive(clap::Args, Clone, Debug)]
pub struct OnChain {
    /// Print one JSON object on stdout instead of the text (docs/python.md, "--json").
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub chain: ChainArgs,
}

/// `--poll-ms`, which every command that plays a game takes.
#[derive(clap::Args, Clone, Debug)]
pub struct Poll {
    /// Poll interval while playing a game on a node, milliseconds (the in-process chain
    /// answers at once).
    #[arg(long = "poll-ms", default_value_t = 200)]
    pub ms: u64,
}

impl Poll {
    /// How often a command polls `chain`: `None` on the in-process chain, where nobody else
    /// moves while it runs.
    pub fn on(&self, chain: &ChainArgs) -> Option<std::time::Duration> {
        chain
            .rpc_url
            .as_ref()
            .map(|_| std::time::Duration::from_millis(self.ms))
    }
}

/// An opened chain plus what must happen to it when the command ends.
pub struct OpenChain {
    kind: Kind,
    deployments: Deployments,
    deployments_path: Option<PathBuf>,
}

enum Kind {
    Revm {
        chain: RevmChain,
        state: Option<PathBuf>,
    },
    Rpc(RpcChain),
}

impl ChainArgs {
    /// [`Self::open`] for a command that plays a game (`defend`, `challenge`, `node`): on a
    /// node it first waits until the transactions its key had in flight are mined. A run
    /// killed mid-game may have left a move in the mempool; read before that move lands, the
    /// game looks unplayed, and this run would decide the same move again, which reverts.
    pub fn open_to_play(&self) -> Result<OpenChain> {
        let mut open = self.open()?;
        if let Kind::Rpc(chain) = &mut open.kind {
            if let Some(sender) = chain.accounts().first().copied() {
                let waited = chain.wait_in_flight(sender)?;
                if waited > 0 {
                    eprintln!("waited for {waited} transaction(s) of {sender} in flight");
                }
            }
        }
        Ok(open)
    }

    /// Opens the chain these flags name.
    pub fn open(&self) -> Result<OpenChain> {
        if self.rpc_url.is_some() && self.state.is_some() {
            bail!("--state is for the in-process chain; a node keeps its own state (drop --rpc-url or --state)");
        }
        if self.rpc_url.is_none() && self.private_key.is_some() {
            bail!(
                "--private-key needs --rpc-url: the in-process chain uses its funded dev accounts"
            );
        }
        let signers = match &self.private_key {
            Some(k) => vec![parse_key(k)?],
            None => dev_signers()?,
        };
        let (kind, deployments_path) = match &self.rpc_url {
            Some(url) => {
                let mut chain = RpcChain::connect(url, signers)?;
                chain.set_log_range(self.log_range);
                (Kind::Rpc(chain), Some(self.deployments.clone()))
            }
            None => {
                let chain = match &self.state {
                    Some(p) => RevmChain::open(p)?,
                    None => RevmChain::new()?,
                };
                // An in-process chain records its deployments next to its state; an
                // ephemeral one has nothing worth recording.
                let path = self.state.as_ref().map(|p| sibling(p, "deployments.json"));
                (
                    Kind::Revm {
                        chain,
                        state: self.state.clone(),
                    },
                    path,
                )
            }
        };
        let deployments = match &deployments_path {
            Some(p) => Deployments::load(p)?,
            None => Deployments::default(),
        };
        Ok(OpenChain {
            kind,
            deployments,
            deployments_path,
        })
    }
}

fn sibling(p: &Path, suffix: &str) -> PathBuf {
    let mut name = p.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".");
    name.push(suffix);
    p.with_file_name(name)
}

impl OpenChain {
    /// The chain.
    pub fn chain(&mut self) -> &mut dyn Chain {
        match &mut self.kind {
            Kind::Revm { chain, .. } => chain,
            Kind::Rpc(chain) => chain,
        }
    }

    /// The chain and the deployment record together.
    pub fn parts(&mut self) -> (&mut dyn Chain, &mut Deployments) {
        let chain: &mut dyn Chain = match &mut self.kind {
            Kind::Revm { chain, .. } => chain,
            Kind::Rpc(chain) => chain,
        };
        (chain, &mut self.deployments)
    }

    /// The account transactions are sent from.
    pub fn sender(&mut self) -> Result<Address> {
        Ok(verinfer_chain::default_account(self.chain())?)
    }

    /// Records fresh deployments at once on a real chain, where they exist whatever happens
    /// next (a later failure must not make us forget a contract we paid for). The in-process
    /// chain saves nothing until the command succeeds, as its deployments vanish with it.
    pub fn record_deployments(&self) -> Result<()> {
        if let (Kind::Rpc(_), Some(path)) = (&self.kind, &self.deployments_path) {
            self.deployments.save(path).with_context(|| {
                "the deployments above are mined; their addresses are printed above"
            })?;
        }
        Ok(())
    }

    /// Saves what must outlive the command: the in-process state (if a file was named) and
    /// the deployment record. Called only after the command succeeded, so a failed command
    /// leaves the previous files as they were.
    pub fn persist(&self) -> Result<()> {
        if let Kind::Revm {
            chain,
            state: Some(path),
        } = &self.kind
        {
            chain
                .save(path)
                .with_context(|| format!("saving the chain state to {}", path.display()))?;
        }
        if let Some(path) = &self.deployments_path {
            if let (Kind::Rpc(_), Err(e)) = (&self.kind, self.deployments.save(path)) {
                // The transactions above are mined and paid whatever happens to this file: a
                // failing exit would tell a caller to retry, and pay again.
                eprintln!(
                    "warning: the transactions above succeeded, but the deployment record {}                      could not be written: {e}",
                    path.display()
                );
            }
            if matches!(self.kind, Kind::Revm { .. }) {
                self.deployments.save(path)?;
            }
        }
        Ok(())
    }
}

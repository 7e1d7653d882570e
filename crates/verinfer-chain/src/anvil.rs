use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::error::{ChainError, Result};

/// How long anvil may take to say it is listening (it normally needs ~50 ms).
const START_TIMEOUT: Duration = Duration::from_secs(20);

/// A real anvil node started from `contracts/node_modules` (npm `@foundry-rs/anvil`), bound to
/// 127.0.0.1 on a port the OS picks, and stopped when dropped. For end-to-end tests and local
/// demos against a real JSON-RPC node.
#[derive(Debug)]
pub struct Anvil {
    child: Child,
    url: String,
    port: u16,
}

impl Anvil {
    /// Finds the native anvil binary through `contracts/scripts/anvil-path.js`.
    ///
    /// # Errors
    /// [`ChainError::Unsupported`] when node or the npm package is missing (run `npm ci
    /// --prefix contracts`).
    pub fn binary(contracts_dir: &Path) -> Result<PathBuf> {
        let script = contracts_dir.join("scripts").join("anvil-path.js");
        let out = Command::new("node").arg(&script).output().map_err(|e| {
            ChainError::Unsupported(format!("cannot run node {}: {e}", script.display()))
        })?;
        if !out.status.success() {
            return Err(ChainError::Unsupported(format!(
                "anvil not found ({}); run `npm ci --prefix contracts`",
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        Ok(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
    }

    /// Starts anvil with `extra_args` and waits until it listens.
    ///
    /// # Errors
    /// [`ChainError::Unsupported`] when it cannot be found or started, or does not come up.
    pub fn spawn(contracts_dir: &Path, extra_args: &[&str]) -> Result<Self> {
        let bin = Self::binary(contracts_dir)?;
        let mut child = Command::new(&bin)
            .args(["--host", "127.0.0.1", "--port", "0"])
            .args(extra_args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .stdin(Stdio::null())
            .spawn()
            .map_err(|e| ChainError::Unsupported(format!("cannot start {}: {e}", bin.display())))?;
        let Some(stdout) = child.stdout.take() else {
            let _ = child.kill();
            return Err(ChainError::Unsupported("anvil has no stdout".into()));
        };
        // Read anvil's banner on a thread so a silent anvil cannot hang us.
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut sent = false;
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if !sent {
                    if let Some(addr) = line.trim().strip_prefix("Listening on ") {
                        let _ = tx.send(addr.trim().to_string());
                        sent = true;
                    }
                }
                // Keep draining so anvil never blocks on a full pipe.
            }
        });
        let addr = match rx.recv_timeout(START_TIMEOUT) {
            Ok(a) => a,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(ChainError::Unsupported(format!(
                    "anvil did not report a listening address within {} s",
                    START_TIMEOUT.as_secs()
                )));
            }
        };
        let port = addr
            .rsplit(':')
            .next()
            .and_then(|p| p.parse::<u16>().ok())
            .ok_or_else(|| ChainError::Unsupported(format!("anvil listens on {addr:?}?")))?;
        Ok(Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
            port,
        })
    }

    /// The node's HTTP endpoint.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }
}

impl Drop for Anvil {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

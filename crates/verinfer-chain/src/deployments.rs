use std::collections::BTreeMap;
use std::path::Path;

use alloy_primitives::{Address, Bytes};
use serde::{Deserialize, Serialize};

use crate::chain::{Chain, Receipt};
use crate::error::{ChainError, Result};

/// Where our contracts live on each chain: `{chain id → {contract name → address}}`, kept in a
/// small JSON file so that `register`, `claim`, `challenge` find the same contracts. A record
/// is trusted only after the code at the address is checked to be this build's bytecode.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deployments {
    chains: BTreeMap<String, BTreeMap<String, Address>>,
    /// The block each contract was deployed in, where known: where reading its logs starts.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    blocks: BTreeMap<String, BTreeMap<String, u64>>,
}

impl Deployments {
    /// Reads `path`; a missing file is an empty record.
    ///
    /// # Errors
    /// [`ChainError::File`] for an unreadable or malformed file.
    pub fn load(path: &Path) -> Result<Self> {
        if !path.exists() {
            return Ok(Self::default());
        }
        let file_err = |message: String| ChainError::File {
            path: path.display().to_string(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|e| file_err(e.to_string()))?;
        serde_json::from_str(&text).map_err(|e| file_err(format!("not a deployments file: {e}")))
    }

    /// Writes the record atomically ([`verinfer_ir::atomic`]): a uniquely named temporary
    /// file, so concurrent commands saving the same record never collide; nothing is written
    /// when the record on disk is already this one.
    ///
    /// # Errors
    /// [`ChainError::File`] on I/O failure.
    pub fn save(&self, path: &Path) -> Result<()> {
        let file_err = |message: String| ChainError::File {
            path: path.display().to_string(),
            message,
        };
        let mut text = serde_json::to_string_pretty(self).map_err(|e| file_err(e.to_string()))?;
        text.push('\n');
        verinfer_ir::atomic::write_atomic(path, text.as_bytes())
            .map_err(|e| file_err(e.to_string()))?;
        Ok(())
    }

    /// The recorded address of `contract` on `chain_id`.
    pub fn get(&self, chain_id: u64, contract: &str) -> Option<Address> {
        self.chains
            .get(&chain_id.to_string())
            .and_then(|m| m.get(contract))
            .copied()
    }

    /// Records `contract` at `address` on `chain_id` (its deployment block unknown).
    pub fn set(&mut self, chain_id: u64, contract: &str, address: Address) {
        let chain = chain_id.to_string();
        let moved = self.chains.get(&chain).and_then(|m| m.get(contract)) != Some(&address);
        if moved {
            if let Some(b) = self.blocks.get_mut(&chain) {
                b.remove(contract);
            }
        }
        self.chains
            .entry(chain)
            .or_default()
            .insert(contract.to_string(), address);
    }

    /// Records `contract` at `address` on `chain_id`, deployed in block `block`.
    pub fn set_deployed(&mut self, chain_id: u64, contract: &str, address: Address, block: u64) {
        self.set(chain_id, contract, address);
        self.blocks
            .entry(chain_id.to_string())
            .or_default()
            .insert(contract.to_string(), block);
    }

    /// The block `contract` was deployed in on `chain_id`, if recorded: no log of it is older,
    /// so a log reader starts there rather than at block 0.
    pub fn deployed_block(&self, chain_id: u64, contract: &str) -> Option<u64> {
        self.blocks
            .get(&chain_id.to_string())
            .and_then(|m| m.get(contract))
            .copied()
    }
}

/// Finds `contract` through the record (checking its code) or deploys it and records it.
/// Returns the address and, when it deployed, the deployment's receipt.
///
/// # Errors
/// As [`Chain::send`]; a recorded address whose code is not this build's is not an error but
/// a reason to deploy afresh (a dev node restarted, or an older version).
pub fn ensure_deployed(
    chain: &mut dyn Chain,
    deployments: &mut Deployments,
    contract: &str,
    init_code: &Bytes,
    runtime_code: &Bytes,
    from: Address,
) -> Result<(Address, Option<Receipt>)> {
    if let Some(address) = deployments.get(chain.chain_id(), contract) {
        if &chain.code_at(address)? == runtime_code {
            return Ok((address, None));
        }
        tracing::info!(%address, contract, "recorded deployment has other code; deploying afresh");
    }
    let (address, receipt) = crate::deploy_code(chain, from, init_code, &[], contract)?;
    deployments.set_deployed(chain.chain_id(), contract, address, receipt.block_number);
    Ok((address, Some(receipt)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    /// Concurrent `verinfer oracle request` processes each save the deployments file after
    /// their paid transaction: with one fixed temporary name, one's rename found the other's
    /// temporary file gone and the command failed after it had paid. Every save must succeed
    /// and leave a whole file.
    #[test]
    fn attack_concurrent_deployment_saves() {
        let dir = verinfer_testing::TestDir::new("verinfer-deploy", "race");
        let path = dir.join("deployments.json");
        std::thread::scope(|s| {
            for t in 0..8u8 {
                let path = &path;
                s.spawn(move || {
                    let mut d = Deployments::default();
                    d.set(31337, "InferenceOracle", Address::repeat_byte(t));
                    for _ in 0..50 {
                        d.save(path).unwrap();
                        Deployments::load(path).unwrap();
                    }
                });
            }
        });
        let d = Deployments::load(&path).unwrap();
        assert!(d.get(31337, "InferenceOracle").is_some());
    }

    #[test]
    fn an_unchanged_save_keeps_the_file_time() {
        let dir = verinfer_testing::TestDir::new("verinfer-deploy", "same");
        let path = dir.join("deployments.json");
        let mut d = Deployments::default();
        d.set(1, "ModelRegistry", Address::repeat_byte(1));
        d.save(&path).unwrap();
        let t = std::fs::metadata(&path).unwrap().modified().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        d.save(&path).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().modified().unwrap(), t);
    }
}

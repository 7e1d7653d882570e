use std::collections::BTreeMap;
use std::path::Path;

use alloy_primitives::{Address, Bytes};
use serde::{Deserialize, Serialize};

use crate::chain::{Chain, Receipt, Tx};
use crate::error::{ChainError, Result};

/// Where our contracts live on each chain: `{chain id → {contract name → address}}`, kept in a
/// small JSON file so that `register`, `claim`, `challenge` find the same contracts. A record
/// is trusted only after the code at the address is checked to be this build's bytecode.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deployments {
    chains: BTreeMap<String, BTreeMap<String, Address>>,
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

    /// Writes the record atomically (temporary file, then rename).
    ///
    /// # Errors
    /// [`ChainError::File`] on I/O failure.
    pub fn save(&self, path: &Path) -> Result<()> {
        let file_err = |message: String| ChainError::File {
            path: path.display().to_string(),
            message,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| file_err(e.to_string()))?;
        }
        let mut text = serde_json::to_string_pretty(self).map_err(|e| file_err(e.to_string()))?;
        text.push('\n');
        let tmp = path.with_extension("tmp");
        std::fs::write(&tmp, text).map_err(|e| file_err(e.to_string()))?;
        std::fs::rename(&tmp, path).map_err(|e| file_err(e.to_string()))
    }

    /// The recorded address of `contract` on `chain_id`.
    pub fn get(&self, chain_id: u64, contract: &str) -> Option<Address> {
        self.chains
            .get(&chain_id.to_string())
            .and_then(|m| m.get(contract))
            .copied()
    }

    /// Records `contract` at `address` on `chain_id`.
    pub fn set(&mut self, chain_id: u64, contract: &str, address: Address) {
        self.chains
            .entry(chain_id.to_string())
            .or_default()
            .insert(contract.to_string(), address);
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
    let receipt = chain.send(Tx::deploy(
        from,
        init_code.clone(),
        &format!("deploy {contract}"),
    ))?;
    let address = receipt
        .contract_address
        .ok_or_else(|| ChainError::NoContract {
            contract: contract.to_string(),
        })?;
    deployments.set(chain.chain_id(), contract, address);
    Ok((address, Some(receipt)))
}

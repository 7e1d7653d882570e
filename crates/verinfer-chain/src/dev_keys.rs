use alloy::signers::local::PrivateKeySigner;
use alloy_primitives::Address;

use crate::error::{ChainError, Result};

/// The well-known development keys of anvil and hardhat (mnemonic "test test … junk"). Public
/// knowledge: never hold value with them. They give the in-process chain and a fresh anvil the
/// same funded accounts, so a scenario reads the same on both.
pub const DEV_PRIVATE_KEYS: [&str; 4] = [
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
];

/// Parses a hex private key (with or without 0x).
///
/// # Errors
/// [`ChainError::BadKey`] naming what is wrong, never echoing the key.
pub fn parse_key(hex_key: &str) -> Result<PrivateKeySigner> {
    hex_key
        .trim()
        .parse::<PrivateKeySigner>()
        .map_err(|e| ChainError::BadKey(format!("not a 32-byte hex secp256k1 key ({e})")))
}

/// The signers of [`DEV_PRIVATE_KEYS`].
///
/// # Errors
/// Never for the constants above; kept fallible so no `expect` is needed.
pub fn dev_signers() -> Result<Vec<PrivateKeySigner>> {
    DEV_PRIVATE_KEYS.iter().map(|k| parse_key(k)).collect()
}

/// The addresses of [`DEV_PRIVATE_KEYS`].
///
/// # Errors
/// As [`dev_signers`].
pub fn dev_accounts() -> Result<Vec<Address>> {
    Ok(dev_signers()?
        .iter()
        .map(PrivateKeySigner::address)
        .collect())
}

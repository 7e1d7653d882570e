//! The arguments the tensor and the text oracle commands share: what a request pays and whom
//! it calls back, and whom a minted token goes to.

use anyhow::{Context, Result};
use verinfer_chain::{Address, U256};

/// `address` parsed, naming the flag it came from when it is not one.
fn parse_address(flag: &str, s: &str) -> Result<Address> {
    s.parse::<Address>()
        .with_context(|| format!("{flag} {s:?} is not an address"))
}

/// What a request pays and whom it calls back (`oracle request`, `oracle text-request`).
#[derive(clap::Args)]
pub struct PayArgs {
    /// Contract to call back with the answer (IInferenceConsumer for a tensor request,
    /// IGenerationConsumer for a text request); none by default.
    #[arg(long)]
    pub callback: Option<String>,
    /// Gas for the callback.
    #[arg(long, default_value_t = 500_000)]
    pub callback_gas: u64,
    /// Fee to pay, wei (default: the oracle's minimum).
    #[arg(long)]
    pub fee_wei: Option<u128>,
}

impl PayArgs {
    /// The callback contract (zero: none).
    pub fn callback(&self) -> Result<Address> {
        self.callback
            .as_deref()
            .map_or(Ok(Address::ZERO), |s| parse_address("--callback", s))
    }

    /// The fee: `--fee-wei`, or what `required` (the oracle's `requiredFee` for the callback
    /// gas) says.
    pub fn fee(&self, required: impl FnOnce(u64) -> Result<U256>) -> Result<U256> {
        match self.fee_wei {
            Some(f) => Ok(U256::from(f)),
            None => required(self.callback_gas),
        }
    }
}

/// Whom a minted token goes to, and its URI (`oracle mint`, `oracle mint-text`).
#[derive(clap::Args)]
pub struct MintTo {
    /// Owner of the token (default: the sender).
    #[arg(long)]
    pub to: Option<String>,
    /// Token URI.
    #[arg(long, default_value = "")]
    pub uri: String,
}

impl MintTo {
    /// The owner: `--to`, or `from` (the sender).
    pub fn owner(&self, from: Address) -> Result<Address> {
        self.to
            .as_deref()
            .map_or(Ok(from), |s| parse_address("--to", s))
    }
}

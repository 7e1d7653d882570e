//! A fulfilment as either oracle reports it. `InferenceOracle` and `GenerationOracle` declare
//! `Fulfilled`, `CallbackDelivered` and `CallbackFailed` with the same signatures (the same
//! topics), so one decoder reads the settlement of both contracts' receipts.

use alloy_primitives::{Address, U256};
use alloy_sol_types::SolEvent;
use verinfer_chain::Receipt;

use crate::error::{OracleError, Result};

mod events {
    alloy_sol_types::sol! {
        /// A request paid out (both oracles).
        event Fulfilled(
            uint256 indexed requestId,
            address indexed answerer,
            address indexed modelOwner,
            uint256 ownerShare,
            uint256 answererShare
        );
        /// The callback returned normally (both oracles).
        event CallbackDelivered(uint256 indexed requestId, address indexed callback);
        /// The callback reverted or ran out of gas (both oracles).
        event CallbackFailed(uint256 indexed requestId, address indexed callback);
    }
}

/// What the callback did when a request was fulfilled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallbackOutcome {
    /// The request has no callback.
    NoCallback,
    /// The callback returned normally.
    Delivered,
    /// The callback reverted, ran out of gas, or has no code (the fulfilment stands).
    Failed,
}

/// A fulfilment: the receipt, the fee split and the callback's outcome.
#[derive(Clone, Debug)]
pub struct Settlement {
    /// The transaction (`settle` or `answerWithProof`).
    pub receipt: Receipt,
    /// The node paid.
    pub answerer: Address,
    /// The model's owner paid.
    pub model_owner: Address,
    /// The owner's share (wei).
    pub owner_share: U256,
    /// The node's share (wei).
    pub answerer_share: U256,
    /// What the callback did.
    pub callback: CallbackOutcome,
}

impl Settlement {
    /// From the first `Fulfilled` event of `contract` in a fulfilling transaction's receipt
    /// (answerer, model owner, their shares) and its first callback event (none: the request
    /// had no callback).
    ///
    /// # Errors
    /// [`OracleError::Protocol`] when the receipt has no `Fulfilled` event of `contract`.
    pub(crate) fn from_receipt(contract: Address, receipt: Receipt) -> Result<Self> {
        let mut fulfilled = None;
        let mut callback = None;
        for log in receipt.logs.iter().filter(|l| l.address == contract) {
            if let Ok(f) = events::Fulfilled::decode_log(log) {
                fulfilled = fulfilled.or(Some(f.data));
            } else if events::CallbackDelivered::decode_log(log).is_ok() {
                callback = callback.or(Some(CallbackOutcome::Delivered));
            } else if events::CallbackFailed::decode_log(log).is_ok() {
                callback = callback.or(Some(CallbackOutcome::Failed));
            }
        }
        let f =
            fulfilled.ok_or_else(|| OracleError::protocol(&receipt.label, "no Fulfilled event"))?;
        Ok(Self {
            answerer: f.answerer,
            model_owner: f.modelOwner,
            owner_share: f.ownerShare,
            answerer_share: f.answererShare,
            callback: callback.unwrap_or(CallbackOutcome::NoCallback),
            receipt,
        })
    }
}

#[cfg(test)]
mod tests {
    use alloy_sol_types::SolEvent;
    use verinfer_chain::bindings_oracle::InferenceOracle;

    use super::events;
    use crate::bindings_text::GenerationOracle;

    /// The shared decoder is only right while both contracts keep these signatures.
    #[test]
    fn both_oracles_emit_the_shared_settlement_events() {
        let shared = [
            events::Fulfilled::SIGNATURE_HASH,
            events::CallbackDelivered::SIGNATURE_HASH,
            events::CallbackFailed::SIGNATURE_HASH,
        ];
        let inference = [
            InferenceOracle::Fulfilled::SIGNATURE_HASH,
            InferenceOracle::CallbackDelivered::SIGNATURE_HASH,
            InferenceOracle::CallbackFailed::SIGNATURE_HASH,
        ];
        let generation = [
            GenerationOracle::Fulfilled::SIGNATURE_HASH,
            GenerationOracle::CallbackDelivered::SIGNATURE_HASH,
            GenerationOracle::CallbackFailed::SIGNATURE_HASH,
        ];
        assert_eq!(shared, inference);
        assert_eq!(shared, generation);
    }
}

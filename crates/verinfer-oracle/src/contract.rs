//! What the oracle's clients share: their `ContractClient` impl, a call read back through its
//! event, their contract's events.

use alloy_primitives::{Address, Log, U256};
use alloy_sol_types::{SolCall, SolEventInterface};
use verinfer_chain::{Chain, ContractClient, Receipt};

use crate::error::{OracleError, Result};

/// `v` as a `u64` (counts and ids the contracts keep in `uint256`).
///
/// # Errors
/// [`OracleError::Protocol`] naming `what` when it does not fit.
pub(crate) fn u64_of(v: U256, what: &str) -> Result<u64> {
    u64::try_from(v).map_err(|_| OracleError::protocol(what, format!("{v} does not fit 64 bits")))
}

/// A client's [`Client`] impl and its two public event readers, for the event enum of its
/// contract (every client has them; written once here).
macro_rules! client_of {
    ($client:ty, $events:ty) => {
        impl $client {
            /// The contract's events among `logs` (other contracts' logs are skipped).
            pub fn decode_events(&self, logs: &[alloy_primitives::Log]) -> Vec<$events> {
                crate::contract::decode_events(self.address, logs)
            }

            /// The contract's events in a receipt.
            pub fn receipt_events(&self, r: &verinfer_chain::Receipt) -> Vec<$events> {
                self.decode_events(&r.logs)
            }
        }

        impl verinfer_chain::ContractClient for $client {
            type Error = crate::error::OracleError;

            fn at(&self) -> alloy_primitives::Address {
                self.address
            }
        }

        impl crate::contract::Client for $client {}
    };
}
pub(crate) use client_of;

/// What the oracle's clients add to [`ContractClient`].
pub(crate) trait Client: ContractClient<Error = OracleError> {
    /// Sends `call` from `from` paying `value` wei, and reads what the contract's event `event`
    /// in the receipt carries (`pick` finds it): a request's or a token's id. Every client's
    /// request and mint read their id this way.
    ///
    /// # Errors
    /// The call's revert or transport errors; [`OracleError::Protocol`] when no such event
    /// was emitted.
    #[allow(clippy::too_many_arguments)]
    fn send_for<C: SolCall, E: SolEventInterface, T>(
        &self,
        chain: &mut dyn Chain,
        from: Address,
        (call, value): (&C, U256),
        label: &str,
        event: &str,
        pick: impl FnMut(E) -> Option<T>,
    ) -> Result<(T, Receipt)> {
        let r = self.send_value(chain, from, value, call, label)?;
        let found = decode_events::<E>(self.at(), &r.logs)
            .into_iter()
            .find_map(pick)
            .ok_or_else(|| OracleError::protocol(label, format!("no {event} event")))?;
        Ok((found, r))
    }
}

/// `address`'s events of type `E` among `logs` (other contracts' logs are skipped).
pub(crate) fn decode_events<E: SolEventInterface>(address: Address, logs: &[Log]) -> Vec<E> {
    logs.iter()
        .filter(|l| l.address == address)
        .filter_map(|l| E::decode_log(l).ok())
        .map(|l| l.data)
        .collect()
}

/// Every log of `address` from block `from_block` on, in chain order.
pub(crate) fn logs_since(
    chain: &mut dyn Chain,
    address: Address,
    from_block: u64,
) -> Result<Vec<Log>> {
    Ok(chain
        .logs(address, from_block)?
        .into_iter()
        .map(|l| l.log)
        .collect())
}

use alloy_primitives::Address;
use alloy_sol_types::SolCall;

use crate::chain::{Chain, Receipt, Tx};
use crate::error::{ChainError, Result};

/// Sends `call` to `to` from `from` and waits for the receipt.
///
/// # Errors
/// As [`Chain::send`].
pub fn send_call<C: SolCall>(
    chain: &mut dyn Chain,
    from: Address,
    to: Address,
    call: &C,
    label: &str,
) -> Result<Receipt> {
    chain.send(Tx::call(from, to, call.abi_encode(), label))
}

/// Evaluates a view function and decodes its return value.
///
/// # Errors
/// As [`Chain::call`]; [`ChainError::Decode`] when the answer does not decode (e.g. no code at
/// `to`, or a node that answers garbage).
pub fn view<C: SolCall>(
    chain: &mut dyn Chain,
    from: Address,
    to: Address,
    call: &C,
    label: &str,
) -> Result<C::Return> {
    let out = chain.call(from, to, call.abi_encode().into())?;
    C::abi_decode_returns(&out).map_err(|e| ChainError::Decode {
        what: label.to_string(),
        message: format!("{e} ({} bytes returned)", out.len()),
    })
}

/// [`view`] sent from the chain's default account: a view's sender does not matter to the
/// contracts' getters, so clients need not carry one.
///
/// # Errors
/// As [`view`], or no default account.
pub fn view_default<C: SolCall>(
    chain: &mut dyn Chain,
    to: Address,
    call: &C,
    label: &str,
) -> Result<C::Return> {
    let from = crate::chain::default_account(chain)?;
    view(chain, from, to, call, label)
}

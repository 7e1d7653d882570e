use alloy_primitives::{Address, U256};
use alloy_sol_types::SolCall;

use crate::chain::{Chain, Receipt, Tx};
use crate::error::{ChainError, Result};

/// Deploys creation code `code` followed by its ABI-encoded constructor arguments `args` as the
/// contract `name` (the transaction is labelled `deploy <name>`): the new contract's address.
///
/// # Errors
/// As [`Chain::send`]; [`ChainError::NoContract`] when the receipt names no contract.
pub fn deploy_code(
    chain: &mut dyn Chain,
    from: Address,
    code: &[u8],
    args: &[u8],
    name: &str,
) -> Result<(Address, Receipt)> {
    let mut bytes = code.to_vec();
    bytes.extend_from_slice(args);
    let receipt = chain.send(Tx::deploy(from, bytes, &format!("deploy {name}")))?;
    let address = receipt
        .contract_address
        .ok_or_else(|| ChainError::NoContract {
            contract: name.to_string(),
        })?;
    Ok((address, receipt))
}

/// A typed client of one deployed contract: sends it calls and reads its views. Every crate's
/// clients share these; `Error` is the client crate's own (its `From<ChainError>` decodes the
/// contract's reverts).
pub trait ContractClient {
    /// The client's error.
    type Error: From<ChainError>;

    /// The contract.
    fn at(&self) -> Address;

    /// Sends `call` from `from`.
    ///
    /// # Errors
    /// As [`Chain::send`].
    fn send<C: SolCall>(
        &self,
        chain: &mut dyn Chain,
        from: Address,
        call: &C,
        label: &str,
    ) -> std::result::Result<Receipt, Self::Error> {
        Ok(send_call(chain, from, self.at(), call, label)?)
    }

    /// Sends `call` from `from` paying `value` wei.
    ///
    /// # Errors
    /// As [`Chain::send`].
    fn send_value<C: SolCall>(
        &self,
        chain: &mut dyn Chain,
        from: Address,
        value: U256,
        call: &C,
        label: &str,
    ) -> std::result::Result<Receipt, Self::Error> {
        let tx = Tx::call(from, self.at(), call.abi_encode(), label).with_value(value);
        Ok(chain.send(tx)?)
    }

    /// Reads the view `call` (from the chain's default account).
    ///
    /// # Errors
    /// As [`view_default`].
    fn view<C: SolCall>(
        &self,
        chain: &mut dyn Chain,
        call: &C,
        label: &str,
    ) -> std::result::Result<C::Return, Self::Error> {
        Ok(view_default(chain, self.at(), call, label)?)
    }
}

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

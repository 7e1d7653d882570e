//! The `IProofVerifier` of a zk configuration, whatever the backend: deployed for a key (the
//! backend knows its contracts, `verinfer_prove::EvmVerifiable::deploy_adapter`;
//! [`ChainDeployer`] sends them from one account on one chain) and asked about a proof
//! ([`check_proof`]). `InferenceOracle.setZkVerifier` publishes the address.

use alloy_primitives::{Address, Bytes, B256};
use verinfer_chain::{view, Chain, Receipt};
use verinfer_prove::{AnyKey, ContractDeployer, DynBackend, ProveError};

use crate::error::{OracleError, Result};

/// Creates contracts from `from` on `chain`, keeping each creation's receipt (gas, address).
pub struct ChainDeployer<'a> {
    chain: &'a mut dyn Chain,
    from: Address,
    /// The receipts of the contracts created so far, in order.
    pub receipts: Vec<Receipt>,
}

impl<'a> ChainDeployer<'a> {
    /// A deployer sending from `from`.
    pub fn new(chain: &'a mut dyn Chain, from: Address) -> Self {
        Self {
            chain,
            from,
            receipts: Vec::new(),
        }
    }
}

impl ContractDeployer for ChainDeployer<'_> {
    fn create(
        &mut self,
        contract: &str,
        init_code: Vec<u8>,
    ) -> std::result::Result<Address, ProveError> {
        let (address, receipt) =
            verinfer_chain::deploy_code(&mut *self.chain, self.from, &init_code, &[], contract)
                .map_err(|e| ProveError::Deploy {
                    contract: contract.to_string(),
                    message: OracleError::from(e).to_string(),
                })?;
        self.receipts.push(receipt);
        Ok(address)
    }
}

/// Deploys `backend`'s `IProofVerifier` for `vk` from `from`: its address (what
/// [`crate::ZkSettings::verifier`] holds) and the receipts of every contract created.
///
/// # Errors
/// [`OracleError::Prove`]: a key the backend cannot verify on chain (a packed-statement
/// key, a key of another backend) or a creation that failed.
pub fn deploy_adapter(
    chain: &mut dyn Chain,
    from: Address,
    backend: &dyn DynBackend,
    vk: &AnyKey,
) -> Result<(Address, Vec<Receipt>)> {
    let mut deployer = ChainDeployer::new(chain, from);
    let address = backend
        .deploy_adapter(vk, &mut deployer)
        .map_err(OracleError::Prove)?;
    Ok((address, deployer.receipts))
}

alloy_sol_types::sol! {
    /// `contracts/src/IProofVerifier.sol` (an interface: no artifact to generate it from).
    interface IProofVerifier {
        function verify(bytes calldata proof, bytes32 statement) external view returns (bool);
    }
}

/// `IProofVerifier(verifier).verify(proof, statement)` by a call (free, nothing mined): what
/// the oracle will say of the proof, checked before a transaction is paid for.
///
/// # Errors
/// The verifier's revert (a malformed proof; [`OracleError::Chain`] with its data) or
/// transport errors.
pub fn check_proof(
    chain: &mut dyn Chain,
    from: Address,
    verifier: Address,
    proof: &Bytes,
    statement: B256,
) -> Result<bool> {
    let call = IProofVerifier::verifyCall {
        proof: proof.clone(),
        statement,
    };
    Ok(view(chain, from, verifier, &call, "IProofVerifier.verify")?)
}

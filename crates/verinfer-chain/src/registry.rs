use alloy_primitives::{Address, B256};
use alloy_sol_types::SolEvent;

use crate::abi::{send_call, view_default};
use crate::bindings::ModelRegistry;
use crate::chain::{Chain, Receipt, Tx};
use crate::deployments::{ensure_deployed, Deployments};
use crate::error::{ChainError, Result};

/// A client of a deployed `ModelRegistry`: where models are registered by their root (the
/// `modelId`) before anyone may claim an inference of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Registry {
    /// The contract.
    pub address: Address,
}

/// A registered model as the registry records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModelRecord {
    /// The model root.
    pub model_id: B256,
    /// Who registered it (or received ownership since).
    pub owner: Address,
    /// Block timestamp of registration.
    pub registered_at: u64,
    /// Where the model file can be fetched (free-form; not verified on chain).
    pub uri: String,
}

/// What [`register_model`] found and did.
#[derive(Clone, Debug)]
pub struct Registration {
    /// The registry used.
    pub registry: Registry,
    /// Whether the model was registered before (then no registration was sent).
    pub already_registered: bool,
    /// The model's record after the call.
    pub record: ModelRecord,
    /// The transactions sent, in order: the registry's deployment, the registration.
    pub receipts: Vec<Receipt>,
}

/// Registers `model_id` under `uri` in the registry at `at` (its code checked) or, with no
/// address, the one recorded in `deployments` (deployed and recorded when missing); sends
/// nothing when the model is registered already. What `verinfer register` and the Python
/// `register` do, written once.
///
/// # Errors
/// [`ChainError::NotDeployed`] or [`ChainError::CodeMismatch`] for `at`; reverts and
/// transport errors.
pub fn register_model(
    chain: &mut dyn Chain,
    deployments: &mut Deployments,
    from: Address,
    at: Option<Address>,
    model_id: B256,
    uri: &str,
) -> Result<Registration> {
    let mut receipts = Vec::new();
    let registry = match at {
        Some(address) => Registry::at(chain, address)?,
        None => {
            let (registry, r) = Registry::ensure(chain, deployments, from)?;
            receipts.extend(r);
            registry
        }
    };
    let already_registered = registry.is_registered(chain, model_id)?;
    if !already_registered {
        receipts.push(registry.register(chain, from, model_id, uri)?);
    }
    let record = registry.model(chain, model_id)?;
    Ok(Registration {
        registry,
        already_registered,
        record,
        receipts,
    })
}

/// The registry's commitment to registering `model_id` by `publisher` with `salt`
/// (`ModelRegistry.commitmentOf`).
pub fn commitment_of(model_id: B256, publisher: Address, salt: B256) -> B256 {
    use alloy_sol_types::SolValue;
    alloy_primitives::keccak256((model_id, publisher, salt).abi_encode())
}

impl Registry {
    /// The contract's name in artifacts and deployment records.
    pub const NAME: &'static str = "ModelRegistry";

    /// Deploys a new registry from `from`.
    ///
    /// # Errors
    /// As [`Chain::send`].
    pub fn deploy(chain: &mut dyn Chain, from: Address) -> Result<(Self, Receipt)> {
        let (address, receipt) =
            crate::deploy_code(chain, from, &ModelRegistry::BYTECODE, &[], Self::NAME)?;
        Ok((Self { address }, receipt))
    }

    /// The registry recorded in `deployments` (its code checked), or a fresh one deployed and
    /// recorded; the deployment's receipt when one was sent.
    ///
    /// # Errors
    /// As [`Chain::send`].
    pub fn ensure(
        chain: &mut dyn Chain,
        deployments: &mut Deployments,
        from: Address,
    ) -> Result<(Self, Option<Receipt>)> {
        let (address, r) = ensure_deployed(
            chain,
            deployments,
            Self::NAME,
            &ModelRegistry::BYTECODE,
            &ModelRegistry::DEPLOYED_BYTECODE,
            from,
        )?;
        Ok((Self { address }, r))
    }

    /// A registry at `address`, after checking that the code there is this build's registry.
    ///
    /// # Errors
    /// [`ChainError::NotDeployed`] or [`ChainError::CodeMismatch`].
    pub fn at(chain: &mut dyn Chain, address: Address) -> Result<Self> {
        let code = chain.code_at(address)?;
        if code.is_empty() {
            return Err(ChainError::NotDeployed {
                contract: Self::NAME.into(),
                address,
            });
        }
        if code != ModelRegistry::DEPLOYED_BYTECODE {
            return Err(ChainError::CodeMismatch {
                contract: Self::NAME.into(),
                address,
            });
        }
        Ok(Self { address })
    }

    /// Registers `model_id` with `uri`, owned by `from`: commits to (model, `from`, a fresh
    /// random salt) in one transaction, then reveals it in the next (the registry's
    /// commit–reveal keeps the id from being front-run). Returns the `register` receipt.
    ///
    /// # Errors
    /// [`ChainError::Reverted`] with `AlreadyRegistered`, `ZeroModelId`, `NoCommitment` (the
    /// chain put both transactions in one block); transport errors.
    pub fn register(
        &self,
        chain: &mut dyn Chain,
        from: Address,
        model_id: B256,
        uri: &str,
    ) -> Result<Receipt> {
        // Refuse a taken or zero id before paying for a commitment: a call of `register`
        // reverts `AlreadyRegistered` / `ZeroModelId` before it looks for a commitment, so any
        // other revert here (`NoCommitment`) is the expected one.
        let probe = ModelRegistry::registerCall {
            modelId: model_id,
            uri: uri.to_string(),
            salt: B256::ZERO,
        };
        match chain.call(
            from,
            self.address,
            alloy_sol_types::SolCall::abi_encode(&probe).into(),
        ) {
            Err(ChainError::Reverted { reason, .. }) if reason.contains("NoCommitment") => {}
            Err(e) => return Err(e),
            Ok(_) => {}
        }
        let mut salt = [0u8; 32];
        getrandom::fill(&mut salt).map_err(|e| ChainError::Decode {
            what: "registration salt".into(),
            message: format!("no randomness from the operating system: {e}"),
        })?;
        let salt = B256::from(salt);
        let commitment = commitment_of(model_id, from, salt);
        send_call(
            chain,
            from,
            self.address,
            &ModelRegistry::commitCall { commitment },
            "ModelRegistry.commit",
        )?;
        self.reveal(chain, from, model_id, uri, salt)
    }

    /// The second step of [`Registry::register`]: registers `model_id` revealing `salt`,
    /// committed by `from` in an earlier block.
    ///
    /// # Errors
    /// As [`Registry::register`].
    pub fn reveal(
        &self,
        chain: &mut dyn Chain,
        from: Address,
        model_id: B256,
        uri: &str,
        salt: B256,
    ) -> Result<Receipt> {
        let call = ModelRegistry::registerCall {
            modelId: model_id,
            uri: uri.to_string(),
            salt,
        };
        // A fixed gas limit, not an estimate: a node estimates against its latest block, in
        // which the commitment is not yet "from an earlier block", so the estimate reverts
        // although the transaction, mined in the next block, succeeds. The limit covers the
        // record (~140k) and the URI's storage (~22.1k per 32 bytes) with a margin.
        let uri_words = uri.len().div_ceil(32) as u64;
        let mut tx = Tx::call(
            from,
            self.address,
            alloy_sol_types::SolCall::abi_encode(&call),
            "ModelRegistry.register",
        );
        tx.gas_limit = Some(200_000 + 25_000 * uri_words);
        let receipt = chain.send(tx)?;
        // The event is the registry's public record: check it says what we asked.
        let logged = receipt
            .logs
            .iter()
            .filter(|l| l.address == self.address)
            .find_map(|l| ModelRegistry::ModelRegistered::decode_log(l).ok());
        match logged {
            Some(ev) if ev.modelId == model_id && ev.owner == from => Ok(receipt),
            _ => Err(ChainError::Decode {
                what: "ModelRegistry.register".into(),
                message: "the receipt carries no matching ModelRegistered event".into(),
            }),
        }
    }

    /// Whether `model_id` is registered.
    ///
    /// # Errors
    /// Transport or decoding errors.
    pub fn is_registered(&self, chain: &mut dyn Chain, model_id: B256) -> Result<bool> {
        view_default(
            chain,
            self.address,
            &ModelRegistry::isRegisteredCall { modelId: model_id },
            "ModelRegistry.isRegistered",
        )
    }

    /// The record of `model_id`.
    ///
    /// # Errors
    /// [`ChainError::Reverted`] with `UnknownModel` for an unregistered id.
    pub fn model(&self, chain: &mut dyn Chain, model_id: B256) -> Result<ModelRecord> {
        let info = view_default(
            chain,
            self.address,
            &ModelRegistry::modelInfoCall { modelId: model_id },
            "ModelRegistry.modelInfo",
        )?;
        Ok(ModelRecord {
            model_id,
            owner: info.owner,
            registered_at: info.registeredAt,
            uri: info.uri,
        })
    }

    /// Number of registered models.
    ///
    /// # Errors
    /// Transport or decoding errors.
    pub fn count(&self, chain: &mut dyn Chain) -> Result<u64> {
        let n = view_default(
            chain,
            self.address,
            &ModelRegistry::modelCountCall {},
            "ModelRegistry.modelCount",
        )?;
        u64::try_from(n).map_err(|_| ChainError::Decode {
            what: "ModelRegistry.modelCount".into(),
            message: format!("count {n} does not fit in 64 bits"),
        })
    }

    /// Hands `model_id` over to `new_owner`; only its current owner may.
    ///
    /// # Errors
    /// [`ChainError::Reverted`] with `NotModelOwner`, `ZeroAddress` or `UnknownModel`.
    pub fn transfer(
        &self,
        chain: &mut dyn Chain,
        from: Address,
        model_id: B256,
        new_owner: Address,
    ) -> Result<Receipt> {
        send_call(
            chain,
            from,
            self.address,
            &ModelRegistry::transferModelOwnershipCall {
                modelId: model_id,
                newOwner: new_owner,
            },
            "ModelRegistry.transferModelOwnership",
        )
    }
}

//! A typed client of a deployed `InferenceOracle` (contracts/src/InferenceOracle.sol): one
//! method per entry point, the views, and the decoding of its events from receipts and logs.

use alloy_primitives::{keccak256, Address, Bytes, Log, B256, U256};
use alloy_sol_types::{SolEvent, SolValue};
use verinfer_chain::bindings_oracle::InferenceOracle::{self, InferenceOracleEvents};
use verinfer_chain::{Chain, ContractClient, Receipt};
use verinfer_opml::{GameClient, GameConfig, Submitter};

use crate::contract::{u64_of, Client};
use crate::error::{OracleError, Result};
use crate::ids::{model_word, RequestId};
pub use crate::settlement::{CallbackOutcome, Settlement};
use verinfer_commit::ModelId;

/// The oracle's constructor parameters (all immutable once deployed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OracleParams {
    /// Minimum fee of a request (wei).
    pub fee: U256,
    /// Share of a fee paid to the model's owner (basis points); the rest goes to the node.
    pub owner_share_bps: u16,
    /// Seconds after a request before its requester may cancel it if still open.
    pub cancel_delay: u64,
    /// Largest callback gas limit a request may ask for.
    pub max_callback_gas: u64,
}

impl Default for OracleParams {
    /// 0.01 ETH, 10% to the model owner, cancel after a day, callbacks up to 2M gas.
    fn default() -> Self {
        Self {
            fee: U256::from(10u64).pow(U256::from(16u64)),
            owner_share_bps: 1_000,
            cancel_delay: 86_400,
            max_callback_gas: 2_000_000,
        }
    }
}

/// A request's state, as `InferenceOracle.Status` numbers it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestStatus {
    /// No such request.
    None,
    /// Waiting for an answer.
    Open,
    /// Answered by a claim that is not final yet.
    Claimed,
    /// Paid and called back.
    Fulfilled,
    /// Refunded to the requester.
    Cancelled,
}

impl RequestStatus {
    /// From the contract's `uint8`.
    ///
    /// # Errors
    /// [`OracleError::Protocol`] for a number the contract does not define.
    pub fn from_u8(s: u8) -> Result<Self> {
        Ok(match s {
            0 => Self::None,
            1 => Self::Open,
            2 => Self::Claimed,
            3 => Self::Fulfilled,
            4 => Self::Cancelled,
            _ => {
                return Err(OracleError::protocol(
                    "InferenceOracle.Status",
                    format!("unknown status {s}"),
                ))
            }
        })
    }
}

/// A model's zk configuration: the `IProofVerifier` of its keys (any backend's adapter; the
/// statement is the digest, docs/oracle.md §3) and the statement's layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ZkSettings {
    /// The `IProofVerifier` contract (Groth16: `Groth16ProofVerifier` around the key's
    /// `Groth16Verifier`; deployed by `verinfer_prove::DynBackend::deploy_adapter`).
    pub verifier: Address,
    /// Packing width of the input values.
    pub input_bits: u8,
    /// Packing width of the output values.
    pub output_bits: u8,
    /// The parameter hash public input, if the circuit has one.
    pub param_hash: Option<U256>,
}

/// A deployed `InferenceOracle`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OracleClient {
    /// The contract.
    pub address: Address,
}

impl OracleClient {
    /// The contract's name in artifacts and deployment records.
    pub const NAME: &'static str = "InferenceOracle";

    /// An oracle at `address`, after checking that the code there is this build's oracle
    /// (immutables aside: they are patched into the runtime code, so only the length and the
    /// presence of code are checked).
    ///
    /// # Errors
    /// [`OracleError::Protocol`] when there is no code or code of another length.
    pub fn at(chain: &mut dyn Chain, address: Address) -> Result<Self> {
        let code = chain.code_at(address)?;
        if code.is_empty() || code.len() != InferenceOracle::DEPLOYED_BYTECODE.len() {
            return Err(OracleError::protocol(
                Self::NAME,
                format!("the code at {address} is not this build's oracle"),
            ));
        }
        Ok(Self { address })
    }

    // ------------------------------------------------------------------ entry points

    /// Requests `model_id` on `input`, paying `fee` wei; returns the request id. `zk_version`
    /// is the model's zk configuration the requester trusts (0: answers by claim only).
    ///
    /// # Errors
    /// `FeeTooLow`, `UnknownModel`, `ModelNotLearned`, `EmptyInput`, `InvalidInput` (the
    /// game's reason: tensor count, length or bit range), `CallbackGasTooHigh`,
    /// `NoSuchZkVersion`.
    #[allow(clippy::too_many_arguments)]
    pub fn request(
        &self,
        chain: &mut dyn Chain,
        from: Address,
        model_id: ModelId,
        input: &[Vec<i32>],
        callback: Address,
        callback_gas_limit: u64,
        fee: U256,
        zk_version: u32,
    ) -> Result<(RequestId, Receipt)> {
        let call = InferenceOracle::requestCall {
            modelId: model_word(model_id),
            input: input.to_vec(),
            callback,
            callbackGasLimit: callback_gas_limit,
            zkVersion: zk_version,
        };
        let (id, r) = self.send_for(
            chain,
            from,
            (&call, fee),
            "InferenceOracle.request",
            "Requested",
            |e| match e {
                InferenceOracleEvents::Requested(ev) => Some(ev.requestId),
                _ => None,
            },
        )?;
        Ok((RequestId::new(u64_of(id, "request id")?), r))
    }

    /// Answers `request` with `submitter`'s claim, posted through the game's `claimAndCall`
    /// with this oracle as listener: the claim and the answer are one transaction, bound to
    /// the submitter and the request. Returns the claim id.
    ///
    /// # Errors
    /// The game's reverts (bond, openings, input data) and the oracle's (`NotOpen`,
    /// `TooManyAnswers`, `ModelMismatch`, `InputMismatch`), or transport errors.
    pub fn answer(
        &self,
        chain: &mut dyn Chain,
        game: &GameClient,
        cfg: &GameConfig,
        submitter: &Submitter,
        request: RequestId,
    ) -> Result<(u64, Receipt)> {
        submitter
            .claim_and_call(chain, game, cfg, self.address, request.index())
            .map_err(|e| match e {
                // The oracle's refusal reverts the claim: decode it as the oracle's error.
                verinfer_opml::OpmlError::Chain(c) => OracleError::from(c),
                other => OracleError::from(other),
            })
    }

    /// Settles a claimed request with `outputs`, those of one of its answering claims that
    /// is final: pays and calls back.
    ///
    /// # Errors
    /// `NotClaimed`, output shape errors, `NotFinal` (no final answering claim has these
    /// outputs), `InsufficientGasForCallback`.
    pub fn settle(
        &self,
        chain: &mut dyn Chain,
        from: Address,
        request: RequestId,
        outputs: &[Vec<i32>],
    ) -> Result<Settlement> {
        let r = self.send(
            chain,
            from,
            &InferenceOracle::settleCall {
                requestId: request.word(),
                outputs: outputs.to_vec(),
            },
            "InferenceOracle.settle",
        )?;
        Settlement::from_receipt(self.address, r)
    }

    /// Answers `request` with a proof of `outputs` in the backend's encoding
    /// (`verinfer_prove::DynBackend::proof_calldata`), checked by the `IProofVerifier` of the
    /// configuration the request pinned; final at once.
    ///
    /// # Errors
    /// `NotOpen`, `ZkRefused` (the request pinned no zk configuration), output shape errors,
    /// `ValueOutOfRange`, `InvalidProof` (the verifier says no), `VerifierReverted` (a
    /// malformed proof; the verifier's reason inside).
    pub fn answer_with_proof(
        &self,
        chain: &mut dyn Chain,
        from: Address,
        request: RequestId,
        outputs: &[Vec<i32>],
        proof: Bytes,
    ) -> Result<Settlement> {
        let r = self.send(
            chain,
            from,
            &InferenceOracle::answerWithProofCall {
                requestId: request.word(),
                outputs: outputs.to_vec(),
                proof,
            },
            "InferenceOracle.answerWithProof",
        )?;
        Settlement::from_receipt(self.address, r)
    }

    /// Publishes a zk configuration of `model_id` (its owner only): `s.verifier` is an
    /// `IProofVerifier` of the model's digest-statement keys.
    ///
    /// # Errors
    /// `NotModelOwner`, `NotAContract`, `BadBitWidth`.
    pub fn set_zk_verifier(
        &self,
        chain: &mut dyn Chain,
        from: Address,
        model_id: ModelId,
        s: &ZkSettings,
    ) -> Result<Receipt> {
        self.send(
            chain,
            from,
            &InferenceOracle::setZkVerifierCall {
                modelId: model_word(model_id),
                verifier: s.verifier,
                inputBits: s.input_bits,
                outputBits: s.output_bits,
                hasParamHash: s.param_hash.is_some(),
                paramHash: s.param_hash.unwrap_or(U256::ZERO),
            },
            "InferenceOracle.setZkVerifier",
        )
    }

    // ------------------------------------------------------------------ views

    /// The parameters the oracle was deployed with.
    ///
    /// # Errors
    /// Transport errors.
    pub fn params(&self, chain: &mut dyn Chain) -> Result<OracleParams> {
        Ok(OracleParams {
            fee: self.view(chain, &InferenceOracle::feeCall {}, "fee")?,
            owner_share_bps: self.view(
                chain,
                &InferenceOracle::ownerShareBpsCall {},
                "ownerShareBps",
            )?,
            cancel_delay: self.view(chain, &InferenceOracle::cancelDelayCall {}, "cancelDelay")?,
            max_callback_gas: self.view(
                chain,
                &InferenceOracle::maxCallbackGasCall {},
                "maxCallbackGas",
            )?,
        })
    }

    /// The input of a request, from its `Requested` event (the contract keeps only hashes of
    /// it), checked against the stored `inputsHash`: a lying endpoint cannot swap it.
    ///
    /// # Errors
    /// `NoSuchRequest`; [`OracleError::Protocol`] when the event is missing or does not match
    /// the stored hash.
    pub fn input_of(&self, chain: &mut dyn Chain, request: RequestId) -> Result<Vec<Vec<i32>>> {
        Ok(self.requested_event(chain, request)?.input)
    }

    /// The tensor roots of the request's input (from its checked `Requested` event).
    ///
    /// # Errors
    /// As [`OracleClient::input_of`].
    pub fn input_roots(&self, chain: &mut dyn Chain, request: RequestId) -> Result<Vec<B256>> {
        Ok(self.requested_event(chain, request)?.inputRoots)
    }

    /// The answer of a claimed or fulfilled request (empty otherwise).
    ///
    /// # Errors
    /// `NoSuchRequest`.
    pub fn outputs_of(&self, chain: &mut dyn Chain, request: RequestId) -> Result<Vec<Vec<i32>>> {
        self.view(
            chain,
            &InferenceOracle::outputsOfCall {
                requestId: request.word(),
            },
            "InferenceOracle.outputsOf",
        )
    }

    /// The latest zk configuration of `model_id` and its version (`None` when none is set).
    ///
    /// # Errors
    /// Transport errors.
    pub fn zk_config(
        &self,
        chain: &mut dyn Chain,
        model_id: ModelId,
    ) -> Result<Option<(ZkSettings, u32)>> {
        let c = self.view(
            chain,
            &InferenceOracle::zkConfigCall {
                modelId: model_word(model_id),
            },
            "InferenceOracle.zkConfig",
        )?;
        Ok(Self::settings(c))
    }

    /// zk configuration `version` of `model_id` (`None` when there is no such version).
    ///
    /// # Errors
    /// Transport errors.
    pub fn zk_config_at(
        &self,
        chain: &mut dyn Chain,
        model_id: ModelId,
        version: u32,
    ) -> Result<Option<(ZkSettings, u32)>> {
        let c = self.view(
            chain,
            &InferenceOracle::zkConfigAtCall {
                modelId: model_word(model_id),
                version,
            },
            "InferenceOracle.zkConfigAt",
        )?;
        Ok(Self::settings(c))
    }

    fn settings(c: InferenceOracle::ZkConfig) -> Option<(ZkSettings, u32)> {
        if c.verifier == Address::ZERO {
            return None;
        }
        Some((
            ZkSettings {
                verifier: c.verifier,
                input_bits: c.inputBits,
                output_bits: c.outputBits,
                param_hash: c.hasParamHash.then_some(c.paramHash),
            },
            c.version,
        ))
    }

    /// The statement the contract asks the configuration's `IProofVerifier` about for a proof
    /// of `model_id` on (`inputs`, `outputs`) under zk configuration `version`, bound to
    /// `contract` (the oracle itself for `answerWithProof`), `tag` (the request id) and
    /// `answerer` — to compare with the prover's `PublicValues::digest`.
    ///
    /// # Errors
    /// `NoZkVerifier`, `ValueOutOfRange`.
    #[allow(clippy::too_many_arguments)]
    pub fn zk_statement(
        &self,
        chain: &mut dyn Chain,
        model_id: ModelId,
        version: u32,
        contract: Address,
        tag: U256,
        answerer: Address,
        inputs: &[Vec<i32>],
        outputs: &[Vec<i32>],
    ) -> Result<B256> {
        self.view(
            chain,
            &InferenceOracle::zkStatementCall {
                modelId: model_word(model_id),
                version,
                contract_: contract,
                tag,
                answerer,
                inputs: inputs.to_vec(),
                outputs: outputs.to_vec(),
            },
            "InferenceOracle.zkStatement",
        )
    }

    // ------------------------------------------------------------------ events

    /// Every event of the oracle from block `from_block` on, in chain order.
    ///
    /// # Errors
    /// Transport errors.
    pub fn events(
        &self,
        chain: &mut dyn Chain,
        from_block: u64,
    ) -> Result<Vec<InferenceOracleEvents>> {
        let logs = crate::contract::logs_since(chain, self.address, from_block)?;
        Ok(self.decode_events(&logs))
    }

    /// The `Requested` event of `request`: its input as posted, read from the request's own
    /// block and checked against the contract's `inputsHash` (roots recomputed from the input).
    ///
    /// # Errors
    /// `NoSuchRequest`; [`OracleError::Protocol`] when there is no such event or it does not
    /// match the stored hash.
    pub fn requested_event(
        &self,
        chain: &mut dyn Chain,
        request: RequestId,
    ) -> Result<InferenceOracle::Requested> {
        let r = self.get_request(chain, request)?;
        let logs: Vec<Log> = chain
            .logs_in(self.address, r.createdBlock, r.createdBlock)?
            .into_iter()
            .map(|l| l.log)
            .collect();
        let ev = self
            .decode_events(&logs)
            .into_iter()
            .find_map(|e| match e {
                InferenceOracleEvents::Requested(ev) if ev.requestId == request.word() => Some(ev),
                _ => None,
            })
            .ok_or_else(|| {
                OracleError::protocol(
                    "InferenceOracle.Requested",
                    format!(
                        "no event for request {request} in its block {}",
                        r.createdBlock
                    ),
                )
            })?;
        let roots = crate::tensors::tensor_roots(&ev.input);
        if roots != ev.inputRoots || keccak256(roots.abi_encode()) != r.inputsHash {
            return Err(OracleError::protocol(
                "InferenceOracle.Requested",
                format!("the event of request {request} does not match its stored input hash"),
            ));
        }
        Ok(ev)
    }
}

/// The signature hash of `Requested`, for log filters.
pub fn requested_topic() -> B256 {
    InferenceOracle::Requested::SIGNATURE_HASH
}

crate::payments::oracle_payments!(OracleClient, InferenceOracle, RequestId, "InferenceOracle");
crate::contract::client_of!(OracleClient, InferenceOracleEvents);

//! The deployment and request-and-payment surface `InferenceOracle` and `GenerationOracle`
//! share (the same Solidity: one constructor, a fee at request time, callbacks with their own
//! gas, a cancel delay, the fee split withdrawn later): one macro gives both typed clients
//! these methods.

/// The shared methods of an oracle client: `$sol` is the contract's bindings, `$id` its request
/// id type, `$name` the contract's name in transaction labels.
macro_rules! oracle_payments {
    ($client:ty, $sol:ident, $id:ty, $name:literal) => {
        impl $client {
            /// Deploys the oracle over `registry` and the game `game` that answers its
            /// requests (the opML game for tensors, the generation game for text).
            ///
            /// # Errors
            /// `InvalidParameter` (no code at an address, a share above 100%) or transport
            /// errors.
            pub fn deploy(
                chain: &mut dyn verinfer_chain::Chain,
                from: alloy_primitives::Address,
                registry: alloy_primitives::Address,
                game: alloy_primitives::Address,
                p: &crate::oracle::OracleParams,
            ) -> crate::error::Result<(Self, verinfer_chain::Receipt)> {
                let args = alloy_sol_types::SolConstructor::abi_encode(&$sol::constructorCall {
                    registry_: registry,
                    game_: game,
                    fee_: p.fee,
                    ownerShareBps_: p.owner_share_bps,
                    cancelDelay_: p.cancel_delay,
                    maxCallbackGas_: p.max_callback_gas,
                });
                let (address, r) =
                    verinfer_chain::deploy_code(chain, from, &$sol::BYTECODE, &args, $name)?;
                Ok((Self { address }, r))
            }

            /// The model registry the oracle reads owners from and the game whose claims
            /// answer its requests (both fixed at deployment).
            ///
            /// # Errors
            /// Transport errors.
            pub fn registry_and_game(
                &self,
                chain: &mut dyn verinfer_chain::Chain,
            ) -> crate::error::Result<(alloy_primitives::Address, alloy_primitives::Address)> {
                use verinfer_chain::ContractClient as _;
                let r = self.view(chain, &$sol::registryCall {}, concat!($name, ".registry"))?;
                let g = self.view(chain, &$sol::gameCall {}, concat!($name, ".game"))?;
                Ok((r, g))
            }

            /// The least a request with `callback_gas_limit` pays now (`requiredFee`: the fee
            /// plus the callback's gas at the current base fee).
            ///
            /// # Errors
            /// Transport errors.
            pub fn required_fee(
                &self,
                chain: &mut dyn verinfer_chain::Chain,
                callback_gas_limit: u64,
            ) -> crate::error::Result<alloy_primitives::U256> {
                verinfer_chain::ContractClient::view(
                    self,
                    chain,
                    &$sol::requiredFeeCall {
                        callbackGasLimit: callback_gas_limit,
                    },
                    concat!($name, ".requiredFee"),
                )
            }

            /// Cancels an open request after the cancel delay (the requester only, and no
            /// answer standing); the fee becomes withdrawable.
            ///
            /// # Errors
            /// `NotRequester`, `NotOpen`, `AnswerStanding`, `CancelTooEarly`.
            pub fn cancel(
                &self,
                chain: &mut dyn verinfer_chain::Chain,
                from: alloy_primitives::Address,
                request: $id,
            ) -> crate::error::Result<verinfer_chain::Receipt> {
                verinfer_chain::ContractClient::send(
                    self,
                    chain,
                    from,
                    &$sol::cancelCall {
                        requestId: request.word(),
                    },
                    concat!($name, ".cancel"),
                )
            }

            /// Withdraws everything owed to `from`.
            ///
            /// # Errors
            /// `NothingOwed`, `TransferFailed`.
            pub fn withdraw(
                &self,
                chain: &mut dyn verinfer_chain::Chain,
                from: alloy_primitives::Address,
            ) -> crate::error::Result<verinfer_chain::Receipt> {
                verinfer_chain::ContractClient::send(
                    self,
                    chain,
                    from,
                    &$sol::withdrawCall {},
                    concat!($name, ".withdraw"),
                )
            }

            /// The request record.
            ///
            /// # Errors
            /// `NoSuchRequest`.
            pub fn get_request(
                &self,
                chain: &mut dyn verinfer_chain::Chain,
                request: $id,
            ) -> crate::error::Result<$sol::Request> {
                verinfer_chain::ContractClient::view(
                    self,
                    chain,
                    &$sol::getRequestCall {
                        requestId: request.word(),
                    },
                    concat!($name, ".getRequest"),
                )
            }

            /// The request's status.
            ///
            /// # Errors
            /// `NoSuchRequest`.
            pub fn status(
                &self,
                chain: &mut dyn verinfer_chain::Chain,
                request: $id,
            ) -> crate::error::Result<crate::oracle::RequestStatus> {
                crate::oracle::RequestStatus::from_u8(self.get_request(chain, request)?.status)
            }

            /// Number of requests made.
            ///
            /// # Errors
            /// Transport errors.
            pub fn request_count(
                &self,
                chain: &mut dyn verinfer_chain::Chain,
            ) -> crate::error::Result<u64> {
                let n = verinfer_chain::ContractClient::view(
                    self,
                    chain,
                    &$sol::requestCountCall {},
                    concat!($name, ".requestCount"),
                )?;
                crate::contract::u64_of(n, "request count")
            }

            /// Every claim that answered the request, oldest first.
            ///
            /// # Errors
            /// `NoSuchRequest`.
            pub fn claims_of(
                &self,
                chain: &mut dyn verinfer_chain::Chain,
                request: $id,
            ) -> crate::error::Result<Vec<u64>> {
                let ids = verinfer_chain::ContractClient::view(
                    self,
                    chain,
                    &$sol::claimsOfCall {
                        requestId: request.word(),
                    },
                    concat!($name, ".claimsOf"),
                )?;
                ids.into_iter()
                    .map(|c| crate::contract::u64_of(c, "claim id"))
                    .collect()
            }

            /// Wei withdrawable by `who`.
            ///
            /// # Errors
            /// Transport errors.
            pub fn owed(
                &self,
                chain: &mut dyn verinfer_chain::Chain,
                who: alloy_primitives::Address,
            ) -> crate::error::Result<alloy_primitives::U256> {
                verinfer_chain::ContractClient::view(
                    self,
                    chain,
                    &$sol::owedCall(who),
                    concat!($name, ".owed"),
                )
            }
        }
    };
}
pub(crate) use oracle_payments;

//! A typed client of a deployed `AIGC` collection (contracts/src/AIGC.sol): ERC-7007 mint,
//! verify and update, the ERC-721 calls, and the encoding of `prompt`, `aigcData` and `proof`.

use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_sol_types::{sol_data, SolConstructor, SolType};
use verinfer_chain::bindings_oracle::AIGC::{self, AIGCEvents};
use verinfer_chain::{Chain, ContractClient, Receipt};

use crate::contract::{u64_of, Client};
use crate::error::Result;
use crate::ids::{model_word, RequestId};
use crate::tensors::encode_tensors;
use verinfer_commit::ModelId;

/// The evidence a token is minted or updated with; `proof` on chain is its ABI encoding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AigcProof {
    /// A proof, in its backend's encoding, that the `IProofVerifier` of the zk configuration
    /// the collection pinned accepts for the digest statement bound to this chain, the
    /// collection, the prompt's token id and `prover` (the only account that may mint with
    /// it): `abi.encode(uint8(1), address, bytes)`.
    Zk {
        /// The account the proof is bound to.
        prover: Address,
        /// The backend's proof bytes (`verinfer_prove::DynBackend::proof_calldata`).
        proof: Bytes,
    },
    /// A claim in the game that posted its input, minted by its submitter:
    /// `abi.encode(uint8(2), uint256 claimId)`.
    Opml(u64),
    /// A Fulfilled oracle request, minted by its requester:
    /// `abi.encode(uint8(3), uint256 requestId)`.
    Request(RequestId),
}

impl AigcProof {
    /// Tag of zk proofs.
    pub const ZK: u8 = 1;
    /// Tag of opML proofs.
    pub const OPML: u8 = 2;
    /// Tag of oracle-request proofs.
    pub const REQUEST: u8 = 3;

    /// `abi.encode(uint8 tag, uint256 id)`: opML and request evidence.
    fn tagged_id(tag: u8, id: U256) -> Bytes {
        Bytes::from(<(sol_data::Uint<8>, sol_data::Uint<256>)>::abi_encode_params(&(tag, id)))
    }

    /// The `proof` bytes.
    pub fn encode(&self) -> Bytes {
        match self {
            AigcProof::Zk { prover, proof } => {
                Bytes::from(
                    <(sol_data::Uint<8>, sol_data::Address, sol_data::Bytes)>::abi_encode_params(
                        &(Self::ZK, *prover, proof.clone()),
                    ),
                )
            }
            AigcProof::Opml(claim) => Self::tagged_id(Self::OPML, U256::from(*claim)),
            AigcProof::Request(request) => Self::tagged_id(Self::REQUEST, request.word()),
        }
    }
}

/// Evidence behind a token, as the contract records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenEvidence {
    /// 1 zk, 2 opML, 3 oracle request.
    pub kind: u8,
    /// The claim (opML) or the request (oracle request); 0 for zk.
    pub claim_id: u64,
    /// keccak256 of the token's aigcData bytes.
    pub aigc_data_hash: B256,
}

/// A deployed `AIGC` collection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AigcClient {
    /// The contract.
    pub address: Address,
}

impl AigcClient {
    /// Deploys a collection of `model_id`'s outputs over `oracle` (whose game and registry it
    /// uses), for prompts of `input_lens` and outputs of `output_lens` elements per tensor,
    /// trusting the oracle's zk configuration `zk_version` of the model for zk proofs (0:
    /// none).
    ///
    /// # Errors
    /// `UnknownModel`, `BadShape`, `NoSuchZkVersion`, or transport errors.
    #[allow(clippy::too_many_arguments)]
    pub fn deploy(
        chain: &mut dyn Chain,
        from: Address,
        name: &str,
        symbol: &str,
        model_id: ModelId,
        oracle: Address,
        input_lens: &[usize],
        output_lens: &[usize],
        zk_version: u32,
    ) -> Result<(Self, Receipt)> {
        let args = AIGC::constructorCall {
            name_: name.to_string(),
            symbol_: symbol.to_string(),
            modelId_: model_word(model_id),
            oracle_: oracle,
            inputLens_: input_lens.iter().map(|&n| U256::from(n)).collect(),
            outputLens_: output_lens.iter().map(|&n| U256::from(n)).collect(),
            zkVersion_: zk_version,
        }
        .abi_encode();
        let (address, r) =
            verinfer_chain::deploy_code(chain, from, &AIGC::BYTECODE, &args, "AIGC")?;
        Ok((Self { address }, r))
    }

    // ------------------------------------------------------------------ ERC-7007

    /// Mints the token of `prompt` to `to`; returns its id.
    ///
    /// # Errors
    /// `TokenAlreadyMinted`, shape and encoding errors, `InvalidZkProof`, `ZkVerifierReverted`
    /// (the verifier's reason for a malformed proof), `ClaimNotUsable`,
    /// `ClaimDoesNotMatch`, `ERC721InvalidReceiver`, …
    #[allow(clippy::too_many_arguments)]
    pub fn mint(
        &self,
        chain: &mut dyn Chain,
        from: Address,
        to: Address,
        prompt: &[Vec<i32>],
        aigc_data: &[Vec<i32>],
        uri: &str,
        proof: &AigcProof,
    ) -> Result<(U256, Receipt)> {
        self.mint_raw(
            chain,
            from,
            to,
            encode_tensors(prompt),
            encode_tensors(aigc_data),
            uri,
            proof.encode(),
        )
    }

    /// [`AigcClient::mint`] with the raw bytes (tests of malformed encodings).
    ///
    /// # Errors
    /// As [`AigcClient::mint`].
    #[allow(clippy::too_many_arguments)]
    pub fn mint_raw(
        &self,
        chain: &mut dyn Chain,
        from: Address,
        to: Address,
        prompt: Bytes,
        aigc_data: Bytes,
        uri: &str,
        proof: Bytes,
    ) -> Result<(U256, Receipt)> {
        let call = AIGC::mintCall {
            to,
            prompt,
            aigcData: aigc_data,
            uri: uri.to_string(),
            proof,
        };
        self.send_for(
            chain,
            from,
            (&call, U256::ZERO),
            "AIGC.mint",
            "Mint",
            |e| match e {
                AIGCEvents::Mint(m) => Some(m.tokenId),
                _ => None,
            },
        )
    }

    /// `verify(prompt, aigcData, proof)`.
    ///
    /// # Errors
    /// Reverts for undecodable bytes or an unknown proof tag; transport errors.
    pub fn verify(
        &self,
        chain: &mut dyn Chain,
        prompt: &[Vec<i32>],
        aigc_data: &[Vec<i32>],
        proof: &AigcProof,
    ) -> Result<bool> {
        self.view(
            chain,
            &AIGC::verifyCall {
                prompt: encode_tensors(prompt),
                aigcData: encode_tensors(aigc_data),
                proof: proof.encode(),
            },
            "AIGC.verify",
        )
    }

    /// The EIP's `update(prompt, aigcData, uri)`: changes the uri of a token whose evidence
    /// stands (owner or approved).
    ///
    /// # Errors
    /// `NotAuthorized`, `EvidenceDefeated`, `DataMismatch`, `ERC721NonexistentToken`.
    pub fn update(
        &self,
        chain: &mut dyn Chain,
        from: Address,
        prompt: &[Vec<i32>],
        aigc_data: &[Vec<i32>],
        uri: &str,
    ) -> Result<Receipt> {
        self.send(
            chain,
            from,
            &AIGC::update_0Call {
                prompt: encode_tensors(prompt),
                aigcData: encode_tensors(aigc_data),
                uri: uri.to_string(),
            },
            "AIGC.update",
        )
    }

    /// `update(prompt, aigcData, uri, proof)`: replaces the data and evidence of a token whose
    /// claim was rejected (anyone; a changed non-empty uri needs the owner or an approved
    /// address).
    ///
    /// # Errors
    /// `NothingToReplace`, the errors of `mint`'s checks, `NotAuthorized`.
    pub fn replace(
        &self,
        chain: &mut dyn Chain,
        from: Address,
        prompt: &[Vec<i32>],
        aigc_data: &[Vec<i32>],
        uri: &str,
        proof: &AigcProof,
    ) -> Result<Receipt> {
        self.send(
            chain,
            from,
            &AIGC::update_1Call {
                prompt: encode_tensors(prompt),
                aigcData: encode_tensors(aigc_data),
                uri: uri.to_string(),
                proof: proof.encode(),
            },
            "AIGC.update(proof)",
        )
    }

    /// The evidence behind `token`.
    ///
    /// # Errors
    /// `ERC721NonexistentToken`.
    pub fn evidence_of(&self, chain: &mut dyn Chain, token: U256) -> Result<TokenEvidence> {
        let e = self.view(
            chain,
            &AIGC::evidenceOfCall { tokenId: token },
            "AIGC.evidenceOf",
        )?;
        Ok(TokenEvidence {
            kind: e.kind,
            claim_id: u64_of(e.id, "claim id")?,
            aigc_data_hash: e.aigcDataHash,
        })
    }

    /// Whether `token`'s data is final (zk, or its claim finalized).
    ///
    /// # Errors
    /// `ERC721NonexistentToken`.
    pub fn is_verified(&self, chain: &mut dyn Chain, token: U256) -> Result<bool> {
        self.view(
            chain,
            &AIGC::isVerifiedCall { tokenId: token },
            "AIGC.isVerified",
        )
    }

    // ------------------------------------------------------------------ ERC-165 / 721

    /// `supportsInterface(id)`.
    ///
    /// # Errors
    /// Transport errors.
    pub fn supports_interface(&self, chain: &mut dyn Chain, id: [u8; 4]) -> Result<bool> {
        self.view(
            chain,
            &AIGC::supportsInterfaceCall {
                interfaceId: id.into(),
            },
            "AIGC.supportsInterface",
        )
    }

    /// Collection name.
    ///
    /// # Errors
    /// Transport errors.
    pub fn name(&self, chain: &mut dyn Chain) -> Result<String> {
        self.view(chain, &AIGC::nameCall {}, "AIGC.name")
    }

    /// Collection symbol.
    ///
    /// # Errors
    /// Transport errors.
    pub fn symbol(&self, chain: &mut dyn Chain) -> Result<String> {
        self.view(chain, &AIGC::symbolCall {}, "AIGC.symbol")
    }

    /// `tokenURI(token)`.
    ///
    /// # Errors
    /// `ERC721NonexistentToken`.
    pub fn token_uri(&self, chain: &mut dyn Chain, token: U256) -> Result<String> {
        self.view(
            chain,
            &AIGC::tokenURICall { tokenId: token },
            "AIGC.tokenURI",
        )
    }

    /// `balanceOf(owner)`.
    ///
    /// # Errors
    /// `ERC721InvalidOwner` for the zero address.
    pub fn balance_of(&self, chain: &mut dyn Chain, owner: Address) -> Result<U256> {
        self.view(chain, &AIGC::balanceOfCall { owner }, "AIGC.balanceOf")
    }

    /// `ownerOf(token)`.
    ///
    /// # Errors
    /// `ERC721NonexistentToken`.
    pub fn owner_of(&self, chain: &mut dyn Chain, token: U256) -> Result<Address> {
        self.view(chain, &AIGC::ownerOfCall { tokenId: token }, "AIGC.ownerOf")
    }

    /// `getApproved(token)`.
    ///
    /// # Errors
    /// `ERC721NonexistentToken`.
    pub fn get_approved(&self, chain: &mut dyn Chain, token: U256) -> Result<Address> {
        self.view(
            chain,
            &AIGC::getApprovedCall { tokenId: token },
            "AIGC.getApproved",
        )
    }

    /// `isApprovedForAll(owner, operator)`.
    ///
    /// # Errors
    /// Transport errors.
    pub fn is_approved_for_all(
        &self,
        chain: &mut dyn Chain,
        owner: Address,
        operator: Address,
    ) -> Result<bool> {
        self.view(
            chain,
            &AIGC::isApprovedForAllCall { owner, operator },
            "AIGC.isApprovedForAll",
        )
    }

    /// `approve(to, token)`.
    ///
    /// # Errors
    /// `ERC721InvalidApprover`, `ERC721NonexistentToken`.
    pub fn approve(
        &self,
        chain: &mut dyn Chain,
        from: Address,
        to: Address,
        token: U256,
    ) -> Result<Receipt> {
        self.send(
            chain,
            from,
            &AIGC::approveCall { to, tokenId: token },
            "AIGC.approve",
        )
    }

    /// `setApprovalForAll(operator, approved)`.
    ///
    /// # Errors
    /// `ERC721InvalidOperator`.
    pub fn set_approval_for_all(
        &self,
        chain: &mut dyn Chain,
        from: Address,
        operator: Address,
        approved: bool,
    ) -> Result<Receipt> {
        self.send(
            chain,
            from,
            &AIGC::setApprovalForAllCall { operator, approved },
            "AIGC.setApprovalForAll",
        )
    }

    /// `transferFrom(owner, to, token)` sent by `from`.
    ///
    /// # Errors
    /// `ERC721IncorrectOwner`, `ERC721InsufficientApproval`, `ERC721InvalidReceiver`, …
    pub fn transfer_from(
        &self,
        chain: &mut dyn Chain,
        from: Address,
        owner: Address,
        to: Address,
        token: U256,
    ) -> Result<Receipt> {
        self.send(
            chain,
            from,
            &AIGC::transferFromCall {
                from: owner,
                to,
                tokenId: token,
            },
            "AIGC.transferFrom",
        )
    }

    /// `safeTransferFrom(owner, to, token)` (no `data`) or with `data`.
    ///
    /// # Errors
    /// As [`AigcClient::transfer_from`], and `ERC721InvalidReceiver` for a contract that does
    /// not accept the token.
    pub fn safe_transfer_from(
        &self,
        chain: &mut dyn Chain,
        from: Address,
        owner: Address,
        to: Address,
        token: U256,
        data: Option<Bytes>,
    ) -> Result<Receipt> {
        match data {
            None => self.send(
                chain,
                from,
                &AIGC::safeTransferFrom_0Call {
                    from: owner,
                    to,
                    tokenId: token,
                },
                "AIGC.safeTransferFrom",
            ),
            Some(data) => self.send(
                chain,
                from,
                &AIGC::safeTransferFrom_1Call {
                    from: owner,
                    to,
                    tokenId: token,
                    data,
                },
                "AIGC.safeTransferFrom(data)",
            ),
        }
    }
}

crate::contract::client_of!(AigcClient, AIGCEvents);

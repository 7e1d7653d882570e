//! A typed client of a deployed `AIGCText` collection (contracts/src/AIGCText.sol): ERC-7007
//! tokens whose `aigcData` is text an LLM generated, verified through a `GenerationGame`
//! claim (final once the claim is) or a fulfilled `GenerationOracle` request; the vocabulary
//! table that turns token ids into that text, on both sides of the chain.

use alloy_primitives::{keccak256, Address, Bytes, B256, U256};
use alloy_sol_types::{sol_data, SolConstructor, SolType};
use verinfer_chain::{Chain, ContractClient, Receipt};
use verinfer_commit::ModelId;

use crate::bindings_text::AIGCText::{self, AIGCTextEvents};
use crate::contract::Client;
use crate::error::{OracleError, Result};
use crate::ids::{model_word, TextRequestId};
use crate::text::token_words;

/// A model's vocabulary as the collection reads it: the bytes each token id contributes to
/// the text (`▁` already a space, a byte token its byte, control tokens nothing).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextVocab {
    pieces: Vec<Vec<u8>>,
}

impl TextVocab {
    /// The vocabulary of `pieces` (index = token id).
    ///
    /// # Errors
    /// [`OracleError::Protocol`] for a piece longer than 255 bytes (one length byte each).
    pub fn new(pieces: Vec<Vec<u8>>) -> Result<Self> {
        if let Some((id, p)) = pieces.iter().enumerate().find(|(_, p)| p.len() > 255) {
            return Err(OracleError::protocol(
                "vocabulary",
                format!("token {id}'s piece is {} bytes (at most 255)", p.len()),
            ));
        }
        Ok(Self { pieces })
    }

    /// Number of tokens.
    #[must_use]
    pub fn len(&self) -> usize {
        self.pieces.len()
    }

    /// Whether there are no tokens.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.pieces.is_empty()
    }

    /// The constructor's `vocab`: per token, one length byte then the piece.
    #[must_use]
    pub fn encode(&self) -> Bytes {
        let mut out = Vec::with_capacity(self.pieces.iter().map(|p| p.len() + 1).sum());
        for p in &self.pieces {
            // `new` bounds every piece to 255 bytes.
            out.push(u8::try_from(p.len()).unwrap_or(u8::MAX));
            out.extend_from_slice(p);
        }
        Bytes::from(out)
    }

    /// The text of `tokens` (what the collection's `textOf` computes).
    ///
    /// # Errors
    /// [`OracleError::Protocol`] for a token outside the vocabulary.
    pub fn text(&self, tokens: &[u32]) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        for &t in tokens {
            let p = self.pieces.get(t as usize).ok_or_else(|| {
                OracleError::protocol(
                    "token id",
                    format!("{t} is outside the vocabulary of {}", self.pieces.len()),
                )
            })?;
            out.extend_from_slice(p);
        }
        Ok(out)
    }
}

/// A token's prompt: the generation request it is the output of (greedy, seed 0).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextPrompt {
    /// The prompt's token ids.
    pub ids: Vec<u32>,
    /// How many tokens were generated.
    pub max_new_tokens: u32,
}

impl TextPrompt {
    /// The ERC-7007 `prompt` bytes: `abi.encode(int32[] ids, uint32 maxNewTokens)`.
    ///
    /// # Errors
    /// [`OracleError::Protocol`] for an id above `i32::MAX`.
    pub fn encode(&self) -> Result<Bytes> {
        let ids = token_words(&self.ids)?;
        Ok(Bytes::from(<(
            sol_data::Array<sol_data::Int<32>>,
            sol_data::Uint<32>,
        )>::abi_encode_params(&(
            ids,
            self.max_new_tokens,
        ))))
    }

    /// The token id: `keccak256(prompt)`.
    ///
    /// # Errors
    /// As [`TextPrompt::encode`].
    pub fn token_id(&self) -> Result<U256> {
        Ok(U256::from_be_bytes(keccak256(self.encode()?).0))
    }
}

/// The evidence a text token is minted or updated with; `proof` on chain is its encoding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TextProof {
    /// A generation claim (Pending or Finalized) and the tokens it posted, minted by its
    /// submitter: `abi.encode(uint8(2), uint256 claimId, int32[] tokens)`.
    Claim {
        /// The `GenerationGame` claim.
        claim: u64,
        /// Its generated tokens.
        tokens: Vec<u32>,
    },
    /// A Fulfilled `GenerationOracle` request, minted by its requester:
    /// `abi.encode(uint8(3), uint256 requestId)`.
    Request(TextRequestId),
}

impl TextProof {
    /// Tag of claim evidence.
    pub const CLAIM: u8 = 2;
    /// Tag of request evidence.
    pub const REQUEST: u8 = 3;

    /// The `proof` bytes.
    ///
    /// # Errors
    /// [`OracleError::Protocol`] for a token id above `i32::MAX`.
    pub fn encode(&self) -> Result<Bytes> {
        Ok(Bytes::from(match self {
            TextProof::Claim { claim, tokens } => <(
                sol_data::Uint<8>,
                sol_data::Uint<256>,
                sol_data::Array<sol_data::Int<32>>,
            )>::abi_encode_params(&(
                Self::CLAIM,
                U256::from(*claim),
                token_words(tokens)?,
            )),
            TextProof::Request(r) => <(sol_data::Uint<8>, sol_data::Uint<256>)>::abi_encode_params(
                &(Self::REQUEST, r.word()),
            ),
        }))
    }
}

/// Evidence behind a text token, as the contract records it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TextEvidence {
    /// 2 claim, 3 request.
    pub kind: u8,
    /// The claim or the request.
    pub id: u64,
    /// keccak256 of the token's text.
    pub aigc_data_hash: B256,
}

/// A deployed `AIGCText` collection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AigcTextClient {
    /// The contract.
    pub address: Address,
}

impl AigcTextClient {
    /// The contract's name in artifacts and deployment records.
    pub const NAME: &'static str = "AIGCText";

    /// Deploys a collection of `model`'s generations over the text oracle `oracle` (whose game
    /// must have learned the model), with the model's vocabulary.
    ///
    /// # Errors
    /// `UnknownModel`, `BadVocabulary` (a table of another size than the model's vocabulary,
    /// or one over 24 kB), transport errors.
    pub fn deploy(
        chain: &mut dyn Chain,
        from: Address,
        (name, symbol): (&str, &str),
        model: ModelId,
        oracle: Address,
        vocab: &TextVocab,
    ) -> Result<(Self, Receipt)> {
        let args = AIGCText::constructorCall {
            name_: name.to_string(),
            symbol_: symbol.to_string(),
            modelId_: model_word(model),
            oracle_: oracle,
            vocab: vocab.encode(),
        }
        .abi_encode();
        let (address, r) =
            verinfer_chain::deploy_code(chain, from, &AIGCText::BYTECODE, &args, "AIGCText")?;
        Ok((Self { address }, r))
    }

    /// Mints the token of `prompt` with `text` to `to`; returns its id.
    ///
    /// # Errors
    /// `TokenAlreadyMinted`, `NotEvidenceHolder`, `ClaimNotUsable` (a lost claim),
    /// `ClaimDoesNotMatch`, `RequestNotUsable` (e.g. "not fulfilled", "aigcData"), …
    pub fn mint(
        &self,
        chain: &mut dyn Chain,
        (from, to): (Address, Address),
        prompt: &TextPrompt,
        text: &[u8],
        uri: &str,
        proof: &TextProof,
    ) -> Result<(U256, Receipt)> {
        let call = AIGCText::mintCall {
            to,
            prompt: prompt.encode()?,
            aigcData: Bytes::copy_from_slice(text),
            uri: uri.to_string(),
            proof: proof.encode()?,
        };
        self.mint_raw(chain, from, &call)
    }

    /// Sends a `mint` call as given (tests of malformed encodings).
    ///
    /// # Errors
    /// As [`AigcTextClient::mint`].
    pub fn mint_raw(
        &self,
        chain: &mut dyn Chain,
        from: Address,
        call: &AIGCText::mintCall,
    ) -> Result<(U256, Receipt)> {
        self.send_for(
            chain,
            from,
            (call, U256::ZERO),
            "AIGCText.mint",
            "Mint",
            |e| match e {
                AIGCTextEvents::Mint(m) => Some(m.tokenId),
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
        prompt: &TextPrompt,
        text: &[u8],
        proof: &TextProof,
    ) -> Result<bool> {
        self.view(
            chain,
            &AIGCText::verifyCall {
                prompt: prompt.encode()?,
                aigcData: Bytes::copy_from_slice(text),
                proof: proof.encode()?,
            },
            "AIGCText.verify",
        )
    }

    /// The EIP's `update(prompt, aigcData, uri)`: a new uri for a token whose evidence stands
    /// (owner or approved).
    ///
    /// # Errors
    /// `NotAuthorized`, `EvidenceDefeated`, `DataMismatch`, `ERC721NonexistentToken`.
    pub fn update_uri(
        &self,
        chain: &mut dyn Chain,
        from: Address,
        prompt: &TextPrompt,
        text: &[u8],
        uri: &str,
    ) -> Result<Receipt> {
        let call = AIGCText::update_0Call {
            prompt: prompt.encode()?,
            aigcData: Bytes::copy_from_slice(text),
            uri: uri.to_string(),
        };
        self.send(chain, from, &call, "AIGCText.update")
    }

    /// `update(prompt, aigcData, uri, proof)`: the true text and its evidence replace those of
    /// a token whose claim was rejected (anyone; a changed non-empty uri needs the owner).
    ///
    /// # Errors
    /// `NothingToReplace`, the errors of `mint`'s checks, `NotAuthorized`.
    pub fn replace(
        &self,
        chain: &mut dyn Chain,
        from: Address,
        prompt: &TextPrompt,
        text: &[u8],
        proof: &TextProof,
    ) -> Result<Receipt> {
        let call = AIGCText::update_1Call {
            prompt: prompt.encode()?,
            aigcData: Bytes::copy_from_slice(text),
            uri: String::new(),
            proof: proof.encode()?,
        };
        self.send(chain, from, &call, "AIGCText.update(proof)")
    }

    /// The evidence behind `token`.
    ///
    /// # Errors
    /// `ERC721NonexistentToken`.
    pub fn evidence_of(&self, chain: &mut dyn Chain, token: U256) -> Result<TextEvidence> {
        let e = self.view(
            chain,
            &AIGCText::evidenceOfCall { tokenId: token },
            "AIGCText.evidenceOf",
        )?;
        Ok(TextEvidence {
            kind: e.kind,
            id: crate::contract::u64_of(e.id, "evidence id")?,
            aigc_data_hash: e.aigcDataHash,
        })
    }

    /// Whether `token`'s text is final (a fulfilled request, or its claim finalized).
    ///
    /// # Errors
    /// `ERC721NonexistentToken`.
    pub fn is_verified(&self, chain: &mut dyn Chain, token: U256) -> Result<bool> {
        self.view(
            chain,
            &AIGCText::isVerifiedCall { tokenId: token },
            "AIGCText.isVerified",
        )
    }

    /// The text of `tokens` as the collection decodes it.
    ///
    /// # Errors
    /// `TokenOutsideVocab`.
    pub fn text_of(&self, chain: &mut dyn Chain, tokens: &[u32]) -> Result<Vec<u8>> {
        let t = self.view(
            chain,
            &AIGCText::textOfCall {
                tokens: token_words(tokens)?,
            },
            "AIGCText.textOf",
        )?;
        Ok(t.to_vec())
    }

    /// The owner of `token`.
    ///
    /// # Errors
    /// `ERC721NonexistentToken`.
    pub fn owner_of(&self, chain: &mut dyn Chain, token: U256) -> Result<Address> {
        self.view(
            chain,
            &AIGCText::ownerOfCall { tokenId: token },
            "AIGCText.ownerOf",
        )
    }

    /// `token`'s URI.
    ///
    /// # Errors
    /// `ERC721NonexistentToken`.
    pub fn token_uri(&self, chain: &mut dyn Chain, token: U256) -> Result<String> {
        self.view(
            chain,
            &AIGCText::tokenURICall { tokenId: token },
            "AIGCText.tokenURI",
        )
    }
}

crate::contract::client_of!(AigcTextClient, AIGCTextEvents);

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_vocabulary_encodes_length_prefixed_and_decodes_text() {
        let v = TextVocab::new(vec![vec![], b" the".to_vec(), vec![b'\n']]).unwrap();
        assert_eq!(v.encode().to_vec(), b"\x00\x04 the\x01\n".to_vec());
        assert_eq!(v.text(&[1, 0, 2, 1]).unwrap(), b" the\n the".to_vec());
        assert!(v.text(&[3]).is_err());
        assert!(TextVocab::new(vec![vec![0; 256]]).is_err());
    }

    #[test]
    fn prompt_and_proof_encodings_are_the_contracts() {
        let p = TextPrompt {
            ids: vec![5, 6],
            max_new_tokens: 3,
        };
        let b = p.encode().unwrap();
        // offset, n, length, two ids.
        assert_eq!(b.len(), 5 * 32);
        assert_eq!(b[63], 3);
        assert_eq!(b[95], 2);
        assert!(TextPrompt {
            ids: vec![u32::MAX],
            max_new_tokens: 1
        }
        .encode()
        .is_err());
        let r = TextProof::Request(TextRequestId::new(7)).encode().unwrap();
        assert_eq!((r.len(), r[31], r[63]), (64, 3, 7));
        let c = TextProof::Claim {
            claim: 1,
            tokens: vec![9],
        }
        .encode()
        .unwrap();
        assert_eq!((c.len(), c[31], c[63], c[159]), (5 * 32, 2, 1, 9));
    }
}

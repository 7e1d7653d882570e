//! A typed client of a deployed `GenerationOracle` (contracts/src/GenerationOracle.sol): text
//! requests (a step graph, prompt token ids, how many tokens, a seed and temperature) answered by a
//! `GenerationGame` claim and settled with the generated tokens once the claim is final.

use alloy_primitives::{Address, U256};
use verinfer_chain::{Chain, ContractClient, Receipt};
use verinfer_commit::ModelId;

use crate::bindings_text::GenerationOracle::{self, GenerationOracleEvents};
use crate::contract::{u64_of, Client};
use crate::error::{OracleError, Result};
use crate::ids::{model_word, TextRequestId};
use crate::settlement::Settlement;

/// What a text request asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextRequest {
    /// The step graph (registered, learned by `GenerationGame`).
    pub model: ModelId,
    /// The prompt's token ids, tokenized with the model's tokenizer.
    pub prompt: Vec<u32>,
    /// Tokens to generate (an answer posts exactly this many).
    pub max_new_tokens: u32,
    /// Sampling seed; 0 is greedy decoding. A sampled request needs a step graph compiled with
    /// the `noise` input (`ModelCannotSample` otherwise).
    pub seed: u64,
    /// Temperature T·2^16 (at most 8·2^16); 0 is greedy whatever the seed. The contract stores
    /// a greedy request as seed 0, T 0, and an answer must state the stored pair.
    pub temp: u32,
    /// Called with `onGeneration` on fulfilment (zero: none).
    pub callback: Address,
    /// Exact gas the callback gets.
    pub callback_gas_limit: u64,
}

/// A text request as its `TextRequested` event posted it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PostedTextRequest {
    /// The request.
    pub id: TextRequestId,
    /// The step graph.
    pub model: ModelId,
    /// Who asked (and paid).
    pub requester: Address,
    /// The prompt's token ids.
    pub prompt: Vec<u32>,
    /// Tokens to generate.
    pub max_new_tokens: u32,
    /// Sampling seed as stored (0: greedy).
    pub seed: u64,
    /// Temperature T·2^16 as stored (0: greedy).
    pub temp: u32,
}

impl PostedTextRequest {
    /// The sampling an answer must use (`None`: greedy).
    pub fn sampling(&self) -> Option<(u64, u32)> {
        (self.seed != 0 && self.temp != 0).then_some((self.seed, self.temp))
    }
}

/// A deployed `GenerationOracle`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TextOracleClient {
    /// The contract.
    pub address: Address,
}

/// Token ids as the contract takes them (`int32[]`).
///
/// # Errors
/// [`OracleError::Protocol`] for an id above `i32::MAX` (no vocabulary is that large).
pub fn token_words(tokens: &[u32]) -> Result<Vec<i32>> {
    tokens
        .iter()
        .map(|&t| {
            i32::try_from(t)
                .map_err(|_| OracleError::protocol("token id", format!("{t} exceeds int32")))
        })
        .collect()
}

/// Token ids as the contract posted them; a negative one (which the contract refuses in a
/// prompt) is a protocol error.
///
/// # Errors
/// [`OracleError::Protocol`] for a negative id.
pub fn token_ids(words: &[i32]) -> Result<Vec<u32>> {
    words
        .iter()
        .map(|&t| {
            u32::try_from(t).map_err(|_| OracleError::protocol("token id", format!("{t} < 0")))
        })
        .collect()
}

impl TextOracleClient {
    /// The contract's name in artifacts and deployment records.
    pub const NAME: &'static str = "GenerationOracle";

    /// Requests `req`, paying `fee` wei; returns the request id.
    ///
    /// # Errors
    /// `FeeTooLow`, `CallbackGasTooHigh`, `UnknownModel`, `ModelNotLearned`,
    /// `ModelCannotSample`, `TemperatureTooHigh`, `EmptyPrompt`, `NoNewTokens`,
    /// `TooLongForContext`, `TokenOutsideVocab`.
    pub fn request(
        &self,
        chain: &mut dyn Chain,
        from: Address,
        req: &TextRequest,
        fee: U256,
    ) -> Result<(TextRequestId, Receipt)> {
        let call = GenerationOracle::requestCall {
            modelId: model_word(req.model),
            prompt: token_words(&req.prompt)?,
            maxNewTokens: req.max_new_tokens,
            seed: req.seed,
            temp: req.temp,
            callback: req.callback,
            callbackGasLimit: req.callback_gas_limit,
        };
        self.request_raw(chain, from, &call, fee)
    }

    /// Sends a `request` call as given (hostile-calldata tests build their own).
    ///
    /// # Errors
    /// As [`TextOracleClient::request`].
    pub fn request_raw(
        &self,
        chain: &mut dyn Chain,
        from: Address,
        call: &GenerationOracle::requestCall,
        fee: U256,
    ) -> Result<(TextRequestId, Receipt)> {
        let (id, r) = self.send_for(
            chain,
            from,
            (call, fee),
            "GenerationOracle.request",
            "TextRequested",
            |e| match e {
                GenerationOracleEvents::TextRequested(ev) => Some(ev.requestId),
                _ => None,
            },
        )?;
        Ok((TextRequestId::new(u64_of(id, "request id")?), r))
    }

    /// `from`'s generation claim `claim` answers `request`.
    ///
    /// # Errors
    /// `NotOpen`, `ClaimBeforeRequest`, `NotSubmitter`, `ClaimNotPending`, `ModelMismatch`,
    /// `PromptMismatch`, `WrongTokenCount`, `SamplingMismatch`, `DuplicateAnswer`,
    /// `TooManyAnswers`.
    pub fn answer(
        &self,
        chain: &mut dyn Chain,
        from: Address,
        request: TextRequestId,
        claim: u64,
    ) -> Result<Receipt> {
        self.send(
            chain,
            from,
            &GenerationOracle::answerCall {
                requestId: request.word(),
                claimId: U256::from(claim),
            },
            "GenerationOracle.answer",
        )
    }

    /// Settles a claimed request with `tokens`, those of one of its answering claims that the
    /// game finalized: pays and calls back.
    ///
    /// # Errors
    /// `NotClaimed`, `WrongTokenCount`, `NotFinal`, `InsufficientGasForCallback`.
    pub fn settle(
        &self,
        chain: &mut dyn Chain,
        from: Address,
        request: TextRequestId,
        tokens: &[u32],
    ) -> Result<Settlement> {
        let r = self.send(
            chain,
            from,
            &GenerationOracle::settleCall {
                requestId: request.word(),
                tokens: token_words(tokens)?,
            },
            "GenerationOracle.settle",
        )?;
        Settlement::from_receipt(self.address, r)
    }

    // ------------------------------------------------------------------ views

    /// The tokens of a fulfilled request (empty otherwise).
    ///
    /// # Errors
    /// `NoSuchRequest`.
    pub fn tokens_of(&self, chain: &mut dyn Chain, request: TextRequestId) -> Result<Vec<u32>> {
        let t = self.view(
            chain,
            &GenerationOracle::tokensOfCall {
                requestId: request.word(),
            },
            "GenerationOracle.tokensOf",
        )?;
        token_ids(&t)
    }

    // ------------------------------------------------------------------ events

    /// Every text request posted from block `from_block` on, in chain order.
    ///
    /// # Errors
    /// Transport errors; [`OracleError::Protocol`] for an event with a negative token.
    pub fn requests_since(
        &self,
        chain: &mut dyn Chain,
        from_block: u64,
    ) -> Result<Vec<PostedTextRequest>> {
        let logs = crate::contract::logs_since(chain, self.address, from_block)?;
        self.decode_events(&logs)
            .into_iter()
            .filter_map(|e| match e {
                GenerationOracleEvents::TextRequested(ev) => Some(ev),
                _ => None,
            })
            .map(|ev| {
                Ok(PostedTextRequest {
                    id: TextRequestId::new(u64_of(ev.requestId, "request id")?),
                    model: crate::ids::model_id_of(ev.modelId),
                    requester: ev.requester,
                    prompt: token_ids(&ev.prompt)?,
                    max_new_tokens: ev.maxNewTokens,
                    seed: ev.seed,
                    temp: ev.temp,
                })
            })
            .collect()
    }
}

crate::payments::oracle_payments!(
    TextOracleClient,
    GenerationOracle,
    TextRequestId,
    "GenerationOracle"
);
crate::contract::client_of!(TextOracleClient, GenerationOracleEvents);

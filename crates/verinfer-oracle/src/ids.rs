//! The oracle's typed ids: [`RequestId`], and the model id as the contracts spell it.

use std::fmt;

use alloy_primitives::{B256, U256};
use verinfer_commit::ModelId;

/// The `bytes32 modelId` the contracts take for `id`.
#[must_use]
pub fn model_word(id: ModelId) -> B256 {
    B256::from(id.hash().to_bytes())
}

/// The model id the contracts name by `word` (the caller vouches it is one).
pub fn model_id_of(word: B256) -> ModelId {
    ModelId::from_hash(verinfer_commit::Hash32::new(word.0))
}

/// An `InferenceOracle` request id: the request's index in the contract's request list. A
/// newtype so that a request id is never passed where a claim id (AIGC evidence names one or
/// the other: mixing them mints on the wrong evidence), a token id or a count is expected.
#[repr(transparent)]
#[must_use]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(u64);

impl RequestId {
    /// The request at `index` (the number the contract's `Requested` event carries).
    pub const fn new(index: u64) -> Self {
        Self(index)
    }

    /// Its index in the contract's request list.
    #[must_use]
    pub const fn index(self) -> u64 {
        self.0
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl RequestId {
    /// The `uint256 requestId` the contracts take.
    #[must_use]
    pub fn word(self) -> U256 {
        U256::from(self.0)
    }
}

/// Lets `U256::from(id)` work as for a plain integer (ruint's `from` goes through `TryFrom`
/// with its own error type; a `u64` always fits, so this never fails).
impl TryFrom<RequestId> for U256 {
    type Error = alloy_primitives::ruint::ToUintError<U256>;

    fn try_from(id: RequestId) -> Result<Self, Self::Error> {
        Ok(id.word())
    }
}

/// A `GenerationOracle` (text) request id: its index in that contract's request list. Its own
/// type, apart from [`RequestId`], because the two oracles number their requests separately.
#[repr(transparent)]
#[must_use]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TextRequestId(u64);

impl TextRequestId {
    /// The text request at `index`.
    pub const fn new(index: u64) -> Self {
        Self(index)
    }

    /// Its index in the contract's request list.
    #[must_use]
    pub const fn index(self) -> u64 {
        self.0
    }

    /// The `uint256 requestId` the contract takes.
    #[must_use]
    pub fn word(self) -> U256 {
        U256::from(self.0)
    }
}

impl fmt::Display for TextRequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "text#{}", self.0)
    }
}

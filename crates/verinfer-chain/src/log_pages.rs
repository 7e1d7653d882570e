//! Reading a contract's logs over a long span of blocks in bounded pages. Providers cap
//! `eth_getLogs` (a block range, a result count), and anyone can fill a contract's log with
//! cheap events (`learnModel` emits one per call), so a reader never asks for "everything
//! since block 0": it starts at the block that matters (a claim's or game's opening block,
//! the contract's deployment block) and pages up to the block it needs, halving the page
//! whenever the endpoint refuses one as too wide.

use alloy_primitives::Address;

use crate::chain::{Chain, ChainLog};
use crate::error::{ChainError, Result};

/// Blocks per `eth_getLogs` query unless configured otherwise: under the common provider caps
/// on a busy contract, and few queries for a dev chain's whole history.
pub const DEFAULT_LOG_RANGE: u64 = 10_000;

/// Pages log queries. Remembers a narrowed page size, so a provider's cap is found once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LogPager {
    range: u64,
}

impl Default for LogPager {
    fn default() -> Self {
        Self::new(DEFAULT_LOG_RANGE)
    }
}

impl LogPager {
    /// Pages of at most `range` blocks (at least 1).
    pub fn new(range: u64) -> Self {
        Self {
            range: range.max(1),
        }
    }

    /// The current page size in blocks.
    pub fn range(&self) -> u64 {
        self.range
    }

    /// The logs of `address` in blocks `from..=to`, in chain order, read through
    /// [`Chain::logs_in`] a page at a time. A page refused as too wide
    /// ([`ChainError::LogRange`]) is split in half and asked again, down to a single block.
    ///
    /// # Errors
    /// Transport errors; a single block the endpoint still refuses.
    pub fn read(
        &mut self,
        chain: &mut dyn Chain,
        address: Address,
        from: u64,
        to: u64,
    ) -> Result<Vec<ChainLog>> {
        let mut out = Vec::new();
        let mut start = from;
        while start <= to {
            let end = start.saturating_add(self.range - 1).min(to);
            match chain.logs_in(address, start, end) {
                Ok(mut logs) => {
                    out.append(&mut logs);
                    if end == u64::MAX {
                        break;
                    }
                    start = end + 1;
                }
                Err(ChainError::LogRange { .. }) if end > start => {
                    // Half the refused page (whose width is end - start + 1).
                    self.range = (end - start).div_ceil(2).max(1);
                    tracing::debug!(
                        range = self.range,
                        "log page refused as too wide: narrowing"
                    );
                }
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }
}

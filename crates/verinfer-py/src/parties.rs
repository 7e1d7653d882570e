//! The two parties of a dispute played from Python (`optimistic_claim`, `generation_claim`):
//! who submits, who challenges (two different accounts), and the game's timing.

use pyo3::prelude::*;
use verinfer_chain::{Address, Chain as ChainApi};
use verinfer_opml::GameParams;

use crate::chain::SenderArg;
use crate::error::Error;

/// The submitter (default: account 0) and the challenger (default: account 1) as Python gave
/// them.
pub(crate) struct Parties {
    submitter: SenderArg,
    challenger: SenderArg,
}

impl Parties {
    /// Reads the two senders (an int index, an 0x address, or `None`).
    pub(crate) fn parse(
        submitter: Option<&Bound<'_, PyAny>>,
        challenger: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        Ok(Self {
            submitter: SenderArg::parse(submitter)?,
            challenger: match challenger {
                Some(c) => SenderArg::parse(Some(c))?,
                None => SenderArg::Index(1),
            },
        })
    }

    /// Their addresses on `chain`: (submitter, challenger).
    ///
    /// # Errors
    /// [`Error::Invalid`] for an account the chain does not have, or when both are one
    /// account (a dispute with oneself proves nothing).
    pub(crate) fn resolve(&self, chain: &dyn ChainApi) -> Result<(Address, Address), Error> {
        let sub = self.submitter.resolve(chain)?;
        let cha = self.challenger.resolve(chain)?;
        if sub == cha {
            return Err(Error::Invalid(format!(
                "the submitter and the challenger are the same account {sub}"
            )));
        }
        Ok((sub, cha))
    }
}

/// The game's parameters with Python's challenge `window` and per-party `clock` (seconds),
/// the rest the defaults.
pub(crate) fn game_params(window: u64, clock: u64) -> GameParams {
    GameParams {
        window,
        clock,
        ..GameParams::default()
    }
}

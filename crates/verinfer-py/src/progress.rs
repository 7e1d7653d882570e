//! Progress of long work reported to Python: a `progress` callable given one line per stage
//! (compile, setup, prove, every transaction of a game), and the waiting of the blocking chain
//! calls (`Claim.defend`, `challenge`, `watch`): a timeout, a poll interval, Ctrl-C.

use std::time::{Duration, Instant};

use pyo3::prelude::*;
use verinfer_chain::Receipt;

use crate::error::Error;

/// Calls the Python progress callback (taking the GIL) with one line; its exception aborts
/// the work with `VerinferError` naming it.
///
/// # Errors
/// The callback raised.
pub fn report(progress: Option<&Py<PyAny>>, line: &str) -> Result<(), Error> {
    let Some(cb) = progress else { return Ok(()) };
    Python::attach(|py| cb.call1(py, (line,)).map(|_| ()))
        .map_err(|e| Error::Invalid(format!("the progress callback raised {e}")))
}

/// Reports every line of `lines`.
///
/// # Errors
/// The callback raised.
pub fn report_all(progress: Option<&Py<PyAny>>, lines: &[String]) -> Result<(), Error> {
    lines.iter().try_for_each(|l| report(progress, l))
}

/// A transaction as a progress line (the CLI's `tx:` line on stderr).
#[must_use]
pub fn tx_line(r: &Receipt) -> String {
    format!(
        "tx: {} gas {} block {}",
        r.label, r.gas_used, r.block_number
    )
}

/// How a blocking chain call waits between passes over the chain.
pub struct Waiting {
    deadline: Option<Instant>,
    poll: Duration,
}

impl Waiting {
    /// `timeout` seconds in all (`None`: until done) and `poll` seconds between passes.
    ///
    /// # Errors
    /// A negative or non-finite number.
    pub fn new(timeout: Option<f64>, poll: f64) -> Result<Self, Error> {
        let secs = |what: &str, v: f64| {
            if v.is_finite() && v >= 0.0 {
                Ok(Duration::from_secs_f64(v))
            } else {
                Err(Error::Invalid(format!(
                    "{what} {v}: expected a finite number of seconds >= 0"
                )))
            }
        };
        let poll = secs("poll", poll)?;
        let deadline = timeout
            .map(|t| secs("timeout", t))
            .transpose()?
            .map(|t| Instant::now() + t);
        Ok(Self { deadline, poll })
    }

    /// Sleeps one poll interval without the GIL; `false` when the time is up (nothing slept).
    ///
    /// # Errors
    /// A signal handler raised (Ctrl-C: `KeyboardInterrupt`).
    pub fn pause(&self, py: Python<'_>) -> PyResult<bool> {
        if self.deadline.is_some_and(|d| Instant::now() >= d) {
            return Ok(false);
        }
        let nap = match self.deadline {
            Some(d) => self.poll.min(d.saturating_duration_since(Instant::now())),
            None => self.poll,
        };
        py.detach(|| std::thread::sleep(nap));
        py.check_signals()?;
        Ok(true)
    }
}

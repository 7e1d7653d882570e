//! Errors of the Python API and their mapping to `verinfer.VerinferError`.
//!
//! Every failure reaches Python as `VerinferError` whose message is the error and its causes
//! joined by `": "` — the text the `verinfer` CLI prints after `error: ` for the same failure.

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::PyErr;

create_exception!(
    verinfer,
    VerinferError,
    PyException,
    "A verinfer operation failed; the message is the one the `verinfer` CLI prints."
);

/// A boxed library error.
type Source = Box<dyn std::error::Error + Send + Sync + 'static>;

/// An error of the Python API.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A library error, as the library reports it.
    #[error(transparent)]
    Lib(Source),
    /// A library error, with what was being done when it happened (the CLI's context).
    #[error("{context}")]
    Context {
        /// What was being done.
        context: String,
        /// The library error.
        #[source]
        source: Source,
    },
    /// An argument or a state the API itself refuses.
    #[error("{0}")]
    Invalid(String),
}

impl Error {
    /// The message with every cause, as `anyhow`'s `{:#}` (the CLI's output) writes it.
    #[must_use]
    pub fn message(&self) -> String {
        let mut msg = self.to_string();
        let mut cause = std::error::Error::source(self);
        while let Some(c) = cause {
            msg.push_str(": ");
            msg.push_str(&c.to_string());
            cause = c.source();
        }
        msg
    }
}

impl From<Error> for PyErr {
    fn from(e: Error) -> Self {
        VerinferError::new_err(e.message())
    }
}

/// `?`-conversions of library results into [`Error`].
pub trait ResultExt<T> {
    /// The library error as it is.
    ///
    /// # Errors
    /// The error, wrapped.
    fn lib(self) -> Result<T, Error>;
    /// The library error under `context` (what the CLI adds with `with_context`).
    ///
    /// # Errors
    /// The error, wrapped.
    fn context(self, context: impl FnOnce() -> String) -> Result<T, Error>;
}

impl<T, E: std::error::Error + Send + Sync + 'static> ResultExt<T> for Result<T, E> {
    fn lib(self) -> Result<T, Error> {
        self.map_err(|e| Error::Lib(Box::new(e)))
    }

    fn context(self, context: impl FnOnce() -> String) -> Result<T, Error> {
        self.map_err(|e| Error::Context {
            context: context(),
            source: Box::new(e),
        })
    }
}

//! Python bindings of verinfer: the `verinfer` module (`verinfer._native`, re-exported by the
//! pure-Python package), built by maturin as an abi3 wheel (docs/python.md).
//!
//! Every function calls the library functions the CLI calls for the same job, releases the GIL
//! around the Rust work, and raises `verinfer.VerinferError` carrying the CLI's message.
#![deny(missing_docs)]

mod chain;
mod error;
mod eval;
mod game;
mod generation;
mod inputs;
mod model;
mod optimistic;
mod oracle;
mod parties;
mod progress;
mod visibility;
mod zk;

use pyo3::prelude::*;

pub use chain::Chain;
pub use error::{Error, VerinferError};
pub use game::Claim;
pub use model::Model;
pub use oracle::Oracle;
pub use zk::{Keys, Proof};

/// The native module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("VerinferError", m.py().get_type::<VerinferError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<Model>()?;
    m.add_class::<Keys>()?;
    m.add_class::<Proof>()?;
    m.add_class::<Chain>()?;
    m.add_class::<Claim>()?;
    m.add_class::<Oracle>()?;
    m.add_function(wrap_pyfunction!(model::compile, m)?)?;
    m.add_function(wrap_pyfunction!(model::load, m)?)?;
    m.add_function(wrap_pyfunction!(zk::setup, m)?)?;
    m.add_function(wrap_pyfunction!(zk::prove, m)?)?;
    m.add_function(wrap_pyfunction!(zk::verify, m)?)?;
    m.add_function(wrap_pyfunction!(zk::export_verifier, m)?)?;
    m.add_function(wrap_pyfunction!(zk::load_keys, m)?)?;
    m.add_function(wrap_pyfunction!(zk::load_proof, m)?)?;
    m.add_function(wrap_pyfunction!(chain::deploy_verifier, m)?)?;
    m.add_function(wrap_pyfunction!(chain::verify_evm, m)?)?;
    m.add_function(wrap_pyfunction!(chain::encode_calldata, m)?)?;
    m.add_function(wrap_pyfunction!(optimistic::optimistic_claim, m)?)?;
    m.add_function(wrap_pyfunction!(eval::register, m)?)?;
    m.add_function(wrap_pyfunction!(game::claim, m)?)?;
    m.add_function(wrap_pyfunction!(game::challenge, m)?)?;
    m.add_function(wrap_pyfunction!(game::watch, m)?)?;
    m.add_function(wrap_pyfunction!(generation::generation_claim, m)?)?;
    Ok(())
}

//! A tape: a straight-line program over BN254's scalar field `Fr` that a verifier records
//! while it runs (its arithmetic, the proof words it reads as witnesses, its transcript's
//! Poseidon hashes, its checks as assertions), so that an outer proof (`verinfer-wrap`) can
//! show that the program accepts without the chain re-running it.
//!
//! [`TapeBuilder`] records and evaluates together; [`Tape`] is the structure (the same for
//! every honest run of one verifier shape) and [`Values`] the run's public inputs and
//! witnesses; [`check`] is the native meaning the outer circuit proves.

mod poseidon_constants;

pub mod poseidon;
pub mod synthetic;
mod tape;

pub use tape::{check, evaluate, Op, Tape, TapeBuilder, TapeError, Values, Var};

/// The field a tape computes in: BN254's scalar field.
pub use ark_bn254::Fr;

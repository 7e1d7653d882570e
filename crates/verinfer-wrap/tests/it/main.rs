//! Integration tests of the outer proof of a tape.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod evm;
mod poseidon;
mod prove;
mod recorded;

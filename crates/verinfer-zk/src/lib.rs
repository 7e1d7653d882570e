//! Zero-knowledge proofs that a compiled verinfer [`Graph`](verinfer_ir::Graph), on public
//! inputs, gives public outputs — with exactly the executor's integer semantics.
//!
//! The first backend is [`Groth16`] over BN254 (arkworks 0.6). A [`GraphCircuit`] turns every
//! element of every node into R1CS gadgets (`gadgets/<op>.rs`, named after
//! `verinfer_ir::ops/<op>.rs`): public weights make `Contract` free linear combinations, the
//! requant epilogue proves its quotient with a range-checked remainder and clamps with a
//! bit-window comparison, `Max`/`Min` use a sign-bit comparison, `Move` is pure wiring.
//! Graph inputs and outputs are the public values ([`PublicValues`]); parameters are circuit
//! constants, so the keys attest the model. Ops without a circuit yet (`Lookup`, `Reduce`,
//! `Div`, `Gather`) are rejected with [`ZkError::UnsupportedOp`] naming the node.
//!
//! Setup is a local dev setup (the party running it could forge proofs); production keys need
//! a ceremony. See `docs/zk.md` for the gadgets and their constraint counts.
#![deny(missing_docs)]

pub mod circuit;
pub mod error;
mod gadgets;
pub mod groth16;
pub mod proof_system;
mod wire;

pub use circuit::{
    check_supported, check_witness, constraint_counts, GraphCircuit, OpCount, PublicValues,
};
pub use error::{VerifyError, ZkError};
pub use groth16::Groth16;
pub use proof_system::ProofSystem;

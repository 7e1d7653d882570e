//! The Groth16 backend of verinfer: zero-knowledge proofs that a compiled verinfer
//! [`Graph`](verinfer_ir::Graph), on public inputs, gives public outputs — with exactly the
//! executor's integer semantics.
//!
//! [`Groth16`] over BN254 (arkworks 0.6) implements `verinfer_prove`'s
//! [`ProofBackend`](verinfer_prove::ProofBackend) and
//! [`EvmVerifiable`](verinfer_prove::EvmVerifiable) under the name `groth16`; the node and the
//! CLI reach it through `verinfer_prove::DynBackend` (docs/adding-a-backend.md). The
//! statement types that are not Groth16's ([`Context`], [`Visibility`], [`Lengths`],
//! [`Widths`]) live in `verinfer_prove` and are re-exported here. A [`GraphCircuit`] turns every
//! element of every node into R1CS gadgets (`gadgets/<op>.rs`, named after
//! `verinfer_ir::ops/<op>.rs`): public weights make `Contract` free linear combinations, the
//! requant epilogue proves its quotient with a range-checked remainder and clamps with a
//! bit-window comparison, `Max`/`Min` use a sign-bit comparison, `Move` is pure wiring.
//! Each tensor class — inputs, weights, outputs — is public, private or hashed
//! ([`Visibility`]): public values are packed several per field element ([`packing`]), hashed
//! ones are public only through their circomlib-compatible Poseidon hash ([`poseidon`]).
//! Every proof is bound to its [`Context`] (model, chain, contract, request, answerer), so it
//! cannot be replayed or taken over ([`binding`]); its public inputs are the context word and
//! the packed classes, or — the digest [`Statement`] — one SHA-256 digest of them all, which
//! makes EVM verification cost the same for every model.
//! Public weights are circuit constants, so the keys attest the model; hashed weights are
//! witnesses bound to a public hash (EZKL's "private model" scenario).
//! Every primitive has a circuit: `Lookup` selects its (constant) table entry with two one-hot
//! vectors over the table's rows and columns, `Gather` its row with one one-hot vector per
//! index element; both compute the clamped index exactly first.
//!
//! `Groth16::setup` is a local dev setup (the party running it could forge proofs); production
//! keys come from a multi-party phase-2 [`ceremony`]. See `docs/zk.md` for the gadgets, their
//! constraint counts and what the ceremony trusts.
#![deny(missing_docs)]

pub mod binding;
pub mod ceremony;
pub mod circuit;
pub mod error;
pub mod evm;
pub mod files;
mod gadgets;
pub mod groth16;
pub mod packing;
pub mod poseidon;
pub mod proof_system;
pub mod statement;
pub mod visibility;
mod wire;

pub use binding::Context;
pub use circuit::{
    check_supported, check_witness, constraint_counts, constraint_counts_with, GraphCircuit,
    OpCount,
};
pub use error::{VerifyError, ZkError};
pub use groth16::{Groth16, Groth16Error};
pub use proof_system::ProofSystem;
pub use statement::{
    param_hash, Bn254Values, ClassElements, Lengths, PublicValues, TensorLen, Widths,
};
pub use visibility::{Statement, Vis, Visibility};

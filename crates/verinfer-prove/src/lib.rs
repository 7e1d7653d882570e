//! The proof-system seam of verinfer: what every proof backend implements and what the node,
//! the CLI and the contracts rely on, with no backend's curve library in it.
//!
//! - [`context`]: the [`Context`] a proof is bound to and the 32-byte statement digest
//!   (`IProofVerifier.verify(bytes proof, bytes32 statement)` takes it on chain);
//! - [`visibility`]: which tensor classes are public, private or hashed, and whether the
//!   statement is packed or one digest;
//! - [`statement`]: the backend-neutral [`PublicValues`] and their encoding as words;
//! - [`backend`]: the [`ProofBackend`] trait (associated key, proof and error types), the
//!   [`EvmVerifiable`] trait (with [`ContractDeployer`], through which a backend creates its
//!   on-chain `IProofVerifier`), and the object-safe [`DynBackend`] the node and the CLI hold per
//!   model (type-erased keys, proofs as bytes);
//! - [`error`]: [`ProveError`] (transient vs permanent) and [`Unsupported`].
//!
//! Backends: `verinfer-zk` (Groth16 over BN254). The registry that maps a backend name (as
//! `keys.json` records it) to a `Box<dyn DynBackend>` is `verinfer_node::backends`; adding a
//! backend is one crate plus one line there (docs/adding-a-backend.md).
#![deny(missing_docs)]

pub mod backend;
pub mod context;
pub mod error;
pub mod statement;
pub mod visibility;

pub use backend::{
    os_rng, AnyKey, ContractDeployer, DynBackend, EvmVerifiable, KeyPair, ProofBackend, Proved, Rng,
};
pub use context::Context;
pub use error::{ProveError, Unsupported};
pub use statement::{Lengths, PublicValues, StatementError, TensorLen, Widths};
pub use visibility::{Statement, Vis, Visibility};

//! The foundation of verinfer's second zk backend: sumcheck-based proofs over BN254 with a
//! multilinear polynomial commitment from a **universal** setup (a public powers-of-tau file),
//! so no model needs its own trusted setup and the verifier runs on the EVM's precompiles.
//!
//! - [`transcript`]: the Keccak-256 Fiat–Shamir transcript (byte layout a Solidity verifier
//!   replays);
//! - [`mle`]: dense multilinear polynomials (evaluation form), `eq` tables;
//! - [`sumcheck`]: the sumcheck protocol for products of up to three multilinear polynomials;
//! - [`matmul`]: the matrix-product layer `Y = X·W` by one sumcheck (Thaler);
//! - [`pcs`]: HyperKZG, commitments to multilinear polynomials from the `.ptau` SRS;
//! - [`logup`]: range checks `a_i ∈ [0, 2^k)` by the logUp identity and two sumchecks;
//! - [`evm`]: proofs as flat 32-byte words, the calldata of the Solidity verifier
//!   (`contracts/src/sumcheck/`, differential-tested against this crate on revm), and back;
//! - [`contract`]: the first end-to-end node proof, a matrix-product `Contract` with its
//!   requantization (matmul sumcheck + logUp on the remainders + HyperKZG openings).
//!
//! - [`backend`]: the proof backend behind `verinfer_prove::ProofBackend` (`sumcheck`): keys
//!   from a universal SRS, proofs of one matrix-product node bound to verinfer's statement, the
//!   `IProofVerifier` adapter on chain.
//!
//! The protocols, their transcript layout, soundness, the Solidity verifier with its gas
//! figures, and what comes next (the `ProofBackend` implementation, GKR over a whole graph,
//! lookups) are in docs/sumcheck.md.
#![deny(missing_docs)]

pub mod arith;
pub mod backend;
pub mod contract;
pub mod error;
pub mod evm;
pub mod field;
pub mod gkr;
pub mod logup;
pub mod matmul;
pub mod mle;
pub mod pcs;
pub mod record;
pub mod sumcheck;
pub mod transcript;

pub use error::{EvmDecodeError, LogupError, MatmulError, MleError, PcsError, SumcheckError};
pub use mle::DenseMle;
pub use transcript::Transcript;

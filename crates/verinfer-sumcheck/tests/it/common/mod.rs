//! Fixtures shared by the sumcheck integration tests.

pub mod affine_maps;
pub mod conv;
pub mod digits;
pub mod evm;
pub mod graph_edit;
pub mod model;
pub mod pooled;
pub mod profile;

//! Every integration test of this crate, one module a former test binary, linked once
//! (one link instead of one per file: the largest part of a clean test build).

mod anvil_game;
mod any_trust;
mod defence_in_depth;
mod generation_game;
mod generation_handoff;
mod generation_sampling;
mod llm_prims_game;
mod noise_differential;
mod one_step_every_node;
mod served;

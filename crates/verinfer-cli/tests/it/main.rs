//! Every integration test of this crate, one module a former test binary, linked once
//! (one link instead of one per file: the largest part of a clean test build).

mod attacks_anvil;
mod bad_input;
mod ceremony;
mod commit;
mod common;
mod consumer_example;
mod demo;
mod friction;
mod game;
mod generate;
mod generation_game;
mod generation_restarts_anvil;
mod gguf;
mod golden;
mod json_flags;
mod models;
mod node;
mod node_gen_processes;
mod onnxruntime;
mod oracle;
mod oracle_text;
mod register;
mod zk;
mod zk_sumcheck;

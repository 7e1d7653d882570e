//! Every integration test of this crate, one module a former test binary, linked once
//! (one link instead of one per file: the largest part of a clean test build).

mod aigc_erc7007;
mod aigc_text;
mod attacks;
mod common;
mod oracle_opml;
mod oracle_zk;
mod pack_differential;
mod second_backend;
mod text_requests;
mod text_sampled;

//! Every primitive's random one-node cases (the convolution with stride, padding, dilation and
//! groups included) through the two interpretations this crate owns or reaches without a
//! backend: the executor (with 1, 2 and 8 threads, streaming included) and the one-step reads
//! `verinfer_ir::ops` gives the opML game, each against the scalar reference. The circuit
//! witness (verinfer-zk) and the Solidity arbiter (verinfer-chain) run the same macro in their
//! own tests.

mod executor {
    verinfer_testing::op_conformance!(verinfer_testing::check::Executor, 128);
}

mod one_step_reads {
    verinfer_testing::op_conformance!(verinfer_testing::check::OneStepReads, 128);
}

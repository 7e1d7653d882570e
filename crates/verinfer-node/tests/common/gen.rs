//! What the generation node tests share beyond `verinfer_testing::llm`: a lying behaviour and
//! the consumer's record of its callbacks.

use alloy_sol_types::SolCall;
use verinfer_chain::{Address, Chain, U256};
use verinfer_node::{Behaviour, HeldModel};
use verinfer_opml::generation::GenLie;
use verinfer_opml::{Execution, OpmlError};
use verinfer_oracle::bindings_text::GenerationConsumerHarness as Consumer;

/// A node that tells one generation lie (its tensor answers are honest).
#[derive(Debug)]
pub struct GenLiar(pub GenLie);

impl Behaviour for GenLiar {
    fn execution(&self, m: &HeldModel, input: &[Vec<i32>]) -> Result<Execution, OpmlError> {
        m.served.run(input)
    }

    fn generation_lie(&self, _prompt: &[u32], _new_tokens: usize) -> Option<GenLie> {
        Some(self.0)
    }

    fn is_honest(&self) -> bool {
        false
    }
}

/// The consumer's call count and the last tokens it received.
pub fn received(chain: &mut dyn Chain, from: Address, consumer: Address) -> (U256, Vec<i32>) {
    let calls = chain
        .call(from, consumer, Consumer::callsCall {}.abi_encode().into())
        .unwrap();
    let toks = chain
        .call(
            from,
            consumer,
            Consumer::receivedCall {}.abi_encode().into(),
        )
        .unwrap();
    (
        Consumer::callsCall::abi_decode_returns(&calls).unwrap(),
        Consumer::receivedCall::abi_decode_returns(&toks).unwrap(),
    )
}

//! What the generation node tests share beyond `verinfer_testing::llm`: a lying behaviour
//! and a generation node's configuration.

use std::sync::Arc;

use verinfer_chain::Address;
use verinfer_node::{Behaviour, HeldModel, NodeConfig};
use verinfer_opml::generation::GenLie;
use verinfer_opml::{Execution, OpmlError};

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

/// A generation node's configuration: it answers the text requests of the oracle at `text`,
/// telling `lie` when one is given.
pub fn text_node(text: Address, lie: Option<GenLie>) -> impl FnOnce(&mut NodeConfig) {
    move |cfg| {
        cfg.text_oracle = Some(text);
        if let Some(l) = lie {
            cfg.behaviour = Arc::new(GenLiar(l));
        }
    }
}

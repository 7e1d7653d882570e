//! What the generation node tests share beyond `verinfer_testing::llm`: a lying behaviour.

use verinfer_node::{Behaviour, HeldModel};
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

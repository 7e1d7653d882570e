//! What execution the node claims as its answer. The production node is [`Honest`]: it claims
//! the model's own execution of the request's input. A dishonest behaviour (the CLI's `--lie`
//! demo switch, the tests' liars) plugs in through [`Behaviour`] from outside this crate, so
//! the node itself holds no lying code path.

use std::fmt::Debug;
use std::sync::Arc;

use verinfer_llm::noise::Sampling;
use verinfer_opml::generation::{GenExecution, GenLie, GenModel};
use verinfer_opml::{Execution, OpmlError};

use crate::models::HeldModel;

/// How the node produces the execution it claims for a request.
pub trait Behaviour: Send + Sync + Debug {
    /// The execution to claim as the answer to `input` on `model`.
    ///
    /// # Errors
    /// The input does not run on the model (the request is skipped, named in the log).
    fn execution(&self, model: &HeldModel, input: &[Vec<i32>]) -> Result<Execution, OpmlError>;

    /// The lie, if any, in the generation this node claims for `prompt` and `new_tokens`
    /// (the honest node: none). A function of the request only, so that after a restart the
    /// node rebuilds the very generation it posted.
    fn generation_lie(&self, prompt: &[u32], new_tokens: usize) -> Option<GenLie> {
        let _ = (prompt, new_tokens);
        None
    }

    /// The generation to claim as the answer to a text request (`new_tokens` tokens after
    /// `prompt` on `model`, greedy or sampled with the request's `sampling`), with
    /// [`Behaviour::generation_lie`] applied. It is deterministic: after a restart the node
    /// calls it again to defend the claim it posted.
    ///
    /// # Errors
    /// A prompt the model cannot take (outside its vocabulary, longer than its context), or a
    /// sampled request to a step graph without the noise input.
    fn generation(
        &self,
        model: &Arc<GenModel>,
        prompt: &[u32],
        new_tokens: usize,
        sampling: Option<Sampling>,
    ) -> Result<GenExecution, OpmlError> {
        let lie = self.generation_lie(prompt, new_tokens);
        GenExecution::run_sampled(Arc::clone(model), prompt, new_tokens, sampling, lie)
    }

    /// Whether [`Behaviour::execution`] is the model's own. A dishonest node answers each
    /// request once (so the honest answer after a reopen is not raced forever), never with a
    /// proof, and marks its claims as lies in its state and status.
    fn is_honest(&self) -> bool {
        true
    }
}

/// The honest node: the model's execution, nothing else.
#[derive(Clone, Copy, Debug, Default)]
pub struct Honest;

impl Behaviour for Honest {
    fn execution(&self, model: &HeldModel, input: &[Vec<i32>]) -> Result<Execution, OpmlError> {
        model.served.run(input)
    }
}

//! Errors of building, compiling and running a language model.

use thiserror::Error;

/// What can go wrong between a model file and generated tokens.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum LlmError {
    /// The model file (GGUF) could not be read or is not a supported LLaMA model.
    #[error(transparent)]
    Gguf(#[from] verinfer_gguf::GgufError),
    /// A model directory or file that is not a supported LLaMA checkpoint (names the file,
    /// key or tensor).
    #[error("{0}")]
    BadModel(String),
    /// Building, calibrating or quantizing the step graph failed.
    #[error(transparent)]
    Quant(#[from] verinfer_quant::QuantError),
    /// The integer graph is invalid.
    #[error(transparent)]
    Ir(#[from] verinfer_ir::IrError),
    /// Running a step failed.
    #[error(transparent)]
    Exec(#[from] verinfer_exec::ExecError),
    /// A compiled model is not a step graph of a language model (names, shapes or scales).
    #[error("not a language-model step graph: {0}")]
    NotAStepGraph(String),
    /// A request the model cannot serve (prompt longer than the context, token outside the
    /// vocabulary, empty prompt, …).
    #[error("{0}")]
    BadRequest(String),
    /// Options out of range.
    #[error("{0}")]
    BadOptions(String),
}

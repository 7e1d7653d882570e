//! Where a step graph's real-valued weights come from.
//!
//! The step builder asks for tensors by llama.cpp's names (`token_embd.weight`,
//! `blk.N.attn_q.weight`, …) in llama.cpp's conventions: matrices as `[rows = outputs,
//! cols = inputs]`, Q and K rows ordered so that RoPE rotates adjacent pairs. A GGUF file is
//! already in that convention; another format (Hugging Face safetensors) maps its names and
//! undoes its own RoPE layout in its implementation of [`WeightSource`].

use verinfer_gguf::{Block, GgmlType, GgufFile, LlamaConfig};

use crate::error::LlmError;

/// A tensor of real weights, row-major.
#[derive(Clone, Debug, PartialEq)]
pub struct RealTensor {
    /// `[rows, cols]` for matrices, `[n]` for vectors.
    pub shape: Vec<usize>,
    /// Values.
    pub data: Vec<f64>,
}

/// A model's hyper-parameters and weights.
pub trait WeightSource {
    /// Hyper-parameters.
    fn config(&self) -> &LlamaConfig;
    /// The tensor llama.cpp calls `name`, dequantized exactly to `f64`.
    ///
    /// # Errors
    /// A missing tensor or one that cannot be decoded.
    fn tensor(&self, name: &str) -> Result<RealTensor, LlmError>;

    /// The tensor llama.cpp calls `name` as its exact `Q8_0`/`Q4_0` blocks (`[rows, cols]`,
    /// blocks row-major along `cols`), when it is stored so; `None` for other types.
    ///
    /// # Errors
    /// A missing tensor or one that cannot be decoded.
    fn blocks(&self, name: &str) -> Result<Option<BlockTensor>, LlmError> {
        let _ = name;
        Ok(None)
    }
}

/// A matrix stored as `Q8_0`/`Q4_0` blocks: element `[r, c]` is `q·d` of block
/// `r·(cols/32) + c/32`, element `c mod 32`.
#[derive(Clone, Debug, PartialEq)]
pub struct BlockTensor {
    /// `[rows, cols]`.
    pub shape: Vec<usize>,
    /// Blocks in order.
    pub blocks: Vec<Block>,
}

/// A GGUF file of architecture `llama`.
pub struct GgufWeights {
    file: GgufFile,
    config: LlamaConfig,
}

impl GgufWeights {
    /// Checks the architecture, hyper-parameters and every tensor's shape.
    ///
    /// # Errors
    /// Whatever [`LlamaConfig::from_gguf`] finds wrong.
    pub fn new(file: GgufFile) -> Result<Self, LlmError> {
        let config = LlamaConfig::from_gguf(&file)?;
        Ok(Self { file, config })
    }

    /// Maps and checks a GGUF file.
    ///
    /// # Errors
    /// An unreadable or malformed file, or one that is not a `llama` model.
    pub fn open(path: &std::path::Path) -> Result<Self, LlmError> {
        Self::new(GgufFile::open(path)?)
    }

    /// The file (its tokenizer, metadata).
    #[must_use]
    pub fn file(&self) -> &GgufFile {
        &self.file
    }
}

impl WeightSource for GgufWeights {
    fn config(&self) -> &LlamaConfig {
        &self.config
    }

    fn tensor(&self, name: &str) -> Result<RealTensor, LlmError> {
        let t = self.file.tensor(name)?;
        let data: Vec<f64> = self.file.to_f32(t)?.into_iter().map(f64::from).collect();
        Ok(RealTensor {
            shape: row_major_shape(t),
            data,
        })
    }

    fn blocks(&self, name: &str) -> Result<Option<BlockTensor>, LlmError> {
        let t = self.file.tensor(name)?;
        if !matches!(t.ty, GgmlType::Q8_0 | GgmlType::Q4_0) {
            return Ok(None);
        }
        Ok(Some(BlockTensor {
            shape: row_major_shape(t),
            blocks: self.file.blocks(t)?,
        }))
    }
}

/// ggml lists dims innermost first (`[cols, rows]`); row-major order reverses them.
fn row_major_shape(t: &verinfer_gguf::TensorInfo) -> Vec<usize> {
    t.dims
        .iter()
        .rev()
        .map(|&d| usize::try_from(d).unwrap_or(usize::MAX))
        .collect()
}

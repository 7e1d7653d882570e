//! Tensor data: the exact blocks of the quantized types, and f32 values for reference.
//!
//! `Q8_0` and `Q4_0` blocks are an f16 scale `d` and 32 small integers `q`; an element is
//! exactly `q · d`. Both factors are dyadic rationals (an f16 is `±m · 2^e`), so these types
//! import into verinfer's fixed point exactly, block by block (the quantizer reads
//! [`Block`]s, not floats). `f32` dequantization is the reference the tests compare against
//! llama.cpp's own (gguf-py's `dequantize`).

use half::{bf16, f16};

use crate::error::GgufError;
use crate::parse::TensorInfo;
use crate::types::GgmlType;

/// Elements per `Q8_0`/`Q4_0` block.
pub const BLOCK: usize = 32;

/// One block of a `Q8_0` or `Q4_0` tensor: element `i` is `q[i] · d`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Block {
    /// The scale, as stored.
    pub d: f16,
    /// The integers: −128..=127 for `Q8_0`, −8..=7 for `Q4_0`.
    pub q: [i8; BLOCK],
}

/// The blocks of a `Q8_0` or `Q4_0` tensor's data, in order.
///
/// # Errors
/// [`GgufError::Unsupported`] for another type; [`GgufError::Tensor`] when `data` is not the
/// tensor's length.
pub fn blocks(t: &TensorInfo, data: &[u8]) -> Result<Vec<Block>, GgufError> {
    check_len(t, data)?;
    let size = t.ty.block_bytes() as usize;
    let one: fn(&[u8]) -> Block = match t.ty {
        GgmlType::Q8_0 => |b| {
            let mut q = [0i8; BLOCK];
            for (x, &byte) in q.iter_mut().zip(&b[2..2 + BLOCK]) {
                *x = i8::from_le_bytes([byte]);
            }
            Block { d: scale(b), q }
        },
        // Low nibbles hold elements 0..16, high nibbles 16..32; each stores q + 8.
        GgmlType::Q4_0 => |b| {
            let mut q = [0i8; BLOCK];
            for (j, &byte) in b[2..2 + BLOCK / 2].iter().enumerate() {
                q[j] = (byte & 0x0f) as i8 - 8;
                q[j + BLOCK / 2] = (byte >> 4) as i8 - 8;
            }
            Block { d: scale(b), q }
        },
        _ => return Err(unsupported(t)),
    };
    Ok(data.chunks_exact(size).map(one).collect())
}

fn scale(b: &[u8]) -> f16 {
    f16::from_le_bytes([b[0], b[1]])
}

/// The tensor's elements as `f32`, in storage order (innermost dimension fastest).
///
/// # Errors
/// [`GgufError::Unsupported`] for types other than F32, F16, BF16, Q8_0 and Q4_0;
/// [`GgufError::Tensor`] when `data` is not the tensor's length.
pub fn to_f32(t: &TensorInfo, data: &[u8]) -> Result<Vec<f32>, GgufError> {
    check_len(t, data)?;
    Ok(match t.ty {
        GgmlType::F32 => data
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect(),
        GgmlType::F16 => data
            .chunks_exact(2)
            .map(|b| f16::from_le_bytes([b[0], b[1]]).to_f32())
            .collect(),
        GgmlType::BF16 => data
            .chunks_exact(2)
            .map(|b| bf16::from_le_bytes([b[0], b[1]]).to_f32())
            .collect(),
        GgmlType::Q8_0 | GgmlType::Q4_0 => blocks(t, data)?
            .iter()
            .flat_map(|b| {
                let d = b.d.to_f32();
                b.q.map(|q| f32::from(q) * d)
            })
            .collect(),
        _ => return Err(unsupported(t)),
    })
}

fn check_len(t: &TensorInfo, data: &[u8]) -> Result<(), GgufError> {
    if data.len() == t.len {
        Ok(())
    } else {
        Err(GgufError::Tensor {
            name: t.name.clone(),
            why: format!("{} bytes of data for a {}-byte tensor", data.len(), t.len),
        })
    }
}

fn unsupported(t: &TensorInfo) -> GgufError {
    GgufError::Unsupported {
        name: t.name.clone(),
        ty: t.ty.to_string(),
    }
}

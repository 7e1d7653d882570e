//! What a proof states, backend-neutrally: the public values of each tensor class under its
//! [`Visibility`], the [`Context`] it is bound to, and their encoding as 32-byte words.
//!
//! The class elements, in this order: the input class (its packed values, or its hash, or
//! nothing), the parameter class (its hash, or nothing: public parameters are baked into the
//! keys), the output class (packed values, hash, or nothing). The statement words are the
//! context word and these elements ([`Statement::Packed`]), or one digest of them all
//! ([`Statement::Digest`], [`crate::context::statement_digest`]).
//!
//! Packing (here on integers, the same words a field backend packs): a class (all graph
//! inputs, or all outputs, concatenated, row-major) with bit width `W` maps `v` to
//! `u = v + 2^(W−1)` in `[0, 2^W)`; `k = ⌊253 / W⌋` values per word; word `e` is
//! `Σ_{i<k} u_{e·k+i} · 2^(W·i)`. `2^253` is below the BN254 scalar modulus, so a word is a
//! canonical field element. Hashes of hashed classes are the backend's (Groth16: circomlib
//! Poseidon over BN254) and travel here as words.

use alloy_primitives::{B256, U256};
use verinfer_ir::Graph;

use crate::context::{self, Context};
use crate::visibility::{Statement, Vis, Visibility};

/// Bits of one packed word (`2^253` is below the BN254 scalar modulus).
pub const PACK_BITS: u32 = 253;

/// Largest packing width (the values are `i32`).
pub const MAX_WIDTH: u32 = 32;

/// Why public values do not make a statement of the model.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StatementError {
    /// A class states another number of tensors than the model has (none unless public).
    #[error(
        "{found} {class} tensors stated, the model's statement has {expected} ({class}s are {vis})"
    )]
    TensorCount {
        /// `input` or `output`.
        class: &'static str,
        /// The class's visibility.
        vis: Vis,
        /// Tensors stated.
        found: usize,
        /// Tensors of the model (0 for a private or hashed class).
        expected: usize,
    },
    /// A stated tensor has another length than the model's.
    #[error("{class} tensor {index} ({name:?}) has {found} values, the model's has {expected}")]
    TensorLength {
        /// `input` or `output`.
        class: &'static str,
        /// Position among the class's tensors.
        index: usize,
        /// The model's name for it.
        name: String,
        /// Values stated.
        found: usize,
        /// Values in the model.
        expected: usize,
    },
    /// A value outside its class's packing width, an unusable width, a missing or
    /// non-canonical hash.
    #[error("public values: {0}")]
    BadValue(String),
}

/// One graph input or output as the statement fixes it: its name and element count.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TensorLen {
    /// ONNX name.
    pub name: String,
    /// Elements (row-major).
    pub len: usize,
}

/// The tensor count and per-tensor lengths of a graph's inputs and outputs.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Lengths {
    /// Graph inputs, in order.
    pub inputs: Vec<TensorLen>,
    /// Graph outputs, in order.
    pub outputs: Vec<TensorLen>,
}

impl Lengths {
    /// The lengths of `g`'s inputs and outputs.
    #[must_use]
    pub fn of(g: &Graph) -> Self {
        Self {
            inputs: g
                .inputs
                .iter()
                .map(|s| TensorLen {
                    name: s.name.clone(),
                    len: s.info.shape.numel(),
                })
                .collect(),
            outputs: g
                .outputs
                .iter()
                .map(|o| TensorLen {
                    name: o.name.clone(),
                    len: g.value_info(o.value).map_or(0, |i| i.shape.numel()),
                })
                .collect(),
        }
    }

    /// Check that stated tensors have exactly these counts and lengths: a public class must
    /// list every tensor with its length, a private or hashed one must list none (packing
    /// alone does not tell `[a, b]` from `[a], [b]` or `[a, b, min]`).
    ///
    /// # Errors
    /// [`StatementError::TensorCount`] or [`StatementError::TensorLength`] naming the tensor.
    pub fn check(
        &self,
        vis: Visibility,
        inputs: &[Vec<i32>],
        outputs: &[Vec<i32>],
    ) -> Result<(), StatementError> {
        check_class("input", vis.input, &self.inputs, inputs)?;
        check_class("output", vis.output, &self.outputs, outputs)
    }
}

fn check_class(
    class: &'static str,
    vis: Vis,
    model: &[TensorLen],
    stated: &[Vec<i32>],
) -> Result<(), StatementError> {
    let expected = if vis == Vis::Public { model.len() } else { 0 };
    if stated.len() != expected {
        return Err(StatementError::TensorCount {
            class,
            vis,
            found: stated.len(),
            expected,
        });
    }
    for (index, (m, v)) in model.iter().zip(stated).enumerate() {
        if v.len() != m.len {
            return Err(StatementError::TensorLength {
                class,
                index,
                name: m.name.clone(),
                found: v.len(),
                expected: m.len,
            });
        }
    }
    Ok(())
}

/// Packing widths of a graph's public classes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Widths {
    /// Widest input bound.
    pub input: u32,
    /// Widest output bound.
    pub output: u32,
}

impl Widths {
    /// The widths of `g` (1 for an empty class).
    #[must_use]
    pub fn of(g: &Graph) -> Self {
        let input = g.inputs.iter().map(|s| s.info.bits.get()).max();
        let output = g
            .outputs
            .iter()
            .filter_map(|o| g.value_info(o.value))
            .map(|i| i.bits.get())
            .max();
        Self {
            input: input.unwrap_or(1),
            output: output.unwrap_or(1),
        }
    }
}

/// Values per word at width `w`.
#[must_use]
pub fn per_word(w: u32) -> usize {
    (PACK_BITS / w.max(1)) as usize
}

/// Pack `values` at width `w` into words (see the module docs).
///
/// # Errors
/// [`StatementError::BadValue`] for an unusable width or a value outside the signed `w`-bit
/// range.
pub fn pack_words(values: &[i32], w: u32) -> Result<Vec<B256>, StatementError> {
    if !(1..=MAX_WIDTH).contains(&w) {
        return Err(StatementError::BadValue(format!(
            "packing width {w} is outside 1..=32"
        )));
    }
    let half = 1i64 << (w - 1);
    let k = per_word(w);
    let mut out = Vec::with_capacity(values.len().div_ceil(k));
    for (c, chunk) in values.chunks(k).enumerate() {
        let mut acc = U256::ZERO;
        for (i, &v) in chunk.iter().enumerate().rev() {
            let v = i64::from(v);
            if v < -half || v >= half {
                return Err(StatementError::BadValue(format!(
                    "value {v} at position {} does not fit {w} signed bits",
                    c * k + i
                )));
            }
            #[allow(clippy::cast_sign_loss)]
            let u = (v + half) as u64;
            acc = (acc << (w as usize)) | U256::from(u);
        }
        out.push(B256::from(acc));
    }
    Ok(out)
}

/// The public values a proof attests. `H` is how a hashed class travels: a 32-byte big-endian
/// word (the default, the backend-neutral form every caller of this crate sees) or a backend's
/// own field element (Groth16's BN254 scalar); [`PublicValues::try_map_hashes`] converts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicValues<H = B256> {
    /// Which classes are public, private or hashed, and the statement kind.
    pub visibility: Visibility,
    /// Packing width of the input class (the widest input bound).
    pub input_width: u32,
    /// Packing width of the output class (the widest output bound).
    pub output_width: u32,
    /// One list per graph input, row-major (empty unless the inputs are public).
    pub inputs: Vec<Vec<i32>>,
    /// Hash of the packed inputs (hashed inputs only).
    pub input_hash: Option<H>,
    /// Hash of the packed weights and biases (hashed parameters only).
    pub param_hash: Option<H>,
    /// One list per graph output, row-major (empty unless the outputs are public).
    pub outputs: Vec<Vec<i32>>,
    /// Hash of the packed outputs (hashed outputs only).
    pub output_hash: Option<H>,
    /// The model's tensor count and per-tensor lengths ([`Lengths::check`]).
    pub lengths: Lengths,
    /// The model, chain, contract, tag and answerer the proof is bound to.
    pub context: Context,
}

impl<H> PublicValues<H> {
    /// The same values with each hash converted by `f`, which is told which hash it converts
    /// (`input hash`, `param hash` or `output hash`).
    ///
    /// # Errors
    /// The first error `f` returns.
    pub fn try_map_hashes<G, E>(
        &self,
        mut f: impl FnMut(&H, &'static str) -> Result<G, E>,
    ) -> Result<PublicValues<G>, E> {
        let mut map = |h: &Option<H>, what| h.as_ref().map(|h| f(h, what)).transpose();
        Ok(PublicValues {
            visibility: self.visibility,
            input_width: self.input_width,
            output_width: self.output_width,
            inputs: self.inputs.clone(),
            input_hash: map(&self.input_hash, "input hash")?,
            param_hash: map(&self.param_hash, "param hash")?,
            outputs: self.outputs.clone(),
            output_hash: map(&self.output_hash, "output hash")?,
            lengths: self.lengths.clone(),
            context: self.context,
        })
    }
}

/// The class elements of a statement, as words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClassWords {
    /// Packed inputs, or their hash, or none.
    pub inputs: Vec<B256>,
    /// The weights' hash when hashed.
    pub params: Option<B256>,
    /// Packed outputs, or their hash, or none.
    pub outputs: Vec<B256>,
}

fn class_words(
    vis: Vis,
    values: &[Vec<i32>],
    hash: Option<B256>,
    w: u32,
    class: &str,
) -> Result<Vec<B256>, StatementError> {
    match vis {
        Vis::Public => {
            let flat: Vec<i32> = values.iter().flatten().copied().collect();
            pack_words(&flat, w)
        }
        Vis::Hashed => hash
            .map(|h| vec![h])
            .ok_or_else(|| StatementError::BadValue(format!("hashed {class}s without a hash"))),
        Vis::Private => Ok(Vec::new()),
    }
}

impl PublicValues {
    /// The class elements in statement order: input class, hashed weights (if any), output
    /// class.
    ///
    /// # Errors
    /// [`StatementError`] for tensors that are not the model's, a value outside its packing
    /// width or a missing hash.
    pub fn class_words(&self) -> Result<ClassWords, StatementError> {
        self.lengths
            .check(self.visibility, &self.inputs, &self.outputs)?;
        let inputs = class_words(
            self.visibility.input,
            &self.inputs,
            self.input_hash,
            self.input_width,
            "input",
        )?;
        let params = if self.visibility.params == Vis::Hashed {
            Some(self.param_hash.ok_or_else(|| {
                StatementError::BadValue("hashed parameters without a hash".into())
            })?)
        } else {
            None
        };
        let outputs = class_words(
            self.visibility.output,
            &self.outputs,
            self.output_hash,
            self.output_width,
            "output",
        )?;
        Ok(ClassWords {
            inputs,
            params,
            outputs,
        })
    }

    /// The digest statement's one word (whatever statement the keys use): the `bytes32
    /// statement` that `IProofVerifier.verify` takes.
    ///
    /// # Errors
    /// As [`PublicValues::class_words`].
    pub fn digest(&self) -> Result<B256, StatementError> {
        let c = self.class_words()?;
        Ok(context::statement_digest(
            &self.context,
            &context::class_digest(&c.inputs),
            c.params.as_ref(),
            &context::class_digest(&c.outputs),
        ))
    }

    /// The verifier's public words in order: the context word (shifted) and the class elements
    /// (packed statement), or the digest alone.
    ///
    /// # Errors
    /// As [`PublicValues::class_words`].
    pub fn words(&self) -> Result<Vec<B256>, StatementError> {
        match self.visibility.statement {
            Statement::Digest => Ok(vec![self.digest()?]),
            Statement::Packed => {
                let c = self.class_words()?;
                let mut out = Vec::with_capacity(2 + c.inputs.len() + c.outputs.len());
                out.push(context::shifted(&context::context_word(&self.context)));
                out.extend(c.inputs);
                out.extend(c.params);
                out.extend(c.outputs);
                Ok(out)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn packing_is_little_endian_offset_binary() {
        // Two 8-bit values: (-128 + 128) + (5 + 128)·256.
        let e = pack_words(&[-128, 5], 8).unwrap();
        assert_eq!(e, vec![B256::from(U256::from(133u64 * 256))]);
        assert_eq!(per_word(8), 31);
        assert_eq!(pack_words(&[0; 32], 8).unwrap().len(), 2);
        let full = pack_words(&[i32::MAX; 7], 32).unwrap();
        assert!(U256::from_be_bytes(full[0].0).bit_len() <= 253);
        assert!(pack_words(&[128], 8).is_err());
        assert!(pack_words(&[1], 0).is_err());
        assert!(pack_words(&[1], 33).is_err());
    }

    #[test]
    fn lengths_are_checked() {
        let lengths = Lengths {
            inputs: vec![TensorLen {
                name: "x".into(),
                len: 2,
            }],
            outputs: vec![TensorLen {
                name: "y".into(),
                len: 1,
            }],
        };
        let v = Visibility::default();
        assert!(lengths.check(v, &[vec![1, 2]], &[vec![3]]).is_ok());
        assert!(matches!(
            lengths.check(v, &[vec![1], vec![2]], &[vec![3]]),
            Err(StatementError::TensorCount { .. })
        ));
        assert!(matches!(
            lengths.check(v, &[vec![1, 2, 0]], &[vec![3]]),
            Err(StatementError::TensorLength { index: 0, .. })
        ));
    }
}

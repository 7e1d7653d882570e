//! Typed access to an ONNX node's attributes and inputs.

use tract_onnx::pb::{AttributeProto, NodeProto};
use verinfer_quant::builder::Builder;
use verinfer_quant::fgraph::FRef;

use crate::error::OnnxError;

/// Attributes of one node.
#[derive(Clone, Copy, Debug)]
pub struct Attrs<'a>(pub &'a NodeProto);

impl<'a> Attrs<'a> {
    fn find(&self, name: &str) -> Option<&'a AttributeProto> {
        self.0.attribute.iter().find(|a| a.name == name)
    }

    /// Whether the attribute is present.
    #[must_use]
    pub fn has(&self, name: &str) -> bool {
        self.find(name).is_some()
    }

    /// Integer attribute.
    #[must_use]
    pub fn int(&self, name: &str) -> Option<i64> {
        self.find(name).map(|a| a.i)
    }

    /// Integer attribute with a default.
    #[must_use]
    pub fn int_or(&self, name: &str, default: i64) -> i64 {
        self.int(name).unwrap_or(default)
    }

    /// Float attribute.
    #[must_use]
    pub fn float(&self, name: &str) -> Option<f64> {
        self.find(name).map(|a| f64::from(a.f))
    }

    /// Float attribute with a default.
    #[must_use]
    pub fn float_or(&self, name: &str, default: f64) -> f64 {
        self.float(name).unwrap_or(default)
    }

    /// Integer-list attribute.
    #[must_use]
    pub fn ints(&self, name: &str) -> Option<Vec<i64>> {
        self.find(name).map(|a| a.ints.clone())
    }

    /// Float-list attribute.
    #[must_use]
    pub fn floats(&self, name: &str) -> Option<Vec<f64>> {
        self.find(name)
            .map(|a| a.floats.iter().map(|&f| f64::from(f)).collect())
    }

    /// String attribute.
    #[must_use]
    pub fn string(&self, name: &str) -> Option<String> {
        self.find(name)
            .map(|a| String::from_utf8_lossy(&a.s).into_owned())
    }

    /// String-list attribute.
    #[must_use]
    pub fn strings(&self, name: &str) -> Option<Vec<String>> {
        self.find(name).map(|a| {
            a.strings
                .iter()
                .map(|s| String::from_utf8_lossy(s).into_owned())
                .collect()
        })
    }

    /// Tensor attribute.
    #[must_use]
    pub fn tensor(&self, name: &str) -> Option<&'a tract_onnx::pb::TensorProto> {
        self.find(name).and_then(|a| a.t.as_ref())
    }
}

/// Required input `k` of `node`.
///
/// # Errors
/// When absent or unknown.
pub fn input(b: &Builder, node: &NodeProto, k: usize) -> Result<FRef, OnnxError> {
    match node.input.get(k) {
        Some(name) if !name.is_empty() => Ok(b.get(name)?),
        _ => Err(b.err(format!("missing required input #{k}")).into()),
    }
}

/// Optional input `k` of `node` (absent or empty name gives `None`).
///
/// # Errors
/// When named but unknown.
pub fn opt_input(b: &Builder, node: &NodeProto, k: usize) -> Result<Option<FRef>, OnnxError> {
    match node.input.get(k) {
        Some(name) if !name.is_empty() => Ok(Some(b.get(name)?)),
        _ => Ok(None),
    }
}

/// Integers from a constant input (axes, shapes, pads…), rounded from their `f64` storage.
///
/// # Errors
/// When the input is computed at run time.
pub fn const_ints(b: &Builder, r: FRef, what: &str) -> Result<Vec<i64>, OnnxError> {
    #[allow(clippy::cast_possible_truncation)]
    let v = b
        .require_const(r, what)?
        .iter()
        .map(|&x| x.round() as i64)
        .collect();
    Ok(v)
}

//! Lowering of ONNX ops to primitives. Each file owns a family of ops, lists them in `OPS`,
//! and answers `None` for op types it does not own.

pub mod attention;
pub mod boolean;
pub mod compare;
pub mod conv;
pub mod elementwise;
pub mod linear;
pub mod loss;
// ai.onnx.ml (scikit-learn exports)
#[cfg(test)]
mod loss_tests;
pub mod ml;
pub mod ml_svm;
#[cfg(test)]
mod ml_svm_tests;
#[cfg(test)]
mod ml_tests;
pub mod ml_tree;
pub mod movement;
pub mod normalization;
#[cfg(test)]
mod qtest;
pub mod quantized;
pub mod recurrent;
#[cfg(test)]
mod recurrent_tests;

use tract_onnx::pb::NodeProto;
use verinfer_quant::builder::Builder;
use verinfer_quant::fgraph::FRef;

use crate::error::OnnxError;

/// What a file's `lower` returns: `None` when the node's op type is not one of the file's,
/// else the node's outputs in ONNX order, or why it cannot be lowered.
pub type Lowered = Option<Result<Vec<FRef>, OnnxError>>;

/// Every supported ONNX op type (default domain).
#[must_use]
pub fn supported_ops() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = [
        linear::OPS,
        attention::OPS,
        loss::OPS,
        compare::OPS,
        conv::OPS,
        elementwise::OPS,
        movement::OPS,
        normalization::OPS,
        quantized::OPS,
        recurrent::OPS,
    ]
    .concat();
    v.sort_unstable();
    v
}

/// Lower one node; returns its outputs in ONNX output order.
///
/// # Errors
/// Unsupported op types and attributes, inconsistent shapes.
pub fn lower_node(b: &mut Builder, node: &NodeProto, opset: i64) -> Result<Vec<FRef>, OnnxError> {
    if node.domain == ml::DOMAIN {
        return ml::lower(b, node);
    }
    if !(node.domain.is_empty() || node.domain == "ai.onnx") {
        return Err(b
            .unsupported(format!("custom domain '{}'", node.domain))
            .into());
    }
    let lowered = linear::lower(b, node, opset)
        .or_else(|| compare::lower(b, node, opset))
        .or_else(|| conv::lower(b, node, opset))
        .or_else(|| elementwise::lower(b, node, opset))
        .or_else(|| movement::lower(b, node, opset))
        .or_else(|| normalization::lower(b, node, opset))
        .or_else(|| recurrent::lower(b, node, opset))
        .or_else(|| loss::lower(b, node, opset))
        .or_else(|| attention::lower(b, node, opset));
    match lowered {
        Some(r) => r,
        None => Err(b.unsupported("").into()),
    }
}

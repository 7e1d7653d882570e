//! (being written)

use tract_onnx::pb::NodeProto;

use crate::builder::Builder;
use crate::error::OnnxError;
use crate::fgraph::FRef;

/// Op types lowered here.
pub const OPS: &[&str] = &[];

/// Lower `node` if this file owns its op type.
pub fn lower(_b: &mut Builder, _node: &NodeProto, _opset: i64) -> Option<Result<Vec<FRef>, OnnxError>> {
    None
}

//! The compiled graph: values, parameters and nodes in topological order.

use serde::{Deserialize, Serialize};

use crate::error::TraceMisfit;
use crate::op::Op;
use crate::param_data::ParamData;
use crate::shape::Shape;
use crate::types::{Bits, ParamId, Scale, ValueId};

/// Static facts about a tensor: shape, fixed-point scale and bit bound.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TensorInfo {
    /// Shape.
    pub shape: Shape,
    /// Scale exponent (real = q / 2^scale).
    pub scale: Scale,
    /// Every element lies within this bound.
    pub bits: Bits,
}

/// What a parameter is for (display and commitments; the semantics do not depend on it).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ParamKind {
    /// Weights of a contraction or a constant operand.
    Weight,
    /// Bias of a contraction (at a scale near `s_in + s_w`).
    Bias,
    /// A lookup table (output values of a non-linear function over its input domain).
    Table,
    /// An index map of a data-movement node.
    IndexMap,
}

/// A constant tensor, committed with the model.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Param {
    /// Human-readable name (the ONNX initializer or what the compiler derived it from).
    pub name: String,
    /// Role.
    pub kind: ParamKind,
    /// Shape, scale and bound.
    pub info: TensorInfo,
    /// Row-major elements, stored at their narrowest width.
    pub data: ParamData,
}

/// Where a node reads a tensor from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Operand {
    /// A graph input or an earlier node's output.
    Value(ValueId),
    /// A parameter.
    Param(ParamId),
}

/// One primitive operation and its output.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Node {
    /// Name (derived from the ONNX node it was lowered from).
    pub name: String,
    /// ONNX op type it was lowered from (display only).
    pub origin: String,
    /// The primitive.
    pub op: Op,
    /// Operands, in the order the op defines.
    pub inputs: Vec<Operand>,
    /// Output facts.
    pub out: TensorInfo,
}

/// A graph input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputSpec {
    /// ONNX input name.
    pub name: String,
    /// Shape, scale and bound the input is quantized to.
    pub info: TensorInfo,
}

/// A graph output: which value, under which name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputSpec {
    /// ONNX output name.
    pub name: String,
    /// The value holding it.
    pub value: ValueId,
}

/// A compiled, quantized model.
///
/// Values are numbered inputs first, then one per node in order; that numbering is the
/// execution trace's order, so it must never be reshuffled after compilation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Graph {
    /// Model name (file stem of the ONNX model).
    pub name: String,
    /// Graph inputs.
    pub inputs: Vec<InputSpec>,
    /// Constants.
    pub params: Vec<Param>,
    /// Nodes in topological order.
    pub nodes: Vec<Node>,
    /// Graph outputs.
    pub outputs: Vec<OutputSpec>,
}

impl Graph {
    /// Number of values (inputs + nodes).
    #[must_use]
    pub fn num_values(&self) -> usize {
        self.inputs.len() + self.nodes.len()
    }

    /// Value id of node `i`'s output.
    pub fn node_value(&self, i: usize) -> ValueId {
        // The validator rejects graphs with more than u32::MAX values.
        #[allow(clippy::cast_possible_truncation)]
        ValueId((self.inputs.len() + i) as u32)
    }

    /// Facts about a value, if it exists.
    #[must_use]
    pub fn value_info(&self, v: ValueId) -> Option<&TensorInfo> {
        let i = v.index();
        if i < self.inputs.len() {
            Some(&self.inputs[i].info)
        } else {
            self.nodes.get(i - self.inputs.len()).map(|n| &n.out)
        }
    }

    /// Facts about an operand, if it exists.
    #[must_use]
    pub fn operand_info(&self, o: Operand) -> Option<&TensorInfo> {
        match o {
            Operand::Value(v) => self.value_info(v),
            Operand::Param(p) => self.params.get(p.index()).map(|p| &p.info),
        }
    }

    /// Check that `trace` is shaped as this graph's values: one value per input and node,
    /// each with as many elements as its shape says.
    ///
    /// # Errors
    /// The first [`TraceMisfit`].
    pub fn check_trace(&self, trace: &[Vec<i32>]) -> Result<(), TraceMisfit> {
        if trace.len() != self.num_values() {
            return Err(TraceMisfit::Count {
                expected: self.num_values(),
                got: trace.len(),
            });
        }
        let infos = self
            .inputs
            .iter()
            .map(|i| &i.info)
            .chain(self.nodes.iter().map(|n| &n.out));
        for (v, (info, data)) in infos.zip(trace).enumerate() {
            if data.len() != info.shape.numel() {
                return Err(TraceMisfit::Length {
                    value: v,
                    expected: info.shape.numel(),
                    got: data.len(),
                });
            }
        }
        Ok(())
    }

    /// Total number of parameter elements (weights, biases, tables, maps).
    #[must_use]
    pub fn num_param_elements(&self) -> usize {
        self.params.iter().map(|p| p.data.len()).sum()
    }
}

//! The float lowered graph: a model (ONNX, GGUF, …) lowered to verinfer's primitives, with
//! real-valued constants.
//!
//! It has exactly the structure of the compiled integer graph, so calibration runs it in
//! `f64` to see every primitive's range, and quantization maps it node for node.

use std::borrow::Cow;
use std::collections::BTreeMap;

use verinfer_ir::{AffineMap, BinaryKind, ParamData, ReduceKind};

use crate::func::Func;

/// Where a primitive reads a tensor from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FRef {
    /// Graph input `i`.
    Input(usize),
    /// Output of node `i`.
    Node(usize),
    /// Constant `i`.
    Const(usize),
}

/// Geometry of a contraction (see [`verinfer_ir::Contract`]).
#[derive(Clone, Debug, PartialEq)]
pub struct ContractSpec {
    /// Output iteration dims.
    pub out_iter: Vec<usize>,
    /// Reduction dims.
    pub red: Vec<usize>,
    /// How `x` is read.
    pub x_map: AffineMap,
    /// How `w` is read.
    pub w_map: AffineMap,
    /// How the bias is read (when a bias operand is given).
    pub bias_map: Option<AffineMap>,
}

/// A primitive with real-valued attributes.
#[derive(Clone, Debug, PartialEq)]
pub enum FOp {
    /// `Σ x·w (+ bias)`; inputs `[x, w]` or `[x, w, bias]`.
    Contract(ContractSpec),
    /// `x · factor`; inputs `[x]`.
    Scale(f64),
    /// `f(a·a_factor, b·b_factor)` with broadcasting; inputs `[a, b]`.
    Binary {
        /// Function.
        kind: BinaryKind,
        /// Factor on `a`.
        a_factor: f64,
        /// Factor on `b`.
        b_factor: f64,
    },
    /// `func(x)`; inputs `[x]`.
    Lookup(Func),
    /// Sum / max / first-argmax over axes (sorted, distinct); inputs `[x]`.
    Reduce {
        /// Function.
        kind: ReduceKind,
        /// Axes.
        axes: Vec<usize>,
        /// Keep reduced axes as 1.
        keep_dims: bool,
    },
    /// `a / b` with broadcasting (0 where `b = 0`); inputs `[a, b]`.
    Div,
    /// `out[j] = cat(inputs)[map[j]]` or `fill` where `map[j] = -1`.
    Move {
        /// Index map.
        map: Vec<i64>,
        /// Fill value (real).
        fill: f64,
    },
    /// Gather along `axis` with run-time indices; inputs `[data, indices]`.
    Gather {
        /// Axis of `data`.
        axis: usize,
    },
    /// `sqrt(max(x, 0))` elementwise; inputs `[x]`. Quantized to the exact integer root
    /// ([`verinfer_ir::ISqrt`]), not a table, so it holds over any input range.
    Sqrt,
}

/// A float-graph input.
#[derive(Clone, Debug, PartialEq)]
pub struct FInput {
    /// Name in the source model.
    pub name: String,
    /// Static shape.
    pub shape: Vec<usize>,
    /// Integer-typed (indices): quantized at scale 0 without rounding loss.
    pub integer: bool,
    /// For an integer input, the bits its declared type needs (`int8` → 8, `uint8` → 9);
    /// `None`: 32. A narrow input keeps products of inputs within the accumulator.
    pub int_bits: Option<u32>,
}

/// A real-valued constant (initializer, folded value or compiler-made).
#[derive(Clone, Debug, PartialEq)]
pub struct FConst {
    /// Name.
    pub name: String,
    /// Shape.
    pub shape: Vec<usize>,
    /// Row-major values; empty when [`FConst::ints`] holds them.
    pub data: Vec<f64>,
    /// Integer-typed in the source model (shapes, axes, indices): arithmetic on it folds with
    /// integer semantics (division truncates).
    pub integer: bool,
    /// `Some(s)`: every value is an integer multiple of `2^-s` (block integers and scales of a
    /// GGUF `Q8_0`/`Q4_0` tensor), so the quantizer stores it at scale `s`, exactly and at the
    /// few bits it needs, instead of at the working width.
    pub exact_scale: Option<i32>,
    /// The values as the integers `n` of `n · 2^-exact_scale`, at their narrow width, instead
    /// of `data`. A language model's block integers take one byte an element here instead of
    /// eight as `f64`; the float evaluator reads them in place and the quantizer hands the
    /// same storage to the integer graph (shared, not copied).
    pub ints: Option<ParamData>,
}

impl FConst {
    /// Number of elements.
    #[must_use]
    pub fn len(&self) -> usize {
        self.ints.as_ref().map_or(self.data.len(), ParamData::len)
    }

    /// Whether there are no elements.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The real value of one integer of [`FConst::ints`]: `2^-exact_scale`.
    #[must_use]
    pub fn unit(&self) -> f64 {
        2f64.powi(-self.exact_scale.unwrap_or(0))
    }

    /// The values in order as reals, one at a time (no allocation).
    pub fn values(&self) -> Box<dyn Iterator<Item = f64> + '_> {
        match &self.ints {
            None => Box::new(self.data.iter().copied()),
            Some(p) => {
                let u = self.unit();
                Box::new(p.values().map(move |v| f64::from(v) * u))
            }
        }
    }

    /// The values as reals: borrowed, or made from the integers (a copy of 8 bytes an
    /// element — for small constants and folding only).
    #[must_use]
    pub fn reals(&self) -> Cow<'_, [f64]> {
        match &self.ints {
            None => Cow::Borrowed(&self.data),
            Some(_) => Cow::Owned(self.values().collect()),
        }
    }
}

/// A primitive node.
#[derive(Clone, Debug, PartialEq)]
pub struct FNode {
    /// Name (the source node's name, suffixed when one source node lowers to several
    /// primitives).
    pub name: String,
    /// Op type of the source node it came from (e.g. ONNX `Conv`).
    pub origin: String,
    /// Primitive.
    pub op: FOp,
    /// Operands.
    pub inputs: Vec<FRef>,
    /// Output shape.
    pub shape: Vec<usize>,
}

/// The whole float graph.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct FGraph {
    /// Model name.
    pub name: String,
    /// Inputs.
    pub inputs: Vec<FInput>,
    /// Constants.
    pub consts: Vec<FConst>,
    /// Nodes, topologically ordered.
    pub nodes: Vec<FNode>,
    /// Outputs: name in the source model and where the value is.
    pub outputs: Vec<(String, FRef)>,
    /// Nodes whose values are integers the source model defines exactly (an already-quantized
    /// model's `QuantizeLinear`, its integer accumulators), by node index: quantized at scale 0
    /// with this many bits instead of at a calibrated scale, so the integer graph computes
    /// them exactly rather than approximating them (see [`crate::builder::Builder::pin_integer`]).
    pub exact_ints: BTreeMap<usize, u32>,
}

impl FGraph {
    /// The nodes that are graph outputs (their widths are the output's, not a rule's).
    #[must_use]
    pub fn output_nodes(&self) -> std::collections::HashSet<usize> {
        self.outputs
            .iter()
            .filter_map(|(_, r)| match r {
                FRef::Node(i) => Some(*i),
                FRef::Input(_) | FRef::Const(_) => None,
            })
            .collect()
    }

    /// Shape of a tensor.
    #[must_use]
    pub fn shape(&self, r: FRef) -> &[usize] {
        match r {
            FRef::Input(i) => &self.inputs[i].shape,
            FRef::Node(i) => &self.nodes[i].shape,
            FRef::Const(i) => &self.consts[i].shape,
        }
    }
}

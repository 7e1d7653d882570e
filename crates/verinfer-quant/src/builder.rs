//! Builds the float graph while a model format lowers its nodes, folding every primitive whose
//! inputs are all constants (so shape arithmetic such as ONNX's `Shape → Gather → Concat →
//! Reshape` disappears).
//!
//! A format's lowering drives it node by node: [`Builder::begin_node`] names the source node,
//! [`Builder::bind`]/[`Builder::get`] map the format's tensor names to [`FRef`]s, and the
//! primitive methods (`contract`, `binary`, `func`, `reduce`, `move_map`, …) emit nodes.

use std::collections::HashMap;

use verinfer_ir::shape::{broadcast, numel, strides, unravel_into};
use verinfer_ir::{BinaryKind, ReduceKind};

use crate::error::QuantError;
use crate::feval::{self, FTensor};
use crate::fgraph::{ContractSpec, FConst, FGraph, FInput, FNode, FOp, FRef};
use crate::func::Func;

/// Lowering state: the graph so far, the source format's tensor names in scope, and the node
/// being lowered.
#[derive(Debug, Default)]
pub struct Builder {
    /// The graph built so far.
    pub g: FGraph,
    env: HashMap<String, FRef>,
    node: String,
    op_type: String,
    emitted: usize,
}

impl Builder {
    /// Empty builder for a model called `name`.
    #[must_use]
    pub fn new(name: &str) -> Self {
        Self {
            g: FGraph {
                name: name.to_string(),
                ..FGraph::default()
            },
            ..Self::default()
        }
    }

    /// Start lowering source node `name` of type `op_type` (names emitted primitives, errors).
    pub fn begin_node(&mut self, name: &str, op_type: &str) {
        self.node = name.to_string();
        self.op_type = op_type.to_string();
        self.emitted = 0;
    }

    /// Error for the node being lowered.
    #[must_use]
    pub fn err(&self, what: impl Into<String>) -> QuantError {
        QuantError::BadNode {
            node: self.node.clone(),
            op_type: self.op_type.clone(),
            what: what.into(),
        }
    }

    /// "Unsupported" error for the node being lowered.
    #[must_use]
    pub fn unsupported(&self, detail: impl Into<String>) -> QuantError {
        QuantError::UnsupportedOp {
            op_type: self.op_type.clone(),
            node: self.node.clone(),
            detail: detail.into(),
        }
    }

    /// Name of the source node being lowered.
    #[must_use]
    pub fn node_name(&self) -> &str {
        &self.node
    }

    /// Bind a tensor name of the source model.
    pub fn bind(&mut self, name: &str, r: FRef) {
        self.env.insert(name.to_string(), r);
    }

    /// Resolve a tensor name of the source model.
    ///
    /// # Errors
    /// When nothing produced it.
    pub fn get(&self, name: &str) -> Result<FRef, QuantError> {
        self.env.get(name).copied().ok_or_else(|| self.err(format!("input tensor '{name}' is not produced by any earlier node, initializer or graph input")))
    }

    /// Add a graph input.
    pub fn add_input(&mut self, name: &str, shape: Vec<usize>, integer: bool) -> FRef {
        self.g.inputs.push(FInput {
            name: name.to_string(),
            shape,
            integer,
            int_bits: None,
        });
        let r = FRef::Input(self.g.inputs.len() - 1);
        self.bind(name, r);
        r
    }

    /// Declare the width of integer input `r` (a no-op for anything else): values of an
    /// `int8` input need 8 bits, not the default 32.
    pub fn set_input_bits(&mut self, r: FRef, bits: u32) {
        if let FRef::Input(i) = r {
            if let Some(inp) = self.g.inputs.get_mut(i).filter(|inp| inp.integer) {
                inp.int_bits = Some(bits);
            }
        }
    }

    /// Shape of a tensor.
    #[must_use]
    pub fn shape(&self, r: FRef) -> Vec<usize> {
        self.g.shape(r).to_vec()
    }

    /// Values of a constant, `None` for run-time tensors and for constants kept as exact
    /// integers ([`Builder::exact_ints`]: large weights, which lowerings never inspect).
    #[must_use]
    pub fn const_data(&self, r: FRef) -> Option<&[f64]> {
        match r {
            FRef::Const(i) => {
                Some(&self.g.consts[i]).and_then(|c| c.ints.is_none().then_some(c.data.as_slice()))
            }
            FRef::Input(_) | FRef::Node(_) => None,
        }
    }

    /// Values of a constant, or an error naming what had to be constant.
    ///
    /// # Errors
    /// When `r` is computed at run time.
    pub fn require_const(&self, r: FRef, what: &str) -> Result<Vec<f64>, QuantError> {
        self.const_data(r).map(<[f64]>::to_vec).ok_or_else(|| {
            self.unsupported(format!(
                "{what} must be a constant (it is computed at run time)"
            ))
        })
    }

    /// Add a constant.
    pub fn constant(&mut self, name: &str, shape: Vec<usize>, data: Vec<f64>) -> FRef {
        self.g.consts.push(FConst {
            name: name.to_string(),
            shape,
            data,
            integer: false,
            exact_scale: None,
            ints: None,
        });
        FRef::Const(self.g.consts.len() - 1)
    }

    /// Add a constant whose values are exact multiples of `2^-scale` (see
    /// [`FConst::exact_scale`]); the caller guarantees it.
    pub fn exact_constant(
        &mut self,
        name: &str,
        shape: Vec<usize>,
        data: Vec<f64>,
        scale: i32,
    ) -> FRef {
        let r = self.constant(name, shape, data);
        if let FRef::Const(i) = r {
            self.g.consts[i].exact_scale = Some(scale);
        }
        r
    }

    /// Add a constant whose values are the integers `ints` times `2^-scale`, kept as those
    /// integers at their narrow width (see [`FConst::ints`]) — never as `f64`.
    pub fn exact_ints(
        &mut self,
        name: &str,
        shape: Vec<usize>,
        ints: verinfer_ir::ParamData,
        scale: i32,
    ) -> FRef {
        let r = self.constant(name, shape, Vec::new());
        if let FRef::Const(i) = r {
            let c = &mut self.g.consts[i];
            c.exact_scale = Some(scale);
            c.ints = Some(ints);
        }
        r
    }

    /// Add a constant of integer type when `integer` (values are whole numbers).
    pub fn typed_constant(
        &mut self,
        name: &str,
        shape: Vec<usize>,
        data: Vec<f64>,
        integer: bool,
    ) -> FRef {
        let r = self.constant(name, shape, data);
        if let FRef::Const(i) = r {
            self.g.consts[i].integer = integer;
        }
        r
    }

    /// Mark a constant as integer-typed (a no-op for run-time tensors).
    pub fn mark_integer(&mut self, r: FRef) {
        if let FRef::Const(i) = r {
            if let Some(c) = self.g.consts.get_mut(i) {
                c.integer = true;
            }
        }
    }

    /// Whether `r` is an integer-typed constant.
    #[must_use]
    pub fn is_integer_const(&self, r: FRef) -> bool {
        matches!(r, FRef::Const(i) if self.g.consts.get(i).is_some_and(|c| c.integer))
    }

    /// A scalar constant.
    pub fn scalar(&mut self, v: f64) -> FRef {
        let name = format!("{}/const{}", self.node, self.g.consts.len());
        self.constant(&name, vec![], vec![v])
    }

    /// Emit a primitive, or fold it when every input is constant.
    pub fn emit(&mut self, op: FOp, inputs: Vec<FRef>, shape: Vec<usize>) -> FRef {
        let name = if self.emitted == 0 {
            self.node.clone()
        } else {
            format!("{}/{}", self.node, self.emitted)
        };
        self.emitted += 1;
        let consts: Option<Vec<&FConst>> = inputs
            .iter()
            .map(|&r| match r {
                FRef::Const(i) => self.g.consts.get(i),
                FRef::Input(_) | FRef::Node(_) => None,
            })
            .collect();
        if let Some(consts) = consts {
            let ins: Vec<FTensor<'_>> = consts.into_iter().map(FTensor::of_const).collect();
            let mut data = feval::eval(&op, &ins, &shape);
            // Integer tensors (shape arithmetic) keep integer semantics when folded (ONNX's:
            // division truncates).
            let integer = inputs.iter().all(|&r| self.is_integer_const(r))
                && match &op {
                    FOp::Binary {
                        a_factor, b_factor, ..
                    } => a_factor.fract() == 0.0 && b_factor.fract() == 0.0,
                    FOp::Div => {
                        data.iter_mut().for_each(|v| *v = v.trunc());
                        true
                    }
                    FOp::Move { .. } | FOp::Gather { .. } | FOp::Reduce { .. } => true,
                    FOp::Contract(_) | FOp::Scale(_) | FOp::Lookup(_) | FOp::Sqrt => false,
                };
            return self.typed_constant(&name, shape, data, integer);
        }
        self.g.nodes.push(FNode {
            name,
            origin: self.op_type.clone(),
            op,
            inputs,
            shape,
        });
        FRef::Node(self.g.nodes.len() - 1)
    }

    /// Declare that node `r` computes integers exactly (scale 0, `bits` signed bits, values
    /// beyond them saturate): the quantizer gives it that format instead of a calibrated
    /// scale, and a factor feeding it gets a wide multiplier. A constant (folded) `r` is
    /// already exact and needs nothing.
    pub fn pin_integer(&mut self, r: FRef, bits: u32) {
        if let FRef::Node(i) = r {
            self.g.exact_ints.insert(i, bits);
        }
    }

    /// Broadcasting binary op with unit factors.
    ///
    /// # Errors
    /// When shapes do not broadcast.
    pub fn binary(&mut self, kind: BinaryKind, a: FRef, b: FRef) -> Result<FRef, QuantError> {
        self.binary_f(kind, a, 1.0, b, 1.0)
    }

    /// Broadcasting binary op `f(a·af, b·bf)`.
    ///
    /// # Errors
    /// When shapes do not broadcast.
    pub fn binary_f(
        &mut self,
        kind: BinaryKind,
        a: FRef,
        af: f64,
        b: FRef,
        bf: f64,
    ) -> Result<FRef, QuantError> {
        let shape = self.broadcast_shape(a, b)?;
        Ok(self.emit(
            FOp::Binary {
                kind,
                a_factor: af,
                b_factor: bf,
            },
            vec![a, b],
            shape,
        ))
    }

    /// `x · factor`.
    pub fn scale(&mut self, x: FRef, factor: f64) -> FRef {
        if factor == 1.0 {
            return x;
        }
        let s = self.shape(x);
        self.emit(FOp::Scale(factor), vec![x], s)
    }

    /// `func(x)` elementwise.
    pub fn func(&mut self, x: FRef, func: Func) -> FRef {
        let s = self.shape(x);
        self.emit(FOp::Lookup(func), vec![x], s)
    }

    /// `sqrt(max(x, 0))` elementwise, quantized to the exact integer root (RMSNorm).
    pub fn sqrt(&mut self, x: FRef) -> FRef {
        let s = self.shape(x);
        self.emit(FOp::Sqrt, vec![x], s)
    }

    /// Reduction over `axes` (any order, may be negative; normalized here).
    ///
    /// # Errors
    /// Axes out of range.
    pub fn reduce(
        &mut self,
        x: FRef,
        kind: ReduceKind,
        axes: &[i64],
        keep_dims: bool,
    ) -> Result<FRef, QuantError> {
        let shape = self.shape(x);
        let mut ax = self.axes(axes, shape.len())?;
        ax.sort_unstable();
        ax.dedup();
        if ax.is_empty() {
            return Ok(x);
        }
        let out = verinfer_ir::ops::reduce::reduced_shape(&shape, &ax, keep_dims);
        Ok(self.emit(
            FOp::Reduce {
                kind,
                axes: ax,
                keep_dims,
            },
            vec![x],
            out,
        ))
    }

    /// Normalize possibly negative axes against `rank`.
    ///
    /// # Errors
    /// Axes out of range.
    pub fn axes(&self, axes: &[i64], rank: usize) -> Result<Vec<usize>, QuantError> {
        axes.iter().map(|&a| self.axis(a, rank)).collect()
    }

    /// Normalize one possibly negative axis.
    ///
    /// # Errors
    /// Axis out of range.
    pub fn axis(&self, a: i64, rank: usize) -> Result<usize, QuantError> {
        let r = i64::try_from(rank).unwrap_or(i64::MAX);
        let v = if a < 0 { a + r } else { a };
        if v < 0 || v >= r {
            return Err(self.err(format!("axis {a} out of range for rank {rank}")));
        }
        usize::try_from(v).map_err(|_| self.err(format!("axis {a} out of range")))
    }

    /// Numpy broadcast of two operands' shapes.
    ///
    /// # Errors
    /// When they do not broadcast.
    pub fn broadcast_shape(&self, a: FRef, b: FRef) -> Result<Vec<usize>, QuantError> {
        let (sa, sb) = (self.g.shape(a), self.g.shape(b));
        broadcast(sa, sb)
            .ok_or_else(|| self.err(format!("shapes {sa:?} and {sb:?} do not broadcast")))
    }

    /// `a / b` with broadcasting.
    ///
    /// # Errors
    /// When shapes do not broadcast.
    pub fn div(&mut self, a: FRef, b: FRef) -> Result<FRef, QuantError> {
        let shape = self.broadcast_shape(a, b)?;
        Ok(self.emit(FOp::Div, vec![a, b], shape))
    }

    /// Data movement by explicit index map over the concatenated inputs.
    pub fn move_map(
        &mut self,
        inputs: Vec<FRef>,
        out_shape: Vec<usize>,
        map: Vec<i64>,
        fill: f64,
    ) -> FRef {
        self.emit(FOp::Move { map, fill }, inputs, out_shape)
    }

    /// Gather rows of `data` along `axis` at run-time `indices`.
    ///
    /// # Errors
    /// Axis out of range.
    pub fn gather(&mut self, data: FRef, idx: FRef, axis: usize) -> Result<FRef, QuantError> {
        let d = self.shape(data);
        if axis >= d.len() || d[axis] == 0 {
            return Err(self.err(format!("gather axis {axis} invalid for shape {d:?}")));
        }
        let out: Vec<usize> = d[..axis]
            .iter()
            .chain(self.g.shape(idx))
            .chain(&d[axis + 1..])
            .copied()
            .collect();
        Ok(self.emit(FOp::Gather { axis }, vec![data, idx], out))
    }

    /// Contraction; `out_shape` must have `Π spec.out_iter` elements.
    ///
    /// # Errors
    /// When the element counts disagree.
    pub fn contract(
        &mut self,
        x: FRef,
        w: FRef,
        bias: Option<FRef>,
        spec: ContractSpec,
        out_shape: Vec<usize>,
    ) -> Result<FRef, QuantError> {
        if numel(&spec.out_iter) != numel(&out_shape) {
            return Err(self.err(format!(
                "contraction iterates {:?} but the output is {:?}",
                spec.out_iter, out_shape
            )));
        }
        let mut inputs = vec![x, w];
        inputs.extend(bias);
        Ok(self.emit(FOp::Contract(spec), inputs, out_shape))
    }

    /// Reshape (same elements, same order). Returns `x` itself when nothing changes.
    ///
    /// # Errors
    /// When element counts differ.
    pub fn reshape(&mut self, x: FRef, shape: Vec<usize>) -> Result<FRef, QuantError> {
        let s = self.shape(x);
        if numel(&s) != numel(&shape) {
            return Err(self.err(format!("cannot reshape {s:?} into {shape:?}")));
        }
        if s == shape {
            return Ok(x);
        }
        if let Some(d) = self.const_data(x) {
            let d = d.to_vec();
            let name = format!("{}/reshaped{}", self.node, self.g.consts.len());
            return Ok(self.constant(&name, shape, d));
        }
        let map = (0..numel(&shape))
            .map(|i| i64::try_from(i).unwrap_or(-1))
            .collect();
        Ok(self.move_map(vec![x], shape, map, 0.0))
    }

    /// Permute axes.
    ///
    /// # Errors
    /// When `perm` is not a permutation of the axes.
    pub fn transpose(&mut self, x: FRef, perm: &[usize]) -> Result<FRef, QuantError> {
        let s = self.shape(x);
        let mut sorted = perm.to_vec();
        sorted.sort_unstable();
        if sorted != (0..s.len()).collect::<Vec<_>>() {
            return Err(self.err(format!(
                "perm {perm:?} is not a permutation of {} axes",
                s.len()
            )));
        }
        if perm.iter().enumerate().all(|(i, &p)| i == p) {
            return Ok(x);
        }
        let out: Vec<usize> = perm.iter().map(|&p| s[p]).collect();
        let st = strides(&s);
        let mut idx = vec![0usize; out.len()];
        let map = (0..numel(&out))
            .map(|j| {
                unravel_into(j, &out, &mut idx);
                let f: usize = idx.iter().zip(perm).map(|(&i, &p)| i * st[p]).sum();
                i64::try_from(f).unwrap_or(-1)
            })
            .collect();
        Ok(self.move_map(vec![x], out, map, 0.0))
    }
}

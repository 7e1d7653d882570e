//! ONNX protobuf → float lowered graph.
//!
//! We walk the raw protobuf (decoded by tract-onnx) rather than tract's decluttered model:
//! decluttering rewrites ops (Gemm → EinSum + Add, Flatten folded into weights, batch axes
//! dropped), and our lowering needs the ONNX semantics the user wrote, node for node.

use std::collections::BTreeMap;
use std::path::Path;

use tract_onnx::data_resolver::MmapDataResolver;
use tract_onnx::pb::tensor_shape_proto::dimension::Value as DimValue;
use tract_onnx::pb::type_proto::Value as TypeValue;
use tract_onnx::pb::{ModelProto, TensorProto};
use tract_onnx::prelude::{DatumType, Framework};
use verinfer_quant::builder::Builder;
use verinfer_quant::fgraph::{FGraph, FRef};

use crate::error::OnnxError;
use crate::lower::{lower_node, quantized};

/// Symbolic dimension resolved without being asked, as EZKL does.
pub const DEFAULT_SYMBOLS: &[(&str, usize)] = &[("batch_size", 1)];

/// How to import.
#[derive(Clone, Debug, Default)]
pub struct ImportOptions {
    /// Full static shapes for named inputs (overrides the model's, resolving symbolic dims).
    pub input_shapes: BTreeMap<String, Vec<usize>>,
    /// Values fixed at compile time for named inputs (e.g. a sample rate `sr` = 16000): the
    /// input becomes a constant, so the shapes and `If` branches that depend on it fold away.
    pub input_values: BTreeMap<String, Vec<f64>>,
}

impl ImportOptions {
    /// The input shapes of `g`, a graph compiled from the model: re-importing the float model
    /// at the shapes it was compiled for (its float reference).
    #[must_use]
    pub fn shaped_like(g: &verinfer_ir::Graph) -> Self {
        Self {
            input_shapes: g
                .inputs
                .iter()
                .map(|i| (i.name.clone(), i.info.shape.dims().to_vec()))
                .collect(),
            ..Self::default()
        }
    }
}

/// Decode an ONNX file.
///
/// # Errors
/// [`OnnxError::Malformed`] when the bytes are not an ONNX model.
pub fn read_proto(path: &Path) -> Result<ModelProto, OnnxError> {
    let bytes = std::fs::read(path).map_err(|source| OnnxError::Io {
        path: path.display().to_string(),
        source,
    })?;
    let proto = tract_onnx::onnx()
        .proto_model_for_read(&mut bytes.as_slice())
        .map_err(|e| OnnxError::Malformed {
            path: path.display().to_string(),
            reason: format!("{e:#}"),
        })?;
    if proto
        .graph
        .as_ref()
        .is_none_or(|g| g.node.is_empty() && g.output.is_empty())
    {
        return Err(OnnxError::Malformed {
            path: path.display().to_string(),
            reason: "no graph (empty or not an ONNX ModelProto)".into(),
        });
    }
    Ok(proto)
}

/// A tensor proto as `(shape, f64 values, is_integer)`.
///
/// # Errors
/// Unknown data types, external data that cannot be read.
pub fn tensor_values(
    t: &TensorProto,
    dir: Option<&str>,
) -> Result<(Vec<usize>, Vec<f64>, bool), OnnxError> {
    let bad = |e: String| OnnxError::Malformed {
        path: t.name.clone(),
        reason: e,
    };
    // Numeric types only, checked before tract's loader: it reaches `unimplemented!` for some
    // others (a STRING tensor with raw data), and we could not use them anyway.
    // FLOAT=1, UINT8..INT64=2..=7, BOOL=9, FLOAT16=10, DOUBLE=11, UINT32=12, UINT64=13.
    if !matches!(t.data_type, 1..=7 | 9..=13) {
        return Err(bad(format!(
            "tensor '{}' has unsupported data type {}",
            t.name, t.data_type
        )));
    }
    let tensor = tract_onnx::tensor::load_tensor(&MmapDataResolver, t, dir)
        .map_err(|e| bad(format!("tensor '{}': {e:#}", t.name)))?;
    let integer = tensor.datum_type().is_integer() || tensor.datum_type() == DatumType::Bool;
    let cast = tensor
        .cast_to::<f64>()
        .map_err(|e| bad(format!("tensor '{}' is not numeric: {e:#}", t.name)))?;
    let data = cast
        .to_plain_array_view::<f64>()
        .map_err(|e| bad(format!("{e:#}")))?
        .iter()
        .copied()
        .collect();
    Ok((tensor.shape().to_vec(), data, integer))
}

/// Import an ONNX file into the float lowered graph.
///
/// # Errors
/// Malformed files, unsupported ops (naming op type and node), unresolved symbolic dims,
/// inconsistent shapes.
pub fn import(path: &Path, opts: &ImportOptions) -> Result<FGraph, OnnxError> {
    let proto = read_proto(path)?;
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "model".into());
    let name = if name == "network" || name == "model" {
        path.parent()
            .and_then(|p| p.file_name())
            .map_or(name, |s| s.to_string_lossy().into_owned())
    } else {
        name
    };
    let dir = path.parent().and_then(|p| p.to_str());
    import_proto(&proto, &name, dir, opts)
}

/// Import an already decoded model.
///
/// # Errors
/// As [`import`].
pub fn import_proto(
    proto: &ModelProto,
    name: &str,
    dir: Option<&str>,
    opts: &ImportOptions,
) -> Result<FGraph, OnnxError> {
    let graph = proto.graph.as_ref().ok_or_else(|| OnnxError::Malformed {
        path: name.into(),
        reason: "no graph".into(),
    })?;
    let opset = proto
        .opset_import
        .iter()
        .find(|o| o.domain.is_empty() || o.domain == "ai.onnx")
        .map_or(13, |o| o.version);
    let mut b = Builder::new(name);
    let mut types = elem_types(graph);
    for t in &graph.initializer {
        let (shape, data, integer) = tensor_values(t, dir)?;
        let r = b.typed_constant(&t.name, shape, data, integer);
        b.bind(&t.name, r);
    }
    for unknown in opts.input_shapes.keys().chain(opts.input_values.keys()) {
        if !graph.input.iter().any(|vi| &vi.name == unknown) {
            return Err(OnnxError::BadData(format!(
                "'{unknown}' (given a shape or a value) is not an input of the model"
            )));
        }
    }
    for vi in &graph.input {
        if graph.initializer.iter().any(|t| t.name == vi.name) {
            continue;
        }
        let (shape, integer) = input_shape(vi, opts)?;
        if let Some(values) = opts.input_values.get(&vi.name) {
            let r = fixed_input(&mut b, &vi.name, shape, values, integer)?;
            b.bind(&vi.name, r);
            continue;
        }
        let r = b.add_input(&vi.name, shape, integer);
        if let Some(bits) = declared_int_bits(vi) {
            b.set_input_bits(r, bits);
        }
    }
    let mut scope = Scope {
        types: &mut types,
        opset,
        dir,
    };
    lower_nodes(&mut b, &graph.node, &mut scope, "")?;
    let mut g = b.g.clone();
    b.begin_node("graph outputs", "Output");
    for vi in &graph.output {
        let r = b.get(&vi.name)?;
        g.outputs.push((vi.name.clone(), r));
    }
    if g.inputs.is_empty() {
        return Err(OnnxError::BadData(
            "the model has no run-time inputs (everything is constant)".into(),
        ));
    }
    Ok(g)
}

/// What lowering a node needs beside the builder, the same in a subgraph (an `If` branch, a
/// `Scan` body) as in the main graph.
pub(crate) struct Scope<'a> {
    /// The element types known so far (the quantized operators read them).
    pub(crate) types: &'a mut quantized::ElemTypes,
    /// The model's default-domain opset.
    pub(crate) opset: i64,
    /// The model's folder, where external tensor data is read from.
    pub(crate) dir: Option<&'a str>,
}

/// Lower `nodes` in order, binding their outputs; unnamed nodes are called `{prefix}{op}_{k}`.
/// An `If` lowers the branch its (constant) condition selects, through this same function.
///
/// # Errors
/// As [`import`].
pub(crate) fn lower_nodes(
    b: &mut Builder,
    nodes: &[tract_onnx::pb::NodeProto],
    scope: &mut Scope<'_>,
    prefix: &str,
) -> Result<(), OnnxError> {
    for (k, node) in nodes.iter().enumerate() {
        let node_name = if node.name.is_empty() {
            format!("{prefix}{}_{k}", node.op_type)
        } else {
            node.name.clone()
        };
        b.begin_node(&node_name, &node.op_type);
        let outs = if node.op_type == "If" && node.domain.is_empty() {
            crate::branch::lower_if(b, node, scope)?
        } else if node.op_type == "Scan" && node.domain.is_empty() {
            crate::scan::lower_scan(b, node, scope)?
        } else {
            match quantized::lower(b, node, scope.types) {
                Some(r) => r?,
                None => lower_node(b, node, scope.opset)?,
            }
        };
        note_constant_type(node, scope.types);
        for (oname, r) in node.output.iter().zip(outs) {
            if !oname.is_empty() {
                b.bind(oname, r);
            }
        }
    }
    Ok(())
}

/// An input fixed at compile time (`--const`): a constant of the input's shape and type.
fn fixed_input(
    b: &mut Builder,
    name: &str,
    shape: Vec<usize>,
    values: &[f64],
    integer: bool,
) -> Result<FRef, OnnxError> {
    let n: usize = shape.iter().product();
    if values.len() != n {
        return Err(OnnxError::BadData(format!(
            "--const for '{name}' gives {} values, the input has shape {shape:?} ({n} elements)",
            values.len()
        )));
    }
    if let Some(v) = values
        .iter()
        .find(|v| !v.is_finite() || (integer && v.fract() != 0.0))
    {
        return Err(OnnxError::BadData(format!(
            "--const for '{name}': {v} is not a value of its {} type",
            if integer { "integer" } else { "float" }
        )));
    }
    Ok(b.typed_constant(name, shape, values.to_vec(), integer))
}

/// The declared element types of initializers, graph inputs and value infos (the quantized
/// ops need a zero point's: `uint8` and `int8` clamp differently).
fn elem_types(graph: &tract_onnx::pb::GraphProto) -> quantized::ElemTypes {
    let mut m = quantized::ElemTypes::new();
    for vi in graph.input.iter().chain(&graph.value_info) {
        if let Some(TypeValue::TensorType(tt)) = vi.r#type.as_ref().and_then(|t| t.value.as_ref()) {
            m.insert(vi.name.clone(), tt.elem_type);
        }
    }
    for t in &graph.initializer {
        m.insert(t.name.clone(), t.data_type);
    }
    m
}

/// The element type of `node`'s first output, when not declared: what a quantized op reading
/// it needs (a `QuantizeLinear`'s `uint8` through a `MaxPool` or `Reshape` into a
/// `QLinearConv`). Ops that keep their input's type (layout, pooling) pass input 0's on.
fn note_constant_type(node: &tract_onnx::pb::NodeProto, types: &mut quantized::ElemTypes) {
    let Some(out) = node.output.first() else {
        return;
    };
    if types.contains_key(out) {
        return;
    }
    let attr = |name: &str| node.attribute.iter().find(|a| a.name == name);
    let input_type = |k: usize| node.input.get(k).and_then(|n| types.get(n)).copied();
    const UINT8: i32 = 2;
    let t = match node.op_type.as_str() {
        "Constant" => attr("value")
            .and_then(|a| a.t.as_ref())
            .map(|t| t.data_type),
        "Cast" => attr("to").and_then(|a| i32::try_from(a.i).ok()),
        "QuantizeLinear" => input_type(2).or_else(|| {
            attr("output_dtype")
                .and_then(|a| i32::try_from(a.i).ok())
                .filter(|&t| t != 0)
                .or(Some(UINT8))
        }),
        "QLinearConv" | "QLinearMatMul" => input_type(7).or(Some(UINT8)),
        "MatMulInteger" | "ConvInteger" => Some(6),
        "DequantizeLinear" => Some(1),
        _ => input_type(0),
    };
    if let Some(t) = t {
        types.insert(out.clone(), t);
    }
}

/// Bits a narrow integer input's values need, from its ONNX element type (signed: the width;
/// unsigned: one more, for the sign of the fixed-point value); `None` for 32 bits and wider,
/// which verinfer carries in 32 bits.
fn declared_int_bits(vi: &tract_onnx::pb::ValueInfoProto) -> Option<u32> {
    match vi.r#type.as_ref().and_then(|t| t.value.as_ref()) {
        // UINT8=2, INT8=3, UINT16=4, INT16=5
        Some(TypeValue::TensorType(tt)) => match tt.elem_type {
            2 => Some(9),
            3 => Some(8),
            4 => Some(17),
            5 => Some(16),
            _ => None,
        },
        _ => None,
    }
}

fn input_shape(
    vi: &tract_onnx::pb::ValueInfoProto,
    opts: &ImportOptions,
) -> Result<(Vec<usize>, bool), OnnxError> {
    let tt = match vi.r#type.as_ref().and_then(|t| t.value.as_ref()) {
        Some(TypeValue::TensorType(tt)) => tt,
        _ => {
            return Err(OnnxError::BadData(format!(
                "input '{}' is not a tensor",
                vi.name
            )))
        }
    };
    // FLOAT=1, UINT8=2, INT8=3, UINT16=4, INT16=5, INT32=6, INT64=7, BOOL=9, FLOAT16=10, DOUBLE=11, UINT32=12, UINT64=13, BFLOAT16=16
    let integer = match tt.elem_type {
        1 | 10 | 11 | 16 => false,
        2..=7 | 9 | 12 | 13 => true,
        other => {
            return Err(OnnxError::BadData(format!(
                "input '{}' has unsupported element type {other}",
                vi.name
            )))
        }
    };
    let declared: Vec<Option<DimValue>> = tt
        .shape
        .as_ref()
        .map(|s| s.dim.iter().map(|d| d.value.clone()).collect())
        .unwrap_or_default();
    if let Some(given) = opts.input_shapes.get(&vi.name) {
        if tt.shape.is_some() && given.len() != declared.len() {
            return Err(OnnxError::BadData(format!(
                "--input-shape for '{}' has rank {}, the model declares rank {}",
                vi.name,
                given.len(),
                declared.len()
            )));
        }
        for (i, (g, d)) in given.iter().zip(&declared).enumerate() {
            if let Some(DimValue::DimValue(v)) = d {
                if *v > 0 && usize::try_from(*v).ok() != Some(*g) {
                    return Err(OnnxError::BadData(format!(
                        "--input-shape for '{}' sets dim {i} to {g}, the model fixes it to {v}",
                        vi.name
                    )));
                }
            }
        }
        return Ok((given.clone(), integer));
    }
    if tt.shape.is_none() {
        return Err(OnnxError::SymbolicDim {
            input: vi.name.clone(),
            dim: "<unknown rank>".into(),
        });
    }
    let mut shape = Vec::with_capacity(declared.len());
    for d in &declared {
        let v = match d {
            Some(DimValue::DimValue(v)) if *v > 0 => usize::try_from(*v).unwrap_or(0),
            Some(DimValue::DimParam(p)) => match DEFAULT_SYMBOLS.iter().find(|(s, _)| s == p) {
                Some((_, v)) => *v,
                None => {
                    return Err(OnnxError::SymbolicDim {
                        input: vi.name.clone(),
                        dim: p.clone(),
                    })
                }
            },
            _ => {
                return Err(OnnxError::SymbolicDim {
                    input: vi.name.clone(),
                    dim: "?".into(),
                })
            }
        };
        shape.push(v);
    }
    Ok((shape, integer))
}

//! The reference interpreter: every element of every node from the scalar semantics.
//!
//! Slow by design (one element at a time, no sharing); it is the oracle the fast executor,
//! the circuits and the arbiter are tested against.

use crate::error::IrError;
use crate::graph::{Graph, Operand};
use crate::ops::{self, TensorRef};

/// Check run-time inputs against the graph's input specs (count, length, bounds).
///
/// # Errors
/// [`IrError::BadInput`] / [`IrError::OutOfBound`] naming the input.
pub fn check_inputs(g: &Graph, inputs: &[Vec<i32>]) -> Result<(), IrError> {
    if inputs.len() != g.inputs.len() {
        return Err(IrError::BadInput {
            index: inputs.len(),
            name: String::new(),
            what: format!(
                "the model takes {} inputs, got {}",
                g.inputs.len(),
                inputs.len()
            ),
        });
    }
    for (k, data) in inputs.iter().enumerate() {
        check_input(g, k, data)?;
    }
    Ok(())
}

/// Check one run-time input, input `k`, against its spec (length, bit bound): the overflow
/// proof assumes the bound, so every caller that feeds a graph (whole or input by input)
/// runs this one check.
///
/// # Errors
/// [`IrError::BadInput`] when the graph has no input `k` or the length is wrong,
/// [`IrError::OutOfBound`] naming the input and the first element out of bounds.
pub fn check_input(g: &Graph, k: usize, data: &[i32]) -> Result<(), IrError> {
    check_input_part(g, k, data, 0..data.len())
}

/// [`check_input`] with the bit bound checked on the elements `part` of `data` only (the
/// length always): for a caller that checked the rest on an earlier run and has changed only
/// `part` since — an LLM session appending one row to a KV cache each step.
///
/// # Errors
/// As [`check_input`]; [`IrError::BadInput`] when `part` is not within `data`.
pub fn check_input_part(
    g: &Graph,
    k: usize,
    data: &[i32],
    part: std::ops::Range<usize>,
) -> Result<(), IrError> {
    let Some(spec) = g.inputs.get(k) else {
        return Err(IrError::BadInput {
            index: k,
            name: String::new(),
            what: format!("the model takes {} inputs", g.inputs.len()),
        });
    };
    if data.len() != spec.info.shape.numel() {
        return Err(IrError::BadInput {
            index: k,
            name: spec.name.clone(),
            what: format!(
                "expected {} elements (shape {:?}), got {}",
                spec.info.shape.numel(),
                spec.info.shape.dims(),
                data.len()
            ),
        });
    }
    let start = part.start;
    let Some(checked) = data.get(part) else {
        return Err(IrError::BadInput {
            index: k,
            name: spec.name.clone(),
            what: format!(
                "the part to check is not within its {} elements",
                data.len()
            ),
        });
    };
    if let Some((i, &v)) = checked
        .iter()
        .enumerate()
        .find(|(_, &v)| !spec.info.bits.contains(i64::from(v)))
    {
        return Err(IrError::OutOfBound {
            what: format!("input {}", spec.name),
            index: start + i,
            value: i64::from(v),
            bits: spec.info.bits.get(),
        });
    }
    Ok(())
}

/// Resolve a node's operands against the values computed so far.
pub(crate) fn operand<'a>(
    g: &'a Graph,
    values: &'a [Vec<i32>],
    o: Operand,
) -> Option<TensorRef<'a>> {
    let info = g.operand_info(o)?;
    let data = match o {
        Operand::Value(v) => values.get(v.index())?.as_slice(),
        Operand::Param(p) => g.params.get(p.index())?.data.as_i32(),
    };
    Some(TensorRef {
        shape: info.shape.dims(),
        data,
    })
}

/// Run the graph; returns every value (inputs, then each node's output): the trace.
///
/// # Errors
/// Bad inputs, or an overflow in a graph that was not validated.
pub fn run(g: &Graph, inputs: &[Vec<i32>]) -> Result<Vec<Vec<i32>>, IrError> {
    check_inputs(g, inputs)?;
    let mut values: Vec<Vec<i32>> = inputs.to_vec();
    for (i, node) in g.nodes.iter().enumerate() {
        let out = {
            let ins: Option<Vec<TensorRef<'_>>> = node
                .inputs
                .iter()
                .map(|&o| operand(g, &values, o))
                .collect();
            let ins = ins.ok_or_else(|| IrError::BadReference {
                node: i,
                name: node.name.clone(),
                what: "missing operand".into(),
            })?;
            let attr = node
                .op
                .attr_param()
                .and_then(|p| operand(g, &values, Operand::Param(p)));
            let dims = node.out.shape.dims();
            (0..node.out.shape.numel())
                .map(|j| {
                    ops::element(&node.op, &ins, attr, dims, j).ok_or(IrError::Overflow {
                        node: i,
                        element: j,
                    })
                })
                .collect::<Result<Vec<i32>, IrError>>()?
        };
        values.push(out);
    }
    Ok(values)
}

//! Run the float lowered graph in `f64`: calibration statistics and lowering tests.

use crate::error::QuantError;
use crate::feval::{self, FTensor};
use crate::fgraph::{FGraph, FOp, FRef};

/// Check a float sample against a model's inputs, each given as `(name, dims)`: the count,
/// then each input's length. The float graph and the quantized graph take the same samples.
///
/// # Errors
/// [`QuantError::BadData`] naming the mismatch.
pub(crate) fn check_sample<'a>(
    inputs: impl ExactSizeIterator<Item = (&'a str, &'a [usize])>,
    sample: &[Vec<f64>],
) -> Result<(), QuantError> {
    if sample.len() != inputs.len() {
        return Err(QuantError::BadData(format!(
            "the model takes {} inputs, got {}",
            inputs.len(),
            sample.len()
        )));
    }
    for (i, ((name, dims), data)) in inputs.zip(sample).enumerate() {
        let n: usize = dims.iter().product();
        if data.len() != n {
            return Err(QuantError::BadData(format!(
                "input {i} ('{name}') needs {n} values (shape {dims:?}), got {}",
                data.len()
            )));
        }
    }
    Ok(())
}

/// Every node's float output for one sample (`inputs` in graph-input order, flat row-major).
///
/// # Errors
/// Wrong number or length of inputs.
pub fn run_float(g: &FGraph, inputs: &[Vec<f64>]) -> Result<Vec<Vec<f64>>, QuantError> {
    check_sample(
        g.inputs
            .iter()
            .map(|s| (s.name.as_str(), s.shape.as_slice())),
        inputs,
    )?;
    let mut values: Vec<Vec<f64>> = Vec::with_capacity(g.nodes.len());
    for (i, node) in g.nodes.iter().enumerate() {
        let mut out = {
            let ins: Vec<FTensor<'_>> = node
                .inputs
                .iter()
                .map(|&r| tensor(g, inputs, &values, r))
                .collect();
            feval::eval(&node.op, &ins, &node.shape)
        };
        // A `Div` pinned to exact integers is integer division: the `Div` primitive rounds
        // half away from zero (`verinfer_ir::ops::div::round_div`), and so must its float value.
        if matches!(node.op, FOp::Div) && g.exact_ints.contains_key(&i) {
            out.iter_mut().for_each(|v| *v = v.round());
        }
        values.push(out);
    }
    Ok(values)
}

/// A tensor of the graph given the inputs and the node values computed so far.
#[must_use]
pub fn tensor<'a>(
    g: &'a FGraph,
    inputs: &'a [Vec<f64>],
    nodes: &'a [Vec<f64>],
    r: FRef,
) -> FTensor<'a> {
    match r {
        FRef::Input(i) => FTensor::real(g.shape(r), &inputs[i]),
        FRef::Node(i) => FTensor::real(g.shape(r), &nodes[i]),
        FRef::Const(i) => FTensor::of_const(&g.consts[i]),
    }
}

/// The graph outputs of one float run.
///
/// # Errors
/// As [`run_float`].
pub fn run_outputs(g: &FGraph, inputs: &[Vec<f64>]) -> Result<Vec<Vec<f64>>, QuantError> {
    let nodes = run_float(g, inputs)?;
    Ok(outputs_of(g, inputs, &nodes))
}

/// The graph outputs among the inputs and every node's values of one run.
#[must_use]
pub fn outputs_of(g: &FGraph, inputs: &[Vec<f64>], nodes: &[Vec<f64>]) -> Vec<Vec<f64>> {
    g.outputs
        .iter()
        .map(|(_, r)| tensor(g, inputs, nodes, *r).reals().into_owned())
        .collect()
}

//! Which models the sumcheck backend proves today, recognised from the graph: one
//! matrix-product `Contract` node (`MatmulNode::from_contract`) reading the one graph input as
//! `X` and two parameters as `W` and the bias, whose output is the one graph output.

use verinfer_ir::{Graph, Model, Op, Operand, ParamKind, ValueId};
use verinfer_prove::{Unsupported, Vis, Visibility};

use crate::contract::{MatmulNode, Weights};

use super::NAME;

/// A model the backend proves: its node and where its weights sit.
#[derive(Clone, Debug)]
pub struct MatmulModel {
    /// The node as the protocol sees it.
    pub node: MatmulNode,
    /// `W`, row-major `k×n`.
    pub w: Vec<i32>,
    /// The bias (`n` values), iff the node has one.
    pub bias: Option<Vec<i32>>,
}

impl MatmulModel {
    /// The weights as the prover takes them.
    #[must_use]
    pub fn weights(&self) -> Weights<'_> {
        Weights {
            w: &self.w,
            bias: self.bias.as_deref(),
        }
    }
}

fn refuse(node: Option<usize>, reason: impl Into<String>) -> Unsupported {
    Unsupported {
        backend: NAME,
        node,
        reason: reason.into(),
    }
}

/// The visibilities the backend proves: every class public (the weights are committed in the
/// keys, which then attest the model as public weights baked into Groth16's keys do), the
/// statement packed or one digest. Hidden weights need hiding commitments and a zero-knowledge
/// sumcheck, hashed classes a hash the protocol does not prove yet (docs/sumcheck.md).
///
/// # Errors
/// [`Unsupported`] naming the class.
pub fn check_visibility(vis: Visibility) -> Result<(), Unsupported> {
    for (class, v) in [
        ("input", vis.input),
        ("params", vis.params),
        ("output", vis.output),
    ] {
        if v != Vis::Public {
            return Err(refuse(
                None,
                format!(
                    "{class}={v}: the sumcheck backend proves public classes only (its proofs are \
                     not zero-knowledge and it has no in-proof hash yet)"
                ),
            ));
        }
    }
    Ok(())
}

fn shape_is(g: &Graph, what: &str, got: &[usize], want: &[usize]) -> Result<(), Unsupported> {
    if got == want {
        Ok(())
    } else {
        Err(refuse(
            Some(0),
            format!(
                "{what} of {} has shape {got:?}, the matrix product needs {want:?}",
                g.name
            ),
        ))
    }
}

fn param(g: &Graph, op: Option<&Operand>, what: &str) -> Result<usize, Unsupported> {
    match op {
        Some(Operand::Param(p)) if g.params.get(p.index()).is_some() => Ok(p.index()),
        _ => Err(refuse(
            Some(0),
            format!("node 0: its {what} is not a parameter (only X may be the graph input)"),
        )),
    }
}

/// Recognise `model` as one matrix-product node over its one input.
///
/// # Errors
/// [`Unsupported`] naming the first thing the backend does not prove: more than one input,
/// node or output; an op other than `Contract`; a `Contract` other than a plain 2-D matrix
/// product with an optional `bias[j]` (batch axes, transposes, convolutions, a zero
/// multiplier, a shift above 24); operands other than (graph input, weight, bias).
pub fn recognise(model: &Model) -> Result<MatmulModel, Unsupported> {
    let g = model.graph();
    if g.inputs.len() != 1 || g.nodes.len() != 1 || g.outputs.len() != 1 {
        return Err(refuse(
            None,
            format!(
                "{} inputs, {} nodes, {} outputs: the sumcheck backend proves one matrix-product \
                 node over one input so far (whole graphs are the GKR plan, docs/sumcheck.md)",
                g.inputs.len(),
                g.nodes.len(),
                g.outputs.len()
            ),
        ));
    }
    let n0 = &g.nodes[0];
    let Op::Contract(c) = &n0.op else {
        return Err(refuse(
            Some(0),
            format!(
                "node 0 ({}): op {} has no sumcheck argument yet",
                n0.name,
                n0.op.name()
            ),
        ));
    };
    let node = MatmulNode::from_contract(c)
        .map_err(|e| refuse(Some(0), format!("node 0 ({}): {e}", n0.name)))?;
    if g.outputs[0].value != g.node_value(0) {
        return Err(refuse(Some(0), "the graph output is not the node's output"));
    }
    if n0.inputs.first() != Some(&Operand::Value(ValueId(0))) {
        return Err(refuse(Some(0), "node 0: X is not the graph input"));
    }
    let (m, k, n) = node.dims();
    shape_is(g, "the input", g.inputs[0].info.shape.dims(), &[m, k])?;
    shape_is(g, "the output", n0.out.shape.dims(), &[m, n])?;
    let wi = param(g, n0.inputs.get(1), "W")?;
    let w = &g.params[wi];
    shape_is(g, "W", w.info.shape.dims(), &[k, n])?;
    let bias = match (node.has_bias(), n0.inputs.get(2)) {
        (true, op) => {
            let bi = param(g, op, "bias")?;
            let b = &g.params[bi];
            shape_is(g, "the bias", b.info.shape.dims(), &[n])?;
            Some(b.data.to_vec())
        }
        (false, None) => None,
        (false, Some(_)) => return Err(refuse(Some(0), "node 0: an operand past X and W")),
    };
    if n0.inputs.len() != 2 + usize::from(node.has_bias()) {
        return Err(refuse(Some(0), "node 0: an operand past X, W and the bias"));
    }
    let kinds_ok = w.kind == ParamKind::Weight
        && n0
            .inputs
            .get(2)
            .and_then(|o| match o {
                Operand::Param(p) => g.params.get(p.index()),
                Operand::Value(_) => None,
            })
            .is_none_or(|b| b.kind == ParamKind::Bias);
    if !kinds_ok {
        return Err(refuse(
            Some(0),
            "node 0: W must be a weight parameter and the bias a bias parameter",
        ));
    }
    Ok(MatmulModel {
        node,
        w: w.data.to_vec(),
        bias,
    })
}

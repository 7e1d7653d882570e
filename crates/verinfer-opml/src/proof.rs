//! The one-step proof: the leaves holding every element the disputed step reads (each leaf
//! once per slot, in increasing order, with its path), plus the roots of the parameters it
//! reads. Read slots are the node's operands in order, then the attribute parameter (lookup
//! table or move map). Which elements are read is decided on chain by the Arbiter; this
//! module computes the same read set to know which leaves to open.

use alloy_primitives::U256;
use alloy_sol_types::SolValue;
use verinfer_chain::bindings::InferenceGame::Game;
use verinfer_commit::TensorTree;
use verinfer_ir::ops::{binary, gather, lookup, reduce, TensorRef};
use verinfer_ir::shape::{strides, unravel_into};
use verinfer_ir::{Op, Operand};

use crate::convert::{b256, b256s, usize_of};
use crate::error::{OpmlError, Result};
use crate::execution::Execution;

alloy_sol_types::sol! {
    /// A parameter's root with its path in the model tree (leaf 1 + param).
    struct ParamRoot { uint256 param; bytes32 root; bytes32[] path; }
    /// One opened leaf (8 elements) with its path.
    struct LeafOpening { uint256 leafIndex; bytes32 leaf; bytes32[] siblings; }
    /// Everything a one-step reads: parameter roots and, per read slot, the leaves it reads
    /// (each once, in increasing order).
    struct StepProof { ParamRoot[] params; LeafOpening[][] leaves; }
}

/// Element reads of the step, as (slot, flat index) in consumption order.
///
/// # Errors
/// A node index past the graph.
pub fn step_reads(
    exec: &Execution,
    n: usize,
    j: usize,
    a: usize,
    b: usize,
) -> Result<Vec<(usize, usize)>> {
    let g = exec.graph();
    let node = &g.nodes[n];
    let (ins, attr) = exec.node_operands(n)?;
    let nin = ins.len();
    let out = &node.out.shape.0;
    let mut reads = Vec::new();
    match &node.op {
        Op::Contract(c) => {
            let mut o = vec![0usize; c.out_iter.len()];
            unravel_into(j, &c.out_iter, &mut o);
            if a == 0 {
                if let (Some(bm), Some(bias)) = (&c.bias_map, ins.get(2)) {
                    let i = bm
                        .locate(&o, &[], bias.shape)
                        .or_else(|| bm.locate(&o, &vec![0; c.red.len()], bias.shape))
                        .ok_or_else(|| OpmlError::Protocol("bias outside its tensor".into()))?;
                    reads.push((2, i));
                }
            }
            let mut r = vec![0usize; c.red.len()];
            for step in a..b {
                unravel_into(step, &c.red, &mut r);
                if let (Some(xi), Some(wi)) = (
                    c.x_map.locate(&o, &r, ins[0].shape),
                    c.w_map.locate(&o, &r, ins[1].shape),
                ) {
                    reads.push((0, xi));
                    reads.push((1, wi));
                }
            }
        }
        Op::Reduce(rd) => {
            let pos = reduce::positions(rd, ins[0].shape, j);
            reads.extend(
                pos[a.min(pos.len())..b.min(pos.len())]
                    .iter()
                    .map(|&p| (0, p)),
            );
        }
        Op::Rescale(_) | Op::ISqrt(_) => reads.push((0, j)),
        Op::Binary(_) | Op::Div(_) => {
            reads.push((0, binary::broadcast_index(ins[0].shape, out, j)));
            reads.push((1, binary::broadcast_index(ins[1].shape, out, j)));
        }
        Op::Lookup(l) => {
            reads.push((0, j));
            let table = attr.ok_or_else(|| OpmlError::Protocol("lookup without table".into()))?;
            reads.push((
                nin,
                lookup::table_index(l, table.data.len(), ins[0].data[j]),
            ));
        }
        Op::Move(_) => {
            let map = attr.ok_or_else(|| OpmlError::Protocol("move without map".into()))?;
            reads.push((nin, j));
            let src = map.data[j];
            if src >= 0 {
                let mut k = src as usize;
                for (slot, t) in ins.iter().enumerate() {
                    if k < t.data.len() {
                        reads.push((slot, k));
                        break;
                    }
                    k -= t.data.len();
                }
            }
        }
        Op::Gather(ga) => {
            let (iflat, dflat) = gather_reads(ga.axis, &ins[0], &ins[1], out, j)?;
            reads.push((1, iflat));
            reads.push((0, dflat));
        }
    }
    Ok(reads)
}

/// (indices element, data element) read by `Gather` output element `j`.
fn gather_reads(
    axis: usize,
    data: &TensorRef<'_>,
    idx: &TensorRef<'_>,
    out: &[usize],
    j: usize,
) -> Result<(usize, usize)> {
    let mut o = vec![0usize; out.len()];
    unravel_into(j, out, &mut o);
    let ir = idx.shape.len();
    let ist = strides(idx.shape);
    let iflat: usize = o[axis..axis + ir]
        .iter()
        .zip(&ist)
        .map(|(a, b)| a * b)
        .sum();
    let v = *idx
        .data
        .get(iflat)
        .ok_or_else(|| OpmlError::Protocol("gather index outside indices".into()))?;
    let row = gather::resolve(v, data.shape[axis]);
    let dst = strides(data.shape);
    let mut flat = row * dst[axis];
    for (k, &o_k) in o.iter().enumerate().take(axis) {
        flat += o_k * dst[k];
    }
    for k in axis + 1..data.shape.len() {
        flat += o[k + ir - 1] * dst[k];
    }
    Ok((iflat, flat))
}

/// The abi-encoded `StepProof` for the one-step of game state `g` on node `n`.
///
/// # Errors
/// A game state that does not fit this execution.
pub fn one_step_proof(exec: &Execution, n: usize, g: &Game) -> Result<Vec<u8>> {
    let j = usize_of(g.element, "element")?;
    let (a, b) = (usize_of(g.stepA, "stepA")?, usize_of(g.stepB, "stepB")?);
    let graph = exec.graph();
    let node = &graph.nodes[n];
    let reads = step_reads(exec, n, j, a, b)?;
    let (ins, attr) = exec.node_operands(n)?;
    // Slot → the tensor it reads, and its parameter id when it is a parameter.
    let mut slot_tensors: Vec<(&[i32], Option<usize>)> = node
        .inputs
        .iter()
        .zip(&ins)
        .map(|(o, t)| {
            (
                t.data,
                match o {
                    Operand::Param(p) => Some(p.index()),
                    Operand::Value(_) => None,
                },
            )
        })
        .collect();
    if let (Some(p), Some(t)) = (node.op.attr_param(), attr) {
        slot_tensors.push((t.data, Some(p.index())));
    }
    // Each leaf once per slot, in increasing order: neighbouring reads share an opening.
    let mut wanted: Vec<std::collections::BTreeSet<usize>> =
        vec![std::collections::BTreeSet::new(); slot_tensors.len()];
    for (slot, index) in reads {
        wanted[slot].insert(index / 8);
    }
    // Trees only of the slots the step reads: an operand it never reads costs nothing, here
    // or on chain (no leaves, no parameter root).
    let trees: Vec<Option<TensorTree>> = slot_tensors
        .iter()
        .zip(&wanted)
        .map(|((d, _), w)| (!w.is_empty()).then(|| TensorTree::new(d)))
        .collect();
    let mut per_slot: Vec<Vec<LeafOpening>> = Vec::with_capacity(wanted.len());
    for (slot, leaves) in wanted.iter().enumerate() {
        let mut opened = Vec::with_capacity(leaves.len());
        for (&leaf, tree) in leaves.iter().zip(std::iter::repeat(&trees[slot])) {
            let tree = tree
                .as_ref()
                .ok_or_else(|| OpmlError::Protocol(format!("slot {slot} has reads but no tree")))?;
            let o = tree.open((leaf * 8) as u64).map_err(|e| {
                OpmlError::Protocol(format!("opening slot {slot} leaf {leaf}: {e}"))
            })?;
            opened.push(LeafOpening {
                leafIndex: U256::from(leaf),
                leaf: b256(o.leaf),
                siblings: b256s(&o.siblings),
            });
        }
        per_slot.push(opened);
    }
    let model = exec.model();
    let mut params = Vec::new();
    for (slot, (_, p)) in slot_tensors.iter().enumerate() {
        if let (Some(p), Some(tree)) = (p, &trees[slot]) {
            if params.iter().any(|r: &ParamRoot| r.param == U256::from(*p)) {
                continue;
            }
            let path = model
                .param_path(*p)
                .map_err(|e| OpmlError::Protocol(format!("param {p}: {e}")))?;
            params.push(ParamRoot {
                param: U256::from(*p),
                root: b256(tree.root()),
                path: b256s(&path),
            });
        }
    }
    Ok(StepProof {
        params,
        leaves: per_slot,
    }
    .abi_encode())
}

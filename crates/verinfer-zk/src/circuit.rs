//! The circuit of a whole graph: public inputs and outputs, one gadget per node element.
//!
//! Public values, in this order: every element of every graph input, then every element of
//! every graph output (each `i32` as a field element, negative `x` as `p − |x|`). Parameters are
//! constants of the circuit (they fix the keys), so the keys attest the model.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use ark_bn254::Fr;
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, ConstraintSystemRef, SynthesisError, SynthesisMode,
};
use verinfer_ir::{Graph, Op, Operand};

use crate::error::ZkError;
use crate::gadgets::{self, Builder, GadgetError};
use crate::wire::{fr, Wire};

/// Where a node reads a tensor: circuit wires or constants.
pub(crate) struct Src<'a> {
    pub(crate) shape: &'a [usize],
    kind: SrcKind<'a>,
}

enum SrcKind<'a> {
    Wires(&'a [Wire]),
    Const(&'a [i32]),
}

impl Src<'_> {
    /// Element `i` as a wire (a constant wire for parameters).
    pub(crate) fn get(&self, i: usize) -> Wire {
        match &self.kind {
            SrcKind::Wires(w) => w.get(i).cloned().unwrap_or_else(Wire::zero),
            SrcKind::Const(c) => Wire::constant(c.get(i).map_or(0, |&v| i128::from(v))),
        }
    }

    /// Element `i` if it is a constant.
    pub(crate) fn constant(&self, i: usize) -> Option<i128> {
        match &self.kind {
            SrcKind::Wires(w) => w.get(i).filter(|w| w.is_const()).map(|w| w.val),
            SrcKind::Const(c) => c.get(i).map(|&v| i128::from(v)),
        }
    }

    /// Element count.
    pub(crate) fn len(&self) -> usize {
        match &self.kind {
            SrcKind::Wires(w) => w.len(),
            SrcKind::Const(c) => c.len(),
        }
    }
}

/// The public values a proof attests: the graph's inputs and outputs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicValues {
    /// One list per graph input, row-major.
    pub inputs: Vec<Vec<i32>>,
    /// One list per graph output, row-major.
    pub outputs: Vec<Vec<i32>>,
}

impl PublicValues {
    /// Take the inputs and outputs of a trace (every value of the graph, inputs first).
    ///
    /// # Errors
    /// [`ZkError::BadWitness`] when the trace does not fit the graph.
    pub fn from_trace(g: &Graph, trace: &[Vec<i32>]) -> Result<Self, ZkError> {
        check_trace(g, trace)?;
        let inputs = trace[..g.inputs.len()].to_vec();
        let outputs = g
            .outputs
            .iter()
            .map(|o| trace[o.value.index()].clone())
            .collect();
        Ok(Self { inputs, outputs })
    }

    /// The field elements in the circuit's public-input order.
    #[must_use]
    pub fn to_field_elements(&self) -> Vec<Fr> {
        self.inputs
            .iter()
            .chain(&self.outputs)
            .flatten()
            .map(|&v| fr(i128::from(v)))
            .collect()
    }
}

/// Check the trace's value count and element counts against the graph.
fn check_trace(g: &Graph, trace: &[Vec<i32>]) -> Result<(), ZkError> {
    if trace.len() != g.num_values() {
        return Err(ZkError::BadWitness(format!(
            "{} values for a graph of {}",
            trace.len(),
            g.num_values()
        )));
    }
    for (i, t) in trace.iter().enumerate() {
        #[allow(clippy::cast_possible_truncation)]
        let v = verinfer_ir::ValueId(i as u32);
        let n = g.value_info(v).map_or(0, |inf| inf.shape.numel());
        if t.len() != n {
            return Err(ZkError::BadWitness(format!(
                "value v{i} has {} elements, expected {n}",
                t.len()
            )));
        }
    }
    Ok(())
}

/// Reject graphs with a primitive that has no circuit yet.
///
/// # Errors
/// [`ZkError::UnsupportedOp`] naming the first such node.
pub fn check_supported(g: &Graph) -> Result<(), ZkError> {
    for (i, n) in g.nodes.iter().enumerate() {
        let ok = match &n.op {
            Op::Contract(_)
            | Op::Rescale(_)
            | Op::Binary(_)
            | Op::Move(_)
            | Op::Reduce(_)
            | Op::Div(_) => true,
            Op::Lookup(_) | Op::Gather(_) => false,
        };
        if !ok {
            return Err(ZkError::UnsupportedOp {
                node: i,
                name: n.name.clone(),
                op: n.op.name(),
            });
        }
    }
    Ok(())
}

/// A graph with a witness, ready to be synthesized.
///
/// The circuit never trusts the trace: node outputs are recomputed by the gadgets, and the
/// trace only supplies the claimed value of each clamped output, which the constraints check.
#[derive(Clone)]
pub struct GraphCircuit<'g> {
    graph: &'g Graph,
    trace: Vec<Vec<i32>>,
    error: Rc<RefCell<Option<ZkError>>>,
}

impl<'g> GraphCircuit<'g> {
    /// A circuit proving `trace` (every value of `graph`, inputs first, as `Plan::run` gives).
    ///
    /// # Errors
    /// [`ZkError::UnsupportedOp`] or [`ZkError::BadWitness`].
    pub fn new(graph: &'g Graph, trace: Vec<Vec<i32>>) -> Result<Self, ZkError> {
        check_supported(graph)?;
        check_trace(graph, &trace)?;
        Ok(Self {
            graph,
            trace,
            error: Rc::new(RefCell::new(None)),
        })
    }

    /// A circuit with an all-zero witness: the shape for key generation and counting.
    ///
    /// # Errors
    /// [`ZkError::UnsupportedOp`].
    pub fn blank(graph: &'g Graph) -> Result<Self, ZkError> {
        #[allow(clippy::cast_possible_truncation)]
        let trace = (0..graph.num_values())
            .map(|i| {
                let n = graph
                    .value_info(verinfer_ir::ValueId(i as u32))
                    .map_or(0, |inf| inf.shape.numel());
                vec![0; n]
            })
            .collect();
        Self::new(graph, trace)
    }

    /// The public values this circuit's witness attests.
    ///
    /// # Errors
    /// Never for a circuit built by [`GraphCircuit::new`].
    pub fn public_values(&self) -> Result<PublicValues, ZkError> {
        PublicValues::from_trace(self.graph, &self.trace)
    }

    /// The error a failed synthesis stashed (a structured [`ZkError`] instead of the proof
    /// system's `SynthesisError`).
    pub(crate) fn error_slot(&self) -> Rc<RefCell<Option<ZkError>>> {
        Rc::clone(&self.error)
    }

    /// Synthesize into `cs`; returns the number of constraints each node emitted, plus the
    /// input range checks (`"input"`) and output bindings (`"output"`), per op name.
    ///
    /// # Errors
    /// [`ZkError::TooWide`] or [`ZkError::Synthesis`].
    pub fn synthesize(
        &self,
        cs: &ConstraintSystemRef<Fr>,
    ) -> Result<BTreeMap<&'static str, OpCount>, ZkError> {
        self.synthesize_checked(cs).map(|(counts, _)| counts)
    }

    /// [`GraphCircuit::synthesize`], also returning the first node output element where the
    /// trace differs from the value the gadgets compute.
    fn synthesize_checked(
        &self,
        cs: &ConstraintSystemRef<Fr>,
    ) -> Result<(BTreeMap<&'static str, OpCount>, Option<ZkError>), ZkError> {
        let mut mismatch = None;
        let g = self.graph;
        let b = Builder { cs: cs.clone() };
        let mut counts: BTreeMap<&'static str, OpCount> = BTreeMap::new();
        let mut wires: Vec<Vec<Wire>> = Vec::with_capacity(g.num_values());
        let before = cs.num_constraints();
        // Inputs: public, range-checked to their bit bound (B + 1 constraints each).
        for (k, spec) in g.inputs.iter().enumerate() {
            let bits = spec.info.bits;
            let (lo, hi) = (i128::from(bits.min_value()), i128::from(bits.max_value()));
            let mut ws = Vec::with_capacity(self.trace[k].len());
            for &x in &self.trace[k] {
                let x = i128::from(x);
                let v = b
                    .instance(fr(x))
                    .map_err(|e| at(e, usize::MAX, &spec.name))?;
                let w = Wire::var(v, x, lo, hi);
                let mut u = w.clone();
                u.add_const(-lo)
                    .map_err(|e| at(e.into(), usize::MAX, &spec.name))?;
                b.bits(&u.lc, u.val, bits.get())
                    .map_err(|e| at(e, usize::MAX, &spec.name))?;
                ws.push(w);
            }
            wires.push(ws);
        }
        counts
            .entry("input")
            .or_default()
            .add(cs.num_constraints() - before);
        for (i, node) in g.nodes.iter().enumerate() {
            let start = cs.num_constraints();
            let claims = &self.trace[g.inputs.len() + i];
            let srcs: Vec<Src<'_>> = node
                .inputs
                .iter()
                .map(|&o| src(g, &wires, o))
                .collect::<Option<_>>()
                .ok_or_else(|| ZkError::BadWitness(format!("node {i}: missing operand")))?;
            let dims = node.out.shape.dims();
            let n = node.out.shape.numel();
            let mut out = Vec::with_capacity(n);
            for j in 0..n {
                let y = i128::from(claims.get(j).copied().unwrap_or(0));
                let w = match &node.op {
                    Op::Contract(c) => gadgets::contract::element(&b, c, &srcs, j, y),
                    Op::Rescale(r) => match srcs.first() {
                        Some(x) => gadgets::rescale::requant(&b, &x.get(j), r, y),
                        None => Err(GadgetError::Malformed("Rescale needs one input")),
                    },
                    Op::Binary(op) => match (srcs.first(), srcs.get(1)) {
                        (Some(x), Some(z)) => gadgets::binary::element(&b, op, x, z, dims, j, y),
                        _ => Err(GadgetError::Malformed("Binary needs two inputs")),
                    },
                    Op::Move(m) => {
                        let map = g.params.get(m.map.index()).map_or(&[][..], |p| &p.data);
                        gadgets::movement::element(m, &srcs, map, j)
                            .ok_or(GadgetError::Malformed("Move map points past its inputs"))
                    }
                    Op::Reduce(r) => match srcs.first() {
                        Some(x) => gadgets::reduce::element(&b, r, x, j, y),
                        None => Err(GadgetError::Malformed("Reduce needs one input")),
                    },
                    Op::Div(d) => match (srcs.first(), srcs.get(1)) {
                        (Some(x), Some(z)) => gadgets::div::element(&b, d, x, z, dims, j, y),
                        _ => Err(GadgetError::Malformed("Div needs two inputs")),
                    },
                    Op::Lookup(_) | Op::Gather(_) => {
                        return Err(ZkError::UnsupportedOp {
                            node: i,
                            name: node.name.clone(),
                            op: node.op.name(),
                        })
                    }
                };
                let w = w.map_err(|e| at(e, i, &node.name))?;
                if mismatch.is_none() && w.val != y {
                    mismatch = Some(ZkError::TraceMismatch {
                        node: i,
                        name: node.name.clone(),
                        element: j,
                        trace: i64::try_from(y).unwrap_or(i64::MAX),
                        computed: i64::try_from(w.val).unwrap_or(i64::MAX),
                    });
                }
                out.push(w);
            }
            wires.push(out);
            counts
                .entry(node.op.name())
                .or_default()
                .add(cs.num_constraints() - start);
        }
        // Outputs: public, bound to the computed wires (1 constraint each).
        let start = cs.num_constraints();
        for o in &g.outputs {
            let claimed = &self.trace[o.value.index()];
            let computed = wires
                .get(o.value.index())
                .ok_or_else(|| ZkError::BadWitness(format!("output {} missing", o.name)))?;
            for (w, &y) in computed.iter().zip(claimed) {
                let v = b
                    .instance(fr(i128::from(y)))
                    .map_err(|e| at(e, usize::MAX, &o.name))?;
                b.enforce_eq(gadgets::var(v), w.lc.clone())
                    .map_err(|e| at(e, usize::MAX, &o.name))?;
            }
        }
        counts
            .entry("output")
            .or_default()
            .add(cs.num_constraints() - start);
        Ok((counts, mismatch))
    }
}

/// Attach the node to a gadget failure.
fn at(e: GadgetError, node: usize, name: &str) -> ZkError {
    match e {
        GadgetError::Wide(bits) => ZkError::TooWide {
            node,
            name: name.to_string(),
            bits,
        },
        GadgetError::Malformed(what) => {
            ZkError::BadWitness(format!("node {node} ({name}): {what}"))
        }
        GadgetError::Synth(s) => ZkError::Synthesis(s),
    }
}

fn src<'a>(g: &'a Graph, wires: &'a [Vec<Wire>], o: Operand) -> Option<Src<'a>> {
    let shape = g.operand_info(o)?.shape.dims();
    let kind = match o {
        Operand::Value(v) => SrcKind::Wires(wires.get(v.index())?),
        Operand::Param(p) => SrcKind::Const(&g.params.get(p.index())?.data),
    };
    Some(Src { shape, kind })
}

/// Constraints spent on one kind of op.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OpCount {
    /// Nodes of this kind (elements for `input`/`output`: counted once per section).
    pub nodes: usize,
    /// Constraints they emitted.
    pub constraints: usize,
}

impl OpCount {
    fn add(&mut self, constraints: usize) {
        self.nodes += 1;
        self.constraints += constraints;
    }
}

impl ConstraintSynthesizer<Fr> for GraphCircuit<'_> {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        match self.synthesize(&cs) {
            Ok(_) => Ok(()),
            Err(e) => {
                *self.error.borrow_mut() = Some(e);
                Err(SynthesisError::Unsatisfiable)
            }
        }
    }
}

/// Constraint counts of `graph`'s circuit, per op name (plus `input` and `output`).
///
/// # Errors
/// [`ZkError::UnsupportedOp`], [`ZkError::TooWide`].
pub fn constraint_counts(graph: &Graph) -> Result<BTreeMap<&'static str, OpCount>, ZkError> {
    let circuit = GraphCircuit::blank(graph)?;
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_mode(SynthesisMode::Setup);
    circuit.synthesize(&cs)
}

/// Synthesize the circuit with its witness, check every constraint, and check that every node
/// output of the trace equals what the gadgets compute.
///
/// # Errors
/// [`ZkError::Unsatisfied`] when a constraint fails (a clamped output or a public output
/// deviates), [`ZkError::TraceMismatch`] when only an element the circuit recomputes deviates,
/// or a synthesis error.
pub fn check_witness(circuit: &GraphCircuit<'_>) -> Result<(), ZkError> {
    let cs = ConstraintSystem::<Fr>::new_ref();
    let (_, mismatch) = circuit.synthesize_checked(&cs)?;
    if !cs.is_satisfied()? {
        let at = mismatch.map_or_else(|| "a public output deviates".to_string(), |m| m.to_string());
        return Err(ZkError::Unsatisfied(at));
    }
    mismatch.map_or(Ok(()), Err)
}

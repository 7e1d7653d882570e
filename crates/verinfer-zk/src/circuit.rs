//! The circuit of a whole graph: the statement's sections (inputs, weights, outputs under their
//! [`Visibility`], see [`crate::statement`]) and one gadget per node element.
//!
//! Public parameters are constants of the circuit (they fix the keys), so the keys attest the
//! model; private or hashed ones are range-checked witnesses.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use ark_bn254::Fr;
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, ConstraintSystemRef, SynthesisError, SynthesisMode,
};
use verinfer_ir::{Graph, Op, Operand};

use crate::binding::Context;
use crate::error::ZkError;
use crate::gadgets::{self, Builder, GadgetError};
use crate::statement::{self, Bn254Values, PublicValues, Widths};
use crate::visibility::{model_params, Visibility};
use crate::wire::Wire;

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

/// Check the trace's value count and element counts against the graph.
pub(crate) fn check_trace(g: &Graph, trace: &[Vec<i32>]) -> Result<(), ZkError> {
    g.check_trace(trace)
        .map_err(|e| ZkError::BadWitness(e.to_string()))
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
            | Op::Div(_)
            | Op::Lookup(_)
            | Op::Gather(_)
            | Op::ISqrt(_) => true,
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
    vis: Visibility,
    ctx: Context,
    trace: Vec<Vec<i32>>,
    error: Rc<RefCell<Option<ZkError>>>,
}

impl<'g> GraphCircuit<'g> {
    /// A circuit proving `trace` (every value of `graph`, inputs first, as `Plan::run` gives).
    ///
    /// # Errors
    /// [`ZkError::UnsupportedOp`] or [`ZkError::BadWitness`].
    pub fn new(graph: &'g Graph, trace: Vec<Vec<i32>>) -> Result<Self, ZkError> {
        Self::with_visibility(graph, Visibility::default(), trace)
    }

    /// The same circuit bound to `ctx` (the statement digest's model, chain, contract, tag and
    /// answerer; the zero context by default). The keys do not depend on it.
    #[must_use]
    pub fn bound_to(mut self, ctx: Context) -> Self {
        self.ctx = ctx;
        self
    }

    /// [`GraphCircuit::new`] with the tensor classes' visibility.
    ///
    /// # Errors
    /// [`ZkError::UnsupportedOp`] or [`ZkError::BadWitness`].
    pub fn with_visibility(
        graph: &'g Graph,
        vis: Visibility,
        trace: Vec<Vec<i32>>,
    ) -> Result<Self, ZkError> {
        check_supported(graph)?;
        check_trace(graph, &trace)?;
        Ok(Self {
            graph,
            vis,
            ctx: Context::default(),
            trace,
            error: Rc::new(RefCell::new(None)),
        })
    }

    /// A circuit with an all-zero witness: the shape for key generation and counting.
    ///
    /// # Errors
    /// [`ZkError::UnsupportedOp`].
    pub fn blank(graph: &'g Graph) -> Result<Self, ZkError> {
        Self::blank_with_visibility(graph, Visibility::default())
    }

    /// [`GraphCircuit::blank`] with the tensor classes' visibility.
    ///
    /// # Errors
    /// [`ZkError::UnsupportedOp`].
    pub fn blank_with_visibility(graph: &'g Graph, vis: Visibility) -> Result<Self, ZkError> {
        #[allow(clippy::cast_possible_truncation)]
        let trace = (0..graph.num_values())
            .map(|i| {
                let n = graph
                    .value_info(verinfer_ir::ValueId(i as u32))
                    .map_or(0, |inf| inf.shape.numel());
                vec![0; n]
            })
            .collect();
        Self::with_visibility(graph, vis, trace)
    }

    /// The public values this circuit's witness attests.
    ///
    /// # Errors
    /// Never for a circuit built by [`GraphCircuit::new`].
    pub fn public_values(&self) -> Result<PublicValues, ZkError> {
        PublicValues::from_trace(self.graph, self.vis, self.ctx, &self.trace)
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
        // Adds the constraints made since `start` to `name`'s count.
        let tally = |counts: &mut BTreeMap<&'static str, OpCount>, name, start| {
            counts
                .entry(name)
                .or_default()
                .add(cs.num_constraints() - start);
        };
        let mut wires: Vec<Vec<Wire>> = Vec::with_capacity(g.num_values());
        let before = cs.num_constraints();
        let widths = Widths::of(g);
        // Inputs: witnesses range-checked to their bit bound (B constraints each), stated by
        // their packing or hash.
        for (k, spec) in g.inputs.iter().enumerate() {
            let ws = self.trace[k]
                .iter()
                .map(|&x| statement::ranged(&b, i128::from(x), spec.info.bits))
                .collect::<Result<Vec<Wire>, _>>()
                .map_err(|e| at(e, usize::MAX, &spec.name))?;
            wires.push(ws);
        }
        let input_wires: Vec<&Wire> = wires.iter().flatten().collect();
        let input_vals: Vec<i32> = self.trace[..g.inputs.len()]
            .iter()
            .flatten()
            .copied()
            .collect();
        let input_elements =
            statement::class_statement(&b, self.vis.input, &input_wires, &input_vals, widths.input)
                .map_err(|e| at(e, usize::MAX, "inputs"))?;
        tally(&mut counts, "input", before);
        // Weights and biases: constants when public, else range-checked witnesses (B
        // constraints each), hashed when asked.
        let start = cs.num_constraints();
        let (params, param_element) = self.param_wires(&b)?;
        if self.vis.params != crate::visibility::Vis::Public {
            tally(&mut counts, "params", start);
        }
        for (i, node) in g.nodes.iter().enumerate() {
            let start = cs.num_constraints();
            let claims = &self.trace[g.inputs.len() + i];
            let srcs: Vec<Src<'_>> = node
                .inputs
                .iter()
                .map(|&o| src(g, &wires, &params, o))
                .collect::<Option<_>>()
                .ok_or_else(|| ZkError::BadWitness(format!("node {i}: missing operand")))?;
            let dims = node.out.shape.dims();
            let n = node.out.shape.numel();
            // Lookup and Gather build per-node state (table layouts, one-hot rows shared by
            // the elements that select them), so their gadgets give every element at once.
            let mut whole = match &node.op {
                Op::Lookup(l) => {
                    let table = g.params.get(l.table.index()).map_or(&[][..], |p| &p.data);
                    Some(gadgets::lookup::node(&b, l, table, &srcs, n))
                }
                Op::Gather(gt) => Some(gadgets::gather::node(&b, gt, &srcs, dims)),
                _ => None,
            }
            .transpose()
            .map_err(|e| at(e, i, &node.name))?;
            let mut out = Vec::with_capacity(n);
            for j in 0..n {
                let y = i128::from(claims.get(j).copied().unwrap_or(0));
                let w = match &node.op {
                    Op::Contract(c) => gadgets::contract::element(&b, c, &srcs, j, y),
                    Op::Rescale(r) => gadgets::sole(&srcs, "Rescale needs one input")
                        .and_then(|x| gadgets::rescale::requant(&b, &x.get(j), r, y)),
                    Op::Binary(op) => {
                        gadgets::broadcast_pair(&srcs, dims, j, "Binary needs two inputs")
                            .and_then(|(x, z)| gadgets::binary::element(&b, op, x, z, y))
                    }
                    Op::Move(m) => {
                        let map = g.params.get(m.map.index()).map_or(&[][..], |p| &p.data);
                        gadgets::movement::element(m, &srcs, map, j)
                            .ok_or(GadgetError::Malformed("Move map points past its inputs"))
                    }
                    Op::Reduce(r) => gadgets::sole(&srcs, "Reduce needs one input")
                        .and_then(|x| gadgets::reduce::element(&b, r, x, j, y)),
                    Op::Div(d) => gadgets::broadcast_pair(&srcs, dims, j, "Div needs two inputs")
                        .and_then(|(x, z)| gadgets::div::element(&b, d, x, z, y)),
                    Op::ISqrt(op) => gadgets::sole(&srcs, "ISqrt needs one input")
                        .and_then(|x| gadgets::isqrt::element(&b, op, x, j, y)),
                    Op::Lookup(_) | Op::Gather(_) => whole
                        .as_mut()
                        .and_then(|ws| ws.get_mut(j))
                        .map(|w| std::mem::replace(w, Wire::zero()))
                        .ok_or(GadgetError::Malformed("node gadget gave too few elements")),
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
            tally(&mut counts, node.op.name(), start);
        }
        // Outputs: the computed wires (range-checked when their bounds exceed the packing
        // width), stated by their packing or hash; the public values are the trace's claims,
        // so a deviating claim leaves the system unsatisfied.
        let start = cs.num_constraints();
        let mut out_wires = Vec::new();
        let mut out_vals = Vec::new();
        for o in &g.outputs {
            let computed = wires
                .get(o.value.index())
                .ok_or_else(|| ZkError::BadWitness(format!("output {} missing", o.name)))?;
            for w in computed {
                out_wires.push(
                    statement::fit(&b, w, widths.output).map_err(|e| at(e, usize::MAX, &o.name))?,
                );
            }
            out_vals.extend(self.trace[o.value.index()].iter().copied());
        }
        let refs: Vec<&Wire> = out_wires.iter().collect();
        let output_elements =
            statement::class_statement(&b, self.vis.output, &refs, &out_vals, widths.output)
                .map_err(|e| at(e, usize::MAX, "outputs"))?;
        tally(&mut counts, "output", start);
        // The statement: the context and the classes as public inputs, or their digest.
        let start = cs.num_constraints();
        statement::bind_statement(
            &b,
            self.vis.statement,
            &self.ctx,
            &input_elements,
            param_element.as_ref(),
            &output_elements,
        )
        .map_err(|e| at(e, usize::MAX, "statement"))?;
        tally(&mut counts, "statement", start);
        Ok((counts, mismatch))
    }
}

impl GraphCircuit<'_> {
    /// Witness wires of the weights and biases when they are not public (`None` for a
    /// constant parameter), and the parameter hash's statement element when hashed.
    fn param_wires(&self, b: &Builder) -> Result<ParamWires, ZkError> {
        let g = self.graph;
        let mut out: Vec<Option<Vec<Wire>>> = vec![None; g.params.len()];
        if self.vis.params == crate::visibility::Vis::Public {
            return Ok((out, None));
        }
        let (mut lcs, mut packed) = (Vec::new(), Vec::new());
        for i in model_params(g) {
            let Some(p) = g.params.get(i) else { continue };
            let ws = p
                .data
                .iter()
                .map(|&x| statement::ranged(b, i128::from(x), p.info.bits))
                .collect::<Result<Vec<Wire>, _>>()
                .map_err(|e| at(e, usize::MAX, &p.name))?;
            // Each tensor packs at its own width (see `statement::param_hash`).
            let refs: Vec<&Wire> = ws.iter().collect();
            let (l, v) = statement::pack_class(&refs, &p.data, p.info.bits.get())
                .map_err(|e| at(e, usize::MAX, &p.name))?;
            lcs.extend(l);
            packed.extend(v);
            out[i] = Some(ws);
        }
        let element = statement::elements(b, self.vis.params, lcs, packed)
            .map_err(|e| at(e, usize::MAX, "params"))?
            .pop();
        Ok((out, element))
    }
}

/// Per parameter its witness wires (`None`: a circuit constant), and the hashed parameters'
/// statement element.
type ParamWires = (
    Vec<Option<Vec<Wire>>>,
    Option<crate::gadgets::sha256::Element>,
);

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

fn src<'a>(
    g: &'a Graph,
    wires: &'a [Vec<Wire>],
    params: &'a [Option<Vec<Wire>>],
    o: Operand,
) -> Option<Src<'a>> {
    let shape = g.operand_info(o)?.shape.dims();
    let kind = match o {
        Operand::Value(v) => SrcKind::Wires(wires.get(v.index())?),
        Operand::Param(p) => match params.get(p.index()) {
            Some(Some(w)) => SrcKind::Wires(w),
            _ => SrcKind::Const(&g.params.get(p.index())?.data),
        },
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
    constraint_counts_with(graph, Visibility::default())
}

/// [`constraint_counts`] under a visibility (`params` counts the weight range checks and hash).
///
/// # Errors
/// [`ZkError::UnsupportedOp`], [`ZkError::TooWide`].
pub fn constraint_counts_with(
    graph: &Graph,
    vis: Visibility,
) -> Result<BTreeMap<&'static str, OpCount>, ZkError> {
    let circuit = GraphCircuit::blank_with_visibility(graph, vis)?;
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

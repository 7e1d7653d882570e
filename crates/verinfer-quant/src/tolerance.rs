//! Whether a quantized graph is accurate enough to be written, where its error first appears,
//! and whether synthetic calibration looks wrong for a model.
//!
//! A compiled model whose outputs are wrong is worse than no model: it commits to wrong
//! results that a dispute would then defend. So `compile` refuses an output whose calibrated
//! error exceeds [`allowed_error`], and names the first primitive (in graph order) whose own
//! quantized values stray as far from the float ones, which is where the damage starts.

use std::collections::HashMap;

use verinfer_exec::{ExecError, Plan, Trace};
use verinfer_ir::Graph;

use crate::error::QuantError;
use crate::fgraph::{FGraph, FOp, FRef};
use crate::frun::run_float;
use crate::pipeline::{dequantize, quantize_inputs};
use crate::report::{OutputReport, Report};

/// Largest error a tensor may have, as a fraction of the largest magnitude its float values
/// reach on the calibration samples.
pub const MAX_REL_ERROR: f64 = 0.1;

/// Errors of a few output steps are rounding, whatever the range: this many are always allowed.
pub const MIN_STEPS: f64 = 8.0;

/// The error a tensor of float magnitude `float_max_abs` held at scale `2^-scale` may have:
/// `max(MAX_REL_ERROR · float_max_abs, MIN_STEPS · 2^-scale)`.
#[must_use]
pub fn allowed_error(float_max_abs: f64, scale: i32) -> f64 {
    (MAX_REL_ERROR * float_max_abs).max(MIN_STEPS * 2f64.powi(-scale))
}

/// The outputs of `report` whose error exceeds [`allowed_error`], with that bound.
#[must_use]
pub fn excessive(report: &Report) -> Vec<(&OutputReport, f64)> {
    report
        .outputs
        .iter()
        .map(|o| (o, allowed_error(o.float_max_abs, o.scale)))
        .filter(|(o, a)| o.max_abs_err.is_nan() || o.max_abs_err > *a)
        .collect()
}

/// Where the error of a quantized graph first exceeds the tolerance.
#[derive(Clone, Debug, PartialEq)]
pub struct Divergence {
    /// Float-graph node name (the source node's, suffixed for its later primitives).
    pub node: String,
    /// Source op type.
    pub op_type: String,
    /// Largest |quantized − float| of its values.
    pub max_abs_err: f64,
    /// Largest |float| of its values.
    pub float_max_abs: f64,
    /// Its scale in the integer graph.
    pub scale: i32,
}

/// The first node of `fg`, in graph order, whose values in the integer graph `g` (the
/// quantization of `fg`) differ from its `f64` values by more than [`allowed_error`], over
/// `samples` (the integer graph run by the fast executor). `None` when every node is
/// within tolerance (the error then comes from the float reference disagreeing with `fg`).
///
/// # Errors
/// Samples that do not fit the graphs, or a failing run.
pub fn first_divergence(
    fg: &FGraph,
    g: &Graph,
    samples: &[Vec<Vec<f64>>],
) -> Result<Option<Divergence>, QuantError> {
    let errs = node_errors(fg, g, samples)?;
    Ok(fg.nodes.iter().zip(errs).find_map(|(node, e)| {
        let e = e?;
        (e.max_abs_err > allowed_error(e.float_max_abs, e.scale)).then(|| Divergence {
            node: node.name.clone(),
            op_type: node.origin.clone(),
            max_abs_err: e.max_abs_err,
            float_max_abs: e.float_max_abs,
            scale: e.scale,
        })
    }))
}

/// How far one node's quantized values stray from its float ones.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NodeError {
    /// Largest |quantized − float| of its values.
    pub max_abs_err: f64,
    /// Largest |float| of its values.
    pub float_max_abs: f64,
    /// Its scale in the integer graph.
    pub scale: i32,
}

impl NodeError {
    /// The error in units of [`allowed_error`] (above 1: beyond the tolerance).
    #[must_use]
    pub fn ratio(&self) -> f64 {
        if self.max_abs_err.is_nan() {
            return f64::INFINITY;
        }
        self.max_abs_err / allowed_error(self.float_max_abs, self.scale)
    }
}

/// Per node of `fg`: the error of its values in the integer graph `g` (the quantization of
/// `fg`) against its `f64` values over `samples`, the integer graph run by the fast executor
/// (bit-identical to the reference interpreter). `None` for a node `g` has no value of
/// (folded away, or not live).
///
/// # Errors
/// Samples that do not fit the graphs, or a failing run.
pub fn node_errors(
    fg: &FGraph,
    g: &Graph,
    samples: &[Vec<Vec<f64>>],
) -> Result<Vec<Option<NodeError>>, QuantError> {
    let all: Vec<usize> = (0..fg.nodes.len()).collect();
    let mut acc = Errors::new(fg, g, &all);
    let runner = IntRunner::new(g)?;
    for s in samples {
        let fl = run_float(fg, s)?;
        let trace = runner.run(&quantize_inputs(g, s)?)?;
        acc.add(&trace, |i| fl.get(i).map(Vec::as_slice));
    }
    Ok(acc.finish())
}

/// The `f64` values of `fg`'s output nodes on each of some samples, kept from calibration's
/// own float runs (the float graph is by far the slowest thing a compile runs) and compared
/// against many quantizations of `fg` ([`FloatOutputs::check`]).
#[derive(Clone, Debug)]
pub struct FloatOutputs {
    /// The output nodes, ascending.
    nodes: Vec<usize>,
    /// Per entry of `nodes`: the largest finite |value| over every sample.
    fmax: Vec<f64>,
    /// Per sample, per entry of `nodes`: its values.
    values: Vec<Vec<Vec<f64>>>,
}

/// One sample's verdict in [`FloatOutputs::check`].
#[derive(Clone, Debug, PartialEq)]
pub struct SampleCheck {
    /// Index of the sample (into the samples checked).
    pub sample: usize,
    /// Its largest output error in units of the output's [`allowed_error`].
    pub worst: f64,
    /// The output nodes beyond tolerance on it, ascending.
    pub failing: Vec<usize>,
}

impl FloatOutputs {
    /// The output nodes' values among every node's values of one float run (as
    /// [`run_float`] returns them), in the order [`FloatOutputs::from_picked`] takes.
    #[must_use]
    pub fn pick(fg: &FGraph, run: &mut [Vec<f64>]) -> Vec<Vec<f64>> {
        Self::output_nodes(fg)
            .iter()
            .map(|&i| run.get_mut(i).map(std::mem::take).unwrap_or_default())
            .collect()
    }

    /// From the values [`FloatOutputs::pick`] kept, one entry per sample.
    #[must_use]
    pub fn from_picked(fg: &FGraph, values: Vec<Vec<Vec<f64>>>) -> Self {
        let nodes = Self::output_nodes(fg);
        let mut fmax = vec![0.0f64; nodes.len()];
        for sample in &values {
            for (m, v) in fmax.iter_mut().zip(sample) {
                *m = v
                    .iter()
                    .filter(|x| x.is_finite())
                    .fold(*m, |a, x| a.max(x.abs()));
            }
        }
        Self {
            nodes,
            fmax,
            values,
        }
    }

    fn output_nodes(fg: &FGraph) -> Vec<usize> {
        let mut nodes: Vec<usize> = fg.output_nodes().into_iter().collect();
        nodes.sort_unstable();
        nodes
    }

    /// Run the integer graph `g` (a quantization of `fg`) on the samples these values are of,
    /// in the given `order`, and judge each output against [`allowed_error`] of its float
    /// range over *all* the samples (so "every sample within tolerance" is the same verdict as
    /// the compile report's). With `stop` the check ends at the first sample with an output
    /// beyond tolerance: a candidate that fails is known after a run or two when the samples
    /// that failed before come first.
    ///
    /// # Errors
    /// Samples that do not fit the graph, or a failing run.
    pub fn check(
        &self,
        fg: &FGraph,
        g: &Graph,
        samples: &[Vec<Vec<f64>>],
        order: &[usize],
        stop: bool,
    ) -> Result<Vec<SampleCheck>, QuantError> {
        let int_node = int_nodes(fg, g, &self.nodes);
        let runner = IntRunner::new(g)?;
        let mut out = vec![];
        for &j in order {
            let (Some(s), Some(fl)) = (samples.get(j), self.values.get(j)) else {
                continue;
            };
            let trace = runner.run(&quantize_inputs(g, s)?)?;
            let mut check = SampleCheck {
                sample: j,
                worst: 0.0,
                failing: vec![],
            };
            for (k, &node) in self.nodes.iter().enumerate() {
                let Some(i) = int_node[node] else { continue };
                let (Some(iv), Some(fv)) = (trace.get(g.node_value(i).index()), fl.get(k)) else {
                    continue;
                };
                let dq = dequantize(iv, g.nodes[i].out.scale);
                let err = dq
                    .iter()
                    .zip(fv)
                    .filter(|(_, b)| b.is_finite())
                    .fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
                let e = NodeError {
                    max_abs_err: err,
                    float_max_abs: self.fmax[k],
                    scale: g.nodes[i].out.scale.exponent(),
                };
                check.worst = check.worst.max(e.ratio());
                if e.ratio() > 1.0 {
                    check.failing.push(node);
                }
            }
            let failed = !check.failing.is_empty();
            out.push(check);
            if stop && failed {
                break;
            }
        }
        Ok(out)
    }
}

/// Runs an integer graph: the fast executor, or the reference interpreter for a graph the
/// executor cannot plan (the same integers either way).
enum IntRunner<'g> {
    Fast(Box<Plan>),
    Reference(&'g Graph),
}

impl<'g> IntRunner<'g> {
    fn new(g: &'g Graph) -> Result<Self, QuantError> {
        match Plan::for_graph(g.clone()) {
            Ok(p) => Ok(Self::Fast(Box::new(p))),
            Err(ExecError::Unsupported { .. }) => Ok(Self::Reference(g)),
            Err(e) => Err(e.into()),
        }
    }

    fn run(&self, q: &[Vec<i32>]) -> Result<Vec<Vec<i32>>, QuantError> {
        match self {
            Self::Fast(p) => Ok(p.run(q).map(Trace::into_values)?),
            Self::Reference(g) => Ok(verinfer_ir::reference::run(g, q)?),
        }
    }
}

/// Per float node: the integer node holding its value (the last of its name: a lookup's
/// rescale into its table comes first), for `nodes` (`None` for every other).
fn int_nodes(fg: &FGraph, g: &Graph, nodes: &[usize]) -> Vec<Option<usize>> {
    let by_name: HashMap<&str, usize> = g
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (n.name.as_str(), i))
        .collect();
    let mut int_node = vec![None; fg.nodes.len()];
    for &i in nodes {
        if let Some(node) = fg.nodes.get(i) {
            int_node[i] = by_name.get(node.name.as_str()).copied();
        }
    }
    int_node
}

/// Running maxima of |quantized − float| and |float| of some float nodes over samples.
struct Errors<'a> {
    fg: &'a FGraph,
    g: &'a Graph,
    /// Per float node: the integer node holding its value (the last of its name: a
    /// lookup's rescale into its table comes first), for the nodes measured.
    int_node: Vec<Option<usize>>,
    err: Vec<f64>,
    fmax: Vec<f64>,
}

impl<'a> Errors<'a> {
    fn new(fg: &'a FGraph, g: &'a Graph, nodes: &[usize]) -> Self {
        let n = fg.nodes.len();
        Self {
            fg,
            g,
            int_node: int_nodes(fg, g, nodes),
            err: vec![0.0; n],
            fmax: vec![0.0; n],
        }
    }

    /// Add one sample: the integer graph's values and the float graph's (by float node).
    fn add<'f>(&mut self, trace: &[Vec<i32>], float: impl Fn(usize) -> Option<&'f [f64]>) {
        for (i, k) in self.int_node.iter().enumerate() {
            let Some(k) = *k else { continue };
            let v = self.g.node_value(k);
            let (Some(iv), Some(fv)) = (trace.get(v.index()), float(i)) else {
                continue;
            };
            if iv.len() != fv.len() {
                continue;
            }
            let dq = dequantize(iv, self.g.nodes[k].out.scale);
            for (a, b) in dq.iter().zip(fv) {
                if b.is_finite() {
                    self.err[i] = self.err[i].max((a - b).abs());
                    self.fmax[i] = self.fmax[i].max(b.abs());
                }
            }
        }
    }

    fn finish(self) -> Vec<Option<NodeError>> {
        (0..self.fg.nodes.len())
            .map(|i| {
                let k = self.int_node[i]?;
                Some(NodeError {
                    max_abs_err: self.err[i],
                    float_max_abs: self.fmax[i],
                    scale: self.g.nodes[k].out.scale.exponent(),
                })
            })
            .collect()
    }
}

/// Magnitude, in units of the synthetic range `[-1, 1]`, from which a constant offset or bound
/// on an input says the model expects other values.
pub const FAR_OFFSET: f64 = 4.0;

/// Warnings for calibration without data: a float input that reaches (through reshapes,
/// transposes and constant factors) an `Add`/`Sub`/`Max`/`Min` with a constant of magnitude at
/// least [`FAR_OFFSET`] (a mean subtracted, a clamp bound), or a factor of at most
/// `1/FAR_OFFSET` (pixels divided by 255), is evidently meant to take values far outside the
/// synthetic `[-1, 1]`, so the scales calibrated on `[-1, 1]` will not fit it.
#[must_use]
pub fn synthetic_range_warnings(fg: &FGraph) -> Vec<String> {
    let mut warnings = vec![];
    for (i, inp) in fg.inputs.iter().enumerate() {
        if inp.integer {
            continue;
        }
        // Nodes carrying the input unchanged but for layout or a constant factor.
        let mut carried = vec![FRef::Input(i)];
        let mut found: Option<(String, String)> = None;
        for (j, node) in fg.nodes.iter().enumerate() {
            if !node.inputs.iter().any(|r| carried.contains(r)) {
                continue;
            }
            let konst = node.inputs.iter().find_map(|r| match r {
                FRef::Const(c) => Some(
                    fg.consts[*c]
                        .values()
                        .filter(|v| v.is_finite())
                        .fold(0.0f64, |a, v| a.max(v.abs())),
                ),
                _ => None,
            });
            match (&node.op, konst) {
                (FOp::Move { .. }, _) if node.inputs.len() == 1 => carried.push(FRef::Node(j)),
                // Scaled down a lot: the input is expected large (pixels in [0, 255]).
                (FOp::Scale(f), _) if f.abs() <= 1.0 / FAR_OFFSET && *f != 0.0 => {
                    found = Some((node.name.clone(), format!("is multiplied by {f:.4}")));
                    break;
                }
                (FOp::Scale(_), _) => carried.push(FRef::Node(j)),
                (
                    FOp::Binary {
                        a_factor, b_factor, ..
                    },
                    Some(c),
                ) if c >= FAR_OFFSET * a_factor.abs().max(b_factor.abs()).max(1.0) => {
                    found = Some((
                        node.name.clone(),
                        format!("meets a constant of magnitude {c:.3} (an offset or bound)"),
                    ));
                    break;
                }
                _ => {}
            }
        }
        if let Some((node, what)) = found {
            warnings.push(format!(
                "input '{}' {what} in node '{node}': the model seems to expect values far outside the synthetic [-1, 1], so scales calibrated on them are likely wrong; pass real inputs with --calibration",
                inp.name
            ));
        }
    }
    warnings
}

//! What a whole-model proof is about, recognised from the graph ([`ChainSpec::recognise`]):
//! the layers, where each reads its input, the weight shapes. The verifying key holds it, so
//! it has a canonical byte form ([`ChainSpec::to_bytes`]) whose hash the transcript absorbs.

use verinfer_ir::{BinaryKind, Bits, Graph, Op, Operand, Requant};

use crate::logup::MAX_RANGE_BITS;
use crate::transcript::keccak256;

pub use super::layer::{Arg, Arith, Layer, LayerKind, Layout, Src};
use super::GkrError;

/// A weight tensor as committed: a `rows × cols` matrix (a bias is `1 × n`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WeightSpec {
    /// The graph parameter it is.
    pub param: usize,
    /// Its layout.
    pub layout: Layout,
    /// `Some(a)`: element `e` is the parameter's element `arrangements[a][e]` (0 where
    /// negative), so a convolution's kernel is committed as the matrix its product reads;
    /// `None`: the parameter's elements in order.
    pub arrange: Option<usize>,
}

/// A public graph input: its layout and bit bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PublicInput {
    /// Its layout.
    pub layout: Layout,
    /// Its bit bound.
    pub bits: Bits,
}

/// A model the layered proof covers: public inputs, layers in graph order, public outputs
/// (layers' outputs, in graph order).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainSpec {
    /// The graph inputs, in graph order (at least one).
    pub inputs: Vec<PublicInput>,
    /// The layers holding the graph outputs, in graph order (at least one, distinct, none
    /// [`Layer::internal`]); a one-output model's is its last layer.
    pub outputs: Vec<usize>,
    /// The layers, in graph order: each node is one layer, or the few of its lowering (the
    /// [`Layer::internal`] ones first, its output's last).
    pub layers: Vec<Layer>,
    /// The committed weights.
    pub weights: Vec<WeightSpec>,
    /// The public index maps of the `Move` layers.
    pub maps: Vec<Vec<i32>>,
    /// The weight arrangements ([`WeightSpec::arrange`]).
    pub arrangements: Vec<Vec<i32>>,
    /// Per map, its closed form where the map is affine per axis over views of its layouts
    /// ([`super::affine::fit_layouts`]): the verifier evaluates it instead of walking the
    /// map. Empty when no map has one (the spec's bytes are then as before).
    pub forms: Vec<Option<super::affine::AffineWiring>>,
    /// The node outputs laid out over expanded dims ([`super::layout`]), so the moves
    /// between them take closed forms; empty when none is (the spec's bytes are then as
    /// before).
    pub expansions: Vec<super::layout::Expansion>,
}

impl ChainSpec {
    /// Layer `i`, or [`GkrError::Malformed`] when the spec has no such layer.
    pub(crate) fn layer(&self, i: usize) -> Result<&Layer, GkrError> {
        self.layers
            .get(i)
            .ok_or(GkrError::Malformed("a layer index"))
    }

    /// Adds committed weight `param` laid out as `layout` (with its arrangement, if any);
    /// returns its index in [`ChainSpec::weights`].
    pub(crate) fn push_weight(
        &mut self,
        param: usize,
        layout: Layout,
        arrange: Option<Vec<i32>>,
    ) -> usize {
        let arrange = arrange.map(|a| {
            self.arrangements.push(a);
            self.arrangements.len() - 1
        });
        self.weights.push(WeightSpec {
            param,
            layout,
            arrange,
        });
        self.weights.len() - 1
    }
}

/// `dims` split as [`Layout::of`] splits them: the row axes and the column axis.
pub(crate) fn split_axes(dims: &[usize]) -> (&[usize], &[usize]) {
    dims.split_at(dims.len().saturating_sub(1))
}

fn unsupported(node: Option<usize>, reason: impl Into<String>) -> GkrError {
    GkrError::Unsupported {
        node,
        reason: reason.into(),
    }
}

/// `(mult, shift)` of an epilogue the layered proof covers: a positive multiplier, a shift
/// its remainder's range check covers, saturating to the output's own bits.
fn epilogue(rq: &Requant, out: Bits) -> Result<(i64, u32), &'static str> {
    if rq.mult <= 0 || rq.shift > MAX_RANGE_BITS || rq.bits != out {
        return Err("an epilogue with a non-positive multiplier, a shift above the range check or other bits");
    }
    Ok((rq.mult, rq.shift))
}

impl ChainSpec {
    /// Recognise a graph the layered proof covers.
    ///
    /// # Errors
    /// [`GkrError::Unsupported`] naming the first node (or graph property) it does not cover:
    /// an op other than a `Contract` with a weight operand (lowered by [`super::lower`]), a
    /// `Max`/`Min` with a scalar constant (identity epilogue), a `Move`, a `ReduceMax` or a
    /// `ReduceSum` over the last axis, an `Add`/`Sub`/`Mul` of two activations of the
    /// output's shape, a `Rescale`; a node reading a tensor that is not an earlier node's or an
    /// input, a graph output that is an input or another output's value, a last node whose
    /// output is no graph output.
    pub fn recognise(g: &Graph) -> Result<Self, GkrError> {
        if g.inputs.is_empty() || g.outputs.is_empty() || g.nodes.is_empty() {
            return Err(unsupported(
                None,
                format!(
                    "{} inputs, {} outputs, {} nodes: the layered proof needs an input, an \
                     output and a node",
                    g.inputs.len(),
                    g.outputs.len(),
                    g.nodes.len()
                ),
            ));
        }
        let n_in = g.inputs.len();
        // The node of each graph output: a node's value, each output its own.
        let mut out_nodes = Vec::with_capacity(g.outputs.len());
        for (k, o) in g.outputs.iter().enumerate() {
            match o.value.index().checked_sub(n_in) {
                Some(j) if j < g.nodes.len() && !out_nodes.contains(&j) => out_nodes.push(j),
                _ => {
                    return Err(unsupported(
                        None,
                        format!(
                            "graph output {k} ({}) is a graph input or another output's value",
                            o.name
                        ),
                    ))
                }
            }
        }
        if !out_nodes.contains(&(g.nodes.len() - 1)) {
            return Err(unsupported(
                None,
                "the last node's output is no graph output (it would be proven for nothing)",
            ));
        }
        let mut spec = Self {
            inputs: g
                .inputs
                .iter()
                .map(|v| PublicInput {
                    layout: Layout::of(v.info.shape.dims()),
                    bits: v.info.bits,
                })
                .collect(),
            outputs: vec![],
            layers: Vec::with_capacity(g.nodes.len()),
            weights: vec![],
            maps: vec![],
            arrangements: vec![],
            forms: vec![],
            expansions: vec![],
        };
        // Which node outputs may be laid out expanded, and per node its layout's dims where
        // expanded and whether its fakes are proven zero.
        let expandable = super::layout::expandable(g);
        let mut node_e: Vec<Option<(Vec<usize>, bool)>> = Vec::with_capacity(g.nodes.len());
        // The layer holding each node's output.
        let mut node_layer: Vec<usize> = Vec::with_capacity(g.nodes.len());
        for (i, node) in g.nodes.iter().enumerate() {
            let refuse = |why: String| {
                unsupported(
                    Some(i),
                    format!("node {i} ({}, {}): {why}", node.name, node.op.name()),
                )
            };
            // The input or the layer holding value `v`.
            let earlier = |v: usize| match v.checked_sub(n_in) {
                None => Some(Src::Input(v)),
                Some(j) => node_layer.get(j).copied().map(Src::Layer),
            };
            if let Op::Gather(ga) = &node.op {
                super::gather::gather_layer(g, &mut spec, node, ga).map_err(refuse)?;
                node_layer.push(spec.layers.len() - 1);
                node_e.push(None);
                continue;
            }
            let src = match node.inputs.first() {
                Some(Operand::Value(v)) => earlier(v.index()),
                _ => None,
            };
            let Some(src) = src else {
                return Err(refuse(
                    "its first operand is not an input or an earlier node".into(),
                ));
            };
            let in_info = g
                .operand_info(node.inputs[0])
                .ok_or_else(|| refuse("its input does not exist".into()))?;
            // The input's layout dims where expanded, and whether its fakes are zero.
            let src_e = match node.inputs.first() {
                Some(Operand::Value(v)) => v
                    .index()
                    .checked_sub(n_in)
                    .and_then(|j| node_e.get(j).cloned().flatten()),
                _ => None,
            };
            // Two limbs for the ops whose layer kinds check their output as limbs
            // ([`super::columns::output_bits_fit`]; checked again on the spec's bytes).
            let limbs = match &node.op {
                Op::Binary(b) => !matches!(b.kind, BinaryKind::Max | BinaryKind::Min),
                Op::Rescale(_) => true,
                Op::Reduce(r) => r.kind == verinfer_ir::ReduceKind::Sum,
                _ => false,
            };
            let bits = node.out.bits.get();
            if bits > MAX_RANGE_BITS && !(limbs && super::columns::split_out(bits)) {
                return Err(refuse("output bits wider than the range check".into()));
            }
            let mut out = Layout::of(node.out.shape.dims());
            // This node's output's layout dims where expanded (and its fakes zero).
            let mut out_e: Option<(Vec<usize>, bool)> = None;
            let kind = match &node.op {
                Op::Contract(c) if matches!(node.inputs.get(1), Some(Operand::Value(_))) => {
                    let b = match node.inputs.get(1) {
                        Some(Operand::Value(v)) => earlier(v.index()),
                        _ => None,
                    };
                    let b_info = node.inputs.get(1).and_then(|&o| g.operand_info(o));
                    let (Some(b), Some(b_info)) = (b, b_info) else {
                        return Err(refuse(
                            "its second operand is not the input or an earlier node".into(),
                        ));
                    };
                    super::attn::contract2_layers(
                        &mut spec,
                        i,
                        node,
                        c,
                        (src, in_info),
                        (b, b_info),
                    )?;
                    node_layer.push(spec.layers.len() - 1);
                    node_e.push(None);
                    continue;
                }
                Op::Contract(c) => {
                    let e = super::lower::contract_layers(
                        g,
                        &mut spec,
                        i,
                        node,
                        c,
                        (src, in_info),
                        (src_e.as_ref(), expandable[i]),
                    )?;
                    node_layer.push(spec.layers.len() - 1);
                    node_e.push(e);
                    continue;
                }
                Op::Binary(b) if matches!(b.kind, BinaryKind::Max | BinaryKind::Min) => {
                    let identity = Requant::clamp_only(node.out.bits);
                    if b.a_mult != 1 || b.requant != identity {
                        return Err(refuse(
                            "only max/min(x, c) with x's multiplier 1 and no rescale".into(),
                        ));
                    }
                    let c = super::layout::scalar_operand(g, node).ok_or_else(|| {
                        refuse("the second operand is not a scalar parameter".into())
                    })?;
                    let constant = i64::from(c)
                        .checked_mul(b.b_mult)
                        .filter(|c| node.out.bits.contains(*c))
                        .ok_or_else(|| {
                            refuse("the constant lies outside the output's bits".into())
                        })?;
                    if in_info.shape != node.out.shape || in_info.bits.get() > node.out.bits.get() {
                        return Err(refuse(
                            "the input's shape differs from the output's or its bits are wider"
                                .into(),
                        ));
                    }
                    if node.inputs.len() != 2 {
                        return Err(refuse("an operand past x and c".into()));
                    }
                    // Elementwise: the output keeps the input's layout.
                    if let Some((e, zero)) = &src_e {
                        out = Layout::of(e);
                        out_e = Some((e.clone(), *zero));
                    }
                    LayerKind::Clip {
                        min: b.kind == BinaryKind::Min,
                        constant,
                    }
                }
                Op::Move(m) => {
                    let map = g
                        .params
                        .get(m.map.index())
                        .map(|p| p.data.to_vec())
                        .ok_or_else(|| refuse("its map is not a parameter".into()))?;
                    let in_len = in_info.shape.dims().iter().product::<usize>();
                    let fits = |v: &i32| usize::try_from(*v).map_or(true, |k| k < in_len);
                    if node.inputs.len() != 1
                        || map.len() != out.len()
                        || !map.iter().all(fits)
                        || in_info.bits.get() > node.out.bits.get()
                        || !node.out.bits.contains(i64::from(m.fill))
                    {
                        return Err(refuse(
                            "only a one-input move whose map fits its shapes, bits and fill".into(),
                        ));
                    }
                    let od = node.out.shape.dims();
                    let cand = super::layout::expand_dims(od);
                    let cand = (expandable[i] && cand != od).then_some(cand);
                    if src_e.is_none() && cand.is_none() {
                        let form = super::affine::fit_layouts(
                            split_axes(od),
                            split_axes(in_info.shape.dims()),
                            &map,
                        );
                        spec.push_map(map, form);
                        LayerKind::Move {
                            map: spec.maps.len() - 1,
                            fill: i64::from(m.fill),
                        }
                    } else {
                        let (eo, moved) = super::layout::place_move(
                            od,
                            cand,
                            (in_info.shape.dims(), src_e.as_ref()),
                            &map,
                            i64::from(m.fill),
                        )
                        .ok_or_else(|| refuse("a map past 2^31 entries".into()))?;
                        out = Layout::of(&eo);
                        if eo != od {
                            out_e = Some((eo, true));
                        }
                        spec.push_map(moved.map, moved.form);
                        LayerKind::Move {
                            map: spec.maps.len() - 1,
                            fill: moved.fill,
                        }
                    }
                }
                Op::Reduce(r) if r.kind == verinfer_ir::ReduceKind::Max => {
                    let dims = in_info.shape.dims();
                    let last_axis = dims.len().checked_sub(1);
                    let k = dims.last().copied().unwrap_or(0);
                    if last_axis.is_none()
                        || r.axes != [dims.len() - 1]
                        || r.requant != Requant::clamp_only(node.out.bits)
                        || node.inputs.len() != 1
                        || k == 0
                        || in_info.bits.get() > node.out.bits.get()
                        || out.len() * k != Layout::of(dims).len()
                    {
                        return Err(refuse(
                            "only a max over the last axis with no rescale".into(),
                        ));
                    }
                    // Over expanded rows: the output is the input's row axes (its last one
                    // expanded too, so a fake row's maximum, 0, is inside its layout).
                    if let Some((e, zero)) = &src_e {
                        let eo = e[..e.len() - 1].to_vec();
                        if e.last() != Some(&k) || eo.is_empty() || !zero {
                            return Err(refuse("a max over an expanded last axis".into()));
                        }
                        out = Layout::of(&eo);
                        out_e = Some((eo, true));
                    }
                    LayerKind::ReduceMax
                }
                Op::Binary(b) if b.kind == BinaryKind::Mul && in_info.shape != node.out.shape => {
                    let second = match node.inputs.get(1) {
                        Some(Operand::Value(v)) => earlier(v.index()),
                        _ => None,
                    };
                    let b_info = node.inputs.get(1).and_then(|&o| g.operand_info(o));
                    super::outer::recognise(node, b, in_info, second.zip(b_info)).map_err(refuse)?
                }
                Op::Binary(b) => {
                    let op = match b.kind {
                        BinaryKind::Add => Arith::Add,
                        BinaryKind::Sub => Arith::Sub,
                        _ => Arith::Mul,
                    };
                    let second = super::broadcast::recognise_arg(g, &mut spec, node, &earlier)
                        .map_err(|e| refuse(e.into()))?;
                    if node.inputs.len() != 2 || in_info.shape != node.out.shape {
                        return Err(refuse("only a first operand of the output's shape".into()));
                    }
                    let small = |m: i64| m.unsigned_abs() <= 1 << 32;
                    if !small(b.a_mult) || !small(b.b_mult) {
                        return Err(refuse("a multiplier above 2^32".into()));
                    }
                    let (mult, shift) =
                        epilogue(&b.requant, node.out.bits).map_err(|e| refuse(e.into()))?;
                    LayerKind::Binary {
                        op,
                        b: second,
                        a_mult: b.a_mult,
                        b_mult: b.b_mult,
                        mult,
                        shift,
                        clamp: false,
                    }
                }
                // `requant(x)` is the add `x·1 + x·0`: no layer kind of its own.
                Op::Rescale(rq) => {
                    if node.inputs.len() != 1 || in_info.shape != node.out.shape {
                        return Err(refuse(
                            "only a one-input rescale of its output's shape".into(),
                        ));
                    }
                    let (mult, shift) =
                        epilogue(rq, node.out.bits).map_err(|e| refuse(e.into()))?;
                    LayerKind::Binary {
                        op: Arith::Add,
                        b: Arg::Act(src),
                        a_mult: 1,
                        b_mult: 0,
                        mult,
                        shift,
                        clamp: false,
                    }
                }
                Op::Reduce(r) if r.kind == verinfer_ir::ReduceKind::Sum => {
                    let dims = in_info.shape.dims();
                    let k = dims.last().copied().unwrap_or(0);
                    if dims.is_empty()
                        || r.axes != [dims.len() - 1]
                        || node.inputs.len() != 1
                        || k == 0
                        || out.len() * k != Layout::of(dims).len()
                    {
                        return Err(refuse("only a sum over the last axis".into()));
                    }
                    let (mult, shift) =
                        epilogue(&r.requant, node.out.bits).map_err(|e| refuse(e.into()))?;
                    LayerKind::ReduceSum { mult, shift }
                }
                Op::Div(d) => super::div::recognise(g, &mut spec, node, d, in_info, &earlier)
                    .map_err(refuse)?,
                Op::ISqrt(s) => super::isqrt::recognise(node, s, in_info).map_err(refuse)?,
                Op::Reduce(r) if r.kind == verinfer_ir::ReduceKind::ArgMax => {
                    super::argmax::recognise(node, r, in_info, out).map_err(refuse)?
                }
                Op::Lookup(lk) => {
                    super::lookup::lookup_layers(g, &mut spec, i, node, lk, (src, in_info))?;
                    node_layer.push(spec.layers.len() - 1);
                    node_e.push(None);
                    continue;
                }
                op => {
                    return Err(refuse(format!(
                        "op {} has no layered sumcheck argument yet",
                        op.name()
                    )))
                }
            };
            let mut layer = Layer {
                kind,
                input: src,
                out,
                bits: node.out.bits,
                internal: false,
            };
            let flag = super::clamp::flagged(&spec, &layer);
            if let LayerKind::Binary { clamp, .. } = &mut layer.kind {
                *clamp = flag;
            }
            spec.layers.push(layer);
            node_layer.push(spec.layers.len() - 1);
            if let Some((e, _)) = &out_e {
                spec.expansions.push(super::layout::Expansion {
                    layer: spec.layers.len() - 1,
                    dims: node.out.shape.dims().to_vec(),
                    edims: e.clone(),
                });
            }
            node_e.push(out_e);
        }
        spec.outputs = out_nodes.iter().map(|&j| node_layer[j]).collect();
        // The spec's bytes carry the forms section whenever they carry expansions (or the
        // inputs and outputs of a model with several).
        if (!spec.expansions.is_empty() || !spec.one_in_one_out())
            && spec.forms.len() < spec.maps.len()
        {
            spec.forms.resize(spec.maps.len(), None);
        }
        Ok(spec)
    }

    /// Add a move's map and its closed form, if any (`forms` stays empty until one has).
    pub(crate) fn push_map(&mut self, map: Vec<i32>, form: Option<super::affine::AffineWiring>) {
        if form.is_some() && self.forms.len() < self.maps.len() {
            self.forms.resize(self.maps.len(), None);
        }
        self.maps.push(map);
        if form.is_some() || !self.forms.is_empty() {
            self.forms.push(form);
        }
    }

    /// The closed form of map `map`, if it has one.
    #[must_use]
    pub fn form(&self, map: usize) -> Option<&super::affine::AffineWiring> {
        self.forms.get(map).and_then(Option::as_ref)
    }

    /// The layout of a layer's input (a one-element one for an index past the spec's).
    #[must_use]
    pub fn src_layout(&self, s: Src) -> Layout {
        let none = Layout { rows: 1, cols: 1 };
        match s {
            Src::Input(k) => self.inputs.get(k).map_or(none, |v| v.layout),
            Src::Layer(i) => self.layers.get(i).map_or(none, |l| l.out),
        }
    }

    /// The bit bound of a layer's input, if the spec has it.
    #[must_use]
    pub fn src_bits(&self, s: Src) -> Option<Bits> {
        match s {
            Src::Input(k) => self.inputs.get(k).map(|v| v.bits),
            Src::Layer(i) => self.layers.get(i).map(|l| l.bits),
        }
    }

    /// Where `s` lies in the layers' trace: the inputs first, then every layer's output.
    #[must_use]
    pub fn trace_index(&self, s: Src) -> usize {
        match s {
            Src::Input(k) => k,
            Src::Layer(i) => self.inputs.len() + i,
        }
    }

    /// Which graph output layer `i` holds, if any.
    #[must_use]
    pub fn output_of(&self, i: usize) -> Option<usize> {
        self.outputs.iter().position(|&o| o == i)
    }

    /// Whether the model has one input and its last layer as its one output (its spec
    /// bytes have no inputs-and-outputs section).
    #[must_use]
    pub fn one_in_one_out(&self) -> bool {
        self.inputs.len() == 1 && self.outputs == [self.layers.len().saturating_sub(1)]
    }

    /// Elements of each public input, and of each public output, in graph order.
    #[must_use]
    pub fn public_shapes(&self) -> (Vec<usize>, Vec<usize>) {
        let ins = self.inputs.iter().map(|v| v.layout.len()).collect();
        let outs = self
            .outputs
            .iter()
            .map(|&o| self.src_layout(Src::Layer(o)).len())
            .collect();
        (ins, outs)
    }

    /// Elements of every public input, and of every public output.
    #[must_use]
    pub fn public_lens(&self) -> (usize, usize) {
        let (ins, outs) = self.public_shapes();
        (ins.iter().sum(), outs.iter().sum())
    }

    /// The graph node whose lowering layer `i` belongs to (its output the node's unless
    /// [`Layer::internal`]).
    #[must_use]
    pub fn node_of(&self, i: usize) -> usize {
        self.layers.iter().take(i).filter(|l| !l.internal).count()
    }

    /// The graph nodes (layers that hold a node's output).
    #[must_use]
    pub fn nodes(&self) -> usize {
        self.layers.iter().filter(|l| !l.internal).count()
    }

    /// The last output's layout.
    #[must_use]
    pub fn output(&self) -> Layout {
        self.src_layout(Src::Layer(
            self.outputs.last().copied().unwrap_or(usize::MAX),
        ))
    }

    /// `keccak256` of the canonical bytes (absorbed first by the proof's transcript).
    #[must_use]
    pub fn digest(&self) -> [u8; 32] {
        keccak256(&self.to_bytes())
    }
}

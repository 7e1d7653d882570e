//! What a whole-model proof is about, recognised from the graph ([`ChainSpec::recognise`]):
//! the layers, where each reads its input, the weight shapes. The verifying key holds it, so
//! it has a canonical byte form ([`ChainSpec::to_bytes`]) whose hash the transcript absorbs.

use verinfer_ir::{BinaryKind, Bits, Graph, Op, Operand, ParamKind, Requant};

use crate::contract::{matmul_contract, MatmulNode};
use crate::logup::MAX_RANGE_BITS;
use crate::transcript::keccak256;

use super::GkrError;

/// A tensor as a padded `2^a × 2^b` matrix: the last axis is the columns, the others the
/// rows (row-major, so a rank-2 tensor needs no reordering and an elementwise op keeps it).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    /// Rows (product of all axes but the last; 1 for rank ≤ 1).
    pub rows: usize,
    /// Columns (the last axis).
    pub cols: usize,
}

impl Layout {
    fn of(dims: &[usize]) -> Self {
        match dims.split_last() {
            None => Self { rows: 1, cols: 1 },
            Some((&c, rest)) => Self {
                rows: rest.iter().product(),
                cols: c,
            },
        }
    }

    /// `(a, b)`: the variables of the padded rows and columns.
    #[must_use]
    pub fn log_dims(&self) -> (usize, usize) {
        (log2(self.rows), log2(self.cols))
    }

    /// Variables of the padded table.
    #[must_use]
    pub fn vars(&self) -> usize {
        let (a, b) = self.log_dims();
        a + b
    }

    /// Elements.
    #[must_use]
    pub fn len(&self) -> usize {
        self.rows * self.cols
    }

    /// Whether it has no elements.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn log2(n: usize) -> usize {
    n.next_power_of_two().trailing_zeros() as usize
}

/// Where a layer reads its (activation) input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Src {
    /// The graph input (public).
    Input,
    /// The output of layer `i` (committed, or the public graph output).
    Layer(usize),
}

/// What a layer computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayerKind {
    /// `Y = requant(X·W (+ bias·2^t))`; `w`, `bias` index [`ChainSpec::weights`].
    Matmul {
        /// The node's shape and epilogue.
        node: MatmulNode,
        /// `W`'s weight index.
        w: usize,
        /// The bias's weight index.
        bias: Option<usize>,
    },
    /// `Y = max(X, c)` (or `min`), elementwise with a constant: ReLU and clips.
    Clip {
        /// `min` instead of `max`.
        min: bool,
        /// The constant `c` (the scalar parameter times its multiplier).
        constant: i64,
    },
    /// `Y[j] = X[map[j]]`, `fill` where the map is negative (a gather with a public map:
    /// reshape, transpose, pooling windows, padding); `map` indexes [`ChainSpec::maps`].
    Move {
        /// The map's index.
        map: usize,
        /// The fill value.
        fill: i64,
    },
    /// `Y[r] = max_i X[r, i]` over the last axis (`ReduceMax`, no rescale).
    ReduceMax,
}

/// One layer: its op, its input, its output's layout and bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layer {
    /// The op.
    pub kind: LayerKind,
    /// The input.
    pub input: Src,
    /// The output's layout.
    pub out: Layout,
    /// The output's bit bound.
    pub bits: Bits,
}

/// A weight tensor as committed: a `rows × cols` matrix (a bias is `1 × n`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WeightSpec {
    /// The graph parameter it is.
    pub param: usize,
    /// Its layout.
    pub layout: Layout,
}

/// A model the layered proof covers: one public input, layers in graph order, the last
/// layer's output the one public output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainSpec {
    /// The input's layout.
    pub input: Layout,
    /// The input's bit bound.
    pub input_bits: Bits,
    /// The layers (node `i` of the graph is layer `i`).
    pub layers: Vec<Layer>,
    /// The committed weights.
    pub weights: Vec<WeightSpec>,
    /// The public index maps of the `Move` layers.
    pub maps: Vec<Vec<i32>>,
}

fn unsupported(node: Option<usize>, reason: impl Into<String>) -> GkrError {
    GkrError::Unsupported {
        node,
        reason: reason.into(),
    }
}

impl ChainSpec {
    /// Recognise a graph the layered proof covers.
    ///
    /// # Errors
    /// [`GkrError::Unsupported`] naming the first node (or graph property) it does not cover:
    /// an op other than a 2-D matrix-product `Contract` or a `Max`/`Min` with a scalar
    /// constant (identity epilogue), a node reading a tensor that is not the previous layers'
    /// or the input, more than one input or output, an output that is not the last node's.
    pub fn recognise(g: &Graph) -> Result<Self, GkrError> {
        if g.inputs.len() != 1 || g.outputs.len() != 1 || g.nodes.is_empty() {
            return Err(unsupported(
                None,
                format!(
                    "{} inputs, {} outputs, {} nodes: the layered proof needs one input, one \
                     output and at least one node",
                    g.inputs.len(),
                    g.outputs.len(),
                    g.nodes.len()
                ),
            ));
        }
        let last = g.nodes.len() - 1;
        if g.outputs[0].value != g.node_value(last) {
            return Err(unsupported(
                None,
                "the graph output is not the last node's output",
            ));
        }
        let input_info = &g.inputs[0].info;
        let mut spec = Self {
            input: Layout::of(input_info.shape.dims()),
            input_bits: input_info.bits,
            layers: Vec::with_capacity(g.nodes.len()),
            weights: vec![],
            maps: vec![],
        };
        for (i, node) in g.nodes.iter().enumerate() {
            let refuse = |why: String| {
                unsupported(
                    Some(i),
                    format!("node {i} ({}, {}): {why}", node.name, node.op.name()),
                )
            };
            let src = match node.inputs.first() {
                Some(Operand::Value(v)) if v.index() == 0 => Src::Input,
                Some(Operand::Value(v)) if v.index() >= 1 && v.index() <= i => {
                    Src::Layer(v.index() - 1)
                }
                _ => {
                    return Err(refuse(
                        "its first operand is not the input or an earlier node".into(),
                    ))
                }
            };
            let in_info = g
                .operand_info(node.inputs[0])
                .ok_or_else(|| refuse("its input does not exist".into()))?;
            let out = Layout::of(node.out.shape.dims());
            let kind = match &node.op {
                Op::Contract(c) => {
                    let mn = MatmulNode::from_contract(c).map_err(|e| refuse(e.to_string()))?;
                    let (m, k, n) = mn.dims();
                    if in_info.shape.dims() != [m, k] || node.out.shape.dims() != [m, n] {
                        return Err(refuse(format!(
                            "shapes {:?} → {:?}, the matrix product needs [{m}, {k}] → [{m}, {n}]",
                            in_info.shape.dims(),
                            node.out.shape.dims()
                        )));
                    }
                    if node.out.bits != c.requant.bits {
                        return Err(refuse("output bits differ from the epilogue's".into()));
                    }
                    let mut weight =
                        |idx: usize, kind: ParamKind, dims: &[usize]| match node.inputs.get(idx) {
                            Some(Operand::Param(p)) => {
                                let param = g.params.get(p.index()).ok_or_else(|| {
                                    refuse(format!("operand {idx} is not a parameter"))
                                })?;
                                if param.kind != kind || param.info.shape.dims() != dims {
                                    return Err(refuse(format!(
                                        "operand {idx} must be a {kind:?} parameter of shape \
                                         {dims:?}"
                                    )));
                                }
                                spec.weights.push(WeightSpec {
                                    param: p.index(),
                                    layout: Layout::of(dims),
                                });
                                Ok(spec.weights.len() - 1)
                            }
                            _ => Err(refuse(format!("operand {idx} is not a parameter"))),
                        };
                    let w = weight(1, ParamKind::Weight, &[k, n])?;
                    let bias = if mn.has_bias() {
                        Some(weight(2, ParamKind::Bias, &[n])?)
                    } else {
                        None
                    };
                    if node.inputs.len() != 2 + usize::from(mn.has_bias()) {
                        return Err(refuse("an operand past X, W and the bias".into()));
                    }
                    LayerKind::Matmul { node: mn, w, bias }
                }
                Op::Binary(b) if matches!(b.kind, BinaryKind::Max | BinaryKind::Min) => {
                    let identity = Requant::clamp_only(node.out.bits);
                    if b.a_mult != 1 || b.requant != identity {
                        return Err(refuse(
                            "only max/min(x, c) with x's multiplier 1 and no rescale".into(),
                        ));
                    }
                    let c = match node.inputs.get(1) {
                        Some(Operand::Param(p)) => g
                            .params
                            .get(p.index())
                            .filter(|p| p.data.len() == 1)
                            .and_then(|p| p.data.get(0)),
                        _ => None,
                    }
                    .ok_or_else(|| refuse("the second operand is not a scalar parameter".into()))?;
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
                    spec.maps.push(map);
                    LayerKind::Move {
                        map: spec.maps.len() - 1,
                        fill: i64::from(m.fill),
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
                    LayerKind::ReduceMax
                }
                op => {
                    return Err(refuse(format!(
                        "op {} has no layered sumcheck argument yet",
                        op.name()
                    )))
                }
            };
            if node.out.bits.get() > MAX_RANGE_BITS {
                return Err(refuse("output bits wider than the range check".into()));
            }
            spec.layers.push(Layer {
                kind,
                input: src,
                out,
                bits: node.out.bits,
            });
        }
        Ok(spec)
    }

    /// The layout of a layer's input.
    #[must_use]
    pub fn src_layout(&self, s: Src) -> Layout {
        match s {
            Src::Input => self.input,
            Src::Layer(i) => self.layers.get(i).map_or(self.input, |l| l.out),
        }
    }

    /// The output's layout.
    #[must_use]
    pub fn output(&self) -> Layout {
        self.layers.last().map_or(self.input, |l| l.out)
    }

    /// The canonical bytes (what keys store and the transcript hashes).
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut put = |v: u64| out.extend_from_slice(&v.to_le_bytes());
        put(self.input.rows as u64);
        put(self.input.cols as u64);
        put(u64::from(self.input_bits.get()));
        put(self.weights.len() as u64);
        for w in &self.weights {
            put(w.param as u64);
            put(w.layout.rows as u64);
            put(w.layout.cols as u64);
        }
        put(self.layers.len() as u64);
        #[allow(clippy::cast_sign_loss)]
        for l in &self.layers {
            put(match l.input {
                Src::Input => u64::MAX,
                Src::Layer(i) => i as u64,
            });
            put(l.out.rows as u64);
            put(l.out.cols as u64);
            put(u64::from(l.bits.get()));
            match l.kind {
                LayerKind::Matmul { node, w, bias } => {
                    let (m, k, n) = node.dims();
                    let rq = node.requant();
                    for v in [0, m as u64, k as u64, n as u64, rq.mult as u64] {
                        put(v);
                    }
                    put(u64::from(rq.shift));
                    put(node.bias_shift().map_or(u64::MAX, u64::from));
                    put(w as u64);
                    put(bias.map_or(u64::MAX, |b| b as u64));
                }
                LayerKind::Clip { min, constant } => {
                    put(1);
                    put(u64::from(min));
                    put(constant as u64);
                }
                LayerKind::Move { map, fill } => {
                    put(2);
                    put(map as u64);
                    put(fill as u64);
                }
                LayerKind::ReduceMax => put(3),
            }
        }
        // Only a spec with moves has the maps section (the digits MLP's bytes stay as they were).
        if !self.maps.is_empty() {
            put(self.maps.len() as u64);
        }
        for m in &self.maps {
            put(m.len() as u64);
            for &v in m {
                put(v as u64);
            }
        }
        out
    }

    /// [`ChainSpec::to_bytes`] back; only canonical bytes of a well-formed spec decode.
    ///
    /// # Errors
    /// [`GkrError::Malformed`] naming the problem.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, GkrError> {
        let bad = |m: &'static str| GkrError::Malformed(m);
        let mut words = bytes.chunks(8).map(|c| {
            <[u8; 8]>::try_from(c)
                .map(u64::from_le_bytes)
                .map_err(|_| bad("spec: a partial word"))
        });
        let used = std::cell::Cell::new(0usize);
        let mut next = || {
            used.set(used.get() + 1);
            words.next().unwrap_or(Err(bad("spec: truncated")))
        };
        let size = |v: u64| usize::try_from(v).map_err(|_| bad("spec: a size"));
        let bits = |v: u64| {
            u32::try_from(v)
                .ok()
                .and_then(|b| Bits::new(b).ok())
                .ok_or(bad("spec: bits"))
        };
        let layout = |r: u64, c: u64| -> Result<Layout, GkrError> {
            let l = Layout {
                rows: size(r)?,
                cols: size(c)?,
            };
            if l.rows == 0 || l.cols == 0 || l.rows > 1 << 28 || l.cols > 1 << 28 {
                return Err(bad("spec: a layout"));
            }
            Ok(l)
        };
        let input = layout(next()?, next()?)?;
        let input_bits = bits(next()?)?;
        let nw = size(next()?)?;
        if nw > bytes.len() {
            return Err(bad("spec: weight count"));
        }
        let mut weights = Vec::with_capacity(nw);
        for _ in 0..nw {
            let param = size(next()?)?;
            let layout = layout(next()?, next()?)?;
            weights.push(WeightSpec { param, layout });
        }
        let nl = size(next()?)?;
        if nl > bytes.len() {
            return Err(bad("spec: layer count"));
        }
        let mut layers = Vec::with_capacity(nl);
        for i in 0..nl {
            let input = match next()? {
                u64::MAX => Src::Input,
                j if size(j)? < i => Src::Layer(size(j)?),
                _ => return Err(bad("spec: a layer reads a later one")),
            };
            let out = layout(next()?, next()?)?;
            let bits = bits(next()?)?;
            #[allow(clippy::cast_possible_wrap)]
            let kind = match next()? {
                0 => {
                    let (m, k, n) = (size(next()?)?, size(next()?)?, size(next()?)?);
                    let mult = next()? as i64;
                    let shift = u32::try_from(next()?).map_err(|_| bad("spec: shift"))?;
                    let bias_shift = match next()? {
                        u64::MAX => None,
                        s => Some(u32::try_from(s).map_err(|_| bad("spec: bias shift"))?),
                    };
                    let requant = Requant { mult, shift, bits };
                    let node =
                        MatmulNode::from_contract(&matmul_contract((m, k, n), requant, bias_shift))
                            .map_err(|_| bad("spec: a matrix-product node"))?;
                    let w = size(next()?)?;
                    let bias = match next()? {
                        u64::MAX => None,
                        b => Some(size(b)?),
                    };
                    if w >= nw || bias.is_some_and(|b| b >= nw) {
                        return Err(bad("spec: a weight index"));
                    }
                    LayerKind::Matmul { node, w, bias }
                }
                1 => {
                    let min = match next()? {
                        0 => false,
                        1 => true,
                        _ => return Err(bad("spec: min flag")),
                    };
                    LayerKind::Clip {
                        min,
                        constant: next()? as i64,
                    }
                }
                2 => LayerKind::Move {
                    map: size(next()?)?,
                    fill: next()? as i64,
                },
                3 => LayerKind::ReduceMax,
                _ => return Err(bad("spec: layer kind")),
            };
            layers.push(Layer {
                kind,
                input,
                out,
                bits,
            });
        }
        let nm = if 8 * used.get() == bytes.len() {
            0
        } else {
            size(next()?)?
        };
        if nm > bytes.len() {
            return Err(bad("spec: map count"));
        }
        let mut maps = Vec::with_capacity(nm);
        for _ in 0..nm {
            let len = size(next()?)?;
            if len > bytes.len() / 8 {
                return Err(bad("spec: map length"));
            }
            #[allow(clippy::cast_possible_truncation)]
            let m = (0..len)
                .map(|_| Ok(next()? as i32))
                .collect::<Result<Vec<i32>, GkrError>>()?;
            maps.push(m);
        }
        let spec = Self {
            input,
            input_bits,
            layers,
            weights,
            maps,
        };
        if spec.to_bytes() != bytes {
            return Err(bad("spec: not the canonical encoding"));
        }
        spec.check()?;
        Ok(spec)
    }

    /// The shapes agree between layers (what `recognise` guarantees, re-checked on decoding).
    fn check(&self) -> Result<(), GkrError> {
        let bad = GkrError::Malformed;
        if self.layers.is_empty() {
            return Err(bad("spec: no layers"));
        }
        for l in &self.layers {
            let inp = self.src_layout(l.input);
            match l.kind {
                LayerKind::Matmul { node, w, bias } => {
                    let (m, k, n) = node.dims();
                    let wl = self.weights.get(w).map(|w| w.layout);
                    let bl = bias.and_then(|b| self.weights.get(b)).map(|w| w.layout);
                    let ok = inp == Layout { rows: m, cols: k }
                        && l.out == Layout { rows: m, cols: n }
                        && wl == Some(Layout { rows: k, cols: n })
                        && bias.is_none_or(|_| bl == Some(Layout { rows: 1, cols: n }))
                        && node.requant().bits == l.bits;
                    if !ok {
                        return Err(bad("spec: a matrix product's shapes"));
                    }
                }
                LayerKind::Clip { constant, .. } => {
                    let in_bits = match l.input {
                        Src::Input => self.input_bits,
                        Src::Layer(i) => self.layers.get(i).map_or(l.bits, |p| p.bits),
                    };
                    if inp != l.out || !l.bits.contains(constant) || in_bits.get() > l.bits.get() {
                        return Err(bad("spec: a clip's shapes or constant"));
                    }
                }
                LayerKind::Move { map, fill } => {
                    let fits = |v: &i32| usize::try_from(*v).map_or(true, |k| k < inp.len());
                    let ok = self
                        .maps
                        .get(map)
                        .is_some_and(|m| m.len() == l.out.len() && m.iter().all(fits));
                    let in_bits = match l.input {
                        Src::Input => self.input_bits,
                        Src::Layer(i) => self.layers.get(i).map_or(l.bits, |p| p.bits),
                    };
                    if !ok || !l.bits.contains(fill) || in_bits.get() > l.bits.get() {
                        return Err(bad("spec: a move's map or fill"));
                    }
                }
                LayerKind::ReduceMax => {
                    let in_bits = match l.input {
                        Src::Input => self.input_bits,
                        Src::Layer(i) => self.layers.get(i).map_or(l.bits, |p| p.bits),
                    };
                    if l.out.len() * inp.cols != inp.len() || in_bits.get() > l.bits.get() {
                        return Err(bad("spec: a max's shapes"));
                    }
                }
            }
            if l.bits.get() > MAX_RANGE_BITS {
                return Err(bad("spec: bits"));
            }
        }
        Ok(())
    }

    /// `keccak256` of the canonical bytes (absorbed first by the proof's transcript).
    #[must_use]
    pub fn digest(&self) -> [u8; 32] {
        keccak256(&self.to_bytes())
    }
}

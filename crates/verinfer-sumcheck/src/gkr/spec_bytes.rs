//! The canonical bytes of a [`ChainSpec`] (what keys store and the transcript hashes) and
//! their decoding, which re-checks every shape `recognise` guarantees.

use verinfer_ir::{Bits, Requant};

use crate::contract::{matmul_contract, MatmulNode};
use crate::logup::MAX_RANGE_BITS;

use super::spec::{Arg, Arith, ChainSpec, Layer, LayerKind, Layout, Src, WeightSpec};
use super::GkrError;

/// Set on a weight's parameter word when an arrangement index follows.
const ARRANGED: u64 = 1 << 63;
/// Set on a layer's kind word when the layer is [`Layer::internal`].
const INTERNAL: u64 = 1 << 32;

/// A binary layer's second operand word: a committed parameter (its weight index follows
/// in the low bits).
const WEIGHT_ARG: u64 = 1 << 62;
/// A binary layer's second operand word: a public scalar (its value is the next word).
const CONST_ARG: u64 = 1 << 61;
/// The kind word of a [`LayerKind::Product`] (6 and 7 are left to the lookup layers).
const PRODUCT_TAG: u64 = 8;
/// The kind word of a [`LayerKind::Div`].
const DIV_TAG: u64 = 9;
/// The kind word of a [`LayerKind::ISqrt`].
const ISQRT_TAG: u64 = 10;
/// The kind word of a [`LayerKind::Gather`].
const GATHER_TAG: u64 = 11;
/// The kind word of a [`LayerKind::ArgMax`].
const ARGMAX_TAG: u64 = 12;
/// The kind word of a [`LayerKind::Outer`].
const OUTER_TAG: u64 = 13;
/// The kind word of a [`LayerKind::Div`] with a signed numerator.
const DIV_SIGNED_TAG: u64 = 14;
/// The kind word of a [`LayerKind::Binary`] whose clamp is proven ([`super::clamp`]); an
/// unflagged one keeps kind word 4 (and its bytes).
const CLAMPED_BINARY_TAG: u64 = 15;

/// A binary layer's second operand: its word(s). An activation's is its source's word (the
/// bytes of specs without parameters or scalars are as before).
fn arg_words(a: Arg) -> Vec<u64> {
    #[allow(clippy::cast_sign_loss)]
    match a {
        Arg::Act(s) => vec![src_word(s)],
        Arg::Weight(j) => vec![WEIGHT_ARG | j as u64],
        Arg::Const(c) => vec![CONST_ARG, c as u64],
    }
}

/// Most graph inputs a spec has (an input's word is `u64::MAX − k`, below every layer's).
const MAX_INPUTS: usize = 1 << 16;

/// A layer input's word: `u64::MAX − k` for graph input `k` (so a one-input model's bytes
/// are as before).
fn src_word(s: Src) -> u64 {
    match s {
        Src::Input(k) => u64::MAX - k as u64,
        Src::Layer(i) => i as u64,
    }
}

impl ChainSpec {
    /// The canonical bytes (what keys store and the transcript hashes).
    #[must_use]
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut put = |v: u64| out.extend_from_slice(&v.to_le_bytes());
        let first = self
            .inputs
            .first()
            .map_or((0, 0, 0), |v| (v.layout.rows, v.layout.cols, v.bits.get()));
        put(first.0 as u64);
        put(first.1 as u64);
        put(u64::from(first.2));
        put(self.weights.len() as u64);
        for w in &self.weights {
            match w.arrange {
                None => put(w.param as u64),
                Some(a) => {
                    put(w.param as u64 | ARRANGED);
                    put(a as u64);
                }
            }
            put(w.layout.rows as u64);
            put(w.layout.cols as u64);
        }
        put(self.layers.len() as u64);
        #[allow(clippy::cast_sign_loss)]
        for l in &self.layers {
            put(src_word(l.input));
            put(l.out.rows as u64);
            put(l.out.cols as u64);
            put(u64::from(l.bits.get()));
            let flag = if l.internal { INTERNAL } else { 0 };
            match l.kind {
                LayerKind::Matmul { node, w, bias } => {
                    let (m, k, n) = node.dims();
                    let rq = node.requant();
                    for v in [flag, m as u64, k as u64, n as u64, rq.mult as u64] {
                        put(v);
                    }
                    put(u64::from(rq.shift));
                    put(node.bias_shift().map_or(u64::MAX, u64::from));
                    put(w as u64);
                    put(bias.map_or(u64::MAX, |b| b as u64));
                }
                LayerKind::Clip { min, constant } => {
                    put(1 | flag);
                    put(u64::from(min));
                    put(constant as u64);
                }
                LayerKind::Move { map, fill } => {
                    put(2 | flag);
                    put(map as u64);
                    put(fill as u64);
                }
                LayerKind::ReduceMax => put(3 | flag),
                LayerKind::Binary {
                    op,
                    b,
                    a_mult,
                    b_mult,
                    mult,
                    shift,
                    clamp,
                } => {
                    put(if clamp { CLAMPED_BINARY_TAG } else { 4 } | flag);
                    put(match op {
                        Arith::Add => 0,
                        Arith::Sub => 1,
                        Arith::Mul => 2,
                    });
                    for w in arg_words(b) {
                        put(w);
                    }
                    put(a_mult as u64);
                    put(b_mult as u64);
                    put(mult as u64);
                    put(u64::from(shift));
                }
                LayerKind::ReduceSum { mult, shift } => {
                    put(5 | flag);
                    put(mult as u64);
                    put(u64::from(shift));
                }
                LayerKind::Lookup { table, lo } => {
                    put(6 | flag);
                    put(table as u64);
                    put(lo as u64);
                }
                LayerKind::Product {
                    b,
                    batch,
                    mult,
                    shift,
                } => {
                    put(PRODUCT_TAG | flag);
                    put(src_word(b));
                    put(batch as u64);
                    put(mult as u64);
                    put(u64::from(shift));
                }
                LayerKind::Div { b, shift, signed } => {
                    put(if signed { DIV_SIGNED_TAG } else { DIV_TAG } | flag);
                    put(src_word(b));
                    put(u64::from(shift));
                }
                LayerKind::ISqrt { shift } => {
                    put(ISQRT_TAG | flag);
                    put(u64::from(shift));
                }
                LayerKind::Gather { table } => {
                    put(GATHER_TAG | flag);
                    put(table as u64);
                }
                LayerKind::ArgMax => put(ARGMAX_TAG | flag),
                LayerKind::Outer {
                    b,
                    a_mult,
                    b_mult,
                    mult,
                    shift,
                } => {
                    put(OUTER_TAG | flag);
                    put(src_word(b));
                    put(a_mult as u64);
                    put(b_mult as u64);
                    put(mult as u64);
                    put(u64::from(shift));
                }
            }
        }
        // Only a spec with moves or arrangements has the trailing sections (the digits MLP's
        // bytes stay as they were); one with several inputs or outputs has them all.
        let io = !self.one_in_one_out();
        let formed = !self.forms.is_empty() || !self.expansions.is_empty() || io;
        let arranged = !self.arrangements.is_empty() || formed;
        if !self.maps.is_empty() || arranged {
            put(self.maps.len() as u64);
        }
        for m in &self.maps {
            put(m.len() as u64);
            for &v in m {
                put(v as u64);
            }
        }
        if arranged {
            put(self.arrangements.len() as u64);
        }
        for m in &self.arrangements {
            put(m.len() as u64);
            for &v in m {
                put(v as u64);
            }
        }
        // The closed forms, as the views they were fitted over (decoding fits them again):
        // per map its output rank and dims and its input rank and dims, or a 0 for none.
        if formed {
            put(self.forms.len() as u64);
        }
        for f in &self.forms {
            match f {
                None => put(0),
                Some(f) => {
                    for d in [&f.out_dims, &f.in_dims] {
                        put(d.len() as u64);
                        d.iter().for_each(|&v| put(v as u64));
                    }
                }
            }
        }
        // The expanded layouts (`gkr::layout`): per node output its layer, rank, dims and
        // the layout's dims; present only when some output is expanded.
        if !self.expansions.is_empty() || io {
            put(self.expansions.len() as u64);
        }
        for e in &self.expansions {
            put(e.layer as u64);
            put(e.dims.len() as u64);
            e.dims.iter().chain(&e.edims).for_each(|&v| put(v as u64));
        }
        // The inputs after the first (layout and bits), then the output layers.
        if io {
            put(self.inputs.len().saturating_sub(1) as u64);
            for v in self.inputs.iter().skip(1) {
                put(v.layout.rows as u64);
                put(v.layout.cols as u64);
                put(u64::from(v.bits.get()));
            }
            put(self.outputs.len() as u64);
            self.outputs.iter().for_each(|&o| put(o as u64));
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
            let word = next()?;
            let param = size(word & !ARRANGED)?;
            let arrange = if word & ARRANGED == 0 {
                None
            } else {
                Some(size(next()?)?)
            };
            let layout = layout(next()?, next()?)?;
            weights.push(WeightSpec {
                param,
                layout,
                arrange,
            });
        }
        let nl = size(next()?)?;
        if nl > bytes.len() {
            return Err(bad("spec: layer count"));
        }
        let mut layers = Vec::with_capacity(nl);
        for i in 0..nl {
            // Input indices are checked against the inputs section below.
            let src = |w: u64| match w {
                k if u64::MAX - k < MAX_INPUTS as u64 => Ok(Src::Input(size(u64::MAX - k)?)),
                j if size(j)? < i => Ok(Src::Layer(size(j)?)),
                _ => Err(bad("spec: a layer reads a later one")),
            };
            let input = src(next()?)?;
            let out = layout(next()?, next()?)?;
            let bits = bits(next()?)?;
            let tag = next()?;
            let internal = tag & INTERNAL != 0;
            #[allow(clippy::cast_possible_wrap)]
            let kind = match tag & !INTERNAL {
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
                4 | CLAMPED_BINARY_TAG => {
                    let clamp = tag & !INTERNAL == CLAMPED_BINARY_TAG;
                    let op = match next()? {
                        0 => Arith::Add,
                        1 => Arith::Sub,
                        2 => Arith::Mul,
                        _ => return Err(bad("spec: a binary layer's function")),
                    };
                    let b = match next()? {
                        CONST_ARG => Arg::Const(next()? as i64),
                        // A graph input's word (`u64::MAX − k`) has the weight bit set too.
                        w if u64::MAX - w < MAX_INPUTS as u64 => Arg::Act(src(w)?),
                        w if w & WEIGHT_ARG != 0 => {
                            let j = size(w & !WEIGHT_ARG)?;
                            if j >= nw {
                                return Err(bad("spec: a weight index"));
                            }
                            Arg::Weight(j)
                        }
                        w => Arg::Act(src(w)?),
                    };
                    let (a_mult, b_mult, mult) = (next()? as i64, next()? as i64, next()? as i64);
                    let shift = u32::try_from(next()?).map_err(|_| bad("spec: shift"))?;
                    LayerKind::Binary {
                        op,
                        b,
                        a_mult,
                        b_mult,
                        mult,
                        shift,
                        clamp,
                    }
                }
                5 => {
                    let mult = next()? as i64;
                    let shift = u32::try_from(next()?).map_err(|_| bad("spec: shift"))?;
                    LayerKind::ReduceSum { mult, shift }
                }
                6 => LayerKind::Lookup {
                    table: size(next()?)?,
                    lo: next()? as i64,
                },
                PRODUCT_TAG => {
                    let b = src(next()?)?;
                    let batch = size(next()?)?;
                    let mult = next()? as i64;
                    let shift = u32::try_from(next()?).map_err(|_| bad("spec: shift"))?;
                    LayerKind::Product {
                        b,
                        batch,
                        mult,
                        shift,
                    }
                }
                DIV_TAG | DIV_SIGNED_TAG => {
                    let b = src(next()?)?;
                    let shift = u32::try_from(next()?).map_err(|_| bad("spec: shift"))?;
                    let signed = tag & !INTERNAL == DIV_SIGNED_TAG;
                    LayerKind::Div { b, shift, signed }
                }
                GATHER_TAG => LayerKind::Gather {
                    table: size(next()?)?,
                },
                ISQRT_TAG => LayerKind::ISqrt {
                    shift: u32::try_from(next()?).map_err(|_| bad("spec: shift"))?,
                },
                ARGMAX_TAG => LayerKind::ArgMax,
                OUTER_TAG => LayerKind::Outer {
                    b: src(next()?)?,
                    a_mult: next()? as i64,
                    b_mult: next()? as i64,
                    mult: next()? as i64,
                    shift: u32::try_from(next()?).map_err(|_| bad("spec: shift"))?,
                },
                _ => return Err(bad("spec: layer kind")),
            };
            layers.push(Layer {
                kind,
                input,
                out,
                bits,
                internal,
            });
        }
        // The maps, then the arrangements: each section present only when bytes remain.
        let mut sections: [Vec<Vec<i32>>; 2] = Default::default();
        for section in &mut sections {
            if 8 * used.get() == bytes.len() {
                break;
            }
            let nm = size(next()?)?;
            if nm > bytes.len() {
                return Err(bad("spec: map count"));
            }
            for _ in 0..nm {
                let len = size(next()?)?;
                if len > bytes.len() / 8 {
                    return Err(bad("spec: map length"));
                }
                #[allow(clippy::cast_possible_truncation)]
                let m = (0..len)
                    .map(|_| Ok(next()? as i32))
                    .collect::<Result<Vec<i32>, GkrError>>()?;
                section.push(m);
            }
        }
        let [maps, arrangements] = sections;
        let mut forms = Vec::new();
        if 8 * used.get() != bytes.len() {
            let nf = size(next()?)?;
            if nf != maps.len() {
                return Err(bad("spec: form count"));
            }
            for m in &maps {
                let mut dims = || -> Result<Vec<usize>, GkrError> {
                    let rank = size(next()?)?;
                    if rank > super::affine::MAX_RANK {
                        return Err(bad("spec: a form's rank"));
                    }
                    (0..rank).map(|_| size(next()?)).collect()
                };
                let out = dims()?;
                if out.is_empty() {
                    forms.push(None);
                    continue;
                }
                let inp = dims()?;
                let f = super::affine::AffineWiring::fit(&out, &inp, m)
                    .ok_or(bad("spec: a form that is not its map's"))?;
                forms.push(Some(f));
            }
        }
        let mut expansions = Vec::new();
        if 8 * used.get() != bytes.len() {
            // No expansions is canonical only when the inputs and outputs follow.
            let ne = size(next()?)?;
            if ne > layers.len() {
                return Err(bad("spec: expansion count"));
            }
            for _ in 0..ne {
                let layer = size(next()?)?;
                let rank = size(next()?)?;
                if rank > super::affine::MAX_RANK {
                    return Err(bad("spec: an expansion's rank"));
                }
                let mut dims = || {
                    (0..rank)
                        .map(|_| size(next()?))
                        .collect::<Result<Vec<_>, _>>()
                };
                let (dims, edims) = (dims()?, dims()?);
                let e = super::layout::Expansion { layer, dims, edims };
                let fits = layers.get(layer).is_some_and(|l| {
                    !l.internal && e.well_formed() && l.out == Layout::of(&e.edims)
                });
                if !fits || layer + 1 >= layers.len() {
                    return Err(bad("spec: an expansion that is not its layer's"));
                }
                expansions.push(e);
            }
        }
        let mut inputs = vec![super::spec::PublicInput {
            layout: input,
            bits: input_bits,
        }];
        let mut outputs = vec![layers.len().saturating_sub(1)];
        if 8 * used.get() != bytes.len() {
            let n = size(next()?)?;
            if n >= MAX_INPUTS {
                return Err(bad("spec: input count"));
            }
            for _ in 0..n {
                let layout = layout(next()?, next()?)?;
                inputs.push(super::spec::PublicInput {
                    layout,
                    bits: bits(next()?)?,
                });
            }
            let n = size(next()?)?;
            if n == 0 || n > layers.len() {
                return Err(bad("spec: output count"));
            }
            outputs = (0..n)
                .map(|_| size(next()?))
                .collect::<Result<_, GkrError>>()?;
        }
        let spec = Self {
            inputs,
            outputs,
            layers,
            weights,
            maps,
            arrangements,
            forms,
            expansions,
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
        if self.layers.last().is_none_or(|l| l.internal) {
            return Err(bad("spec: no layers, or an internal last one"));
        }
        self.check_io()?;
        for w in &self.weights {
            let fits = w.arrange.is_none_or(|a| {
                self.arrangements
                    .get(a)
                    .is_some_and(|m| m.len() == w.layout.len())
            });
            if !fits {
                return Err(bad("spec: a weight's arrangement"));
            }
        }
        for (idx, l) in self.layers.iter().enumerate() {
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
                    let in_bits = self.src_bits(l.input).unwrap_or(l.bits);
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
                    let in_bits = self.src_bits(l.input).unwrap_or(l.bits);
                    if !ok || !l.bits.contains(fill) || in_bits.get() > l.bits.get() {
                        return Err(bad("spec: a move's map or fill"));
                    }
                    // A form evaluates the map's extension only over views of the layouts.
                    let laid = |d: &[usize], lo: Layout| {
                        super::affine::matches_layout(d, lo.rows, lo.cols)
                    };
                    if self
                        .form(map)
                        .is_some_and(|f| !laid(&f.out_dims, l.out) || !laid(&f.in_dims, inp))
                    {
                        return Err(bad("spec: a move's form over other layouts"));
                    }
                }
                LayerKind::ReduceMax => {
                    let in_bits = self.src_bits(l.input).unwrap_or(l.bits);
                    if l.out.len() * inp.cols != inp.len() || in_bits.get() > l.bits.get() {
                        return Err(bad("spec: a max's shapes"));
                    }
                }
                // The flag is the rule's ([`super::clamp::flagged`]: one spec, one encoding);
                // the rest is checked below.
                LayerKind::Binary { clamp, .. } => {
                    if clamp != super::clamp::flagged(self, l) {
                        return Err(bad("spec: a binary layer's clamp flag"));
                    }
                }
                LayerKind::ReduceSum { .. } => {}
                LayerKind::Lookup { table, lo } => {
                    if !super::lookup::fits(self, l, table, lo) {
                        return Err(bad("spec: a lookup's table, shapes or domain"));
                    }
                }
                LayerKind::Product { .. } => {
                    if !super::attn::fits(self, idx, l) {
                        return Err(bad("spec: a product layer's shapes or epilogue"));
                    }
                }
                LayerKind::Div { .. } => {
                    if !super::div::fits(self, l) {
                        return Err(bad("spec: a division's shapes, shift or bits"));
                    }
                }
                LayerKind::Gather { .. } => {
                    if !super::gather::fits(self, l) {
                        return Err(bad("spec: a gather's table, indices or shapes"));
                    }
                }
                LayerKind::ISqrt { .. } => {
                    if !super::isqrt::fits(self, l) {
                        return Err(bad("spec: a square root's shapes or shift"));
                    }
                }
                LayerKind::ArgMax => {
                    if !super::argmax::fits(self, l) {
                        return Err(bad("spec: an argmax's shapes or bits"));
                    }
                }
                LayerKind::Outer { .. } => {
                    if !super::outer::fits(self, idx, l) {
                        return Err(bad("spec: an outer product's shapes, epilogue or bits"));
                    }
                }
            }
            if let LayerKind::Binary { mult, shift, .. } | LayerKind::ReduceSum { mult, shift } =
                l.kind
            {
                let shapes = match l.kind {
                    LayerKind::Binary {
                        b, a_mult, b_mult, ..
                    } => {
                        let small = |m: i64| m.unsigned_abs() <= 1 << 32;
                        inp == l.out
                            && super::broadcast::fits(self, l.out, b)
                            && small(a_mult)
                            && small(b_mult)
                    }
                    _ => l.out.len() * inp.cols == inp.len() && inp.cols > 0,
                };
                if !shapes || mult <= 0 || shift > MAX_RANGE_BITS {
                    return Err(bad("spec: a binary or sum layer's shapes or epilogue"));
                }
            }
            if !super::columns::output_bits_fit(&l.kind, l.bits.get()) {
                return Err(bad("spec: bits"));
            }
        }
        Ok(())
    }

    /// Every input a layer reads exists; the outputs are distinct node layers (the last one
    /// among them) laid out as their nodes are.
    fn check_io(&self) -> Result<(), GkrError> {
        let known = |s: Src| !matches!(s, Src::Input(k) if k >= self.inputs.len());
        for l in &self.layers {
            let second = match l.kind {
                LayerKind::Binary { b: Arg::Act(s), .. }
                | LayerKind::Product { b: s, .. }
                | LayerKind::Outer { b: s, .. }
                | LayerKind::Div { b: s, .. } => Some(s),
                _ => None,
            };
            if !known(l.input) || second.is_some_and(|s| !known(s)) {
                return Err(GkrError::Malformed(
                    "spec: a layer reads an input it has not",
                ));
            }
        }
        let last = self.layers.len().saturating_sub(1);
        for (k, &o) in self.outputs.iter().enumerate() {
            let node_layer = self.layers.get(o).is_some_and(|l| !l.internal);
            if !node_layer
                || self.outputs[..k].contains(&o)
                || self.expansions.iter().any(|e| e.layer == o)
            {
                return Err(GkrError::Malformed("spec: an output layer"));
            }
        }
        if !self.outputs.contains(&last) {
            return Err(GkrError::Malformed("spec: the last layer is no output"));
        }
        Ok(())
    }
}

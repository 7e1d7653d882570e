//! Float lowered graph + calibration ranges → the integer graph.
//!
//! Every tensor gets a power-of-two scale: the largest that keeps its calibrated range inside
//! the bit bound. Each float primitive maps to one integer primitive whose requantization
//! epilogue carries the scale change; a lookup gets a `Rescale` into its table's domain first,
//! and a data movement whose inputs disagree on scale gets `Rescale`s onto a common one.
//! See docs/quantization.md.

use std::collections::HashMap;

use verinfer_ir::validate::validate;
use verinfer_ir::{
    Binary, BinaryKind, Bits, Contract, Div, Gather, Graph, InputSpec, Move, Node, Op, Operand,
    OutputSpec, Param, ParamId, ParamKind, Reduce, ReduceKind, Requant, Scale, Shape, TensorInfo,
};

use crate::calibrate::{Range, Stats};
use crate::error::QuantError;
use crate::fgraph::{FGraph, FOp, FRef};
pub use crate::fixed_point::{best_scale, dequantize_value, quantize_value};
use crate::fixed_point::{factor, factor_bits, requant_to, MULT_BITS, WIDE_MULT_BITS};

mod binary;
mod live;
mod nonlinear;
mod options;
mod radicand;
mod wide_concat;
mod wide_input;
mod wide_log;
mod wide_root;
mod widened;

pub use options::QuantOptions;
pub use widened::{quantize_widened, MAX_WIDTH};

/// What a parameter's ±∞ entries become (see `Q::param`).
const INFINITE_PARAM: i32 = 1 << 30;

struct Q<'a> {
    fg: &'a FGraph,
    stats: &'a Stats,
    opts: QuantOptions,
    bits: Bits,
    g: Graph,
    /// FRef (input/node) → its value operand and info.
    vals: HashMap<FRef, (Operand, TensorInfo)>,
    /// (const id, scale, bits) → param.
    consts: HashMap<(usize, i32, u32, u8), ParamId>,
    /// The node being quantized is or reads an exact integer node: factors get
    /// `WIDE_MULT_BITS`.
    wide: bool,
    /// Per float node: a radicand, held at `radicand_bits` (see `radicand.rs`), or a wide
    /// input carried onward, held at the same width (see `wide_input.rs`).
    radicand: Vec<bool>,
    /// Per float node: an output concatenation held at its finest input scale (`wide_concat.rs`).
    finest_move: Vec<bool>,
    /// Per float node: a root held wide for a wide consumer (`wide_root.rs`), and its
    /// `B`-bit rescale for the other consumers, once made.
    wide_root: Vec<bool>,
    narrowed: HashMap<usize, wide_root::Quantized>,
    /// Per float node: a width chosen for it beyond `B` (0: none; `widened.rs`).
    widened: Vec<u32>,
    /// The node being quantized is widened: its constant operands are held as wide.
    widening: bool,
}

/// Quantize a calibrated float graph.
///
/// # Errors
/// Bad options, values that cannot be represented, and graphs the validator rejects (for
/// instance an accumulator that could overflow).
pub fn quantize(fg: &FGraph, stats: &Stats, opts: QuantOptions) -> Result<Graph, QuantError> {
    quantize_widened(fg, stats, opts, &[])
}

/// [`quantize`], with node `i` held at `widths[i]` bits where that is above `B` (missing
/// entries and 0: the rules of [`quantize`] alone).
fn quantize_at(
    fg: &FGraph,
    stats: &Stats,
    opts: QuantOptions,
    widths: &[u32],
) -> Result<Graph, QuantError> {
    if !(4..=24).contains(&opts.bits) {
        return Err(QuantError::BadData(format!(
            "--bits {} is out of range (4..=24)",
            opts.bits
        )));
    }
    if opts.headroom_bits > 8 {
        return Err(QuantError::BadData(format!(
            "--headroom-bits {} is out of range (0..=8)",
            opts.headroom_bits
        )));
    }
    if !(4..=20).contains(&opts.table_bits) {
        return Err(QuantError::BadData(format!(
            "--table-bits {} is out of range (4..=20)",
            opts.table_bits
        )));
    }
    let bits = Bits::new(opts.bits)?;
    let mut q = Q {
        fg,
        stats,
        opts,
        bits,
        g: Graph {
            name: fg.name.clone(),
            inputs: vec![],
            params: vec![],
            nodes: vec![],
            outputs: vec![],
        },
        vals: HashMap::new(),
        consts: HashMap::new(),
        wide: false,
        radicand: Vec::new(),
        finest_move: Vec::new(),
        wide_root: Vec::new(),
        narrowed: HashMap::new(),
        widened: widths.to_vec(),
        widening: false,
    };
    let headroom = 2f64.powi(i32::try_from(opts.headroom_bits).unwrap_or(0));
    let wide_in = if opts.wide_inputs {
        wide_input::wide_inputs(fg, stats, opts.bits, headroom)
    } else {
        vec![false; fg.inputs.len()]
    };
    for (i, inp) in fg.inputs.iter().enumerate() {
        let info = if inp.integer {
            TensorInfo {
                shape: Shape(inp.shape.clone()),
                scale: Scale::new(0)?,
                bits: Bits::new(inp.int_bits.unwrap_or(32))?,
            }
        } else {
            let b = if wide_in[i] {
                radicand::radicand_bits(opts.bits)
            } else {
                opts.bits
            };
            TensorInfo {
                shape: Shape(inp.shape.clone()),
                scale: Scale::new(best_scale(stats.inputs[i].max_abs() * headroom, b))?,
                bits: Bits::new(b)?,
            }
        };
        q.g.inputs.push(InputSpec {
            name: inp.name.clone(),
            info: info.clone(),
        });
        let v = verinfer_ir::ValueId(u32::try_from(i).unwrap_or(u32::MAX));
        q.vals.insert(FRef::Input(i), (Operand::Value(v), info));
    }
    let live = live::live_nodes(fg);
    q.radicand = radicand::radicands(fg, &live);
    let wide = wide_input::wide_nodes(fg, &wide_in, &live);
    q.radicand.iter_mut().zip(wide).for_each(|(r, w)| *r |= w);
    if opts.wide_inputs {
        q.finest_move = wide_concat::output_moves(fg, &live);
    }
    q.wide_root = wide_root::wide_roots(fg, &live, &q.radicand);
    q.radicand
        .iter_mut()
        .zip(&q.wide_root)
        .for_each(|(r, w)| *r |= w);
    for (i, node) in fg.nodes.iter().enumerate() {
        if live[i] {
            let saved = q.narrow_roots(i)?;
            q.node(i)?;
            q.vals.extend(saved);
        }
        let _ = node;
    }
    for (name, r) in &fg.outputs {
        let value = match q.vals.get(r) {
            Some((Operand::Value(v), _)) if matches!(r, FRef::Node(_)) => *v,
            _ => q.identity_output(name, *r)?,
        };
        q.g.outputs.push(OutputSpec {
            name: name.clone(),
            value,
        });
    }
    validate(&q.g)?;
    Ok(q.g)
}

impl Q<'_> {
    fn range(&self, r: FRef) -> Range {
        self.stats.range(self.fg, r)
    }

    fn stat_scale(&self, r: FRef) -> i32 {
        best_scale(self.headroomed(r), self.opts.bits)
    }

    /// The calibrated magnitude of `r` with the headroom bits.
    fn headroomed(&self, r: FRef) -> f64 {
        self.range(r).max_abs() * 2f64.powi(i32::try_from(self.opts.headroom_bits).unwrap_or(0))
    }

    fn err(&self, node: usize, what: impl Into<String>) -> QuantError {
        QuantError::BadNode {
            node: self.fg.nodes[node].name.clone(),
            op_type: self.fg.nodes[node].origin.clone(),
            what: what.into(),
        }
    }

    /// A constant as a parameter at `scale` (or its best scale under `bits` when `None`).
    fn param(
        &mut self,
        c: usize,
        scale: Option<i32>,
        bits: u32,
        kind: ParamKind,
    ) -> Result<(Operand, TensorInfo), QuantError> {
        self.param_with(c, scale, bits, kind, false)
    }

    /// [`Self::param`]; `moved`: the constant is an operand of a data movement, whose ±∞
    /// entries become the extremes of the moved tensor's `bits` (as a movement's fill does)
    /// rather than ±2^30.
    fn param_with(
        &mut self,
        c: usize,
        scale: Option<i32>,
        bits: u32,
        kind: ParamKind,
        moved: bool,
    ) -> Result<(Operand, TensorInfo), QuantError> {
        let fc = &self.fg.consts[c];
        let max_abs = fc
            .values()
            .filter(|v| v.is_finite())
            .fold(0.0f64, |a, v| a.max(v.abs()));
        let s = match (scale, fc.exact_scale) {
            (Some(s), _) => s.min(best_scale(max_abs, 32)),
            (None, Some(s)) => s,
            (None, None) => best_scale(max_abs, bits),
        };
        let key = (c, s, bits, kind as u8 | if moved { 0x80 } else { 0 });
        let need = (max_abs * 2f64.powi(s)).round();
        // An infinite entry (an attention mask's −∞) must stay beyond anything it is added to,
        // not saturate to the few bits its finite entries need: it becomes ±2^30 of a 32-bit
        // parameter, which saturates any sum with a value of the working width.
        let infinite = fc.values().any(f64::is_infinite);
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let pbits = if infinite && moved {
            Bits::new(bits)?
        } else if infinite {
            Bits::new(32)?
        } else {
            Bits::for_max_abs(need as u64 + 1)?.max(Bits::new(2)?)
        };
        let info = TensorInfo {
            shape: Shape(fc.shape.clone()),
            scale: Scale::new(s)?,
            bits: pbits,
        };
        if let Some(p) = self.consts.get(&key) {
            return Ok((Operand::Param(*p), info));
        }
        let data: verinfer_ir::ParamData = match &fc.ints {
            // Kept at their own scale, the integers are the parameter (finite, and within
            // `pbits`, which was chosen from their largest): share the storage.
            Some(ints) if fc.exact_scale == Some(s) => ints.share(),
            _ => fc
                .values()
                .map(|v| {
                    if v.is_infinite() && moved {
                        let e = if v > 0.0 {
                            pbits.max_value()
                        } else {
                            pbits.min_value()
                        };
                        i32::try_from(e).unwrap_or(0)
                    } else if v.is_infinite() {
                        if v > 0.0 {
                            INFINITE_PARAM
                        } else {
                            -INFINITE_PARAM
                        }
                    } else {
                        quantize_value(v, s, pbits)
                    }
                })
                .collect::<Vec<i32>>()
                .into(),
        };
        let id = self.push_param(fc.name.clone(), kind, info.clone(), data);
        self.consts.insert(key, id);
        Ok((Operand::Param(id), info))
    }

    fn push_param(
        &mut self,
        name: String,
        kind: ParamKind,
        info: TensorInfo,
        data: impl Into<verinfer_ir::ParamData>,
    ) -> ParamId {
        self.g.params.push(Param {
            name,
            kind,
            info,
            data: data.into(),
        });
        ParamId(u32::try_from(self.g.params.len() - 1).unwrap_or(u32::MAX))
    }

    /// Operand for a float ref; constants at the requested scale (None = best for B bits).
    fn operand(
        &mut self,
        r: FRef,
        const_scale: Option<i32>,
    ) -> Result<(Operand, TensorInfo), QuantError> {
        match r {
            FRef::Const(c) => self.param(c, const_scale, self.opts.bits, ParamKind::Weight),
            other => self.vals.get(&other).cloned().ok_or_else(|| {
                QuantError::BadData(format!("internal: {other:?} used before defined"))
            }),
        }
    }

    fn push_node(
        &mut self,
        name: String,
        origin: String,
        op: Op,
        inputs: Vec<Operand>,
        out: TensorInfo,
    ) -> (Operand, TensorInfo) {
        self.g.nodes.push(Node {
            name,
            origin,
            op,
            inputs,
            out: out.clone(),
        });
        let v = self.g.node_value(self.g.nodes.len() - 1);
        (Operand::Value(v), out)
    }

    /// Rescale a value to `scale` (and `bits`), unless it already is there.
    fn rescale(
        &mut self,
        name: &str,
        origin: &str,
        x: (Operand, TensorInfo),
        scale: i32,
        bits: Bits,
    ) -> Result<(Operand, TensorInfo), QuantError> {
        if x.1.scale.exponent() == scale && x.1.bits <= bits {
            return Ok(x);
        }
        let rq = requant_to(x.1.scale.exponent(), scale, bits);
        let out = TensorInfo {
            shape: x.1.shape.clone(),
            scale: Scale::new(scale)?,
            bits,
        };
        Ok(self.push_node(
            format!("{name}/rescale"),
            origin.to_string(),
            Op::Rescale(rq),
            vec![x.0],
            out,
        ))
    }

    fn identity_output(&mut self, name: &str, r: FRef) -> Result<verinfer_ir::ValueId, QuantError> {
        let (op, info) = self.operand(r, None)?;
        let n = info.shape.numel();
        let map: Vec<i32> = (0..n).map(|i| i32::try_from(i).unwrap_or(-1)).collect();
        let mid = self.push_param(
            format!("{name}/map"),
            ParamKind::IndexMap,
            index_info(&map)?,
            map,
        );
        let (o, _) = self.push_node(
            format!("{name}/identity"),
            "Identity".into(),
            Op::Move(Move { map: mid, fill: 0 }),
            vec![op],
            info,
        );
        match o {
            Operand::Value(v) => Ok(v),
            Operand::Param(_) => Err(QuantError::BadData("internal: identity output".into())),
        }
    }

    /// Quantize node `i`: at its calibrated scale, or — a node the source model defines as
    /// exact integers ([`FGraph::exact_ints`]) — at scale 0 and its own bits, with a wide
    /// multiplier for any factor.
    fn node(&mut self, i: usize) -> Result<(), QuantError> {
        let pinned_input = self.fg.nodes[i]
            .inputs
            .iter()
            .any(|r| matches!(r, FRef::Node(j) if self.fg.exact_ints.contains_key(j)));
        let Some(&pin) = self.fg.exact_ints.get(&i) else {
            if self.radicand.get(i).copied().unwrap_or(false) {
                let w = radicand::radicand_bits(self.opts.bits);
                let s = best_scale(self.headroomed(FRef::Node(i)), w);
                let saved = self.bits;
                self.bits = Bits::new(w)?;
                let r = self.node_at(i, s);
                self.bits = saved;
                return r;
            }
            if let Some(w) = self.widened_bits(i) {
                return self.node_widened(i, w, pinned_input);
            }
            let s = self.stat_scale(FRef::Node(i));
            self.wide = pinned_input;
            let r = self.node_at(i, s);
            self.wide = false;
            return r;
        };
        let saved = self.bits;
        self.bits = Bits::new(pin)?;
        self.wide = true;
        let r = self.node_at(i, 0);
        self.bits = saved;
        self.wide = false;
        r
    }

    #[allow(clippy::too_many_lines)]
    fn node_at(&mut self, i: usize, s_stat: i32) -> Result<(), QuantError> {
        let fnode = &self.fg.nodes[i];
        let (name, origin) = (fnode.name.clone(), fnode.origin.clone());
        let shape = Shape(fnode.shape.clone());
        let bits = self.bits;
        let ins = fnode.inputs.clone();
        let result = match fnode.op.clone() {
            FOp::Contract(spec) => {
                let x = self.operand(ins[0], None)?;
                let w = self.factor_operand(ins[1], &x, spec.red.iter().product(), 1)?;
                let s_acc = x.1.scale.exponent() + w.1.scale.exponent();
                let mut inputs = vec![x.0, w.0];
                let mut bias_shift = 0;
                if let Some(&br) = ins.get(2) {
                    let FRef::Const(c) = br else {
                        return Err(self.err(i, "bias must be constant"));
                    };
                    let (b, binfo) = self.param(c, Some(s_acc), 31, ParamKind::Bias)?;
                    bias_shift = u32::try_from(s_acc - binfo.scale.exponent()).unwrap_or(0);
                    inputs.push(b);
                }
                let out = facts(shape, s_stat, bits)?;
                let op = Op::Contract(Contract {
                    out_iter: spec.out_iter,
                    red: spec.red,
                    x_map: spec.x_map,
                    w_map: spec.w_map,
                    bias_map: spec.bias_map,
                    bias_shift,
                    requant: requant_to(s_acc, s_stat, bits),
                });
                self.push_node(name, origin, op, inputs, out)
            }
            FOp::Scale(f) => {
                let x = self.operand(ins[0], None)?;
                let f = f * 2f64.powi(s_stat - x.1.scale.exponent());
                let (m, k) = if self.wide {
                    factor_bits(f, WIDE_MULT_BITS)
                } else {
                    factor(f)
                };
                let out = facts(shape, s_stat, bits)?;
                self.push_node(
                    name,
                    origin,
                    Op::Rescale(Requant {
                        mult: m,
                        shift: k,
                        bits,
                    }),
                    vec![x.0],
                    out,
                )
            }
            FOp::Binary {
                kind,
                a_factor,
                b_factor,
            } => self.binary(i, kind, a_factor, b_factor, s_stat)?,
            FOp::Lookup(crate::func::Func::Log) if self.wide_operand(ins[0]) => {
                self.log_wide(i, s_stat)?
            }
            FOp::Lookup(func) => self.lookup(i, func)?,
            FOp::Reduce {
                kind,
                axes,
                keep_dims,
            } if kind == ReduceKind::ArgMax => {
                // An index: scale 0, as many bits as the largest index needs.
                let x = self.operand(ins[0], None)?;
                let len: usize = axes
                    .iter()
                    .filter_map(|&a| x.1.shape.dims().get(a))
                    .product();
                let last = u64::try_from(len.saturating_sub(1)).unwrap_or(u64::MAX);
                let idx_bits = Bits::for_max_abs(last)?.max(Bits::new(2)?);
                let out = facts(shape, 0, idx_bits)?;
                let op = Op::Reduce(Reduce {
                    kind,
                    axes,
                    keep_dims,
                    requant: Requant::clamp_only(idx_bits),
                });
                self.push_node(name, origin, op, vec![x.0], out)
            }
            FOp::Reduce {
                kind,
                axes,
                keep_dims,
            } => {
                let x = self.operand(ins[0], None)?;
                let s_out = match kind {
                    ReduceKind::Sum => s_stat,
                    ReduceKind::Max | ReduceKind::ArgMax => s_stat.min(x.1.scale.exponent()),
                };
                let out = facts(shape, s_out, bits)?;
                let op = Op::Reduce(Reduce {
                    kind,
                    axes,
                    keep_dims,
                    requant: requant_to(x.1.scale.exponent(), s_out, bits),
                });
                self.push_node(name, origin, op, vec![x.0], out)
            }
            FOp::Sqrt => self.sqrt(i, s_stat)?,
            FOp::Div => {
                let a = self.operand(ins[0], None)?;
                let b = self.operand(ins[1], None)?;
                let want = s_stat + b.1.scale.exponent() - a.1.scale.exponent();
                let headroom = 61 - i32::try_from(a.1.bits.get()).unwrap_or(32);
                let shift = want.clamp(0, headroom);
                let q_scale = a.1.scale.exponent() + shift - b.1.scale.exponent();
                let out = facts(shape, s_stat, bits)?;
                let op = Op::Div(Div {
                    shift: u32::try_from(shift).unwrap_or(0),
                    requant: requant_to(q_scale, s_stat, bits),
                });
                self.push_node(name, origin, op, vec![a.0, b.0], out)
            }
            FOp::Move { map, fill } => {
                let vals: Vec<(Operand, TensorInfo)> = ins
                    .iter()
                    .filter(|r| !matches!(r, FRef::Const(_)))
                    .map(|&r| self.operand(r, None))
                    .collect::<Result<_, _>>()?;
                let formats: Vec<(i32, u32)> = vals
                    .iter()
                    .map(|v| (v.1.scale.exponent(), v.1.bits.get()))
                    .collect();
                let finest = self.finest_move.get(i).copied().unwrap_or(false);
                let cap = radicand::radicand_bits(self.opts.bits);
                let (s_out, out_bits) = match wide_concat::move_format(&formats, finest, cap) {
                    Some((s, b)) => (s, Bits::new(b)?),
                    None => (s_stat, bits),
                };
                let mut inputs = Vec::with_capacity(ins.len());
                for &r in &ins {
                    let v = match r {
                        FRef::Const(c) => {
                            let p = self.param_with(
                                c,
                                Some(s_out),
                                out_bits.get(),
                                ParamKind::Weight,
                                true,
                            )?;
                            if p.1.scale.exponent() != s_out || p.1.bits > out_bits {
                                return Err(self.err(i, "a constant operand of a data movement does not fit the moved tensor's scale"));
                            }
                            p
                        }
                        other => {
                            let v = self.operand(other, None)?;
                            self.rescale(&name, &origin, v, s_out, out_bits)?
                        }
                    };
                    inputs.push(v.0);
                }
                let fill_q = if fill == f64::NEG_INFINITY {
                    i32::try_from(out_bits.min_value()).unwrap_or(i32::MIN)
                } else if fill == f64::INFINITY {
                    i32::try_from(out_bits.max_value()).unwrap_or(i32::MAX)
                } else {
                    quantize_value(fill, s_out, out_bits)
                };
                let map: Vec<i32> = map
                    .iter()
                    .map(|&m| i32::try_from(m))
                    .collect::<Result<_, _>>()
                    .map_err(|_| self.err(i, "index map exceeds 2^31 elements"))?;
                let mid = self.push_param(
                    format!("{name}/map"),
                    ParamKind::IndexMap,
                    index_info(&map)?,
                    map,
                );
                let out = facts(shape, s_out, out_bits)?;
                self.push_node(
                    name,
                    origin,
                    Op::Move(Move {
                        map: mid,
                        fill: fill_q,
                    }),
                    inputs,
                    out,
                )
            }
            FOp::Gather { axis } => {
                let d = self.operand(ins[0], None)?;
                let idx = self.operand(ins[1], Some(0))?;
                let idx = if idx.1.scale.exponent() == 0 {
                    idx
                } else {
                    self.rescale(&name, &origin, idx, 0, Bits::new(32)?)?
                };
                let out = TensorInfo {
                    shape,
                    scale: d.1.scale,
                    bits: d.1.bits,
                };
                self.push_node(
                    name,
                    origin,
                    Op::Gather(Gather { axis }),
                    vec![d.0, idx.0],
                    out,
                )
            }
        };
        self.vals.insert(FRef::Node(i), result);
        Ok(())
    }
}

/// The facts of a node's output: `shape`, scale `2^-scale`, `bits`.
pub(crate) fn facts(shape: Shape, scale: i32, bits: Bits) -> Result<TensorInfo, QuantError> {
    Ok(TensorInfo {
        shape,
        scale: Scale::new(scale)?,
        bits,
    })
}

/// Facts of an index map: its bound comes from its largest entry (entries index the
/// concatenated inputs, which may be longer than the map itself).
fn index_info(map: &[i32]) -> Result<TensorInfo, QuantError> {
    let max = map.iter().map(|v| v.unsigned_abs()).max().unwrap_or(1);
    Ok(TensorInfo {
        shape: Shape(vec![map.len()]),
        scale: Scale::new(0)?,
        bits: Bits::for_max_abs(u64::from(max))?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn best_scale_fills_the_bound() {
        assert_eq!(best_scale(1.0, 16), 14);
        assert_eq!(best_scale(0.9, 16), 15);
        assert_eq!(best_scale(100.0, 16), 8);
    }

    #[test]
    fn factor_keeps_precision() {
        let (m, k) = factor(0.1);
        assert!(((m as f64) / 2f64.powi(k as i32) - 0.1).abs() < 1e-5);
        assert_eq!(factor(4.0), (4, 0));
        let (m, k) = factor(-0.01);
        assert!(m < 0 && ((m as f64) / 2f64.powi(k as i32) + 0.01).abs() < 1e-6);
    }
}
